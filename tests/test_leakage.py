"""The leakage guard's measures and the group-whole folds."""

import numpy as np
import pytest

from mhdf.metadata import PAD_UFES_20
from tests.helpers import write_ham10000, write_pad
from training.data.folds import leaking_patients, patient_folds
from training.data.leakage import (
    PREDICTIVE_THRESHOLD,
    LeakageError,
    check_inputs,
    predictive_fields,
    uncertainty_coefficient,
)
from training.data.pad_ufes_20 import PAD_UFES_20_METADATA
from training.data.registry import load_source
from training.data.tables import group_keys, lesions_under_two_patients


def test_the_uncertainty_coefficient_is_one_for_a_copy_of_the_label_and_near_zero_for_noise():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    assert uncertainty_coefficient(labels.copy(), labels) == pytest.approx(1.0)
    assert uncertainty_coefficient(rng.integers(0, 4, 600), labels) < 0.02
    assert uncertainty_coefficient(np.zeros(600, dtype=int), labels) == 0.0
    assert uncertainty_coefficient(labels, np.zeros(600, dtype=int)) == 0.0


def test_predictive_fields_flags_a_leak_and_not_an_identifier():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    schema = PAD_UFES_20
    records = [
        {**dict.fromkeys(schema.field_names), "age": float(i), "region": ("FACE", "BACK")[label], "itch": "True"}
        for i, label in enumerate(labels)
    ]
    flagged = predictive_fields(schema, records, labels)
    # region copies the label; age is unique per row but its deciles carry no signal
    assert flagged == {"region": 1.0}


def test_on_the_real_pad_ufes_20_table_biopsed_crosses_the_threshold_and_the_clinical_fields_do_not():
    import pandas as pd

    from training.data.leakage import _codes

    table = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False)
    labels = pd.factorize(table["diagnostic"])[0]
    assert uncertainty_coefficient(_codes(table["biopsed"].tolist(), False), labels) >= PREDICTIVE_THRESHOLD
    for name, numeric in (("region", False), ("age", True), ("itch", False)):
        values = [None if v in ("", "UNK") else v for v in table[name]]
        assert uncertainty_coefficient(_codes(values, numeric), labels) < PREDICTIVE_THRESHOLD


def test_check_inputs_refuses_the_label_and_known_leaks_unless_allowed():
    with pytest.raises(LeakageError, match="dx_type"):
        check_inputs(["age", "dx_type"], "dx", allow_leaky=False, where="x.yaml")
    with pytest.raises(LeakageError, match="'dx'"):
        check_inputs(["age", "dx"], "dx", allow_leaky=False, where="x.yaml")
    assert set(check_inputs(["age", "dx_type"], "dx", allow_leaky=True, where="x.yaml")) == {"dx_type"}
    assert check_inputs(["age", "sex"], "dx", allow_leaky=False, where="x.yaml") == {}


def test_group_keys_join_patients_that_share_a_lesion_and_fall_back_to_lesion_then_image():
    images = ["a", "b", "c", "d", "e"]
    patients = ["P1", "P2", "P3", "", ""]
    lesions = ["L1", "L1", "L2", "L2", ""]
    groups = group_keys(images, patients, lesions)
    assert groups[0] == groups[1]  # P1 and P2 share L1
    assert groups[2] == groups[3]  # d has no patient, but its lesion L2 belongs to P3
    assert groups[4] == "e" and len(set(groups)) == 3
    assert group_keys(images, None, None) == images
    assert group_keys(images, None, lesions)[:4] == ["L1", "L1", "L2", "L2"]
    assert lesions_under_two_patients(patients, lesions) == {"L1": ["P1", "P2"]}
    assert lesions_under_two_patients(None, lesions) == {}


def test_folds_keep_every_lesion_of_ham10000_whole_and_splits_never_share_a_group(tmp_path):
    source = load_source("ham10000", write_ham10000(tmp_path / "ham"))
    for seed in range(3):
        folds = source.folds(num_folds=5, seed=seed)
        assert leaking_patients(np.array([s.lesion for s in source.samples]), folds) == []
        assert len(set(folds.tolist())) == 5
    split = source.split(0, num_folds=5, seed=0)
    groups = source.patients
    parts = [set(groups[split.train]), set(groups[split.val]), set(groups[split.test])]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert len(split.train) + len(split.val) + len(split.test) == len(source.samples)


def test_pad_ufes_20_folds_are_unchanged_patient_folds(tmp_path):
    source = load_source("pad-ufes-20", write_pad(tmp_path / "pad"))
    assert (source.folds(4, 0) == patient_folds(source.labels, source.patients, 4, 0)).all()
    assert source.num_patients == 16 and "biopsed" in source.refused_fields
