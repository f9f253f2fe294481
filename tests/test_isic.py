"""The ISIC-family loaders on small folders written in the real download layouts: counts, classes, groups and the
columns each loader never reads."""

import json

import pytest

from tests.helpers import (
    ARCHIVE_DIAGNOSES,
    HAM10000_DX,
    ISIC_2019_CLASSES,
    isic_2019_rows,
    isic_2020_diagnosis,
    write_ham10000,
    write_isic_2019,
    write_isic_2020,
    write_isic_archive,
)
from training import check_data
from training.data.folds import leaking_patients
from training.data.isic import ARCHIVE_CLASS_MAP, Ham10000, Isic2019, Isic2020, IsicArchive, archive_class
from training.data.leakage import KNOWN_LEAKS
from training.data.registry import load_source
from training.synthetic import photos as synthetic


def doctor(capsys, *argv):
    code = check_data.main(check_data.get_args_parser().parse_args([*argv, "--json"]))
    return code, json.loads(capsys.readouterr().out)


def test_isic_2019_reads_the_one_hot_ground_truth_and_groups_by_lesion(tmp_path):
    source = Isic2019(write_isic_2019(tmp_path))
    rows = isic_2019_rows()
    assert source.classes == ISIC_2019_CLASSES and len(source.samples) == len(rows)
    assert [source.classes[s.label] for s in source.samples] == [cls for _, cls, _ in rows]
    assert all(s.image_path.parent.name == "ISIC_2019_Training_Input" for s in source.samples)
    assert source.num_patients is None and not source.has_patients
    assert source.num_lesions == len({lesion or image for image, _, lesion in rows})
    by_id = {s.image_id: s for s in source.samples}
    assert by_id["ISIC_0000000"].patient == by_id["ISIC_0000001"].patient == "BCN_0000000"
    assert by_id["ISIC_0000040"].patient == "ISIC_0000040"  # no lesion_id: its own group
    assert by_id["ISIC_0000016"].record["age_approx"] is None and by_id["ISIC_0000016"].record["sex"] == "male"
    assert set(source.refused_fields) == {"image", "lesion_id"}


def test_isic_2019_refuses_a_row_with_two_classes(tmp_path):
    root = write_isic_2019(tmp_path)
    truth = root / "ISIC_2019_Training_GroundTruth.csv"
    lines = truth.read_text().splitlines()
    lines[1] = "ISIC_0000000," + ",".join(["1.0"] * 2 + ["0.0"] * 6) + ",0.0"
    truth.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="ISIC_0000000"):
        Isic2019(root)


@pytest.mark.parametrize("folder", ["train", "ISIC_2020_Training_JPEG"])
def test_isic_2020_target_task_keeps_every_row_and_groups_by_patient(tmp_path, folder):
    source = Isic2020(write_isic_2020(tmp_path, folder=folder))
    assert source.classes == ("benign", "malignant") and len(source.samples) == 50
    malignant = sum(isic_2020_diagnosis(i) == "melanoma" for i in range(50))
    assert int(source.labels.sum()) == malignant
    assert source.num_patients == 12 and {s.patient for s in source.samples} == {f"IP_{p:07d}" for p in range(12)}
    assert {"target", "benign_malignant", "diagnosis"} <= set(source.refused_fields)
    assert not source.missing_images


def test_isic_2020_diagnosis_task_leaves_out_unknown_and_rare_diagnoses(tmp_path, capsys):
    root = write_isic_2020(tmp_path)
    source = Isic2020(root, task="diagnosis", min_class_size=3)
    assert set(source.classes) == {"nevus", "melanoma"}
    assert source.left_out_classes == {"unknown": 5, "seborrheic keratosis": 1}
    assert len(source.samples) == 50 - 6
    _, report = doctor(capsys, "--data", str(root), "--dataset", "isic-2020", "--isic-2020-task", "diagnosis",
                       "--min-class-size", "3")  # fmt: skip
    assert report["left_out_classes"] == {"unknown": 5, "seborrheic keratosis": 1}
    assert sum(report["classes"].values()) == 44


