"""The schema machinery: a clinical field (`FieldSpec`), a dataset's fields and classes (`MetadataSchema`), and how
raw values are validated and encoded. The datasets' own field tables live beside this module.

A schema is plain data (``to_dict`` / ``from_dict``): the app renders its form from it and every checkpoint
stores the one it was trained with. Raw values are accepted as they appear in the datasets' CSV files
(``"True"``/``"False"``/``"UNK"``, Fitzpatrick ``3.0``, ``BRASIL`` next to ``BRAZIL``, empty cells read by
pandas as NaN) and are canonicalised by :meth:`MetadataSchema.normalize`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

Kind = Literal["boolean", "categorical", "numeric"]
Group = Literal["patient", "lesion"]
Value = str | float | None

KINDS = ("boolean", "categorical", "numeric")
GROUPS = ("patient", "lesion")

# Strings that mean "no value", compared case-insensitively: what pandas.read_csv reads as NaN, and what
# str() makes of None / NaN / pd.NA when a table is converted to text.
MISSING_STRINGS = frozenset({"", "NAN", "NONE", "NULL", "NA", "N/A", "<NA>"})
NOT_RECORDED_LABEL = "Not recorded"  # how a missing value reads in forms and explanations


def _mapping() -> Any:
    """A dict-valued dataclass field (left out of the hash, so specs stay hashable)."""
    return dataclasses.field(default_factory=dict, hash=False)


def capitalized_labels(values: Iterable[str]) -> dict[str, str]:
    """Form text of upper- or lower-case codes: "HEAD_NECK" -> "Head neck"."""
    return {value: value.replace("_", " ").capitalize() for value in values}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if isinstance(value, Mapping) else value


def is_missing(value: Any) -> bool:
    """True for every way a blank cell arrives: None, blank strings, NaN, pandas NA / NaT."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().upper() in MISSING_STRINGS
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    # a pandas NA or NaT can only arrive where pandas is loaded already: the schema never imports it itself
    pandas = sys.modules.get("pandas")
    return pandas is not None and pandas.api.types.is_scalar(value) and bool(pandas.isna(value))


def raw_token(value: Any) -> str:
    """Spelling of a raw categorical value: bools as True/False, integral numbers without '.0'."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class FieldSpec:
    """One clinical field: its name (exactly the CSV column), kind, allowed values or range, and form text."""

    name: str
    kind: Kind
    label: str
    group: Group
    values: tuple[str, ...] = ()  # canonical choices of a boolean/categorical field, in encoding order
    aliases: Mapping[str, str] = _mapping()  # raw spelling -> canonical value, matched case-insensitively
    other_value: str | None = None  # open set: unlisted strings map here; None = closed set
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    center: float = 0.0  # the model standardises numeric fields as (x - center) / scale
    scale: float = 1.0
    description: str = ""
    value_labels: Mapping[str, str] = _mapping()  # canonical value -> text shown in forms

    def __post_init__(self) -> None:
        # Coerce JSON types (lists, ints) so a spec read back from config.json equals the original.
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "aliases", dict(self.aliases))
        object.__setattr__(self, "value_labels", dict(self.value_labels))
        for name in ("minimum", "maximum"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "center", float(self.center))
        object.__setattr__(self, "scale", float(self.scale))

        where = f"field {self.name!r}"
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.group not in GROUPS:
            raise ValueError(f"{where}: group must be one of {', '.join(GROUPS)}, got {self.group!r}")
        if self.kind == "numeric":
            if self.values or self.aliases or self.other_value is not None:
                raise ValueError(f"{where}: a numeric field takes no values, aliases or other_value")
            if None not in (self.minimum, self.maximum) and self.minimum > self.maximum:
                raise ValueError(f"{where}: minimum {self.minimum} exceeds maximum {self.maximum}")
            if not self.scale > 0:
                raise ValueError(f"{where}: scale must be > 0, got {self.scale}")
            return
        if not self.values:
            raise ValueError(f"{where}: a {self.kind} field needs its values")
        if len({v.upper() for v in self.values}) != len(self.values):
            raise ValueError(f"{where}: values must differ case-insensitively, got {self.values}")
        unknown = {v for v in (*self.aliases.values(), *self.value_labels, self.other_value) if v is not None}
        unknown -= set(self.values)
        if unknown:
            raise ValueError(f"{where}: aliases, labels or other_value name values not in {self.values}")

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Case-insensitive spelling -> canonical value."""
        lookup = {alias.upper(): value for alias, value in self.aliases.items()}
        lookup.update({value.upper(): value for value in self.values})
        return lookup

    @property
    def allowed(self) -> str:
        """The allowed values or range, as written in error messages."""
        if self.kind == "numeric":
            low = "-inf" if self.minimum is None else f"{self.minimum:g}"
            high = "inf" if self.maximum is None else f"{self.maximum:g}"
            return f"a number from {low} to {high}" + (f" {self.unit}" if self.unit else "")
        open_set = f", or any other text (read as {self.other_value})" if self.other_value else ""
        return f"one of {', '.join(self.values)}{open_set}"

    def value_label(self, value: str) -> str:
        """Form text for a canonical value."""
        return self.value_labels.get(value, value)

    def describe(self, value: Value) -> str:
        """A canonical value as a person reads it: "Yes", "67 years", "Face", "not recorded"."""
        if value is None:
            return NOT_RECORDED_LABEL.lower()
        if self.kind == "numeric":
            return f"{value:g} {self.unit}" if self.unit else f"{value:g}"
        return self.value_label(value)

    def normalize(self, value: Any) -> Value:
        """Canonical value of one raw value: a value of ``values``, a float, or None when missing."""
        if is_missing(value):
            return None
        if self.kind == "numeric":
            return self._normalize_number(value)
        canonical = self._lookup.get(raw_token(value).upper())
        if canonical is not None:
            return canonical
        if self.other_value is not None and isinstance(value, str):
            return self.other_value
        raise ValueError(f"{self.name}: {value!r} is not allowed; expected {self.allowed} (or leave empty)")

    def _normalize_number(self, value: Any) -> float | None:
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{self.name}: got the boolean {value!r}; expected {self.allowed}")
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: {value!r} is not a number; expected {self.allowed}") from None
        if math.isnan(number):  # e.g. the string "NaN": as blank as an empty cell
            return None
        if math.isinf(number):
            raise ValueError(f"{self.name}: {value!r} is not a finite number; expected {self.allowed}")
        if (self.minimum is not None and number < self.minimum) or (self.maximum is not None and number > self.maximum):
            raise ValueError(f"{self.name}: {number:g} is out of range; expected {self.allowed}")
        return number

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FieldSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        if unknown := set(d) - known:
            raise ValueError(f"unknown field spec keys {sorted(unknown)}; expected some of {sorted(known)}")
        return cls(**d)


