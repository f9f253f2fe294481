"""The generator of photos of another type (`training.synthetic.photo_shift`): seeded, every kind present, and each kind
changed the way its name says."""

import numpy as np
import pytest

from training.synthetic.photo_shift import KINDS, shifted_photos

SIZE = 128


@pytest.fixture(scope="module")
def photos():
    return shifted_photos(per_kind=4, size=SIZE, seed=3)


def of_kind(photos, kind):
    return [np.asarray(image, dtype=np.float64) for name, image in photos if name == kind]


def detail(pixels):
    """Mean absolute difference of neighbouring pixels: how much fine detail a photo has."""
    return np.abs(np.diff(pixels, axis=0)).mean() + np.abs(np.diff(pixels, axis=1)).mean()


def test_every_kind_is_drawn_per_kind_times_at_the_size_asked(photos):
    assert [kind for kind, _ in photos] == [kind for kind in KINDS for _ in range(4)]
    assert all(image.size == (SIZE, SIZE) and image.mode == "RGB" for _, image in photos)


def test_the_same_seed_gives_the_same_photos_and_another_seed_others(photos):
    again = shifted_photos(per_kind=4, size=SIZE, seed=3)
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for (_, a), (_, b) in zip(photos, again, strict=True))
    other = shifted_photos(per_kind=1, size=SIZE, seed=4)
    assert not np.array_equal(np.asarray(other[0][1]), np.asarray(photos[0][1]))


def test_the_dermoscopy_view_has_a_dark_surround_outside_a_circular_field(photos):
    for pixels in of_kind(photos, "dermoscopy view"):
        corners = np.concatenate([pixels[:8, :8], pixels[:8, -8:], pixels[-8:, :8], pixels[-8:, -8:]])
        centre = pixels[SIZE // 2 - 8 : SIZE // 2 + 8, SIZE // 2 - 8 : SIZE // 2 + 8]
        assert corners.max() < 25 and centre.max(axis=2).mean() > corners.mean() + 20


def test_blur_and_jpeg_take_fine_detail_away_from_a_training_like_photo(photos):
    skin_alone = np.mean([detail(p) for p in of_kind(photos, "skin without lesion")])
    blurred = np.mean([detail(p) for p in of_kind(photos, "strong blur")])
    assert blurred < 0.5 * skin_alone  # even a photo of bare skin keeps its grain; a blurred one loses it
    for pixels in of_kind(photos, "heavy JPEG"):
        # heavy compression leaves 8-pixel blocks: neighbours across a block's edge differ more than inside one
        steps = np.abs(np.diff(pixels, axis=1)).mean(axis=(0, 2))
        assert steps[7::8].mean() > 2 * np.delete(steps, np.s_[7::8]).mean()


def test_a_photo_of_skin_alone_has_no_lesion(photos):
    for pixels in of_kind(photos, "skin without lesion"):
        # the vignette darkens the edges, but a lesion would change the colour itself: the red share of the middle
        # stays the red share of the whole photo
        red = pixels[..., 0] / pixels.sum(axis=2)
        assert abs(red[SIZE // 3 : 2 * SIZE // 3, SIZE // 3 : 2 * SIZE // 3].mean() - red.mean()) < 0.01
