"""The MILK10k loader on a small folder written in the training download's layout (tests/helpers.write_milk10k):
pairing, field mapping, labels, the columns never read, lesion-whole folds, both photos per case and the doctor."""

import json

import pytest
import torch
from torchvision.transforms import v2

from tests.helpers import MILK10K_FIXTURE_CLASSES, MILK10K_HEADER, milk10k_photo, write_milk10k
from training import check_data
from training.data.folds import leaking_patients
from training.data.milk10k import Milk10k
from training.data.registry import load_source, source_options
from training.data.views import MultiViewDataset, loader_options, view_paths

TWO = ["clinical", "dermoscopic"]


@pytest.fixture
def milk(tmp_path):
    return write_milk10k(tmp_path / "milk10k")


def drop_rows(root, *isic_ids):
    """The metadata without the rows of these photos."""
    path = root / "MILK10k_Training_Metadata.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if line.split(",")[2] not in isic_ids) + "\n")


def replace_in(path, old, new):
    path.write_text(path.read_text().replace(old, new))


def test_one_case_per_lesion_reads_the_dermoscopic_photo_and_the_lesions_clinical_fields(milk):
    source = load_source("milk10k", milk)
    assert len(source.samples) == 12 and [s.image_id for s in source.samples] == [f"IL_{i:07d}" for i in range(12)]
    first = source.samples[0]
    assert first.image_path == milk / "MILK10k_Training_Input" / "IL_0000000" / f"{milk10k_photo(0, 'dermoscopic')}.jpg"
    assert first.record == {"age_approx": 30.0, "sex": "female", "skin_tone_class": "0", "site": "head_neck_face"}
    # blank cells are missing values: lesion 5's age, every third lesion's sex, every seventh lesion's site
    assert source.samples[5].record["age_approx"] is None and source.samples[2].record["sex"] is None
    assert source.samples[6].record["site"] is None and source.samples[5].record["skin_tone_class"] == "5"
    assert source.schema.field_names == ["age_approx", "sex", "skin_tone_class", "site"]


def test_labels_come_from_the_one_hot_ground_truth(milk):
    source = Milk10k(milk)
    assert len(source.classes) == 11 and source.classes[0] == "AKIEC"
    expected = [MILK10K_FIXTURE_CLASSES[i % len(MILK10K_FIXTURE_CLASSES)] for i in range(12)]
    assert [source.classes[label] for label in source.labels] == expected


def test_a_ground_truth_row_without_exactly_one_class_is_refused(milk):
    truth = milk / "MILK10k_Training_GroundTruth.csv"
    lines = truth.read_text().splitlines()
    lines[3] = "IL_0000002," + ",".join(["1.0"] * 2 + ["0.0"] * 9)
    truth.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="exactly one class: IL_0000002"):
        Milk10k(milk)


def test_the_clinical_view_is_the_other_photo_of_the_same_lesion(milk):
    derm, clinical = Milk10k(milk), Milk10k(milk, image_view="clinical")
    assert [s.image_id for s in derm.samples] == [s.image_id for s in clinical.samples]
    assert clinical.samples[3].image_path.name == f"{milk10k_photo(3, 'clinical: close-up')}.jpg"
    assert clinical.samples[3].image_path.parent == derm.samples[3].image_path.parent
    with pytest.raises(ValueError, match="image_view must be one of clinical, dermoscopic"):
        Milk10k(milk, image_view="overview")


def test_photos_in_one_flat_folder_are_found_too(milk):
    images = milk / "MILK10k_Training_Input"
    for photo in sorted(images.rglob("*.jpg")):
        photo.rename(images / photo.name)
    source = Milk10k(milk)
    assert not source.missing_images and source.samples[0].image_path.parent == images


def test_a_lesion_missing_a_photo(milk):
    """A lesion listed with its clinical photo only: the dermoscopic view is absent, and single-view training on
    it names the lesion; a photo listed but not on disk is reported the same way."""
    drop_rows(milk, milk10k_photo(4, "dermoscopic"))
    with pytest.raises(ValueError, match="IL_0000004"):
        Milk10k(milk)
    source = Milk10k(milk, allow_missing_images=True)
    assert source.missing_images == ["IL_0000004"]
    assert source.samples[4].record["age_approx"] == 50.0  # its fields come from the photo it has
    paths = view_paths(source, TWO)
    assert paths[4]["dermoscopic"] is None and paths[4]["clinical"].is_file()
    assert not Milk10k(milk, image_view="clinical").missing_images
    (milk / "MILK10k_Training_Input" / "IL_0000007" / f"{milk10k_photo(7, 'clinical: close-up')}.jpg").unlink()
    with pytest.raises(ValueError, match="not on disk"):
        view_paths(source, TWO)


