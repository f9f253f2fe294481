"""Regenerate the bundled synthetic-photo checkpoint `assets/demo-synthetic/` from scratch, on a CPU:

    python -m training.make_synthetic_demo --out assets/demo-synthetic

It was the demo's checkpoint before one trained on real photos (`training.make_demo`) took its place, and it
stays for what was designed on its exact behaviour: the guided lesson's cases, the teaching views' tests and the
photo-type shift study. Its steps:

1. writes one synthetic photo for each row of PAD-UFES-20's real clinical table (`training.synthetic --records`):
   the records, ids and patient grouping are real, the photos are drawn for each row's class;
2. trains the full model (`mhdf`) and the `image-only` and `meta-only` baselines on it with `training.train`,
   fold 0 held out for testing and the best epoch chosen on a patient-grouped validation split;
3. evaluates all three on the held-out fold with `training.evaluate`;
4. writes the fused model (`config.json`, `model.safetensors`), its calibration, conformal and out-of-distribution
   files (`training.trust`, fitted at the end of its training run), its `routing_atlas.json` and
   `similar_cases.safetensors` (the held-out fold's similar-case index, at most 3 MB), a `model_card.json`
   with the three models' metrics, the trust figures and subgroup results of the held-out fold and the commands
   that produced them, and `examples/`: one held-out case per class (`<name>.png` + `<name>.json` = {"image",
   "metadata" (raw CSV fields, blanks left out), "label"}).

The photos are synthetic: the checkpoint exists to demonstrate the software and says nothing about real lesions.
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

from mhdf.inference.checkpoint import (
    read_config,
    write_model_card,
)
from training.data.pad_ufes_20 import PAD_UFES_20_METADATA, PadUfes20
from training.demo_bundle import (
    EVALUATION,
    MODEL_KEYS,
    TEST_FOLD,
    add_synthetic_recipe_options,
    bundle_routing_views,
    evaluate_variants,
    print_checkpoint_size,
    print_metrics,
    rebuild_command,
    split_options,
    train_variants,
    trust_and_subgroups,
)
from training.engine import run_cli
from training.examples import write_examples
from training.run_folder import EvalFolder
from training.synthetic.photos import generate_for_records

# A small model that trains on two CPU cores in minutes and keeps the checkpoint well under 20 MB.
MODEL = {"backbone": "mobilenetv3_small_100", "image-size": 96, "token-dim": 64, "num-heads": 4, "expert-hidden": 128}
# The loss and stopping of the bundled checkpoint, spelled out so training.train's defaults do not change it:
# class-weighted cross-entropy for every epoch, no weight decay, label smoothing or field dropout.
DEMO_RECIPE = ("--class-weighted", "--weight-decay", "0", "--label-smoothing", "0", "--field-dropout", "0",
               "--early-stopping", "0")  # fmt: skip
NOT_FOR_CLINICAL_USE = (
    "Not for clinical use. This checkpoint was trained on synthetic photos paired with real PAD-UFES-20 clinical "
    "records; it demonstrates the software and its routing explanations and says nothing about real skin lesions."
)
TRAINING_DATA = "synthetic photos, real PAD-UFES-20 clinical records"


def train_command(data: Path, run_dir: Path, variant: str, args: argparse.Namespace, description: str) -> list[str]:
    options = [f"--{key}={value}" for key, value in MODEL.items()]
    return [
        *("--data", str(data), "--dataset", "pad-ufes-20", *split_options(), "--out", str(run_dir)),
        *("--variant", variant, *options, "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)),
        *("--lr", str(args.lr), "--seed", str(args.seed), "--device", "cpu"),
        *("--gate-anneal", str(args.gate_anneal), "--balance-loss", str(args.balance_loss)),
        *DEMO_RECIPE,
        *("--workers", str(args.workers), "--threads", str(args.threads), "--synthetic"),
        f"--training-data={description}",
    ]


def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="mhdf-demo-") as scratch:
        work = Path(args.work) if args.work else Path(scratch)
        data = work / "data"
        records = pd.read_csv(args.records, dtype=str, keep_default_na=False)
        print(f"1/4 one synthetic photo per real record: {len(records)} photos, seed {args.seed}, {args.size} px")
        generate_for_records(data, records, args.seed, image_size=args.size)
        synthetic = f"python -m training.synthetic --records {args.records.name} --seed {args.seed} --size {args.size}"
        description = f"{TRAINING_DATA} ({synthetic}), fold {TEST_FOLD} held out"

        commands = train_variants(data, work, args, train_command, description, "2/4")
        evaluations, metrics, held_out = evaluate_variants(data, work, out, args, "3/4")
        commands |= evaluations

        print(f"4/4 writing {out}")
        bundle_routing_views(work / "eval" / "mhdf", out)
        source = PadUfes20(data)
        examples = write_examples(source, pd.read_csv(EvalFolder(work / "eval" / "mhdf").predictions), out)
        card = model_card(args, read_config(out), metrics, commands, examples, time.perf_counter() - started)
        card |= trust_and_subgroups(held_out)
        write_model_card(out, card)

    print_metrics(f"held-out synthetic fold {TEST_FOLD}", metrics)
    print_checkpoint_size(out, card["wall_time_seconds"])


def model_card(
    args: argparse.Namespace,
    config: dict[str, Any],
    metrics: dict[str, dict[str, Any]],
    commands: dict[str, str],
    examples: list[str],
    seconds: float,
) -> dict[str, Any]:
    fused = metrics["mhdf"]["balanced_accuracy"]
    return {
        "name": "MHDF-Net demo (synthetic photos, real clinical records)",
        "not_for_clinical_use": NOT_FOR_CLINICAL_USE,
        "training_data": config["training_data"],
        "synthetic_data": True,
        "command": rebuild_command("training.make_synthetic_demo", args),
        "seed": args.seed,
        "synthetic": {
            "generator": "training.synthetic --records",
            "records": "PAD-UFES-20 metadata.csv (real, CC BY 4.0; Pacheco et al. 2020, doi:10.17632/zr7vgbcyr2.1)",
            "seed": args.seed,
            "image_size": args.size,
        },
        "evaluation": {"dataset": "pad-ufes-20", **EVALUATION},
        "model": {key: config[key] for key in MODEL_KEYS},
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "Adam",
            "lr": args.lr,
            "loss": "class-weighted cross-entropy",
            "augmentation": "mhdf.inference.transforms.train_transform",
            # the standard MoE techniques used on top of the paper's training, so the routing is worth reading
            "routing": {
                "gate_temperature_anneal": f"geometric from 1.0 to {args.gate_anneal} over the first half of the "
                "epochs, then held; the best epoch is chosen after that (training.train --gate-anneal)",
                "importance_loss_weight": args.balance_loss,
                "importance_loss": "squared coefficient of variation of the summed gate weights per batch, for the "
                "GM-Gate's experts plus the mean over stages for the LC-Gates' two paths (Shazeer et al. 2017; "
                "training.train --balance-loss)",
            },
        },
        "metrics": metrics,
        "fusion_gain": {
            "balanced_accuracy_over_image_only": fused - metrics["image-only"]["balanced_accuracy"],
            "balanced_accuracy_over_meta_only": fused - metrics["meta-only"]["balanced_accuracy"],
        },
        "commands": commands,
        "examples": examples,
        "wall_time_seconds": round(seconds, 1),
        "software": {"torch": torch.__version__, "timm": timm.__version__},
    }


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Regenerate the bundled synthetic-photo checkpoint", add_help=add_help)
    parser.add_argument("--out", default=Path("assets/demo-synthetic"), type=Path, help="checkpoint folder")
    parser.add_argument("--work", default=None, type=Path, help="keep data, runs and evaluations here (default: temp)")
    parser.add_argument("--records", default=PAD_UFES_20_METADATA, type=Path, help="real PAD-UFES-20 metadata.csv")
    parser.add_argument("--size", default=224, type=int, help="synthetic photo side in pixels (the model trains at 96)")
    parser.add_argument("--seed", default=0, type=int, help="seed of the synthetic data and of training")
    parser.add_argument("--epochs", default=20, type=int, help="training epochs of each model")
    return add_synthetic_recipe_options(parser)


if __name__ == "__main__":
    run_cli(get_args_parser, main)
