"""Refit the photo-quality thresholds of `mhdf.inference.quality.CHECKS` on real photos and print them.

    python -m benchmarks.photo_quality_fit --photos ../shared/data/pad-ufes-20-photos

The thresholds are fitted on the photos outside fold 0's test split (split seed 0, 5 folds: the bundled checkpoint's
own training and validation photos); the test photos are left for `benchmarks.photo_quality`, which judges them.
The patients of `heldout_patients.txt` are never read (`training.data.pad_ufes_20.PadUfes20` drops them).

Each threshold is a quantile of the fitting photos' values on the side of its problem: `QUANTILES` spends a budget
under 5 % of the real photos, 0.3 % each on exposure and compression, whose problem photos lie far from every real
photo, and 1 % each on blur and "no lesion", which overlap more. `too_small` is a rule, not a fit: a photo the
model's 224-px input would enlarge more than 1.5 times (the smallest real photo has 167 px).
Prints the thresholds as Python to paste into `CHECKS`, and the share of the fitting photos,
fold 0's test photos and all photos that pass every check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from mhdf.inference.quality import CHECKS, Check, measure
from training.data.pad_ufes_20 import PadUfes20

QUANTILES = {"too_dark": 0.003, "washed_out": 0.003, "heavily_compressed": 0.003, "blurred": 0.01, "no_lesion": 0.01}
SMALLEST_SIDE = 150  # too_small: a photo the model's 224-px input enlarges more than 1.5 times
PASS_TARGET = 0.95


def fitted_checks(values: dict[str, np.ndarray]) -> tuple[Check, ...]:
    """`CHECKS` with each threshold refitted on `values` (code -> one value per photo)."""
    checks = []
    for check in CHECKS:
        if check.code == "too_small":
            threshold = float(SMALLEST_SIDE)
        else:
            share = QUANTILES[check.code]
            threshold = float(np.quantile(values[check.code], share if check.direction == "below" else 1 - share))
        checks.append(Check(check.code, check.measure, check.direction, round(threshold, 3)))
    return tuple(checks)


def pass_rate(measured: list[dict[str, float]], checks: tuple[Check, ...]) -> float:
    """The share of photos (their `measure` values) that no check fails."""
    return float(np.mean([not any(check.fails(m[check.code]) for check in checks) for m in measured]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("../shared/data/pad-ufes-20-photos"))
    args = parser.parse_args()
    source = PadUfes20(args.photos)
    split = source.split(0)
    fit_ids = sorted({*split.train.tolist(), *split.val.tolist()})
    measured = [measure(Image.open(sample.image_path).convert("RGB")) for sample in source.samples]
    values = {check.code: np.array([measured[i][check.code] for i in fit_ids]) for check in CHECKS}
    checks = fitted_checks(values)
    print(f"fitted on {len(fit_ids)} photos outside fold 0's test split of {args.photos}:\nCHECKS = (")
    for check in checks:
        print(f'    Check("{check.code}", "{check.measure}", "{check.direction}", {check.threshold}),')
    print(")")
    for name, ids in (("fitting photos", fit_ids), ("fold 0 test photos", split.test.tolist())):
        print(f"{name}: {pass_rate([measured[i] for i in ids], checks):.1%} of {len(ids)} pass")
    print(f"all photos: {pass_rate(measured, checks):.1%} of {len(measured)} pass (target ≥ {PASS_TARGET:.0%})")
    for check in checks:
        failing = np.mean([check.fails(m[check.code]) for m in measured])
        print(f"  {check.code}: {failing:.1%} of all photos fail")
    if (checks_now := tuple((c.code, c.threshold) for c in CHECKS)) != tuple((c.code, c.threshold) for c in checks):
        print(f"mhdf.inference.quality.CHECKS differs: {checks_now}")


if __name__ == "__main__":
    main()
