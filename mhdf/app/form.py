"""The clinical form of a checkpoint's metadata schema: which input each field gets, and form values <-> record.

Pure data, no UI library: the app turns each `FormField` into a widget, so a PAD-UFES-20 checkpoint gets its
21-field form and a Derm7pt checkpoint its own three fields. Every field can be left "not recorded", which the
model reads as missing (its learned missing embedding) - distinct from the dataset's own ``UNK`` answer.
Form values are text: a choice's canonical value, a number as typed, or ``NOT_RECORDED`` (the empty string),
so an empty number stays empty instead of becoming 0, and the schema parses and checks everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mhdf.app.texts import EN, field_error
from mhdf.metadata import GROUPS, NOT_RECORDED_LABEL, FieldSpec, MetadataSchema, is_missing

Widget = Literal["radio", "dropdown", "number"]

NOT_RECORDED = ""  # the form value of "not recorded"; the schema reads a blank string as missing
GROUP_TITLES = {"patient": "Patient", "lesion": "Lesion"}
# Up to this many choices (not recorded included) fit on one line as radio buttons; more go in a dropdown.
MAX_RADIO_CHOICES = 4


@dataclass(frozen=True)
class FormField:
    """One input of the clinical form."""

    name: str  # the schema field, exactly as in the dataset's CSV
    widget: Widget
    label: str  # with the unit for numbers, e.g. "Age (years)"
    info: str  # help text: the description, and the valid range for numbers
    group: str  # "patient" | "lesion"
    choices: tuple[tuple[str, str], ...] = ()  # (text shown, value); the first is "not recorded"


def form_field(spec: FieldSpec) -> FormField:
    """The input for one schema field."""
    if spec.kind == "numeric":
        return FormField(
            name=spec.name,
            widget="number",
            label=f"{spec.label} ({spec.unit})" if spec.unit else spec.label,
            info=f"{spec.description} Valid: {spec.allowed}; leave empty if not recorded.".strip(),
            group=spec.group,
        )
    choices = ((NOT_RECORDED_LABEL, NOT_RECORDED), *((spec.value_label(v), v) for v in spec.values))
    return FormField(
        name=spec.name,
        widget="radio" if len(choices) <= MAX_RADIO_CHOICES else "dropdown",
        label=spec.label,
        info=spec.description,
        group=spec.group,
        choices=choices,
    )


def form_fields(schema: MetadataSchema) -> list[FormField]:
    """Every field of the schema, in the schema's (model input) order."""
    return [form_field(spec) for spec in schema.fields]


def grouped_form_fields(schema: MetadataSchema) -> dict[str, list[FormField]]:
    """Fields by group title ("Patient", "Lesion"), groups in fixed order, empty groups left out."""
    fields = form_fields(schema)
    grouped = {GROUP_TITLES[group]: [f for f in fields if f.group == group] for group in GROUPS}
    return {title: members for title, members in grouped.items() if members}


def empty_form(schema: MetadataSchema) -> list[str]:
    """Form values with every field not recorded."""
    return [NOT_RECORDED] * len(schema.fields)


def record_from_form(schema: MetadataSchema, values: Sequence[Any], lang: str = EN) -> dict[str, Any]:
    """Form values in schema order -> the clinical record of the filled fields, values as given (validated
    by the predictor, so a bad value gets the schema's error message naming the field). In another language than
    English each filled value is checked here first, so a refused one is named in `lang` (the schema, in core,
    writes English)."""
    if len(values) != len(schema.fields):
        raise ValueError(f"the form has {len(schema.fields)} fields, got {len(values)} values")
    record = {spec.name: value for spec, value in zip(schema.fields, values, strict=True) if not is_missing(value)}
    if lang != EN:
        errors = []
        for name, value in record.items():
            spec = schema.field(name)
            try:
                spec.normalize(value)
            except ValueError:
                errors.append(field_error(schema, spec, value, lang))
        if errors:
            raise ValueError("; ".join(errors))
    return record


def form_from_record(schema: MetadataSchema, record: Mapping[str, Any]) -> list[str]:
    """A clinical record (raw CSV-style values allowed) -> form values in schema order, canonicalised by the
    schema so that each value is one of the form's choices, numbers as short text ("57", "6.5").
    Raises ValueError naming a bad field."""
    normalized = schema.normalize(record)
    return [_form_text(normalized[spec.name]) for spec in schema.fields]


def _form_text(value: str | float | None) -> str:
    if value is None:
        return NOT_RECORDED
    return f"{value:g}" if isinstance(value, float) else value
