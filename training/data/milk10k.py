"""MILK10k, the training set of the ISIC 2025 challenge, as downloaded: a clinical close-up and a dermoscopic photo
of each of its 5,240 lesions, with the patient's age, sex and skin tone and the lesion's site.

    MILK10k_Training_Metadata.csv     one row per photo: lesion_id, image_type ("clinical: close-up" or
                                      "dermoscopic"), isic_id, attribution, copyright_license, image_manipulation,
                                      age_approx, sex, skin_tone_class, site, MONET_ulceration_crust, MONET_hair,
                                      MONET_vasculature_vessels, MONET_erythema, MONET_pigmented,
                                      MONET_gel_water_drop_fluid_dermoscopy_liquid,
                                      MONET_skin_markings_pen_ink_purple_pen
    MILK10k_Training_GroundTruth.csv  one row per lesion: lesion_id, AKIEC, BCC, BEN_OTH, BKL, DF, INF, MAL_OTH, MEL,
                                      NV, SCCKA, VASC (one-hot)
    MILK10k_Training_Input/           IL_0000000/ISIC_0000000.jpg ...: the photos, found by isic_id anywhere below
    MILK10k_Training_Supplement.csv   the diagnosis in full and how it was confirmed: never read

One case is one lesion, keyed by its lesion_id as the challenge's submissions are. Its photos are the views
`clinical` and `dermoscopic` (`view_columns`, for `--image-views`); `image_view` picks the one that single-view
training reads. The folds keep every lesion whole; the table has no patient ids.

Where the layout comes from (public copies; the files themselves are CC BY-NC and not in this repository):

* https://challenge.isic-archive.com/landing/milk10k: one clinical close-up and one dermoscopic photo per lesion,
  the eleven categories, the seven MONET concept groups, ages in 5-year groups, skin tone from 0 (very dark) to 5
  (very light).
* github.com/pbanavara/milk10k@9510f5a70869 data/MILK10k_Test_Metadata.csv: the metadata header in this order and
  its spellings (`clinical: close-up`, `CC-BY-NC`, `instrument only` / `altered`, sites, skin tones, blank cells
  for an unknown site); its DESIGN.md@ec1a7bad730c: the training file names, one metadata row per photo, the
  one-hot ground truth per lesion, the supplement's columns (diagnosis_full, diagnosis_confirm_type, ...).
* github.com/intel-comp-saude-ufes/2026-1-P-skin-lesion-classification-milk10k@e9aa52cadb15
  "v3 - 2img/carregar_dados.py": photos at <lesion_id>/<isic_id>.jpg, exactly one of each type per lesion.
  pbanavara's DESIGN.md keeps them in one flat folder instead; the photos are found by isic_id at any depth, so
  both read.
* github.com/bporto-eada/milk10k-eda@10b751ee17ac outputs/data_quality_report.md:
  `image_manipulation` tracks the label ("altered" photos, nearly all clinical, are malignant 48% of the time,
  the others 70%).
* github.com/life-ufes/prism@c272b75a5f8c benchmarks/milk10k/bayesian/dataset.py: the seven sites and skin tones
  0 to 5. Its preprocess/sentence.py names tones 1 to 5 only; the challenge page and pbanavara's DESIGN.md ("0-5",
  twelve lesions of tone 0) give 0 to 5, which is what is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import MILK10K
from training.data.base import GroupedSource, Sample, listing, parse_records
from training.data.licenses import MILK10K_LICENSE
from training.data.tables import ImageIndex, read_table

MILK10K_METADATA = "MILK10k_Training_Metadata.csv"
MILK10K_GROUND_TRUTH = "MILK10k_Training_GroundTruth.csv"
MILK10K_IMAGES = "MILK10k_Training_Input"
# the view of each `image_type`, and the column of the case table that names the view's photo
MILK10K_IMAGE_TYPES = {"clinical: close-up": "clinical", "dermoscopic": "dermoscopic"}
MILK10K_VIEW_COLUMNS = {view: f"{view}_photo" for view in MILK10K_IMAGE_TYPES.values()}
MONET_CONCEPTS = (
    "ulceration_crust", "hair", "vasculature_vessels", "erythema", "pigmented",
    "gel_water_drop_fluid_dermoscopy_liquid", "skin_markings_pen_ink_purple_pen",
)  # fmt: skip


class Milk10k(GroupedSource):
    """MILK10k's training files as downloaded (see the module docstring); `image_view` is the photo each sample
    reads, "dermoscopic" (default) or "clinical".

    The table holds one row per lesion: its ground truth, the metadata row of its `image_view` photo (of its other
    photo where the lesion has no such photo) and, in `clinical_photo` / `dermoscopic_photo`, the path of each photo
    under `image_root` (blank where the metadata lists none).
    """

    name = "milk10k"
    schema = MILK10K
    license = MILK10K_LICENSE
    never_inputs = {
        "lesion_id": "the case id, the grouping key of the folds",
        "isic_id": "the image file name",
        "image_type": "which of the lesion's two photos the row describes",
        "image_manipulation": "how the photo was taken or altered: altered photos are less often malignant, so it "
        "tracks the label without being a finding",
        **dict.fromkeys(MILK10K.classes, "the label (one-hot ground truth)"),
        **dict.fromkeys(
            (f"MONET_{concept}" for concept in MONET_CONCEPTS),
            "a concept score that the MONET model read from the photo: no clinic records it, and the model reads "
            "the photo itself",
        ),
        **dict.fromkeys(MILK10K_VIEW_COLUMNS.values(), "an image file"),
    }
    has_patients = False  # one case per lesion, no patient ids
    view_columns = MILK10K_VIEW_COLUMNS

    def __init__(
        self, root: str | Path, *, image_view: str = "dermoscopic", allow_missing_images: bool = False
    ) -> None:
        root = Path(root)
        if image_view not in MILK10K_VIEW_COLUMNS:
            raise ValueError(f"image_view must be one of {', '.join(MILK10K_VIEW_COLUMNS)}, got {image_view!r}")
        metadata_csv, truth_csv = root / MILK10K_METADATA, root / MILK10K_GROUND_TRUTH
        metadata = read_table(metadata_csv, ("lesion_id", "image_type", "isic_id", *MILK10K.field_names), "MILK10k")
        truth = read_table(truth_csv, ("lesion_id", *MILK10K.classes), "MILK10k")
        labels = _one_hot_labels(truth, truth_csv)

        metadata["view"] = metadata["image_type"].str.strip().map(MILK10K_IMAGE_TYPES)
        if unknown := sorted(set(metadata["image_type"][metadata["view"].isna()])):
            raise ValueError(
                f"{metadata_csv}: unknown image_type {listing(unknown)}; expected {list(MILK10K_IMAGE_TYPES)}"
            )
        if twice := sorted(set(metadata["lesion_id"][metadata.duplicated(["lesion_id", "view"])])):
            raise ValueError(f"{metadata_csv} lists two photos of one type for the lesions {listing(twice)}")
        if disagree := _disagreeing_lesions(metadata):
            raise ValueError(
                f"{metadata_csv}: the two photos of a lesion give different clinical values: {listing(disagree)}"
            )

        self.images = ImageIndex(root / MILK10K_IMAGES if (root / MILK10K_IMAGES).is_dir() else root)
        self.image_view = image_view
        photos = metadata.assign(photo=[self._photo(lesion, isic_id) for lesion, isic_id in
                                        zip(metadata["lesion_id"], metadata["isic_id"], strict=True)])  # fmt: skip
        paths = photos.pivot(index="lesion_id", columns="view", values="photo")
        paths = paths.reindex(columns=list(MILK10K_VIEW_COLUMNS)).fillna("").rename(columns=MILK10K_VIEW_COLUMNS)
        # the row of the `image_view` photo first, so that it is the one kept for its lesion
        rows = metadata.sort_values("view", key=lambda views: views != image_view, kind="stable")
        rows = rows.drop_duplicates("lesion_id").drop(columns="view")

        table = truth.merge(rows, on="lesion_id", how="left", indicator=True)
        if absent := table["lesion_id"][table["_merge"] == "left_only"].tolist():
            raise ValueError(f"{metadata_csv} has no photo of the lesions {listing(absent)}")
        if unlabelled := sorted(set(rows["lesion_id"]) - set(truth["lesion_id"])):
            raise ValueError(f"{truth_csv} has no diagnosis for the lesions {listing(unlabelled)}")
        table = table.drop(columns="_merge").fillna("").merge(paths, left_on="lesion_id", right_index=True)
        table = table.reset_index(drop=True)

        lesions = table["lesion_id"].str.strip().tolist()
        records = parse_records(self.schema, table, lesions)
        photo_column = MILK10K_VIEW_COLUMNS[image_view]
        samples = [
            Sample(image_id=lesion, image_path=self._existing(photo), record=record, label=int(label),
                   patient=lesion, lesion=lesion)
            for lesion, photo, record, label in zip(lesions, table[photo_column], records, labels, strict=True)
        ]  # fmt: skip
        super().__init__(root, table, samples, allow_missing_images)

    @property
    def image_root(self) -> Path:
        return self.images.folder

    def _photo(self, lesion: str, isic_id: str) -> str:
        """The photo's path under `image_root`; where it is not on disk, where the download puts it."""
        found = self.images.find(isic_id.strip())
        return str(found.relative_to(self.images.folder)) if found else f"{lesion.strip()}/{isic_id.strip()}.jpg"

    def _existing(self, photo: str) -> Path | None:
        path = self.images.folder / photo
        return path if photo and path.is_file() else None


def _one_hot_labels(truth: pd.DataFrame, where: Path) -> pd.Series:
    """The class index of every ground-truth row; ValueError naming the rows without exactly one class."""
    one_hot = truth[list(MILK10K.classes)].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy()
    if bad := truth["lesion_id"][one_hot.sum(axis=1) != 1].tolist():
        raise ValueError(f"{where}: rows without exactly one class: {listing(bad)}")
    if twice := sorted(set(truth["lesion_id"][truth["lesion_id"].duplicated()])):
        raise ValueError(f"{where} lists these lesions more than once: {listing(twice)}")
    return pd.Series(np.argmax(one_hot, axis=1))


def _disagreeing_lesions(metadata: pd.DataFrame) -> list[str]:
    """Lesions whose two photos' rows give different clinical values (they describe one lesion of one patient)."""
    fields = metadata[["lesion_id", *MILK10K.field_names]].apply(lambda column: column.str.strip())
    return sorted(set(fields["lesion_id"][fields.groupby("lesion_id").transform("nunique").gt(1).any(axis=1)]))
