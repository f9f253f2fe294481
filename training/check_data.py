"""Dataset doctor: checks a freshly downloaded dataset (any `--dataset` of `training.data.registry`) before training.

    python -m training.check_data --data DIR --dataset NAME [--json] [--folds K] [--seed S]
    python -m training.check_data --data DIR --dataset pad-ufes-20 --export-onehot81 features.csv
    python -m training.check_data --data DIR --dataset csv --infer-schema FILE --image-column C --label-column C \
        [--patient-column C] [--lesion-column C]

Reports counts (images, patients, lesions or cases, per class), images listed in the metadata but absent
from disk, images that do not decode, missing clinical values per field, the input fields and the columns
never read (with the reason), input fields that predict the label on their own (`training.data.leakage`), lesions
listed under two patients, and the splits: fold sizes and group leakage across folds (the official split for
Derm7pt). A PAD-UFES-20 lesion is a (patient_id, lesion_id) pair, as lesion ids repeat across patients.
`--json` prints one JSON object instead. Exit status: 0 healthy, 1 problems found, 2 the dataset could not be
read at all. `--infer-schema` drafts a schema file for `--dataset csv` from the table and exits.

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
from training.data.base import GroupedSource, LesionSource
from training.data.csv_table import write_inferred_schema
from training.data.derm7pt import Derm7pt
from training.data.folds import leaking_patients
from training.data.leakage import PREDICTIVE_THRESHOLD, predictive_fields
from training.data.pad_ufes_20 import PadUfes20
from training.data.registry import add_dataset_arguments, source_from_args


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
    report["patients"] = source.num_patients
    report["lesions"] = source.num_lesions
    report["classes"] = {cls: counts.get(index, 0) for index, cls in enumerate(source.classes)}
    report["left_out_classes"] = getattr(source, "left_out_classes", {})
    report["input_fields"] = source.schema.field_names
    report["refused_fields"] = source.refused_fields
    report["leaky_inputs"] = source.leaky_inputs
    report["predictive_fields"] = predictive_fields(source.schema, source.records, source.labels)
    report["lesions_under_two_patients"] = getattr(source, "shared_lesions", {})
    report["missing_images"] = source.missing_images
    report["unreadable_images"] = unreadable_images(source)
    report["missing_fields"] = {
        name: sum(record[name] is None for record in source.records) for name in source.schema.field_names
    }
    problems, warnings = [], []
    if source.missing_images:
        problems.append(f"{len(source.missing_images)} images listed in the metadata are missing on disk")
    if report["unreadable_images"]:
        problems.append(f"{len(report['unreadable_images'])} images cannot be decoded")
    if report["lesions_under_two_patients"]:
        warnings.append(
            f"{len(report['lesions_under_two_patients'])} lesions are listed under two or more patients "
            "(their patients share one fold group)"
        )
    if report["leaky_inputs"]:
        warnings.append(f"allow_leaky: the inputs {', '.join(report['leaky_inputs'])} give the label away")
    for name, score in report["predictive_fields"].items():
        warnings.append(
            f"input field {name!r} alone explains {score:.0%} of the label's entropy (U >= {PREDICTIVE_THRESHOLD}): "
            "check that it is recorded before the diagnosis"
        )
    if isinstance(source, GroupedSource):
        user_folds = isinstance(source, PadUfes20) and source.user_folds is not None
        report["fold_source"] = (
            f"column {source.fold_column!r} of metadata.csv"
            if user_folds
            else f"{group_kind(source)}-grouped stratified {num_folds}-fold, seed {seed}"
        )
        try:
            folds = source.folds(num_folds, seed)
        except ValueError as error:
            problems.append(f"no folds: {error}")
            folds = np.empty(0, dtype=np.int64)
        fold_ids, sizes = np.unique(folds, return_counts=True)
        report["folds"] = {str(fold): int(size) for fold, size in zip(fold_ids, sizes, strict=True)}
        leaks = leaking_patients(source.patients, folds) if len(folds) else []
        report["group_leakage"] = bool(leaks)
        report["leaking_groups"] = leaks
        if isinstance(source, PadUfes20):  # the names of the PAD-UFES-20-only report, kept for its readers
            report["patient_leakage"], report["leaking_patients"] = bool(leaks), leaks
        if leaks:
            problems.append(f"{len(leaks)} {group_kind(source)} groups have images in more than one fold")
    else:
        report["split"] = {name: int((source.official_split == name).sum()) for name in ("train", "valid", "test")}
        report["group_leakage"] = bool(leaking_patients(source.patients, source.official_split))
    report["warnings"] = warnings
    report["problems"] = problems
    report["healthy"] = not problems
    return report


def group_kind(source: LesionSource) -> str:
    """What the folds keep whole: "patient", else "lesion" where the table has lesion ids, else "image"."""
    if source.has_patients:
        return "patient"
    return "lesion" if any(sample.lesion != sample.image_id for sample in source.samples) else "image"


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
        patients = "none in the table" if report["patients"] is None else report["patients"]
        lines.append(f"  images: {report['images']}  patients: {patients}  lesions: {report['lesions']}")
    total = sum(report["classes"].values()) or 1
    lines.append("  classes:")
    lines += [f"    {cls:<5} {n:>6}  {100 * n / total:5.1f}%" for cls, n in report["classes"].items()]
    if report["left_out_classes"]:
        lines.append("  left out: " + ", ".join(f"{cls} ({n})" for cls, n in report["left_out_classes"].items()))
    lines.append("  input fields: " + ", ".join(report["input_fields"]))
    lines.append("  never read as inputs:")
    lines += [f"    {name:<20} {reason}" for name, reason in report["refused_fields"].items()]
    lines.append("  missing clinical values per field:")
    lines += [f"    {name:<20} {n:>6}" for name, n in report["missing_fields"].items()]
    if "folds" in report:
        lines.append(
            f"  folds ({report['fold_source']}): " + ", ".join(f"{k}: {v}" for k, v in report["folds"].items())
        )
        lines.append(f"  group leakage across folds: {'YES' if report['group_leakage'] else 'none'}")
        if report["leaking_groups"]:
            lines.append("    " + ", ".join(report["leaking_groups"]))
    else:
        lines.append("  official split: " + ", ".join(f"{k}: {v}" for k, v in report["split"].items()))
    for key, title in (("missing_images", "missing on disk"), ("unreadable_images", "cannot be decoded")):
        if report[key]:
            lines.append(f"  {len(report[key])} images {title}:")
            lines += [f"    {image_id}" for image_id in report[key]]
    lines += [f"  WARNING: {warning}" for warning in report["warnings"]]
    lines.append(
        "  healthy" if report["healthy"] else "  PROBLEMS:\n" + "\n".join(f"    - {p}" for p in report["problems"])
    )
    return "\n".join(lines)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Check a downloaded skin-lesion dataset", add_help=add_help)
    add_dataset_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--folds", default=5, type=int, help="number of folds to check")
    parser.add_argument("--seed", default=0, type=int, help="seed of the folds")
    parser.add_argument(
        "--export-onehot81", default=None, type=Path, metavar="OUT.csv", help="write the 81 one-hot features (PAD)"
    )
    infer = parser.add_argument_group("drafting a schema file for --dataset csv")
    infer.add_argument("--infer-schema", default=None, type=Path, metavar="FILE", help="write a draft schema file")
    infer.add_argument("--label-column", default=None, help="the column holding the diagnosis")
    infer.add_argument("--patient-column", default=None, help="the column holding patient ids (optional)")
    infer.add_argument("--lesion-column", default=None, help="the column holding lesion ids (optional)")
    return parser


def main(args: argparse.Namespace) -> int:
    if args.infer_schema is not None:
        return infer_schema_file(args)
    try:
        source = source_from_args(args, allow_missing_images=True)
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


def infer_schema_file(args: argparse.Namespace) -> int:
    """--infer-schema: drafts the schema file of a CSV (exit 0), or says why it cannot (exit 2)."""
    if args.dataset != "csv" or args.label_column is None or args.image_column is None:
        print("error: --infer-schema needs --dataset csv, --image-column C and --label-column C", file=sys.stderr)
        return 2
    try:
        out = write_inferred_schema(
            args.data, args.infer_schema, image_column=args.image_column, label_column=args.label_column,
            patient_column=args.patient_column, lesion_column=args.lesion_column,
        )  # fmt: skip
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote a draft schema to {out}: check it, then train with --dataset csv --schema {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
