"""The dataset doctor on healthy and broken datasets, in text and JSON."""

import json

import pandas as pd
import pytest
from PIL import Image

from mhdf.metadata import ONEHOT81_COLUMNS
from training.check_data import get_args_parser, main
from training.synthetic.photos import generate

PAD_KEYS = {"images", "patients", "lesions", "classes", "missing_images", "unreadable_images", "missing_fields",
            "folds", "patient_leakage"}  # fmt: skip
DERM7PT_KEYS = {"cases", "classes", "split", "missing_images", "unreadable_images", "missing_fields"}


def run(capsys, *argv):
    code = main(get_args_parser().parse_args(list(argv)))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def pad_root(tmp_path):
    root = tmp_path / "pad"
    generate(root, 60, seed=2, image_size=16)
    return root


def test_healthy_pad_ufes_20_report(pad_root, capsys):
    code, out, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20", "--json", "--folds", "3")
    report = json.loads(out)
    assert code == 0 and report["healthy"] and set(report) >= PAD_KEYS
    table = pd.read_csv(pad_root / "metadata.csv")
    assert report["images"] == 60 and report["patients"] == table["patient_id"].nunique()
    assert report["lesions"] == len(table[["patient_id", "lesion_id"]].drop_duplicates())
    assert report["classes"] == {cls: int((table["diagnostic"] == cls).sum()) for cls in report["classes"]}
    assert report["missing_fields"]["smoke"] == int(table["smoke"].isna().sum()) > 0
    assert report["missing_fields"]["region"] == 0
    assert len(report["folds"]) == 3 and sum(report["folds"].values()) == 60
    assert report["patient_leakage"] is False and report["missing_images"] == report["unreadable_images"] == []

    code, text, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20")
    assert code == 0 and "patients" in text and "healthy" in text and "MEL" in text


def test_missing_and_unreadable_images_are_listed(pad_root, capsys):
    table = pd.read_csv(pad_root / "metadata.csv")
    gone, broken = table["img_id"][0], table["img_id"][1]
    next((pad_root / "images").rglob(gone)).unlink()
    next((pad_root / "images").rglob(broken)).write_bytes(b"not a png")
    code, out, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20", "--json")
    report = json.loads(out)
    assert code == 1 and not report["healthy"]
    assert report["missing_images"] == [gone] and report["unreadable_images"] == [broken]
    code, text, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20")
    assert code == 1 and gone in text and broken in text and "PROBLEMS" in text


def test_patient_leakage_in_a_user_fold_column(pad_root, capsys):
    table = pd.read_csv(pad_root / "metadata.csv", dtype=str, keep_default_na=False)
    table["fold"] = [str(i % 2) for i in range(len(table))]  # row by row: a patient's photos split up
    table.to_csv(pad_root / "metadata.csv", index=False)
    code, out, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20", "--json")
    report = json.loads(out)
    counts = table.groupby("patient_id")["fold"].nunique()
    assert code == 1 and report["patient_leakage"] is True
    assert report["leaking_patients"] == sorted(counts.index[counts > 1])
    assert report["folds"] == {"0": 30, "1": 30}


@pytest.fixture
def derm_release(tmp_path):
    """A four-case Derm7pt release_v0 with one dermoscopic image missing and no clinical images."""
    release = tmp_path / "release_v0"
    (release / "meta").mkdir(parents=True)
    (release / "images" / "FAL").mkdir(parents=True)
    rows = ["case_num,diagnosis,elevation,location,sex,clinic,derm,management"]
    for case, diagnosis in enumerate(["clark nevus", "melanoma", "vascular lesion", "clark nevus"], start=1):
        rows.append(f"{case},{diagnosis},flat,back,,FAL/c{case}.jpg,FAL/d{case}.jpg,excision")
        Image.new("RGB", (8, 8)).save(release / "images" / "FAL" / f"d{case}.jpg")
    (release / "images" / "FAL" / "d4.jpg").unlink()
    (release / "meta" / "meta.csv").write_text("\n".join(rows) + "\n")
    for name, indexes in (("train", "0\n1"), ("valid", "2"), ("test", "3")):
        (release / "meta" / f"{name}_indexes.csv").write_text(f"indexes\n{indexes}\n")

    return release


def test_derm7pt_report(derm_release, capsys):
    release = derm_release
    code, out, _ = run(capsys, "--data", str(release), "--dataset", "derm7pt", "--json")
    report = json.loads(out)
    assert set(report) >= DERM7PT_KEYS and report["cases"] == 4
    assert report["classes"] == {"BCC": 0, "NEV": 2, "MEL": 1, "MISC": 1, "SK": 0}
    assert report["split"] == {"train": 2, "valid": 1, "test": 1}
    assert report["missing_images"] == ["FAL/d4.jpg"] and code == 1
    assert report["missing_fields"] == {"sex": 4, "location": 0, "elevation": 0}
    # no clinical photo was written: checking those reports every one of them missing
    _, out, _ = run(capsys, "--data", str(release), "--dataset", "derm7pt", "--json", "--image-column", "clinic")
    assert json.loads(out)["missing_images"] == [f"FAL/c{case}.jpg" for case in range(1, 5)]


def test_unreadable_dataset_exits_with_a_clear_message(tmp_path, capsys):
    code, out, err = run(capsys, "--data", str(tmp_path), "--dataset", "pad-ufes-20")
    assert code == 2 and out == "" and "no metadata.csv" in err
    code, _, err = run(capsys, "--data", str(tmp_path), "--dataset", "derm7pt", "--json")
    assert code == 2 and "meta/meta.csv" in err


def test_export_onehot81_writes_the_metablock_feature_table(pad_root, tmp_path, capsys):
    out = tmp_path / "features.csv"
    code, _, _ = run(capsys, "--data", str(pad_root), "--dataset", "pad-ufes-20", "--export-onehot81", str(out))
    assert code == 0
    table = pd.read_csv(out, dtype={"img_id": str, "patient_id": str, "lesion_id": str})
    metadata = pd.read_csv(pad_root / "metadata.csv", dtype=str, keep_default_na=False)
    assert list(table.columns[:4]) == ["img_id", "patient_id", "lesion_id", "diagnostic"]
    assert list(table.columns[4:]) == list(ONEHOT81_COLUMNS) and len(ONEHOT81_COLUMNS) == 81
    assert table["img_id"].tolist() == metadata["img_id"].tolist()
    for (_, row), (_, raw) in zip(table.iterrows(), metadata.iterrows(), strict=True):
        assert row["diagnostic"] == raw["diagnostic"]
        assert row["age"] == float(raw["age"])
        regions = row.filter(like="region_")
        assert regions.sum() == (1.0 if raw["region"] else 0.0)
        if raw["region"]:
            assert regions[f"region_{raw['region']}"] == 1.0
        assert row.filter(like="gender_").sum() == (1.0 if raw["gender"] else 0.0)


def test_export_onehot81_refuses_derm7pt(derm_release, tmp_path, capsys):
    out = tmp_path / "features.csv"
    code, _, err = run(capsys, "--data", str(derm_release), "--dataset", "derm7pt", "--export-onehot81", str(out))
    assert code == 2 and "PAD-UFES-20 only" in err and not out.exists()