@dataclass(frozen=True)
class MetadataSchema:
    """The clinical fields of one dataset and its classes, in model input / output order."""

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    classes: tuple[str, ...]
    class_labels: Mapping[str, str] = _mapping()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "class_labels", dict(self.class_labels))
        names = self.field_names
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name!r}: duplicate field names in {names}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"schema {self.name!r}: duplicate classes in {self.classes}")
        if set(self.class_labels) - set(self.classes):
            raise ValueError(f"schema {self.name!r}: class_labels name classes not in {self.classes}")

    @property
    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    def field(self, name: str) -> FieldSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(self._unknown_fields_message([name])) from None

    def _unknown_fields_message(self, names: Iterable[Any]) -> str:
        listed = ", ".join(repr(n) for n in names)
        return f"unknown {self.label} field(s) {listed}; valid fields: {', '.join(self.field_names)}"

    def normalize(self, record: Mapping[str, Any]) -> dict[str, Value]:
        """Validate and canonicalise one record; every field is in the result, missing ones as None.

        Raises ValueError naming each offending field and what it allows; keys that are not clinical
        fields (use :meth:`clinical_fields_of` for full CSV rows) are rejected too.
        """
        record = as_mapping(record)
        if unknown := [key for key in record if key not in self._by_name]:
            raise ValueError(self._unknown_fields_message(unknown))
        out, errors = {}, []
        for spec in self.fields:
            try:
                out[spec.name] = spec.normalize(record.get(spec.name))
            except ValueError as error:
                errors.append(str(error))
        if errors:
            raise ValueError("; ".join(errors))
        return out

    def clinical_fields_of(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The schema's fields of a full CSV row (a dict or pandas Series), raw; other columns dropped."""
        row = as_mapping(row)
        return {name: row[name] for name in self.field_names if name in row}

    def validate(self, record: Mapping[str, Any]) -> dict[str, Value]:
        """Validated, canonical record of user input (see :meth:`normalize`).

        Stricter than ``normalize`` in one way: a float NaN is rejected. pandas writes NaN for an empty CSV cell,
        so loaders accept it through ``normalize``; from a form or an API call it is a computation gone wrong,
        and "unknown" is said with an empty value, ``None`` or by leaving the field out.
        """
        record = as_mapping(record)
        nan_fields = [
            name
            for name in self.field_names
            if isinstance(value := record.get(name), (float, np.floating)) and math.isnan(value)
        ]
        if nan_fields:
            raise ValueError(
                f"{', '.join(map(str, nan_fields))}: NaN is not a value; leave the field out or use null for unknown"
            )
        return self.normalize(record)

    def encode(self, record: Mapping[str, Any]) -> np.ndarray:
        """(F,) float32 in field order: index into ``values`` or the unstandardised number; NaN if missing."""
        return self.encode_canonical(self.normalize(record))

    def encode_canonical(self, values: Mapping[str, Value]) -> np.ndarray:
        """:meth:`encode` of a record that :meth:`normalize` or :meth:`validate` returned (not checked again)."""
        codes = [
            math.nan if value is None else value if spec.kind == "numeric" else spec.values.index(value)
            for spec, value in ((spec, values.get(spec.name)) for spec in self.fields)
        ]
        return np.asarray(codes, dtype=np.float32)

    def encode_batch(self, records: Iterable[Mapping[str, Any]], canonical: bool = False) -> np.ndarray:
        """(B, F) float32, one :meth:`encode` row per record (:meth:`encode_canonical` with `canonical`)."""
        encode = self.encode_canonical if canonical else self.encode
        rows = [encode(record) for record in records]
        return np.stack(rows) if rows else np.empty((0, len(self.fields)), dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``from_dict`` rebuilds an equal schema."""
        return {
            "name": self.name,
            "label": self.label,
            "fields": [spec.to_dict() for spec in self.fields],
            "classes": list(self.classes),
            "class_labels": dict(self.class_labels),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MetadataSchema:
        expected = {"name", "label", "fields", "classes", "class_labels"}
        if set(d) != expected:
            raise ValueError(f"a metadata schema dict has the keys {sorted(expected)}, got {sorted(d)}")
        return cls(**{**d, "fields": tuple(FieldSpec.from_dict(spec) for spec in d["fields"])})


def as_mapping(record: Any) -> Mapping[str, Any]:
    """A record as a mapping (a pandas row becomes a dict); ValueError for anything else."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(record, pandas.Series):
        return record.to_dict()
    if not isinstance(record, Mapping):
        raise ValueError(f"metadata must be a mapping of field name to value, got {type(record).__name__}")
    return record
