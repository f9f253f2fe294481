"""Patient-grouped, class-stratified folds: no patient's photos on both sides of a split."""

import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold


def _group_folds(labels: np.ndarray, patients: np.ndarray, num_folds: int, seed: int) -> list:
    """(train, test) index pairs of patient-grouped folds, class-stratified as far as the classes allow."""
    # When no class can fill every fold (tiny sets), one stratum: the folds stay grouped and shuffled.
    strata = labels if np.bincount(labels).max() >= num_folds else np.zeros_like(labels)
    with warnings.catch_warnings():
        # Stratification is best effort: rare classes (MEL has 52 images) cannot reach every fold of small sets.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splitter = StratifiedGroupKFold(n_splits=num_folds, shuffle=True, random_state=seed)
        return list(splitter.split(strata, strata, patients))


def patient_folds(labels: np.ndarray, patients: np.ndarray, num_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Fold 0..num_folds-1 of every sample: class-stratified, and every patient's images in one fold."""
    if len(set(patients.tolist())) < num_folds:
        raise ValueError(f"{len(set(patients.tolist()))} patients cannot fill {num_folds} patient-grouped folds")
    folds = np.empty(len(labels), dtype=np.int64)
    for fold, (_, members) in enumerate(_group_folds(np.asarray(labels), patients, num_folds, seed)):
        folds[members] = fold
    return folds


def carve_validation(
    indices: np.ndarray, labels: np.ndarray, patients: np.ndarray, fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Splits `indices` into (train, val), val ~`fraction` of them, patient-grouped and class-stratified.

    With fewer patients than 1 / fraction, val is one patient-grouped part of as many as there are patients.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must lie in (0, 1), got {fraction}")
    num_patients = len(set(patients[indices].tolist()))
    if num_patients < 2:
        raise ValueError(f"cannot carve a validation set from {num_patients} patient(s)")
    parts = min(round(1 / fraction), num_patients)
    train, val = _group_folds(np.asarray(labels)[indices], patients[indices], parts, seed)[0]
    return indices[train], indices[val]


def leaking_patients(patients: np.ndarray, folds: np.ndarray) -> list[str]:
    """Patients whose images fall in more than one fold (sorted)."""
    folds_of = pd.Series(folds).groupby(pd.Series(patients)).nunique()
    return sorted(folds_of.index[folds_of > 1].tolist())
