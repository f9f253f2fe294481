"""Generated photos that are not skin lesions, to measure how many the out-of-distribution warning catches.

Nothing is downloaded: solid colours, uniform and Gaussian noise, rendered text (a form, a chart label),
checkerboards at several scales and linear / radial gradients, each drawn from a seeded generator.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

KINDS = ("solid colour", "uniform noise", "gaussian noise", "text", "checkerboard", "gradient")
_WORDS = ("PATIENT", "NAME", "DATE", "SIGNATURE", "FORM", "TOTAL", "CHART", "2026", "INVOICE", "PAGE 1 OF 2")


def _solid(rng: np.random.Generator, size: int) -> Image.Image:
    return Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 256, 3)))


def _uniform_noise(rng: np.random.Generator, size: int) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def _gaussian_noise(rng: np.random.Generator, size: int) -> Image.Image:
    values = rng.normal(rng.uniform(60, 200), rng.uniform(10, 60), (size, size, 3))
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))


def _text(rng: np.random.Generator, size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), (255, 255, 255) if rng.random() < 0.7 else (240, 236, 220))
    draw = ImageDraw.Draw(image)
    for row in range(int(rng.integers(6, 14))):
        y = 8 + row * (size - 16) / 14
        words = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 5))))
        draw.text((8 + rng.integers(0, 20), y), f"{words}: ______", fill=(0, 0, 0))
        if rng.random() < 0.5:
            draw.line((8, y + 12, size - 8, y + 12), fill=(120, 120, 120))
    return image


def _checkerboard(rng: np.random.Generator, size: int) -> Image.Image:
    cell = int(rng.choice([4, 8, 16, 32]))
    grid = ((np.arange(size)[:, None] // cell + np.arange(size)[None, :] // cell) % 2).astype(bool)
    dark, light = rng.integers(0, 100, 3), rng.integers(156, 256, 3)
    return Image.fromarray(np.where(grid[..., None], light, dark).astype(np.uint8))


def _gradient(rng: np.random.Generator, size: int) -> Image.Image:
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    if rng.random() < 0.5:
        angle = rng.uniform(0, np.pi)
        t = np.clip((np.cos(angle) * x + np.sin(angle) * y) / (abs(np.cos(angle)) + abs(np.sin(angle))), 0, 1)
    else:
        t = np.clip(np.hypot(x - 0.5, y - 0.5) / 0.71, 0, 1)
    return Image.fromarray((start + (end - start) * t[..., None]).astype(np.uint8))


_DRAW = dict(zip(KINDS, (_solid, _uniform_noise, _gaussian_noise, _text, _checkerboard, _gradient), strict=True))


def non_lesion_images(per_kind: int = 10, size: int = 224, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """`per_kind` images of every kind in `KINDS`, as (kind, RGB image) pairs."""
    rng = np.random.default_rng(seed)
    return [(kind, _DRAW[kind](rng, size)) for kind in KINDS for _ in range(per_kind)]
