"""After training: fit how far a checkpoint may be trusted, on its run's training and validation splits only.

    python -m training.trust --run RUN_DIR [--data DIR --dataset pad-ufes-20] [--coverage 0.9]

* temperature scaling on the validation split;
* split-conformal prediction sets on the same split, from the calibrated probabilities;
* the out-of-distribution score: class means and covariance of the training photos' pooled final features, its
  threshold at the `--acceptance` quantile of the validation photos' scores.

The test fold is never read. `training.train` runs this at the end of every run; the command refits an existing
run (for example with another coverage) and writes the files into RUN_DIR/best/ (see `mhdf.inference.checkpoint`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mhdf import MHDFNet
from mhdf.inference.checkpoint import checkpoint_folder, write_trust
from mhdf.inference.transforms import eval_transform
from mhdf.inference.uncertainty import (
    CONFORMAL_MODES,
    DEFAULT_ACCEPTANCE,
    DEFAULT_COVERAGE,
    TrustFiles,
    fit_conformal,
    fit_mahalanobis,
    fit_temperature,
)
from training.data.base import LesionSource, Split
from training.data.registry import SOURCES, source_from_args
from training.engine import (
    THREADS_HELP,
    Runtime,
    eval_loader,
    predict,
    read_splits_csv,
    run_cli,
    runtime_session,
    split_dataset,
)
from training.run_folder import RunFolder


def fit_trust(
    model: MHDFNet,
    source: LesionSource,
    split: Split,
    runtime: Runtime,
    batch_size: int = 64,
    workers: int = 0,
    coverage: float = DEFAULT_COVERAGE,
    conformal_mode: str = "marginal",
    acceptance: float = DEFAULT_ACCEPTANCE,
) -> TrustFiles:
    """Calibration, conformal sets and (for a model that reads photos) the OOD score, from `split.train` and
    `split.val` only."""
    config = model.config
    transform = eval_transform(config) if config.uses_image else None

    def outputs(indices, description):
        dataset = split_dataset(source, indices, transform, config)
        return predict(model, eval_loader(dataset, batch_size, workers, runtime), runtime, True, description)

    val = outputs(split.val, "trust: validation")
    calibration = fit_temperature(val.logits, val.labels)
    conformal = fit_conformal(
        calibration.probabilities(val.logits), val.labels, config.class_names, coverage, conformal_mode
    )
    ood = None
    if val.features is not None:
        train = outputs(split.train, "trust: training photos")
        ood = fit_mahalanobis(train.features, train.labels, config.num_classes, val.features, acceptance)
    return TrustFiles(calibration, conformal, ood)


def main(args: argparse.Namespace) -> None:
    run = RunFolder(args.run)
    run_args = json.loads(run.args.read_text())
    folder = checkpoint_folder(run.path)
    with runtime_session(args.device, args.threads) as runtime:
        overrides = {key: value for key, value in (("dataset", args.dataset), ("data", args.data)) if value}
        source = source_from_args(run_args | overrides)
        split, _ = read_splits_csv(run.splits, source)
        model = MHDFNet.from_pretrained(str(folder), map_location=str(runtime.device))
        trust = fit_trust(
            model, source, split, runtime, args.batch_size, args.workers, args.coverage, args.conformal_mode,
            args.acceptance,
        )  # fmt: skip
        if runtime.is_main:
            write_trust(folder, trust)
            print(describe(trust, folder))


def describe(trust: TrustFiles, folder: Path) -> str:
    lines = [f"wrote calibration, conformal sets and OOD score to {folder}"]
    calibration = trust.calibration
    lines.append(f"  temperature {calibration.temperature:.3f} ({calibration.num_samples} validation cases)")
    conformal = trust.conformal
    fallback = f"; overall threshold for {', '.join(conformal.fallback_classes)}" if conformal.fallback_classes else ""
    lines.append(f"  {conformal.coverage:.0%} {conformal.mode} sets{fallback}")
    if trust.ood is not None:
        lines.append(f"  OOD threshold {trust.ood.threshold:.2f} ({trust.ood.acceptance:.0%} of validation accepted)")
    return "\n".join(lines)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Fit calibration, conformal sets and OOD score", add_help=add_help)
    parser.add_argument("--run", required=True, type=Path, help="training run folder (holds args.json, splits.csv)")
    parser.add_argument("--data", default=None, type=Path, help="dataset folder (default: the run's)")
    parser.add_argument("--dataset", default=None, choices=sorted(SOURCES), help="dataset format (default: the run's)")
    parser.add_argument("--coverage", default=DEFAULT_COVERAGE, type=float, help="conformal set coverage")
    parser.add_argument(
        "--conformal-mode", default="marginal", choices=CONFORMAL_MODES,
        help="one threshold for all classes, or one per class (the overall one where a class has too few cases)",
    )  # fmt: skip
    parser.add_argument(
        "--acceptance", default=DEFAULT_ACCEPTANCE, type=float, help="validation share the OOD threshold accepts"
    )
    parser.add_argument("--batch-size", default=64, type=int)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--workers", default=0, type=int, help="data loading processes")
    parser.add_argument("--threads", default=None, type=int, help=THREADS_HELP)
    return parser


if __name__ == "__main__":
    run_cli(get_args_parser, main)
