"""Dataset doctor: checks a freshly downloaded PAD-UFES-20 or Derm7pt folder before training on it.

    python -m training.check_data --data DIR --dataset pad-ufes-20|derm7pt [--json] [--folds K] [--seed S]
    python -m training.check_data --data DIR --dataset pad-ufes-20 --export-onehot81 features.csv

Reports counts (images, patients, lesions or cases, per class), images listed in the metadata but absent
from disk, images that do not decode, missing clinical values per field, and the splits: fold sizes and
patient leakage across folds for PAD-UFES-20, the official split for Derm7pt. A PAD-UFES-20 lesion is a
(patient_id, lesion_id) pair, as lesion ids repeat across patients. `--json` prints one JSON
object instead. Exit status: 0 healthy, 1 problems found, 2 the dataset could not be read at all.

`--export-onehot81 OUT.csv` also writes PAD-UFES-20's clinical data as the 81 one-hot features of the published
preprocessing (`mhdf.metadata.encode_onehot81`), one row per image after `img_id`, `patient_id`, `lesion_id` and
`diagnostic`: the table that MetaBlock-style baselines read.
"""

import argparse
import json
import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mhdf.inference.images import load_image
from mhdf.metadata import ONEHOT81_COLUMNS, encode_onehot81
from training.datasets import DATASETS, Derm7pt, LesionSource, PadUfes20, leaking_patients, load_dataset


def unreadable_images(source: LesionSource) -> list[str]:
    """Ids of the images on disk that fail to decode (decoded in parallel: PIL releases the GIL)."""

    def fails(path: Path) -> bool:
        try:
            load_image(path)
        except ValueError:
            return True
        return False

    present = [sample for sample in source.samples if sample.image_path is not None]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        failed = list(pool.map(fails, [sample.image_path for sample in present]))
    return [sample.image_id for sample, bad in zip(present, failed, strict=True) if bad]


def check_dataset(source: LesionSource, num_folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """The doctor's findings as a JSON-ready dict; `problems` lists what needs fixing (empty when healthy)."""
    counts = Counter(source.labels.tolist())
    report: dict[str, Any] = {"dataset": source.name, "root": str(source.root)}
    if isinstance(source, Derm7pt):
        report["cases"] = len(source.samples)
        report["image_column"] = source.image_column
    else:
        report["images"] = len(source.samples)
        report["patients"] = len(set(source.patients.tolist()))
        # a lesion_id is unique only within its patient: PAD-UFES-20 reuses 250 of them across patients
        report["lesions"] = len({(sample.patient, sample.lesion) for sample in source.samples})
    report["classes"] = {cls: counts.get(index, 0) for index, cls in enumerate(source.classes)}
    report["missing_images"] = source.missing_images
    report["unreadable_images"] = unreadable_images(source)
    report["missing_fields"] = {
        name: sum(record[name] is None for record in source.records) for name in source.schema.field_names
    }
    problems = []
    if source.missing_images:
        problems.append(f"{len(source.missing_images)} images listed in the metadata are missing on disk")
    if report["unreadable_images"]:
        problems.append(f"{len(report['unreadable_images'])} images cannot be decoded")
    if isinstance(source, PadUfes20):
        report["fold_source"] = (
            f"column {source.fold_column!r} of metadata.csv"
            if source.user_folds is not None
            else f"patient-grouped stratified {num_folds}-fold, seed {seed}"
        )
        try:
            folds = source.folds(num_folds, seed)
        except ValueError as error:
            problems.append(f"no folds: {error}")
            folds = np.empty(0, dtype=np.int64)
        fold_ids, sizes = np.unique(folds, return_counts=True)
        report["folds"] = {str(fold): int(size) for fold, size in zip(fold_ids, sizes, strict=True)}
        leaks = leaking_patients(source.patients, folds) if len(folds) else []
        report["patient_leakage"] = bool(leaks)
        report["leaking_patients"] = leaks
        if leaks:
            problems.append(f"{len(leaks)} patients have images in more than one fold")
    else:
        report["split"] = {name: int((source.official_split == name).sum()) for name in ("train", "valid", "test")}
    report["problems"] = problems
    report["healthy"] = not problems
    return report


def onehot81_table(source: PadUfes20) -> pd.DataFrame:
    """One row per image: its ids and class, then the 81 features in `ONEHOT81_COLUMNS` order."""
    ids = source.table[["img_id", "patient_id", "lesion_id", "diagnostic"]].reset_index(drop=True)
    features = [encode_onehot81(source.schema.clinical_fields_of(row)) for _, row in source.table.iterrows()]
    return pd.concat([ids, pd.DataFrame(features, columns=list(ONEHOT81_COLUMNS))], axis=1)


def format_report(report: dict[str, Any]) -> str:
    """The findings as readable text."""
    lines = [f"{report['dataset']} at {report['root']}"]
    if "cases" in report:
        lines.append(f"  cases: {report['cases']} ({report['image_column']} images)")
    else:
        lines.append(f"  images: {report['images']}  patients: {report['patients']}  lesions: {report['lesions']}")
    total = sum(report["classes"].values()) or 1
    lines.append("  classes:")
    lines += [f"    {cls:<5} {n:>6}  {100 * n / total:5.1f}%" for cls, n in report["classes"].items()]
    lines.append("  missing clinical values per field:")
    lines += [f"    {name:<20} {n:>6}" for name, n in report["missing_fields"].items()]
    if "folds" in report:
        lines.append(
            f"  folds ({report['fold_source']}): " + ", ".join(f"{k}: {v}" for k, v in report["folds"].items())
        )
        lines.append(f"  patient leakage across folds: {'YES' if report['patient_leakage'] else 'none'}")
        if report["leaking_patients"]:
            lines.append("    " + ", ".join(report["leaking_patients"]))
    else:
        lines.append("  official split: " + ", ".join(f"{k}: {v}" for k, v in report["split"].items()))
    for key, title in (("missing_images", "missing on disk"), ("unreadable_images", "cannot be decoded")):
        if report[key]:
            lines.append(f"  {len(report[key])} images {title}:")
            lines += [f"    {image_id}" for image_id in report[key]]
    lines.append(
        "  healthy" if report["healthy"] else "  PROBLEMS:\n" + "\n".join(f"    - {p}" for p in report["problems"])
    )
    return "\n".join(lines)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Check a downloaded skin-lesion dataset", add_help=add_help)
    parser.add_argument("--data", required=True, type=Path, help="dataset folder as downloaded")
    parser.add_argument("--dataset", required=True, choices=sorted(DATASETS), help="which dataset it is")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--folds", default=5, type=int, help="number of folds to check (PAD-UFES-20)")
    parser.add_argument("--seed", default=0, type=int, help="seed of the folds (PAD-UFES-20)")
    parser.add_argument(
        "--image-column", default="derm", choices=("derm", "clinic"), help="which Derm7pt images to check"
    )
    parser.add_argument(
        "--export-onehot81", default=None, type=Path, metavar="OUT.csv", help="write the 81 one-hot features (PAD)"
    )
    return parser


def main(args: argparse.Namespace) -> int:
    try:
        options = {"image_column": args.image_column} if args.dataset == "derm7pt" else {}
        source = load_dataset(args.dataset, args.data, allow_missing_images=True, **options)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.export_onehot81 is not None:
        if not isinstance(source, PadUfes20):
            print("error: --export-onehot81 applies to PAD-UFES-20 only", file=sys.stderr)
            return 2
        onehot81_table(source).to_csv(args.export_onehot81, index=False)
    report = check_dataset(source, num_folds=args.folds, seed=args.seed)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0 if report["healthy"] else 1


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
