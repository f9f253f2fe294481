"""Any CSV with a schema file: loading, the drafted schema and its round trip, and the leakage refusal."""

import json

import pandas as pd
import pytest
import yaml

from tests.helpers import write_clinic
from training import check_data
from training.data.csv_table import CsvSource, infer_schema, read_schema_file
from training.data.leakage import KNOWN_LEAKS, LeakageError
from training.data.registry import load_source
from training.data.tables import read_table


def test_a_clinic_csv_loads_by_its_schema_file_finding_images_by_name_or_id(tmp_path):
    root = write_clinic(tmp_path)
    source = load_source("csv", root / "clinic.csv", schema=root / "clinic.yaml")
    assert isinstance(source, CsvSource) and len(source.samples) == 40 and not source.missing_images
    assert source.classes == ("benign", "malignant") and source.schema.class_labels["malignant"] == "Malignant lesion"
    assert source.schema.name == "clinic" and source.schema.field_names == ["age", "site", "smoker"]
    assert source.num_patients == 14 and {s.patient for s in source.samples} == {f"P{i}" for i in range(14)}
    age = source.schema.field("age")
    assert (age.minimum, age.maximum, age.unit) == (0.0, 120.0, "years")
    assert age.scale > 1 and 30 < age.center < 70  # standardised by the table, as the file gives no centre
    assert source.samples[4].record["age"] is None and source.samples[1].record["smoker"] == "False"
    # --data may name the folder holding the CSV
    assert len(load_source("csv", root, schema=root / "clinic.yaml").samples) == 40
    assert source.refused_fields["biopsied"] == KNOWN_LEAKS["biopsied"]


def test_a_schema_file_can_be_json(tmp_path):
    root = write_clinic(tmp_path)
    (root / "clinic.json").write_text(json.dumps(yaml.safe_load((root / "clinic.yaml").read_text())))
    assert CsvSource(root, schema=root / "clinic.json").schema.field_names == ["age", "site", "smoker"]


def _schema_with(root, **changes):
    spec = yaml.safe_load((root / "clinic.yaml").read_text()) | changes
    path = root / "edited.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.mark.parametrize("leak", ["diagnosis", "biopsied"])
def test_declaring_the_label_or_a_known_leak_as_an_input_is_refused_by_name(tmp_path, leak):
    root = write_clinic(tmp_path)
    spec = yaml.safe_load((root / "clinic.yaml").read_text())
    kind = {"kind": "categorical", "values": ["benign", "malignant"]} if leak == "diagnosis" else {
        "kind": "boolean", "values": ["False", "True"], "aliases": {"no": "False", "yes": "True"}}  # fmt: skip
    fields = [*spec["fields"], {"name": leak, **kind}]
    with pytest.raises(LeakageError, match=leak):
        CsvSource(root, schema=_schema_with(root, fields=fields))
    with pytest.warns(UserWarning, match=f"allow_leaky.*{leak}"):
        source = CsvSource(root, schema=_schema_with(root, fields=fields, allow_leaky=True))
    assert leak in source.leaky_inputs and leak in source.schema.field_names


def test_schema_file_errors_name_the_problem(tmp_path):
    root = write_clinic(tmp_path)
    with pytest.raises(ValueError, match="not a column"):
        CsvSource(root, schema=_schema_with(root, fields=[{"name": "weight", "kind": "numeric"}]))
    with pytest.raises(ValueError, match="unknown keys"):
        read_schema_file(_schema_with(root, colour="red"))
    with pytest.raises(ValueError, match="labels not among"):
        CsvSource(root, schema=_schema_with(root, classes=["benign"]))
    with pytest.raises(ValueError, match="--schema"):
        CsvSource(root)


def test_the_drafted_schema_infers_kinds_leaves_out_leaks_and_round_trips(tmp_path, capsys):
    root = write_clinic(tmp_path)
    out = tmp_path / "draft.yaml"
    argv = ["--data", str(root), "--dataset", "csv", "--infer-schema", str(out), "--image-column", "photo",
            "--label-column", "diagnosis", "--patient-column", "patient"]  # fmt: skip
    assert check_data.main(check_data.get_args_parser().parse_args(argv)) == 0
    text = out.read_text()
    spec = yaml.safe_load(text)
    kinds = {field["name"]: field["kind"] for field in spec["fields"]}
    assert kinds == {"age": "numeric", "site": "categorical", "smoker": "boolean"}
    assert "biopsied" not in kinds and "#   biopsied: gives the label away" in text
    site = next(field for field in spec["fields"] if field["name"] == "site")
    assert site["values"] == ["face", "limb", "trunk"]
    age = next(field for field in spec["fields"] if field["name"] == "age")
    table = read_table(root / "clinic.csv", ["age"], "clinic")
    ages = [float(a) for a in table["age"] if a]
    assert age["range"] == [min(ages), max(ages)]
    assert spec["classes"] == ["benign", "malignant"] and spec["allow_leaky"] is False
    # round trip: the draft loads, and its schema has the inferred fields
    source = CsvSource(root, schema=out)
    assert source.schema.field_names == ["age", "site", "smoker"]


def test_a_drafted_schema_leaves_out_identifiers_and_free_text():
    rows = range(60)
    table = pd.DataFrame({"photo": [f"p{i}" for i in rows], "dx": ["a", "b"] * 30, "record": [f"R-{i}" for i in rows],
                          "note": [f"note {i % 55}" for i in rows], "site": ["arm", "leg", ""] * 20})  # fmt: skip
    spec = yaml.safe_load(infer_schema(table, image_column="photo", label_column="dx"))
    assert [field["name"] for field in spec["fields"]] == ["site"]
    assert spec["fields"][0]["values"] == ["arm", "leg"]


def test_infer_schema_needs_the_image_and_label_columns(tmp_path, capsys):
    root = write_clinic(tmp_path)
    argv = ["--data", str(root), "--dataset", "csv", "--infer-schema", str(tmp_path / "x.yaml"),
            "--image-column", "photo"]  # fmt: skip
    assert check_data.main(check_data.get_args_parser().parse_args(argv)) == 2
    argv += ["--label-column", "nope"]
    assert check_data.main(check_data.get_args_parser().parse_args(argv)) == 2
    assert "nope" in capsys.readouterr().err


def test_the_doctor_reports_a_csv_and_warns_about_a_field_that_predicts_the_label(tmp_path, capsys):
    root = write_clinic(tmp_path)
    argv = ["--data", str(root), "--dataset", "csv", "--schema", str(root / "clinic.yaml"), "--json"]
    code = check_data.main(check_data.get_args_parser().parse_args(argv))
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["patients"] == 14 and report["classes"] == {"benign": 26, "malignant": 14}
    assert report["input_fields"] == ["age", "site", "smoker"] and "biopsied" in report["refused_fields"]
    # in the fixture, site "face" is exactly the malignant rows
    assert report["predictive_fields"] == {"site": 1.0} and any("site" in w for w in report["warnings"])
