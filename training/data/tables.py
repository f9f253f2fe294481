"""A dataset given as one table of images: what the ISIC loaders (`training.data.isic`) and a clinic's CSV
(`training.data.csv_table`) share.

* `ImageIndex` finds an image anywhere under a folder by its file name, or by its id plus a common image extension.
* `group_keys` gives every row its fold group: the connected component of its patient and lesion ids, so that a
  lesion listed under two patients keeps both patients (and itself) in one fold; a row with neither id is a group
  of its own. Without patient ids this is the lesion, without lesion ids the patient.
* `TableSource` builds the samples from the table's columns and draws group-whole folds (`GroupedSource`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import MetadataSchema, is_missing
from training.data.base import IMAGE_SUFFIXES, GroupedSource, Sample, listing, parse_records


class ImageIndex:
    """Every image file under `folder`, looked up by file name ("ISIC_0000000.jpg") or id ("ISIC_0000000")."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.by_name: dict[str, Path] = {}
        self.by_stem: dict[str, Path] = {}
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                self.by_name.setdefault(path.name, path)
                self.by_stem.setdefault(path.stem, path)

    def find(self, image_id: str) -> Path | None:
        return self.by_name.get(image_id) or self.by_stem.get(image_id)


def _present(values: Sequence[str] | None, size: int) -> list[str | None]:
    if values is None:
        return [None] * size
    return [None if is_missing(value) else str(value).strip() for value in values]


def group_keys(image_ids: Sequence[str], patients: Sequence[str] | None, lesions: Sequence[str] | None) -> list[str]:
    """The fold group of each row: connected components of the patient-lesion graph (union-find)."""
    patients, lesions = _present(patients, len(image_ids)), _present(lesions, len(image_ids))
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    nodes = []
    for image_id, patient, lesion in zip(image_ids, patients, lesions, strict=True):
        ends = [f"patient:{patient}" if patient else None, f"lesion:{lesion}" if lesion else None]
        ends = [end for end in ends if end] or [f"image:{image_id}"]
        first = root(ends[0])
        for end in ends[1:]:
            parent[root(end)] = first
        nodes.append(ends[0])
    return [root(node).split(":", 1)[1] for node in nodes]


def lesions_under_two_patients(patients: Sequence[str] | None, lesions: Sequence[str] | None) -> dict[str, list]:
    """{lesion: [patients]} of every lesion id that the table lists under more than one patient id."""
    if patients is None or lesions is None:
        return {}
    pairs = pd.DataFrame({"patient": _present(patients, len(patients)), "lesion": _present(lesions, len(lesions))})
    pairs = pairs.dropna().drop_duplicates()
    shared = pairs.groupby("lesion")["patient"].agg(sorted)
    return {lesion: owners for lesion, owners in shared.items() if len(owners) > 1}


class TableSource(GroupedSource):
    """Samples of one table: image ids, integer labels, optional patient and lesion columns, records by schema.

    Subclasses read a layout and call `__init__` with the columns they found; `label_of` is each row's class
    index, or -1 for a row left out (an unknown diagnosis, a class below the minimum size).
    """

    def __init__(
        self,
        root: Path,
        table: pd.DataFrame,
        *,
        schema: MetadataSchema,
        image_ids: Sequence[str],
        labels: Sequence[int],
        images: ImageIndex,
        patients: Sequence[str] | None = None,
        lesions: Sequence[str] | None = None,
        allow_missing_images: bool = False,
        where: str = "the metadata",
    ) -> None:
        self.schema = schema
        ids = pd.Series([str(image_id).strip() for image_id in image_ids])
        if duplicated := sorted(set(ids[ids.duplicated()])):
            raise ValueError(f"{where} lists these images more than once: {listing(duplicated)}")
        keep = np.flatnonzero(np.asarray(labels) >= 0)
        self.left_out = len(image_ids) - len(keep)  # rows of classes that are not trained on
        table = table.iloc[keep].reset_index(drop=True)
        image_ids = [ids[i] for i in keep]
        labels = [int(labels[i]) for i in keep]
        patients = None if patients is None else [patients[i] for i in keep]
        lesions = None if lesions is None else [lesions[i] for i in keep]
        self.has_patients = patients is not None
        self.shared_lesions = lesions_under_two_patients(patients, lesions)
        groups = group_keys(image_ids, patients, lesions)
        lesion_of = [lesion or image for lesion, image in zip(_present(lesions, len(keep)), image_ids, strict=True)]
        records = parse_records(schema, table, image_ids)
        rows = zip(image_ids, records, labels, groups, lesion_of, strict=True)
        samples = [
            Sample(image_id=image, image_path=images.find(image), record=record, label=label, patient=group,
                   lesion=lesion)
            for image, record, label, group, lesion in rows
        ]  # fmt: skip
        self._patient_ids = None if patients is None else _present(patients, len(patients))
        super().__init__(root, table, samples, allow_missing_images)

    @property
    def num_patients(self) -> int | None:
        if self._patient_ids is None:
            return None
        return len({patient for patient in self._patient_ids if patient})

    @property
    def num_lesions(self) -> int:
        return len({sample.lesion for sample in self.samples})


def read_table(csv: Path, required: Sequence[str], what: str) -> pd.DataFrame:
    """`csv` as text (blank cells as ""), checked for the `required` columns."""
    if not csv.is_file():
        raise FileNotFoundError(f"no {csv.name} in {csv.parent}: point --data at the {what} folder as downloaded")
    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    table.columns = [column.strip() for column in table.columns]
    if missing := [column for column in required if column not in table.columns]:
        raise ValueError(f"{csv} lacks the {what} columns {', '.join(missing)}")
    return table
