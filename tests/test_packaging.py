"""`pip install .` gives the `mhdf` package with its data and the `mhdf-predict` script, and the dependencies it
declares are the ones Hugging Face Spaces installs from requirements.txt."""

import os
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_dependencies_are_requirements_txt():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert sorted(declared) == sorted(line for line in lines if line)


def test_package_data_covers_every_file_mhdf_reads():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "mhdf"
    files = {p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    covered = {
        p
        for owner, patterns in data.items()
        for pattern in patterns
        for p in (ROOT / owner.replace(".", "/")).glob(pattern)
    }
    assert files <= covered, f"not packaged: {sorted(str(p.relative_to(ROOT)) for p in files - covered)}"


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", ROOT],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("mhdf_net-*.whl")
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    # The dependencies are those of the interpreter running the tests, wherever they live (the base interpreter, a
    # virtualenv, a user site): a .pth file puts its package folders after the new venv's own, where the wheel goes.
    # `system_site_packages` would reach the base interpreter's only, which in a virtualenv lacks torch and timm.
    own_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = [folder for folder in site.getsitepackages() + [site.getusersitepackages()] if Path(folder).is_dir()]
    (Path(own_site) / "test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", wheel], check=True, capture_output=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*command: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=outside, env=env, capture_output=True, text=True, timeout=300)

    where = run(
        python, "-c", "import mhdf, mhdf.app.texts as t; print(mhdf.__file__); print(t.routing_explained()[:20])"
    )
    assert where.returncode == 0, where.stderr
    assert str(tmp_path / "env") in where.stdout.splitlines()[0] and where.stdout.splitlines()[1]
    script = tmp_path / "env" / "bin" / "mhdf-predict"
    assert run(script, "--help").returncode == 0
    missing = run(script, str(ROOT / "assets" / "demo" / "examples" / "bcc_1.png"))
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0 and "--checkpoint" in missing.stderr
    predicted = run(
        script, str(ROOT / "assets" / "demo" / "examples" / "bcc_1.png"), "--checkpoint", ROOT / "assets" / "demo"
    )
    assert predicted.returncode == 0, predicted.stderr
