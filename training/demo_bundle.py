"""What both bundled checkpoints' builders share (`training.make_demo` on real photos, `training.make_synthetic_demo`
on synthetic ones): the held-out fold, the evaluation command, the similar-case index under its cap, the trust and
subgroup figures and the model description the card quotes, and the table they print."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mhdf.inference.checkpoint import (
    MODEL_FILES,
    SIMILAR_CASES_NAME,
    copy_model_files,
    read_routing_atlas,
    read_similar_cases,
    write_routing_atlas,
    write_similar_cases,
)
from training import evaluate, train
from training.metrics import SCALAR_METRICS
from training.run_folder import EvalFolder, RunFolder

VARIANTS = ("mhdf", "image-only", "meta-only")
TEST_FOLD, NUM_FOLDS, SPLIT_SEED, VAL_FRACTION = 0, 5, 0, 0.2
MAX_INDEX_BYTES = 3 * 2**20  # the similar-case index the repository carries, thumbnails included
MODEL_KEYS = ("backbone", "variant", "fusion_stages", "image_size", "token_dim", "num_heads", "top_k", "num_experts",
              "gate_temperature")  # fmt: skip
EVALUATION = {
    "split": "test",
    "fold": TEST_FOLD,
    "num_folds": NUM_FOLDS,
    "split_seed": SPLIT_SEED,
    "val_fraction": VAL_FRACTION,
    "model_selection": "best epoch by balanced accuracy on a patient-grouped validation split of the training folds; "
    "the test fold is never seen in training",
}


def split_options(fold: int = TEST_FOLD) -> list[str]:
    """The held-out fold and how the folds are drawn, as `training.train` and `training.evaluate` take them."""
    return [*("--fold", str(fold), "--num-folds", str(NUM_FOLDS), "--split-seed", str(SPLIT_SEED)),
            *("--val-fraction", str(VAL_FRACTION))]  # fmt: skip


def evaluate_command(data: Path, checkpoint: Path, out: Path, args: argparse.Namespace) -> list[str]:
    return [
        *("--checkpoint", str(checkpoint), "--data", str(data), "--dataset", "pad-ufes-20", *split_options()),
        *("--out", str(out), "--device", "cpu"),
        *("--workers", str(args.workers), "--threads", str(args.threads)),
    ]


def add_synthetic_recipe_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The training options both synthetic-photo builders share (`training.make_synthetic_demo`,
    `training.make_two_view_demo`), with the defaults their bundled checkpoints were built with."""
    parser.add_argument("--batch-size", default=32, type=int, help="training batch size")
    parser.add_argument("--lr", default=1e-3, type=float, help="Adam learning rate")
    parser.add_argument("--gate-anneal", default=0.3, type=float, help="final gate temperature (train --gate-anneal)")
    parser.add_argument("--balance-loss", default=0.1, type=float, help="GM-Gate importance loss weight")
    parser.add_argument("--workers", default=1, type=int, help="data loading processes")
    parser.add_argument("--threads", default=1, type=int, help="PyTorch CPU threads (1 suits a busy 2-core machine)")
    return parser


def rebuild_command(module: str, args: argparse.Namespace) -> str:
    """The command line that rebuilds a checkpoint with these arguments, for its card (the scratch folder left out)."""
    options = []
    for key, value in vars(args).items():
        flag = f"--{key.replace('_', '-')}"
        if key != "work":
            options += [flag, *map(str, value)] if isinstance(value, list) else [f"{flag}={value}"]
    return f"python -m {module} " + shlex.join(options)


def print_checkpoint_size(out: Path, seconds: float) -> None:
    size = sum((out / name).stat().st_size for name in MODEL_FILES) / 2**20
    print(f"checkpoint {size:.1f} MB in {out}; {seconds:.0f} s in all")


def bundle_similar_cases(evaluation: Path, checkpoint: Path) -> None:
    """The fused model's similar-case index of the held-out fold, into the checkpoint; ValueError over 3 MB."""
    write_similar_cases(checkpoint, read_similar_cases(evaluation))
    size = (checkpoint / SIMILAR_CASES_NAME).stat().st_size
    if size > MAX_INDEX_BYTES:
        cap = MAX_INDEX_BYTES / 2**20
        raise ValueError(f"the similar-case index takes {size / 2**20:.1f} MB, over the {cap:.0f} MB cap")


