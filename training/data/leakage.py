"""The leakage guard: columns that give the diagnosis away are never model inputs, and fields that predict the label
on their own are reported.

* `KNOWN_LEAKS`: column names of the supported downloads that reveal the label or stand in for it, with the reason.
  A loader never reads them; a schema file that declares one (or its own label column) as an input is refused by
  `check_inputs` unless it says ``allow_leaky: true``.
* `predictive_fields`: the doctor's data-driven check. For every input field it measures Theil's uncertainty
  coefficient U(label | field) = I(label; field) / H(label), the share of the label's entropy that the field's
  value explains (0: independent, 1: the field determines the label). Numbers are binned into deciles first, a
  missing value is a value of its own, and values seen fewer than `MIN_VALUE_COUNT` times are pooled, so that a
  near-unique column (an id, a date) cannot score by memorising rows. A field with U >= `PREDICTIVE_THRESHOLD`
  (0.25) is flagged. Measured on PAD-UFES-20's real table (2,298 images, six classes): `biopsed` reaches 0.280 and
  is flagged; the symptoms, `region` and `age` score 0.06-0.14; the socio-demographic fields score 0.21-0.23,
  close to the line, because they are blank exactly on the non-biopsied rows, so their missingness carries part
  of the biopsy's signal (`docs/datasets.md`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mhdf.metadata import MetadataSchema

_CONFIRMATION = "how the diagnosis was confirmed: histopathology is ordered for suspected malignancies"
_SOURCE = "the source of the image, whose case mix stands in for the label"
KNOWN_LEAKS: dict[str, str] = {
    "dx_type": _CONFIRMATION,
    "diagnosis_confirm_type": _CONFIRMATION,
    "biopsed": "every BCC, MEL and SCC lesion was biopsied, so the biopsy reveals the malignant classes",
    "biopsied": "whether the lesion was biopsied, which reveals the suspected malignant classes",
    "biopsy": "whether the lesion was biopsied, which reveals the suspected malignant classes",
    "concomitant_biopsy": "whether the lesion was biopsied, which reveals the suspected malignant classes",
    "benign_malignant": "benign or malignant: the label, or its parent class",
    "melanocytic": "melanocytic or not: part of the diagnosis",
    "target": "the ISIC 2020 label (malignant = 1)",
    "diagnosis": "the diagnosis itself",
    "dx": "the diagnosis itself",
    "management": "the treatment chosen after the diagnosis",
    "mel_class": "melanoma staging, recorded for melanomas only",
    "mel_thick_mm": "melanoma thickness, recorded for melanomas only",
    "mel_ulcer": "melanoma ulceration, recorded for melanomas only",
    "mel_mitotic_index": "melanoma mitotic index, recorded for melanomas only",
    "mel_type": "melanoma subtype, recorded for melanomas only",
    "nevus_type": "nevus subtype, recorded for nevi only",
    "dataset": _SOURCE,
    "attribution": _SOURCE,
    "copyright_license": _SOURCE,
    **{f"diagnosis_{level}": f"level {level} of the hierarchical diagnosis" for level in range(1, 6)},
}
PREDICTIVE_THRESHOLD = 0.25  # Theil's U(label | field) at or above which the doctor warns
MIN_VALUE_COUNT = 5  # values (or bins) seen fewer times are pooled into one
NUMERIC_BINS = 10


class LeakageError(ValueError):
    """A schema declares the label, or a column known to reveal it, as a model input."""


def leaking_inputs(field_names: Sequence[str], label_column: str | None) -> dict[str, str]:
    """{field: reason} for each declared input that is the label column or a known leak."""
    found = {}
    for name in field_names:
        if label_column is not None and name == label_column:
            found[name] = "it is the label column"
        elif name in KNOWN_LEAKS:
            found[name] = KNOWN_LEAKS[name]
    return found


def check_inputs(field_names: Sequence[str], label_column: str | None, allow_leaky: bool, where: str) -> dict:
    """Refuses leaking inputs (LeakageError naming each) unless `allow_leaky`; returns {field: reason} of those let
    through, which the caller warns about on every run and records in the model card."""
    leaks = leaking_inputs(field_names, label_column)
    if leaks and not allow_leaky:
        listed = "; ".join(f"{name!r}: {reason}" for name, reason in leaks.items())
        raise LeakageError(
            f"{where} declares input fields that give the label away ({listed}). Remove them from `fields`, or set "
            "`allow_leaky: true` to train on them anyway (every run then warns, and the model card says so)"
        )
    return leaks


def leaky_warning(leaks: Mapping[str, str]) -> str:
    """The warning every run with `allow_leaky` prints."""
    return (
        f"WARNING: allow_leaky: the model reads {', '.join(leaks)}, which give the label away; its scores "
        "overstate how it does on new patients"
    )


def refused_columns(columns: Sequence[str], inputs: Sequence[str], declared: Mapping[str, str]) -> dict[str, str]:
    """{column: reason} of every table column that is not a model input: the loader's declared reasons first, then
    the known leaks, then "not a clinical field"."""
    return {
        column: declared.get(column) or KNOWN_LEAKS.get(column) or "not a clinical field of the schema"
        for column in columns
        if column not in inputs
    }


def _codes(values: Sequence[Any], numeric: bool) -> np.ndarray:
    """Integer code per value: deciles for numbers, with missing values and rare values each pooled."""
    series = pd.Series(list(values), dtype=object)
    missing = series.isna()
    if numeric and (~missing).any():
        numbers = pd.to_numeric(series[~missing], errors="coerce")
        # value deciles; tied values stay in one bin (ranking them apart would follow the table's row order)
        bins = pd.qcut(numbers, min(NUMERIC_BINS, len(numbers)), labels=False, duplicates="drop")
        series = series.copy()
        series[~missing] = bins.astype(str)
    series = series.where(~missing, "<missing>").astype(str)
    counts = series.map(series.value_counts())
    series = series.where(counts >= MIN_VALUE_COUNT, "<rare>")
    return pd.factorize(series)[0]


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def uncertainty_coefficient(codes: np.ndarray, labels: np.ndarray) -> float:
    """Theil's U(label | field) = (H(label) - H(label | field)) / H(label); 0 when the label never varies."""
    labels = np.asarray(labels)
    h_label = _entropy(np.bincount(labels))
    if h_label == 0:
        return 0.0
    h_given = sum((codes == code).mean() * _entropy(np.bincount(labels[codes == code])) for code in np.unique(codes))
    return max(0.0, (h_label - h_given) / h_label)


def predictive_fields(
    schema: MetadataSchema, records: Sequence[Mapping[str, Any]], labels: np.ndarray
) -> dict[str, float]:
    """{field: U} of every input field whose U(label | field) reaches `PREDICTIVE_THRESHOLD`, rounded to 3 places."""
    flagged = {}
    for spec in schema.fields:
        codes = _codes([record[spec.name] for record in records], spec.kind == "numeric")
        score = uncertainty_coefficient(codes, labels)
        if score >= PREDICTIVE_THRESHOLD and not math.isnan(score):
            flagged[spec.name] = round(score, 3)
    return flagged
