"""Any CSV of lesion images, described by a schema file (YAML or JSON); and a draft of that file from the table.

    python -m training.train --data clinic/ --dataset csv --schema clinic.yaml --out runs/clinic
    python -m training.check_data --data clinic/ --dataset csv --infer-schema clinic.yaml \\
        --image-column file --label-column diagnosis [--patient-column patient] [--lesion-column lesion]

The schema file uses the vocabulary of `mhdf.metadata.MetadataSchema` (docs/datasets.md has a complete example):

* ``image_column`` (required) and ``image_folder`` (optional, relative to the CSV; default: the CSV's folder);
* ``label_column`` and ``classes`` (a list of codes, or a mapping of code to the label shown in the app);
* ``patient_column`` and ``lesion_column`` (optional): the fold groups;
* ``fields``: a list of clinical fields, each a `FieldSpec` (``name``, ``kind``, ``values``, ``unit``,
  ``minimum``/``maximum`` or ``range: [low, high]``, ``label``, ``group``...). A numeric field without ``center``
  and ``scale`` is standardised by the table's mean and standard deviation;
* ``name`` and ``label`` of the schema (optional), and ``allow_leaky`` (optional, default false).

The file is parsed here, outside the core: the core only ever receives the resulting `MetadataSchema`.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mhdf.metadata import FieldSpec, MetadataSchema, is_missing
from mhdf.metadata.schema import capitalized_labels
from training.data.base import listing
from training.data.leakage import KNOWN_LEAKS, check_inputs, leaky_warning
from training.data.licenses import OWN_DATA_LICENSE
from training.data.tables import ImageIndex, TableSource, read_table

SCHEMA_KEYS = frozenset({"name", "label", "image_column", "image_folder", "label_column", "classes", "class_labels",
                         "patient_column", "lesion_column", "fields", "allow_leaky"})  # fmt: skip
BOOLEAN_SPELLINGS = frozenset({"TRUE", "FALSE", "YES", "NO", "1", "0"})
MAX_CATEGORIES = 50  # a text column with more distinct values is left out of a drafted schema as free text


def find_csv(data: Path) -> Path:
    """`data` itself, or the one CSV file directly inside the folder `data`."""
    if data.is_file():
        return data
    found = sorted(data.glob("*.csv")) if data.is_dir() else []
    if len(found) != 1:
        where = f"{len(found)} CSV files ({listing([p.name for p in found])})" if found else "no CSV file"
        raise FileNotFoundError(f"--data {data}: expected a CSV file or a folder with exactly one; found {where}")
    return found[0]


def read_schema_file(path: str | Path) -> dict[str, Any]:
    """The schema file as a dict (YAML, which also reads JSON), with its keys checked."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no schema file {path}")
    text = path.read_text()
    spec = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(spec, Mapping):
        raise ValueError(f"{path}: a schema file is a mapping of keys such as image_column, label_column and fields")
    if unknown := sorted(set(spec) - SCHEMA_KEYS):
        raise ValueError(f"{path}: unknown keys {unknown}; expected some of {sorted(SCHEMA_KEYS)}")
    if missing := [key for key in ("image_column", "label_column", "classes", "fields") if key not in spec]:
        raise ValueError(f"{path}: missing the keys {', '.join(missing)}")
    return dict(spec)


def _field(entry: Mapping[str, Any], table: pd.DataFrame, where: str) -> FieldSpec:
    entry = dict(entry)
    name = entry.get("name")
    if name not in table.columns:
        raise ValueError(f"{where}: field {name!r} is not a column of the CSV")
    if "range" in entry:
        entry["minimum"], entry["maximum"] = entry.pop("range")
    entry.setdefault("label", str(name).replace("_", " ").capitalize())
    entry.setdefault("group", "lesion")
    if entry.get("kind") == "numeric" and ("center" not in entry or "scale" not in entry):
        numbers = pd.to_numeric(table[name].where(~table[name].map(is_missing)), errors="coerce").dropna()
        entry.setdefault("center", round(float(numbers.mean()), 4) if len(numbers) else 0.0)
        scale = float(numbers.std()) if len(numbers) > 1 else 0.0
        entry.setdefault("scale", round(scale, 4) if scale > 0 and math.isfinite(scale) else 1.0)
    try:
        return FieldSpec.from_dict(entry)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: field {name!r}: {error}") from None


