"""Derm7pt's clinical fields (release_v0 meta/meta.csv) and its five diagnosis groups."""

from __future__ import annotations

from mhdf.metadata.schema import FieldSpec, MetadataSchema, capitalized_labels

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
            value_labels=capitalized_labels(("female", "male")),
        ),
        FieldSpec(
            name="location",
            kind="categorical",
            label="Lesion location",
            group="lesion",
            values=_LOCATIONS,
            description="Body location of the lesion.",
            value_labels=capitalized_labels(_LOCATIONS) | {"head neck": "Head and neck"},
        ),
        FieldSpec(
            name="elevation",
            kind="categorical",
            label="Elevation",
            group="lesion",
            values=_ELEVATIONS,
            description="Whether the lesion is flat, palpable or nodular.",
            value_labels=capitalized_labels(_ELEVATIONS),
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
