"""training.evaluate: metrics against scikit-learn, the routing atlas, the similar-case index, the evaluation CLI and
--folds all."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from mhdf import MHDFConfig, MHDFNet
from mhdf.inference.checkpoint import read_similar_cases
from mhdf.inference.similar import THUMBNAIL_SIZE
from tests.helpers import write_derm7pt
from training import evaluate
from training.metrics import classification_metrics, expected_calibration_error, summarize
from training.routing_atlas import routing_atlas

CLASSES = ["A", "B", "C"]


@pytest.fixture
def known_predictions():
    rng = np.random.default_rng(0)
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    logits = rng.normal(size=(len(labels), 3)) + 2.0 * np.eye(3)[labels]
    return labels, np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


def test_metrics_match_scikit_learn(known_predictions):
    labels, probabilities = known_predictions
    predicted = probabilities.argmax(1)
    metrics = classification_metrics(labels, probabilities, CLASSES)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(labels, predicted))
    assert metrics["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(labels, predicted))
    assert metrics["macro_f1"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert metrics["auc"] == pytest.approx(roc_auc_score(labels, probabilities, multi_class="ovr"))
    assert metrics["confusion_matrix"] == confusion_matrix(labels, predicted).tolist()
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted)
    for i, name in enumerate(CLASSES):
        per_class = metrics["per_class"][name]
        assert (per_class["precision"], per_class["recall"]) == pytest.approx((precision[i], recall[i]))
        assert per_class["f1"] == pytest.approx(f1[i]) and per_class["support"] == support[i]
    assert metrics["num_samples"] == 12 and sum(metrics["reliability"]["count"]) == 12


def test_ece_on_a_hand_computed_case():
    # Two samples at confidence 0.9 (one right) and two at 0.6 (both right): |0.5-0.9|/2 + |1-0.6|/2 = 0.4.
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 1])
    assert expected_calibration_error(labels, probabilities) == pytest.approx(0.4)
    assert expected_calibration_error(np.array([0, 1]), np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(0.0)


def test_auc_skips_a_class_absent_from_the_labels(known_predictions):
    labels, probabilities = known_predictions
    present = labels != 1
    metrics = classification_metrics(labels[present], probabilities[present], CLASSES)
    assert metrics["per_class"]["B"]["auc"] is None and metrics["per_class"]["B"]["support"] == 0
    expected = np.mean([roc_auc_score(labels[present] == c, probabilities[present][:, c]) for c in (0, 2)])
    assert metrics["auc"] == pytest.approx(expected)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="probabilities"):
        classification_metrics([0, 1], np.ones((3, 3)) / 3, CLASSES)


def test_routing_atlas_statistics_and_keys():
    lc_gate = np.array([[[0.8, 0.2], [0.5, 0.5]], [[0.6, 0.4], [0.5, 0.5]], [[0.4, 0.6], [0.1, 0.9]]])
    gm_gate = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]])
    atlas = routing_atlas(lc_gate, gm_gate, labels=np.array([0, 0, 1]), predicted=np.array([0, 1, 1]),
                          classes=CLASSES, source={"split": "test"})  # fmt: skip
    assert set(atlas) == {"classes", "num_samples", "source", "lc_gate", "gm_gate", "expert_utilisation",
                          "gate_entropy"}  # fmt: skip
    stage0 = atlas["lc_gate"]["stages"][0]
    assert stage0["mean"] == pytest.approx([0.6, 0.4]) and stage0["std"] == pytest.approx([np.std([0.8, 0.6, 0.4])] * 2)
    assert stage0["per_true_class"]["A"] == {
        "count": 2,
        "mean": pytest.approx([0.7, 0.3]),
        "std": pytest.approx([0.1] * 2),
    }
    assert stage0["per_true_class"]["C"] == {"count": 0, "mean": None, "std": None}
    gm = atlas["gm_gate"]
    assert gm["per_true_class"]["A"]["mean"] == pytest.approx([0.4, 0.5, 0.1])
    assert gm["per_predicted_class"]["B"]["mean"] == pytest.approx([0.35, 0.55, 0.1])
    assert atlas["expert_utilisation"]["top1_share"] == pytest.approx([2 / 3, 1 / 3, 0])
    assert atlas["expert_utilisation"]["mean_weight"] == pytest.approx(gm_gate.mean(0))
    entropy = atlas["gate_entropy"]
    assert entropy["lc_gate"]["max"] == pytest.approx(math.log(2)) and entropy["gm_gate"]["max"] == pytest.approx(
        math.log(3)
    )
    assert entropy["lc_gate"]["mean"][1] == pytest.approx(
        (2 * math.log(2) - 0.1 * math.log(0.1) - 0.9 * math.log(0.9)) / 3
    )
    json.dumps(atlas)  # JSON-ready as it is


def test_summary_is_mean_and_std_over_folds():
    per_fold = {0: {"accuracy": 0.5, "auc": None}, 1: {"accuracy": 0.7, "auc": 0.9}}
    summary = summarize(per_fold)
    assert summary["metrics"]["accuracy"]["mean"] == pytest.approx(0.6)
    assert summary["metrics"]["accuracy"]["std"] == pytest.approx(0.1)
    assert summary["metrics"]["auc"] == {"mean": 0.9, "std": 0.0, "per_fold": {"0": None, "1": 0.9}}


def run_evaluate(*argv):
    evaluate.main(evaluate.get_args_parser().parse_args([*argv, "--workers", "0", "--threads", "1"]))


@pytest.mark.slow
def test_evaluating_a_run_writes_metrics_figures_atlas_and_predictions(trained_run, synthetic_data, tmp_path):
    out = tmp_path / "eval"
    run_evaluate("--checkpoint", str(trained_run / "best"), "--data", str(synthetic_data), "--dataset", "pad-ufes-20",
                 "--fold", "0", "--out", str(out))  # fmt: skip
    written = {p.name for p in out.iterdir()}
    assert written == {"metrics.json", "routing_atlas.json", "predictions.csv", "confusion_matrix.png",
                       "reliability_diagram.png", "reliability_diagram_uncalibrated.png", "roc_curves.png",
                       "similar_cases.safetensors"}  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    splits = pd.read_csv(trained_run / "splits.csv")
    test_ids = set(splits.loc[splits["split"] == "test", "img_id"])
    predictions = pd.read_csv(out / "predictions.csv")
    assert set(predictions["img_id"]) == test_ids and metrics["num_samples"] == len(test_ids)
    probabilities = predictions[[f"p_{c}" for c in metrics["classes"]]].to_numpy()
    labels = predictions["label"].map(metrics["classes"].index).to_numpy()
    recomputed = classification_metrics(labels, probabilities, metrics["classes"])
    assert metrics["balanced_accuracy"] == pytest.approx(recomputed["balanced_accuracy"])
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "auc", "ece", "per_class", "confusion_matrix"):
        assert key in metrics
    assert metrics["fold"] == 0 and metrics["split"] == "test" and metrics["synthetic_data"] is True
    atlas = json.loads((out / "routing_atlas.json").read_text())
    assert atlas["num_samples"] == len(test_ids) and len(atlas["lc_gate"]["stages"]) == 4
    assert sum(atlas["expert_utilisation"]["top1_share"]) == pytest.approx(1.0)
    index = read_similar_cases(out)  # one row per evaluated case, in predictions.csv's order
    assert index.cases == predictions["img_id"].tolist() and index.classes == metrics["classes"]
    assert [index.classes[i] for i in index.labels] == predictions["label"].tolist()
    assert [index.classes[i] for i in index.predicted] == predictions["predicted"].tolist()
    assert index.lc_gate.shape == (len(test_ids), 4, 2) and np.allclose(index.lc_gate.sum(-1), 1, atol=1e-5)
    assert np.allclose(index.gm_gate.sum(-1), 1, atol=1e-5) and index.features.shape[0] == len(test_ids)
    assert index.source.split == "test" and index.source.synthetic is True
    assert all(max(Image.open(io.BytesIO(t)).size) <= THUMBNAIL_SIZE for t in index.thumbnails)
    with pytest.raises(ValueError, match="held out"):
        run_evaluate("--checkpoint", str(trained_run / "best"), "--data", str(synthetic_data), "--dataset",
                     "pad-ufes-20", "--fold", "1", "--out", str(tmp_path / "wrong"))  # fmt: skip


@pytest.mark.slow
def test_folds_all_reports_mean_and_std_over_the_folds(synthetic_data, tmp_path):
    for fold in range(3):
        torch.manual_seed(fold)
        config = MHDFConfig(backbone="mobilenetv3_small_050", image_size=32, token_dim=16, num_heads=2)
        MHDFNet(config).save_pretrained(tmp_path / f"fold{fold}" / "best")
    out = tmp_path / "eval"
    run_evaluate("--checkpoint", str(tmp_path / "fold{fold}" / "best"), "--folds", "all", "--num-folds", "3",
                 "--data", str(synthetic_data), "--dataset", "pad-ufes-20", "--out", str(out))  # fmt: skip
    per_fold = [json.loads((out / f"fold{k}" / "metrics.json").read_text()) for k in range(3)]
    assert sum(m["num_samples"] for m in per_fold) == 120  # the three test folds cover the data once
    summary = json.loads((out / "summary.json").read_text())
    bacc = [m["balanced_accuracy"] for m in per_fold]
    assert summary["metrics"]["balanced_accuracy"]["mean"] == pytest.approx(np.mean(bacc))
    assert summary["metrics"]["balanced_accuracy"]["std"] == pytest.approx(np.std(bacc))
    with pytest.raises(ValueError, match="placeholder"):
        run_evaluate("--checkpoint", str(tmp_path / "fold0" / "best"), "--folds", "all", "--data",
                     str(synthetic_data), "--dataset", "pad-ufes-20", "--out", str(out))  # fmt: skip


def test_a_checkpoint_for_another_dataset_is_refused(tiny_checkpoint, tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    with pytest.raises(ValueError, match="trained for pad-ufes-20"):
        run_evaluate("--checkpoint", str(tiny_checkpoint), "--data", str(release), "--dataset", "derm7pt",
                     "--out", str(tmp_path / "eval"))  # fmt: skip
