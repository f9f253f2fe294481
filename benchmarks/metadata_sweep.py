"""Choose the clinical pathway's training settings on validation data only.

    python -m benchmarks.metadata_sweep [--folds 5] [--seed 0] [--candidate "OPTIONS"]... [--json]

Each candidate is a string of `training.train` options. For every patient-grouped fold it trains
`--variant meta-only` on the real PAD-UFES-20 metadata (photos blanked, as in benchmarks/metadata_real.py)
and scores the best checkpoint on that fold's validation split, the one its epoch was chosen on; the test
folds are never read. The pinned logistic-regression baseline, fitted on the same training rows, is scored
on the same validation splits for reference. Prints each candidate's mean ± std validation balanced accuracy
over the folds, best first. Without --candidate it runs the sweep the project's defaults were chosen by
(README, "Real data: the clinical pathway on PAD-UFES-20's metadata").
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence

from benchmarks.metadata_real import QUICK_FOLDS, run
from benchmarks.metadata_real import get_args_parser as benchmark_args

# The sweep the defaults were chosen by, on split seed 0: each knob alone from the settings before it (no
# weight decay, label smoothing, field dropout or class weights; expert width 256; patience 20), then the
# best knobs together, the patience, and one more knob at a time on top. Later options override earlier ones.
BEFORE = "--weight-decay 0 --label-smoothing 0 --field-dropout 0 --no-class-weighted --early-stopping 20"
COMBINED = f"{BEFORE} --field-dropout 0.2 --class-weighted --label-smoothing 0.1"
CANDIDATES = (
    BEFORE,
    f"{BEFORE} --class-weighted",
    f"{BEFORE} --weight-decay 1e-4",
    f"{BEFORE} --weight-decay 1e-3",
    f"{BEFORE} --label-smoothing 0.1",
    f"{BEFORE} --field-dropout 0.1",
    f"{BEFORE} --field-dropout 0.2",
    f"{BEFORE} --field-dropout 0.3",
    f"{BEFORE} --field-dropout 0.4",
    f"{BEFORE} --expert-hidden 64 --dropout 0.3",
    f"{BEFORE} --field-dropout 0.2 --class-weighted",
    f"{BEFORE} --field-dropout 0.3 --class-weighted --label-smoothing 0.1",
    COMBINED,
    f"{COMBINED} --early-stopping 10",
    f"{COMBINED} --early-stopping 30",
    f"{COMBINED} --weight-decay 1e-4",
    f"{COMBINED} --weight-decay 1e-3",
    f"{COMBINED} --weight-decay 3e-3",
    f"{COMBINED} --label-smoothing 0.2",
    f"{COMBINED} --field-dropout 0.25 --dropout 0.2",
    f"{COMBINED} --dropout 0.3",
    f"{COMBINED} --expert-hidden 128",
    f"{COMBINED} --expert-hidden 64",
    f"{COMBINED} --token-dim 32",
    f"{COMBINED} --num-experts 2",
)


def score(candidate: str, args: argparse.Namespace) -> dict:
    """Validation metrics of one candidate: the benchmark's summary of each model, scored on the val split."""
    argv = ["--split", "val", "--folds", str(args.folds), "--seed", str(args.seed), "--threads", str(args.threads)]
    argv += [f"--train-option={option}" for option in shlex.split(candidate)] + (["--quick"] if args.quick else [])
    return run(benchmark_args().parse_args(argv))["models"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="patient-grouped folds")
    parser.add_argument("--seed", type=int, default=0, help="split seed of the folds and validation split")
    parser.add_argument("--candidate", action="append", help="training.train options to score (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FOLDS} folds and few epochs: a smoke run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.quick:
        args.folds = QUICK_FOLDS
    rows = []
    for candidate in args.candidate or CANDIDATES:
        models = score(candidate, args)
        bacc = {name: models[name]["metrics"]["balanced_accuracy"] for name in ("meta-only", "logistic-regression")}
        rows.append({"candidate": candidate, **{name: (stats["mean"], stats["std"]) for name, stats in bacc.items()}})
        print(f"{rows[-1]['meta-only'][0]:.4f}  {candidate}", file=sys.stderr, flush=True)
    rows.sort(key=lambda row: row["meta-only"][0], reverse=True)
    if args.json:
        print(json.dumps({"split_seed": args.seed, "folds": args.folds, "scored_split": "val", "candidates": rows}))
        return
    print(f"validation balanced accuracy, {args.folds} folds, split seed {args.seed} (mean ± std over folds)")
    for row in rows:
        (mean, std), (lr_mean, lr_std) = row["meta-only"], row["logistic-regression"]
        baseline = f"logistic regression {lr_mean:.4f} ± {lr_std:.4f}"
        print(f"meta-only {mean:.4f} ± {std:.4f}   {baseline}   {row['candidate']}")


if __name__ == "__main__":
    main()
