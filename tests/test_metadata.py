"""Clinical metadata schema: raw CSV values, validation errors, encodings, the published 81-feature vector."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from mhdf.metadata import (
    DERM7PT,
    ONEHOT81_COLUMNS,
    PAD_UFES_20,
    SCHEMAS,
    FieldSpec,
    MetadataSchema,
    encode_onehot81,
    get_schema,
    validate,
)

# Three rows in the on-disk format of PAD-UFES-20's metadata.csv (26 columns): a biopsied lesion with every
# field, a non-biopsied one whose patient fields are empty cells, and one with BRASIL and UNK answers.
PAD_CSV = """\
patient_id,lesion_id,smoke,drink,background_father,background_mother,age,pesticide,gender,skin_cancer_history,\
cancer_history,has_piped_water,has_sewage_system,fitspatrick,region,diameter_1,diameter_2,diagnostic,itch,grew,\
hurt,changed,bleed,elevation,img_id,biopsed
PAT_46,881,False,False,POMERANIA,POMERANIA,55,False,FEMALE,True,True,True,True,3.0,NECK,6.0,5.0,BCC,True,True,\
False,True,True,True,PAT_46_881_939.png,True
PAT_1516,1765,,,,,8,,,,,,,,ARM,,,NEV,False,False,False,False,False,False,PAT_1516_1765_530.png,False
PAT_9,10,True,False,BRASIL,GERMANY,71,True,MALE,False,False,True,False,2.0,FACE,12.5,10.0,SCC,UNK,True,UNK,\
False,True,True,PAT_9_10_1.png,True
"""


@pytest.fixture
def pad_rows() -> list[dict]:
    return pd.read_csv(io.StringIO(PAD_CSV)).to_dict("records")


PAD_NUMERIC = ("age", "diameter_1", "diameter_2")


def onehot(*ones: str, **numbers: float) -> list[float]:
    """Hand-built 81-vector: the named columns set to 1, numeric columns to the given values."""
    vector = [0.0] * 81
    for column in ones:
        vector[ONEHOT81_COLUMNS.index(column)] = 1.0
    for column, number in numbers.items():
        vector[ONEHOT81_COLUMNS.index(column)] = number
    return vector


def test_pad_fields_are_the_csv_columns_in_order():
    assert PAD_UFES_20.field_names == [
        "smoke", "drink", "background_father", "background_mother", "age", "pesticide", "gender",
        "skin_cancer_history", "cancer_history", "has_piped_water", "has_sewage_system", "fitspatrick",
        "region", "diameter_1", "diameter_2", "itch", "grew", "hurt", "changed", "bleed", "elevation",
    ]  # fmt: skip
    lesion = {"region", "diameter_1", "diameter_2", "itch", "grew", "hurt", "changed", "bleed", "elevation"}
    assert {spec.name for spec in PAD_UFES_20.fields if spec.group == "lesion"} == lesion
    assert PAD_UFES_20.classes == ("ACK", "BCC", "MEL", "NEV", "SCC", "SEK")
    assert set(PAD_UFES_20.class_labels) == set(PAD_UFES_20.classes)
    assert PAD_UFES_20.field("age").unit == "years"
    assert PAD_UFES_20.field("itch").values == ("False", "True", "UNK")
    assert PAD_UFES_20.field("smoke").values == ("False", "True")


def test_onehot81_column_order_is_the_published_one():
    assert len(ONEHOT81_COLUMNS) == len(set(ONEHOT81_COLUMNS)) == 81
    anchors = {
        0: "smoke_False", 4: "background_father_POMERANIA", 6: "background_father_BRAZIL",
        12: "background_father_BRASIL", 16: "background_father_ISRAEL", 17: "background_mother_POMERANIA",
        27: "background_mother_SPAIN", 28: "age", 33: "skin_cancer_history_True", 41: "fitspatrick_3.0",
        47: "region_ARM", 60: "region_LIP", 61: "diameter_1", 62: "diameter_2", 63: "itch_False",
        80: "elevation_UNK",
    }  # fmt: skip
    assert {i: ONEHOT81_COLUMNS[i] for i in anchors} == anchors


@pytest.mark.parametrize("column", [c for c in ONEHOT81_COLUMNS if c not in PAD_NUMERIC])
def test_every_onehot81_column_is_reached_by_its_csv_value(column):
    name = next(n for n in PAD_UFES_20.field_names if column.startswith(n + "_"))
    raw = column[len(name) + 1 :]
    assert encode_onehot81({name: raw}) == onehot(column)


def test_onehot81_of_csv_rows_as_pandas_reads_them(pad_rows):
    complete, empty_cells, brasil = pad_rows
    assert encode_onehot81(PAD_UFES_20.clinical_fields_of(complete)) == onehot(
        "smoke_False", "drink_False", "background_father_POMERANIA", "background_mother_POMERANIA",
        "pesticide_False", "gender_FEMALE", "skin_cancer_history_True", "cancer_history_True",
        "has_piped_water_True", "has_sewage_system_True", "fitspatrick_3.0", "region_NECK",
        "itch_True", "grew_True", "hurt_False", "changed_True", "bleed_True", "elevation_True",
        age=55.0, diameter_1=6.0, diameter_2=5.0,
    )  # fmt: skip
    assert encode_onehot81(PAD_UFES_20.clinical_fields_of(empty_cells)) == onehot(
        "region_ARM", "itch_False", "grew_False", "hurt_False", "changed_False", "bleed_False",
        "elevation_False", age=8.0,
    )  # fmt: skip
    assert encode_onehot81(PAD_UFES_20.clinical_fields_of(brasil)) == onehot(
        "smoke_True", "drink_False", "background_father_BRASIL", "background_mother_GERMANY",
        "pesticide_True", "gender_MALE", "skin_cancer_history_False", "cancer_history_False",
        "has_piped_water_True", "has_sewage_system_False", "fitspatrick_2.0", "region_FACE",
        "itch_UNK", "grew_True", "hurt_UNK", "changed_False", "bleed_True", "elevation_True",
        age=71.0, diameter_1=12.5, diameter_2=10.0,
    )  # fmt: skip


def test_onehot81_keeps_brasil_and_brazil_apart_while_the_schema_folds_them():
    brasil, brazil = {"background_father": "BRASIL"}, {"background_father": "Brazil"}
    assert encode_onehot81(brasil) == onehot("background_father_BRASIL")
    assert encode_onehot81(brazil) == onehot("background_father_BRAZIL")
    assert validate(brasil)["background_father"] == validate(brazil)["background_father"] == "BRAZIL"


@pytest.mark.parametrize(
    "record",
    [
        {"background_father": "NÃO  ENCONTRADO"},  # free text in the CSV
        {"background_father": "NORWAY"},  # a country only mothers have in the published columns
        {"background_mother": "ARGENTINA"},
    ],
)
def test_onehot81_unlisted_origin_is_all_zeros(record):
    assert encode_onehot81(record) == [0.0] * 81
    assert all(value in ("OTHER", "NORWAY", None) for value in validate(record).values())


@pytest.mark.parametrize("fitzpatrick", ["3.0", "3", 3, 3.0, np.float64(3.0), np.int64(3), "III", " 3.0 "])
def test_onehot81_fitzpatrick_spellings(fitzpatrick):
    assert encode_onehot81({"fitspatrick": fitzpatrick}) == onehot("fitspatrick_3.0")


def test_onehot81_of_nothing_is_zeros_and_validates():
    assert encode_onehot81({}) == [0.0] * 81
    with pytest.raises(ValueError, match="region"):
        encode_onehot81({"region": "KNEE"})


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"age": -1}, ["age", "0 to 120 years"]),
        ({"age": 130}, ["age", "0 to 120 years"]),
        ({"age": math.inf}, ["age", "finite", "0 to 120"]),
        ({"age": "-inf"}, ["age", "finite"]),
        ({"age": "fifty"}, ["age", "not a number", "0 to 120"]),
        ({"age": True}, ["age", "boolean"]),
        ({"diameter_1": -2}, ["diameter_1", "0 to 300 mm"]),
        ({"diameter_2": 1e4}, ["diameter_2", "0 to 300 mm"]),
        ({"region": "KNEE"}, ["region", "'KNEE'", "FACE", "FOREARM", "ABDOMEN"]),
        ({"itch": "maybe"}, ["itch", "'maybe'", "False, True, UNK"]),
        ({"smoke": "UNK"}, ["smoke", "False, True"]),
        ({"fitspatrick": 7}, ["fitspatrick", "1, 2, 3, 4, 5, 6"]),
        ({"fitspatrick": 2.5}, ["fitspatrick", "1, 2, 3, 4, 5, 6"]),
        ({"gender": "X"}, ["gender", "FEMALE, MALE"]),
        ({"background_father": True}, ["background_father", "BRAZIL"]),
        ({"colour": "red"}, ["'colour'", "valid fields", "smoke", "elevation"]),
        ({"diagnostic": "BCC", "age": 50}, ["'diagnostic'", "valid fields"]),
    ],
)
def test_validate_error_names_field_and_allowed_values(record, expected):
    with pytest.raises(ValueError) as error:
        validate(record)
    for text in expected:
        assert text in str(error.value)


def test_validate_reports_every_bad_field_at_once():
    with pytest.raises(ValueError) as error:
        validate({"age": 130, "region": "KNEE", "itch": "maybe", "smoke": "False"})
    message = str(error.value)
    assert all(name in message for name in ("age", "region", "itch")) and "smoke" not in message


@pytest.mark.parametrize("record", [["age", 50], "age=50", None])
def test_validate_rejects_non_mappings(record):
    with pytest.raises(ValueError, match="mapping"):
        validate(record)


@pytest.mark.parametrize(
    "blank", [None, "", "   ", math.nan, np.nan, np.float32("nan"), pd.NA, pd.NaT, "NaN", "null", "None"]
)
@pytest.mark.parametrize("name", ["age", "itch", "region", "fitspatrick", "background_mother"])
def test_blank_values_are_missing_in_csv_rows(name, blank):
    assert PAD_UFES_20.normalize({name: blank})[name] is None


@pytest.mark.parametrize("blank", [None, "", "   ", pd.NA, "NaN", "null"])
def test_blank_user_values_are_missing(blank):
    assert validate({"age": blank})["age"] is None


@pytest.mark.parametrize("nan", [math.nan, np.float32("nan")])
@pytest.mark.parametrize("name", ["age", "itch", "diameter_1"])
def test_validate_rejects_float_nan_from_user_input(name, nan):
    with pytest.raises(ValueError, match=f"{name}: NaN is not a value"):
        validate({name: nan})


def test_every_field_is_present_and_absent_keys_are_missing():
    values = validate({"age": 40})
    assert list(values) == PAD_UFES_20.field_names
    assert values["age"] == 40.0
    assert all(value is None for name, value in values.items() if name != "age")


@pytest.mark.parametrize(
    ("name", "raw", "canonical"),
    [
        ("itch", "True", "True"),
        ("itch", "true", "True"),
        ("itch", True, "True"),
        ("itch", np.bool_(False), "False"),
        ("itch", "unk", "UNK"),
        ("smoke", "yes", "True"),
        ("smoke", 0, "False"),
        ("age", "54", 54.0),
        ("age", np.int64(54), 54.0),
        ("age", 54.5, 54.5),
        ("diameter_1", " 7.5 ", 7.5),
        ("diameter_1", 0, 0.0),
        ("fitspatrick", "3.0", "3"),
        ("fitspatrick", 6, "6"),
        ("fitspatrick", "vi", "6"),
        ("region", "face", "FACE"),
        ("gender", "female", "FEMALE"),
        ("gender", "M", "MALE"),
        ("background_father", "Brasil", "BRAZIL"),
        ("background_father", "pomerania", "POMERANIA"),
        ("background_mother", "UNK", "UNK"),
        ("background_mother", "NÃO  ENCONTRADO", "OTHER"),
    ],
)
def test_raw_spellings_are_canonicalised(name, raw, canonical):
    assert validate({name: raw})[name] == canonical


def test_validate_accepts_a_pandas_series_and_clinical_fields_of_drops_other_columns():
    frame = pd.read_csv(io.StringIO(PAD_CSV))
    row = frame.iloc[0]
    clinical = PAD_UFES_20.clinical_fields_of(row)  # drops patient_id, lesion_id, diagnostic, img_id, biopsed
    assert list(clinical) == PAD_UFES_20.field_names
    assert validate(clinical) == validate(row[PAD_UFES_20.field_names])
    with pytest.raises(ValueError, match="patient_id"):
        validate(row)


def test_encode_codes_and_decode_round_trip(pad_rows):
    records = [PAD_UFES_20.clinical_fields_of(row) for row in pad_rows]
    codes = PAD_UFES_20.encode(records[2])
    assert codes.dtype == np.float32 and codes.shape == (21,)
    names = PAD_UFES_20.field_names
    assert codes[names.index("itch")] == 2  # index of "UNK" in ("False", "True", "UNK")
    origins = PAD_UFES_20.field("background_father").values
    assert codes[names.index("background_father")] == origins.index("BRAZIL")  # BRASIL folded into BRAZIL
    assert codes[names.index("fitspatrick")] == 1  # "2" in ("1", ..., "6")
    assert codes[names.index("age")] == 71.0  # raw, not standardised
    assert codes[names.index("diameter_1")] == 12.5

    batch = PAD_UFES_20.encode_batch(records)
    assert batch.shape == (3, 21) and batch.dtype == np.float32
    assert np.isnan(batch[1, names.index("smoke")]) and np.isnan(batch[1, names.index("diameter_1")])
    for record, row in zip(records, batch, strict=True):
        assert np.array_equal(row, PAD_UFES_20.encode(record), equal_nan=True)
    assert PAD_UFES_20.encode_batch([]).shape == (0, 21)


@pytest.mark.parametrize("schema", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_schema_round_trips_through_json(schema):
    as_dict = schema.to_dict()
    text = json.dumps(as_dict)
    assert json.loads(text) == as_dict
    restored = MetadataSchema.from_dict(json.loads(text))
    assert restored == schema
    assert hash(restored.fields) == hash(schema.fields)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["fields"][0].update(kind="text"), "kind"),
        (lambda d: d["fields"][0].update(group="body"), "group"),
        (lambda d: d["fields"][0].update(colour="red"), "colour"),
        (lambda d: d["fields"][12]["aliases"].update(KNEE="LEG"), "region"),
        (lambda d: d["fields"][4].update(minimum=200.0), "minimum"),
        (lambda d: d["fields"][4].update(scale=0.0), "scale"),
        (lambda d: d["fields"].append(dict(d["fields"][0])), "duplicate"),
        (lambda d: d.update(extra=1), "keys"),
    ],
)
def test_from_dict_rejects_inconsistent_schemas(edit, message):
    broken = json.loads(json.dumps(PAD_UFES_20.to_dict()))
    edit(broken)
    with pytest.raises(ValueError, match=message):
        MetadataSchema.from_dict(broken)


def test_field_spec_needs_values_for_choices_and_none_for_numbers():
    with pytest.raises(ValueError, match="needs its values"):
        FieldSpec(name="colour", kind="categorical", label="Colour", group="lesion")
    with pytest.raises(ValueError, match="numeric"):
        FieldSpec(name="size", kind="numeric", label="Size", group="lesion", values=("small",))


def test_derm7pt_schema():
    assert DERM7PT.field_names == ["sex", "location", "elevation"]
    assert DERM7PT.classes == ("BCC", "NEV", "MEL", "MISC", "SK")
    assert "management" not in DERM7PT.field_names  # leaks the label
    assert set(DERM7PT.field("location").values) == {
        "abdomen", "acral", "back", "buttocks", "chest", "genital areas", "head neck", "lower limbs",
        "upper limbs",
    }  # fmt: skip
    assert DERM7PT.field("elevation").values == ("flat", "palpable", "nodular")

    meta_row = {
        "case_num": 1, "diagnosis": "basal cell carcinoma", "seven_point_score": 0, "elevation": "nodular",
        "location": "abdomen", "sex": "female", "management": "excision", "clinic": "NEL/NEL025.JPG",
        "derm": "NEL/Nel026.jpg", "case_id": math.nan, "notes": math.nan,
    }  # fmt: skip
    clinical = DERM7PT.clinical_fields_of(meta_row)
    assert clinical == {"sex": "female", "location": "abdomen", "elevation": "nodular"}
    assert validate(clinical, DERM7PT) == clinical
    assert DERM7PT.encode(clinical).tolist() == [0, 4, 2]  # female, abdomen, nodular
    assert DERM7PT.encode({"location": "Head Neck"}).tolist()[1] == 0
    with pytest.raises(ValueError, match="management"):
        validate(meta_row, DERM7PT)
    with pytest.raises(ValueError, match="location.*head neck"):
        validate({"location": "face"}, DERM7PT)


def test_get_schema():
    assert get_schema("pad-ufes-20") is PAD_UFES_20
    assert get_schema("PAD-UFES-20") is PAD_UFES_20
    assert get_schema("derm7pt") is DERM7PT
    with pytest.raises(ValueError, match="pad-ufes-20, derm7pt"):
        get_schema("isic2019")


def test_a_field_describes_its_values_as_a_person_reads_them():
    assert PAD_UFES_20.field("age").describe(67.0) == "67 years"
    assert PAD_UFES_20.field("itch").describe("True") == "Yes"
    assert PAD_UFES_20.field("region").describe("FACE") == "Face"
    assert PAD_UFES_20.field("fitspatrick").describe("2").startswith("II")
    assert PAD_UFES_20.field("bleed").describe(None) == "not recorded"
    assert DERM7PT.field("location").describe("head neck") == "Head and neck"


@pytest.mark.slow
def test_the_package_keeps_every_public_name_and_has_no_import_cycle():
    import subprocess
    import sys

    names = ("DERM7PT", "PAD_UFES_20", "SCHEMAS", "FieldSpec", "MetadataSchema", "encode_onehot81", "get_schema",
             "validate", "is_missing", "ONEHOT81_COLUMNS", "GROUPS", "KINDS", "MISSING_STRINGS")  # fmt: skip
    for module in ("mhdf.metadata.schema", "mhdf.metadata.pad_ufes_20", "mhdf.metadata.derm7pt",
                   "mhdf.metadata.onehot81", "mhdf.metadata"):  # fmt: skip
        code = f"import {module}; from mhdf.metadata import {', '.join(names)}"
        subprocess.run([sys.executable, "-c", code], check=True)  # each module imports first without a cycle
