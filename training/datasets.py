"""Skin-lesion datasets exactly as downloaded, and their patient-grouped splits.

* :class:`PadUfes20` reads PAD-UFES-20: ``metadata.csv`` (26 columns) and images found by ``img_id``
  anywhere under ``images/`` (the download splits them over ``imgs_part_1..3``).
* :class:`Derm7pt` reads Derm7pt ``release_v0``: ``meta/meta.csv``, ``meta/{train,valid,test}_indexes.csv``
  and the ``derm`` (or ``clinic``) image of each case under ``images/``.

Both produce the same list of :class:`Sample` (image path, normalised clinical record, label, patient), so
:class:`LesionDataset` and the training code never depend on the dataset. Clinical values go through the
dataset's :class:`~mhdf.metadata.MetadataSchema`: blank cells become missing values, never dropped rows.
Images are decoded by `mhdf.inference.images.load_image` and transformed by `mhdf.inference.transforms`, as
at inference.
"""

import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedGroupKFold

from mhdf.inference.images import load_image
from mhdf.metadata import DERM7PT, PAD_UFES_20, MetadataSchema
from training.leakage import KNOWN_LEAKS, refused_columns

# metadata.csv of PAD-UFES-20, in the order of the download.
PAD_UFES_20_COLUMNS = (
    "patient_id", "lesion_id", "smoke", "drink", "background_father", "background_mother", "age", "pesticide",
    "gender", "skin_cancer_history", "cancer_history", "has_piped_water", "has_sewage_system", "fitspatrick",
    "region", "diameter_1", "diameter_2", "diagnostic", "itch", "grew", "hurt", "changed", "bleed", "elevation",
    "img_id", "biopsed",
)  # fmt: skip

# The standard 5-class DIAG grouping of Derm7pt's `diagnosis` column (Kawahara et al., JBHI 2018).
DERM7PT_GROUPS = {
    "BCC": ("basal cell carcinoma",),
    "NEV": ("blue nevus", "clark nevus", "combined nevus", "congenital nevus", "dermal nevus", "recurrent nevus",
            "reed or spitz nevus"),
    "MEL": ("melanoma", "melanoma (in situ)", "melanoma (less than 0.76 mm)", "melanoma (0.76 to 1.5 mm)",
            "melanoma (more than 1.5 mm)", "melanoma metastasis"),
    "MISC": ("dermatofibroma", "lentigo", "melanosis", "miscellaneous", "vascular lesion"),
    "SK": ("seborrheic keratosis",),
}  # fmt: skip
DERM7PT_DIAGNOSES = {diagnosis: cls for cls, diagnoses in DERM7PT_GROUPS.items() for diagnosis in diagnoses}
DERM7PT_SPLITS = ("train", "valid", "test")
DERM7PT_COLUMNS = ("case_num", "diagnosis", "clinic", "derm")
DERM7PT_CRITERIA = ("seven_point_score", "pigment_network", "streaks", "pigmentation", "regression_structures",
                    "dots_and_globules", "blue_whitish_veil", "vascular_structures")  # fmt: skip
# PAD-UFES-20's real metadata.csv, bundled unchanged (no photos; attribution in training/data/README.md).
PAD_UFES_20_METADATA = Path(__file__).resolve().parent / "data" / "pad_ufes_20_metadata.csv"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
ERRORS_SHOWN = 10  # listed in an error message before "... and N more"


def _listing(items: Sequence[Any]) -> str:
    shown = ", ".join(str(item) for item in items[:ERRORS_SHOWN])
    return shown + (f" ... and {len(items) - ERRORS_SHOWN} more" if len(items) > ERRORS_SHOWN else "")


@dataclass(frozen=True)
class Sample:
    """One image of a lesion with its clinical record (normalised by the schema: missing fields are None)."""

    image_id: str  # PAD-UFES-20 img_id; Derm7pt image path relative to images/
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


@dataclass(frozen=True)
class DataLicense:
    """Under what terms a dataset's photos and records may be copied: read before publishing any of them."""

    hub_id: str  # the Hugging Face Hub licence identifier ("cc-by-4.0"), "other" when none fits
    name: str
    url: str
    citation: str  # the attribution every copy must carry
    redistributable: bool  # its photos may be copied into a public repository (e.g. as a model's examples)


