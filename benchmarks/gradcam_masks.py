"""Does Grad-CAM point at the lesion? The demo's Grad-CAM against hand-drawn lesion masks of real PAD-UFES-20 photos.

    python -m benchmarks.gradcam_masks [--checkpoint assets/demo] [--photos ../shared/data/pad-ufes-20-photos]
                                       [--figure docs/gradcam-masks.png] [--overlays DIR]

For every photo of the folder with a mask in `masks/` (listed by `photos.csv`'s `lesion_mask`), Grad-CAM of the
predicted class, as the demo shows it (`mhdf.inference.explain`, the photo with its clinical record), is measured on
the model's own grid against the mask moved there with the photo (`mhdf.inference.localisation`):

* energy share: the map's sum inside the mask over its total (a uniform map gets the mask's area share);
* pointing game: is the map's maximum on the lesion, strictly and within `--tolerance` pixels.

The baseline to beat is a centred Gaussian: photographers put the lesion in the middle. Its sigma is fitted by
maximum likelihood to the lesion pixels of the masked photos the checkpoint trained on (its training and validation
patients), never to the photos it is measured on. Which patients the checkpoint held out is read from its
`model_card.json` (`evaluation`: fold, num_folds, split_seed, val_fraction), and only those photos form the fair
test. The table over every masked photo is printed too, by split, because the held-out fold has few of them; the
training photos in it are not a fair test. The patients of `heldout_patients.txt` are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mhdf.app.figures import BOX_COLOR, gradcam_overlay
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_model_card
from mhdf.inference.explain import grad_cam, model_view, run_case
from mhdf.inference.localisation import centred_gaussian, energy_share, lesion_spread, mask_view, pointing_hit
from mhdf.model import WEIGHTS_NAME
from training.data.pad_ufes_20 import PadUfes20, read_heldout_patients

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pad-ufes-20-photos"
PHOTOS_TABLE, MASKS_DIR = "photos.csv", "masks"
SPLITS = ("train", "val", "test")
SPLIT_NAMES = {"train": "training", "val": "validation (model selection)", "test": "held-out test"}
# Zhang et al. (2016), "Top-down neural attention by excitation backprop", count a hit within 15 pixels of the
# object on 224-pixel inputs; scaled to the checkpoint's input size.
TOLERANCE_PER_224 = 15
ATTRIBUTION = (
    "Photos: PAD-UFES-20 (Pacheco et al. 2020, doi:10.17632/zr7vgbcyr2.1), CC BY 4.0; reduced to 448 px, resized "
    "and centre-cropped as the model sees them, Grad-CAM overlaid, mask outline (drawn by hand in a course project) "
    "added."
)


@dataclass
class MaskedCase:
    """One masked photo through the checkpoint, with its maps and its measures."""

    image_id: str
    diagnosis: str
    predicted: str
    split: str  # train, val or test of the checkpoint's own split
    view: np.ndarray  # (S, S, 3) uint8: the photo as the model saw it
    mask: np.ndarray  # (S, S) bool on the same grid
    cam: np.ndarray  # (S, S) in [0, 1]: Grad-CAM of the predicted class
    scores: dict[str, float] = field(default_factory=dict)  # measure -> value (hits 0 or 1), filled by `score`


def masked_samples(source: PadUfes20, photos: Path, card: dict) -> list[tuple[int, str]]:
    """(sample index, split) of every masked photo the source read, in the checkpoint's own split."""
    evaluation = card.get("evaluation", {})
    if missing := [key for key in ("fold", "num_folds", "split_seed", "val_fraction") if key not in evaluation]:
        raise SystemExit(f"the checkpoint's model_card.json does not say which patients it held out ({missing})")
    split = source.split(
        evaluation["fold"],
        num_folds=evaluation["num_folds"],
        seed=evaluation["split_seed"],
        val_fraction=evaluation["val_fraction"],
    )
    table = pd.read_csv(photos / PHOTOS_TABLE)
    masked = table[table["lesion_mask"].astype(str) == "True"]
    hidden = masked["patient_id"].isin(read_heldout_patients(photos))
    print(f"{len(masked)} masked photos in {photos / PHOTOS_TABLE}; {int(hidden.sum())} of hidden patients, not read")
    wanted = set(masked.loc[~hidden, "img_id"])
    split_of = {int(i): name for name in SPLITS for i in getattr(split, name)}
    return [(i, split_of[i]) for i, sample in enumerate(source.samples) if sample.image_id in wanted]


