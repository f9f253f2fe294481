"""A broken checkpoint stops `Predictor.from_pretrained`, `mhdf-predict` and `app.py` with one line naming the file,
what is wrong and what to do: truncated or corrupt weights, a config.json with a wrong type, a missing or an unknown
key, weights that do not fit the config, an unreadable trust file, and a Hub repo id out of reach offline."""

import importlib.util
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mhdf.app import cli
from mhdf.inference import CheckpointError, Predictor
from tests.helpers import ROOT, SYNTHETIC_CHECKPOINT

PHOTO = SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png"
UNCACHED_HUB_ID = f"mhdf-tests/never-downloaded-{uuid.uuid4().hex[:8]}"


def edit_config(folder: Path, **changes) -> None:
    """Set keys of config.json (`...` removes one)."""
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is ...:
            del config[key]
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


def truncate(path: Path) -> None:
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


# case -> (how to break a copy of the demo checkpoint, the file the line names, words it must hold)
CASES = {
    "truncated weights": (lambda f: truncate(f / "model.safetensors"), "model.safetensors", ["truncated or corrupt"]),
    "not a safetensors file": (
        lambda f: (f / "model.safetensors").write_bytes(b"PK\x03\x04 a zip, not tensors"),
        "model.safetensors",
        ["not a readable safetensors file"],
    ),
    "missing weights": (lambda f: (f / "model.safetensors").unlink(), "model.safetensors", ["missing"]),
    "wrong type": (lambda f: edit_config(f, num_experts="four"), "config.json", ["'num_experts'", "an integer"]),
    "bool for an integer": (lambda f: edit_config(f, top_k=True), "config.json", ["'top_k'", "an integer"]),
    "wrong list items": (
        lambda f: edit_config(f, fusion_stages=[1, "2"]),
        "config.json",
        ["'fusion_stages'", "a list of integers"],
    ),
    "missing key": (lambda f: edit_config(f, backbone=...), "config.json", ["'backbone'", "missing", "a string"]),
    "unknown key": (lambda f: edit_config(f, num_expert=4), "config.json", ["unknown key 'num_expert'", "num_experts"]),
    "invalid value": (lambda f: edit_config(f, variant="mhdf-xl"), "config.json", ["unknown variant"]),
    "config not JSON": (lambda f: (f / "config.json").write_text("{"), "config.json", ["not valid JSON"]),
    "tensors do not match": (
        lambda f: edit_config(f, num_experts=3),
        "model.safetensors",
        ["do not match", "gm_moe.router.weight", "config.json saved with these weights"],
    ),
    "calibration not JSON": (
        lambda f: (f / "calibration.json").write_text("{temperature: 2"),
        "calibration.json",
        ["cannot be read", "training.trust"],
    ),
    "conformal without its keys": (
        lambda f: (f / "conformal.json").write_text('{"coverage": 0.9}'),
        "conformal.json",
        ["cannot be read", "mode"],
    ),
    "ood summary without thresholds": (
        lambda f: edit_json(f / "ood.json", stage_thresholds=...),
        "ood.json",
        ["the key 'stage_thresholds' is missing"],
    ),
    "ood statistics truncated": (lambda f: truncate(f / "ood.safetensors"), "ood.safetensors", ["cannot be read"]),
}


def edit_json(path: Path, **changes) -> None:
    document = json.loads(path.read_text())
    for key, value in changes.items():
        document.pop(key) if value is ... else document.__setitem__(key, value)
    path.write_text(json.dumps(document))


def broken_checkpoint(case: str, root: Path) -> Path:
    folder = root / "checkpoint"
    shutil.copytree(SYNTHETIC_CHECKPOINT, folder)
    CASES[case][0](folder)
    return folder


def assert_one_clear_line(message: str, file: str, words: list[str]) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message, message
    assert file in message, f"the line does not name {file}: {message}"
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


