"""PAD-UFES-20 as downloaded: ``metadata.csv`` (26 columns) and images found by ``img_id`` anywhere under
``images/`` (the download splits them over ``imgs_part_1..3``).

A folder may hold photos for only some rows (`../shared/data/pad-ufes-20-photos` has 331 of the 2,298): the rows
with a photo are the samples, the others `clinical_only`, for the clinical pathway and the clinical-only
baseline. A `heldout_patients.txt` beside metadata.csv (one patient_id per line) names a hidden test set: every
row of those patients is dropped before anything else reads the table, clinical-only rows included.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import PAD_UFES_20
from training.data.base import GroupedSource, Sample, find_images, listing, parse_records
from training.data.folds import patient_folds
from training.data.leakage import KNOWN_LEAKS
from training.data.licenses import PAD_UFES_20_LICENSE

# metadata.csv of PAD-UFES-20, in the order of the download.
PAD_UFES_20_COLUMNS = (
    "patient_id", "lesion_id", "smoke", "drink", "background_father", "background_mother", "age", "pesticide",
    "gender", "skin_cancer_history", "cancer_history", "has_piped_water", "has_sewage_system", "fitspatrick",
    "region", "diameter_1", "diameter_2", "diagnostic", "itch", "grew", "hurt", "changed", "bleed", "elevation",
    "img_id", "biopsed",
)  # fmt: skip

# PAD-UFES-20's real metadata.csv, bundled unchanged (no photos; attribution in training/data/README.md).
PAD_UFES_20_METADATA = Path(__file__).resolve().parent / "pad_ufes_20_metadata.csv"
HELDOUT_PATIENTS = "heldout_patients.txt"


class PadUfes20(GroupedSource):
    """PAD-UFES-20 as downloaded: `root/metadata.csv` and images under `root/images` (any sub-folders).

    Folds: a `fold_column` in metadata.csv (default "fold", used when present) gives the user's own folds;
    otherwise patient-grouped, class-stratified folds are drawn with `patient_folds`.

    Rows whose photo is not on disk become `clinical_only` (with a warning naming how many), unless no row has a
    photo, which is an error; `allow_missing_images` keeps them as samples instead, for the dataset doctor.
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
        self.heldout_patients = read_heldout_patients(root)
        table = table[~table["patient_id"].str.strip().isin(self.heldout_patients)].reset_index(drop=True)
        ids = table["img_id"].str.strip()
        if duplicated := sorted(set(ids[ids.duplicated()])):
            raise ValueError(f"{csv} lists these img_id more than once: {listing(duplicated)}")
        if unknown := sorted(set(table["diagnostic"]) - set(self.schema.classes)):
            raise ValueError(f"{csv}: unknown diagnostic {listing(unknown)}; expected {self.schema.classes}")

        images = root / "images"
        found = find_images(images if images.is_dir() else root)
        ids = ids.tolist()
        records = parse_records(self.schema, table, ids)
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
        self.clinical_only: list[Sample] = []
        if not allow_missing_images:
            table, samples, self.clinical_only = _photo_rows(table, samples, root)
        self.user_folds = _read_fold_column(table, fold_column, csv) if fold_column in table.columns else None
        self.fold_column = fold_column
        super().__init__(root, table, samples, allow_missing_images)

    def folds(self, num_folds: int = 5, seed: int = 0) -> np.ndarray:
        """Fold of every sample: the user's fold column if metadata.csv has one, else `patient_folds`."""
        if self.user_folds is not None:
            return self.user_folds
        return patient_folds(self.labels, self.patients, num_folds=num_folds, seed=seed)


def read_heldout_patients(root: Path) -> frozenset[str]:
    """The patient_ids listed in `root/heldout_patients.txt` (blank lines and `#` comments skipped); none without it."""
    path = root / HELDOUT_PATIENTS
    if not path.is_file():
        return frozenset()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line)


def _photo_rows(
    table: pd.DataFrame, samples: list[Sample], root: Path
) -> tuple[pd.DataFrame, list[Sample], list[Sample]]:
    """(table, samples) of the rows with a photo on disk, and the samples of the rows without one."""
    has_photo = np.array([sample.image_path is not None for sample in samples], dtype=bool)
    if not has_photo.any():
        raise ValueError(
            f"none of the {len(samples)} images listed in {root / 'metadata.csv'} is under {root}: point --data at "
            "the folder that holds images/ (run `python -m training.check_data` for a full report)"
        )
    if has_photo.all():
        return table, samples, []
    warnings.warn(
        f"{(~has_photo).sum()} of {len(samples)} rows of {root / 'metadata.csv'} have no photo under {root}: the "
        f"{has_photo.sum()} that do are the samples, the others clinical-only records",
        stacklevel=3,
    )
    photo_rows = [sample for sample, kept in zip(samples, has_photo, strict=True) if kept]
    clinical_only = [sample for sample, kept in zip(samples, has_photo, strict=True) if not kept]
    return table[has_photo].reset_index(drop=True), photo_rows, clinical_only


def _read_fold_column(table: pd.DataFrame, column: str, csv: Path) -> np.ndarray:
    values = pd.to_numeric(table[column].str.strip(), errors="coerce")
    if bad := table["img_id"][values.isna() | (values % 1 != 0)].tolist():
        raise ValueError(f"{csv}: column {column!r} must hold an integer fold for every row; not for {listing(bad)}")
    return values.to_numpy(dtype=np.int64)
