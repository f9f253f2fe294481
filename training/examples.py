"""Example cases for a checkpoint folder: held-out photos with their clinical records, picked from an evaluation."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mhdf.inference.checkpoint import EXAMPLES_DIR, write_example
from training.data.base import LesionSource
from training.data.views import view_paths


def write_examples(
    source: LesionSource, predictions: pd.DataFrame, checkpoint: Path, views: Sequence[str] = ()
) -> list[str]:
    """One held-out case per class: the one the fused model gets right most confidently (or, failing that,
    the one it gives the highest probability of its true class), named `<class>_1`; with several photo `views`,
    the case's photo of each view."""
    shutil.rmtree(checkpoint / EXAMPLES_DIR, ignore_errors=True)
    position = {sample.image_id: i for i, sample in enumerate(source.samples)}
    names = []
    for cls in source.classes:
        cases = predictions[predictions["label"] == cls]
        if cases.empty:
            continue
        ranked = cases.assign(right=cases["predicted"] == cls).sort_values(["right", f"p_{cls}"], ascending=False)
        index = position[ranked["img_id"].iloc[0]]
        row = source.table.iloc[index]
        raw = source.schema.clinical_fields_of(row)
        name = f"{cls.lower()}_1"
        metadata = {field: value for field, value in raw.items() if value.strip()}
        sample = source.samples[index]
        photos = view_paths(source, views)[index] if len(views) > 1 else sample.image_path
        write_example(checkpoint, name, photos, metadata, cls, source_id=sample.image_id)
        names.append(name)
    return names