def measure_case(predictor: Predictor, source: PadUfes20, index: int, split: str, photos: Path) -> MaskedCase:
    sample = source.samples[index]
    photo, _ = predictor.preprocess(sample.image_path)
    run = run_case(predictor, photo, sample.record)
    predicted = int(run.prediction.probabilities.argmax())
    return MaskedCase(
        image_id=sample.image_id,
        diagnosis=source.classes[sample.label],
        predicted=predictor.config.class_names[predicted],
        split=split,
        view=model_view(predictor, run.pixels),
        mask=mask_view(predictor.config, photos / MASKS_DIR / sample.image_id, photo.size),
        cam=grad_cam(run, predicted),
    )


def score(cases: Sequence[MaskedCase], gaussian: np.ndarray, tolerance: float) -> None:
    for case in cases:
        for name, heat in (("cam", case.cam), ("gaussian", gaussian)):
            case.scores[f"{name}_energy"] = energy_share(heat, case.mask)
            case.scores[f"{name}_hit"] = float(pointing_hit(heat, case.mask))
            case.scores[f"{name}_hit_tolerant"] = float(pointing_hit(heat, case.mask, tolerance))
        case.scores["area"] = float(case.mask.mean())
        case.scores["cam_beats_gaussian"] = float(case.scores["cam_energy"] > case.scores["gaussian_energy"])
        case.scores["correct"] = float(case.predicted == case.diagnosis)


# (header, score, shown as): energy shares as means over the photos, hits as counts of them
COLUMNS = (
    ("Grad-CAM energy", "cam_energy", "mean"),
    ("Gaussian energy", "gaussian_energy", "mean"),
    ("uniform (mask area)", "area", "mean"),
    ("Grad-CAM > Gaussian energy", "cam_beats_gaussian", "count"),
    ("Grad-CAM hit", "cam_hit", "count"),
    ("Grad-CAM hit ±tol", "cam_hit_tolerant", "count"),
    ("Gaussian hit", "gaussian_hit", "count"),
    ("Gaussian hit ±tol", "gaussian_hit_tolerant", "count"),
    ("predicted right", "correct", "count"),
)


