"""Synthetic paired photos: a clinical close-up and a dermoscopic image of each lesion, in Derm7pt's layout.

`python -m training.synthetic.paired --out DIR --n N --seed S` writes `DIR/meta/meta.csv` (Derm7pt's columns), the
official-split files `DIR/meta/{train,valid,test}_indexes.csv` and two PNGs per case under `DIR/images/SYN/`, so
`training.data.derm7pt.Derm7pt` reads it and `--image-views clinical dermoscopic` trains on both photos.

The two photos of a lesion show different things, as real ones do (docs/two-views.md):

* the **dermoscopic** image is framed on the lesion and sharp: it reveals fine structure (the keratin texture of a
  seborrhoeic keratosis, a pigment network, dots) but, magnified to fill the field, not the lesion's size;
* the **clinical** close-up is taken from further away and softer: it shows the lesion's size and the skin around
  it, and blurs the fine structure away.

The classes are drawn so that each photo alone loses a pair: a melanoma here is a nevus grown large (same colour,
network and shape; only its size differs, which only the clinical photo shows), and a seborrhoeic keratosis is a
basal cell carcinoma with a keratin texture (which only the dermoscopic photo shows). Both photos together separate
all five classes. The records (sex, location, elevation) are drawn independently of the class, so any gain comes
from the photos. Everything is drawn from one `numpy.random.Generator`: the same seed gives identical files.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from mhdf.metadata import DERM7PT
from training.synthetic.photos import PhotoView, draw_look, render, save_photo, skin_colour

# Derm7pt class -> (class whose look the lesion takes in training.synthetic, Derm7pt diagnosis written to meta.csv)
LOOKS = {
    "BCC": ("BCC", "basal cell carcinoma"),
    "NEV": ("NEV", "clark nevus"),
    "MEL": ("NEV", "melanoma"),
    "MISC": ("ACK", "dermatofibroma"),
    "SK": ("SEK", "seborrheic keratosis"),
}
MELANOMA_GROWTH = 1.7  # a melanoma is a nevus this many times wider
DERMOSCOPIC_EXTENT = 0.55  # the dermoscope frames every lesion at this radius (in half-images)
CLINICAL_ZOOM = 0.75  # the close-up shows lesions at their size, smaller than the dermoscope does
CLINICAL_BLUR = 1 / 45  # Gaussian blur radius of the close-up, per pixel of image side
SEVEN_POINT_COLUMNS = ("seven_point_score", "pigment_network", "streaks", "pigmentation", "regression_structures",
                       "dots_and_globules", "blue_whitish_veil", "vascular_structures",
                       "level_of_diagnostic_difficulty")  # fmt: skip
META_COLUMNS = ("case_num", "diagnosis", *SEVEN_POINT_COLUMNS, "elevation", "location", "sex", "clinic", "derm",
                "management")  # fmt: skip
SPLIT_FRACTIONS = {"train": 0.55, "valid": 0.15, "test": 0.30}


def photo_view(zoom: float, blur: float, rng: np.random.Generator) -> PhotoView:
    return PhotoView(
        centre=tuple(rng.uniform(-0.08, 0.08, 2)),
        angle=rng.uniform(0, 2 * np.pi),
        zoom=zoom,
        brightness=rng.uniform(0.9, 1.08),
        white_balance=rng.uniform(0.96, 1.04, 3),
        blur=blur,
    )


def paired_views(radius: float, size: int, rng: np.random.Generator) -> dict[str, PhotoView]:
    """How the two photos of one lesion of this radius are taken, per Derm7pt image column."""
    clinical_blur = CLINICAL_BLUR * size * rng.uniform(0.9, 1.2)
    return {
        "clinic": photo_view(CLINICAL_ZOOM * rng.uniform(0.92, 1.08), clinical_blur, rng),
        "derm": photo_view(DERMOSCOPIC_EXTENT / radius * rng.uniform(0.95, 1.05), 0.0, rng),
    }


def draw_record(rng: np.random.Generator) -> dict[str, str]:
    """A Derm7pt-style record, independent of the class."""
    return {field.name: str(rng.choice(field.values)) for field in DERM7PT.fields}


def generate_pairs(out_dir: str | Path, n: int, seed: int, image_size: int = 96) -> pd.DataFrame:
    """Writes n cases (two photos each) in Derm7pt's release_v0 layout; returns meta.csv as a table.

    The classes are equally frequent (so balanced accuracy and accuracy agree), and the official split is drawn
    class by class: 55 % train, 15 % valid, 30 % test.
    """
    if n < 2 * len(LOOKS):
        raise ValueError(f"n must be at least {2 * len(LOOKS)} cases, got {n}")
    if image_size < 32:
        raise ValueError(f"image_size must be at least 32 pixels, got {image_size}")
    out_dir = Path(out_dir)
    if (out_dir / "meta").exists() or (out_dir / "images").exists():
        raise ValueError(f"{out_dir} already holds a dataset; choose an empty or new directory")
    (out_dir / "meta").mkdir(parents=True)
    (out_dir / "images" / "SYN").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    classes = np.array(sorted(LOOKS))[np.arange(n) % len(LOOKS)]
    classes = classes[rng.permutation(n)]
    rows = []
    for case, cls in enumerate(classes, start=1):
        look_class, diagnosis = LOOKS[cls]
        look = draw_look(look_class, rng)
        if cls == "MEL":
            look = replace(look, radius=look.radius * MELANOMA_GROWTH)
        skin = skin_colour("", rng)
        row = {column: "absent" for column in SEVEN_POINT_COLUMNS}
        row |= {"case_num": str(case), "diagnosis": diagnosis, **draw_record(rng)}
        row["management"] = "excision" if cls in ("BCC", "MEL") else "clinical follow up"
        for column, view in paired_views(look.radius, image_size, rng).items():
            name = f"SYN/{case:05d}_{column}.png"
            save_photo(render(look, view, skin, image_size, rng), out_dir / "images" / name)
            row[column] = name
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(META_COLUMNS))
    table.to_csv(out_dir / "meta" / "meta.csv", index=False)
    for name, rows_of_split in official_split(classes, rng).items():
        pd.DataFrame({"indexes": rows_of_split}).to_csv(out_dir / "meta" / f"{name}_indexes.csv", index=False)
    return table


def official_split(classes: np.ndarray, rng: np.random.Generator) -> dict[str, list[int]]:
    """Row indexes of train / valid / test, drawn class by class in SPLIT_FRACTIONS."""
    split: dict[str, list[int]] = {name: [] for name in SPLIT_FRACTIONS}
    for cls in sorted(set(classes.tolist())):
        rows = rng.permutation(np.flatnonzero(classes == cls))
        valid_start = round(len(rows) * SPLIT_FRACTIONS["train"])
        test_start = valid_start + round(len(rows) * SPLIT_FRACTIONS["valid"])
        split["train"] += rows[:valid_start].tolist()
        split["valid"] += rows[valid_start:test_start].tolist()
        split["test"] += rows[test_start:].tolist()
    return {name: sorted(rows) for name, rows in split.items()}


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Write synthetic paired clinical + dermoscopic photos in the Derm7pt format", add_help=add_help
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory (must not hold a dataset yet)")
    parser.add_argument("--n", default=2000, type=int, help="number of cases (two photos each)")
    parser.add_argument("--seed", default=0, type=int, help="random seed; the same seed gives identical files")
    parser.add_argument("--size", default=96, type=int, help="image side in pixels")
    return parser


def main(args: argparse.Namespace) -> None:
    table = generate_pairs(args.out, args.n, args.seed, image_size=args.size)
    print(f"wrote {len(table)} cases ({2 * len(table)} photos) in the Derm7pt layout to {args.out}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
