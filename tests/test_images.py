"""Uploaded images: every unusual but valid file becomes RGB; bad ones raise a ValueError that says why."""

import io

import numpy as np
import pytest
from PIL import Image

from mhdf.inference.images import MAX_PIXELS, load_image


def encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient(width: int = 40, height: int = 30) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    return Image.fromarray(np.stack([np.tile(x, (height, 1))] * 3, axis=-1))


def test_rgba_is_composited_on_white():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (255, 0, 0, 255))
    out = load_image(encoded(rgba, "PNG"))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 0, 0) and out.getpixel((5, 5)) == (255, 255, 255)


def test_cmyk_jpeg():
    out = load_image(encoded(gradient().convert("CMYK"), "JPEG"))
    assert out.mode == "RGB" and out.size == (40, 30)


def test_16_bit_grey_is_rescaled_not_clipped():
    values = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)
    out = np.asarray(load_image(encoded(Image.fromarray(values), "PNG")))
    assert out.shape == (8, 8, 3) and out.min() == 0 and out.max() == 255
    assert 100 < out[4, 0, 0] < 160  # mid-grey stays mid-grey (PIL's own conversion makes it white)


def test_palette_and_animated_gif_first_frame():
    frames = [Image.new("RGB", (10, 10), colour).convert("P") for colour in ((255, 0, 0), (0, 0, 255))]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    out = load_image(gif)
    assert out.mode == "RGB" and out.getpixel((5, 5))[0] > 200 and out.getpixel((5, 5))[2] < 50


def test_webp():
    assert load_image(encoded(gradient(), "WEBP")).size == (40, 30)


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    out = load_image(encoded(gradient(40, 30), "JPEG", exif=exif))
    assert out.size == (30, 40)


@pytest.mark.parametrize("size", [(1, 1), (1, 3000), (3000, 2)])
def test_tiny_and_extreme_aspect_images(size):
    assert load_image(encoded(Image.new("RGB", size, (10, 20, 30)), "PNG")).size == size


def test_arrays_and_paths(tmp_path):
    assert load_image(np.zeros((5, 6, 3), dtype=np.uint8)).size == (6, 5)
    assert load_image(np.ones((5, 6), dtype=np.float32)).getpixel((0, 0)) == (255, 255, 255)
    path = tmp_path / "photo.png"
    gradient().save(path)
    assert load_image(path).size == (40, 30) and load_image(str(path)).mode == "RGB"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"this is a text file, not a photo", "not an image"),
        (encoded(gradient(), "PNG")[:60], "corrupt|truncated|cannot be read"),
        (np.zeros((4, 4, 2), dtype=np.uint8), "shape"),
        (np.full((4, 4, 3), np.nan), "NaN"),
    ],
)
def test_bad_input_raises_a_clear_value_error(payload, message):
    with pytest.raises(ValueError, match=message):
        load_image(payload)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ValueError, match="no image file"):
        load_image(tmp_path / "absent.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_image(tmp_path / "empty.jpg")


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_PIXELS**0.5) + 100
    bomb = encoded(Image.new("1", (side, side)), "PNG")  # a few kB that would decode to > 50 MP
    assert len(bomb) < 200_000
    with pytest.raises(ValueError, match="limit"):
        load_image(bomb)
