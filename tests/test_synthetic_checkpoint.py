"""The bundled synthetic-photo checkpoint (assets/demo-synthetic): what its card claims is what it does on the held-out
synthetic fold."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mhdf import MHDFNet
from mhdf.inference.checkpoint import read_examples, read_similar_cases
from tests.helpers import assert_same_up_to_float32_kernels
from training import evaluate
from training.data.pad_ufes_20 import PAD_UFES_20_METADATA
from training.routing_atlas import LC_PATHS
from training.synthetic.photos import generate_for_records

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo-synthetic"
MAX_CHECKPOINT_BYTES = 20 * 2**20


@pytest.fixture(scope="module")
def card():
    return json.loads((DEMO / "model_card.json").read_text())


def test_the_checkpoint_is_small_synthetic_and_says_it_is_not_for_clinical_use(card):
    size = sum((DEMO / name).stat().st_size for name in ("config.json", "model.safetensors"))
    assert size <= MAX_CHECKPOINT_BYTES
    config = MHDFNet.from_pretrained(DEMO).config
    assert config.synthetic_data is True
    assert config.training_data.startswith("synthetic photos, real PAD-UFES-20 clinical records")
    assert card["synthetic_data"] is True and card["training_data"] == config.training_data
    assert "not for clinical use" in card["not_for_clinical_use"].lower()
    assert card["command"].startswith("python -m training.make_synthetic_demo")
    assert set(card["metrics"]) == {"mhdf", "image-only", "meta-only"}


def test_every_class_has_an_example_case_the_schema_accepts(card):
    schema = MHDFNet.from_pretrained(DEMO).schema
    examples = read_examples(DEMO, schema)  # validates every record against the schema
    assert {example.label for example in examples} == set(schema.classes)
    for example in examples:
        assert example.image.is_file() and all(str(value).strip() for value in example.metadata.values())


def test_the_routing_atlas_describes_the_held_out_fold(card):
    atlas = json.loads((DEMO / "routing_atlas.json").read_text())
    assert atlas["num_samples"] == card["metrics"]["mhdf"]["num_samples"]
    assert atlas["lc_gate"]["paths"] == list(LC_PATHS) and len(atlas["lc_gate"]["stages"]) == 4
    assert set(atlas["gm_gate"]["per_true_class"]) == set(atlas["classes"])


def test_the_routing_is_worth_teaching(card):
    """On the held-out fold the gates are decisive, differ between classes, and fusion pays."""
    atlas = json.loads((DEMO / "routing_atlas.json").read_text())
    classes, experts = atlas["classes"], atlas["gm_gate"]["experts"]
    # decisive: a typical case leans on one or two experts, not on all of them
    assert atlas["gate_entropy"]["gm_gate"]["mean"] <= 0.5 * math.log(experts)
    # the clinical data steer classes differently: the fused-path weight spans >= 0.2 across classes at 3+ stages
    fused = atlas["lc_gate"]["paths"].index("fused")
    spans = [
        np.ptp([stage["per_true_class"][name]["mean"][fused] for name in classes])
        for stage in atlas["lc_gate"]["stages"]
    ]
    assert sum(span >= 0.2 for span in spans) >= 3, spans
    # the experts specialise: three or more lead some class, and two classes are routed clearly apart
    gm = {name: np.array(atlas["gm_gate"]["per_true_class"][name]["mean"]) for name in classes}
    assert len({int(weights.argmax()) for weights in gm.values()}) >= 3
    assert max(0.5 * np.abs(gm[a] - gm[b]).sum() for a in classes for b in classes) >= 0.3
    # and the fused model beats each single modality by 0.10 balanced accuracy or more
    fused_bacc = card["metrics"]["mhdf"]["balanced_accuracy"]
    for baseline in ("image-only", "meta-only"):
        assert fused_bacc >= card["metrics"][baseline]["balanced_accuracy"] + 0.10, baseline


@pytest.mark.slow
def test_the_cards_balanced_accuracy_holds_on_the_regenerated_held_out_fold(card, tmp_path):
    synthetic, split = card["synthetic"], card["evaluation"]
    data = tmp_path / "data"
    records = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False)
    generate_for_records(data, records, synthetic["seed"], image_size=synthetic["image_size"])
    argv = ["--checkpoint", str(DEMO), "--data", str(data), "--dataset", split["dataset"], "--split", split["split"],
            "--fold", str(split["fold"]), "--num-folds", str(split["num_folds"]), "--split-seed",
            str(split["split_seed"]), "--val-fraction", str(split["val_fraction"]), "--out", str(tmp_path / "eval"),
            "--workers", "0", "--threads", "1", "--device", "cpu"]  # fmt: skip
    evaluate.main(evaluate.get_args_parser().parse_args(argv))
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["num_samples"] == card["metrics"]["mhdf"]["num_samples"]
    assert metrics["balanced_accuracy"] == pytest.approx(card["metrics"]["mhdf"]["balanced_accuracy"], abs=0.02)
    # the trust figures the card quotes hold on the regenerated fold too
    assert metrics["conformal"]["empirical_coverage"] == pytest.approx(card["trust"]["conformal"]["empirical_coverage"])
    assert metrics["ood"]["non_lesion_flagged"] == pytest.approx(card["trust"]["ood"]["non_lesion_flagged"])
    # the bundled similar-case index is this evaluation's (docs/similar-cases.md)
    bundled, rebuilt = read_similar_cases(DEMO), read_similar_cases(tmp_path / "eval")
    assert rebuilt.cases == bundled.cases and rebuilt.thumbnails == bundled.thumbnails
    assert np.array_equal(rebuilt.labels, bundled.labels) and np.array_equal(rebuilt.predicted, bundled.predicted)
    for name in ("lc_gate", "gm_gate", "features"):
        assert_same_up_to_float32_kernels(getattr(rebuilt, name), getattr(bundled, name))


def test_the_checkpoint_knows_when_not_to_be_trusted(card):
    """The targets of the trust issue, on the held-out fold the card reports."""
    trust = card["trust"]
    assert 0.87 <= trust["conformal"]["empirical_coverage"] <= 0.95
    assert trust["calibration"]["ece_after"] <= trust["calibration"]["ece_before"]
    assert trust["ood"]["in_distribution_acceptance"] >= 0.9
    assert trust["ood"]["non_lesion_flagged"] >= 0.9
    for name in ("calibration.json", "conformal.json", "ood.json", "ood.safetensors"):
        assert (DEMO / name).is_file(), name
    subgroups = card["subgroups"]
    assert set(subgroups) == {"fitzpatrick", "gender", "age_band"}
    for groups in subgroups.values():
        assert sum(group["count"] for group in groups.values()) == card["metrics"]["mhdf"]["num_samples"]