@pytest.mark.parametrize("case", CASES)
def test_predictor_raises_one_checkpoint_error(case, tmp_path):
    folder = broken_checkpoint(case, tmp_path)
    with pytest.raises(CheckpointError) as error:
        Predictor.from_pretrained(folder, device="cpu")
    _, file, words = CASES[case]
    assert_one_clear_line(str(error.value), str(folder / file), words)
    assert isinstance(error.value, ValueError)  # callers that catch ValueError keep working


def test_a_hub_id_out_of_reach_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError) as error:
        Predictor.from_pretrained(UNCACHED_HUB_ID, device="cpu")
    assert_one_clear_line(str(error.value), UNCACHED_HUB_ID, ["HF_HUB_OFFLINE", f"hf download {UNCACHED_HUB_ID}"])


def test_a_name_that_is_neither_a_folder_nor_a_hub_id():
    with pytest.raises(CheckpointError, match="neither a local folder nor a Hugging Face Hub repo id"):
        Predictor.from_pretrained("not a/valid id!", device="cpu")


def test_a_sound_checkpoint_with_an_older_config_loads(tmp_path):
    """Keys that do not shape the weights may be missing (older checkpoints lack later fields) and take defaults."""
    folder = tmp_path / "checkpoint"
    shutil.copytree(SYNTHETIC_CHECKPOINT, folder)
    edit_config(folder, gm_reads_stage_maps=..., field_dropout=..., max_grid=...)
    predictor = Predictor.from_pretrained(folder, device="cpu")
    assert predictor.predict(PHOTO, {}).probabilities.sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_mhdf_predict_prints_one_line(case, tmp_path, capsys):
    folder = broken_checkpoint(case, tmp_path)
    args = cli.get_args_parser().parse_args([str(PHOTO), "--checkpoint", str(folder)])
    assert cli.main(args) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    _, file, words = CASES[case]
    assert_one_clear_line(captured.err, str(folder / file), words)


def load_app_module():
    spec = importlib.util.spec_from_file_location("mhdf_demo_app", ROOT / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", CASES)
def test_app_stops_with_one_line(case, tmp_path):
    app = load_app_module()
    folder = broken_checkpoint(case, tmp_path)
    with pytest.raises(SystemExit) as stopped:
        app.main(app.get_args_parser().parse_args(["--checkpoint", str(folder)]))
    message = str(stopped.value.code)
    assert message.startswith("error: ")  # SystemExit with a message exits with status 1
    _, file, words = CASES[case]
    assert_one_clear_line(message, str(folder / file), words)


def test_a_hub_id_out_of_reach_offline_in_both_programs(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert cli.main(cli.get_args_parser().parse_args([str(PHOTO), "--checkpoint", UNCACHED_HUB_ID])) != 0
    assert_one_clear_line(capsys.readouterr().err, UNCACHED_HUB_ID, ["error: ", "HF_HUB_OFFLINE"])
    app = load_app_module()
    with pytest.raises(SystemExit) as stopped:
        app.main(app.get_args_parser().parse_args(["--checkpoint", UNCACHED_HUB_ID]))
    assert_one_clear_line(str(stopped.value.code), UNCACHED_HUB_ID, ["error: ", "HF_HUB_OFFLINE"])


def run(*command: str) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("program", [["app.py"], ["-m", "mhdf.predict", str(PHOTO)]])
def test_the_programs_exit_non_zero_without_a_traceback_unless_debug(program, tmp_path):
    plain = run(*program, "--checkpoint", UNCACHED_HUB_ID)
    assert plain.returncode != 0 and plain.stdout == ""
    assert_one_clear_line(plain.stderr, UNCACHED_HUB_ID, ["error: ", "HF_HUB_OFFLINE"])
    folder = broken_checkpoint("wrong type", tmp_path)
    debug = run(*program, "--checkpoint", str(folder), "--debug")
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "CheckpointError" in debug.stderr and "'num_experts'" in debug.stderr
