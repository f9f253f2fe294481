"""Degraded copies of real photos: the photo-type shift set built from real skin instead of synthetic lesions
(`training.synthetic.photo_shift`), to measure what the photo-quality check (`mhdf.inference.quality`) and the
out-of-distribution score catch.

* ``real blur``: a Gaussian blur of radius 2 % of the photo's shorter side (out of focus, or moved);
* ``real JPEG``: shrunk 3 times, saved at JPEG quality 4 and enlarged back to its size, as a messaging app's
  thumbnail forwarded and opened full screen (so its size alone does not give it away);
* ``real exposure``: every pixel times 0.12 (12 % exposure);
* ``real white blend``: 80 % white, 20 % photo (glare, a faded print);
* ``real lesion-free corner``: the largest square in a corner of the photo that holds no pixel of its lesion mask,
  at least a third of the shorter side; only photos with a mask give one;
* ``real dermoscopy view``: the centre magnified 1.5 to 2.2 times, seen through `photo_shift.dermoscope`.

Every random draw (only the dermoscopy view has any) comes from one `numpy.random.Generator`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from training.synthetic.photo_shift import dermoscope

KINDS = (
    "real blur",
    "real JPEG",
    "real exposure",
    "real white blend",
    "real lesion-free corner",
    "real dermoscopy view",
)
BLUR_SHARE = 0.02  # the blur radius, as a share of the shorter side
JPEG_SHRINK, JPEG_QUALITY = 3, 4
EXPOSURE = 0.12
WHITE_SHARE = 0.8
CORNER_SHARE = 1 / 3  # the smallest lesion-free corner square kept, as a share of the shorter side


def blur(photo: Image.Image) -> Image.Image:
    return photo.filter(ImageFilter.GaussianBlur(BLUR_SHARE * min(photo.size)))


def jpeg(photo: Image.Image) -> Image.Image:
    size = (max(1, photo.width // JPEG_SHRINK), max(1, photo.height // JPEG_SHRINK))
    small = photo.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").resize(photo.size, Image.Resampling.BICUBIC)


def _pixels(values: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(values + 0.5, 0, 255).astype(np.uint8))


def exposure(photo: Image.Image) -> Image.Image:
    return _pixels(np.asarray(photo, dtype=np.float64) * EXPOSURE)


def white_blend(photo: Image.Image) -> Image.Image:
    return _pixels(np.asarray(photo, dtype=np.float64) * (1 - WHITE_SHARE) + 255.0 * WHITE_SHARE)


def lesion_free_corner(photo: Image.Image, mask: np.ndarray) -> Image.Image | None:
    """The largest square in one of the photo's corners without a pixel of `mask` (H, W bool, True = lesion), or
    None when every such square is under `CORNER_SHARE` of the shorter side."""
    height, width = mask.shape
    best = None
    for flip_rows in (False, True):
        for flip_cols in (False, True):
            corner = mask[::-1] if flip_rows else mask
            corner = corner[:, ::-1] if flip_cols else corner
            side = 0
            while side < min(height, width) and not corner[: side + 1, : side + 1].any():
                side += 1
            if best is None or side > best[0]:
                best = (side, flip_rows, flip_cols)
    side, flip_rows, flip_cols = best
    if side < CORNER_SHARE * min(height, width):
        return None
    left = width - side if flip_cols else 0
    top = height - side if flip_rows else 0
    return photo.crop((left, top, left + side, top + side))


def dermoscopy_view(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    zoom = rng.uniform(1.5, 2.2)
    width, height = photo.size
    crop_w, crop_h = width / zoom, height / zoom
    box = ((width - crop_w) / 2, (height - crop_h) / 2, (width + crop_w) / 2, (height + crop_h) / 2)
    return dermoscope(photo.resize(photo.size, Image.Resampling.BICUBIC, box=box), rng)


def lesion_mask(path: Path, size: tuple[int, int]) -> np.ndarray | None:
    """The lesion mask of a photo of the shared folder's layout (`masks/<img_id>` beside `images/`), as (H, W) bool
    at the photo's size; None when the photo has none."""
    mask_path = path.parent.parent / "masks" / path.name
    if not mask_path.is_file():
        return None
    mask = Image.open(mask_path).convert("L")
    return np.asarray(mask.resize(size, Image.Resampling.NEAREST) if mask.size != size else mask) > 127


def degraded_photos(paths: Iterable[Path], seed: int = 0) -> list[tuple[str, int, Image.Image]]:
    """Every kind of `KINDS` made from each photo, as (kind, index of the photo in `paths`, RGB image); a photo
    without a lesion mask gives no corner crop."""
    rng = np.random.default_rng(seed)
    shifted = []
    for index, path in enumerate(paths):
        photo = Image.open(path).convert("RGB")
        shifted += [
            ("real blur", index, blur(photo)),
            ("real JPEG", index, jpeg(photo)),
            ("real exposure", index, exposure(photo)),
            ("real white blend", index, white_blend(photo)),
            ("real dermoscopy view", index, dermoscopy_view(photo, rng)),
        ]
        mask = lesion_mask(Path(path), photo.size)
        corner = None if mask is None else lesion_free_corner(photo, mask)
        if corner is not None:
            shifted.append(("real lesion-free corner", index, corner))
    return sorted(shifted, key=lambda item: KINDS.index(item[0]))
