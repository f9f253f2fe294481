"""The project's pinned clinical-only baseline: a logistic regression on the 81 one-hot features of PAD-UFES-20's
published preprocessing (`mhdf.metadata.encode_onehot81`), standardised, with balanced class weights.

`benchmarks.metadata_real` measures it against the meta-only model on the clinical table; `training.make_demo` and
`benchmarks.real_photos` fit it on every clinical record outside the test fold, photo or not, as the bar the
fused model must clear on real photos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mhdf.metadata import encode_onehot81
from training.data.base import Sample
from training.data.pad_ufes_20 import PadUfes20

NAME = "logistic regression (clinical record)"


def logistic_regression() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=1.0, max_iter=3000))


def records_outside(source: PadUfes20, patients: set[str]) -> list[Sample]:
    """Every clinical record of `source`, with a photo or not, of the patients not in `patients` (a test fold's)."""
    return [s for s in (*source.samples, *source.clinical_only) if s.patient not in patients]


def onehot81_features(records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """(N, 81) features of clinical records (raw CSV values or normalised records)."""
    return np.array([encode_onehot81(record) for record in records])