PAD_UFES_20_LICENSE = DataLicense(
    hub_id="cc-by-4.0",
    name="CC BY 4.0",
    url="https://creativecommons.org/licenses/by/4.0/",
    citation="Pacheco, A. G. C. et al. (2020), PAD-UFES-20, Mendeley Data, V1, doi:10.17632/zr7vgbcyr2.1",
    redistributable=True,
)
# The ISIC challenge sets and HAM10000 are CC BY-NC 4.0: a public model repository cannot promise non-commercial
# use of photos copied into it, so their photos are not published as examples.
ISIC_LICENSE = DataLicense(
    hub_id="cc-by-nc-4.0",
    name="CC BY-NC 4.0",
    url="https://creativecommons.org/licenses/by-nc/4.0/",
    citation="International Skin Imaging Collaboration (ISIC), https://www.isic-archive.com; HAM10000: Tschandl, P. "
    "et al. (2018), Scientific Data 5:180161, doi:10.1038/sdata.2018.161",
    redistributable=False,
)
# A clinic's own table: its terms are the clinic's, so nothing of it is copied unless its owner does so by hand.
OWN_DATA_LICENSE = DataLicense(
    hub_id="other",
    name="the data owner's own terms",
    url="",
    citation="the data owner's own table",
    redistributable=False,
)
# Derm7pt is handed out by its authors to registered users for research; its terms grant no redistribution.
DERM7PT_LICENSE = DataLicense(
    hub_id="other",
    name="Derm7pt terms of use (registered research use, no redistribution)",
    url="https://derm.cs.sfu.ca/",
    citation="Kawahara, J. et al. (2019), Seven-point checklist and skin lesion classification using multitask "
    "multimodal neural nets, IEEE JBHI 23(2):538-546",
    redistributable=False,
)


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

    def __init__(self, root: Path, table: pd.DataFrame, samples: list[Sample], allow_missing_images: bool):
        self.root = root
        self.table = table  # the metadata table as read, one row per sample
        self.samples = samples
        self.missing_images = [sample.image_id for sample in samples if sample.image_path is None]
        if self.missing_images and not allow_missing_images:
            raise ValueError(
                f"{len(self.missing_images)} of {len(samples)} images listed in the {self.name} metadata are not "
                f"under {root}: {_listing(self.missing_images)}. Run `python -m training.check_data --data "
                f"{root} --dataset {self.name}` for a full report."
            )

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
            warnings.warn(f"patients or lesions in more than one fold: {_listing(leaks)}", stacklevel=2)
        test = np.flatnonzero(folds == fold)
        train, val = carve_validation(np.flatnonzero(folds != fold), self.labels, self.patients, val_fraction, seed)
        return Split(train=train, val=val, test=test)


def _parse_records(schema: MetadataSchema, table: pd.DataFrame, ids: Sequence[str]) -> list[dict[str, Any]]:
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


def _find_images(folder: Path) -> dict[str, Path]:
    """File name -> path of every image anywhere under `folder` (first in sorted order when repeated)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.name, path)
    return found


class PadUfes20(GroupedSource):
    """PAD-UFES-20 as downloaded: `root/metadata.csv` and images under `root/images` (any sub-folders).

    Folds: a `fold_column` in metadata.csv (default "fold", used when present) gives the user's own folds;
    otherwise patient-grouped, class-stratified folds are drawn with `patient_folds`.
    """

    name = "pad-ufes-20"
    schema = PAD_UFES_20
    license = PAD_UFES_20_LICENSE
    never_inputs = {
        "biopsed": KNOWN_LEAKS["biopsed"],
        "diagnostic": "the label",
        "img_id": "the image file name",
        "patient_id": "the grouping key of the folds",
        "lesion_id": "the lesion key",
    }

    def __init__(self, root: str | Path, *, fold_column: str = "fold", allow_missing_images: bool = False) -> None:
        root = Path(root)
        csv = root / "metadata.csv"
        if not csv.is_file():
            raise FileNotFoundError(f"no metadata.csv in {root}: point --data at the unpacked PAD-UFES-20 folder")
        # Everything as text, blanks as "": the schema reads the raw spellings ("True", "3.0", "UNK").
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if missing := [column for column in PAD_UFES_20_COLUMNS if column not in table.columns]:
            raise ValueError(f"{csv} lacks the PAD-UFES-20 columns {', '.join(missing)}")
        ids = table["img_id"].str.strip()
        if duplicated := sorted(set(ids[ids.duplicated()])):
            raise ValueError(f"{csv} lists these img_id more than once: {_listing(duplicated)}")
        if unknown := sorted(set(table["diagnostic"]) - set(self.schema.classes)):
            raise ValueError(f"{csv}: unknown diagnostic {_listing(unknown)}; expected {self.schema.classes}")

        images = root / "images"
        found = _find_images(images if images.is_dir() else root)
        ids = ids.tolist()
        records = _parse_records(self.schema, table, ids)
        samples = [
            Sample(
                image_id=image_id,
                image_path=found.get(image_id),
                record=record,
                label=self.schema.classes.index(row.diagnostic),
                patient=row.patient_id,
                lesion=row.lesion_id,
            )
            for image_id, record, row in zip(ids, records, table.itertuples(index=False), strict=True)
        ]
        self.user_folds = _read_fold_column(table, fold_column, csv) if fold_column in table.columns else None
        self.fold_column = fold_column
        super().__init__(root, table, samples, allow_missing_images)

    def folds(self, num_folds: int = 5, seed: int = 0) -> np.ndarray:
        """Fold of every sample: the user's fold column if metadata.csv has one, else `patient_folds`."""
        if self.user_folds is not None:
            return self.user_folds
        return patient_folds(self.labels, self.patients, num_folds=num_folds, seed=seed)


