"""Several photos per case: which column of a dataset holds each photo view, and a Dataset that reads them all.

Derm7pt pairs a clinical close-up (`clinic`) with a dermoscopic image (`derm`) for each of its 1,011 cases, and
MILK10k does so for each of its 5,240 lesions, so `--image-views clinical dermoscopic` reads both
(docs/two-views.md). Each loader declares the table column of each view (`LesionSource.view_columns`) and reads
one view as its samples' photo (Derm7pt `derm`, MILK10k `dermoscopic`, by default); this module adds the others.

A photo a case lacks (an empty cell) comes out of `MultiViewDataset` as a NaN-filled tensor, which collates like
any photo; `split_views` turns a batch of them back into present photos and a (B, V) mask for `MHDFNet.forward`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from mhdf.inference.images import load_image
from training.data.base import LesionSource
from training.data.derm7pt import Derm7pt
from training.data.milk10k import Milk10k


def view_columns(source: LesionSource, views: Sequence[str]) -> dict[str, str]:
    """The table column of each view; ValueError for a dataset or view without one."""
    columns = source.view_columns
    if not columns:
        raise ValueError(
            f"{source.name} has one photo per case: --image-views applies to {Derm7pt.name} and {Milk10k.name}"
        )
    if unknown := [view for view in views if view not in columns]:
        raise ValueError(f"{source.name} has no {unknown[0]!r} photos; its views are {', '.join(columns)}")
    return {view: columns[view] for view in views}


def loader_options(dataset: str, image_column: str, image_views: Sequence[str] | None) -> dict[str, Any]:
    """`load_dataset` keyword arguments for the photo each sample reads: Derm7pt the one of `--image-column`, or
    of a single `--image-views` view (`clinical` is its `clinic` column, `dermoscopic` its `derm`); MILK10k the one
    of a single `--image-views` view (its dermoscopic photo otherwise)."""
    single = image_views[0] if image_views and len(image_views) == 1 else None
    if dataset == Derm7pt.name:
        return {"image_column": Derm7pt.view_columns.get(single, image_column)}
    if dataset == Milk10k.name and single is not None:
        return {"image_view": single}
    return {}


def view_paths(source: LesionSource, views: Sequence[str]) -> list[dict[str, Path | None]]:
    """Per sample, the path of each view's photo (None: the case has no such photo). Raises ValueError listing
    photos that the table names but the folder lacks."""
    columns = view_columns(source, views)
    images = source.image_root
    paths, absent = [], []
    for _, row in source.table.iterrows():
        case = {}
        for view, column in columns.items():
            name = str(row[column]).strip()
            case[view] = images / name if name else None
            if name and not case[view].is_file():
                absent.append(name)
        paths.append(case)
    if absent:
        raise ValueError(f"{len(absent)} photos in the {source.name} metadata are not on disk, e.g. {absent[:5]}")
    return paths


class MultiViewDataset(Dataset):
    """(photos, metadata, label) items: photos maps each view to the transform's (3, H, W) output, NaN-filled
    when the case has no photo of that view."""

    def __init__(
        self,
        source: LesionSource,
        indices: Sequence[int] | np.ndarray | None,
        views: Sequence[str],
        image_size: int,
        transform=None,
    ) -> None:
        indices = np.arange(len(source.samples)) if indices is None else np.asarray(indices)
        every = view_paths(source, views)
        self.paths = [every[i] for i in indices]
        self.dataset = source.dataset(indices)  # encodes the metadata once
        self.samples = self.dataset.samples
        self.metadata = self.dataset.metadata
        self.transform = transform
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[dict[str, torch.Tensor], torch.Tensor, int]:
        photos = {}
        for view, path in self.paths[index].items():
            if path is None:
                photos[view] = torch.full((3, self.image_size, self.image_size), float("nan"))
                continue
            try:
                image = load_image(path)
            except ValueError as error:
                raise ValueError(f"image {path}: {error}") from error
            photos[view] = self.transform(image) if self.transform is not None else image
        return photos, self.metadata[index], self.samples[index].label


def split_views(
    photos: dict[str, torch.Tensor], device: torch.device
) -> tuple[dict[str, torch.Tensor | None], torch.Tensor]:
    """A collated batch of `MultiViewDataset` photos -> the photos on `device` (None for a view no case has)
    and the (B, V) bool mask of the photos each case has."""
    present = torch.stack([~photo.flatten(1).isnan().any(dim=1) for photo in photos.values()], dim=1)
    moved: dict[str, Any] = {
        view: photo.nan_to_num(0.0).to(device, non_blocking=True) if present[:, i].any() else None
        for i, (view, photo) in enumerate(photos.items())
    }
    return moved, present.to(device)
