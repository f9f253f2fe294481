"""The bundled real PAD-UFES-20 metadata table: pinned as downloaded, and read by every loader on every row."""

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from mhdf.metadata import ONEHOT81_COLUMNS, PAD_UFES_20, encode_onehot81, validate
from training import check_data
from training.data.folds import leaking_patients, patient_folds
from training.data.pad_ufes_20 import PAD_UFES_20_COLUMNS, PAD_UFES_20_METADATA, PadUfes20

CLASS_COUNTS = {"ACK": 730, "BCC": 845, "MEL": 52, "NEV": 244, "SCC": 192, "SEK": 235}
NON_BIOPSIED_BLANKS = 804  # rows whose patient and measurement fields are all empty
CATEGORICAL = [spec.name for spec in PAD_UFES_20.fields if spec.kind != "numeric"]
NUMERIC = [spec.name for spec in PAD_UFES_20.fields if spec.kind == "numeric"]


@pytest.fixture(scope="module")
def table():
    """The table as text, blanks as "" (how the loaders read it)."""
    return pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def download(tmp_path_factory, table):
    """A PAD-UFES-20 folder holding the real metadata.csv and no photos."""
    root = tmp_path_factory.mktemp("pad_ufes_20")
    (root / "metadata.csv").write_bytes(PAD_UFES_20_METADATA.read_bytes())
    return root


def test_table_is_the_download_unchanged(table):
    assert hashlib.md5(PAD_UFES_20_METADATA.read_bytes()).hexdigest() == "1c1964f098cc3fa62761c9de17228158"
    assert tuple(table.columns) == PAD_UFES_20_COLUMNS
    assert len(table) == 2298 and table["img_id"].is_unique
    assert table["patient_id"].nunique() == 1373 and table["lesion_id"].nunique() == 1641
    assert table["diagnostic"].value_counts().to_dict() == CLASS_COUNTS
    patients_per_lesion_id = table.groupby("lesion_id")["patient_id"].nunique()
    assert (patients_per_lesion_id > 1).sum() == 250  # so a lesion is (patient_id, lesion_id)
    assert (PAD_UFES_20_METADATA.parent / "README.md").read_text().count("CC BY 4.0") == 1


def test_loader_reads_every_row_with_blanks_as_missing(download, table):
    source = PadUfes20(download, allow_missing_images=True)
    assert len(source.samples) == len(table) and len(source.missing_images) == len(table)
    assert [source.classes[label] for label in source.labels] == table["diagnostic"].tolist()
    assert source.patients.tolist() == table["patient_id"].tolist()
    assert [sample.lesion for sample in source.samples] == table["lesion_id"].tolist()
    for name in PAD_UFES_20.field_names:
        missing = [record[name] is None for record in source.records]
        assert missing == (table[name].str.strip() == "").tolist(), name
    assert sum(record["smoke"] is None for record in source.records) == NON_BIOPSIED_BLANKS
    assert all(6 <= record["age"] <= 94 for record in source.records)
    encoded = source.dataset().metadata.numpy()
    assert encoded.shape == (2298, len(PAD_UFES_20.field_names))
    assert np.isnan(encoded).sum() == (table[PAD_UFES_20.field_names] == "").to_numpy().sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_patient_folds_keep_every_patient_and_lesion_whole(table, seed):
    source_labels = table["diagnostic"].map(PAD_UFES_20.classes.index).to_numpy()
    folds = patient_folds(source_labels, table["patient_id"].to_numpy(), num_folds=5, seed=seed)
    assert leaking_patients(table["patient_id"].to_numpy(), folds) == []
    assert table.assign(fold=folds).groupby(["patient_id", "lesion_id"])["fold"].nunique().max() == 1
    melanomas_per_fold = np.bincount(folds[table["diagnostic"] == "MEL"], minlength=5)
    assert melanomas_per_fold.min() >= 8  # stratified: 52 melanomas, about 10 a fold


def test_dataset_doctor_counts_the_real_table(download, table, capsys):
    code = check_data.main(check_data.get_args_parser().parse_args(["--data", str(download),
                                                                    "--dataset", "pad-ufes-20", "--json"]))  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["problems"] == ["2298 images listed in the metadata are missing on disk"]
    assert report["images"] == 2298 and report["patients"] == 1373 and report["classes"] == CLASS_COUNTS
    assert report["lesions"] == len(table[["patient_id", "lesion_id"]].drop_duplicates()) == 1891
    assert report["missing_fields"]["smoke"] == NON_BIOPSIED_BLANKS and report["missing_fields"]["age"] == 0
    assert sum(report["folds"].values()) == 2298 and report["patient_leakage"] is False


def test_schema_validates_and_one_hot_encodes_every_row(table):
    """Every present categorical value lights its own published column; numbers are copied; blanks give zeros."""
    column = {name: index for index, name in enumerate(ONEHOT81_COLUMNS)}
    for _, row in table.iterrows():
        record = PAD_UFES_20.clinical_fields_of(row)
        validated = validate(record)
        vector = encode_onehot81(record)
        present = [name for name in CATEGORICAL if row[name]]
        lit = [column[f"{name}_{row[name]}"] for name in present]
        assert sorted(i for i, v in enumerate(vector) if v == 1.0 and ONEHOT81_COLUMNS[i] not in NUMERIC) == sorted(
            lit
        ), row["img_id"]
        for name in NUMERIC:
            expected = float(row[name]) if row[name] else 0.0
            assert vector[column[name]] == expected and (validated[name] is None) == (not row[name])


def test_schema_normalizes_rows_as_pandas_reads_them_by_default():
    """Default pandas reading turns blanks into NaN and booleans into bools; normalize accepts both."""
    for _, row in pd.read_csv(PAD_UFES_20_METADATA).iterrows():
        record = PAD_UFES_20.normalize(PAD_UFES_20.clinical_fields_of(row))
        for name in PAD_UFES_20.field_names:
            raw = row[name]
            assert (record[name] is None) == (isinstance(raw, float) and math.isnan(raw)), (row["img_id"], name)
