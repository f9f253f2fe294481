"""Is the photo good enough to read? A check of the photo itself, before the model's answer is trusted.

Consumer skin apps check a photo first (blur, exposure, framing) and ask for a retake. Six measures, each from the
decoded RGB photo with numpy and Pillow only, each with a threshold past which the photo has that problem:

* ``too_small``: the photo's shorter side, in pixels (the model reads 224 × 224: a photo under 150 px is enlarged
  more than 1.5 times);
* ``too_dark``: the mean luminance (0-255);
* ``washed_out``: the 5th percentile of the luminance: even the darkest tones are light (over-exposed, glare,
  a photo faded towards white);
* ``blurred``: fine-to-coarse gradient ratio: the mean absolute gradient of the photo at 224 px over that of the
  photo at half that size. A sharp photo has detail at the finest scale (about 0.8), an out-of-focus or moved one
  loses it (about 0.5). It does not depend on contrast, so a dim or faded photo is not called blurred for that;
* ``heavily_compressed``: JPEG blockiness: the strongest mean edge on a 4, 8, 16 or 24-pixel grid over the mean
  edge, in the photo as decoded (about 1.05 for a clean photo, above 5 for JPEG quality 4);
* ``no_lesion``: the colour difference (CIELAB ΔE) of the most distinct spot from the photo's typical skin: the
  98th percentile over 8 × 8-pixel blocks of the photo at 224 px of each block's ΔE from the median block. Skin
  alone has none; pen marks, hair or shadows can pass for a lesion, so this only catches photos of plain skin.

The thresholds (`CHECKS`) are fitted on real PAD-UFES-20 smartphone photos so that at least 95 % of them pass, by
`python -m benchmarks.photo_quality_fit`; docs/photo_quality.md gives the numbers. Photo quality does not depend on
the checkpoint, so they hold for every checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

ANALYSIS_SIDE = 224  # the shorter side the blur and lesion measures read the photo at (the model's input side)
BLOCK = 8  # the side of the blocks the lesion measure compares, at ANALYSIS_SIDE
GRID_PERIODS = (4, 8, 16, 24)  # JPEG's 8-px grid, also halved (a JPEG decoded at half scale) or enlarged


@dataclass(frozen=True)
class Check:
    """One measure with its threshold: a photo whose value is past it ("below" or "above") has the problem."""

    code: str
    measure: str  # what the value is, in words, for the JSON and the docs
    direction: str  # "below" | "above"
    threshold: float

    def fails(self, value: float) -> bool:
        return value < self.threshold if self.direction == "below" else value > self.threshold


# Fitted by `python -m benchmarks.photo_quality_fit` on the 264 real PAD-UFES-20 photos outside fold 0's test split
# (patients of heldout_patients.txt never read): 96.4 % of all 331 real photos pass. too_small is a rule, not a fit.
CHECKS = (
    Check("too_small", "shorter side in pixels", "below", 150.0),
    Check("too_dark", "mean luminance (0-255)", "below", 74.203),
    Check("washed_out", "5th-percentile luminance (0-255)", "above", 168.266),
    Check("blurred", "fine-to-coarse gradient ratio", "below", 0.62),
    Check("heavily_compressed", "JPEG grid edge ratio", "above", 1.619),
    Check("no_lesion", "colour difference of the most distinct spot from the skin (CIELAB ΔE)", "below", 9.296),
)
CODES = tuple(check.code for check in CHECKS)


@dataclass(frozen=True)
class Problem:
    code: str
    value: float
    threshold: float
    direction: str
    measure: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "value": self.value,
            "threshold": self.threshold,
            "direction": self.direction,
            "measure": self.measure,
        }


@dataclass(frozen=True)
class PhotoQuality:
    """The verdict on one photo: every measure's value and the problems among them."""

    values: dict[str, float]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    def to_dict(self) -> dict[str, Any]:
        """`{"ok", "problems": [{"code", "value", "threshold", "direction", "measure"}]}`, as `/predict` gives it."""
        return {"ok": self.ok, "problems": [problem.to_dict() for problem in self.problems]}


