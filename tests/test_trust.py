"""Calibration, conformal sets and the out-of-distribution score: the fits against known answers, the files'
round trip, the JSON contract, that the test fold is never read, and what training.evaluate reports."""

import json

import numpy as np
import pytest

from mhdf.inference import Predictor
from mhdf.inference.checkpoint import read_trust, write_trust
from mhdf.inference.uncertainty import (
    ConformalSets,
    TrustFiles,
    conformal_quantile,
    fit_conformal,
    fit_mahalanobis,
    fit_temperature,
    softmax,
)
from training import evaluate, trust
from training.data.registry import load_source
from training.engine import read_splits_csv, runtime_session
from training.real_shift import KINDS as REAL_KINDS
from training.synthetic.non_lesion import KINDS, non_lesion_images
from training.synthetic.photo_shift import KINDS as SHIFT_KINDS

UNCERTAINTY_KEYS = {"calibrated", "temperature", "prediction_set", "set_coverage", "ood", "synthetic_model_own_photo",
                    "own_photo"}  # fmt: skip


def sampled_logits(rng, n, classes=4, temperature=2.5):
    """Logits whose labels are drawn from softmax(logits / temperature): the NLL-optimal temperature is known."""
    logits = rng.normal(0, 3, (n, classes))
    probabilities = softmax(logits, temperature)
    labels = np.array([rng.choice(classes, p=p) for p in probabilities])
    return logits, labels


def test_temperature_scaling_recovers_the_true_temperature():
    logits, labels = sampled_logits(np.random.default_rng(0), 4000)
    fitted = fit_temperature(logits, labels)
    assert fitted.temperature == pytest.approx(2.5, rel=0.1) and fitted.num_samples == 4000
    assert (fitted.probabilities(logits).argmax(1) == logits.argmax(1)).all()  # ranking unchanged


def test_conformal_quantile_needs_enough_cases():
    assert conformal_quantile(np.arange(8.0), 0.9) is None  # ceil(9 * 0.9) = 9 > 8
    assert conformal_quantile(np.arange(9.0), 0.9) == 8.0
    assert conformal_quantile(np.arange(19.0), 0.9) == 17.0  # ceil(20 * 0.9) = 18th smallest


def test_conformal_sets_cover_at_the_stated_rate_and_fall_back_for_rare_classes():
    rng = np.random.default_rng(1)
    logits, labels = sampled_logits(rng, 6000, temperature=1.0)
    labels[:3000][labels[:3000] == 3] = 0  # class 3 is rare in the calibration half
    labels[:5] = 3  # 5 calibration cases of class 3: too few for a 90 % threshold of its own
    probabilities = softmax(logits)
    classes = ["A", "B", "C", "D"]
    sets = fit_conformal(probabilities[:3000], labels[:3000], classes, 0.9, "class-conditional")
    assert sets.fallback_classes == ["D"] and sets.thresholds[3] == sets.overall_threshold
    test_sets = sets.prediction_sets(probabilities[3000:])
    covered = np.mean([label in members for label, members in zip(labels[3000:], test_sets, strict=True)])
    assert 0.87 <= covered <= 0.95
    assert all(members for members in test_sets)
    assert all(
        members == sorted(members, key=lambda c: -row[c])
        for row, members in zip(probabilities[3000:], test_sets, strict=True)
    )
    marginal = fit_conformal(probabilities[:3000], labels[:3000], classes, 0.9, "marginal")
    assert marginal.fallback_classes == [] and len(set(marginal.thresholds)) == 1
    with pytest.raises(ValueError, match="too few"):
        fit_conformal(probabilities[:5], labels[:5], classes, 0.9)


def test_mahalanobis_score_flags_features_far_out_at_any_stage():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 900)
    means = [rng.normal(0, 5, (3, 16)), rng.normal(0, 5, (3, 8))]
    stages = [m[labels] + rng.normal(0, 1, (900, m.shape[1])) for m in means]
    detector = fit_mahalanobis(
        [f[:600] for f in stages], labels[:600], 3, [f[600:750] for f in stages], acceptance=0.95
    )
    assert detector.threshold == 1.0 and len(detector.stages) == 2
    accepted = (detector.scores([f[750:] for f in stages]) <= detector.threshold).mean()
    assert accepted >= 0.85
    held_out = [f[750:800] for f in stages]
    for far_stage in range(2):  # far out at one stage only is enough
        shifted = [f + (40 if s == far_stage else 0) for s, f in enumerate(held_out)]
        assert (detector.scores(shifted) > detector.threshold).all()


