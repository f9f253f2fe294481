"""Build the bundled two-view checkpoint `assets/demo-two-views/` from scratch, on a CPU:

    python -m training.make_two_view_demo --out assets/demo-two-views

A case here has two photos, a clinical close-up and a dermoscopic image (docs/two-views.md). No real pairs are in
reach of this repository, so the checkpoint learns from synthetic ones. Its steps:

1. writes `--n` synthetic paired cases in Derm7pt's layout with `training.synthetic.paired` (seed `--data-seed`,
   drawn once, before any model is trained: the generator is frozen for every seed). Each photo alone loses a pair
   of classes (the close-up cannot see the keratin of a seborrhoeic keratosis, the dermoscope cannot see how large
   a melanoma has grown); both together separate all five. The records do not depend on the class;
2. trains the two-photo model once per `--seeds` seed with `training.train --image-views clinical dermoscopic
   --view-dropout`, the best epoch chosen on the official validation split;
3. evaluates each on the official test split (30 % of the cases: 420 of the default 1,400) with
   `training.evaluate`, which scores it with both photos and with each photo alone, the other marked missing;
4. bundles the seed whose both-photo balanced accuracy is the median: its weights, calibration, conformal and
   out-of-distribution files (fitted on the validation split), routing atlas, `examples/`
   (one test case per class, both photos) and `model_card.json`, which reports every seed's balanced accuracy
   with both photos and with each alone, and their medians.

The photos are synthetic: the checkpoint demonstrates routing over two photos and says nothing about real lesions.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import timm
import torch

from mhdf.config import TWO_VIEWS
from mhdf.inference.checkpoint import (
    copy_model_files,
    read_config,
    read_routing_atlas,
    write_model_card,
    write_routing_atlas,
)
from training import evaluate, train
from training.data.derm7pt import Derm7pt
from training.demo_bundle import (
    MODEL_KEYS,
    add_synthetic_recipe_options,
    print_checkpoint_size,
    rebuild_command,
    scalar_metrics,
    trust_figures,
)
from training.engine import run_cli
from training.examples import write_examples
from training.make_synthetic_demo import DEMO_RECIPE, MODEL
from training.run_folder import EvalFolder, RunFolder
from training.synthetic.paired import SPLIT_FRACTIONS, generate_pairs

BOTH = "+".join(TWO_VIEWS)  # how `training.evaluate` names the score with every photo
NOT_FOR_CLINICAL_USE = (
    "Not for clinical use. This checkpoint was trained on synthetic paired photos (a clinical close-up and a "
    "dermoscopic image drawn for each case) with Derm7pt-style records that do not depend on the class; it "
    "demonstrates routing over two photos and says nothing about real skin lesions."
)
TRAINING_DATA = "synthetic paired clinical and dermoscopic photos, Derm7pt-style records"


def train_command(data: Path, run_dir: Path, seed: int, args: argparse.Namespace) -> list[str]:
    """`training.train`'s arguments for one seed: the synthetic demo's model and recipe (small enough to train three
    seeds on two CPU cores within the hour) on both photos."""
    options = [f"--{key}={value}" for key, value in MODEL.items()]
    return [
        *("--data", str(data), "--dataset", "derm7pt", "--out", str(run_dir)),
        *("--image-views", *TWO_VIEWS, "--view-dropout", str(args.view_dropout), *options),
        *("--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", str(args.lr)),
        *("--seed", str(seed), "--device", "cpu", *DEMO_RECIPE),
        *("--gate-anneal", str(args.gate_anneal), "--balance-loss", str(args.balance_loss)),
        *("--workers", str(args.workers), "--threads", str(args.threads), "--synthetic"),
        f"--training-data={TRAINING_DATA} (python -m training.synthetic.paired --n {args.n} --seed {args.data_seed} "
        f"--size {args.size}), official test split held out",
    ]


def evaluate_command(data: Path, checkpoint: Path, out: Path, args: argparse.Namespace) -> list[str]:
    return [
        *("--checkpoint", str(checkpoint), "--data", str(data), "--dataset", "derm7pt", "--split", "test"),
        *("--out", str(out), "--device", "cpu", "--workers", str(args.workers), "--threads", str(args.threads)),
    ]


def train_and_evaluate(
    data: Path, work: Path, seed: int, args: argparse.Namespace
) -> tuple[dict[str, str], dict, bool]:
    """One seed's run and its test evaluation; returns the commands, the evaluation's metrics document and whether
    they were already in `work` (a kept --work folder skips the seeds it has finished, e.g. seeds run one per
    process)."""
    run, evaluation = work / "runs" / f"seed{seed}", work / "eval" / f"seed{seed}"
    train_argv = train_command(data, run, seed, args)
    evaluate_argv = evaluate_command(data, RunFolder(run).best, evaluation, args)
    done = EvalFolder(evaluation).metrics.is_file()
    if not done:
        train.main(train.get_args_parser().parse_args(train_argv))
        evaluate.main(evaluate.get_args_parser().parse_args(evaluate_argv))
    commands = {
        f"train seed {seed}": "python -m training.train " + shlex.join(train_argv),
        f"evaluate seed {seed}": "python -m training.evaluate " + shlex.join(evaluate_argv),
    }
    return commands, json.loads(EvalFolder(evaluation).metrics.read_text()), done


def photo_view_scores(per_seed: dict[int, dict]) -> dict[str, Any]:
    """Balanced accuracy with both photos and with each alone, per seed and as the median over the seeds, and how
    much both photos gain over the better single one (median of each)."""
    scores = {
        seed: {views: result["balanced_accuracy"] for views, result in metrics["photo_views"].items()}
        for seed, metrics in per_seed.items()
    }
    medians = {views: statistics.median(s[views] for s in scores.values()) for views in [BOTH, *TWO_VIEWS]}
    return {
        "metric": "balanced accuracy on the official test split; a photo left out is marked missing",
        "per_seed": {str(seed): values for seed, values in scores.items()},
        "median": medians,
        "gain_over_best_single_photo": medians[BOTH] - max(medians[view] for view in TWO_VIEWS),
    }


def median_seed(per_seed: dict[int, dict]) -> int:
    """The seed whose both-photo balanced accuracy is the median one (the lower middle for an even count)."""
    ranked = sorted(per_seed, key=lambda seed: (per_seed[seed]["photo_views"][BOTH]["balanced_accuracy"], seed))
    return ranked[(len(ranked) - 1) // 2]


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="mhdf-two-views-") as scratch:
        work = Path(args.work) if args.work else Path(scratch)
        data = work / "data"
        if not (data / "meta" / "meta.csv").is_file():
            print(f"1/4 {args.n} synthetic paired cases, seed {args.data_seed}, {args.size} px")
            generate_pairs(data, args.n, seed=args.data_seed, image_size=args.size)
        commands, per_seed, reused = {}, {}, []
        for seed in args.seeds:
            print(f"2-3/4 seed {seed}: training the two-photo model and evaluating it on the test split")
            seed_commands, per_seed[seed], done = train_and_evaluate(data, work, seed, args)
            commands |= seed_commands
            reused += [seed] if done else []

        bundled = median_seed(per_seed)
        print(f"4/4 writing {out} from seed {bundled}")
        copy_model_files(RunFolder(work / "runs" / f"seed{bundled}").best, out)
        evaluation = work / "eval" / f"seed{bundled}"
        # no similar-case index: the app's similar cases read one photo per case
        write_routing_atlas(out, read_routing_atlas(evaluation))
        source = Derm7pt(data)
        predictions = pd.read_csv(EvalFolder(evaluation).predictions, dtype={"img_id": str})
        examples = write_examples(source, predictions, out, views=TWO_VIEWS)
        card = model_card(args, read_config(out), per_seed, bundled, commands, examples)
        # the time of this command; seeds it found finished in --work ran (and took their time) in another
        card |= {"wall_time_seconds": round(time.perf_counter() - started, 1), "seeds_run_before": reused}
        write_model_card(out, card)

    print_photo_views(card["photo_views"])
    print_checkpoint_size(out, card["wall_time_seconds"])


def model_card(
    args: argparse.Namespace,
    config: dict[str, Any],
    per_seed: dict[int, dict],
    bundled: int,
    commands: dict[str, str],
    examples: list[str],
) -> dict[str, Any]:
    metrics = per_seed[bundled]
    return {
        "name": "MHDF-Net two-photo demo (synthetic clinical and dermoscopic pairs)",
        "not_for_clinical_use": NOT_FOR_CLINICAL_USE,
        "training_data": config["training_data"],
        "synthetic_data": True,
        "command": rebuild_command("training.make_two_view_demo", args),
        "image_views": list(TWO_VIEWS),
        "synthetic": {
            "generator": "training.synthetic.paired",
            "cases": args.n,
            "seed": args.data_seed,
            "image_size": args.size,
            "records": "drawn from Derm7pt's field vocabularies, independently of the class",
        },
        "evaluation": {
            "dataset": "derm7pt layout (synthetic)",
            "split": "test",
            "split_fractions": SPLIT_FRACTIONS,
            "num_test_cases": metrics["num_samples"],
            "model_selection": "best epoch by balanced accuracy with both photos on the official validation split",
        },
        "model": {key: config[key] for key in MODEL_KEYS} | {"image_views": config["image_views"]},
        "training": {
            "seeds": args.seeds,
            "bundled_seed": bundled,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "Adam",
            "lr": args.lr,
            "loss": "class-weighted cross-entropy",
            "view_dropout": args.view_dropout,
            "gate_temperature_anneal": args.gate_anneal,
            "importance_loss_weight": args.balance_loss,
        },
        "photo_views": photo_view_scores(per_seed),
        "metrics": {"mhdf": scalar_metrics(metrics)},
        **trust_figures(metrics),
        "commands": commands,
        "examples": examples,
        "software": {"torch": torch.__version__, "timm": timm.__version__},
    }


def print_photo_views(scores: dict[str, Any]) -> None:
    seeds = list(scores["per_seed"])
    print(f"\nheld-out balanced accuracy, seeds {', '.join(seeds)} and their median:")
    for views in [BOTH, *TWO_VIEWS]:
        values = " ".join(f"{scores['per_seed'][seed][views]:.4f}" for seed in seeds)
        print(f"  {views:<22} {values}   median {scores['median'][views]:.4f}")
    print(f"  both photos over the better single photo: {scores['gain_over_best_single_photo']:+.4f}")


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Build the bundled two-view checkpoint", add_help=add_help)
    parser.add_argument("--out", default=Path("assets/demo-two-views"), type=Path, help="checkpoint folder")
    parser.add_argument("--work", default=None, type=Path, help="keep data, runs and evaluations here (default: temp)")
    parser.add_argument("--n", default=1400, type=int, help="synthetic paired cases (30 %% are the test split)")
    parser.add_argument("--size", default=96, type=int, help="synthetic photo side in pixels")
    parser.add_argument("--data-seed", default=0, type=int, help="seed of the synthetic pairs (drawn once)")
    parser.add_argument("--seeds", default=[0, 1, 2], type=int, nargs="+", help="training seeds")
    parser.add_argument("--epochs", default=30, type=int, help="training epochs of each seed")
    parser.add_argument("--view-dropout", default=0.3, type=float, help="rate at which a training photo is dropped")
    return add_synthetic_recipe_options(parser)


if __name__ == "__main__":
    run_cli(get_args_parser, main)
