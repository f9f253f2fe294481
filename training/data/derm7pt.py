"""Derm7pt ``release_v0`` as downloaded: ``meta/meta.csv``, ``meta/{train,valid,test}_indexes.csv`` and the
``derm`` (or ``clinic``) image of each case under ``images/``."""

from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import DERM7PT
from training.data.base import LesionSource, Sample, Split, listing, parse_records
from training.data.leakage import KNOWN_LEAKS
from training.data.licenses import DERM7PT_LICENSE

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
DERM7PT_IMAGES = "images"  # the folder of both photos of every case
DERM7PT_CRITERIA = ("seven_point_score", "pigment_network", "streaks", "pigmentation", "regression_structures",
                    "dots_and_globules", "blue_whitish_veil", "vascular_structures")  # fmt: skip


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
    view_columns = {"clinical": "clinic", "dermoscopic": "derm"}

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
                f"{csv}: unknown diagnosis {listing(unknown)}; expected one of {sorted(DERM7PT_DIAGNOSES)}"
            )

        self.image_column = image_column
        self.official_split = _read_derm7pt_split(root / "meta", len(table))
        ids = table[image_column].str.strip().tolist()
        records = parse_records(self.schema, table, ids)
        samples = []
        for image_id, record, diagnosis, case in zip(ids, records, diagnoses, table["case_num"], strict=True):
            path = root / DERM7PT_IMAGES / image_id
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

    @property
    def image_root(self) -> Path:
        return self.root / DERM7PT_IMAGES

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
            raise ValueError(f"{path} repeats rows already in another split: {listing(clash)}")
        split[rows] = name
    if unassigned := np.flatnonzero(split == "").tolist():
        raise ValueError(f"meta.csv rows in no split: {listing(unassigned)}")
    return split