def test_unknown_values_and_layouts_are_refused_naming_the_lesion(milk):
    metadata = milk / "MILK10k_Training_Metadata.csv"
    replace_in(metadata, "IL_0000003,clinical: close-up", "IL_0000003,clinical: overview")
    with pytest.raises(ValueError, match="unknown image_type"):
        Milk10k(milk)
    milk = write_milk10k(milk.parent / "sites")
    replace_in(milk / "MILK10k_Training_Metadata.csv", "lower_extremity", "palms/soles")
    with pytest.raises(ValueError, match="IL_0000003: .*palms/soles"):
        Milk10k(milk)
    milk = write_milk10k(milk.parent / "disagree")
    metadata = milk / "MILK10k_Training_Metadata.csv"
    lines = metadata.read_text().splitlines()
    lines[1] = lines[1].replace(",female,", ",male,")  # lesion 0's clinical row only
    metadata.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="different clinical values: IL_0000000"):
        Milk10k(milk)
    drop_rows(milk, milk10k_photo(0, "clinical: close-up"), milk10k_photo(0, "dermoscopic"))
    with pytest.raises(ValueError, match="no photo of the lesions IL_0000000"):
        Milk10k(milk)
    with pytest.raises(FileNotFoundError, match="MILK10k_Training_Metadata.csv"):
        Milk10k(milk.parent)


def test_every_column_but_the_four_fields_is_refused_with_a_reason(milk):
    source = Milk10k(milk)
    columns = set(MILK10K_HEADER.split(",")) | set(source.classes) | set(source.view_columns.values())
    assert set(source.refused_fields) == columns - set(source.schema.field_names)
    assert "label" in source.refused_fields["MEL"] and "MONET" in source.refused_fields["MONET_hair"]
    assert "malignant" in source.refused_fields["image_manipulation"]
    assert "source" in source.refused_fields["attribution"] and "source" in source.refused_fields["copyright_license"]
    assert not any(reason == "not a clinical field of the schema" for reason in source.refused_fields.values())


def test_folds_keep_each_lesion_whole(milk):
    source = Milk10k(milk)
    assert not source.has_patients and source.num_patients is None and source.num_lesions == 12
    folds = source.folds(num_folds=3)
    assert not leaking_patients(source.patients, folds) and set(folds.tolist()) == {0, 1, 2}
    split = source.split(0, num_folds=3)
    assert sorted([*split.train, *split.val, *split.test]) == list(range(12))


def test_both_photos_of_a_lesion_load_as_views(milk):
    source = Milk10k(milk)
    transform = v2.Compose([v2.ToImage(), v2.Resize((16, 16)), v2.ToDtype(torch.float32, scale=True)])
    dataset = MultiViewDataset(source, [1, 6], TWO, 16, transform)
    photos, metadata, label = dataset[1]
    assert set(photos) == set(TWO) and photos["clinical"].shape == (3, 16, 16)
    assert photos["clinical"].mean() < 0.3 < 0.4 < photos["dermoscopic"].mean()  # the fixture's dark / light photos
    assert label == source.samples[6].label and torch.allclose(metadata, dataset.metadata[1], equal_nan=True)


def test_a_single_view_picks_the_photo_each_sample_reads(milk):
    assert loader_options("milk10k", None, ["clinical"]) == {"image_view": "clinical"}
    assert loader_options("milk10k", None, TWO) == {} and loader_options("milk10k", None, None) == {}
    options = source_options({"dataset": "milk10k", "data": str(milk), "image_views": ["clinical"]})
    assert load_source("milk10k", milk, **options).image_view == "clinical"


def test_the_doctor_reads_the_download(milk, capsys):
    argv = ["--data", str(milk), "--dataset", "milk10k", "--folds", "3", "--json"]
    code = check_data.main(check_data.get_args_parser().parse_args(argv))
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["healthy"] and report["images"] == 12 and report["lesions"] == 12
    assert report["patients"] is None and not report["group_leakage"]
    assert report["input_fields"] == ["age_approx", "sex", "skin_tone_class", "site"]
    assert report["classes"]["MEL"] == 3 and report["classes"]["AKIEC"] == 0
    assert "MONET_erythema" in report["refused_fields"] and report["missing_fields"]["age_approx"] == 1
