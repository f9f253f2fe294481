"""Classification metrics of a set of predictions (scikit-learn), calibration, and summaries over folds.

`classification_metrics(labels, probabilities, classes)` is the one place where accuracy, balanced
accuracy, macro-F1, AUC and ECE are computed, for the validation of every training epoch and for
`training.evaluate` alike.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

CALIBRATION_BINS = 15  # the usual ECE binning (Guo et al., 2017)
SCALAR_METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "auc", "ece")


def one_vs_rest_auc(labels: np.ndarray, probabilities: np.ndarray) -> list[float | None]:
    """ROC AUC of each class against the rest; None for a class with no positive or no negative sample."""
    aucs: list[float | None] = []
    for cls in range(probabilities.shape[1]):
        positive = labels == cls
        aucs.append(float(roc_auc_score(positive, probabilities[:, cls])) if 0 < positive.sum() < len(labels) else None)
    return aucs


def macro_auc(labels: np.ndarray, probabilities: np.ndarray) -> float | None:
    """Macro one-vs-rest ROC AUC over the classes present in `labels`.

    Equals `roc_auc_score(labels, probabilities, multi_class="ovr")` when every class is present; unlike it, a
    validation fold without any MEL (52 of PAD-UFES-20's 2,298 images) still gets an AUC of the others.
    """
    defined = [auc for auc in one_vs_rest_auc(labels, probabilities) if auc is not None]
    return float(np.mean(defined)) if defined else None


def reliability_bins(labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, list]:
    """Top-1 confidence against accuracy in `bins` equal-width confidence bins (empty bins: None)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    # right-closed bins, so a confidence of exactly 1.0 falls in the last one
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    mean_confidence, accuracy = [], []
    for b in range(bins):
        members = which == b
        mean_confidence.append(float(confidence[members].mean()) if counts[b] else None)
        accuracy.append(float(correct[members].mean()) if counts[b] else None)
    return {"edges": edges.tolist(), "count": counts.tolist(), "confidence": mean_confidence, "accuracy": accuracy}


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """ECE: the count-weighted mean gap between top-1 confidence and accuracy over confidence bins."""
    table = reliability_bins(labels, probabilities, bins)
    gaps = [
        count * abs(acc - conf)
        for count, acc, conf in zip(table["count"], table["accuracy"], table["confidence"], strict=True)
        if count
    ]
    return float(sum(gaps) / len(labels))


def classification_metrics(labels: Sequence[int], probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """(N,) integer labels and (N, C) class probabilities -> the metrics document of `metrics.json`.

    Keys: accuracy, balanced_accuracy, macro_f1, auc (macro one-vs-rest), ece, per_class (precision,
    recall, f1, support, auc per class name), confusion_matrix (rows: true class, columns: predicted),
    reliability (the bins behind the ECE), num_samples, classes. Undefined values are None.
    """
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape != (len(labels), len(classes)):
        raise ValueError(f"expected ({len(labels)}, {len(classes)}) probabilities, got {probabilities.shape}")
    if len(labels) == 0:
        raise ValueError("cannot compute metrics of an empty set of predictions")
    predicted = probabilities.argmax(axis=1)
    everything = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=everything, zero_division=0
    )
    aucs = one_vs_rest_auc(labels, probabilities)
    return {
        "num_samples": len(labels),
        "classes": list(classes),
        "accuracy": float(accuracy_score(labels, predicted)),
        # over the classes present in `labels`, as scikit-learn defines it
        "balanced_accuracy": float(balanced_accuracy(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, labels=everything, average="macro", zero_division=0)),
        "auc": macro_auc(labels, probabilities),
        "ece": expected_calibration_error(labels, probabilities),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
                "auc": aucs[i],
            }
            for i, name in enumerate(classes)
        },
        "confusion_matrix": confusion_matrix(labels, predicted, labels=everything).tolist(),
        "reliability": reliability_bins(labels, probabilities),
    }


def balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    with warnings.catch_warnings():
        # predictions of a class that is absent from `labels` are errors, which is all this warning says
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true", category=UserWarning)
        return balanced_accuracy_score(labels, predicted)


def summarize(metrics_per_fold: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation (numpy's, ddof=0) over folds of every scalar metric; undefined values
    (a fold without an AUC) are left out of that metric's statistics."""
    summary: dict[str, Any] = {"folds": sorted(metrics_per_fold), "metrics": {}}
    for name in SCALAR_METRICS:
        values = {fold: metrics_per_fold[fold].get(name) for fold in sorted(metrics_per_fold)}
        defined = [v for v in values.values() if v is not None and not math.isnan(v)]
        summary["metrics"][name] = {
            "mean": float(np.mean(defined)) if defined else None,
            "std": float(np.std(defined)) if defined else None,
            "per_fold": {str(fold): value for fold, value in values.items()},
        }
    return summary


def format_summary(summary: Mapping[str, Any]) -> str:
    """One line per metric: `balanced_accuracy  0.812 ± 0.021  (5 folds)`."""
    lines = []
    for name, stats in summary["metrics"].items():
        if stats["mean"] is None:
            lines.append(f"{name:<18} undefined")
        else:
            defined = sum(v is not None for v in stats["per_fold"].values())
            lines.append(f"{name:<18} {stats['mean']:.4f} ± {stats['std']:.4f}  ({defined} folds)")
    return "\n".join(lines)
