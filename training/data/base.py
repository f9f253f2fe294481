"""What every dataset loader shares: a `Sample` per photo, the `LesionSource` a loader builds, the torch
`LesionDataset` over its samples, and the group-whole folds of a dataset without an official split.

Every loader (`training.data.pad_ufes_20`, `.derm7pt`, `.isic`, `.csv_table`) produces the same list of
:class:`Sample` (image path, normalised clinical record, label, patient), so :class:`LesionDataset` and the training
code never depend on the dataset. Clinical values go through the dataset's :class:`~mhdf.metadata.MetadataSchema`:
blank cells become missing values, never dropped rows. Images are decoded by `mhdf.inference.images.load_image` and
transformed by `mhdf.inference.transforms`, as at inference.
"""

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from mhdf.inference.images import load_image
from mhdf.metadata import MetadataSchema
from training.data.folds import carve_validation, leaking_patients, patient_folds
from training.data.leakage import refused_columns
from training.data.licenses import DataLicense

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
ERRORS_SHOWN = 10  # listed in an error message before "... and N more"


def listing(items: Sequence[Any]) -> str:
    """The first `ERRORS_SHOWN` items, comma-separated, then how many more there are."""
    shown = ", ".join(str(item) for item in items[:ERRORS_SHOWN])
    return shown + (f" ... and {len(items) - ERRORS_SHOWN} more" if len(items) > ERRORS_SHOWN else "")


@dataclass(frozen=True)
class Sample:
    """One image of a lesion with its clinical record (normalised by the schema: missing fields are None)."""

    image_id: str  # PAD-UFES-20 img_id; Derm7pt image path relative to images/; MILK10k lesion_id (a case)
    image_path: Path | None  # None when the image is listed but not on disk
    record: dict[str, Any]
    label: int
    patient: str  # grouping key of the splits: patient_id, or the Derm7pt case (a lesion or image without patients)
    lesion: str  # lesion_id, unique only within its patient: (patient, lesion) identifies a lesion


