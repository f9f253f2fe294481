"""The README's two set-up commands stay true (CI runs the README's test command verbatim), the README fits on a
screen, its quickstart runs, and every link of the README and docs/ resolves."""

import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import assert_same_up_to_float32_kernels

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


def test_readme_fits_in_ten_thousand_characters():
    assert len((ROOT / "README.md").read_text()) <= 10_000


def python_examples(path: Path) -> list[str]:
    return re.findall(r"```python\n(.+?)\n```", path.read_text(), re.S)


def test_readme_quickstart_runs(monkeypatch):
    monkeypatch.chdir(ROOT)  # its paths are the checkout's
    namespace: dict = {}
    exec(compile(python_examples(ROOT / "README.md")[0], "README.md", "exec"), namespace)
    prediction = namespace["prediction"]
    assert prediction.prediction in prediction.classes and namespace["document"]["prediction"] == prediction.prediction
    assert prediction.trace.gm_gate.shape == (1, prediction.trace.expert_logits.shape[1])


def test_model_page_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it saves "my-checkpoint" in the working directory
    namespace: dict = {}
    exec(compile(python_examples(ROOT / "docs" / "model.md")[0], "docs/model.md", "exec"), namespace)
    assert namespace["out"].logits.shape == (1, 6) and (tmp_path / "my-checkpoint" / "model.safetensors").is_file()


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and the Hub) give a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    fence, found = False, set()
    for line in path.read_text().splitlines():
        fence ^= line.startswith("```")
        if not fence and line.startswith("#"):
            found.add(github_anchor(line.lstrip("#")))
    return found


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page):
    fence, text = False, []
    for line in page.read_text().splitlines():
        fence ^= line.startswith("```")
        text.append("" if fence or line.startswith("```") else line)
    for target in re.findall(r"\]\(([^)\s]+)\)", "\n".join(text)):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{page.name} links to {target}: no such heading"


def test_docs_pages_a_reader_finds_by_name_exist_and_the_readme_links_each():
    readme = (ROOT / "README.md").read_text()
    for name in ("model", "demo", "training", "results", "benchmarks", "architecture", "development"):
        assert (ROOT / "docs" / f"{name}.md").is_file() and f"docs/{name}.md" in readme


def test_architecture_map_names_every_library_module_and_only_real_files():
    section = (ROOT / "docs" / "architecture.md").read_text().split("## Where each concept lives", 1)[1]
    named = set(re.findall(r"`((?:mhdf|training)/[\w/]*(?:\.py)?|app\.py)`", section))
    assert named, "the architecture map names no files"
    for path in named:
        assert (ROOT / path).exists(), f"the architecture map names {path}, which does not exist"
    listed = {p for p in named if p.endswith(".py")} | {
        f"mhdf/metadata/{n}" for n in re.findall(r"`(\w+\.py)`", section)
    }
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "mhdf").rglob("*.py") if p.name != "__init__.py"}
    assert modules <= listed, f"modules missing from the architecture map: {sorted(modules - listed)}"


def test_the_cross_machine_comparison_passes_kernel_rounding_and_catches_a_real_change():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(460, 128)).astype(np.float32)
    rounded = features * (1 + rng.uniform(-3e-5, 3e-5, size=features.shape)).astype(np.float32)
    assert_same_up_to_float32_kernels(rounded, features)
    with pytest.raises(AssertionError):
        assert_same_up_to_float32_kernels(
            features + 0.01 * np.abs(features).max() * rng.normal(size=features.shape), features
        )
    with pytest.raises(AssertionError):
        assert_same_up_to_float32_kernels(features[:-1], features)


COMMANDS = ("train", "evaluate", "check_data", "trust", "publish", "make_demo", "synthetic", "synthetic.paired")


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # runpy, when a test imported it
@pytest.mark.parametrize("command", COMMANDS)
def test_every_training_command_answers_help(command, monkeypatch, capsys):
    """Each command run as `python -m training.COMMAND --help`, in this interpreter (runpy, as `-m` does)."""
    monkeypatch.setattr(sys, "argv", [command, "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module(f"training.{command}", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 0 and "usage:" in capsys.readouterr().out
