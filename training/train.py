"""Train MHDF-Net (or one of its baselines / ablations) on PAD-UFES-20 or Derm7pt as downloaded.

    python -m training.train --data DIR --dataset pad-ufes-20 --fold 0 --out runs/pad-fold0
    torchrun --nproc_per_node=4 -m training.train ...   # DistributedDataParallel, one process per GPU

The optimiser follows the paper: Adam, lr 1e-3, batch 32 (per process), up to 150 epochs, 224 pixels. Five
defaults differ from it; they were chosen by validation balanced accuracy of the clinical pathway on real
PAD-UFES-20 metadata (benchmarks/metadata_sweep.py; README, "Real data: the clinical pathway on PAD-UFES-20's
metadata"):

* ``--weight-decay 1e-3``: Adam's L2 weight decay (paper: 0);
* ``--field-dropout 0.2``: each clinical field is read as missing with this rate while training (paper: 0);
* ``--label-smoothing 0.1`` (paper: plain cross-entropy, 0);
* ``--class-weighted``: inverse-frequency class weights in the loss (paper: ``--no-class-weighted``);
* ``--early-stopping 20``: stop after 20 epochs without a better validation BACC (paper: 0, all 150 epochs).

``--weight-decay 0 --field-dropout 0 --label-smoothing 0 --no-class-weighted --early-stopping 0`` trains as the
paper did.

Model selection is honest: on PAD-UFES-20, fold K is the test fold and is never looked at; the best epoch is
chosen by balanced accuracy on a patient-grouped validation split carved from the other folds. Derm7pt uses
its official train / valid / test split. RUN_DIR receives:

* ``args.json``: the resolved arguments; ``splits.csv``: which image served for train / val / test;
* ``log.csv``: one row per epoch with the training loss and validation ACC, BACC, macro-F1 and AUC;
* ``best/``: the best epoch's checkpoint (``config.json`` + ``model.safetensors``, `MHDFNet.from_pretrained`);
* ``checkpoint.pth``: the last epoch's model, optimizer and scaler state, which ``--resume`` continues from.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from mhdf import VARIANTS, MHDFConfig, MHDFNet
from mhdf.transforms import eval_transform, train_transform
from training.datasets import DATASETS, LesionSource, PadUfes20, load_dataset, read_folds_csv
from training.engine import (
    SPLITS_NAME,
    THREADS_HELP,
    Runtime,
    class_weights,
    epoch_seed,
    eval_loader,
    model_inputs,
    predict,
    run_cli,
    runtime_session,
    split_dataset,
    train_loader,
    write_splits_csv,
)
from training.metrics import classification_metrics

CHECKPOINT_NAME = "checkpoint.pth"
LOG_COLUMNS = ("epoch", "train_loss", "val_loss", "val_accuracy", "val_balanced_accuracy", "val_macro_f1", "val_auc",
               "lr", "seconds")  # fmt: skip
# Arguments a resumed run may change; any other difference from args.json is an error.
RESUMABLE_CHANGES = frozenset({"epochs", "resume", "workers", "threads", "device", "early_stopping"})
# Optional model hyper-parameters: None keeps MHDFConfig's default.
MODEL_OPTIONS = ("token_dim", "num_heads", "top_k", "num_experts", "expert_hidden", "dropout", "field_dropout")


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    loader: torch.utils.data.DataLoader,
    config: MHDFConfig,
    runtime: Runtime,
    description: str,
) -> float:
    """One pass over the training loader; returns the mean training loss over all processes."""
    model.train()
    loss_sum = torch.zeros(2, dtype=torch.float64, device=runtime.device)  # summed loss, samples
    for images, metadata, target in tqdm(loader, desc=description, leave=False, disable=not runtime.progress_bars):
        images, metadata = model_inputs(config, images, metadata, runtime.device)
        target = target.to(runtime.device, non_blocking=True)
        with torch.autocast(runtime.device.type, dtype=torch.float16, enabled=runtime.amp):
            loss = criterion(model(images, metadata), target)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        loss_sum += torch.stack([loss.detach().double() * len(target), loss_sum.new_tensor(len(target))])
    if runtime.distributed:
        dist.all_reduce(loss_sum)
    return (loss_sum[0] / loss_sum[1].clamp(min=1)).item()


def evaluate(model: MHDFNet, loader: torch.utils.data.DataLoader, runtime: Runtime, description: str) -> dict:
    """Validation metrics (classification_metrics keys, plus "loss") of the unwrapped model; on every process."""
    predictions = predict(model, loader, runtime, description=description)
    metrics = classification_metrics(predictions.labels, predictions.probabilities, model.config.class_names)
    return {**metrics, "loss": predictions.loss}


def describe_training_data(args: argparse.Namespace, source: LesionSource) -> str:
    """What the checkpoint was trained on, shown next to each of its predictions."""
    if args.training_data:
        return args.training_data
    name = source.schema.label
    if args.synthetic:
        name = f"synthetic {name}-format data (training.synthetic)"
    if isinstance(source, PadUfes20):
        return f"{name} fold {args.fold} train"
    return f"{name} official train split"


def build_config(args: argparse.Namespace, source: LesionSource) -> MHDFConfig:
    options = {name: getattr(args, name) for name in MODEL_OPTIONS if getattr(args, name) is not None}
    return MHDFConfig(
        backbone=args.backbone,
        num_classes=len(source.classes),
        class_names=list(source.classes),
        schema_name=source.schema.name,
        metadata_schema=source.schema.to_dict(),
        variant=args.variant,
        image_size=args.image_size,
        training_data=describe_training_data(args, source),
        synthetic_data=args.synthetic,
        **options,
    )


def jsonable_args(args: argparse.Namespace) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}


def check_run_folder(args: argparse.Namespace, out: Path) -> None:
    """A new run needs an unused folder; --resume needs the folder's checkpoint and the same arguments."""
    if not args.resume:
        if (out / CHECKPOINT_NAME).exists() or (out / "log.csv").exists():
            raise ValueError(f"{out} already holds a training run: pass --resume to continue it, or a new --out")
        return
    if not (out / CHECKPOINT_NAME).is_file():
        raise ValueError(f"--resume: there is no {CHECKPOINT_NAME} in {out} to continue from")
    saved = json.loads((out / "args.json").read_text())
    current = jsonable_args(args)
    if changed := sorted(
        k for k in (current.keys() | saved.keys()) - RESUMABLE_CHANGES if saved.get(k) != current.get(k)
    ):
        details = ", ".join(f"--{k.replace('_', '-')} {saved.get(k)!r} -> {current.get(k)!r}" for k in changed)
        raise ValueError(f"--resume must keep the run's arguments; these differ from {out}/args.json: {details}")