@pytest.mark.parametrize("with_dataset", [True, False])
def test_ham10000_reads_both_image_parts_and_keeps_repeat_photos_of_a_lesion_together(tmp_path, with_dataset):
    source = Ham10000(write_ham10000(tmp_path, with_dataset=with_dataset))
    assert source.classes == tuple(code.upper() for code in HAM10000_DX)
    assert len(source.samples) == 35 + 12 and source.num_lesions == 35
    assert {s.image_path.parent.name for s in source.samples} == {"HAM10000_images_part_1", "HAM10000_images_part_2"}
    refused = source.refused_fields
    assert refused["dx_type"] == KNOWN_LEAKS["dx_type"] and ("dataset" in refused) == with_dataset
    assert "dx_type" not in source.schema.field_names and "dataset" not in source.schema.field_names
    # "unknown" sex and localization read as missing values, not as a category
    unknown_sex = [s for s in source.samples if s.patient == "HAM_0000002"]
    assert unknown_sex and all(s.record["sex"] is None for s in unknown_sex)
    folds = source.folds(num_folds=5, seed=0)
    assert leaking_patients(source.patients, folds) == []


def test_isic_archive_maps_the_hierarchical_diagnosis_and_reports_a_lesion_under_two_patients(tmp_path, capsys):
    root = write_isic_archive(tmp_path)
    source = IsicArchive(root)
    assert source.classes == tuple(dict.fromkeys(ARCHIVE_CLASS_MAP.values()))
    expected = [cls for *_, cls in ARCHIVE_DIAGNOSES]
    kept = [i for i in range(40) if i == 39 or expected[i % len(expected)] is not None]
    assert len(source.samples) == len(kept) and source.left_out_classes == {"Benign:Cysts": 40 - len(kept)}
    assert {"diagnosis_1", "diagnosis_confirm_type", "benign_malignant", "melanocytic", "attribution"} <= set(
        source.refused_fields
    )
    assert source.shared_lesions == {"IL_0000003": ["IP_0000003", "IP_S2"]}
    by_id = {s.image_id: s for s in source.samples}
    # the shared lesion joins both patients into one fold group
    assert by_id["ISIC_9000039"].patient == by_id["ISIC_9000003"].patient
    code, report = doctor(capsys, "--data", str(root), "--dataset", "isic-archive")
    assert report["lesions_under_two_patients"] == {"IL_0000003": ["IP_0000003", "IP_S2"]}
    assert report["patients"] == 11 and report["group_leakage"] is False and code == 0


def test_a_class_map_file_replaces_the_archive_map(tmp_path):
    root = write_isic_archive(tmp_path / "archive")
    class_map = tmp_path / "map.csv"
    class_map.write_text("diagnosis,class\nMalignant,malignant\nBenign,benign\n")
    source = load_source("isic-archive", root, class_map=class_map)
    assert source.classes == ("malignant", "benign") and len(source.samples) == 40
    assert archive_class("Benign:Cysts:Milium", {"Benign": "b", "Benign:Cysts": "c"}) == "c"
    assert archive_class("Indeterminate", {"Benign": "b"}) is None


@pytest.mark.parametrize(
    ("dataset", "writer"),
    [("isic-2019", write_isic_2019), ("isic-2020", write_isic_2020), ("ham10000", write_ham10000),
     ("isic-archive", write_isic_archive)],
)  # fmt: skip
def test_the_doctor_reports_inputs_refusals_groups_and_no_group_leakage(tmp_path, capsys, dataset, writer):
    root = writer(tmp_path)
    code, report = doctor(capsys, "--data", str(root), "--dataset", dataset)
    source = load_source(dataset, root)
    assert report["input_fields"] == source.schema.field_names
    assert report["refused_fields"] == source.refused_fields and report["refused_fields"]
    assert not set(report["input_fields"]) & set(report["refused_fields"])
    assert report["lesions"] == source.num_lesions and report["patients"] == source.num_patients
    assert sum(report["classes"].values()) == len(source.samples)
    assert report["group_leakage"] is False and "patient_leakage" not in report
    assert sum(report["folds"].values()) == len(source.samples)
    assert code == 0 and report["healthy"]


@pytest.mark.parametrize("layout", ["ham10000", "isic-2019"])
def test_the_synthetic_generator_writes_the_ham10000_and_isic_2019_layouts(tmp_path, layout):
    out = tmp_path / layout
    synthetic.main(synthetic.get_args_parser().parse_args(["--out", str(out), "--n", "60", "--size", "32",
                                                            "--layout", layout]))  # fmt: skip
    source = load_source(layout, out)
    assert len(source.samples) == 60 and not source.missing_images
    assert source.num_patients is None and source.num_lesions < 60  # repeat photos of a lesion, as in the real sets
    assert len({source.classes[label] for label in source.labels}) >= 5
    assert leaking_patients(source.patients, source.folds(num_folds=3)) == []