def _read_fold_column(table: pd.DataFrame, column: str, csv: Path) -> np.ndarray:
    values = pd.to_numeric(table[column].str.strip(), errors="coerce")
    if bad := table["img_id"][values.isna() | (values % 1 != 0)].tolist():
        raise ValueError(f"{csv}: column {column!r} must hold an integer fold for every row; not for {_listing(bad)}")
    return values.to_numpy(dtype=np.int64)


class Derm7pt(LesionSource):
    """Derm7pt `release_v0` as downloaded: `meta/meta.csv`, `meta/*_indexes.csv`, `images/`.

    `image_column` picks the dermoscopic (`derm`, default) or clinical (`clinic`) photo of each case. The
    clinical fields are sex, location and elevation; `management` is never read, as it gives the label away.
    """

    name = "derm7pt"
    schema = DERM7PT
    license = DERM7PT_LICENSE
    never_inputs = {
        "management": KNOWN_LEAKS["management"],
        "diagnosis": "the label",
        "level_of_diagnostic_difficulty": "rated with the diagnosis",
        "case_num": "the case id",
        "clinic": "an image file",
        "derm": "an image file",
        **dict.fromkeys(DERM7PT_CRITERIA, "a seven-point checklist criterion read from the photo; it scores melanoma"),
    }
    has_patients = False  # one case per lesion, no patient ids

    def __init__(self, root: str | Path, *, image_column: str = "derm", allow_missing_images: bool = False) -> None:
        root = Path(root)
        if not (root / "meta" / "meta.csv").is_file() and (root / "release_v0" / "meta" / "meta.csv").is_file():
            root = root / "release_v0"  # the folder the download unpacks to
        csv = root / "meta" / "meta.csv"
        if not csv.is_file():
            raise FileNotFoundError(f"no meta/meta.csv in {root}: point --data at Derm7pt's release_v0 folder")
        if image_column not in ("derm", "clinic"):
            raise ValueError(f"image_column must be 'derm' or 'clinic', got {image_column!r}")
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
        required = (*DERM7PT_COLUMNS, *self.schema.field_names)
        if missing := [column for column in required if column not in table.columns]:
            raise ValueError(f"{csv} lacks the Derm7pt columns {', '.join(missing)}")
        diagnoses = table["diagnosis"].str.strip().str.lower()
        if unknown := sorted(set(diagnoses) - set(DERM7PT_DIAGNOSES)):
            raise ValueError(
                f"{csv}: unknown diagnosis {_listing(unknown)}; expected one of {sorted(DERM7PT_DIAGNOSES)}"
            )

        self.image_column = image_column
        self.official_split = _read_derm7pt_split(root / "meta", len(table))
        ids = table[image_column].str.strip().tolist()
        records = _parse_records(self.schema, table, ids)
        samples = []
        for image_id, record, diagnosis, case in zip(ids, records, diagnoses, table["case_num"], strict=True):
            path = root / "images" / image_id
            samples.append(
                Sample(
                    image_id=image_id,
                    image_path=path if image_id and path.is_file() else None,
                    record=record,
                    label=self.schema.classes.index(DERM7PT_DIAGNOSES[diagnosis]),
                    patient=f"case_{case.strip()}",
                    lesion=f"case_{case.strip()}",
                )
            )
        super().__init__(root, table, samples, allow_missing_images)

    def split(
        self,
        fold: int = 0,
        *,
        num_folds: int = 5,
        seed: int = 0,
        val_fraction: float = 0.2,
        folds_csv: str | Path | None = None,
    ) -> Split:
        """The official train/valid/test split of the release; the fold arguments do not apply to Derm7pt."""
        return Split(*(np.flatnonzero(self.official_split == name) for name in DERM7PT_SPLITS))


