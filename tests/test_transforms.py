"""The evaluation transform on degenerate shapes: extreme aspect ratios must not resize a side to nothing."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2 as T

from mhdf import MHDFConfig
from mhdf.inference.transforms import eval_transform


@pytest.fixture(scope="module")
def transform():
    return eval_transform(MHDFConfig(backbone="resnet18", image_size=96))


@pytest.mark.parametrize("size", [(10_000, 1), (1, 10_000), (2400, 3), (1, 1)])
def test_extreme_shapes_give_a_model_input(transform, size):
    pixels = transform(Image.new("RGB", size, (200, 120, 90)))
    assert pixels.shape == (3, 96, 96) and torch.isfinite(pixels).all()


@pytest.mark.parametrize("size", [(640, 480), (90, 120), (1000, 3)])
def test_padding_never_touches_images_that_resize_fine(transform, size):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    without_padding = T.Compose(transform.transforms[1:])
    assert torch.equal(transform(image), without_padding(image))


def test_a_thin_strip_stays_centred(transform):
    strip = transform(Image.new("RGB", (4000, 2), (255, 255, 255)))  # white line on the padding's black
    brightness = strip.mean(dim=(0, 2))
    assert brightness.argmax().item() in (47, 48)
