"""Training on cached maps of a frozen backbone prefix (`training.train --freeze-stages S --cache-views K`).

With the backbone frozen through feature stage S, what it hands to the rest of the network depends on the photo
alone. So it is computed once, for K augmented views of every training photo (`train_transform`, as an epoch would
draw them) and for the plain view of every validation photo, and each epoch reads a random one of a photo's K
cached maps instead of decoding, augmenting and running the frozen layers again. On two CPU cores this is what
makes an ImageNet backbone at 224 px trainable in minutes (docs/training.md has the timings).

The model runs unchanged on cached maps: while `reading_cached_maps` is active, the frozen modules pass their input
through and the last of them returns the batch's cached maps, so every hook on it (the stage's LC-MoE rewrite)
runs on them as on the module's own output. The checkpoint is an ordinary one: at inference the frozen layers run
on the photo and give the same maps (up to the float16 of the cache).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from training.data.base import LesionDataset


class _PrefixDone(Exception):
    """Raised by the hook on the last frozen module, carrying its output: nothing after it needs to run."""

    def __init__(self, output: torch.Tensor) -> None:
        super().__init__()
        self.output = output


@torch.inference_mode()
def prefix_maps(model: nn.Module, frozen: Sequence[nn.Module], images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) photos -> (B, C, h, w): the output of the last frozen module, before any stage rewrite."""

    def stop(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        raise _PrefixDone(output)

    handle = frozen[-1].register_forward_hook(stop, prepend=True)  # before the stage's own rewrite hook
    try:
        model.backbone(images)
    except _PrefixDone as done:
        return done.output
    finally:
        handle.remove()
    raise RuntimeError("the backbone's forward pass never reached the last frozen module")


@contextmanager
def reading_cached_maps(frozen: Sequence[nn.Module], maps: torch.Tensor) -> Iterator[None]:
    """Within this block the frozen modules pass their input through and the last one returns `maps`."""

    def passthrough(x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return x

    def cached(*args, **kwargs) -> torch.Tensor:
        return maps

    for module in frozen[:-1]:
        module.forward = passthrough
    frozen[-1].forward = cached
    try:
        yield
    finally:
        for module in frozen:
            del module.forward  # the class's own forward again


def placeholder_photos(maps: torch.Tensor) -> torch.Tensor:
    """What the model is handed as photos while it reads cached maps: one (3, 1, 1) zero image per case."""
    return maps.new_zeros(maps.shape[0], 3, 1, 1)


class CachedMaps(Dataset):
    """(maps, metadata, label) items: a random one of a photo's K cached maps, as float32."""

    def __init__(self, maps: torch.Tensor, metadata: torch.Tensor, labels: torch.Tensor) -> None:
        self.maps, self.metadata, self.labels = maps, metadata, labels

    def __len__(self) -> int:
        return len(self.maps)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        view = int(torch.randint(self.maps.shape[1], ()))
        return self.maps[index, view].float(), self.metadata[index], int(self.labels[index])


def cache_dataset(
    model: nn.Module,
    frozen: Sequence[nn.Module],
    dataset: LesionDataset,
    views: int,
    device: torch.device,
    description: str,
    batch_size: int = 32,
) -> CachedMaps:
    """`views` passes over `dataset` (whose transform draws the augmentation, or none) through the frozen prefix,
    kept as float16: (N, views, C, h, w)."""
    for module in frozen:
        module.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    passes = []
    for _ in tqdm(range(views), desc=description, leave=False):
        maps = [prefix_maps(model, frozen, images.to(device)).half().cpu() for images, _, _ in loader]
        passes.append(torch.cat(maps))
    labels = torch.tensor([sample.label for sample in dataset.samples])
    return CachedMaps(torch.stack(passes, 1), dataset.metadata, labels)
