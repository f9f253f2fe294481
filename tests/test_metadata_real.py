"""benchmarks/metadata_real.py and metadata_sweep.py on the real PAD-UFES-20 table, in their quick modes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mhdf.metadata import PAD_UFES_20, encode_onehot81
from training.data.folds import carve_validation, patient_folds
from training.data.pad_ufes_20 import PAD_UFES_20_METADATA

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run_script(name: str, *argv: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", f"benchmarks.{name.removesuffix('.py')}", *argv, "--json"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_quick_benchmark_scores_three_models_on_the_training_folds():
    results = run_script("metadata_real.py", "--quick")
    assert results["folds"] == 2 and results["scored_split"] == "test" and set(results["models"]) == {
        "meta-only", "logistic-regression", "gradient-boosting"}  # fmt: skip
    for summary in results["models"].values():
        for metric in ("balanced_accuracy", "auc", "ece"):
            assert len(summary["metrics"][metric]["per_fold"]) == 2
            assert 0 <= summary["metrics"][metric]["mean"] <= 1
        assert summary["metrics"]["balanced_accuracy"]["mean"] > 0.35  # chance is 1/6: the metadata informs

    # The pinned baseline, rebuilt here on the training rows training.train uses (2 folds, split seed 0)
    table = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False)
    labels, patients = table["diagnostic"].map(PAD_UFES_20.classes.index).to_numpy(), table["patient_id"].to_numpy()
    folds = patient_folds(labels, patients, num_folds=2, seed=0)
    features = np.array([encode_onehot81(PAD_UFES_20.clinical_fields_of(row)) for _, row in table.iterrows()])
    baseline = results["models"]["logistic-regression"]["metrics"]["balanced_accuracy"]["per_fold"]
    for fold in (0, 1):
        train_rows, _ = carve_validation(np.flatnonzero(folds != fold), labels, patients, 0.2, seed=0)
        model = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=1.0, max_iter=3000))
        model.fit(features[train_rows], labels[train_rows])
        expected = balanced_accuracy_score(labels[folds == fold], model.predict(features[folds == fold]))
        assert baseline[str(fold)] == pytest.approx(expected, abs=1e-9)


def test_fused_models_clinical_pathway_is_benchmarked_on_the_same_folds():
    results = run_script("metadata_real.py", "--folds", "2", "--fused", "--train-option=--epochs=2")
    assert set(results["models"]) == {"meta-only", "logistic-regression", "gradient-boosting", "mhdf (blank photos)"}
    fused = results["models"]["mhdf (blank photos)"]["metrics"]["balanced_accuracy"]
    assert len(fused["per_fold"]) == 2 and fused["mean"] > 1 / 6  # the clinical fields inform even after 2 epochs


def test_sweep_scores_candidates_on_the_validation_split():
    # lr 0 never improves on epoch 1, so --early-stopping 1 ends each fold after two epochs
    results = run_script("metadata_sweep.py", "--quick", "--candidate", "--lr 0 --early-stopping 1")
    assert results["scored_split"] == "val" and results["folds"] == 2
    (row,) = results["candidates"]
    assert row["candidate"] == "--lr 0 --early-stopping 1"
    assert 0 <= row["meta-only"][0] <= 1 and 0.35 < row["logistic-regression"][0] <= 1