def _read_derm7pt_split(meta: Path, num_cases: int) -> np.ndarray:
    """'train' / 'valid' / 'test' per row of meta.csv, from the row positions in meta/<split>_indexes.csv."""
    split = np.full(num_cases, "", dtype=object)
    for name in DERM7PT_SPLITS:
        path = meta / f"{name}_indexes.csv"
        if not path.is_file():
            raise FileNotFoundError(f"no {path.name} in {meta}: Derm7pt's release_v0/meta holds the official split")
        indexes = pd.read_csv(path)
        if "indexes" not in indexes.columns:
            raise ValueError(f"{path} has no 'indexes' column")
        rows = indexes["indexes"].to_numpy()
        if ((rows < 0) | (rows >= num_cases)).any():
            raise ValueError(f"{path} has row indexes outside meta.csv's {num_cases} rows")
        if clash := sorted(int(i) for i in rows if split[i]):
            raise ValueError(f"{path} repeats rows already in another split: {_listing(clash)}")
        split[rows] = name
    if unassigned := np.flatnonzero(split == "").tolist():
        raise ValueError(f"meta.csv rows in no split: {_listing(unassigned)}")
    return split


def _group_folds(labels: np.ndarray, patients: np.ndarray, num_folds: int, seed: int) -> list:
    """(train, test) index pairs of patient-grouped folds, class-stratified as far as the classes allow."""
    # When no class can fill every fold (tiny sets), one stratum: the folds stay grouped and shuffled.
    strata = labels if np.bincount(labels).max() >= num_folds else np.zeros_like(labels)
    with warnings.catch_warnings():
        # Stratification is best effort: rare classes (MEL has 52 images) cannot reach every fold of small sets.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splitter = StratifiedGroupKFold(n_splits=num_folds, shuffle=True, random_state=seed)
        return list(splitter.split(strata, strata, patients))


def patient_folds(labels: np.ndarray, patients: np.ndarray, num_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Fold 0..num_folds-1 of every sample: class-stratified, and every patient's images in one fold."""
    if len(set(patients.tolist())) < num_folds:
        raise ValueError(f"{len(set(patients.tolist()))} patients cannot fill {num_folds} patient-grouped folds")
    folds = np.empty(len(labels), dtype=np.int64)
    for fold, (_, members) in enumerate(_group_folds(np.asarray(labels), patients, num_folds, seed)):
        folds[members] = fold
    return folds


def carve_validation(
    indices: np.ndarray, labels: np.ndarray, patients: np.ndarray, fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Splits `indices` into (train, val), val ~`fraction` of them, patient-grouped and class-stratified.

    With fewer patients than 1 / fraction, val is one patient-grouped part of as many as there are patients.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must lie in (0, 1), got {fraction}")
    num_patients = len(set(patients[indices].tolist()))
    if num_patients < 2:
        raise ValueError(f"cannot carve a validation set from {num_patients} patient(s)")
    parts = min(round(1 / fraction), num_patients)
    train, val = _group_folds(np.asarray(labels)[indices], patients[indices], parts, seed)[0]
    return indices[train], indices[val]


def leaking_patients(patients: np.ndarray, folds: np.ndarray) -> list[str]:
    """Patients whose images fall in more than one fold (sorted)."""
    folds_of = pd.Series(folds).groupby(pd.Series(patients)).nunique()
    return sorted(folds_of.index[folds_of > 1].tolist())


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
        raise ValueError(f"{path} has no fold for {_listing(absent)}: it was written for other data")
    if extra := sorted(set(fold_of) - set(ids)):
        raise ValueError(f"{path} lists images that are not in the dataset: {_listing(extra)}")
    return np.array([fold_of[image_id] for image_id in ids], dtype=np.int64)


# The loaders defined here; training.sources.SOURCES adds the one-table layouts (ISIC family, CSV).
DATASETS = {PadUfes20.name: PadUfes20, Derm7pt.name: Derm7pt}


def load_dataset(name: str, root: str | Path, **kwargs: Any) -> LesionSource:
    """The dataset `name` (any of `training.sources.SOURCES`) read from `root`; kwargs go to its loader."""
    from training.sources import load_source  # the registry imports the loaders, which import this module

    return load_source(name, root, **kwargs)
