"""The routing atlas: how a trained MHDF-Net routes a whole evaluation set, summarised for teaching.

`routing_atlas(...)` turns the per-sample gate weights of a traced evaluation into `routing_atlas.json`,
which the app's teaching tab reads. Schema (S fused stages, E experts, C classes; entropies in nats;
"std" is the population standard deviation; a class without samples has count 0 and null statistics)::

    {
      "classes": [C class names],
      "num_samples": N,
      "source": {...},                      # what was evaluated: checkpoint, variant, dataset, split, fold
      "lc_gate": {                          # LC-Gate weights per stage; "stages": [] for variants without it
        "paths": ["image", "fused"],
        "stages": [{
          "stage": s,
          "mean": [w_image, w_fused], "std": [w_image, w_fused],
          "per_true_class": {class: {"count": n, "mean": [2], "std": [2]}}
        }, ... S]
      },
      "gm_gate": {                          # GM-Gate weights over the E experts
        "experts": E,
        "mean": [E], "std": [E],
        "per_true_class": {class: {"count": n, "mean": [E], "std": [E]}},
        "per_predicted_class": {class: {"count": n, "mean": [E], "std": [E]}}
      },
      "expert_utilisation": {
        "mean_weight": [E],                 # average gate weight: the share of the head each expert carries
        "top1_share": [E]                   # fraction of samples whose largest gate weight is that expert
      },
      "gate_entropy": {
        "lc_gate": {"mean": [S], "std": [S], "max": ln 2},
        "gm_gate": {"mean": float, "std": float, "max": ln E}
      },
      "photo_views": {                      # multi-view checkpoints only (training.evaluate.photo_view_atlas)
        "runs": ["clinical+dermoscopic", "clinical", "dermoscopic"],
        "per_true_class": {class: {"count": n, "true_class_probability": {run: mean}}}
      }
    }

A multi-view model's LC-Gate "stages" run over its V x S blocks, view by view (`RoutingTrace.block`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mhdf.routing import LC_PATHS


def _entropy(weights: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) over the last axis of gate weights that sum to 1."""
    return -(weights * np.log(np.clip(weights, 1e-12, None))).sum(axis=-1)


def _stats(values: np.ndarray) -> dict[str, Any]:
    """count, mean and std over the first axis (null statistics for no samples)."""
    if len(values) == 0:
        return {"count": 0, "mean": None, "std": None}
    return {"count": len(values), "mean": values.mean(axis=0).tolist(), "std": values.std(axis=0).tolist()}


def _per_class(values: np.ndarray, groups: np.ndarray, classes: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {name: _stats(values[groups == i]) for i, name in enumerate(classes)}


def routing_atlas(
    lc_gate: np.ndarray,
    gm_gate: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray,
    classes: Sequence[str],
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """(N, S, 2) LC-Gate weights, (N, E) GM-Gate weights, (N,) true and predicted class indices -> the atlas."""
    lc_gate, gm_gate = np.asarray(lc_gate, dtype=np.float64), np.asarray(gm_gate, dtype=np.float64)
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    num_samples, num_stages = lc_gate.shape[:2]
    if not (len(gm_gate) == len(labels) == len(predicted) == num_samples) or num_samples == 0:
        raise ValueError("the routing atlas needs the same, non-zero number of samples in every input")
    experts = gm_gate.shape[1]
    lc_entropy = _entropy(lc_gate)  # (N, S)
    gm_entropy = _entropy(gm_gate)  # (N,)
    return {
        "classes": list(classes),
        "num_samples": int(num_samples),
        "source": dict(source or {}),
        "lc_gate": {
            "paths": list(LC_PATHS),
            "stages": [
                {
                    "stage": stage,
                    "mean": lc_gate[:, stage].mean(axis=0).tolist(),
                    "std": lc_gate[:, stage].std(axis=0).tolist(),
                    "per_true_class": _per_class(lc_gate[:, stage], labels, classes),
                }
                for stage in range(num_stages)
            ],
        },
        "gm_gate": {
            "experts": int(experts),
            "mean": gm_gate.mean(axis=0).tolist(),
            "std": gm_gate.std(axis=0).tolist(),
            "per_true_class": _per_class(gm_gate, labels, classes),
            "per_predicted_class": _per_class(gm_gate, predicted, classes),
        },
        "expert_utilisation": {
            "mean_weight": gm_gate.mean(axis=0).tolist(),
            "top1_share": (np.bincount(gm_gate.argmax(axis=1), minlength=experts) / num_samples).tolist(),
        },
        "gate_entropy": {
            "lc_gate": {
                "mean": lc_entropy.mean(axis=0).tolist(),
                "std": lc_entropy.std(axis=0).tolist(),
                "max": math.log(len(LC_PATHS)),
            },
            "gm_gate": {"mean": float(gm_entropy.mean()), "std": float(gm_entropy.std()), "max": math.log(experts)},
        },
    }
