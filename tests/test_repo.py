"""The README's two set-up commands stay true: CI runs the README's test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_starts_with_the_two_commands():
    body = (ROOT / "README.md").read_text().split("---", 2)[2]  # after the Spaces front matter
    first_block = body.index("```bash")
    assert body.index("# MHDF-Net") < first_block < 400
    demo, tests = readme_commands()
    assert demo == "pip install -r requirements.txt && python app.py"
    assert "pip install -r requirements-dev.txt" in tests and tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_requirements_do_not_pin_an_old_torch():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(("torch", "torchvision")):
            assert ">=" in line and "==" not in line and "<" not in line, line


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it saves "my-checkpoint" in the working directory
    example = re.findall(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)[0]
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["out"].logits.shape == (1, 6) and (tmp_path / "my-checkpoint" / "model.safetensors").is_file()


def test_architecture_map_names_every_library_module_and_only_real_files():
    section = (ROOT / "README.md").read_text().split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:mhdf|training)/[\w/]*(?:\.py)?|app\.py)`", section))
    assert named, "the architecture map names no files"
    for path in named:
        assert (ROOT / path).exists(), f"README's architecture map names {path}, which does not exist"
    listed = {p for p in named if p.endswith(".py")} | {
        f"mhdf/metadata/{n}" for n in re.findall(r"`(\w+\.py)`", section)
    }
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "mhdf").rglob("*.py") if p.name != "__init__.py"}
    assert modules <= listed, f"modules missing from the architecture map: {sorted(modules - listed)}"
