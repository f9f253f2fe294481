"""Image transforms in one place: evaluation from the checkpoint's data config, augmentation for training."""

from __future__ import annotations

import math
from functools import partial

import torch
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import v2 as T

from mhdf.config import MHDFConfig

# Longest side after resizing, in multiples of the input size: keeps absurd aspect ratios (a 1x10000 strip)
# from becoming gigabyte tensors, while ordinary photos resize exactly as timm's eval transform does.
_MAX_ASPECT = 4


def _interpolation(config: MHDFConfig) -> InterpolationMode:
    return InterpolationMode(config.interpolation) if config.interpolation else InterpolationMode.BILINEAR


def _to_tensor(config: MHDFConfig) -> list:
    return [T.ToImage(), T.ToDtype(torch.float32, scale=True), T.Normalize(config.mean, config.std)]


def _pad_short_side(image: Image.Image, max_size: int) -> Image.Image:
    """Centre-pad (black, as CenterCrop pads) a side so thin that resizing the long side to `max_size` would
    leave it under one pixel; the resize and crop then place the content exactly as without the padding."""
    width, height = image.size
    least = math.ceil(max(width, height) / max_size)
    if min(width, height) >= least:
        return image
    canvas = Image.new(image.mode, (max(width, least), max(height, least)))
    canvas.paste(image, ((canvas.width - width) // 2, (canvas.height - height) // 2))
    return canvas


def eval_geometry(config: MHDFConfig) -> list:
    """The evaluation's steps that move pixels, PIL image -> (S, S) PIL image: resize by crop_pct then centre crop.
    Anything drawn on the photo's grid (a lesion mask) goes through them to line up with the model input."""
    size = config.image_size
    resize = int(size / config.crop_pct)
    return [
        partial(_pad_short_side, max_size=_MAX_ASPECT * resize),
        T.Resize(resize, interpolation=_interpolation(config), max_size=_MAX_ASPECT * resize, antialias=True),
        T.CenterCrop(size),
    ]


def eval_transform(config: MHDFConfig) -> T.Compose:
    """PIL RGB -> (3, S, S) normalised tensor: `eval_geometry` then normalisation, like timm's eval."""
    return T.Compose([*eval_geometry(config), *_to_tensor(config)])


def train_transform(config: MHDFConfig) -> T.Compose:
    """Augmentation for dermatology photos: lesions have no canonical orientation, so flips and full
    rotations are label-preserving; mild scale, blur and colour changes mimic different cameras and lighting."""
    size = config.image_size
    return T.Compose(
        [
            T.RandomResizedCrop(size, scale=(0.6, 1.0), interpolation=_interpolation(config), antialias=True),
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.RandomRotation(180),
            T.RandomApply([T.GaussianBlur(kernel_size=5, sigma=(0.1, 1.5))], p=0.2),
            T.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.1, hue=0.02),
            *_to_tensor(config),
        ]
    )
