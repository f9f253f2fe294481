"""The 81 features of the published PAD-UFES-20 preprocessing (MetaBlock / PAD-UFES-20 benchmark code), which
MetaBlock-style baselines read: one-hot columns named <column>_<raw CSV value> in this order, age and diameters
raw. It keeps BRAZIL and BRASIL apart and has no column for values absent from its copy of the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mhdf.metadata.pad_ufes_20 import PAD_UFES_20
from mhdf.metadata.schema import as_mapping, raw_token

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
        return raw_token(raw).upper()  # BRASIL keeps its own column
    return canonical


def encode_onehot81(record: Mapping[str, Any]) -> list[float]:
    """The 81 features of the published PAD-UFES-20 preprocessing; missing values, unlisted origins -> 0."""
    record = as_mapping(record)
    vector = [0.0] * len(ONEHOT81_COLUMNS)
    for name, value in PAD_UFES_20.normalize(record).items():
        if value is None:
            continue
        if isinstance(value, float):
            vector[_ONEHOT81_SLOTS[name, None]] = value
        elif (slot := _ONEHOT81_SLOTS.get((name, _onehot81_value(name, record[name], value)))) is not None:
            vector[slot] = 1.0
    return vector
