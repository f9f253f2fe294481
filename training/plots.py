"""Evaluation figures: confusion matrix, reliability diagram, ROC curves (matplotlib Figure objects, no pyplot,
so they are safe in servers and threads)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import auc, roc_curve


def confusion_matrix_figure(matrix: Sequence[Sequence[int]], classes: Sequence[str]) -> Figure:
    """Counts, coloured by the share of each true class (row), so rare classes are as visible as common ones."""
    counts = np.asarray(matrix)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure = Figure(figsize=(1.0 + 0.8 * len(classes), 0.6 + 0.8 * len(classes)), layout="constrained")
    ax = figure.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(counts):
        ax.text(col, row, f"{count}\n{shares[row, col]:.0%}", ha="center", va="center", fontsize=8,
                color="white" if shares[row, col] > 0.6 else "black")  # fmt: skip
    ax.set(xticks=range(len(classes)), yticks=range(len(classes)), xticklabels=classes, yticklabels=classes)
    ax.set(xlabel="predicted class", ylabel="true class", title="Confusion matrix")
    figure.colorbar(image, ax=ax, label="share of the true class", shrink=0.8)
    return figure


def reliability_figure(reliability: Mapping[str, Any], ece: float) -> Figure:
    """Accuracy against confidence per bin (bars) beside the diagonal of perfect calibration."""
    edges = np.asarray(reliability["edges"])
    centres, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    accuracy = np.array([np.nan if a is None else a for a in reliability["accuracy"]])
    confidence = np.array([np.nan if c is None else c for c in reliability["confidence"]])
    figure = Figure(figsize=(5, 5.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.bar(centres, np.nan_to_num(accuracy), width=width, edgecolor="black", color="tab:blue", label="accuracy")
    top.bar(centres, np.nan_to_num(confidence - accuracy), bottom=np.nan_to_num(accuracy), width=width,
            color="tab:red", alpha=0.3, edgecolor="tab:red", label="gap to confidence")  # fmt: skip
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.set(ylim=(0, 1), ylabel="accuracy", title=f"Reliability diagram (ECE {ece:.3f})")
    top.legend(loc="upper left")
    bottom.bar(centres, reliability["count"], width=width, color="grey", edgecolor="black")
    bottom.set(xlim=(0, 1), xlabel="top-1 confidence", ylabel="samples")
    return figure


def roc_figure(labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]) -> Figure:
    """One-vs-rest ROC curve of each class that has positives and negatives in `labels`."""
    figure = Figure(figsize=(5.5, 5), layout="constrained")
    ax = figure.add_subplot()
    for i, name in enumerate(classes):
        positive = labels == i
        if not 0 < positive.sum() < len(labels):
            continue
        fpr, tpr, _ = roc_curve(positive, probabilities[:, i])
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false positive rate", ylabel="true positive rate",
           title="ROC curves (one vs rest)")  # fmt: skip
    ax.legend(loc="lower right", fontsize=8)
    return figure
