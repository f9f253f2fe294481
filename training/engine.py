"""What training and evaluation share: the (distributed) runtime, data splits and loaders, and the
prediction loop that gathers every sample's probabilities and gate weights across processes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm import tqdm

from mhdf import MHDFConfig, MHDFNet
from mhdf.inference.uncertainty import stage_features
from training.data.base import LesionDataset, LesionSource, Split
from training.data.views import MultiViewDataset, split_views
from training.run_folder import SPLITS_NAME

SPLIT_NAMES = ("train", "val", "test")
THREADS_HELP = "PyTorch CPU threads per process (default: one per core); 1 is fastest on a busy small machine"


@dataclass(frozen=True)
class Runtime:
    """Where this process runs: its device and its place among the torchrun processes (1 without torchrun)."""

    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes files and shows progress bars."""
        return self.rank == 0

    @property
    def progress_bars(self) -> bool:
        """tqdm bars on rank 0 in a terminal; logs (not a TTY) get the per-epoch lines only."""
        return self.is_main and sys.stderr.isatty()

    @property
    def amp(self) -> bool:
        """Mixed precision (float16 autocast with a GradScaler) on CUDA only."""
        return self.device.type == "cuda"


def run_cli(get_args_parser: Callable[[], argparse.ArgumentParser], main: Callable) -> None:
    """`python -m training.X` entry point: bad data or arguments end with `error: ...`, not a traceback."""
    args = get_args_parser().parse_args()
    try:
        main(args)
    except (ValueError, OSError) as error:  # the message says what to fix
        sys.exit(f"error: {error}")


@contextmanager
def runtime_session(device: str = "auto", threads: int | None = None) -> Iterator[Runtime]:
    """The device to use for the duration of a command. Under torchrun (RANK / WORLD_SIZE set) it also joins
    the process group, on NCCL for CUDA and gloo for the CPU, each process on the GPU of its LOCAL_RANK, and
    leaves it on exit. `threads` caps PyTorch's CPU threads (None: PyTorch's default, one per core, which
    torchrun lowers to 1 per process)."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {device!r}")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if use_cuda and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but PyTorch sees no CUDA device")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        yield Runtime(torch.device("cuda" if use_cuda else "cpu"))
        return
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    try:
        yield Runtime(torch.device(f"cuda:{local_rank}" if use_cuda else "cpu"), rank, world_size, local_rank)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """The seed of one process's epoch. Every random draw of an epoch (shuffling, augmentation, dropout)
    derives from it, so a resumed run repeats exactly the epochs an uninterrupted run would have done."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


class MetadataOnly(Dataset):
    """(empty image, metadata, label) items of a LesionDataset, never reading an image: the meta-only
    variant does not look at the photos, so decoding them would only cost time."""

    def __init__(self, dataset: LesionDataset) -> None:
        self.metadata = dataset.metadata
        self.labels = [sample.label for sample in dataset.samples]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        return torch.empty(0), self.metadata[index], self.labels[index]


def split_dataset(
    source: LesionSource, indices: np.ndarray, transform, config: MHDFConfig
) -> LesionDataset | MultiViewDataset | MetadataOnly:
    """The samples at `indices` as the model reads them: one photo, every photo view, or the metadata only."""
    if config.multi_view:
        return MultiViewDataset(source, indices, config.image_views, config.image_size, transform)
    dataset = source.dataset(indices, transform)
    return dataset if config.uses_image else MetadataOnly(dataset)


def train_loader(
    dataset: Dataset, batch_size: int, workers: int, runtime: Runtime, seed: int, epoch: int
) -> DataLoader:
    """A shuffled loader over this process's share of the training set for one epoch (DistributedSampler,
    which with one process is a plain seeded shuffle)."""
    sampler = DistributedSampler(dataset, num_replicas=runtime.world_size, rank=runtime.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    generator = torch.Generator().manual_seed(epoch_seed(seed, epoch, runtime.rank))  # seeds the workers
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        generator=generator,
        pin_memory=runtime.device.type == "cuda",
        # a last batch of one sample would break batch normalisation; the shuffle drops other samples each epoch
        drop_last=len(sampler) > batch_size,
        persistent_workers=False,
    )


def eval_loader(dataset: Dataset, batch_size: int, workers: int, runtime: Runtime) -> DataLoader:
    """This process's share of an evaluation set: every world_size-th sample, never padded or repeated, so
    the gathered predictions are exactly the set (DistributedSampler would pad it)."""
    return DataLoader(
        Subset(dataset, range(runtime.rank, len(dataset), runtime.world_size)),
        batch_size=batch_size,
        shuffle=False,
        num_workers=workers,
        pin_memory=runtime.device.type == "cuda",
    )


