"""Evaluate a trained MHDF-Net checkpoint on its held-out test set.

    python -m training.evaluate --checkpoint RUN_DIR/best --data DIR --dataset pad-ufes-20 --fold 0 --out EVAL_DIR
    python -m training.evaluate --checkpoint "runs/fold{fold}/best" --folds all ... --out EVAL_DIR  # mean ± std

The test set is the one the checkpoint's run held out: read from the run's ``splits.csv`` when the checkpoint
lies in a run folder (RUN_DIR/best), otherwise rebuilt from --fold, --num-folds and --split-seed exactly as
`training.train` builds it. EVAL_DIR receives:

* ``metrics.json``: accuracy, balanced_accuracy, macro_f1, auc (macro one-vs-rest), ece, per_class
  precision / recall / f1 / support / auc, confusion_matrix (rows true, columns predicted), reliability bins,
  all from the calibrated probabilities when the checkpoint has ``calibration.json`` (``calibrated``); and, where
  the checkpoint has the files of `training.trust`: ``calibration`` (temperature, ECE before and after),
  ``conformal`` (empirical coverage overall and per class, mean set size, classes on the overall threshold),
  ``ood`` (share of test photos accepted, share of generated non-lesion images and of photos of another type
  (`training.synthetic.photo_shift`: dermoscopy view, blur, JPEG, skin tone and light, skin alone) flagged, per kind;
  ``flag_rates_per_kind``: for those and for degraded copies of the test photos (`training.real_shift`), the share
  flagged by the photo-quality check, the OOD score and either; the share of test photos passing quality and both);
  for PAD-UFES-20 ``subgroups``: balanced accuracy, accuracy and count per Fitzpatrick type, gender and age
  band (<40, 40-59, 60-79, >=80), unknowns as their own group, groups under 10 cases marked ``too_small``;
* ``confusion_matrix.png``, ``reliability_diagram.png`` (and ``reliability_diagram_uncalibrated.png`` for a
  calibrated checkpoint), ``roc_curves.png``;
* ``routing_atlas.json``: gate statistics over the test set (schema in `training.routing_atlas`);
* ``similar_cases.safetensors``: the similar-case index of the evaluated split (`mhdf.inference.similar`): each
  case's routing signature, fused features, true class, prediction and a thumbnail of its photo, which the app
  searches for the cases routed like the current one (copy it into the checkpoint folder to use it there);
* ``predictions.csv``: every test image with its true class, prediction and class probabilities.

With ``--folds all``, ``--checkpoint`` holds a ``{fold}`` placeholder; each fold is evaluated into
EVAL_DIR/fold<K>/ and ``summary.json`` gives the mean and standard deviation of each metric over the folds.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from mhdf import MHDFNet
from mhdf.inference.checkpoint import checkpoint_folder, read_trust, write_routing_atlas, write_similar_cases
from mhdf.inference.quality import assess
from mhdf.inference.similar import IndexSource, build_index
from mhdf.inference.transforms import eval_transform
from mhdf.inference.uncertainty import MahalanobisOOD, stage_features
from training.data.base import GroupedSource, LesionSource
from training.data.pad_ufes_20 import PadUfes20
from training.data.registry import add_dataset_arguments, source_from_args
from training.engine import (
    SPLIT_NAMES,
    THREADS_HELP,
    DatasetPredictions,
    Runtime,
    eval_loader,
    find_run_splits,
    predict,
    read_splits_csv,
    run_cli,
    runtime_session,
    split_dataset,
)
from training.metrics import classification_metrics, format_summary, summarize
from training.plots import confusion_matrix_figure, reliability_figure, roc_figure
from training.real_shift import degraded_photos
from training.routing_atlas import routing_atlas
from training.run_folder import EvalFolder
from training.synthetic.non_lesion import non_lesion_images
from training.synthetic.photo_shift import shifted_photos
from training.trust_metrics import calibration_metrics, conformal_metrics, patient_groups, subgroup_metrics

FIGURE_DPI = 120


def held_out_indices(args: argparse.Namespace, source: LesionSource, fold: int, checkpoint: Path) -> np.ndarray:
    """Indices of the evaluated split (--split, default the test set) of fold `fold`."""
    splits_csv = args.splits or find_run_splits(checkpoint)
    if splits_csv is None:
        options = {"num_folds": args.num_folds, "seed": args.split_seed, "val_fraction": args.val_fraction}
        return getattr(source.split(fold, **options, folds_csv=args.folds_csv), args.split)
    split, table = read_splits_csv(splits_csv, source)
    if isinstance(source, GroupedSource) and args.split == "test":
        run_folds = set(pd.to_numeric(table.loc[table["split"] == "test", "fold"]).tolist())
        if run_folds != {fold}:
            raise ValueError(
                f"{checkpoint} was trained with fold(s) {sorted(run_folds)} held out (from {splits_csv}); testing "
                f"it on fold {fold} would score images it was trained or selected on"
            )
    return getattr(split, args.split)


def evaluate_checkpoint(
    args: argparse.Namespace, source: LesionSource, fold: int, checkpoint: Path, out: Path, runtime: Runtime
) -> dict[str, Any]:
    """Evaluates one checkpoint on its held-out split; writes the EVAL_DIR files; returns metrics.json."""
    checkpoint = checkpoint_folder(checkpoint)  # a run folder stands for its best/
    model = MHDFNet.from_pretrained(str(checkpoint), map_location=str(runtime.device))
    config = model.config
    if config.schema_name != source.schema.name or list(config.class_names) != list(source.classes):
        raise ValueError(
            f"{checkpoint} was trained for {config.schema_name} with classes {config.class_names}; "
            f"--dataset {source.name} has {list(source.classes)}"
        )
    indices = held_out_indices(args, source, fold, checkpoint)
    if len(indices) == 0:
        raise ValueError(f"the {args.split} split of fold {fold} is empty")
    transform = eval_transform(config) if config.uses_image else None
    dataset = split_dataset(source, indices, transform, config)
    loader = eval_loader(dataset, args.batch_size, args.workers, runtime)
    predictions = predict(model, loader, runtime, trace=True, description=f"{args.split} fold {fold}")
    if not runtime.is_main:
        return {}

    classes = list(config.class_names)
    trust = read_trust(checkpoint)
    probabilities, calibration = predictions.probabilities, None
    if trust.calibration is not None:
        calibration, probabilities = calibration_metrics(predictions.logits, predictions.labels, trust.calibration)
    described = {
        "checkpoint": str(checkpoint),
        "variant": config.variant,
        "backbone": config.backbone,
        "training_data": config.training_data,
        "synthetic_data": config.synthetic_data,
        "dataset": source.name,
        "split": args.split,
        "fold": fold if isinstance(source, GroupedSource) else None,
    }
    metrics = {**described, **classification_metrics(predictions.labels, probabilities, classes)}
    metrics["calibrated"] = calibration is not None
    if calibration is not None:
        metrics["calibration"] = calibration
    if trust.conformal is not None:
        metrics["conformal"] = conformal_metrics(probabilities, predictions.labels, trust.conformal)
    if trust.ood is not None and predictions.features is not None:
        records = [source.records[i] for i in indices]
        photos = [source.samples[i].image_path for i in indices]
        metrics["ood"] = ood_metrics(model, trust.ood, predictions.features, records, photos, runtime)
    if config.multi_view:
        view_runs = photo_view_runs(model, loader, runtime, predictions)
        metrics["photo_views"] = photo_view_metrics(view_runs, classes)
    if isinstance(source, PadUfes20):
        groups = patient_groups([source.records[i] for i in indices])
        metrics["subgroups"] = subgroup_metrics(predictions.labels, predictions.predicted, groups)
    atlas = routing_atlas(
        predictions.lc_gate, predictions.gm_gate, predictions.labels, predictions.predicted, classes, described
    )
    out.mkdir(parents=True, exist_ok=True)
    EvalFolder(out).metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    if config.multi_view:
        atlas["photo_views"] = photo_view_atlas(view_runs, classes)
    write_routing_atlas(out, atlas)
    index = build_index(
        cases=[source.samples[i].image_id for i in indices],
        classes=classes,
        lc_gate=predictions.lc_gate,
        gm_gate=predictions.gm_gate,
        features=predictions.fused,
        labels=predictions.labels,
        predicted=predictions.predicted,
        photos=[source.samples[i].image_path for i in indices],
        source=IndexSource(source.name, args.split, str(checkpoint), config.training_data, config.synthetic_data),
    )
    write_similar_cases(out, index)
    figures = {
        "confusion_matrix.png": confusion_matrix_figure(metrics["confusion_matrix"], classes),
        "reliability_diagram.png": reliability_figure(metrics["reliability"], metrics["ece"]),
        "roc_curves.png": roc_figure(predictions.labels, probabilities, classes),
    }
    if calibration is not None:
        figures["reliability_diagram_uncalibrated.png"] = reliability_figure(
            calibration["reliability_before"], calibration["ece_before"]
        )
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=FIGURE_DPI)
    table = pd.DataFrame(
        {
            "img_id": [source.samples[i].image_id for i in indices],
            "label": [classes[i] for i in predictions.labels],
            "predicted": [classes[i] for i in predictions.predicted],
            **{f"p_{name}": probabilities[:, i] for i, name in enumerate(classes)},
        }
    )
    table.to_csv(EvalFolder(out).predictions, index=False)
    return metrics


SHIFT_SEED = 1  # the shifted photos' seed here; the score was tuned on seed 0 (docs/photo_type_shift.md)
SHIFT_PER_KIND = 40


def photo_view_runs(
    model: MHDFNet, loader: torch.utils.data.DataLoader, runtime: Runtime, predictions: DatasetPredictions
) -> dict[str, DatasetPredictions]:
    """The predictions with every photo ("clinical+dermoscopic") and with each photo alone, the others marked
    missing, by name."""
    views = model.config.image_views
    runs = {"+".join(views): predictions}
    for view in views:
        others = [other for other in views if other != view]
        runs[view] = predict(model, loader, runtime, description=f"{view} alone", missing_views=others)
    return runs


def photo_view_metrics(runs: dict[str, DatasetPredictions], classes: list[str]) -> dict[str, dict[str, float]]:
    """Accuracy, balanced accuracy and macro-F1 of each run of `photo_view_runs`: what each view adds, and how
    the model copes with one photo per case."""
    summary = {}
    for name, run in runs.items():
        scores = classification_metrics(run.labels, run.probabilities, classes)
        summary[name] = {key: scores[key] for key in ("accuracy", "balanced_accuracy", "macro_f1")}
    return summary


def photo_view_atlas(runs: dict[str, DatasetPredictions], classes: list[str]) -> dict[str, Any]:
    """The routing atlas's weight of each photo per class: the mean probability of the true class with every
    photo and with each photo alone, over the cases of each true class."""
    labels = next(iter(runs.values())).labels
    true_class = {name: run.probabilities[np.arange(len(labels)), labels] for name, run in runs.items()}
    per_class = {}
    for index, name in enumerate(classes):
        members = labels == index
        per_class[name] = {
            "count": int(members.sum()),
            "true_class_probability": {
                run: float(values[members].mean()) if members.any() else None for run, values in true_class.items()
            },
        }
    return {"runs": list(runs), "per_true_class": per_class}


@torch.inference_mode()
def flagged(
    model: MHDFNet, ood: MahalanobisOOD, images: Sequence[Image.Image], records: Sequence[dict], runtime: Runtime
) -> np.ndarray:
    """(N,) bool: which photos, each run with its clinical record, the OOD score flags."""
    transform = eval_transform(model.config)
    scores = []
    for start in range(0, len(images), 32):
        batch = torch.stack([transform(image) for image in images[start : start + 32]]).to(runtime.device)
        metadata = model.encode_metadata(records[start : start + 32])
        photos = {view: batch for view in model.config.image_views} if model.config.multi_view else batch
        scores.append(ood.scores(stage_features(model(photos, metadata, return_trace=True).stage_maps)))
    return np.concatenate(scores) > ood.threshold


def per_kind(kinds: Sequence[str], flags: np.ndarray) -> dict[str, float]:
    kinds = np.asarray(kinds)
    return {kind: float(flags[kinds == kind].mean()) for kind in dict.fromkeys(kinds.tolist())}


def quality_flagged(images: Sequence[Image.Image]) -> np.ndarray:
    """(N,) bool: which photos the photo-quality check (`mhdf.inference.quality`) finds a problem with."""
    return np.array([not assess(image).ok for image in images], dtype=bool)


def flag_rates(kinds: Sequence[str], quality: np.ndarray, ood: np.ndarray) -> dict[str, dict[str, float]]:
    """Per kind: the share flagged by the photo-quality check, by the out-of-distribution score, by either, and
    the number of images."""
    either = quality | ood
    rates = {name: per_kind(kinds, flags) for name, flags in (("quality", quality), ("ood", ood), ("either", either))}
    counts = {kind: int((np.asarray(kinds) == kind).sum()) for kind in rates["either"]}
    return {kind: {name: rates[name][kind] for name in rates} | {"count": counts[kind]} for kind in counts}


def ood_metrics(
    model: MHDFNet,
    ood: MahalanobisOOD,
    test_features: list[np.ndarray],
    test_records: Sequence[dict],
    test_photos: Sequence[Path | None],
    runtime: Runtime,
) -> dict[str, Any]:
    """Share of the test photos the OOD threshold accepts; share of generated non-lesion images it flags (run with
    every clinical field unknown) and of photos of another type (`training.synthetic.photo_shift`, each run with a test
    case's clinical record), overall and per kind. Beside them, `flag_rates_per_kind`: for every kind, also the
    degraded copies of the test photos (`training.real_shift`, each run with its own record), the share the
    photo-quality check flags, the OOD score, and either; and the share of test photos that pass the quality check
    and both checks."""
    size = max(model.config.image_size, 224)
    kinds, images = zip(*non_lesion_images(size=size), strict=True)
    non_lesion = flagged(model, ood, images, [{}] * len(images), runtime)
    shift_kinds, shifted = zip(*shifted_photos(SHIFT_PER_KIND, size, SHIFT_SEED), strict=True)
    records = [test_records[i % len(test_records)] if test_records else {} for i in range(len(shifted))]
    shift = flagged(model, ood, shifted, records, runtime)
    in_distribution = ood.scores(test_features) <= ood.threshold
    rates = flag_rates(kinds, quality_flagged(images), non_lesion)
    rates |= flag_rates(shift_kinds, quality_flagged(shifted), shift)
    quality = {}
    if all(photo is not None for photo in test_photos):
        quality_ok = ~quality_flagged([Image.open(photo).convert("RGB") for photo in test_photos])
        real_kinds, owners, degraded = zip(*degraded_photos(test_photos, seed=SHIFT_SEED), strict=True)
        real_ood = flagged(model, ood, degraded, [test_records[i] for i in owners], runtime)
        rates |= flag_rates(real_kinds, quality_flagged(degraded), real_ood)
        quality = {
            "quality_acceptance": float(quality_ok.mean()),
            "both_acceptance": float((quality_ok & in_distribution).mean()),
        }
    return {
        **ood.summary(),
        "in_distribution_acceptance": float(in_distribution.mean()),
        **quality,
        "flag_rates_per_kind": rates,
        "non_lesion_flagged": float(non_lesion.mean()),
        "non_lesion_flagged_per_kind": per_kind(kinds, non_lesion),
        "num_non_lesion": int(len(non_lesion)),
        "photo_shift_flagged": float(shift.mean()),
        "photo_shift_flagged_per_kind": per_kind(shift_kinds, shift),
        "num_photo_shift": int(len(shift)),
        "photo_shift_seed": SHIFT_SEED,
    }


def print_metrics(metrics: dict[str, Any]) -> None:
    auc = "n/a" if metrics["auc"] is None else f"{metrics['auc']:.4f}"
    print(
        f"{metrics['checkpoint']} on {metrics['num_samples']} {metrics['split']} images: "
        f"ACC {metrics['accuracy']:.4f}, BACC {metrics['balanced_accuracy']:.4f}, "
        f"macro-F1 {metrics['macro_f1']:.4f}, AUC {auc}, ECE {metrics['ece']:.4f}"
    )
    for views, scores in metrics.get("photo_views", {}).items():
        print(f"  {views}: ACC {scores['accuracy']:.4f}, BACC {scores['balanced_accuracy']:.4f}")
    if "calibration" in metrics:
        calibration = metrics["calibration"]
        print(
            f"  temperature {calibration['temperature']:.3f}: ECE {calibration['ece_before']:.4f} before, "
            f"{calibration['ece_after']:.4f} after"
        )
    if "conformal" in metrics:
        conformal = metrics["conformal"]
        print(
            f"  {conformal['coverage_target']:.0%} {conformal['mode']} sets: coverage "
            f"{conformal['empirical_coverage']:.3f}, mean size {conformal['mean_set_size']:.2f}; {conformal['note']}"
        )
    if "ood" in metrics:
        ood = metrics["ood"]
        print(
            f"  out-of-distribution: {ood['in_distribution_acceptance']:.1%} of test photos accepted, "
            f"{ood['non_lesion_flagged']:.1%} of {ood['num_non_lesion']} generated non-lesion images flagged"
        )
        shifted = ", ".join(f"{kind} {rate:.0%}" for kind, rate in ood["photo_shift_flagged_per_kind"].items())
        print(f"  photos of another type flagged: {shifted}")
        if "quality_acceptance" in ood:
            print(
                f"  photo quality: {ood['quality_acceptance']:.1%} of test photos pass, "
                f"{ood['both_acceptance']:.1%} pass quality and distribution"
            )
        print("  flagged by quality / distribution / either:")
        for kind, rates in ood["flag_rates_per_kind"].items():
            shares = " / ".join(f"{rates[name]:.0%}" for name in ("quality", "ood", "either"))
            print(f"    {kind}: {shares} of {rates['count']}")


def main(args: argparse.Namespace) -> None:
    with runtime_session(args.device, args.threads) as runtime:
        run(args, runtime)


def run(args: argparse.Namespace, runtime: Runtime) -> None:
    source = source_from_args(args)
    if args.folds is None:
        metrics = evaluate_checkpoint(args, source, args.fold, Path(args.checkpoint), Path(args.out), runtime)
        if runtime.is_main:
            print_metrics(metrics)
        return
    if not isinstance(source, GroupedSource):
        raise ValueError("--folds all applies to datasets with folds; Derm7pt has one official test split")
    if "{fold}" not in args.checkpoint:
        raise ValueError('--folds all needs a --checkpoint with a {fold} placeholder, e.g. "runs/fold{fold}/best"')
    per_fold = {}
    for fold in range(args.num_folds):
        checkpoint = Path(args.checkpoint.format(fold=fold))
        per_fold[fold] = evaluate_checkpoint(args, source, fold, checkpoint, Path(args.out) / f"fold{fold}", runtime)
        if runtime.is_main:
            print_metrics(per_fold[fold])
    if runtime.is_main:
        summary = summarize(per_fold)
        EvalFolder(args.out).summary.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"mean ± std over {args.num_folds} folds ({args.split} sets):\n{format_summary(summary)}")


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Evaluate an MHDF-Net checkpoint on held-out data", add_help=add_help)
    parser.add_argument("--checkpoint", required=True, help='checkpoint folder (RUN_DIR/best); "{fold}" with --folds')
    add_dataset_arguments(parser)
    parser.add_argument("--fold", default=0, type=int, help="test fold (not Derm7pt)")
    parser.add_argument("--folds", default=None, choices=("all",), help="evaluate every fold; report mean ± std")
    parser.add_argument("--out", required=True, type=Path, help="output folder (EVAL_DIR)")
    parser.add_argument("--split", default="test", choices=SPLIT_NAMES, help="which split of the run to evaluate")
    parser.add_argument("--splits", default=None, type=Path, help="a run's splits.csv (default: the checkpoint's)")
    parser.add_argument("--num-folds", default=5, type=int, help="folds, when no splits.csv gives them")
    parser.add_argument("--split-seed", default=0, type=int, help="fold seed, when no splits.csv gives the folds")
    parser.add_argument("--val-fraction", default=0.2, type=float, help="as in training, when no splits.csv")
    parser.add_argument("--folds-csv", default=None, type=Path, help="folds CSV (img_id, fold), as in training")
    parser.add_argument("--batch-size", default=64, type=int, help="images per forward pass")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="auto: CUDA if present")
    parser.add_argument("--workers", default=min(4, os.cpu_count() or 1), type=int, help="data loading processes")
    parser.add_argument("--threads", default=None, type=int, help=THREADS_HELP)
    return parser


if __name__ == "__main__":
    run_cli(get_args_parser, main)
