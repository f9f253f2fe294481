"""Clinical metadata: the schema machinery (`schema`), each dataset's field table (`pad_ufes_20`, `derm7pt`, the
ISIC family and MILK10k in `isic`) and the published 81-column one-hot encoding of PAD-UFES-20 (`onehot81`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mhdf.metadata.derm7pt import DERM7PT
from mhdf.metadata.isic import HAM10000, ISIC_2019, ISIC_2020, ISIC_ARCHIVE, MILK10K
from mhdf.metadata.onehot81 import ONEHOT81_COLUMNS, encode_onehot81
from mhdf.metadata.pad_ufes_20 import PAD_UFES_20
from mhdf.metadata.schema import (
    GROUPS,
    KINDS,
    MISSING_STRINGS,
    NOT_RECORDED_LABEL,
    FieldSpec,
    Group,
    Kind,
    MetadataSchema,
    Value,
    is_missing,
)

SCHEMAS: dict[str, MetadataSchema] = {
    schema.name: schema for schema in (PAD_UFES_20, DERM7PT, ISIC_2019, ISIC_2020, HAM10000, ISIC_ARCHIVE, MILK10K)
}


def get_schema(name: str) -> MetadataSchema:
    """The schema registered under ``name`` (case-insensitive, e.g. "pad-ufes-20", "derm7pt")."""
    try:
        return SCHEMAS[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown metadata schema {name!r}; choose one of {', '.join(SCHEMAS)}") from None


def validate(record: Mapping[str, Any], schema: MetadataSchema = PAD_UFES_20) -> dict[str, Value]:
    """`schema.validate(record)`: the validated, canonical record of user input (PAD-UFES-20 by default)."""
    return schema.validate(record)


__all__ = [
    "DERM7PT",
    "GROUPS",
    "HAM10000",
    "ISIC_2019",
    "ISIC_2020",
    "ISIC_ARCHIVE",
    "KINDS",
    "MILK10K",
    "MISSING_STRINGS",
    "NOT_RECORDED_LABEL",
    "ONEHOT81_COLUMNS",
    "PAD_UFES_20",
    "SCHEMAS",
    "FieldSpec",
    "Group",
    "Kind",
    "MetadataSchema",
    "Value",
    "encode_onehot81",
    "get_schema",
    "is_missing",
    "validate",
]