@dataclass
class DatasetPredictions:
    """Everything an evaluation needs of N samples, in dataset order."""

    labels: np.ndarray  # (N,) true class index
    logits: np.ndarray  # (N, C)
    probabilities: np.ndarray  # (N, C) softmax
    loss: float  # mean cross-entropy
    lc_gate: np.ndarray | None = None  # (N, S, 2) with trace
    gm_gate: np.ndarray | None = None  # (N, E) with trace
    features: list[np.ndarray] | None = None  # per fused stage (N, D_s) `stage_features`, with trace and a photo
    fused: np.ndarray | None = None  # (N, H) the head's fused feature vector, with trace

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)


def model_inputs(
    config: MHDFConfig, images: torch.Tensor | dict[str, torch.Tensor], metadata: torch.Tensor, device: torch.device
) -> tuple[torch.Tensor | dict | None, torch.Tensor | None, torch.Tensor | None]:
    """A batch moved to the device, with None for the modality the variant does not use, and the (B, V) mask of
    the photos each case has (None for a one-photo model)."""
    view_mask = None
    if config.multi_view:
        images, view_mask = split_views(images, device)
    elif config.uses_image:
        images = images.to(device, non_blocking=True)
    else:
        images = None
    metadata = metadata.to(device, non_blocking=True) if config.uses_metadata else None
    return images, metadata, view_mask


@torch.inference_mode()
def predict(
    model: MHDFNet,
    loader: DataLoader,
    runtime: Runtime,
    trace: bool = False,
    description: str = "eval",
    missing_views: Sequence[str] = (),
) -> DatasetPredictions:
    """Runs `model` (unwrapped, not DDP) over the loader of `eval_loader`; every process returns the
    predictions of the whole set, gathered from all processes. `missing_views`: photo views marked missing for
    every case, as if the cases had been photographed without them."""
    model.eval()
    positions = list(loader.dataset.indices) if isinstance(loader.dataset, Subset) else list(range(len(loader.dataset)))
    labels, logits, lc_gates, gm_gates, features, fused = [], [], [], [], [], []
    for images, metadata, target in tqdm(loader, desc=description, leave=False, disable=not runtime.progress_bars):
        images, metadata, view_mask = model_inputs(model.config, images, metadata, runtime.device)
        if missing_views:
            images = {view: None if view in missing_views else photo for view, photo in images.items()}
        with torch.autocast(runtime.device.type, dtype=torch.float16, enabled=runtime.amp):
            out = model(images, metadata, return_trace=trace, view_mask=view_mask)
        if trace:
            lc_gates.append(out.trace.lc_gate.float().cpu())
            gm_gates.append(out.trace.gm_gate.float().cpu())
            fused.append(out.fused.float().cpu())
            if out.stage_maps:
                features.append(stage_features(out.stage_maps))
            out = out.logits
        logits.append(out.float().cpu())
        labels.append(target)
    num_classes = model.config.num_classes
    shard = {
        "positions": np.asarray(positions, dtype=np.int64),
        "labels": torch.cat(labels).numpy() if labels else np.empty(0, dtype=np.int64),
        "logits": torch.cat(logits).numpy() if logits else np.empty((0, num_classes), dtype=np.float32),
    }
    if trace:
        shard["lc_gate"] = torch.cat(lc_gates).numpy() if lc_gates else None
        shard["gm_gate"] = torch.cat(gm_gates).numpy() if gm_gates else None
        shard["fused"] = torch.cat(fused).numpy() if fused else None
        shard["features"] = [np.concatenate(stage) for stage in zip(*features, strict=True)] if features else None
    shards = [shard]
    if runtime.distributed:
        shards = [None] * runtime.world_size
        dist.all_gather_object(shards, shard)
    order = np.argsort(np.concatenate([s["positions"] for s in shards]), kind="stable")

    def gathered(key: str) -> np.ndarray:
        return np.concatenate([s[key] for s in shards if s[key] is not None])[order]

    def gathered_features() -> list[np.ndarray]:
        stages = zip(*(s["features"] for s in shards if s["features"] is not None), strict=True)
        return [np.concatenate(stage)[order] for stage in stages]

    labels_all, logits_all = gathered("labels"), torch.from_numpy(gathered("logits")).double()
    loss = torch.nn.functional.cross_entropy(logits_all, torch.from_numpy(labels_all)).item()
    return DatasetPredictions(
        labels=labels_all,
        logits=logits_all.numpy(),
        probabilities=logits_all.softmax(dim=1).numpy(),
        loss=loss,
        lc_gate=gathered("lc_gate") if trace else None,
        gm_gate=gathered("gm_gate") if trace else None,
        fused=gathered("fused") if trace else None,
        features=gathered_features() if trace and features else None,
    )


