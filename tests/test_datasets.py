"""Dataset loaders on small fixtures written in the real download formats, splits and transforms."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torchvision.transforms import v2

from tests.helpers import PAD_LESIONS, write_derm7pt, write_pad
from training.data.base import LesionDataset, read_folds_csv
from training.data.derm7pt import Derm7pt
from training.data.folds import carve_validation, leaking_patients, patient_folds
from training.data.pad_ufes_20 import PadUfes20
from training.data.registry import load_source


def to_tensor(size):
    return v2.Compose([v2.ToImage(), v2.Resize((size, size)), v2.ToDtype(torch.float32, scale=True)])


@pytest.fixture
def pad_root(tmp_path):
    return write_pad(tmp_path / "pad")


def test_pad_ufes_20_reads_every_row_with_blank_cells_as_missing(pad_root):
    source = PadUfes20(pad_root)
    table = pd.read_csv(pad_root / "metadata.csv")
    assert len(source.samples) == len(table) == sum(lesion[4] for lesion in PAD_LESIONS)
    assert {path.parent.name for path in (s.image_path for s in source.samples)} == {"imgs_part_1", "imgs_part_2"}
    by_id = {sample.image_id: sample for sample in source.samples}
    skipped = by_id["PAT_3_30_100.png"].record  # non-biopsied: empty socio-demographic cells
    assert skipped["smoke"] is None and skipped["fitspatrick"] is None and skipped["diameter_1"] is None
    assert skipped["age"] == 8.0 and skipped["region"] == "ARM" and skipped["itch"] == "True"
    full = by_id["PAT_1_10_100.png"].record
    assert full["background_mother"] == "BRAZIL" and full["fitspatrick"] == "3" and full["grew"] == "UNK"
    assert source.classes[by_id["PAT_6_60_100.png"].label] == "MEL"
    assert by_id["PAT_1_11_100.png"].patient == "PAT_1" and by_id["PAT_1_11_100.png"].lesion == "11"
    assert source.records == [sample.record for sample in source.samples]


def test_pad_ufes_20_items_are_image_metadata_label(pad_root):
    source = PadUfes20(pad_root)
    index = next(i for i, s in enumerate(source.samples) if s.image_id == "PAT_3_30_100.png")
    dataset = source.dataset([index], to_tensor(24))
    image, metadata, label = dataset[0]
    assert image.shape == (3, 24, 24) and image.dtype == torch.float32
    assert metadata.dtype == torch.float32 and metadata.shape == (len(source.schema.fields),)
    fields = source.schema.field_names
    assert math.isnan(metadata[fields.index("smoke")]) and metadata[fields.index("age")] == 8.0
    assert source.classes[label] == "NEV"


def test_pad_ufes_20_rows_without_a_photo_are_clinical_only_or_reported(pad_root):
    next((pad_root / "images").rglob("PAT_16_160_101.png")).unlink()
    with pytest.warns(UserWarning, match="1 of .* rows .* have no photo"):
        source = PadUfes20(pad_root)
    assert [sample.image_id for sample in source.clinical_only] == ["PAT_16_160_101.png"]
    assert "PAT_16_160_101.png" not in {sample.image_id for sample in source.samples}
    assert len(source.table) == len(source.samples) and not source.missing_images
    source = PadUfes20(pad_root, allow_missing_images=True)  # the doctor's view: every row, the missing one named
    assert source.missing_images == ["PAT_16_160_101.png"]
    index = next(i for i, s in enumerate(source.samples) if s.image_id == "PAT_16_160_101.png")
    with pytest.raises(ValueError, match="missing on disk"):
        source.dataset([index])[0]


def test_a_pad_ufes_20_folder_without_any_photo_is_refused(pad_root):
    for path in (pad_root / "images").rglob("*.png"):
        path.unlink()
    with pytest.raises(ValueError, match="none of the .* images listed"):
        PadUfes20(pad_root)


def test_heldout_patients_are_dropped_before_anything_reads_their_rows(pad_root):
    everyone = PadUfes20(pad_root)
    hidden = sorted(set(everyone.patients.tolist()))[:2]
    (pad_root / "heldout_patients.txt").write_text("# hidden test set\n" + "\n".join(hidden) + "\n\n")
    next((pad_root / "images").rglob(f"{everyone.samples[-1].image_id}")).unlink()  # one clinical-only row too
    with pytest.warns(UserWarning, match="no photo"):
        source = PadUfes20(pad_root)
    assert source.heldout_patients == frozenset(hidden)
    kept = [*source.samples, *source.clinical_only]
    assert not {sample.patient for sample in kept} & set(hidden)
    assert not set(source.table["patient_id"]) & set(hidden)
    assert len(kept) == sum(patient not in hidden for patient in everyone.patients)


def test_unreadable_image_raises_a_value_error_naming_it(pad_root):
    next((pad_root / "images").rglob("PAT_2_20_100.png")).write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    source = PadUfes20(pad_root)
    index = next(i for i, s in enumerate(source.samples) if s.image_id == "PAT_2_20_100.png")
    with pytest.raises(ValueError, match="PAT_2_20_100.png"):
        source.dataset([index])[0]


def test_pad_ufes_20_rejects_invalid_values_and_layouts(tmp_path, pad_root):
    with pytest.raises(FileNotFoundError, match="metadata.csv"):
        PadUfes20(tmp_path / "empty")
    csv = pad_root / "metadata.csv"
    original = csv.read_text()
    csv.write_text(original.replace(",NECK,", ",MOON,", 1))
    with pytest.raises(ValueError, match=r"PAT_1_10_100.png: region: 'MOON'"):
        PadUfes20(pad_root)
    csv.write_text(original.replace(",MEL,", ",XYZ,", 1))
    with pytest.raises(ValueError, match="unknown diagnostic XYZ"):
        PadUfes20(pad_root)
    csv.write_text(original.replace("has_sewage_system,", "sewage,", 1))
    with pytest.raises(ValueError, match="lacks the PAD-UFES-20 columns has_sewage_system"):
        PadUfes20(pad_root)


def test_patient_folds_keep_patients_together_and_stratify_classes():
    rng = np.random.default_rng(0)
    patients = np.array([f"PAT_{p}" for p in rng.integers(0, 300, 900)])
    labels = rng.choice(6, 900, p=(0.3, 0.35, 0.05, 0.1, 0.1, 0.1))
    folds = patient_folds(labels, patients, num_folds=5, seed=3)
    assert set(folds.tolist()) == {0, 1, 2, 3, 4}
    assert leaking_patients(patients, folds) == []
    share = pd.crosstab(folds, labels, normalize="columns").to_numpy()
    assert np.abs(share - 0.2).max() < 0.1  # every class spread over the folds
    assert np.array_equal(folds, patient_folds(labels, patients, num_folds=5, seed=3))
    assert not np.array_equal(folds, patient_folds(labels, patients, num_folds=5, seed=4))
    assert leaking_patients(np.array(["a", "a", "b"]), np.array([0, 1, 1])) == ["a"]
    with pytest.raises(ValueError, match="3 patients cannot fill 5"):
        patient_folds(np.zeros(3), np.array(["a", "b", "c"]))


def test_validation_is_carved_from_the_training_folds_by_patient(pad_root):
    source = PadUfes20(pad_root)
    split = source.split(fold=1, num_folds=3, seed=0, val_fraction=0.25)
    folds = source.folds(3, 0)
    assert np.array_equal(np.sort(split.test), np.flatnonzero(folds == 1))
    parts = [set(split.train.tolist()), set(split.val.tolist()), set(split.test.tolist())]
    assert sum(map(len, parts)) == len(source.samples) and set.union(*parts) == set(range(len(source.samples)))
    patients = [set(source.patients[sorted(part)].tolist()) for part in parts]
    assert not (patients[0] & patients[1]) and not (patients[0] & patients[2]) and not (patients[1] & patients[2])
    assert split.val.size > 0
    with pytest.raises(ValueError, match="fold 7 does not exist"):
        source.split(fold=7, num_folds=3)

    labels, groups = source.labels, source.patients
    train, val = carve_validation(np.arange(len(labels)), labels, groups, fraction=0.5, seed=1)
    assert not set(groups[train]) & set(groups[val]) and len(train) + len(val) == len(labels)
    # Too few images for any class to fill every part: still patient-grouped, just not stratified.
    few = np.array([0, 1, 2, 3]), np.array(["a", "a", "b", "c"])
    train, val = carve_validation(np.arange(4), *few, fraction=0.2)
    assert len(val) > 0 and not set(few[1][train]) & set(few[1][val])


def test_user_fold_column_is_used(tmp_path):
    user_fold = {i: i % 3 + 1 for i in range(len(PAD_LESIONS))}  # whole lesions, so no patient leaks
    user_fold.update({0: 2, 1: 2})  # PAT_1's two lesions
    root = write_pad(tmp_path / "pad", extra_column=("fold", user_fold.__getitem__))
    source = PadUfes20(root)
    lesion_fold = {lesion[1]: user_fold[i] for i, lesion in enumerate(PAD_LESIONS)}
    expected = np.array([lesion_fold[int(s.lesion)] for s in source.samples])
    assert np.array_equal(source.folds(num_folds=5, seed=9), expected)
    split = source.split(fold=3)
    assert set(split.test.tolist()) == set(np.flatnonzero(expected == 3).tolist())

    csv = root / "metadata.csv"
    csv.write_text(csv.read_text().replace(",2\n", ",\n", 1))
    with pytest.raises(ValueError, match="integer fold for every row"):
        PadUfes20(root)


def test_folds_csv_is_written_beside_the_run_and_reused(pad_root, tmp_path):
    source = PadUfes20(pad_root)
    folds_csv = tmp_path / "run" / "folds.csv"
    first = source.split(fold=0, num_folds=3, seed=5, folds_csv=folds_csv)
    written = pd.read_csv(folds_csv)
    assert list(written.columns) == ["img_id", "patient_id", "fold"]
    assert written["img_id"].tolist() == [s.image_id for s in source.samples]
    assert np.array_equal(read_folds_csv(folds_csv, source), source.folds(3, 5))
    # Later runs read the file, whatever seed they are given.
    again = source.split(fold=0, num_folds=3, seed=99, folds_csv=folds_csv)
    assert np.array_equal(np.sort(first.test), np.sort(again.test))

    written.iloc[1:].to_csv(folds_csv, index=False)
    with pytest.raises(ValueError, match="no fold for"):
        read_folds_csv(folds_csv, source)


def test_derm7pt_reads_release_v0(tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    source = Derm7pt(release)
    assert [source.classes[s.label] for s in source.samples] == ["BCC", "NEV", "MEL", "MISC", "SK", "NEV"]
    assert all(set(s.record) == {"sex", "location", "elevation"} for s in source.samples)  # never management
    assert source.samples[0].record == {"sex": "female", "location": "head neck", "elevation": "palpable"}
    assert source.samples[0].image_id == "AAL/Aal003.jpg"
    split = source.split()
    assert split.train.tolist() == [0, 1, 2] and split.val.tolist() == [3] and split.test.tolist() == [4, 5]

    image, metadata, label = source.dataset(transform=to_tensor(16))[0]
    assert image.mean() > 0.7 and label == source.classes.index("BCC")  # the bright dermoscopic image
    clinic = Derm7pt(tmp_path, image_column="clinic")  # the folder above release_v0 works too
    assert clinic.samples[0].image_id == "AAL/Aal002.jpg"
    assert clinic.dataset(transform=to_tensor(16))[0][0].mean() < 0.3


def test_derm7pt_rejects_broken_releases(tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    (release / "meta" / "valid_indexes.csv").write_text("indexes\n3\n4\n")
    with pytest.raises(ValueError, match="repeats rows already in another split"):
        Derm7pt(release)
    (release / "meta" / "valid_indexes.csv").unlink()
    with pytest.raises(FileNotFoundError, match="valid_indexes.csv"):
        Derm7pt(release)
    meta = release / "meta" / "meta.csv"
    meta.write_text(meta.read_text().replace("lentigo", "wart"))
    with pytest.raises(ValueError, match="unknown diagnosis wart"):
        Derm7pt(release)


def test_load_dataset_dispatches_by_name(pad_root, tmp_path):
    assert isinstance(load_source("pad-ufes-20", pad_root), PadUfes20)
    assert isinstance(load_source("derm7pt", write_derm7pt(tmp_path / "release_v0")), Derm7pt)
    with pytest.raises(ValueError, match="unknown dataset 'isic'"):
        load_source("isic", pad_root)


def test_lesion_dataset_encodes_metadata_once_with_nan_for_missing(pad_root):
    source = PadUfes20(pad_root)
    dataset = LesionDataset(source.samples, source.schema)
    assert dataset.metadata.shape == (len(source.samples), len(source.schema.fields))
    missing = torch.isnan(dataset.metadata).sum(0)
    not_biopsied = sum(photos for *_, biopsied, photos in PAD_LESIONS if not biopsied)
    assert missing[source.schema.field_names.index("smoke")] == not_biopsied
    assert missing[source.schema.field_names.index("age")] == 0
    assert dataset.metadata[0].tolist() == source.schema.encode(source.samples[0].record).tolist()