def markdown_table(groups: Sequence[tuple[str, Sequence[MaskedCase]]], tolerance: float) -> str:
    """One row per (name, cases): mean energy shares, and hits as counts of the photos."""
    headers = ["photos", "n", *(header.replace("tol", f"{tolerance:g} px") for header, _, _ in COLUMNS)]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for name, cases in groups:
        if cases:
            values = [np.array([case.scores[key] for case in cases]) for _, key, _ in COLUMNS]
            cells = [f"{v.mean():.2f}" if how == "mean" else f"{int(v.sum())}/{len(v)}"
                     for v, (_, _, how) in zip(values, COLUMNS, strict=True)]  # fmt: skip
            lines.append(f"| {name} | {len(cases)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def by_class(cases: Sequence[MaskedCase], classes: Sequence[str]) -> list[tuple[str, list[MaskedCase]]]:
    return [(name, [case for case in cases if case.diagnosis == name]) for name in classes]


def draw_case(axes, case: MaskedCase, size: int) -> None:
    """The Grad-CAM overlay the demo shows, with the lesion mask's outline on top."""
    axes.imshow(gradcam_overlay(case.view, case.cam), extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    axes.contour(case.mask.astype(float), levels=[0.5], colors=[np.array(BOX_COLOR) / 255], linewidths=1.5)
    hit = "hit" if case.scores["cam_hit"] else "miss"
    axes.set_title(
        f"{case.diagnosis}, predicted {case.predicted}\nenergy in mask {case.scores['cam_energy']:.2f} "
        f"(Gaussian {case.scores['gaussian_energy']:.2f}), {hit}",
        fontsize=8,
    )
    axes.set_axis_off()


def example_figure(cases: Sequence[MaskedCase], size: int) -> Figure:
    """The held-out photos with the highest, the median and the lowest Grad-CAM energy share."""
    ranked = sorted(cases, key=lambda case: case.scores["cam_energy"], reverse=True)
    chosen = [ranked[0], ranked[len(ranked) // 2], ranked[-1]]
    figure = Figure(figsize=(7.5, 3.4), dpi=110, layout="compressed")
    for axes, case, rank in zip(figure.subplots(1, 3), chosen, ("highest", "median", "lowest"), strict=True):
        draw_case(axes, case, size)
        axes.set_title(f"{rank}: {case.image_id.removesuffix('.png')}\n" + axes.get_title(), fontsize=8)
    figure.supxlabel("\n".join(textwrap.wrap(ATTRIBUTION, 150)), fontsize=6)
    return figure


def write_overlays(cases: Sequence[MaskedCase], size: int, folder: Path) -> None:
    """One PNG per masked photo, named split_energy_image, so the worst cases sort first."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        figure = Figure(figsize=(3.2, 3.4), dpi=110, layout="compressed")
        draw_case(figure.subplots(), case, size)
        figure.savefig(folder / f"{case.split}_{case.scores['cam_energy']:.2f}_{case.image_id}")


def main(args: argparse.Namespace) -> None:
    if not (args.photos / PHOTOS_TABLE).is_file():
        print(f"skipped: no {PHOTOS_TABLE} in {args.photos} (the project's shared folder of real PAD-UFES-20 photos)")
        return
    predictor = Predictor.from_pretrained(args.checkpoint, device="cpu")
    with warnings.catch_warnings():  # the rows without a photo: the clinical-only records, not read here
        warnings.simplefilter("ignore", UserWarning)
        source = PadUfes20(args.photos)
    chosen = masked_samples(source, args.photos, read_model_card(args.checkpoint))
    cases = [measure_case(predictor, source, index, split, args.photos) for index, split in chosen]
    size = predictor.config.image_size
    tolerance = args.tolerance if args.tolerance is not None else TOLERANCE_PER_224 * size / 224
    sigma = lesion_spread([case.mask for case in cases if case.split != "test"])
    score(cases, centred_gaussian(size, sigma), tolerance)
    test = [case for case in cases if case.split == "test"]
    weights = hashlib.sha256((args.checkpoint / WEIGHTS_NAME).read_bytes()).hexdigest()
    print(f"checkpoint {args.checkpoint} ({WEIGHTS_NAME} SHA-256 {weights[:12]}); input {size} px")
    print("Grad-CAM of the predicted class, from the photo with its clinical record")
    fitted_on = len(cases) - len(test)
    print(f"Gaussian sigma {sigma:.1f} px ({sigma / size:.3f} of the side), fitted to the lesion pixels of the")
    print(f"{fitted_on} masked training and validation photos; pointing-game tolerance {tolerance:g} px")
    print(f"\nHeld-out test fold ({len(test)} masked photos of patients the checkpoint never saw):\n")
    print(markdown_table([*by_class(test, source.classes), ("all", test)], tolerance))
    print("\nEvery masked photo, by split (the checkpoint trained on the training photos: not a fair test):\n")
    splits = [(SPLIT_NAMES[name], [case for case in cases if case.split == name]) for name in SPLITS]
    print(markdown_table([*by_class(cases, source.classes), *splits, ("all", cases)], tolerance))
    if args.figure:
        example_figure(test, size).savefig(args.figure)
        print(f"\nwrote {args.figure}")
    if args.overlays:
        write_overlays(cases, size, args.overlays)
        print(f"wrote {len(cases)} overlays to {args.overlays}")


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, type=Path, help="checkpoint folder (local)")
    parser.add_argument("--photos", default=PHOTOS, type=Path, help="the real-photo folder with photos.csv and masks/")
    parser.add_argument("--tolerance", type=float, help="pointing-game tolerance in pixels (default 15 per 224)")
    parser.add_argument("--figure", type=Path, help="write the example figure (PNG) here")
    parser.add_argument("--overlays", type=Path, help="write every masked photo's overlay into this folder")
    return parser


if __name__ == "__main__":
    main(get_args_parser().parse_args())