def write_splits_csv(path: str | Path, source: LesionSource, split: Split, folds: np.ndarray | None = None) -> None:
    """`img_id, patient_id, diagnostic, fold, split` of every sample a run used (fold empty for Derm7pt)."""
    split_of = np.full(len(source.samples), "", dtype=object)
    for name in SPLIT_NAMES:
        split_of[getattr(split, name)] = name
    used = split_of != ""
    table = pd.DataFrame(
        {
            "img_id": [sample.image_id for sample in source.samples],
            "patient_id": source.patients,
            "diagnostic": [source.classes[label] for label in source.labels],
            "fold": folds if folds is not None else "",
            "split": split_of,
        }
    )[used]
    table.to_csv(path, index=False)


def read_splits_csv(path: str | Path, source: LesionSource) -> tuple[Split, pd.DataFrame]:
    """The Split of a run's splits.csv, and the table itself; every listed image must be in `source`."""
    table = pd.read_csv(path, dtype={"img_id": str, "patient_id": str, "split": str}, keep_default_na=False)
    if missing := {"img_id", "split"} - set(table.columns):
        raise ValueError(f"{path} lacks the columns {', '.join(sorted(missing))}: it is not a run's {SPLITS_NAME}")
    position = {sample.image_id: i for i, sample in enumerate(source.samples)}
    if absent := [image_id for image_id in table["img_id"] if image_id not in position]:
        raise ValueError(f"{path} lists {len(absent)} images that are not in the dataset, e.g. {absent[:5]}")
    indices = table["img_id"].map(position).to_numpy()
    return Split(*(indices[(table["split"] == name).to_numpy()] for name in SPLIT_NAMES)), table


def find_run_splits(checkpoint: str | Path) -> Path | None:
    """The splits.csv of the training run a checkpoint folder (RUN_DIR/best) belongs to, if any."""
    for folder in (Path(checkpoint), Path(checkpoint).parent):
        if (folder / SPLITS_NAME).is_file():
            return folder / SPLITS_NAME
    return None


def class_weights(labels: Sequence[int], num_classes: int) -> torch.Tensor:
    """Inverse-frequency weights n / (C * n_c), as scikit-learn's "balanced" (absent classes count as 1)."""
    counts = np.bincount(np.asarray(labels), minlength=num_classes)
    return torch.tensor(len(labels) / (num_classes * np.maximum(counts, 1)), dtype=torch.float32)


def freeze_backbone_through(model: MHDFNet, stage: int) -> list[nn.Module]:
    """Freezes every backbone module that runs up to the end of timm feature stage `stage` (an index into the
    backbone's full feature list, e.g. 3 = `blocks.4` of tf_efficientnet_lite0), in every view's backbone.

    Returns the frozen modules, which the training loop keeps in eval mode: their batch-norm statistics stay the
    pretrained ones, and no gradient is computed through them, so an epoch costs a forward pass there and no more.
    """
    if model.backbone is None:
        raise ValueError(f"--freeze-stages: the {model.config.variant} variant has no backbone")
    backbones = {id(branch): branch for branch in (model.view_branch(view)[0] for view in model.config.image_views)}
    frozen = []
    for backbone in backbones.values():
        info = backbone.body.feature_info.info
        if not 0 <= stage < len(info):
            raise ValueError(f"--freeze-stages {stage}: {model.config.backbone} has feature stages 0-{len(info) - 1}")
        target = info[stage]["module"]
        for name, module in backbone.body.named_children():
            frozen.append(module)
            flat = name.replace("_", ".")  # FeatureListNet flattens "layer1" and "features.3" to "features_3"
            if flat == target or name == target:
                break
            if target.startswith(flat + "."):  # the stage lies inside this child: freeze the child's leading part
                frozen.pop()
                for child_name, child in module.named_children():
                    frozen.append(child)
                    if f"{flat}.{child_name}" == target:
                        break
                break
    for module in frozen:
        module.requires_grad_(False)
    return frozen
