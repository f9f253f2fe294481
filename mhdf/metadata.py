"""Clinical metadata schemas: the fields each dataset records, how raw values are validated and encoded.

A schema is plain data (``to_dict`` / ``from_dict``): the app renders its form from it and every checkpoint
stores the one it was trained with. Raw values are accepted as they appear in the datasets' CSV files
(``"True"``/``"False"``/``"UNK"``, Fitzpatrick ``3.0``, ``BRASIL`` next to ``BRAZIL``, empty cells read by
pandas as NaN) and are canonicalised by :meth:`MetadataSchema.normalize`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["boolean", "categorical", "numeric"]
Group = Literal["patient", "lesion"]
Value = str | float | None

KINDS = ("boolean", "categorical", "numeric")
GROUPS = ("patient", "lesion")

# Strings that mean "no value", compared case-insensitively: what pandas.read_csv reads as NaN, and what
# str() makes of None / NaN / pd.NA when a table is converted to text.
MISSING_STRINGS = frozenset({"", "NAN", "NONE", "NULL", "NA", "N/A", "<NA>"})


def _mapping() -> Any:
    """A dict-valued dataclass field (left out of the hash, so specs stay hashable)."""
    return dataclasses.field(default_factory=dict, hash=False)


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
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _as_token(value: Any) -> str:
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

    def normalize(self, value: Any) -> Value:
        """Canonical value of one raw value: a value of ``values``, a float, or None when missing."""
        if is_missing(value):
            return None
        if self.kind == "numeric":
            return self._normalize_number(value)
        canonical = self._lookup.get(_as_token(value).upper())
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
        record = _as_mapping(record)
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
        row = _as_mapping(row)
        return {name: row[name] for name in self.field_names if name in row}

    def encode(self, record: Mapping[str, Any]) -> np.ndarray:
        """(F,) float32 in field order: index into ``values`` or the unstandardised number; NaN if missing."""
        values = self.normalize(record)
        codes = [
            math.nan if value is None else value if spec.kind == "numeric" else spec.values.index(value)
            for spec, value in zip(self.fields, values.values(), strict=True)
        ]
        return np.asarray(codes, dtype=np.float32)

    def encode_batch(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """(B, F) float32, one :meth:`encode` row per record."""
        rows = [self.encode(record) for record in records]
        return np.stack(rows) if rows else np.empty((0, len(self.fields)), dtype=np.float32)

    def decode(self, vector: Sequence[float] | np.ndarray) -> dict[str, Value]:
        """Inverse of :meth:`encode` (numbers come back at float32 precision)."""
        vector = np.asarray(vector, dtype=np.float64)
        if vector.shape != (len(self.fields),):
            raise ValueError(f"expected a vector of {len(self.fields)} codes, got shape {vector.shape}")
        out = {}
        for spec, code in zip(self.fields, vector, strict=True):
            if math.isnan(code):
                out[spec.name] = None
            elif spec.kind == "numeric":
                out[spec.name] = float(code)
            elif code.is_integer() and 0 <= code < len(spec.values):
                out[spec.name] = spec.values[int(code)]
            else:
                raise ValueError(f"{spec.name}: code {code:g} is not an index into {spec.values}")
        return out

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


def _as_mapping(record: Any) -> Mapping[str, Any]:
    if isinstance(record, pd.Series):
        return record.to_dict()
    if not isinstance(record, Mapping):
        raise ValueError(f"metadata must be a mapping of field name to value, got {type(record).__name__}")
    return record


# ----------------------------------------------------------------------------------------------------------
# Field tables. Value sets as they occur in the datasets' CSV files.

_YES_NO = {"False": "No", "True": "Yes"}
_YES_NO_UNK = {**_YES_NO, "UNK": "Unknown"}


def _boolean(name: str, label: str, group: Group, description: str, unk: bool = False) -> FieldSpec:
    aliases = {"NO": "False", "YES": "True", "0": "False", "1": "True"} | ({"UNKNOWN": "UNK"} if unk else {})
    return FieldSpec(
        name=name,
        kind="boolean",
        label=label,
        group=group,
        values=("False", "True", "UNK") if unk else ("False", "True"),
        aliases=aliases,
        description=description,
        value_labels=_YES_NO_UNK if unk else _YES_NO,
    )


def _titled(values: Iterable[str]) -> dict[str, str]:
    return {value: value.replace("_", " ").capitalize() for value in values}


# Ancestry: both parents share one list, the union of the countries in PAD-UFES-20. The CSV spells Brazil
# both BRAZIL and BRASIL; any other text, such as "NÃO  ENCONTRADO" ("not found"), reads as OTHER.
_ANCESTRY = (
    "BRAZIL", "POMERANIA", "GERMANY", "ITALY", "POLAND", "NETHERLANDS", "PORTUGAL", "SPAIN",
    "AUSTRIA", "CZECH", "FRANCE", "ISRAEL", "NORWAY", "UNK", "OTHER",
)  # fmt: skip
_REGIONS = (
    "SCALP", "FACE", "EAR", "NOSE", "LIP", "NECK", "CHEST", "ABDOMEN", "BACK",
    "ARM", "FOREARM", "HAND", "THIGH", "FOOT",
)  # fmt: skip
_FITZPATRICK = {
    "1": "I (always burns, never tans)",
    "2": "II (usually burns, tans minimally)",
    "3": "III (sometimes burns, tans uniformly)",
    "4": "IV (burns minimally, always tans well)",
    "5": "V (rarely burns, tans profusely)",
    "6": "VI (never burns)",
}
_ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _ancestry(name: str, label: str, parent: str) -> FieldSpec:
    return FieldSpec(
        name=name,
        kind="categorical",
        label=label,
        group="patient",
        values=_ANCESTRY,
        aliases={"BRASIL": "BRAZIL", "UNKNOWN": "UNK"},
        other_value="OTHER",
        description=f"Country the patient's {parent}'s family comes from.",
        value_labels=_titled(_ANCESTRY) | {"UNK": "Unknown"},
    )


def _diameter(name: str, label: str, axis: str, center: float, scale: float) -> FieldSpec:
    # 300 mm is the bound of the PAD-UFES-20 authors' own sanity check.
    return FieldSpec(
        name=name,
        kind="numeric",
        label=label,
        group="lesion",
        unit="mm",
        minimum=0.0,
        maximum=300.0,
        center=center,
        scale=scale,
        description=f"{axis} diameter of the lesion in millimetres.",
    )


# In the column order of PAD-UFES-20's metadata.csv. center/scale: about the mean and std of its values.
PAD_UFES_20 = MetadataSchema(
    name="pad-ufes-20",
    label="PAD-UFES-20",
    fields=(
        _boolean("smoke", "Smoker", "patient", "The patient smokes cigarettes."),
        _boolean("drink", "Drinks alcohol", "patient", "The patient drinks alcoholic beverages."),
        _ancestry("background_father", "Father's ancestry", "father"),
        _ancestry("background_mother", "Mother's ancestry", "mother"),
        FieldSpec(
            name="age",
            kind="numeric",
            label="Age",
            group="patient",
            unit="years",
            minimum=0.0,
            maximum=120.0,
            center=60.5,
            scale=15.9,
            description="Age of the patient in years.",
        ),
        _boolean("pesticide", "Pesticide exposure", "patient", "The patient uses or handles pesticides."),
        FieldSpec(
            name="gender",
            kind="categorical",
            label="Gender",
            group="patient",
            values=("FEMALE", "MALE"),
            aliases={"F": "FEMALE", "M": "MALE"},
            description="Gender of the patient.",
            value_labels=_titled(("FEMALE", "MALE")),
        ),
        _boolean("skin_cancer_history", "Previous skin cancer", "patient", "The patient had skin cancer."),
        _boolean("cancer_history", "Family cancer history", "patient", "A family member has had cancer."),
        _boolean("has_piped_water", "Piped water", "patient", "The patient's home has piped water."),
        _boolean("has_sewage_system", "Sewage system", "patient", "The patient's home has sewage service."),
        FieldSpec(
            name="fitspatrick",  # sic: the dataset's spelling
            kind="categorical",
            label="Fitzpatrick skin type",
            group="patient",
            values=tuple(_FITZPATRICK),
            aliases={f"{k}.0": k for k in _FITZPATRICK} | dict(zip(_ROMAN, _FITZPATRICK, strict=True)),
            description="Skin phototype, from I (always burns) to VI (never burns).",
            value_labels=_FITZPATRICK,
        ),
        FieldSpec(
            name="region",
            kind="categorical",
            label="Body region",
            group="lesion",
            values=_REGIONS,
            description="Anatomical region of the lesion.",
            value_labels=_titled(_REGIONS),
        ),
        _diameter("diameter_1", "Diameter 1", "Horizontal", center=11.2, scale=7.0),
        _diameter("diameter_2", "Diameter 2", "Vertical", center=8.6, scale=4.7),
        _boolean("itch", "Itches", "lesion", "The lesion itches.", unk=True),
        _boolean("grew", "Grew", "lesion", "The lesion has grown recently.", unk=True),
        _boolean("hurt", "Hurts", "lesion", "The lesion hurts.", unk=True),
        _boolean("changed", "Changed", "lesion", "The lesion has changed its appearance.", unk=True),
        _boolean("bleed", "Bleeds", "lesion", "The lesion has bled.", unk=True),
        _boolean("elevation", "Elevated", "lesion", "The lesion is raised above the skin.", unk=True),
    ),
    classes=("ACK", "BCC", "MEL", "NEV", "SCC", "SEK"),
    class_labels={
        "ACK": "Actinic keratosis",
        "BCC": "Basal cell carcinoma",
        "MEL": "Melanoma",
        "NEV": "Nevus",
        "SCC": "Squamous cell carcinoma",  # includes Bowen's disease (SCC in situ)
        "SEK": "Seborrheic keratosis",
    },
)

_LOCATIONS = (
    "head neck", "upper limbs", "lower limbs", "chest", "abdomen", "back", "buttocks", "genital areas",
    "acral",
)  # fmt: skip
_ELEVATIONS = ("flat", "palpable", "nodular")

# Derm7pt release_v0 meta/meta.csv; never `management`, which gives the label away.
DERM7PT = MetadataSchema(
    name="derm7pt",
    label="Derm7pt",
    fields=(
        FieldSpec(
            name="sex",
            kind="categorical",
            label="Sex",
            group="patient",
            values=("female", "male"),
            aliases={"F": "female", "M": "male"},
            description="Sex of the patient.",
            value_labels=_titled(("female", "male")),
        ),
        FieldSpec(
            name="location",
            kind="categorical",
            label="Lesion location",
            group="lesion",
            values=_LOCATIONS,
            description="Body location of the lesion.",
            value_labels=_titled(_LOCATIONS) | {"head neck": "Head and neck"},
        ),
        FieldSpec(
            name="elevation",
            kind="categorical",
            label="Elevation",
            group="lesion",
            values=_ELEVATIONS,
            description="Whether the lesion is flat, palpable or nodular.",
            value_labels=_titled(_ELEVATIONS),
        ),
    ),
    classes=("BCC", "NEV", "MEL", "MISC", "SK"),
    class_labels={
        "BCC": "Basal cell carcinoma",
        "NEV": "Nevus",
        "MEL": "Melanoma",
        "MISC": "Miscellaneous (dermatofibroma, lentigo, melanosis, vascular, other)",
        "SK": "Seborrheic keratosis",
    },
)

SCHEMAS: dict[str, MetadataSchema] = {schema.name: schema for schema in (PAD_UFES_20, DERM7PT)}


def get_schema(name: str) -> MetadataSchema:
    """The schema registered under ``name`` (case-insensitive, e.g. "pad-ufes-20", "derm7pt")."""
    try:
        return SCHEMAS[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown metadata schema {name!r}; choose one of {', '.join(SCHEMAS)}") from None


def validate(record: Mapping[str, Any], schema: MetadataSchema = PAD_UFES_20) -> dict[str, Value]:
    """Validated, canonical record of user input (see :meth:`MetadataSchema.normalize`).

    Stricter than ``normalize`` in one way: a float NaN is rejected. pandas writes NaN for an empty CSV cell,
    so loaders accept it through ``normalize``; from a form or an API call it is a computation gone wrong,
    and "unknown" is said with an empty value, ``None`` or by leaving the field out.
    """
    record = _as_mapping(record)
    nan_fields = [
        name
        for name in schema.field_names
        if isinstance(value := record.get(name), (float, np.floating)) and math.isnan(value)
    ]
    if nan_fields:
        raise ValueError(
            f"{', '.join(map(str, nan_fields))}: NaN is not a value; leave the field out or use null for unknown"
        )
    return schema.normalize(record)


# ----------------------------------------------------------------------------------------------------------
# The published PAD-UFES-20 preprocessing (MetaBlock / PAD-UFES-20 benchmark code): one-hot columns named
# <column>_<raw CSV value> in this order, age and diameters raw. It keeps BRAZIL and BRASIL apart and has
# no column for values absent from its copy of the data.

ONEHOT81_COLUMNS = (
    "smoke_False", "smoke_True", "drink_False", "drink_True",
    "background_father_POMERANIA", "background_father_GERMANY", "background_father_BRAZIL",
    "background_father_NETHERLANDS", "background_father_ITALY", "background_father_POLAND",
    "background_father_UNK", "background_father_PORTUGAL", "background_father_BRASIL",
    "background_father_CZECH", "background_father_AUSTRIA", "background_father_SPAIN",
    "background_father_ISRAEL",
    "background_mother_POMERANIA", "background_mother_ITALY", "background_mother_GERMANY",
    "background_mother_BRAZIL", "background_mother_UNK", "background_mother_POLAND",
    "background_mother_NORWAY", "background_mother_PORTUGAL", "background_mother_NETHERLANDS",
    "background_mother_FRANCE", "background_mother_SPAIN",
    "age", "pesticide_False", "pesticide_True", "gender_FEMALE", "gender_MALE",
    "skin_cancer_history_True", "skin_cancer_history_False", "cancer_history_True", "cancer_history_False",
    "has_piped_water_True", "has_piped_water_False", "has_sewage_system_True", "has_sewage_system_False",
    "fitspatrick_3.0", "fitspatrick_1.0", "fitspatrick_2.0", "fitspatrick_4.0", "fitspatrick_5.0",
    "fitspatrick_6.0",
    "region_ARM", "region_NECK", "region_FACE", "region_HAND", "region_FOREARM", "region_CHEST",
    "region_NOSE", "region_THIGH", "region_SCALP", "region_EAR", "region_BACK", "region_FOOT",
    "region_ABDOMEN", "region_LIP",
    "diameter_1", "diameter_2",
    "itch_False", "itch_True", "itch_UNK", "grew_False", "grew_True", "grew_UNK",
    "hurt_False", "hurt_True", "hurt_UNK", "changed_False", "changed_True", "changed_UNK",
    "bleed_False", "bleed_True", "bleed_UNK", "elevation_False", "elevation_True", "elevation_UNK",
)  # fmt: skip


def _onehot81_slots() -> dict[tuple[str, str | None], int]:
    """(field, raw value or None for numbers) -> position in ONEHOT81_COLUMNS."""
    names = sorted(PAD_UFES_20.field_names, key=len, reverse=True)  # longest prefix wins
    slots = {}
    for index, column in enumerate(ONEHOT81_COLUMNS):
        name = next(n for n in names if column == n or column.startswith(n + "_"))
        slots[name, column[len(name) + 1 :] or None] = index
    return slots


_ONEHOT81_SLOTS = _onehot81_slots()


def _onehot81_value(name: str, raw: Any, canonical: str) -> str:
    """The CSV spelling the published preprocessing named its column after."""
    if name == "fitspatrick":
        return f"{canonical}.0"  # pandas reads the column as floats
    if name.startswith("background_"):
        return _as_token(raw).upper()  # BRASIL keeps its own column
    return canonical


def encode_onehot81(record: Mapping[str, Any]) -> list[float]:
    """The 81 features of the published PAD-UFES-20 preprocessing; missing values, unlisted origins -> 0."""
    record = _as_mapping(record)
    vector = [0.0] * len(ONEHOT81_COLUMNS)
    for name, value in PAD_UFES_20.normalize(record).items():
        if value is None:
            continue
        if isinstance(value, float):
            vector[_ONEHOT81_SLOTS[name, None]] = value
        elif (slot := _ONEHOT81_SLOTS.get((name, _onehot81_value(name, record[name], value)))) is not None:
            vector[slot] = 1.0
    return vector
