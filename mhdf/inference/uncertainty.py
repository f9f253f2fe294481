"""When not to trust an answer: temperature scaling, split-conformal prediction sets and an out-of-distribution
score, each fitted after training on data the test fold never touches, and stored beside the checkpoint.

* `TemperatureScaling` divides the logits by one temperature fitted on the validation split (Guo et al. 2017):
  the class ranking is unchanged, the probabilities become calibrated.
* `ConformalSets` turns calibrated probabilities into a set of classes that holds the true class with a stated
  coverage (split conformal, score 1 - p(true class); Sadinle et al. 2019). The class-conditional mode gives each
  class its own threshold, so a rare class (MEL is 2 % of PAD-UFES-20) is covered as often as a common one; a
  class with too few validation cases for a threshold of its own uses the overall one.
* `MahalanobisOOD` scores how far the photo lies from the training images at every fused stage: per stage the
  smallest Mahalanobis distance of its channel statistics to a class mean under one shared, shrunk covariance
  (Lee et al. 2018), over that stage's threshold, a high percentile of the validation photos' distances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

DEFAULT_COVERAGE = 0.9
DEFAULT_ACCEPTANCE = 0.95  # share of in-distribution validation photos the OOD threshold lets through
CONFORMAL_MODES = ("class-conditional", "marginal")


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """(N, C) logits -> (N, C) probabilities of logits / temperature."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class TemperatureScaling:
    temperature: float
    num_samples: int  # validation cases it was fitted on

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits, self.temperature)


def fit_temperature(logits: np.ndarray, labels: Sequence[int]) -> TemperatureScaling:
    """The temperature in [0.05, 20] that minimises the negative log-likelihood of `labels`."""
    from scipy.optimize import minimize_scalar  # only fitting needs SciPy: a served model starts ~1 s sooner

    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)

    def nll(log_temperature: float) -> float:
        probabilities = softmax(logits, math.exp(log_temperature))
        return float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None)).mean())

    result = minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded")
    return TemperatureScaling(temperature=float(math.exp(result.x)), num_samples=len(labels))


def conformal_quantile(scores: np.ndarray, coverage: float) -> float | None:
    """The split-conformal threshold: the ceil((n + 1) * coverage)-th smallest score, None when n is too small
    for that rank to exist (n < coverage / (1 - coverage), e.g. fewer than 9 cases at 90 %)."""
    rank = math.ceil((len(scores) + 1) * coverage)
    if rank > len(scores):
        return None
    return float(np.sort(scores)[rank - 1])


@dataclass(frozen=True)
class ConformalSets:
    coverage: float
    mode: str  # "class-conditional" | "marginal"
    classes: list[str]
    overall_threshold: float
    thresholds: list[float]  # per class; the overall threshold where a class had too few cases
    fallback_classes: list[str]  # classes that use the overall threshold for lack of validation cases
    num_samples: int

    def prediction_sets(self, probabilities: np.ndarray) -> list[list[int]]:
        """(N, C) calibrated probabilities -> per case the class indices whose score 1 - p is within the class's
        threshold, most probable first. A case no class qualifies for gets its top class, so no set is empty."""
        probabilities = np.atleast_2d(probabilities)
        inside = (1.0 - probabilities) <= np.asarray(self.thresholds)[None, :]
        sets = []
        for row, members in zip(probabilities, inside, strict=True):
            order = [int(c) for c in np.argsort(-row) if members[c]]
            sets.append(order or [int(row.argmax())])
        return sets


def fit_conformal(
    probabilities: np.ndarray,
    labels: Sequence[int],
    classes: Sequence[str],
    coverage: float = DEFAULT_COVERAGE,
    mode: str = "marginal",
) -> ConformalSets:
    """Thresholds from calibrated validation probabilities (never the test fold)."""
    if mode not in CONFORMAL_MODES:
        raise ValueError(f"unknown conformal mode {mode!r}; choose one of {', '.join(CONFORMAL_MODES)}")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
    labels = np.asarray(labels, dtype=np.int64)
    scores = 1.0 - np.asarray(probabilities)[np.arange(len(labels)), labels]
    overall = conformal_quantile(scores, coverage)
    if overall is None:
        raise ValueError(f"{len(labels)} validation cases are too few for {coverage:.0%} conformal sets")
    thresholds, fallback = [], []
    for index, name in enumerate(classes):
        own = conformal_quantile(scores[labels == index], coverage) if mode == "class-conditional" else overall
        if own is None:
            fallback.append(name)
        thresholds.append(overall if own is None else own)
    return ConformalSets(
        coverage=coverage,
        mode=mode,
        classes=list(classes),
        overall_threshold=overall,
        thresholds=thresholds,
        fallback_classes=fallback,
        num_samples=len(labels),
    )


@dataclass
class StageMahalanobis:
    """The Mahalanobis distance of one stage's features to the nearest class mean of the training photos."""

    means: np.ndarray  # (C, D) class means
    precision: np.ndarray  # (D, D) inverse of the shared, Ledoit-Wolf-shrunk covariance
    threshold: float  # distances above it are unlike the training photos at this stage

    def distances(self, features: np.ndarray) -> np.ndarray:
        """(N, D) -> (N,) distance to the nearest class mean, in standard deviations."""
        centred = np.asarray(features, dtype=np.float64)[:, None, :] - self.means[None]
        squared = np.einsum("ncd,de,nce->nc", centred, self.precision, centred)
        return np.sqrt(np.clip(squared.min(axis=1), 0, None))


