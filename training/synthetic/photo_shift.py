"""Generated photos of another *type* than the training photos, to measure whether the out-of-distribution score
catches a change of acquisition rather than only images that are no skin at all (`training.synthetic.non_lesion`).

Nothing is downloaded: every photo is a lesion of `training.synthetic` (its looks, classes and views), rendered
and then changed the way real acquisitions differ from the clinical photos the demo checkpoint learnt from:

* ``dermoscopy view``: the same lesions seen through a dermatoscope: magnified one and a half to two times, with the
  contrast and saturation of polarised light (no glare), inside a circular field of view with a dark surround;
* ``strong blur``: out of focus or moved (a Gaussian blur of 2-4 % of the photo's side);
* ``heavy JPEG``: re-encoded at JPEG quality 2-8, as a messaging app or a screenshot chain leaves it;
* ``other skin tone and lighting``: a skin colour outside the training palette (very dark, sallow or flushed)
  under a strong colour cast (tungsten, fluorescent, blue daylight) and under- or over-exposure;
* ``skin without lesion``: a photo of the skin alone.

The generator is frozen: the measurements in docs/photo_type_shift.md depend on these exact rules, so a change here
must be followed by measuring again (on a new seed). Every random draw comes from one `numpy.random.Generator`.
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from training.synthetic.photos import REAL_CLASS_COUNTS, draw_look, draw_view, render, skin_colour

KINDS = ("dermoscopy view", "strong blur", "heavy JPEG", "other skin tone and lighting", "skin without lesion")
# Skin colours none of the training palette's Fitzpatrick types I-VI comes near (`training.synthetic.photos.SKIN_RGB`).
OTHER_SKIN_RGB = ((0.16, 0.11, 0.09), (0.78, 0.74, 0.50), (0.93, 0.55, 0.52), (0.60, 0.60, 0.62))
# Colour casts of lighting the training photos never had: tungsten, fluorescent green, blue shade.
LIGHT_CASTS = ((1.35, 1.0, 0.6), (0.85, 1.2, 0.8), (0.7, 0.9, 1.4))


def _lesion_photo(rng: np.random.Generator, size: int, zoom: float = 1.0, opacity: float | None = None) -> Image.Image:
    """A training-like photo of a random class's lesion, `zoom` times closer; `opacity` 0 leaves the skin alone."""
    look = draw_look(str(rng.choice(sorted(REAL_CLASS_COUNTS))), rng)
    if opacity is not None:
        look = replace(look, opacity=opacity)
    view = draw_view(rng)
    return render(look, replace(view, zoom=view.zoom * zoom), skin_colour("", rng), size, rng)


def dermoscope(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A photo as seen through a dermatoscope (already magnified): the contrast and saturation of polarised light
    inside a circular field of view with a dark surround (also `training.real_shift`'s dermoscopy view)."""
    photo = ImageEnhance.Contrast(photo).enhance(rng.uniform(1.3, 1.7))
    photo = ImageEnhance.Color(photo).enhance(rng.uniform(1.2, 1.6))
    across, down = ((np.arange(side) + 0.5) / (side / 2) - 1.0 for side in photo.size)
    radius = np.hypot(across[None, :], down[:, None])
    edge = rng.uniform(0.85, 1.0)  # the field of view's radius, in half-images
    inside = np.clip((edge - radius) / 0.02, 0, 1)[..., None]
    surround = rng.uniform(0, 18)
    pixels = np.asarray(photo, dtype=np.float64) * inside + surround * (1 - inside)
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def _dermoscopy(rng: np.random.Generator, size: int) -> Image.Image:
    return dermoscope(_lesion_photo(rng, size, zoom=rng.uniform(1.5, 2.2)), rng)


def _blur(rng: np.random.Generator, size: int) -> Image.Image:
    return _lesion_photo(rng, size).filter(ImageFilter.GaussianBlur(size * rng.uniform(0.02, 0.04)))


def _jpeg(rng: np.random.Generator, size: int) -> Image.Image:
    buffer = io.BytesIO()
    _lesion_photo(rng, size).save(buffer, format="JPEG", quality=int(rng.integers(2, 9)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _skin_and_light(rng: np.random.Generator, size: int) -> Image.Image:
    look = draw_look(str(rng.choice(sorted(REAL_CLASS_COUNTS))), rng)
    skin = np.clip(np.array(OTHER_SKIN_RGB[rng.integers(len(OTHER_SKIN_RGB))]) + rng.normal(0, 0.02, 3), 0, 1)
    cast = np.array(LIGHT_CASTS[rng.integers(len(LIGHT_CASTS))]) * rng.uniform(0.95, 1.05, 3)
    exposure = rng.uniform(0.45, 0.65) if rng.random() < 0.5 else rng.uniform(1.3, 1.6)
    view = draw_view(rng)
    return render(look, replace(view, brightness=exposure, white_balance=cast), skin, size, rng)


def _skin_only(rng: np.random.Generator, size: int) -> Image.Image:
    return _lesion_photo(rng, size, opacity=0.0)


_DRAW = dict(zip(KINDS, (_dermoscopy, _blur, _jpeg, _skin_and_light, _skin_only), strict=True))


def shifted_photos(per_kind: int = 20, size: int = 224, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """`per_kind` photos of every kind in `KINDS`, as (kind, RGB image) pairs; the same seed gives the same photos."""
    rng = np.random.default_rng(seed)
    return [(kind, _DRAW[kind](rng, size)) for kind in KINDS for _ in range(per_kind)]
