"""The files a training run and an evaluation write, by name: one place for every path the training tools share.

RUN_DIR/                    `training.train --out`
    args.json               the resolved arguments (a resumed run must keep them)
    splits.csv              which image served for training, validation and test
    log.csv                 one row per epoch
    checkpoint.pth          the latest epoch, to resume from
    best/                   the selected checkpoint folder (`mhdf.inference.checkpoint`)
EVAL_DIR/                   `training.evaluate --out`
    metrics.json, predictions.csv, routing_atlas.json, figures; summary.json over several folds
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mhdf.inference.checkpoint import RUN_BEST_DIR

ARGS_NAME = "args.json"
SPLITS_NAME = "splits.csv"
LOG_NAME = "log.csv"
CHECKPOINT_NAME = "checkpoint.pth"
METRICS_NAME = "metrics.json"
PREDICTIONS_NAME = "predictions.csv"
SUMMARY_NAME = "summary.json"


@dataclass(frozen=True)
class RunFolder:
    """A training run's folder and the files in it."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def args(self) -> Path:
        return self.path / ARGS_NAME

    @property
    def splits(self) -> Path:
        return self.path / SPLITS_NAME

    @property
    def log(self) -> Path:
        return self.path / LOG_NAME

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_NAME

    @property
    def best(self) -> Path:
        return self.path / RUN_BEST_DIR


@dataclass(frozen=True)
class EvalFolder:
    """An evaluation's output folder and the files in it (the routing atlas is named by the checkpoint module)."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def metrics(self) -> Path:
        return self.path / METRICS_NAME

    @property
    def predictions(self) -> Path:
        return self.path / PREDICTIONS_NAME

    @property
    def summary(self) -> Path:
        return self.path / SUMMARY_NAME