@dataclass
class MahalanobisOOD:
    """Out-of-distribution score over every fused stage (Lee et al. 2018 combine layers too): a photo is out of
    distribution when any stage's features lie past that stage's threshold. Early stages see colour and texture
    (a solid colour, noise, a checkerboard, text), late ones content; measured on the demo checkpoint, the final
    stage alone flagged 13 % of the generated non-lesion images, the early stages 97 %."""

    stages: list[StageMahalanobis]
    acceptance: float  # share of the validation photos every stage accepts
    num_samples: int  # training photos the statistics come from
    feature: str = field(default="spatial mean and standard deviation of each channel, per fused stage")

    threshold = 1.0  # scores are distances in units of each stage's own threshold

    def scores(self, features: Sequence[np.ndarray]) -> np.ndarray:
        """Per-stage (N, D_s) features -> (N,) the largest distance / threshold over the stages (> 1: OOD).
        A multi-view model's stages of a photo a case lacks have NaN features and are skipped."""
        ratios = [stage.distances(f) / stage.threshold for stage, f in zip(self.stages, features, strict=True)]
        return np.fmax.reduce(ratios, axis=0)

    def summary(self) -> dict[str, Any]:
        return {
            "method": "mahalanobis",
            "feature": self.feature,
            "threshold": self.threshold,
            "stage_thresholds": [stage.threshold for stage in self.stages],
            "acceptance": self.acceptance,
            "num_samples": self.num_samples,
        }


def fit_mahalanobis(
    train_features: Sequence[np.ndarray],
    train_labels: Sequence[int],
    num_classes: int,
    val_features: Sequence[np.ndarray],
    acceptance: float = DEFAULT_ACCEPTANCE,
) -> MahalanobisOOD:
    """Per stage: class means and a shared covariance from the training photos, and a threshold at the
    1 - (1 - acceptance) / S quantile of the validation photos' distances, so that all S stages together still
    accept about `acceptance` of them."""
    from sklearn.covariance import LedoitWolf  # only fitting needs scikit-learn: a served model starts ~1 s sooner

    labels = np.asarray(train_labels, dtype=np.int64)
    present = [c for c in range(num_classes) if (labels == c).any()]
    quantile = 1 - (1 - acceptance) / len(train_features)
    stages = []
    for features, val in zip(train_features, val_features, strict=True):
        features = np.asarray(features, dtype=np.float64)
        means = np.stack([features[labels == c].mean(axis=0) for c in present])
        centred = features - means[np.searchsorted(present, labels)]
        precision = np.linalg.pinv(LedoitWolf(assume_centered=True).fit(centred).covariance_)
        stage = StageMahalanobis(means, precision, threshold=math.inf)
        stage.threshold = float(np.quantile(stage.distances(val), quantile))
        stages.append(stage)
    return MahalanobisOOD(stages, acceptance=acceptance, num_samples=len(labels))


def stage_features(stage_maps: Sequence[torch.Tensor]) -> list[np.ndarray]:
    """Per stage map (B, C, H, W) -> (B, 2C) float64: each channel's spatial mean and standard deviation."""
    return [
        torch.cat([m.mean(dim=(2, 3)), m.std(dim=(2, 3), correction=0)], dim=1).detach().float().cpu().numpy()
        for m in stage_maps
    ]


def as_json(value: Any) -> dict[str, Any]:
    """A fitted dataclass as JSON-ready data (arrays left out: they go to safetensors)."""
    return {key: item for key, item in asdict(value).items() if not isinstance(item, np.ndarray)}


@dataclass(frozen=True)
class Assessment:
    """How far to trust one case's output; the parts a checkpoint has no file for are None."""

    probabilities: np.ndarray  # (C,) calibrated when `temperature` is set
    temperature: float | None
    prediction_set: list[int] | None  # class indices, most probable first
    set_coverage: float | None
    ood: dict[str, Any] | None  # {"score", "threshold", "in_distribution"}


@dataclass
class TrustFiles:
    """What a checkpoint knows about its own reliability; None where the checkpoint lacks that file."""

    calibration: TemperatureScaling | None = None
    conformal: ConformalSets | None = None
    ood: MahalanobisOOD | None = None

    def assess(self, logits: np.ndarray, features: Sequence[np.ndarray] | None) -> list[Assessment]:
        """(N, C) logits and the per-stage photo features of `stage_features` (None without a photo) -> one
        Assessment per case."""
        temperature = self.calibration.temperature if self.calibration is not None else None
        probabilities = softmax(logits, temperature or 1.0)
        sets = self.conformal.prediction_sets(probabilities) if self.conformal is not None else [None] * len(logits)
        coverage = self.conformal.coverage if self.conformal is not None else None
        ood = [None] * len(logits)
        if self.ood is not None and features is not None:
            threshold = self.ood.threshold
            ood = [
                {"score": float(score), "threshold": threshold, "in_distribution": bool(score <= threshold)}
                for score in self.ood.scores(features)
            ]
        return [
            Assessment(row, temperature, members, coverage, distance)
            for row, members, distance in zip(probabilities, sets, ood, strict=True)
        ]