def schema_from_file(spec: Mapping[str, Any], table: pd.DataFrame, where: str) -> MetadataSchema:
    """The `MetadataSchema` a schema file declares (numeric scales from `table` where the file gives none)."""
    classes = spec["classes"]
    labels = dict(classes) if isinstance(classes, Mapping) else dict(spec.get("class_labels") or {})
    try:
        return MetadataSchema(
            name=str(spec.get("name", "csv")),
            label=str(spec.get("label", spec.get("name", "CSV"))),
            fields=tuple(_field(entry, table, where) for entry in spec["fields"] or ()),
            classes=tuple(str(code) for code in classes),
            class_labels={str(code): str(text) for code, text in labels.items()},
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


class CsvSource(TableSource):
    """A clinic's own table: `data` is the CSV (or its folder), `schema` the schema file describing it."""

    name = "csv"
    license = OWN_DATA_LICENSE

    def __init__(self, data: str | Path, *, schema: str | Path | None = None, allow_missing_images: bool = False):
        if schema is None:
            raise ValueError("--dataset csv needs --schema FILE (draft one with training.check_data --infer-schema)")
        csv = find_csv(Path(data))
        spec = read_schema_file(schema)
        columns = [spec[key] for key in ("image_column", "label_column", "patient_column", "lesion_column")
                   if spec.get(key)]  # fmt: skip
        table = read_table(csv, columns, "schema file's")
        schema_obj = schema_from_file(spec, table, str(schema))
        leaks = check_inputs(schema_obj.field_names, spec["label_column"], bool(spec.get("allow_leaky")), str(schema))
        if leaks:
            warnings.warn(leaky_warning(leaks), stacklevel=2)
        self.leaky_inputs = leaks
        labels = table[spec["label_column"]].str.strip()
        if unknown := sorted(set(labels) - set(schema_obj.classes)):
            raise ValueError(
                f"{csv}: labels not among the schema's classes {list(schema_obj.classes)}: {listing(unknown)}"
            )
        self.schema_file = Path(schema)
        self.never_inputs = {spec["image_column"]: "the image file", spec["label_column"]: "the label"} | {
            spec[key]: "the grouping key of the folds" for key in ("patient_column", "lesion_column") if spec.get(key)
        }
        folder = csv.parent / spec["image_folder"] if spec.get("image_folder") else csv.parent
        super().__init__(
            csv.parent,
            table,
            schema=schema_obj,
            image_ids=table[spec["image_column"]].tolist(),
            labels=[schema_obj.classes.index(label) for label in labels],
            images=ImageIndex(folder),
            patients=table[spec["patient_column"]].tolist() if spec.get("patient_column") else None,
            lesions=table[spec["lesion_column"]].tolist() if spec.get("lesion_column") else None,
            allow_missing_images=allow_missing_images,
            where=str(csv),
        )


def _infer_field(name: str, values: pd.Series) -> tuple[dict[str, Any] | None, str]:
    """(field entry, "") for a column that can be an input, or (None, why it is left out)."""
    present = values[~values.map(is_missing)].str.strip()
    if present.empty:
        return None, "always empty"
    distinct = sorted(set(present))
    entry: dict[str, Any] = {"name": name, "label": name.replace("_", " ").capitalize(), "group": "lesion"}
    if {value.upper() for value in distinct} <= set(BOOLEAN_SPELLINGS):
        aliases = {"NO": "False", "YES": "True", "0": "False", "1": "True"}
        return entry | {"kind": "boolean", "values": ["False", "True"], "aliases": aliases,
                        "value_labels": {"False": "No", "True": "Yes"}}, ""  # fmt: skip
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.notna().all():
        scale = float(numbers.std()) if len(numbers) > 1 else 1.0
        return entry | {
            "kind": "numeric",
            "unit": None,
            "range": [float(numbers.min()), float(numbers.max())],
            "center": round(float(numbers.mean()), 4),
            "scale": round(scale, 4) if scale > 0 else 1.0,
        }, ""
    if len(distinct) == len(present) and len(present) > MAX_CATEGORIES:
        return None, "a different value on every row: an identifier, not a clinical field"
    if len(distinct) > MAX_CATEGORIES:
        return None, f"{len(distinct)} distinct values: free text; declare it as a categorical field to use it"
    return entry | {"kind": "categorical", "values": distinct, "value_labels": capitalized_labels(distinct)}, ""


def infer_schema(
    table: pd.DataFrame,
    *,
    image_column: str,
    label_column: str,
    patient_column: str | None = None,
    lesion_column: str | None = None,
    name: str = "csv",
) -> str:
    """A schema file (YAML text) drafted from `table`, for a person to edit: kinds, values and ranges inferred,
    known-leaking and unusable columns left out, each with a comment saying why."""
    given = {"image_column": image_column, "label_column": label_column, "patient_column": patient_column,
             "lesion_column": lesion_column}  # fmt: skip
    if missing := [column for column in given.values() if column and column not in table.columns]:
        raise ValueError(f"the table has no column {', '.join(map(repr, missing))}; its columns: {list(table.columns)}")
    fields, left_out = [], {}
    for column in table.columns:
        if column in given.values():
            continue
        if column in KNOWN_LEAKS:
            left_out[column] = f"gives the label away: {KNOWN_LEAKS[column]}"
            continue
        entry, why = _infer_field(column, table[column].astype(str))
        if entry is None:
            left_out[column] = why
        else:
            fields.append(entry)
    labels = sorted(set(table[label_column].str.strip()) - {""})
    spec = {"name": name, "label": name, **{key: value for key, value in given.items() if value}}
    spec |= {"classes": labels, "allow_leaky": False, "fields": fields}
    header = [
        "# Drafted by `python -m training.check_data --infer-schema`: check every field before training.",
        "# Give numeric fields their unit; order `values`; edit `label` and `value_labels`, which the form shows.",
    ]
    comments = [f"#   {column}: {why}" for column, why in left_out.items()]
    body = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join([*header, body.rstrip(), *(["# Columns left out:", *comments] if comments else [])]) + "\n"


def write_inferred_schema(
    data: Path, out: Path, *, image_column: str, label_column: str, patient_column: str | None,
    lesion_column: str | None,
) -> Path:  # fmt: skip
    """Writes `infer_schema` of the CSV at `data` to `out`; returns `out`."""
    csv = find_csv(data)
    table = read_table(csv, [c for c in (image_column, label_column, patient_column, lesion_column) if c], "given")
    text = infer_schema(table, image_column=image_column, label_column=label_column, patient_column=patient_column,
                        lesion_column=lesion_column, name=csv.stem)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return out
