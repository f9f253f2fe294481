"""Does fusing two photos pay? Balanced accuracy of a clinical + dermoscopic model against one-photo models.

    python -m benchmarks.two_views --out runs/two_views --n 2000 --epochs 30 --seeds 0 1 2

writes synthetic paired photos once (`training.synthetic.paired`, seed 0: the generator is frozen before any model is
trained), then for every seed trains three models on the same official split:

* `both`: `--image-views clinical dermoscopic --view-dropout 0.3`, evaluated with both photos and with each
  alone (the other marked missing, `training.evaluate`'s `photo_views`);
* `clinical` and `dermoscopic`: one-photo models (`--image-views clinical` reads Derm7pt's `clinic` column).

It prints the held-out balanced accuracy of each, the median over the seeds, and writes `summary.json`. The
targets of docs/two-views.md: `both` beats each one-photo model by at least 0.05, and `both` with one photo
missing stays within 0.03 of the model trained on that photo alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from training import evaluate, train
from training.run_folder import EvalFolder
from training.synthetic import paired

VIEWS = ("clinical", "dermoscopic")
COLUMNS = {"clinical": "clinic", "dermoscopic": "derm"}


def train_and_evaluate(args: argparse.Namespace, data: Path, name: str, seed: int, views: list[str]) -> dict:
    run = args.out / f"seed{seed}" / name
    extra = ["--view-dropout", str(args.view_dropout)] if len(views) > 1 else []
    train.main(
        train.get_args_parser().parse_args(
            [
                "--data",
                str(data),
                "--dataset",
                "derm7pt",
                "--out",
                str(run),
                "--image-views",
                *views,
                *extra,
                "--backbone",
                args.backbone,
                "--image-size",
                str(args.image_size),
                "--epochs",
                str(args.epochs),
                "--batch-size",
                "32",
                "--seed",
                str(seed),
                "--workers",
                "0",
                "--device",
                args.device,
                "--synthetic",
                *(["--threads", str(args.threads)] if args.threads else []),
            ]  # fmt: skip
        )
    )
    column = COLUMNS[views[0]] if len(views) == 1 else "derm"
    evaluate.main(
        evaluate.get_args_parser().parse_args(
            [
                "--checkpoint",
                str(run),
                "--data",
                str(data),
                "--dataset",
                "derm7pt",
                "--out",
                str(run / "eval"),
                "--image-column",
                column,
                "--workers",
                "0",
                "--device",
                args.device,
                *(["--threads", str(args.threads)] if args.threads else []),
            ]  # fmt: skip
        )
    )
    metrics = json.loads(EvalFolder(run / "eval").metrics.read_text())
    if len(views) == 1:
        return {name: metrics["balanced_accuracy"]}
    return {f"{name}: {views}": scores["balanced_accuracy"] for views, scores in metrics["photo_views"].items()}


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Two photos against one: synthetic paired data", add_help=add_help)
    parser.add_argument("--out", required=True, type=Path, help="folder for the data, the runs and summary.json")
    parser.add_argument("--n", default=2000, type=int, help="paired cases (30 %% held out for the test)")
    parser.add_argument("--size", default=96, type=int, help="side of the generated photos")
    parser.add_argument("--image-size", default=96, type=int, help="model input side")
    parser.add_argument("--backbone", default="mobilenetv3_small_050", help="timm backbone of every model")
    parser.add_argument("--epochs", default=30, type=int, help="epochs per model")
    parser.add_argument("--view-dropout", default=0.3, type=float, help="view dropout of the two-photo model")
    parser.add_argument("--seeds", default=[0, 1, 2], type=int, nargs="+", help="training seeds")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--threads", default=None, type=int, help="PyTorch CPU threads")
    return parser


def main(args: argparse.Namespace) -> None:
    data = args.out / "data"
    if not (data / "meta" / "meta.csv").is_file():
        paired.generate_pairs(data, args.n, seed=0, image_size=args.size)
    per_seed = {}
    for seed in args.seeds:
        scores = train_and_evaluate(args, data, "both", seed, list(VIEWS))
        for view in VIEWS:
            scores |= train_and_evaluate(args, data, f"{view} only", seed, [view])
        per_seed[seed] = scores
    medians = {key: statistics.median(s[key] for s in per_seed.values()) for key in per_seed[args.seeds[0]]}
    summary = {"settings": {k: str(v) for k, v in vars(args).items()}, "per_seed": per_seed, "median": medians}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"held-out balanced accuracy, median of {len(args.seeds)} seed(s):")
    for key, value in medians.items():
        print(f"  {key:45s} {value:.4f}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
