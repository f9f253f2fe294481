"""PAD-UFES-20 as downloaded: ``metadata.csv`` (26 columns) and images found by ``img_id`` anywhere under
``images/`` (the download splits them over ``imgs_part_1..3``)."""

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
        raise ValueError(f"{csv}: column {column!r} must hold an integer fold for every row; not for {listing(bad)}")
    return values.to_numpy(dtype=np.int64)
