"""How trustworthy a checkpoint's answers are on held-out data: calibration before and after temperature scaling,
the coverage of its conformal sets, its out-of-distribution acceptance, and accuracy per patient subgroup
(Fitzpatrick skin type, gender, age band), as reporting guidelines (CLAIM, TRIPOD+AI, CLEAR Derm) ask."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mhdf.inference.uncertainty import ConformalSets, TemperatureScaling, softmax
from training.metrics import balanced_accuracy, expected_calibration_error, reliability_bins

MIN_GROUP_SIZE = 10  # smaller subgroups are reported but marked as too small to judge
AGE_BANDS = ((40, "<40"), (60, "40-59"), (80, "60-79"), (float("inf"), ">=80"))
UNKNOWN_GROUP = "unknown"
FITZPATRICK_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI"}


def calibration_metrics(
    logits: np.ndarray, labels: np.ndarray, calibration: TemperatureScaling
) -> tuple[dict[str, Any], np.ndarray]:
    """ECE and reliability bins before and after scaling -> (report, calibrated probabilities)."""
    before, after = softmax(logits), calibration.probabilities(logits)
    report = {
        "temperature": calibration.temperature,
        "fitted_on": f"validation split ({calibration.num_samples} cases)",
        "ece_before": expected_calibration_error(labels, before),
        "ece_after": expected_calibration_error(labels, after),
        "reliability_before": reliability_bins(labels, before),
        "reliability_after": reliability_bins(labels, after),
    }
    return report, after


def conformal_metrics(probabilities: np.ndarray, labels: np.ndarray, conformal: ConformalSets) -> dict[str, Any]:
    """Empirical coverage overall and per class, and the mean set size, of the checkpoint's conformal sets."""
    sets = conformal.prediction_sets(probabilities)
    covered = np.asarray([int(label) in members for label, members in zip(labels, sets, strict=True)])
    per_class = {}
    for index, name in enumerate(conformal.classes):
        mine = labels == index
        per_class[name] = {
            "coverage": float(covered[mine].mean()) if mine.any() else None,
            "count": int(mine.sum()),
            "threshold": "overall" if name in conformal.fallback_classes else "own",
        }
    note = (
        f"{', '.join(conformal.fallback_classes)} had fewer validation cases than a {conformal.coverage:.0%} "
        "threshold of its own needs and use(s) the overall threshold"
        if conformal.fallback_classes
        else "every class has a threshold of its own"
        if conformal.mode == "class-conditional"
        else "one threshold for all classes"
    )
    return {
        "coverage_target": conformal.coverage,
        "mode": conformal.mode,
        "empirical_coverage": float(covered.mean()),
        "mean_set_size": float(np.mean([len(members) for members in sets])),
        "per_class": per_class,
        "fallback_classes": list(conformal.fallback_classes),
        "note": note,
    }


def age_band(age: float | None) -> str:
    if age is None:
        return UNKNOWN_GROUP
    return next(name for upper, name in AGE_BANDS if age < upper)


def patient_groups(records: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Per PAD-UFES-20 record its Fitzpatrick type (I-VI), gender and age band; unknown values form a group."""
    return {
        "fitzpatrick": [FITZPATRICK_ROMAN.get(r.get("fitspatrick"), UNKNOWN_GROUP) for r in records],
        "gender": [(r.get("gender") or UNKNOWN_GROUP).lower() for r in records],
        "age_band": [age_band(r.get("age")) for r in records],
    }


def subgroup_metrics(labels: np.ndarray, predicted: np.ndarray, groups: Mapping[str, Sequence[str]]) -> dict:
    """{attribute: {group: {balanced_accuracy, accuracy, count, too_small}}}; groups under MIN_GROUP_SIZE cases
    are marked too small to judge."""
    report: dict[str, dict[str, Any]] = {}
    for attribute, values in groups.items():
        values = np.asarray(values)
        report[attribute] = {}
        for group in sorted(set(values.tolist()), key=lambda g: (g == UNKNOWN_GROUP, g)):
            mine = values == group
            report[attribute][group] = {
                "balanced_accuracy": float(balanced_accuracy(labels[mine], predicted[mine])),
                "accuracy": float((labels[mine] == predicted[mine]).mean()),
                "count": int(mine.sum()),
                "too_small": bool(mine.sum() < MIN_GROUP_SIZE),
            }
    return report
