"""Explanation maps measured against lesion masks: the mask moved onto the model's grid with the photo, the energy
share, the pointing game and the centred Gaussian, on maps and masks whose answers are known."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mhdf.inference import Predictor
from mhdf.inference.explain import model_view
from mhdf.inference.localisation import centred_gaussian, energy_share, lesion_spread, mask_view, pointing_hit


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    return Predictor.from_pretrained(tiny_checkpoint, device="cpu")


def square_mask(size=10, rows=slice(2, 4), cols=slice(5, 7)):
    mask = np.zeros((size, size), dtype=bool)
    mask[rows, cols] = True
    return mask


def test_a_mask_moves_with_its_photo_pixel_for_pixel(tiny, tmp_path):
    """A wide photo with a dark lesion off the centre: the model sees it resized and cropped at the sides, and the
    mask of that lesion, moved by `mask_view`, covers exactly the dark pixels of the model's view."""
    width, height, centre, radius = 300, 200, (205, 70), 30
    photo = Image.new("RGB", (width, height), (255, 255, 255))
    mask = Image.new("1", (width, height), 0)
    box = (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)
    ImageDraw.Draw(photo).ellipse(box, fill=(0, 0, 0))
    ImageDraw.Draw(mask).ellipse(box, fill=1)
    mask.save(tmp_path / "mask.png")  # a 1-bit PNG, as the shared masks are

    view = model_view(tiny, tiny.preprocess(photo)[1])
    lesion = mask_view(tiny.config, tmp_path / "mask.png", photo.size)
    size = tiny.config.image_size
    assert lesion.shape == (size, size)
    assert 0.03 < lesion.mean() < 0.5  # the lesion is in view, but not all of it
    assert np.array_equal(lesion, view.mean(axis=2) < 128)
    rows, cols = np.nonzero(lesion)
    assert cols.mean() > 0.6 * size and rows.mean() < 0.5 * size  # right of and above the centre, as drawn


def test_a_mask_of_another_size_than_the_photo_is_refused(tiny):
    with pytest.raises(ValueError, match="the mask is 30x20, the photo 20x30"):
        mask_view(tiny.config, Image.new("1", (30, 20)), (20, 30))


def test_energy_share_is_the_maps_sum_inside_the_mask_over_its_total():
    mask = square_mask()  # 4 of 100 pixels
    heat = np.where(mask, 1.0, 0.25)
    assert energy_share(heat, mask) == pytest.approx(4 / (4 + 96 * 0.25))
    assert energy_share(np.ones((10, 10)), mask) == pytest.approx(mask.mean())  # a uniform map: the area share
    assert energy_share(mask.astype(float), mask) == 1.0
    assert energy_share(~mask * 0.5, mask) == 0.0


def test_pointing_game_asks_where_the_maximum_is():
    mask = square_mask()  # rows 2-3, columns 5-6
    heat = np.zeros((10, 10))
    heat[3, 6] = 1.0
    assert pointing_hit(heat, mask)
    assert not pointing_hit(heat.T, mask)  # (6, 3): rows and columns not swapped
    heat[3, 6], heat[3, 9] = 0.5, 1.0  # the maximum 3 pixels right of the lesion's edge
    assert not pointing_hit(heat, mask) and not pointing_hit(heat, mask, tolerance=2.9)
    assert pointing_hit(heat, mask, tolerance=3)


def test_a_tied_maximum_hits_only_if_every_peak_does():
    mask = square_mask()
    heat = np.zeros((10, 10))
    heat[2, 5] = heat[8, 0] = 1.0
    assert not pointing_hit(heat, mask)
    heat[8, 0] = 0.99
    assert pointing_hit(heat, mask)


@pytest.mark.parametrize(
    ("heat", "mask", "message"),
    [
        (np.ones((10, 10)), np.zeros((10, 10), dtype=bool), "no lesion pixel"),
        (np.zeros((10, 10)), square_mask(), "not zero everywhere"),
        (-np.ones((10, 10)), square_mask(), "non-negative"),
        (np.ones((8, 10)), square_mask(), r"the map is \(8, 10\), the mask \(10, 10\)"),
    ],
)
def test_maps_and_masks_that_cannot_be_measured_are_refused(heat, mask, message):
    for measure in (energy_share, pointing_hit):
        with pytest.raises(ValueError, match=message):
            measure(heat, mask)


def test_the_centred_gaussian_peaks_in_the_middle_and_falls_by_sigma():
    gaussian = centred_gaussian(8, sigma=2.0)
    assert gaussian.max() == pytest.approx(np.exp(-2 * 0.25 / 8))  # the four middle pixels, half a pixel off
    assert set(zip(*np.nonzero(gaussian == gaussian.max()), strict=True)) == {(3, 3), (3, 4), (4, 3), (4, 4)}
    assert np.allclose(gaussian, gaussian.T) and np.allclose(gaussian, gaussian[::-1])
    odd = centred_gaussian(9, sigma=2.0)
    assert odd[4, 4] == 1.0 and odd[4, 6] == pytest.approx(np.exp(-0.5))  # one sigma right of the centre
    assert pointing_hit(odd, square_mask(9, slice(4, 5), slice(4, 5)))


def test_lesion_spread_fits_the_gaussian_to_the_lesion_pixels():
    first = np.zeros((9, 9), dtype=bool)
    first[4, 7] = True  # 3 pixels from the centre
    second = np.zeros((9, 9), dtype=bool)
    second[0, 4] = second[4, 0] = True  # both 4 pixels from the centre
    assert lesion_spread([first]) == pytest.approx(3 / np.sqrt(2))
    assert lesion_spread([first, second]) == pytest.approx(np.sqrt((9 + 16) / 2 / 2))  # each mask weighs the same
    rows, cols = np.mgrid[:201, :201] - 100
    disc = rows**2 + cols**2 <= 40**2  # a centred disc of radius R: mean squared distance R² / 2, so sigma R / 2
    assert lesion_spread([disc]) == pytest.approx(20, rel=0.01)
    with pytest.raises(ValueError, match="no mask"):
        lesion_spread([])