def test_trust_files_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    logits, labels = sampled_logits(rng, 300)
    features = [rng.normal(0, 1, (300, 8)), rng.normal(0, 1, (300, 4))]
    written = TrustFiles(
        fit_temperature(logits, labels),
        fit_conformal(softmax(logits), labels, ["A", "B", "C", "D"]),
        fit_mahalanobis([f[:200] for f in features], labels[:200], 4, [f[200:] for f in features]),
    )
    write_trust(tmp_path, written)
    read = read_trust(tmp_path)
    assert read.calibration == written.calibration and read.conformal == written.conformal
    np.testing.assert_allclose(read.ood.scores(features), written.ood.scores(features), rtol=1e-4)
    assert [s.threshold for s in read.ood.stages] == [s.threshold for s in written.ood.stages]
    assert read_trust(tmp_path / "nothing") == TrustFiles()


def test_a_checkpoint_without_trust_files_reports_nulls(tiny_checkpoint):
    predictor = Predictor.from_pretrained(tiny_checkpoint, device="cpu")
    document = predictor.predict(np.zeros((64, 64, 3), np.uint8), {"age": 50}).to_dict()
    assert document["uncertainty"] == {
        "calibrated": False, "temperature": None, "prediction_set": None, "set_coverage": None, "ood": None,
        "synthetic_model_own_photo": None,  # the folder has no model card to say what its photos were
        "own_photo": True,  # a photo, and none of its examples (it has none)
    }  # fmt: skip
    assert sum(document["probabilities"].values()) == pytest.approx(1.0)


def test_a_trained_run_predicts_with_calibrated_probabilities_sets_and_ood(trained_run):
    best = trained_run / "best"
    for name in ("calibration.json", "conformal.json", "ood.json", "ood.safetensors"):
        assert (best / name).is_file(), name
    predictor = Predictor.from_pretrained(best, device="cpu")
    photo = np.full((32, 32, 3), 128, np.uint8)
    prediction = predictor.predict(photo, {"age": 50})
    document = prediction.to_dict()
    uncertainty = document["uncertainty"]
    assert set(uncertainty) == UNCERTAINTY_KEYS and uncertainty["calibrated"] is True
    expected = softmax(prediction.logits[None], uncertainty["temperature"])[0]
    np.testing.assert_allclose(list(document["probabilities"].values()), expected, atol=1e-9)
    assert uncertainty["prediction_set"][0] == document["prediction"] and uncertainty["set_coverage"] == 0.9
    assert set(uncertainty["ood"]) == {"score", "threshold", "in_distribution"}
    assert uncertainty["ood"]["in_distribution"] == (uncertainty["ood"]["score"] <= uncertainty["ood"]["threshold"])
    json.dumps(document)


def test_fitting_never_reads_the_test_fold(trained_run, synthetic_data, monkeypatch):
    source = load_source("pad-ufes-20", synthetic_data)
    split, _ = read_splits_csv(trained_run / "splits.csv", source)
    read_indices = []
    original = trust.split_dataset

    def recording(source, indices, *args):
        read_indices.extend(np.asarray(indices).tolist())
        return original(source, indices, *args)

    monkeypatch.setattr(trust, "split_dataset", recording)
    from mhdf import MHDFNet

    model = MHDFNet.from_pretrained(str(trained_run / "best"))
    with runtime_session("cpu", 1) as runtime:
        fitted = trust.fit_trust(model, source, split, runtime)
    assert set(read_indices) == set(split.train) | set(split.val)
    assert not set(read_indices) & set(split.test.tolist())
    assert fitted.calibration.num_samples == len(split.val) and fitted.ood.num_samples == len(split.train)


