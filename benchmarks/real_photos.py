"""MHDF-Net on real photos: 5 patient-grouped folds of a PAD-UFES-20 photo folder, the fused model against its
baselines on the same patients.

    python -m benchmarks.real_photos --photos ../shared/data/pad-ufes-20-photos --work runs/real-cv [--json]

For each test fold it trains `mhdf`, `image-only` and `meta-only` with the bundled checkpoint's recipe
(`training.make_demo.train_command`: EfficientNet-Lite0 from ImageNet weights, frozen and cached; the clinical
pathway pretrained on every clinical record of the training patients, photo or not),
and fits the pinned clinical-only logistic regression (`training.clinical_baseline`) on every clinical record of the
patients outside the test fold, rows without a photo included (the hidden patients of `heldout_patients.txt` are
never read). Each model is scored on the test fold's photos:

* balanced accuracy, macro one-vs-rest AUC, per-class recall with the photos behind it;
* ECE of the calibrated probabilities (the networks' temperature is fitted on the validation photos at the end of
  training; the regression's on the out-of-fold probabilities of its own training photos, patient-grouped);
* coverage and mean size of the 90 % conformal prediction sets, thresholds fitted the same way;
* for the networks, the share of test photos the out-of-distribution score accepts.

Runs already in `--work` are reused, so an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import GroupKFold, cross_val_predict

from mhdf import MHDFNet
from mhdf.inference.checkpoint import CONFIG_NAME, read_trust
from mhdf.inference.transforms import eval_transform
from mhdf.inference.uncertainty import ConformalSets, fit_conformal, fit_temperature
from training import train
from training.clinical_baseline import NAME as BASELINE
from training.clinical_baseline import logistic_regression, onehot81_features, records_outside
from training.data.pad_ufes_20 import PadUfes20
from training.demo_bundle import EVALUATION, NUM_FOLDS, VARIANTS
from training.engine import Runtime, eval_loader, predict, split_dataset
from training.make_demo import get_args_parser as demo_args
from training.make_demo import train_command
from training.metrics import classification_metrics
from training.run_folder import RunFolder

MODELS = (*VARIANTS, BASELINE)
REPORTED = ("balanced_accuracy", "auc", "ece", "set_coverage", "set_size", "in_distribution")


def set_metrics(probabilities: np.ndarray, labels: np.ndarray, conformal: ConformalSets) -> dict[str, float]:
    sets = conformal.prediction_sets(probabilities)
    covered = [int(label) in members for label, members in zip(labels, sets, strict=True)]
    return {"set_coverage": float(np.mean(covered)), "set_size": float(np.mean([len(s) for s in sets]))}


def scored(labels: np.ndarray, probabilities: np.ndarray, classes: tuple[str, ...]) -> dict[str, Any]:
    metrics = classification_metrics(labels, probabilities, classes)
    return {
        "balanced_accuracy": metrics["balanced_accuracy"],
        "auc": metrics["auc"],
        "ece": metrics["ece"],
        "recall": {name: values["recall"] for name, values in metrics["per_class"].items()},
        "photos": {name: values["support"] for name, values in metrics["per_class"].items()},
        "correct": {
            name: int(round(values["recall"] * values["support"])) for name, values in metrics["per_class"].items()
        },
        # kept for the figures over every fold's test photos at once (`pooled`)
        "labels": [int(label) for label in labels],
        "probabilities": np.round(probabilities, 6).tolist(),
    }


def network_fold(source: PadUfes20, run: Path, test: np.ndarray, runtime: Runtime) -> dict[str, Any]:
    best = RunFolder(run).best
    model = MHDFNet.from_pretrained(str(best), map_location="cpu")
    config = model.config
    dataset = split_dataset(source, test, eval_transform(config) if config.uses_image else None, config)
    out = predict(model, eval_loader(dataset, 64, 0, runtime), runtime, trace=True, description="test")
    trust = read_trust(best)
    probabilities = trust.calibration.probabilities(out.logits)
    result = scored(out.labels, probabilities, source.classes) | set_metrics(probabilities, out.labels, trust.conformal)
    if trust.ood is not None and out.features is not None:
        result["in_distribution"] = float(np.mean(trust.ood.scores(out.features) <= trust.ood.threshold))
    return result


def baseline_fold(source: PadUfes20, test: np.ndarray) -> dict[str, Any]:
    """The regression on every record outside the test fold; its temperature and set thresholds from the
    patient-grouped out-of-fold probabilities of its training photos."""
    rows = records_outside(source, set(source.patients[test].tolist()))
    features, labels = onehot81_features([s.record for s in rows]), np.array([s.label for s in rows])
    groups = [s.patient for s in rows]
    has_photo = np.array([s.image_path is not None for s in rows])
    folds = GroupKFold(n_splits=NUM_FOLDS)
    logits = np.log(cross_val_predict(logistic_regression(), features, labels, groups=groups, cv=folds,
                                      method="predict_proba") + 1e-12)  # fmt: skip
    calibration = fit_temperature(logits[has_photo], labels[has_photo])
    conformal = fit_conformal(calibration.probabilities(logits[has_photo]), labels[has_photo], source.classes)
    model = logistic_regression().fit(features, labels)
    test_features = onehot81_features([source.samples[i].record for i in test])
    probabilities = calibration.probabilities(np.log(model.predict_proba(test_features) + 1e-12))
    test_labels = source.labels[test]
    return scored(test_labels, probabilities, source.classes) | set_metrics(probabilities, test_labels, conformal)


def summary(per_fold: list[dict[str, Any]], classes: tuple[str, ...]) -> dict[str, Any]:
    result = {}
    for key in REPORTED:
        values = [fold[key] for fold in per_fold if fold.get(key) is not None]
        if values:
            result[key] = {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1))}
    labels = np.concatenate([fold["labels"] for fold in per_fold])
    pooled = classification_metrics(labels, np.concatenate([fold["probabilities"] for fold in per_fold]), classes)
    # one figure over all test photos: a 67-photo fold's ECE is inflated by its few cases per confidence bin
    result["pooled"] = {key: pooled[key] for key in ("balanced_accuracy", "auc", "ece")} | {"photos": len(labels)}
    result["recall"] = {
        name: {
            "correct": sum(f["correct"][name] for f in per_fold),
            "photos": sum(f["photos"][name] for f in per_fold),
        }
        for name in classes
    }
    return result


def main(args: argparse.Namespace) -> None:
    source = PadUfes20(args.photos)
    runtime = Runtime(device=torch.device("cpu"))
    recipe = demo_args().parse_args(["--photos", str(args.photos), "--threads", str(args.threads)])
    results: dict[str, list[dict[str, Any]]] = {model: [] for model in MODELS}
    for fold in args.folds:
        split = source.split(fold, num_folds=NUM_FOLDS, seed=EVALUATION["split_seed"])
        for variant in VARIANTS:
            run = args.work / f"fold{fold}" / variant
            if not (RunFolder(run).best / CONFIG_NAME).is_file():
                argv = train_command(args.photos, run, variant, recipe, f"benchmarks.real_photos fold {fold}", fold)
                train.main(train.get_args_parser().parse_args(argv))
            results[variant].append(network_fold(source, run, split.test, runtime))
        results[BASELINE].append(baseline_fold(source, split.test))
        print(f"fold {fold}: " + ", ".join(f"{m} {results[m][-1]['balanced_accuracy']:.3f}" for m in MODELS))
    report = {
        "photos": len(source.samples),
        "patients": source.num_patients,
        "folds": list(args.folds),
        "models": {model: {"summary": summary(results[model], source.classes), "per_fold": results[model]}
                   for model in MODELS},
    }  # fmt: skip
    (args.work / "real_photos.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(markdown_table(report, source.classes))


def markdown_table(report: dict[str, Any], classes: tuple[str, ...]) -> str:
    def cell(stats: dict[str, Any], key: str) -> str:
        value = stats.get(key)
        return f"{value['mean']:.3f} ± {value['std']:.3f}" if value else "—"

    header = ["model", "balanced accuracy", "macro AUC", "ECE", "90 % set coverage", "set size", "in-distribution"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for model, result in report["models"].items():
        stats = result["summary"]
        lines.append(f"| `{model}` | " + " | ".join(cell(stats, key) for key in REPORTED) + " |")
    lines += [
        "",
        "| model (every fold's test photos pooled) | balanced accuracy | macro AUC | ECE |",
        "|" + " --- |" * 4,
    ]
    for model, result in report["models"].items():
        pooled = result["summary"]["pooled"]
        lines.append(
            f"| `{model}` | " + " | ".join(f"{pooled[key]:.3f}" for key in ("balanced_accuracy", "auc", "ece")) + " |"
        )
    lines += ["", "| model | " + " | ".join(classes) + " |", "|" + " --- |" * (len(classes) + 1)]
    for model, result in report["models"].items():
        recall = result["summary"]["recall"]
        cells = [recall_cell(recall[c]["correct"], recall[c]["photos"]) for c in classes]
        lines.append(f"| `{model}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def recall_cell(correct: int, photos: int) -> str:
    return f"{correct / photos:.2f} ({correct}/{photos})" if photos else "— (0/0)"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", required=True, type=Path, help="a PAD-UFES-20 folder: metadata.csv + images/")
    parser.add_argument("--work", required=True, type=Path, help="runs and the JSON report go here (resumable)")
    parser.add_argument(
        "--folds", default=list(range(NUM_FOLDS)), type=int, nargs="+", choices=range(NUM_FOLDS), metavar="K",
        help="the test folds to run and report (default: all; two processes on different folds share --work)",
    )  # fmt: skip
    parser.add_argument("--threads", default=2, type=int, help="PyTorch CPU threads")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


if __name__ == "__main__":
    main(get_args_parser().parse_args())
