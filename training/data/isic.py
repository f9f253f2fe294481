"""The ISIC family exactly as downloaded: ISIC 2019, ISIC 2020, HAM10000 and an `isic image download` folder.

* :class:`Isic2019`: ``ISIC_2019_Training_Metadata.csv`` (image, age_approx, anatom_site_general, lesion_id, sex),
  ``ISIC_2019_Training_GroundTruth.csv`` (one-hot MEL, NV, BCC, AK, BKL, DF, VASC, SCC, UNK) and the JPEGs under
  ``ISIC_2019_Training_Input/``. No patients; rows without a lesion_id are groups of their own.
* :class:`Isic2020`: ``train.csv`` (image_name, patient_id, sex, age_approx, anatom_site_general_challenge,
  diagnosis, benign_malignant, target) with ``train/`` or ``ISIC_2020_Training_JPEG/``. Task ``target``
  (benign / malignant) or ``diagnosis`` (the named diagnoses with at least `min_class_size` images).
* :class:`Ham10000`: ``HAM10000_metadata.csv`` (lesion_id, image_id, dx, dx_type, age, sex, localization and,
  in later releases, dataset) with ``HAM10000_images_part_1/`` and ``_part_2/``. "unknown" sex or site is missing.
* :class:`IsicArchive`: ``metadata.csv`` keyed by ``isic_id`` and the images beside it, as ``isic image download``
  writes them. The hierarchical diagnosis (``diagnosis_1`` .. ``diagnosis_5``) maps to the ISIC 2019 classes
  through `ARCHIVE_CLASS_MAP`, which a ``diagnosis,class`` CSV (`--class-map`) can replace.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import HAM10000, ISIC_2019, ISIC_2020, ISIC_ARCHIVE, MetadataSchema
from training.data.base import listing
from training.data.licenses import ISIC_LICENSE
from training.data.tables import ImageIndex, TableSource, read_table

ISIC_2019_METADATA = "ISIC_2019_Training_Metadata.csv"
ISIC_2019_GROUND_TRUTH = "ISIC_2019_Training_GroundTruth.csv"
ISIC_2019_IMAGES = "ISIC_2019_Training_Input"
ISIC_2020_TABLES = ("train.csv", "ISIC_2020_Training_GroundTruth_v2.csv", "ISIC_2020_Training_GroundTruth.csv")
ISIC_2020_IMAGE_FOLDERS = ("train", "ISIC_2020_Training_JPEG")
ISIC_2020_TASKS = ("target", "diagnosis")
HAM10000_METADATA = "HAM10000_metadata.csv"
ARCHIVE_METADATA = "metadata.csv"
DIAGNOSIS_LEVELS = tuple(f"diagnosis_{level}" for level in range(1, 6))

# Hierarchical diagnosis (isic-metadata 4.12.0's DiagnosisEnum, levels joined by ":") -> ISIC 2019 class. The
# longest matching prefix wins; a diagnosis that matches none (an inflammatory lesion, a cyst, "Benign" alone) is
# left out and counted. Actinic keratoses are "Indeterminate" in the archive's hierarchy; squamous cell carcinoma
# in situ (Bowen's disease) counts as SCC.
ARCHIVE_CLASS_MAP: dict[str, str] = {
    "Malignant:Malignant melanocytic proliferations (Melanoma)": "MEL",
    "Benign:Benign melanocytic proliferations": "NV",
    "Malignant:Malignant adnexal epithelial proliferations - Follicular:Basal cell carcinoma": "BCC",
    "Indeterminate:Indeterminate epidermal proliferations:Solar or actinic keratosis": "AK",
    "Benign:Benign epidermal proliferations:Seborrheic keratosis": "BKL",
    "Benign:Benign epidermal proliferations:Solar lentigo": "BKL",
    "Benign:Benign epidermal proliferations:Lichen planus like keratosis": "BKL",
    "Benign:Benign soft tissue proliferations - Fibro-histiocytic:Dermatofibroma": "DF",
    "Benign:Benign soft tissue proliferations - Vascular": "VASC",
    "Malignant:Malignant epidermal proliferations:Squamous cell carcinoma in situ": "SCC",
    "Malignant:Malignant epidermal proliferations:Squamous cell carcinoma, Invasive": "SCC",
}

_GROUPING = "the grouping key of the folds"


def _with_classes(schema: MetadataSchema, classes: list[str], labels: Mapping[str, str]) -> MetadataSchema:
    """`schema` with other classes (a task or class map picks them); labels of the known codes kept."""
    return dataclasses.replace(
        schema, classes=tuple(classes), class_labels={code: labels.get(code, code) for code in classes}
    )


class Isic2019(TableSource):
    """ISIC 2019 training data as downloaded (see the module docstring)."""

    name = "isic-2019"
    license = ISIC_LICENSE
    never_inputs = {"image": "the image file name", "lesion_id": _GROUPING}

    def __init__(self, root: str | Path, *, allow_missing_images: bool = False) -> None:
        root = Path(root)
        metadata = read_table(root / ISIC_2019_METADATA, ("image", *ISIC_2019.field_names), "ISIC 2019")
        truth = read_table(root / ISIC_2019_GROUND_TRUTH, ("image", *ISIC_2019.classes), "ISIC 2019")
        one_hot = truth[list(ISIC_2019.classes)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy()
        if bad := truth["image"][~np.isin(one_hot.sum(axis=1), (0, 1))].tolist():
            raise ValueError(f"{root / ISIC_2019_GROUND_TRUTH}: rows with more than one class: {listing(bad)}")
        labels = np.where(one_hot.sum(axis=1) == 1, one_hot.argmax(axis=1), -1)  # UNK rows are left out
        table = truth[["image"]].merge(metadata, on="image", how="left", indicator=True)
        if absent := table["image"][table["_merge"] == "left_only"].tolist():
            raise ValueError(f"{root / ISIC_2019_METADATA} has no row for {listing(absent)}")
        table = table.drop(columns="_merge").fillna("")
        super().__init__(
            root,
            table,
            schema=ISIC_2019,
            image_ids=table["image"].tolist(),
            labels=labels.tolist(),
            images=ImageIndex(root / ISIC_2019_IMAGES if (root / ISIC_2019_IMAGES).is_dir() else root),
            lesions=table["lesion_id"].tolist() if "lesion_id" in table.columns else None,
            allow_missing_images=allow_missing_images,
            where=str(root / ISIC_2019_GROUND_TRUTH),
        )


class Isic2020(TableSource):
    """ISIC 2020 training data as downloaded, for the `task` "target" or "diagnosis" (module docstring)."""

    name = "isic-2020"
    license = ISIC_LICENSE
    never_inputs = {"image_name": "the image file name", "patient_id": _GROUPING}

    def __init__(
        self,
        root: str | Path,
        *,
        task: str = "target",
        min_class_size: int = 10,
        allow_missing_images: bool = False,
    ) -> None:
        root = Path(root)
        if task not in ISIC_2020_TASKS:
            raise ValueError(f"the ISIC 2020 task must be one of {', '.join(ISIC_2020_TASKS)}, got {task!r}")
        csv = next((root / name for name in ISIC_2020_TABLES if (root / name).is_file()), root / ISIC_2020_TABLES[0])
        table = read_table(
            csv, ("image_name", "patient_id", "diagnosis", "target", *ISIC_2020.field_names), "ISIC 2020"
        )
        self.task = task
        self.left_out_classes: dict[str, int] = {}
        if task == "target":
            targets = pd.to_numeric(table["target"], errors="coerce")
            if bad := table["image_name"][~targets.isin((0, 1))].tolist():
                raise ValueError(f"{csv}: target must be 0 or 1; not for {listing(bad)}")
            schema, labels = ISIC_2020, targets.astype(int).tolist()
        else:
            diagnoses = table["diagnosis"].str.strip().str.lower()
            counts = Counter(diagnoses)
            classes = [d for d, n in counts.most_common() if d != "unknown" and n >= min_class_size]
            self.left_out_classes = {d: n for d, n in counts.most_common() if d not in classes}
            if len(classes) < 2:
                raise ValueError(f"{csv}: fewer than two diagnoses have {min_class_size} images (--min-class-size)")
            schema = _with_classes(ISIC_2020, classes, {d: d.capitalize() for d in classes})
            labels = [classes.index(d) if d in classes else -1 for d in diagnoses]
        folder = next((root / name for name in ISIC_2020_IMAGE_FOLDERS if (root / name).is_dir()), root)
        super().__init__(
            root,
            table,
            schema=schema,
            image_ids=table["image_name"].tolist(),
            labels=labels,
            images=ImageIndex(folder),
            patients=table["patient_id"].tolist(),
            allow_missing_images=allow_missing_images,
            where=str(csv),
        )


class Ham10000(TableSource):
    """HAM10000 as downloaded (see the module docstring); the classes are its `dx` codes in upper case."""

    name = "ham10000"
    license = ISIC_LICENSE
    never_inputs = {"image_id": "the image file name", "lesion_id": _GROUPING}

    def __init__(self, root: str | Path, *, allow_missing_images: bool = False) -> None:
        root = Path(root)
        csv = root / HAM10000_METADATA
        table = read_table(csv, ("lesion_id", "image_id", "dx", *HAM10000.field_names), "HAM10000")
        for column in ("sex", "localization"):  # HAM10000 spells a missing value "unknown"
            table[column] = table[column].where(table[column].str.strip().str.lower() != "unknown", "")
        dx = table["dx"].str.strip().str.upper()
        if unknown := sorted(set(dx) - set(HAM10000.classes)):
            raise ValueError(f"{csv}: unknown dx {listing(unknown)}; expected {', '.join(HAM10000.classes)}")
        super().__init__(
            root,
            table,
            schema=HAM10000,
            image_ids=table["image_id"].tolist(),
            labels=[HAM10000.classes.index(code) for code in dx],
            images=ImageIndex(root),
            lesions=table["lesion_id"].tolist(),
            allow_missing_images=allow_missing_images,
            where=str(csv),
        )


def read_class_map(path: str | Path) -> dict[str, str]:
    """A `diagnosis,class` CSV: a hierarchical diagnosis prefix (levels joined by ":") and its class code."""
    table = read_table(Path(path), ("diagnosis", "class"), "class map")
    mapping = dict(zip(table["diagnosis"].str.strip(), table["class"].str.strip(), strict=True))
    if not mapping:
        raise ValueError(f"{path} maps no diagnosis to a class")
    return mapping


def archive_class(diagnosis: str, class_map: Mapping[str, str]) -> str | None:
    """The class of a hierarchical diagnosis: the longest prefix of it in `class_map` (whole levels only)."""
    levels = diagnosis.split(":")
    for depth in range(len(levels), 0, -1):
        if (cls := class_map.get(":".join(levels[:depth]))) is not None:
            return cls
    return None


class IsicArchive(TableSource):
    """A folder written by `isic image download` (see the module docstring)."""

    name = "isic-archive"
    license = ISIC_LICENSE
    never_inputs = {"isic_id": "the image id", "patient_id": _GROUPING, "lesion_id": _GROUPING}

    def __init__(
        self, root: str | Path, *, class_map: str | Path | None = None, allow_missing_images: bool = False
    ) -> None:
        root = Path(root)
        csv = root / ARCHIVE_METADATA
        table = read_table(csv, ("isic_id", "diagnosis_1"), "ISIC Archive")
        mapping = ARCHIVE_CLASS_MAP if class_map is None else read_class_map(class_map)
        for spec in ISIC_ARCHIVE.fields:  # an archive search need not return every field
            if spec.name not in table.columns:
                table[spec.name] = ""
        levels = [level for level in DIAGNOSIS_LEVELS if level in table.columns]
        diagnoses = table[levels].apply(lambda row: ":".join(value for value in row if value.strip()), axis=1)
        classes = list(dict.fromkeys(mapping.values()))
        found = [archive_class(diagnosis, mapping) for diagnosis in diagnoses]
        self.left_out_classes = dict(Counter(d or "(none)" for d, c in zip(diagnoses, found, strict=True) if c is None))
        schema = ISIC_ARCHIVE if classes == list(ISIC_ARCHIVE.classes) else _with_classes(
            ISIC_ARCHIVE, classes, ISIC_ARCHIVE.class_labels
        )  # fmt: skip
        super().__init__(
            root,
            table,
            schema=schema,
            image_ids=table["isic_id"].tolist(),
            labels=[-1 if cls is None else classes.index(cls) for cls in found],
            images=ImageIndex(root),
            patients=table["patient_id"].tolist() if "patient_id" in table.columns else None,
            lesions=table["lesion_id"].tolist() if "lesion_id" in table.columns else None,
            allow_missing_images=allow_missing_images,
            where=str(csv),
        )
