"""The clinical form built from a schema, and form values <-> clinical records."""

import pytest

from mhdf.app.form import (
    NOT_RECORDED,
    NOT_RECORDED_LABEL,
    empty_form,
    form_field,
    form_fields,
    form_from_record,
    grouped_form_fields,
    record_from_form,
)
from mhdf.app.texts import field_error
from mhdf.metadata import DERM7PT, PAD_UFES_20


@pytest.mark.parametrize("schema", [PAD_UFES_20, DERM7PT], ids=lambda s: s.name)
def test_every_field_once_in_schema_order(schema):
    assert [f.name for f in form_fields(schema)] == schema.field_names
    grouped = grouped_form_fields(schema)
    assert sorted(f.name for fields in grouped.values() for f in fields) == sorted(schema.field_names)
    for title, fields in grouped.items():
        assert {f.group for f in fields} == {title.lower()}


def test_pad_ufes_20_form_groups_patient_and_lesion_fields():
    grouped = grouped_form_fields(PAD_UFES_20)
    assert list(grouped) == ["Patient", "Lesion"]
    patient = {f.name for f in grouped["Patient"]}
    lesion = {f.name for f in grouped["Lesion"]}
    assert {"age", "gender", "fitspatrick", "smoke", "background_father", "has_sewage_system"} <= patient
    assert {"region", "diameter_1", "diameter_2", "itch", "bleed", "elevation"} <= lesion


def test_derm7pt_gets_its_own_form():
    assert [f.name for f in form_fields(DERM7PT)] == ["sex", "location", "elevation"]
    elevation = form_field(DERM7PT.field("elevation"))
    assert [value for _, value in elevation.choices] == [NOT_RECORDED, "flat", "palpable", "nodular"]


def test_choices_start_with_not_recorded_then_labelled_values():
    itch = form_field(PAD_UFES_20.field("itch"))
    assert itch.widget == "radio"
    assert itch.choices == ((NOT_RECORDED_LABEL, NOT_RECORDED), ("No", "False"), ("Yes", "True"), ("Unknown", "UNK"))
    region = form_field(PAD_UFES_20.field("region"))
    assert region.widget == "dropdown"  # 14 regions do not fit on one line of radio buttons
    assert region.choices[0] == (NOT_RECORDED_LABEL, NOT_RECORDED)
    assert ("Face", "FACE") in region.choices and len(region.choices) == 1 + len(PAD_UFES_20.field("region").values)


def test_numbers_show_unit_and_valid_range():
    age = form_field(PAD_UFES_20.field("age"))
    assert age.widget == "number" and age.choices == ()
    assert age.label == "Age (years)"
    assert "0 to 120" in age.info
    assert form_field(PAD_UFES_20.field("diameter_1")).label == "Diameter 1 (mm)"


def test_record_from_form_keeps_only_filled_fields():
    values = empty_form(PAD_UFES_20)
    names = PAD_UFES_20.field_names
    values[names.index("age")] = "67"
    values[names.index("region")] = "FACE"
    values[names.index("itch")] = "UNK"  # the dataset's own "unknown" answer is a value, not a blank
    values[names.index("diameter_1")] = "  "
    assert record_from_form(PAD_UFES_20, values) == {"age": "67", "region": "FACE", "itch": "UNK"}
    assert record_from_form(PAD_UFES_20, empty_form(PAD_UFES_20)) == {}


def test_record_from_form_rejects_a_form_of_another_schema():
    with pytest.raises(ValueError, match="3 fields, got 21"):
        record_from_form(DERM7PT, empty_form(PAD_UFES_20))


def test_form_from_record_canonicalises_raw_csv_values():
    record = {"age": "62.0", "fitspatrick": "3.0", "background_father": "BRASIL", "itch": "true", "diameter_1": 6.5}
    values = dict(zip(PAD_UFES_20.field_names, form_from_record(PAD_UFES_20, record), strict=True))
    assert values["age"] == "62"
    assert values["fitspatrick"] == "3"
    assert values["background_father"] == "BRAZIL"
    assert values["itch"] == "True"
    assert values["diameter_1"] == "6.5"
    assert values["region"] == NOT_RECORDED
    for field in form_fields(PAD_UFES_20):  # every value is one of the widget's choices
        if field.choices:
            assert values[field.name] in {value for _, value in field.choices}


def test_form_round_trip_gives_the_same_validated_record():
    record = {"age": 71, "gender": "MALE", "region": "NOSE", "bleed": "True", "diameter_2": 4.0, "smoke": "False"}
    back = record_from_form(PAD_UFES_20, form_from_record(PAD_UFES_20, record))
    assert set(back) == set(record)
    assert PAD_UFES_20.normalize(back) == PAD_UFES_20.normalize(record)


def test_form_from_record_names_a_bad_field():
    with pytest.raises(ValueError, match="region"):
        form_from_record(PAD_UFES_20, {"region": "MOON"})


def test_a_refused_value_is_named_in_the_visitors_language():
    values = empty_form(PAD_UFES_20)
    values[PAD_UFES_20.field_names.index("age")] = "130"
    with pytest.raises(ValueError, match="age"):  # English: the schema's own message, naming the field
        PAD_UFES_20.validate(record_from_form(PAD_UFES_20, values))
    with pytest.raises(ValueError) as refused:
        record_from_form(PAD_UFES_20, values, "pt-BR")
    age = PAD_UFES_20.field("age")
    assert str(refused.value) == field_error(PAD_UFES_20, age, "130", "pt-BR")
    assert "Idade" in str(refused.value) and "0 a 120 anos" in str(refused.value)