def trust_and_subgroups(metrics: dict[str, Any]) -> dict[str, Any]:
    """The held-out fold's trust figures (`trust_figures`) and subgroup results, for the model card."""
    return trust_figures(metrics) | {"subgroups": metrics["subgroups"]}


def trust_figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """The held-out cases' calibration, conformal coverage and out-of-distribution figures, as `training.evaluate`
    wrote them for the fused model, for the model card."""
    calibration, conformal, ood = metrics["calibration"], metrics["conformal"], metrics["ood"]
    return {
        "trust": {
            "calibration": {key: calibration[key] for key in ("temperature", "fitted_on", "ece_before", "ece_after")},
            "conformal": {
                key: conformal[key]
                for key in (
                    "coverage_target",
                    "mode",
                    "empirical_coverage",
                    "mean_set_size",
                    "fallback_classes",
                    "note",
                )
            }
            | {"per_class_coverage": {name: c["coverage"] for name, c in conformal["per_class"].items()}},
            "ood": {
                key: ood[key]
                for key in (
                    "method",
                    "feature",
                    "threshold",
                    "in_distribution_acceptance",
                    "non_lesion_flagged",
                    "non_lesion_flagged_per_kind",
                    "num_non_lesion",
                )
            },
        },  # fmt: skip
    }


def train_variants(
    data: Path, work: Path, args: argparse.Namespace, command: Callable[..., list[str]], description: str, step: str
) -> dict[str, str]:
    """`training.train` of every variant into `work/runs/<variant>`, with `command(data, run_dir, variant, args,
    description)`'s arguments; returns the commands, for the card."""
    commands = {}
    for variant in VARIANTS:
        print(f"{step} training {variant}")
        argv = command(data, work / "runs" / variant, variant, args, description)
        commands[f"train {variant}"] = "python -m training.train " + shlex.join(argv)
        train.main(train.get_args_parser().parse_args(argv))
    return commands


def evaluate_variants(
    data: Path, work: Path, out: Path, args: argparse.Namespace, step: str
) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, Any]]:
    """Copies the fused model into `out` and evaluates every variant on the held-out fold into `work/eval/`:
    returns the commands, each variant's scalar metrics and the fused model's whole metrics document."""
    copy_model_files(RunFolder(work / "runs" / "mhdf").best, out)
    commands, metrics = {}, {}
    for variant in VARIANTS:
        print(f"{step} evaluating {variant} on held-out fold {TEST_FOLD}")
        # the fused model is evaluated from its place in `out`, as the demo and its test load it
        checkpoint = out if variant == "mhdf" else RunFolder(work / "runs" / variant).best
        argv = evaluate_command(data, checkpoint, work / "eval" / variant, args)
        commands[f"evaluate {variant}"] = "python -m training.evaluate " + shlex.join(argv)
        evaluate.main(evaluate.get_args_parser().parse_args(argv))
        metrics[variant] = scalar_metrics(json.loads(EvalFolder(work / "eval" / variant).metrics.read_text()))
    return commands, metrics, json.loads(EvalFolder(work / "eval" / "mhdf").metrics.read_text())


def bundle_routing_views(evaluation: Path, out: Path) -> None:
    """The routing atlas and similar-case index of the fused model's held-out evaluation, into the checkpoint."""
    write_routing_atlas(out, read_routing_atlas(evaluation))
    bundle_similar_cases(evaluation, out)


def scalar_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The card's figures of a metrics document: every scalar metric and the number of cases."""
    return {key: result[key] for key in SCALAR_METRICS} | {"num_samples": result["num_samples"]}


def print_metrics(title: str, metrics: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}:\n{'variant':<22} {'BACC':>7} {'ACC':>7} {'macro-F1':>9} {'AUC':>7}")
    for variant, values in metrics.items():
        print(
            f"{variant:<22} {values['balanced_accuracy']:>7.4f} {values['accuracy']:>7.4f} "
            f"{values['macro_f1']:>9.4f} {values['auc']:>7.4f}"
        )
