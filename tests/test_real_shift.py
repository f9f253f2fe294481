"""Degraded copies of real photos (`training.real_shift`): each kind changed the way its name says, the corner crop
free of the lesion mask, the same seed giving the same copies."""

import numpy as np
import pytest
from PIL import Image

from tests.helpers import ROOT
from training import real_shift

EXAMPLE = ROOT / "assets" / "demo" / "examples" / "bcc_1.png"  # a PAD-UFES-20 photo, CC BY 4.0


@pytest.fixture(scope="module")
def photo():
    return Image.open(EXAMPLE).convert("RGB")


def detail(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("L"), dtype=np.float64)
    return float(np.abs(np.diff(pixels, axis=0)).mean() + np.abs(np.diff(pixels, axis=1)).mean())


def test_blur_and_jpeg_keep_the_size_and_lose_detail(photo):
    for degrade in (real_shift.blur, real_shift.jpeg):
        copy = degrade(photo)
        assert copy.size == photo.size and detail(copy) < 0.7 * detail(photo)


def test_exposure_and_white_blend_scale_the_pixels(photo):
    pixels = np.asarray(photo, dtype=np.float64)
    assert np.abs(np.asarray(real_shift.exposure(photo), dtype=np.float64) - 0.12 * pixels).max() <= 0.5
    white = np.asarray(real_shift.white_blend(photo), dtype=np.float64)
    assert np.abs(white - (0.2 * pixels + 204)).max() <= 0.5


def test_the_corner_crop_is_the_largest_lesion_free_corner_square():
    photo = Image.new("RGB", (300, 200), (200, 150, 130))
    mask = np.zeros((200, 300), dtype=bool)
    mask[60:140, 40:200] = True  # the lesion, nearer the left
    crop = real_shift.lesion_free_corner(photo, mask)
    assert crop is not None and crop.size == (100, 100)  # the right corners: 100 px wide to the lesion's edge
    mask[:, :] = True
    assert real_shift.lesion_free_corner(photo, mask) is None


def test_the_dermoscopy_view_has_a_dark_surround_and_the_same_seed_repeats(photo):
    first = real_shift.dermoscopy_view(photo, np.random.default_rng(0))
    again = real_shift.dermoscopy_view(photo, np.random.default_rng(0))
    assert np.array_equal(np.asarray(first), np.asarray(again)) and first.size == photo.size
    pixels = np.asarray(first, dtype=np.float64)
    corners = np.concatenate([pixels[:5, :5], pixels[:5, -5:], pixels[-5:, :5], pixels[-5:, -5:]])
    assert corners.max() <= 18 and pixels[112:336, 112:336].mean() > 3 * corners.mean()


def test_degraded_photos_make_every_kind_but_the_corner_without_a_mask(tmp_path, photo):
    photo.save(tmp_path / "photo.png")
    made = real_shift.degraded_photos([tmp_path / "photo.png"], seed=1)
    assert [kind for kind, _, _ in made] == [k for k in real_shift.KINDS if k != "real lesion-free corner"]
    assert all(index == 0 and image.mode == "RGB" for _, index, image in made)
