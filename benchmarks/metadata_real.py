"""MHDF-Net's clinical pathway on real patients: PAD-UFES-20's real metadata table, with the photos blanked.

    python -m benchmarks.metadata_real [--folds 5] [--seed 0] [--json] [--quick] [--threads 1] [--fused]

The photos of PAD-UFES-20 are not in the project, its clinical table is (training/data). Every photo is
replaced by the same blank placeholder, so an image pathway would carry no information. On the project's own
patient-grouped folds (`PadUfes20.split`, as `training.train` draws them from --folds and --seed), for each
test fold it trains `python -m training.train --variant meta-only` with the project's defaults (the best
epoch chosen on the validation split carved from the other folds) and fits two scikit-learn models on the
81 one-hot features of the published preprocessing (`encode_onehot81`) of the same training rows:

* logistic regression, the pinned baseline: StandardScaler, then LogisticRegression(class_weight="balanced",
  C=1.0, max_iter=3000);
* histogram gradient boosting: HistGradientBoostingClassifier(class_weight="balanced").

It prints per fold and as mean ± std over folds the test balanced accuracy, macro one-vs-rest AUC and ECE
(`training.metrics`); `--json` prints one object instead. `--quick` is a smoke run for CI: two folds and
`--epochs 20`, well under a minute on one CPU core. With `--split val` every model is scored on the validation
split instead and the test folds are never read, which is how the training defaults were chosen
(`--train-option` passes extra `training.train` options, e.g. `--train-option=--weight-decay=0`).

`--fused` also trains the full model (`--variant mhdf`) on the blanked photos. Its clinical data reach the head
through the field tokens, TKCA and the LC-MoE local vectors rather than through meta-only's pooled tokens, so
this measures that pathway on real patients. The photos carry nothing, so it trains at 32 pixels.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from sklearn.ensemble import HistGradientBoostingClassifier

from mhdf import MHDFNet
from mhdf.inference.transforms import eval_transform
from training import train
from training.clinical_baseline import logistic_regression, onehot81_features
from training.data.pad_ufes_20 import PAD_UFES_20_METADATA, PadUfes20
from training.engine import Runtime, eval_loader, predict, split_dataset
from training.metrics import SCALAR_METRICS, classification_metrics, summarize
from training.run_folder import RunFolder

REPORTED = ("balanced_accuracy", "auc", "ece")
QUICK_FOLDS, QUICK_EPOCHS = 2, 20
MODELS = ("meta-only", "logistic-regression", "gradient-boosting")
FUSED = "mhdf (blank photos)"
FUSED_IMAGE_SIZE = 32  # a blank photo is blank at any size


def blank_photo_download(root: Path) -> PadUfes20:
    """A PAD-UFES-20 folder at `root`: the real metadata.csv, and one identical blank photo per img_id."""
    (root / "images").mkdir(parents=True)
    (root / "metadata.csv").write_bytes(PAD_UFES_20_METADATA.read_bytes())
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(buffer, format="PNG")
    source = PadUfes20(root, allow_missing_images=True)
    for image_id in source.missing_images:
        (root / "images" / image_id).write_bytes(buffer.getvalue())
    return PadUfes20(root)


def table_features(source: PadUfes20) -> np.ndarray:
    """(N, 81) features of every row, from the raw CSV values (the published preprocessing's columns)."""
    return onehot81_features([source.schema.clinical_fields_of(row) for row in source.table.to_dict("records")])


def gradient_boosting():
    return HistGradientBoostingClassifier(class_weight="balanced", random_state=0)


BASELINES = {"logistic-regression": logistic_regression, "gradient-boosting": gradient_boosting}


def train_variant(source: PadUfes20, fold: int, args: argparse.Namespace, out: Path, *variant: str) -> MHDFNet:
    """`training.train --variant ...` on fold `fold` with the project's defaults; its best checkpoint."""
    argv = ["--data", str(source.root), "--dataset", source.name, *variant, "--fold", str(fold),
            "--num-folds", str(args.folds), "--split-seed", str(args.seed), "--out", str(out), "--device", "cpu",
            "--workers", "0", "--threads", str(args.threads), *args.train_option]  # fmt: skip
    if args.quick:
        argv += ["--epochs", str(QUICK_EPOCHS)]
    with contextlib.redirect_stdout(sys.stderr):  # its per-epoch lines are progress, not results
        train.main(train.get_args_parser().parse_args(argv))
    return MHDFNet.from_pretrained(str(RunFolder(out).best))


def benchmark_fold(source: PadUfes20, features: np.ndarray, fold: int, args: argparse.Namespace, work: Path) -> dict:
    """Metrics of every model on one fold: {model: {metric: value}}."""
    split = source.split(fold, num_folds=args.folds, seed=args.seed)
    scored = getattr(split, args.split)
    labels = source.labels
    probabilities = {}
    for name, make in BASELINES.items():  # fitted on the rows meta-only trains on
        probabilities[name] = make().fit(features[split.train], labels[split.train]).predict_proba(features[scored])
    model = train_variant(source, fold, args, work / f"fold{fold}", "--variant", "meta-only")
    cpu = Runtime(torch.device("cpu"))
    loader = eval_loader(split_dataset(source, scored, None, model.config), 256, 0, cpu)
    probabilities["meta-only"] = predict(model, loader, cpu).probabilities
    if args.fused:
        size = ["--variant", "mhdf", "--image-size", str(FUSED_IMAGE_SIZE)]
        fused = train_variant(source, fold, args, work / f"fold{fold}-fused", *size)
        dataset = split_dataset(source, scored, eval_transform(fused.config), fused.config)
        probabilities[FUSED] = predict(fused, eval_loader(dataset, 256, 0, cpu), cpu).probabilities
    models = models_of(args)
    metrics = {name: classification_metrics(labels[scored], probabilities[name], source.classes) for name in models}
    return {name: {key: metrics[name][key] for key in SCALAR_METRICS} for name in models}


def models_of(args: argparse.Namespace) -> tuple[str, ...]:
    return (*MODELS, FUSED) if args.fused else MODELS


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="metadata_real_") as work:
        source = blank_photo_download(Path(work) / "pad-ufes-20")
        features = table_features(source)
        per_fold = {fold: benchmark_fold(source, features, fold, args, Path(work)) for fold in range(args.folds)}
    return {
        "data": "real PAD-UFES-20 clinical metadata (training/data/pad_ufes_20_metadata.csv), photos blanked",
        "scored_split": args.split,
        "folds": args.folds,
        "split_seed": args.seed,
        "quick": args.quick,
        "train_options": args.train_option + (["--epochs", str(QUICK_EPOCHS)] if args.quick else []),
        "models": {name: summarize({fold: per_fold[fold][name] for fold in per_fold}) for name in models_of(args)},
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_results(results: dict[str, Any]) -> str:
    header = f"{'model':<20} {'fold':<5}" + "".join(f" {metric:>18}" for metric in REPORTED)
    lines = [
        f"{results['data']}; {results['folds']} patient-grouped folds, split seed {results['split_seed']}, "
        f"scored on the {results['scored_split']} split"
        + (f"; training options {' '.join(results['train_options'])}" if results["train_options"] else ""),
        header,
    ]
    for name, summary in results["models"].items():
        for fold in summary["folds"]:
            values = [summary["metrics"][metric]["per_fold"][str(fold)] for metric in REPORTED]
            lines.append(f"{name:<20} {fold:<5}" + "".join(f" {_number(v):>18}" for v in values))
        stats = [summary["metrics"][metric] for metric in REPORTED]
        lines.append(
            f"{name:<20} {'mean':<5}" + "".join(f" {_number(s['mean']) + ' ± ' + _number(s['std']):>18}" for s in stats)
        )
    lines.append(f"{results['seconds']:.0f} s")
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="patient-grouped folds (each one the test fold once)")
    parser.add_argument("--seed", type=int, default=0, help="split seed of the folds and validation split")
    parser.add_argument("--split", default="test", choices=("test", "val"), help="split the models are scored on")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FOLDS} folds, --epochs {QUICK_EPOCHS}: CI")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    parser.add_argument("--train-option", action="append", default=[], help="extra training.train option")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--fused", action="store_true", help=f"also benchmark the full model ({FUSED})")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = get_args_parser().parse_args(argv)
    if args.quick:
        args.folds = QUICK_FOLDS
    results = run(args)
    print(json.dumps(results, indent=2) if args.json else format_results(results))


if __name__ == "__main__":
    main()