@dataclass(frozen=True)
class Split:
    """Sample indices of the training, validation (model selection) and test sets."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


class LesionDataset(torch.utils.data.Dataset):
    """(image, metadata, label) items of a list of samples.

    image: the transform's output (a (3, H, W) float tensor for `mhdf.inference.transforms`' train / eval transforms);
    metadata: (F,) float32 from ``schema.encode`` (category index or number, NaN = missing); label: int.
    """

    def __init__(self, samples: Sequence[Sample], schema: MetadataSchema, transform=None) -> None:
        self.samples = list(samples)
        self.transform = transform
        # Encoded once: the records are fixed, and encoding per item would repeat the validation each epoch.
        self.metadata = torch.from_numpy(schema.encode_batch([sample.record for sample in self.samples]))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, torch.Tensor, int]:
        sample = self.samples[index]
        if sample.image_path is None:
            raise ValueError(f"image {sample.image_id} is listed in the metadata but missing on disk")
        try:
            image = load_image(sample.image_path)
        except ValueError as error:
            raise ValueError(f"image {sample.image_path}: {error}") from error
        if self.transform is not None:
            image = self.transform(image)
        return image, self.metadata[index], sample.label


class LesionSource(ABC):
    """A dataset as downloaded: its samples, schema and classes; subclasses read one dataset's layout.

    `never_inputs` declares, with a reason, the columns the loader never reads as model inputs (`refused_fields`
    adds every other column of the table that is not a field); `leaky_inputs` lists inputs that a schema file let
    through with ``allow_leaky``.
    """

    name: str
    schema: MetadataSchema
    license: DataLicense
    never_inputs: dict[str, str] = {}
    leaky_inputs: dict[str, str] = {}
    has_patients = True  # False: the table has no patient ids, so `patients` holds lesion or image groups
    # rows of the table whose photo the folder lacks, kept for the clinical pathway (`training.clinical_records`)
    # by a loader that reads them (PAD-UFES-20); none for the others
    clinical_only: Sequence[Sample] = ()
    # a dataset with several photos per case (Derm7pt, MILK10k) names the table column that holds each view's photo,
    # a path under `image_root` (blank where the case lacks it), for `training.data.views`; empty: one photo per case
    view_columns: Mapping[str, str] = {}

    def __init__(self, root: Path, table: pd.DataFrame, samples: list[Sample], allow_missing_images: bool):
        self.root = root
        self.table = table  # the metadata table as read, one row per sample
        self.samples = samples
        self.missing_images = [sample.image_id for sample in samples if sample.image_path is None]
        if self.missing_images and not allow_missing_images:
            raise ValueError(
                f"{len(self.missing_images)} of {len(samples)} images listed in the {self.name} metadata are not "
                f"under {root}: {listing(self.missing_images)}. Run `python -m training.check_data --data "
                f"{root} --dataset {self.name}` for a full report."
            )

    @property
    def image_root(self) -> Path:
        """The folder that the `view_columns` paths are relative to: the dataset folder unless a loader says."""
        return self.root

    @property
    def classes(self) -> tuple[str, ...]:
        return self.schema.classes

    @property
    def records(self) -> list[dict[str, Any]]:
        return [sample.record for sample in self.samples]

    @property
    def labels(self) -> np.ndarray:
        return np.array([sample.label for sample in self.samples], dtype=np.int64)

    @property
    def patients(self) -> np.ndarray:
        return np.array([sample.patient for sample in self.samples])

    @property
    def num_patients(self) -> int | None:
        """Distinct patients, or None when the table has none."""
        return len(set(self.patients.tolist())) if self.has_patients else None

    @property
    def num_lesions(self) -> int:
        """Distinct lesions: (patient, lesion) pairs, as PAD-UFES-20 reuses lesion ids across patients."""
        return len({(sample.patient, sample.lesion) for sample in self.samples})

    @property
    def refused_fields(self) -> dict[str, str]:
        """{column: reason} of every column of the table that the model never reads."""
        return refused_columns(list(self.table.columns), self.schema.field_names, self.never_inputs)

    def dataset(self, indices: Sequence[int] | np.ndarray | None = None, transform=None) -> LesionDataset:
        """A torch Dataset over the samples at `indices` (all by default)."""
        samples = self.samples if indices is None else [self.samples[i] for i in indices]
        return LesionDataset(samples, self.schema, transform)

    @abstractmethod
    def split(
        self,
        fold: int = 0,
        *,
        num_folds: int = 5,
        seed: int = 0,
        val_fraction: float = 0.2,
        folds_csv: str | Path | None = None,
    ) -> Split:
        """Sample indices for training, model selection and testing on fold `fold`."""


class GroupedSource(LesionSource):
    """A dataset without an official split: class-stratified folds that keep every group whole.

    The group of a sample is `Sample.patient`: its patient where the table has patients, otherwise its lesion,
    otherwise the image itself (`group_keys`).
    """

    def folds(self, num_folds: int = 5, seed: int = 0) -> np.ndarray:
        """Fold 0..num_folds-1 of every sample (`patient_folds` over the groups)."""
        return patient_folds(self.labels, self.patients, num_folds=num_folds, seed=seed)

    def split(
        self,
        fold: int = 0,
        *,
        num_folds: int = 5,
        seed: int = 0,
        val_fraction: float = 0.2,
        folds_csv: str | Path | None = None,
    ) -> Split:
        """Fold `fold` is the test set; a group-whole validation set is carved from the other folds.

        With `folds_csv`, the folds are read from it when it exists and written to it otherwise, so a run's
        evaluation reuses its training folds.
        """
        if folds_csv is not None and Path(folds_csv).exists():
            folds = read_folds_csv(folds_csv, self)
        else:
            folds = self.folds(num_folds, seed)
            if folds_csv is not None:
                write_folds_csv(folds_csv, self, folds)
        if fold not in set(folds.tolist()):
            raise ValueError(f"fold {fold} does not exist; the folds are {sorted(set(folds.tolist()))}")
        if leaks := leaking_patients(self.patients, folds):
            warnings.warn(f"patients or lesions in more than one fold: {listing(leaks)}", stacklevel=2)
        test = np.flatnonzero(folds == fold)
        train, val = carve_validation(np.flatnonzero(folds != fold), self.labels, self.patients, val_fraction, seed)
        return Split(train=train, val=val, test=test)


def parse_records(schema: MetadataSchema, table: pd.DataFrame, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Normalised clinical record of every row; one ValueError listing every invalid row."""
    records, errors = [], []
    for image_id, (_, row) in zip(ids, table.iterrows(), strict=True):
        try:
            records.append(schema.normalize(schema.clinical_fields_of(row)))
        except ValueError as error:
            errors.append(f"{image_id}: {error}")
    if errors:
        raise ValueError(f"{len(errors)} rows have invalid clinical values: " + "; ".join(errors[:ERRORS_SHOWN]))
    return records


def find_images(folder: Path) -> dict[str, Path]:
    """File name -> path of every image anywhere under `folder` (first in sorted order when repeated)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.name, path)
    return found


def write_folds_csv(path: str | Path, source: LesionSource, folds: np.ndarray) -> None:
    """Writes `img_id, patient_id, fold` per sample, so the folds can be reused by later runs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"img_id": [s.image_id for s in source.samples], "patient_id": source.patients, "fold": folds}).to_csv(
        path, index=False
    )


def read_folds_csv(path: str | Path, source: LesionSource) -> np.ndarray:
    """The fold of every sample of `source` from a CSV written by `write_folds_csv`."""
    table = pd.read_csv(path, dtype={"img_id": str, "patient_id": str})
    if missing := {"img_id", "fold"} - set(table.columns):
        raise ValueError(f"{path} lacks the columns {', '.join(sorted(missing))}")
    fold_of = dict(zip(table["img_id"], table["fold"], strict=True))
    ids = [sample.image_id for sample in source.samples]
    if absent := [image_id for image_id in ids if image_id not in fold_of]:
        raise ValueError(f"{path} has no fold for {listing(absent)}: it was written for other data")
    if extra := sorted(set(fold_of) - set(ids)):
        raise ValueError(f"{path} lists images that are not in the dataset: {listing(extra)}")
    return np.array([fold_of[image_id] for image_id in ids], dtype=np.int64)
