"""What the photo-quality check and the out-of-distribution score catch on real photos the checkpoint never saw.

    python -m benchmarks.photo_quality --photos ../shared/data/pad-ufes-20-photos [--checkpoint assets/demo]
        [--dermoscopy DIR] [--json]

The clean photos are fold 0's test photos of the shared PAD-UFES-20 folder (5 patient-grouped folds, split seed 0:
the bundled checkpoint's held-out patients; the patients of `heldout_patients.txt` are never read). For them it
prints the share that passes the photo-quality check (`mhdf.inference.quality`), the checkpoint's distribution check
(`MahalanobisOOD`) and both. Then, for each kind, the share flagged by quality, by the distribution score and by
either:

* the degraded copies of those photos (`training.real_shift`), each run with its own clinical record;
* six real photos that are no skin at all, scikit-image's bundled astronaut, chelsea, coffee, rocket,
  hubble_deep_field and immunohistochemistry (a development dependency), every clinical field unknown;
* with `--dermoscopy`, every image in that folder (real dermoscopy, every clinical field unknown). None ships with
  the project: ISIC images are CC BY-NC, measure with your own copy and do not commit it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from mhdf.inference import Predictor
from mhdf.inference.quality import CODES, assess
from training.data.pad_ufes_20 import PadUfes20
from training.engine import runtime_session
from training.evaluate import SHIFT_SEED, flag_rates, flagged
from training.real_shift import degraded_photos

NON_LESION = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def non_lesion_photos() -> list[Image.Image]:
    from skimage import data  # a development dependency: its bundled photos

    return [Image.fromarray(getattr(data, name)()).convert("RGB") for name in NON_LESION]


def judged(kinds: list[str], images: list[Image.Image], ood_flags: np.ndarray) -> dict[str, dict]:
    """`training.evaluate.flag_rates` of the images, each kind also with the share failing each quality check, by
    code (only codes that fail at least once)."""
    verdicts = [assess(image) for image in images]
    rates = flag_rates(kinds, np.array([not verdict.ok for verdict in verdicts]), ood_flags)
    for kind, entry in rates.items():
        counts = Counter(code for k, v in zip(kinds, verdicts, strict=True) if k == kind for code in v.codes)
        entry["quality_codes"] = {code: counts[code] / entry["count"] for code in CODES if counts[code]}
    return rates


def measure(photos: Path, checkpoint: str, dermoscopy: Path | None) -> dict:
    predictor = Predictor.from_pretrained(checkpoint, device="cpu")
    ood = predictor.trust.ood
    if ood is None:
        raise SystemExit(f"{checkpoint} has no out-of-distribution score (ood.json)")
    source = PadUfes20(photos)
    test = source.split(0).test
    paths = [source.samples[i].image_path for i in test]
    records = [source.records[i] for i in test]
    with runtime_session("cpu") as runtime:
        clean = [Image.open(path).convert("RGB") for path in paths]
        ood_ok = ~flagged(predictor.model, ood, clean, records, runtime)
        clean_rates = judged(["clean"] * len(clean), clean, ~ood_ok)["clean"]
        kinds, owners, degraded = zip(*degraded_photos(paths, seed=SHIFT_SEED), strict=True)
        ood_flags = flagged(predictor.model, ood, degraded, [records[i] for i in owners], runtime)
        rates = judged(list(kinds), list(degraded), ood_flags)
        extra = [("non-lesion photos (scikit-image)", non_lesion_photos())]
        if dermoscopy is not None:
            files = sorted(p for p in dermoscopy.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            extra.append(("real dermoscopy", [Image.open(p).convert("RGB") for p in files]))
        for kind, images in extra:
            if images:
                flags = flagged(predictor.model, ood, images, [{}] * len(images), runtime)
                rates |= judged([kind] * len(images), images, flags)
    return {
        "checkpoint": checkpoint,
        "clean_photos": len(paths),
        "pass_quality": 1 - clean_rates["quality"],
        "pass_distribution": float(ood_ok.mean()),
        "pass_both": 1 - clean_rates["either"],
        "clean_quality_codes": clean_rates["quality_codes"],
        "flagged_per_kind": rates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path("../shared/data/pad-ufes-20-photos"))
    parser.add_argument("--checkpoint", default="assets/demo")
    parser.add_argument("--dermoscopy", type=Path, default=None, help="a folder of real dermoscopy images")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    result = measure(args.photos, args.checkpoint, args.dermoscopy)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.checkpoint} on {result['clean_photos']} real photos of held-out patients (fold 0 test):")
    for name in ("pass_quality", "pass_distribution", "pass_both"):
        print(f"  {name.replace('_', ' ')}: {result[name]:.1%}")
    print("  clean photos failing a quality check:", result["clean_quality_codes"])
    print(f"  {'flagged by':<34} {'quality':>8} {'distribution':>13} {'either':>7} {'images':>7}")
    for kind, rates in result["flagged_per_kind"].items():
        shares = "".join(f"{rates[name]:>{width}.0%}" for name, width in (("quality", 9), ("ood", 14), ("either", 8)))
        codes = ", ".join(f"{code} {share:.0%}" for code, share in rates["quality_codes"].items())
        print(f"  {kind:<34}{shares}{rates['count']:>8}  {codes}")


if __name__ == "__main__":
    main()