def prepare_split(args: argparse.Namespace, source: LesionSource, runtime: Runtime, out: Path):
    """The run's train / val / test indices; rank 0 writes splits.csv (and the folds, when new) first."""
    splits_csv = out / SPLITS_NAME
    folds_csv = args.folds_csv or splits_csv
    options = {"num_folds": args.num_folds, "seed": args.split_seed, "val_fraction": args.val_fraction}
    if runtime.is_main:
        split = source.split(args.fold, **options, folds_csv=folds_csv)
        folds = read_folds_csv(folds_csv, source) if isinstance(source, PadUfes20) else None
        write_splits_csv(splits_csv, source, split, folds)
    if runtime.distributed:
        dist.barrier()  # the other processes read the folds rank 0 has just written
    if not runtime.is_main:
        split = source.split(args.fold, **options, folds_csv=folds_csv)
    return split


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
    out = Path(args.out)
    check_run_folder(args, out)
    if runtime.is_main:
        out.mkdir(parents=True, exist_ok=True)
    loader_options = {"image_column": args.image_column} if args.dataset == "derm7pt" else {}
    source = load_dataset(args.dataset, args.data, **loader_options)
    split = prepare_split(args, source, runtime, out)  # after its barrier, every process has read args.json
    if runtime.is_main:
        (out / "args.json").write_text(json.dumps(jsonable_args(args), indent=2) + "\n")
    config = build_config(args, source)

    torch.manual_seed(args.seed)  # the same initial weights in every process
    model = MHDFNet(config, pretrained=args.pretrained).to(runtime.device)
    model_without_ddp = model
    if runtime.distributed:
        model = DistributedDataParallel(
            model, device_ids=[runtime.local_rank] if runtime.device.type == "cuda" else None
        )
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scaler = torch.amp.GradScaler(runtime.device.type, enabled=runtime.amp)
    weights = class_weights(source.labels[split.train], config.num_classes) if args.class_weighted else None
    criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=args.label_smoothing).to(runtime.device)

    start_epoch, best_bacc, best_epoch, stale_epochs = 0, -1.0, -1, 0
    if args.resume:
        checkpoint = torch.load(out / CHECKPOINT_NAME, map_location="cpu", weights_only=True)
        model_without_ddp.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scaler.load_state_dict(checkpoint["scaler"])
        start_epoch = checkpoint["epoch"] + 1
        best_bacc, best_epoch = checkpoint["best_balanced_accuracy"], checkpoint["best_epoch"]
        stale_epochs = checkpoint["epochs_without_improvement"]

    uses_image = config.uses_image
    train_set = split_dataset(source, split.train, train_transform(config) if uses_image else None, uses_image)
    val_set = split_dataset(source, split.val, eval_transform(config) if uses_image else None, uses_image)
    val_loader = eval_loader(val_set, args.batch_size, args.workers, runtime)
    if runtime.is_main:
        print(
            f"{config.variant} on {config.backbone} ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M "
            f"parameters), {runtime.world_size} process(es) on {runtime.device}: {len(split.train)} training, "
            f"{len(split.val)} validation images; test set ({len(split.test)} images) held out"
        )

    for epoch in range(start_epoch, args.epochs):
        if args.early_stopping and stale_epochs >= args.early_stopping:
            break
        started = time.perf_counter()
        torch.manual_seed(epoch_seed(args.seed, epoch, runtime.rank))  # augmentation and dropout of this epoch
        loader = train_loader(train_set, args.batch_size, args.workers, runtime, args.seed, epoch)
        tag = f"epoch {epoch + 1}/{args.epochs}"
        train_loss = train_one_epoch(model, criterion, optimizer, scaler, loader, config, runtime, tag)
        metrics = evaluate(model_without_ddp, val_loader, runtime, f"{tag} val")
        improved = metrics["balanced_accuracy"] > best_bacc
        if improved:
            best_bacc, best_epoch, stale_epochs = metrics["balanced_accuracy"], epoch, 0
        else:
            stale_epochs += 1
        if runtime.is_main:
            if improved:
                save_atomically(model_without_ddp.save_pretrained, out / "best")
            state = {
                "model": model_without_ddp.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch,
                "best_balanced_accuracy": best_bacc,
                "best_epoch": best_epoch,
                "epochs_without_improvement": stale_epochs,
            }
            save_atomically(lambda path, state=state: torch.save(state, path), out / CHECKPOINT_NAME)
            row = {
                "epoch": epoch + 1,  # counted from 1, as the progress lines and the final message say
                "train_loss": train_loss,
                "val_loss": metrics["loss"],
                **{f"val_{key}": metrics[key] for key in ("accuracy", "balanced_accuracy", "macro_f1", "auc")},
                "lr": optimizer.param_groups[0]["lr"],
                "seconds": round(time.perf_counter() - started, 2),
            }
            append_log(out / "log.csv", row)
            print(
                f"{tag}: train loss {train_loss:.4f}, val loss {metrics['loss']:.4f}, "
                f"val BACC {metrics['balanced_accuracy']:.4f}" + (" (best)" if improved else "")
            )
    if runtime.is_main:
        print(f"best epoch {best_epoch + 1} with validation BACC {best_bacc:.4f}; checkpoint in {out / 'best'}")


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train MHDF-Net on PAD-UFES-20 or Derm7pt", add_help=add_help)
    data = parser.add_argument_group("data")
    data.add_argument("--data", required=True, type=Path, help="dataset folder, as downloaded")
    data.add_argument("--dataset", required=True, choices=sorted(DATASETS), help="dataset format")
    data.add_argument("--fold", default=0, type=int, help="PAD-UFES-20 test fold, never used for training")
    data.add_argument("--num-folds", default=5, type=int, help="number of patient-grouped folds")
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
    data.add_argument("--image-column", default="derm", choices=("derm", "clinic"), help="Derm7pt photo to use")
    data.add_argument(
        "--synthetic", action="store_true",
        help="the data come from training.synthetic: recorded in the checkpoint, so every prediction says so",
    )  # fmt: skip
    data.add_argument("--training-data", default=None, help="describe the training data in the checkpoint")

    model = parser.add_argument_group("model")
    model.add_argument("--variant", default="mhdf", choices=VARIANTS, help="model, baseline or ablation")
    model.add_argument("--backbone", default="resnet18", help="any timm model with features_only (paper: vgg16)")
    model.add_argument("--image-size", default=224, type=int, help="input side in pixels")
    model.add_argument("--pretrained", action="store_true", help="start from timm's ImageNet weights (downloads)")
    model.add_argument("--token-dim", default=None, type=int, help="fusion token width")
    model.add_argument("--num-heads", default=None, type=int, help="TKCA attention heads")
    model.add_argument("--top-k", default=None, type=int, help="TKCA k: scores kept per query")
    model.add_argument("--num-experts", default=None, type=int, help="GM-MoE experts")
    model.add_argument("--expert-hidden", default=None, type=int, help="hidden width of each expert")
    model.add_argument("--dropout", default=None, type=float, help="dropout rate")
    model.add_argument(
        "--field-dropout",
        default=0.2,
        type=float,
        help="rate at which training reads a clinical field as missing (paper: 0)",
    )

    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--epochs", default=150, type=int, help="number of epochs")
    optim.add_argument("--batch-size", default=32, type=int, help="images per process and step")
    optim.add_argument("--lr", default=1e-3, type=float, help="Adam learning rate")
    optim.add_argument("--weight-decay", default=1e-3, type=float, help="Adam weight decay, L2 (paper: 0)")
    optim.add_argument(
        "--label-smoothing", default=0.1, type=float, help="label smoothing of the cross-entropy (paper: 0)"
    )
    optim.add_argument(
        "--class-weighted", default=True, action=argparse.BooleanOptionalAction,
        help="inverse-frequency class weights in the loss (paper: --no-class-weighted)",
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
