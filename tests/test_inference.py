"""Predictor and `python -m mhdf.predict`: loading, validation, the JSON contract, batching."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mhdf.inference import Predictor
from mhdf.metadata import PAD_UFES_20
from mhdf.routing import RoutingOverrides

SYNTHETIC_CHECKPOINT = Path(__file__).resolve().parent.parent / "assets" / "demo-synthetic"

RECORD = {"age": 67, "gender": "MALE", "region": "FACE", "itch": "True", "bleed": "False", "diameter_1": 9.5}


@pytest.fixture(scope="module")
def predictor(tiny_checkpoint):
    return Predictor.from_pretrained(tiny_checkpoint, device="cpu")


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "lesion.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)).save(path)
    return path


def test_json_contract(predictor, photo, tiny_checkpoint):
    doc = json.loads(json.dumps(predictor.predict(photo, RECORD).to_dict()))
    assert doc["model"] == {
        "name": tiny_checkpoint.name,
        "training_data": "random initialisation",
        "synthetic": True,
        "backbone": "resnet18",
        "variant": "mhdf",
        "schema": "pad-ufes-20",
    }
    classes = list(PAD_UFES_20.classes)
    assert doc["classes"] == classes and list(doc["probabilities"]) == classes
    assert sum(doc["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert doc["prediction"] == max(doc["probabilities"], key=doc["probabilities"].get)
    routing = doc["routing"]
    assert np.array(routing["lc_gate"]).shape == (4, 2) and np.allclose(np.sum(routing["lc_gate"], 1), 1)
    assert len(routing["gm_gate"]) == 4 and sum(routing["gm_gate"]) == pytest.approx(1.0, abs=1e-5)
    assert np.array(routing["expert_logits"]).shape == (4, 6)
    reconstructed = np.array(routing["expert_logits"], dtype=np.float32).sum(0) + np.float32(routing["logit_bias"])
    np.testing.assert_allclose(reconstructed, routing["logits"], rtol=0, atol=1e-6)
    probabilities = torch.tensor(routing["logits"]).softmax(-1).tolist()
    assert probabilities == pytest.approx(list(doc["probabilities"].values()), abs=1e-6)
    assert [t["stage"] for t in routing["tkca"]] == [0, 1, 2, 3]
    for stage in routing["tkca"]:
        rows, cols = stage["grid"]
        assert len(stage["meta_to_image_topk"]) == 4
        weights = [cell["weight"] for cell in stage["meta_to_image_topk"]]
        assert weights == sorted(weights, reverse=True)
        assert all(0 <= c["row"] < rows and 0 <= c["col"] < cols for c in stage["meta_to_image_topk"])
        assert list(stage["image_to_meta"]) == PAD_UFES_20.field_names
        assert sum(stage["image_to_meta"].values()) == pytest.approx(1.0, abs=1e-5)


def test_attention_map_and_top_locations_agree(predictor, photo):
    prediction = predictor.predict(photo, RECORD)
    for stage in range(4):
        grid = prediction.attention_map(stage)
        assert grid.shape == tuple(prediction.trace.tkca[stage]["grid"])
        assert grid.sum() == pytest.approx(1.0, abs=1e-5)
        best = prediction.top_locations(stage)[0]
        assert best["weight"] == pytest.approx(float(grid.max()))


def test_batched_records_match_single_predictions(predictor, photo):
    records = [RECORD, {}, {"region": "BACK"}]
    batched = predictor.predict_records(photo, records)
    for record, together in zip(records, batched, strict=True):
        alone = predictor.predict(photo, record)
        np.testing.assert_allclose(together.probabilities, alone.probabilities, atol=1e-5)
    assert batched[1].record == dict.fromkeys(PAD_UFES_20.field_names)


def test_overrides_reach_the_model(predictor, photo):
    forced = predictor.predict(photo, RECORD, RoutingOverrides(gm_forced_expert=1))
    assert forced.trace.gm_gate[0].tolist() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"age": -3}, "age"),
        ({"age": 150}, "age"),
        ({"region": "KNEE"}, "region"),
        ({"itch": "maybe"}, "itch"),
        ({"diameter_1": -1}, "diameter_1"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_bad_records_raise_value_error(predictor, photo, record, message):
    with pytest.raises(ValueError, match=message):
        predictor.predict(photo, record)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint"):
        Predictor.from_pretrained(tmp_path / "absent")
    with pytest.raises(ValueError, match="holds no checkpoint"):
        Predictor.from_pretrained(tmp_path)


def test_run_folder_resolves_to_best(tiny_checkpoint, tmp_path):
    (tmp_path / "best").symlink_to(tiny_checkpoint, target_is_directory=True)
    assert Predictor.from_pretrained(tmp_path, device="cpu").config.image_size == 64


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "mhdf.predict", *map(str, args)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_cli_prints_the_json_document(tiny_checkpoint, photo, tmp_path, predictor):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(RECORD))
    result = run_cli(photo, "--meta", meta, "--checkpoint", tiny_checkpoint, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    expected = predictor.predict(photo, RECORD).to_dict()
    assert doc["prediction"] == expected["prediction"]
    assert doc["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-6)


@pytest.mark.slow
def test_cli_reports_bad_input(tiny_checkpoint, photo, tmp_path):
    bad_meta, good_meta = tmp_path / "bad.json", tmp_path / "good.json"
    bad_meta.write_text(json.dumps({"age": 500}))
    good_meta.write_text(json.dumps(RECORD))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    for image, meta, message in ((photo, bad_meta, "age"), (broken, good_meta, "not an image")):
        result = run_cli(image, "--meta", meta, "--checkpoint", tiny_checkpoint)
        assert result.returncode == 2 and result.stdout == ""
        assert message in result.stderr


def test_predictor_moves_to_a_device_and_keeps_its_card():
    predictor = Predictor.from_pretrained(SYNTHETIC_CHECKPOINT, device="cpu")
    assert predictor.to("cpu") is predictor and predictor.device.type == "cpu"
    assert predictor.to("auto").device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert predictor.card["name"] == predictor.name and predictor.card["synthetic_data"] is True