def grey(image: Image.Image) -> np.ndarray:
    """An RGB photo -> (H, W) uint8 luma, Rec. 601 (Pillow's "L")."""
    return np.asarray(image.convert("L"))


def _at_side(image: Image.Image, side: int) -> Image.Image:
    """The photo scaled so that its shorter side is `side` (box filter down, bicubic up)."""
    scale = side / min(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC)


def _mean_gradient(grey: np.ndarray) -> float:
    return float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=0)).mean())


def sharpness(image: Image.Image) -> float:
    """The `blurred` measure: mean absolute gradient at ANALYSIS_SIDE over that at half of it."""
    fine = _at_side(image, ANALYSIS_SIDE)
    coarse = fine.resize((max(2, fine.width // 2), max(2, fine.height // 2)), Image.Resampling.BOX)
    coarse_gradient = _mean_gradient(grey(coarse).astype(np.float64))
    return _mean_gradient(grey(fine).astype(np.float64)) / max(coarse_gradient, 1e-6)


def blockiness(luma: np.ndarray) -> float:
    """The `heavily_compressed` measure on (H, W) uint8 luma: over the grid periods and both directions, the largest
    mean edge on one phase of the grid over the mean edge of all phases (1 without a grid)."""
    strongest = 1.0
    luma = luma.astype(np.int16)
    for edges in (np.abs(np.diff(luma, axis=1)).mean(axis=0), np.abs(np.diff(luma, axis=0)).mean(axis=1)):
        for period in GRID_PERIODS:
            whole = len(edges) // period * period
            if whole < 2 * period:
                continue
            profile = edges[:whole].reshape(-1, period).mean(axis=0)
            strongest = max(strongest, float(profile.max() / max(profile.mean(), 1e-6)))
    return strongest


def cielab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB uint8 -> (..., 3) CIELAB (D65 white)."""
    srgb = rgb[..., :3].astype(np.float64) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        linear
        @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lesion_contrast(image: Image.Image) -> float:
    """The `no_lesion` measure: the 98th-percentile ΔE of the photo's 8 × 8 blocks (at ANALYSIS_SIDE) from the
    median block colour."""
    lab = cielab(np.asarray(_at_side(image, ANALYSIS_SIDE)))
    rows, cols = lab.shape[0] // BLOCK, lab.shape[1] // BLOCK
    blocks = lab[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK, 3).mean(axis=(1, 3)).reshape(-1, 3)
    distances = np.sqrt(((blocks - np.median(blocks, axis=0)) ** 2).sum(axis=1))
    return float(np.percentile(distances, 98))


def measure(image: Image.Image) -> dict[str, float]:
    """An RGB photo -> each check's value, by code. The exposure and compression measures read every pixel (a 12 MP
    photo takes about a second on one core), the others the photo at ANALYSIS_SIDE."""
    image = image.convert("RGB")
    luma = grey(image)
    counts = np.cumsum(np.bincount(luma.ravel(), minlength=256))
    return {
        "too_small": float(min(image.size)),
        "too_dark": float(luma.mean(dtype=np.float64)),
        "washed_out": float(np.searchsorted(counts, 0.05 * counts[-1])),  # the 5th percentile, to the level
        "blurred": sharpness(image),
        "heavily_compressed": blockiness(luma),
        "no_lesion": lesion_contrast(image),
    }


def assess(image: Image.Image, checks: tuple[Check, ...] = CHECKS) -> PhotoQuality:
    """The verdict on an RGB photo (as `mhdf.inference.images.load_image` decodes it)."""
    values = measure(image)
    problems = tuple(
        Problem(check.code, values[check.code], check.threshold, check.direction, check.measure)
        for check in checks
        if check.fails(values[check.code])
    )
    return PhotoQuality(values, problems)
