"""Synthetic data in the HAM10000 and ISIC 2019 download layouts, for offline runs of those loaders.

    python -m training.synthetic --out DIR --n N --layout ham10000|isic-2019

`write_layout` rewrites a synthetic PAD-UFES-20-format set (`training.synthetic.photos.generate`) as another download:
the same photos (as JPEG, as the ISIC downloads ship them), the same lesions and classes under the other
dataset's codes, and the clinical values each layout records, spelled its way. The class maps follow the
diagnoses: ACK is an actinic keratosis (HAM10000 AKIEC, ISIC 2019 AK), SEK a benign keratosis (BKL), NEV a
nevus (NV); HAM10000 has no SCC class, and its AKIEC group (actinic keratoses and intraepithelial carcinoma)
takes the SCC lesions. HAM10000's `dx_type` follows the biopsy: histopathology for biopsied lesions, follow-up
otherwise, as in the real set. Like the real tables, neither layout keeps patient ids.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PIL import Image

from training.data.isic import HAM10000_METADATA, ISIC_2019_GROUND_TRUTH, ISIC_2019_IMAGES, ISIC_2019_METADATA

LAYOUTS = ("ham10000", "isic-2019")
HAM10000_DX = {"ACK": "akiec", "BCC": "bcc", "MEL": "mel", "NEV": "nv", "SCC": "akiec", "SEK": "bkl"}
ISIC_2019_CLASS = {"ACK": "AK", "BCC": "BCC", "MEL": "MEL", "NEV": "NV", "SCC": "SCC", "SEK": "BKL"}
ISIC_2019_COLUMNS = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")
# PAD-UFES-20 region -> HAM10000 localization, ISIC anatom_site_general.
REGIONS = {
    "SCALP": ("scalp", "head/neck"), "FACE": ("face", "head/neck"), "EAR": ("ear", "head/neck"),
    "NOSE": ("face", "head/neck"), "LIP": ("face", "oral/genital"), "NECK": ("neck", "head/neck"),
    "CHEST": ("chest", "anterior torso"), "ABDOMEN": ("abdomen", "anterior torso"), "BACK": ("back", "posterior torso"),
    "ARM": ("upper extremity", "upper extremity"), "FOREARM": ("upper extremity", "upper extremity"),
    "HAND": ("hand", "upper extremity"), "THIGH": ("lower extremity", "lower extremity"),
    "FOOT": ("foot", "lower extremity"),
}  # fmt: skip


def _sex(gender: str) -> str:
    return gender.strip().lower() if gender.strip().upper() in ("FEMALE", "MALE") else ""


def write_layout(pad_dir: Path, table: pd.DataFrame, out_dir: Path, layout: str) -> pd.DataFrame:
    """Writes the PAD-format set (`table`, images under `pad_dir/images`) to `out_dir` in `layout`; returns the
    layout's metadata table."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    paths = {path.name: path for path in (pad_dir / "images").rglob("*.png")}
    lesion_number: dict[tuple[str, str], int] = {}
    rows = []
    for index, row in enumerate(table.itertuples(index=False)):
        lesion = lesion_number.setdefault((row.patient_id, row.lesion_id), len(lesion_number))
        image_id = f"ISIC_{index:07d}"
        age = pd.to_numeric(row.age, errors="coerce")
        localization, site = REGIONS.get(row.region.strip().upper(), ("", ""))
        if layout == "ham10000":
            folder = out_dir / f"HAM10000_images_part_{1 + index % 2}"
            rows.append({"lesion_id": f"HAM_{lesion:07d}", "image_id": image_id, "dx": HAM10000_DX[row.diagnostic],
                         "dx_type": "histo" if row.biopsed == "True" else "follow_up",
                         "age": "" if pd.isna(age) else f"{age:.1f}", "sex": _sex(row.gender) or "unknown",
                         "localization": localization or "unknown"})  # fmt: skip
        else:
            folder = out_dir / ISIC_2019_IMAGES
            rows.append({"image": image_id, "age_approx": "" if pd.isna(age) else f"{5 * round(age / 5):.1f}",
                         "anatom_site_general": site, "lesion_id": f"BCN_{lesion:07d}", "sex": _sex(row.gender),
                         "class": ISIC_2019_CLASS[row.diagnostic]})  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        Image.open(paths[row.img_id]).convert("RGB").save(folder / f"{image_id}.jpg", quality=95)
    layout_table = pd.DataFrame(rows)
    if layout == "ham10000":
        layout_table.to_csv(out_dir / HAM10000_METADATA, index=False)
        return layout_table
    metadata = layout_table.drop(columns="class")
    metadata.to_csv(out_dir / ISIC_2019_METADATA, index=False)
    truth = pd.DataFrame({"image": layout_table["image"]})
    for cls in ISIC_2019_COLUMNS:
        truth[cls] = (layout_table["class"] == cls).map({True: "1.0", False: "0.0"})
    truth.to_csv(out_dir / ISIC_2019_GROUND_TRUTH, index=False)
    return metadata