def test_non_lesion_images_are_generated_deterministically():
    images = non_lesion_images(per_kind=2, size=48, seed=5)
    assert [kind for kind, _ in images] == [kind for kind in KINDS for _ in range(2)]
    assert all(image.size == (48, 48) and image.mode == "RGB" for _, image in images)
    again = non_lesion_images(per_kind=2, size=48, seed=5)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for (_, a), (_, b) in zip(images, again, strict=True))


def test_evaluate_reports_calibration_coverage_ood_and_subgroups(trained_run, synthetic_data, tmp_path):
    out = tmp_path / "eval"
    evaluate.main(evaluate.get_args_parser().parse_args([
        "--checkpoint", str(trained_run / "best"), "--data", str(synthetic_data), "--dataset", "pad-ufes-20",
        "--fold", "0", "--out", str(out), "--workers", "0", "--threads", "1",
    ]))  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["calibrated"] is True
    calibration = metrics["calibration"]
    assert calibration["ece_after"] == pytest.approx(metrics["ece"])
    assert {"ece_before", "reliability_before", "reliability_after"} <= set(calibration)
    conformal = metrics["conformal"]
    assert 0 <= conformal["empirical_coverage"] <= 1 and 1 <= conformal["mean_set_size"] <= len(metrics["classes"])
    assert set(conformal["per_class"]) == set(metrics["classes"])
    for name in conformal["fallback_classes"]:
        assert conformal["per_class"][name]["threshold"] == "overall" and name in conformal["note"]
    ood = metrics["ood"]
    assert 0 <= ood["in_distribution_acceptance"] <= 1 and ood["num_non_lesion"] == 10 * len(KINDS)
    assert set(ood["non_lesion_flagged_per_kind"]) == set(KINDS)
    assert set(ood["photo_shift_flagged_per_kind"]) == set(SHIFT_KINDS)
    assert ood["num_photo_shift"] == evaluate.SHIFT_PER_KIND * len(SHIFT_KINDS)
    rates = list(ood["photo_shift_flagged_per_kind"].values())
    assert all(0 <= rate <= 1 for rate in rates) and ood["photo_shift_flagged"] == pytest.approx(np.mean(rates))
    # the photo-quality check beside the score: per kind, the real photos' degraded copies too (no masks here: no
    # lesion-free corner), and the test photos passing it (32-px synthetic photos are all too small)
    real_kinds = set(REAL_KINDS) - {"real lesion-free corner"}
    assert set(ood["flag_rates_per_kind"]) == set(KINDS) | set(SHIFT_KINDS) | real_kinds
    for kind, shares in ood["flag_rates_per_kind"].items():
        assert max(shares["quality"], shares["ood"]) <= shares["either"] <= shares["quality"] + shares["ood"]
        if kind in SHIFT_KINDS:
            assert shares["ood"] == ood["photo_shift_flagged_per_kind"][kind]
    assert ood["both_acceptance"] <= min(ood["quality_acceptance"], ood["in_distribution_acceptance"])
    assert ood["quality_acceptance"] == 0.0
    subgroups = metrics["subgroups"]
    assert set(subgroups) == {"fitzpatrick", "gender", "age_band"}
    for groups in subgroups.values():
        assert sum(group["count"] for group in groups.values()) == metrics["num_samples"]
        assert all(group["too_small"] == (group["count"] < 10) for group in groups.values())
    assert set(subgroups["age_band"]) <= {"<40", "40-59", "60-79", ">=80", "unknown"}


def test_conformal_sets_round_trip_through_json():
    sets = ConformalSets(0.9, "marginal", ["A", "B"], 0.5, [0.5, 0.5], [], 20)
    assert ConformalSets(**json.loads(json.dumps(sets.__dict__))) == sets
    assert sets.prediction_sets(np.array([[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]])) == [[0, 1], [0], [1]]
    strict = ConformalSets(0.9, "marginal", ["A", "B"], 0.2, [0.2, 0.2], [], 20)
    assert strict.prediction_sets(np.array([[0.6, 0.4]])) == [[0]]  # no class qualifies: the top class
