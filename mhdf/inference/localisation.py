"""How well an explanation map points at the lesion, as numbers: a hand-drawn lesion mask moved onto the model
input's grid, the share of a map's energy inside it, the pointing game, and the centred Gaussian that a map has to
beat (lesions are mostly photographed in the middle of the frame).

Every map and mask here is (S, S) on the model input's grid, as `explain.grad_cam` and `explain.model_view` give.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from mhdf.config import MHDFConfig
from mhdf.inference.images import ImageSource, load_image
from mhdf.inference.transforms import eval_geometry


def mask_view(config: MHDFConfig, mask: ImageSource, photo_size: tuple[int, int]) -> np.ndarray:
    """A lesion mask drawn on the photo's grid (white = lesion) -> (S, S) bool on the model input's grid: the
    photo's own resize and centre crop (`eval_geometry`), then lesion where the resampled mask is at least half
    white. Raises ValueError when the mask's (width, height) is not the photo's."""
    grey = load_image(mask).convert("L")
    if grey.size != tuple(photo_size):
        raise ValueError(f"the mask is {grey.size[0]}x{grey.size[1]}, the photo {photo_size[0]}x{photo_size[1]}")
    for step in eval_geometry(config):
        grey = step(grey)
    return np.asarray(grey) >= 128


def _checked(heat: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    heat, mask = np.asarray(heat, dtype=np.float64), np.asarray(mask, dtype=bool)
    if heat.shape != mask.shape:
        raise ValueError(f"the map is {heat.shape}, the mask {mask.shape}")
    if not mask.any():
        raise ValueError("the mask holds no lesion pixel")
    if (heat < 0).any() or not heat.any():
        raise ValueError("the map must be non-negative and not zero everywhere")
    return heat, mask


def energy_share(heat: np.ndarray, mask: np.ndarray) -> float:
    """The share of a non-negative map's sum that lies inside the mask, in [0, 1]. A uniform map gets the mask's
    area share (`mask.mean()`), so that is the chance level."""
    heat, mask = _checked(heat, mask)
    return float(heat[mask].sum() / heat.sum())


def pointing_hit(heat: np.ndarray, mask: np.ndarray, tolerance: float = 0.0) -> bool:
    """The pointing game (Zhang et al. 2016): is the map's maximum on the lesion, or at most `tolerance` pixels
    from its nearest pixel? Where several pixels share the maximum, every one of them must be."""
    heat, mask = _checked(heat, mask)
    distance = ndimage.distance_transform_edt(~mask)  # 0 on the lesion, else the distance to its nearest pixel
    return bool((distance[heat == heat.max()] <= tolerance).all())


def centred_gaussian(size: int, sigma: float) -> np.ndarray:
    """(size, size) isotropic Gaussian centred on the grid, peak 1: where a photographer puts the lesion."""
    offsets = np.arange(size) - (size - 1) / 2
    profile = np.exp(-(offsets**2) / (2 * sigma**2))
    return np.outer(profile, profile)


def lesion_spread(masks: Sequence[np.ndarray]) -> float:
    """The σ of the centred isotropic Gaussian fitted by maximum likelihood to the lesion pixels' positions
    (σ² = half their mean squared distance from the centre), each mask weighing the same."""
    if not masks:
        raise ValueError("no mask to fit the Gaussian on")
    squared = []
    for mask in masks:
        rows, cols = np.nonzero(_checked(np.ones(np.shape(mask)), mask)[1])
        centre_row, centre_col = (np.asarray(np.shape(mask)) - 1) / 2
        squared.append(np.mean((rows - centre_row) ** 2 + (cols - centre_col) ** 2))
    return float(np.sqrt(np.mean(squared) / 2))
