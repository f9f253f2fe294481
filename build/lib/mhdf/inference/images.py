"""Turning whatever a user uploads into a safe RGB image, or a ValueError that says what is wrong with it."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# A 48 MP camera photo passes; a decompression bomb (a tiny file that decodes to gigapixels) does not.
MAX_PIXELS = 50_000_000
_HIGH_BIT_DEPTH = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I;16N": 65535}

ImageSource = str | Path | bytes | Image.Image | np.ndarray


def load_image(source: ImageSource, decode_size: int | None = None) -> Image.Image:
    """Any path, bytes, PIL image or array -> RGB PIL image, EXIF orientation applied.

    Handles RGBA/LA/P with transparency (composited on white), CMYK, 16-bit and float greyscale, and
    animated files (first frame). `decode_size` lets JPEGs decode at a reduced scale of at least that size.
    Raises ValueError for empty, corrupt or non-image input and for images above MAX_PIXELS.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source)
    image = source if isinstance(source, Image.Image) else _open(source)
    _check_size(image.size)
    if decode_size and image.format == "JPEG":
        image.draft("RGB", (decode_size, decode_size))
    try:
        image.seek(0)  # animated GIF / WebP / APNG: the first frame
        image = ImageOps.exif_transpose(image)
        return _to_rgb(image)
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt pixel data surfaces on decode
        raise ValueError(f"the image file is corrupt or truncated ({error})") from None


def _open(source: str | Path | bytes) -> Image.Image:
    if isinstance(source, bytes):
        if not source:
            raise ValueError("the image file is empty")
        stream = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no image file at {path}")
        if path.stat().st_size == 0:
            raise ValueError(f"the image file {path.name} is empty")
        stream = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(stream)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"the image is too large to decode safely (limit {MAX_PIXELS / 1e6:.0f} MP)") from None
    except UnidentifiedImageError:
        raise ValueError(
            "the file is not an image format that can be read (use JPEG, PNG, WebP, GIF, BMP or TIFF)"
        ) from None
    except OSError as error:
        raise ValueError(f"the image file cannot be read ({error})") from None


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"the image has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"the image is {width}x{height} = {width * height / 1e6:.0f} MP; the limit is {MAX_PIXELS / 1e6:.0f} MP"
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in _HIGH_BIT_DEPTH or image.mode in ("I", "F"):
        # PIL's own conversion clips 16-bit values at 255 (a white picture); rescale to 8 bits instead
        values = np.asarray(image, dtype=np.float64)
        top = _HIGH_BIT_DEPTH.get(image.mode) or max(float(values.max()), 1.0)
        image = Image.fromarray(np.clip(values / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return image.convert("RGB")


def _from_array(array: np.ndarray) -> Image.Image:
    """(H, W), (H, W, 1|3|4) arrays of uint8, or of floats in [0, 1] -> RGB image."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"an image array must be (H, W) or (H, W, 3|4), got shape {array.shape}")
    _check_size((array.shape[1], array.shape[0]))
    if array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float64)
        if not np.isfinite(array).all():
            raise ValueError("the image array contains NaN or infinite values")
        scale = 255.0 if array.max(initial=0.0) <= 1.0 else 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    return _to_rgb(Image.fromarray(array))
