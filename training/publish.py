"""Publish a trained run to the Hugging Face Hub in one command:

    python -m training.publish RUN_DIR --repo user/name --license apache-2.0 [--eval EVAL_DIR] [--examples]
        [--private] [--dry-run OUT]

assembles a Hub-ready checkpoint folder and uploads it with `huggingface_hub` (`--dry-run OUT` writes the folder to
OUT and uploads nothing). The folder holds

    config.json, model.safetensors           the weights of RUN_DIR/best (RUN_DIR may also be a checkpoint folder)
    calibration.json, conformal.json,         the trust files `training.train` fitted, those the run has
    ood.json, ood.safetensors
    routing_atlas.json                        from EVAL_DIR (else the checkpoint's own, if any)
    evaluation/                               EVAL_DIR's metrics.json (and summary.json), figures, and its
                                              predictions.csv where the dataset's licence allows copying it
    model_card.json                           the checkpoint's card, with the evaluation's metrics and subgroups,
                                              which the demo shows
    examples/                                 only with --examples: one held-out case per class
    similar_cases.safetensors                 only with --examples: the similar-case index of EVAL_DIR (else the
                                              checkpoint's), whose thumbnails are the held-out photos
    README.md                                 the Hub model card: metadata the Hub reads (license, datasets,
                                              metrics, tags, library, model-index) and the training data, the
                                              evaluation, the intended use and the not-a-medical-device notice

Example photos and the similar-case index's thumbnails are copies of the dataset's photos, so `--examples` carries
the dataset's licence into the card and is refused for a dataset whose licence forbids redistribution (Derm7pt).
`python app.py --checkpoint OUT` and `Predictor.from_pretrained(OUT)` serve the folder as they serve the Hub repo.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from mhdf.inference import class_display_name
from mhdf.inference.checkpoint import (
    checkpoint_folder,
    copy_model_files,
    read_config,
    read_examples,
    read_model_card,
    read_routing_atlas,
    read_similar_cases,
    read_trust,
    write_example,
    write_model_card,
    write_routing_atlas,
    write_similar_cases,
)
from mhdf.metadata import MetadataSchema
from mhdf.model import MHDFNet
from training.data.base import LesionSource
from training.data.registry import SOURCES, load_source
from training.engine import run_cli
from training.examples import write_examples
from training.metrics import SCALAR_METRICS
from training.run_folder import EvalFolder, RunFolder

HUB_CARD_NAME = "README.md"
EVALUATION_DIR = "evaluation"
TEMPLATE = Path(__file__).resolve().with_name("hub_model_card.md")
FIGURE_SUFFIX = ".png"
TAGS = ("skin-lesion", "medical", "not-for-clinical-use")
# training.metrics' names -> (Hub metric type, the name shown); the Hub's model-index reads the first
HUB_METRICS = {
    "accuracy": ("accuracy", "Accuracy"),
    "balanced_accuracy": ("balanced_accuracy", "Balanced accuracy"),
    "macro_f1": ("f1", "Macro F1"),
    "auc": ("roc_auc", "Macro AUC (one vs rest)"),
    "ece": ("ece", "Expected calibration error"),
}


def dataset_of(run: RunFolder, config: dict[str, Any]) -> type[LesionSource]:
    """The dataset a checkpoint was trained on: the run's --dataset, else the checkpoint's schema."""
    name = json.loads(run.args.read_text())["dataset"] if run.args.is_file() else config["schema_name"]
    if name not in SOURCES:
        raise ValueError(f"the checkpoint was trained on {name!r}, which is none of {', '.join(sorted(SOURCES))}")
    return SOURCES[name]


def check_examples_allowed(dataset: type[LesionSource]) -> None:
    """Example photos are the dataset's photos: refuse them when its licence forbids copying them."""
    license = dataset.license
    if not license.redistributable:
        raise ValueError(
            f"--examples would redistribute photos of {dataset.name}, whose licence ({license.name}, {license.url}) "
            "does not allow it; publish without --examples"
        )


def _empty_folder(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ValueError(f"{path} exists and is not empty: name a new folder for --dry-run")
    path.mkdir(parents=True, exist_ok=True)


def copy_evaluation(eval_dir: EvalFolder, out: Path, dataset: type[LesionSource]) -> list[str]:
    """EVAL_DIR's tables and figures into `out/evaluation/`; returns the names copied. Its per-image predictions
    name the dataset's images and their labels, so they go only where the dataset's licence allows copying."""
    sources = [eval_dir.metrics, eval_dir.summary, *sorted(eval_dir.path.glob(f"*{FIGURE_SUFFIX}"))]
    if dataset.license.redistributable:
        sources.append(eval_dir.predictions)
    (out / EVALUATION_DIR).mkdir(exist_ok=True)
    copied = []
    for source in sources:
        if source.is_file():
            shutil.copyfile(source, out / EVALUATION_DIR / source.name)
            copied.append(source.name)
    return copied


def copy_examples(
    checkpoint: Path,
    out: Path,
    schema: MetadataSchema,
    run: RunFolder,
    dataset: type[LesionSource],
    eval_dir: EvalFolder | None,
    data: Path | None,
) -> list[str]:
    """The checkpoint's own examples, or else one held-out case per class picked from the evaluation's predictions
    in the run's dataset (read from `data`, default the run's --data). Returns their names."""
    if cases := read_examples(checkpoint, schema):
        for case in cases:
            write_example(out, case.name, case.image, case.metadata, case.label)
        return [case.name for case in cases]
    if eval_dir is None or not eval_dir.predictions.is_file():
        raise ValueError("--examples picks held-out cases from an evaluation: pass --eval EVAL_DIR")
    run_args = json.loads(run.args.read_text()) if run.args.is_file() else {}
    root = data or run_args.get("data")
    if root is None:
        raise ValueError("--examples needs the dataset's photos: pass --data DIR")
    source = load_source(
        dataset.name, root, **({"image_column": run_args["image_column"]} if dataset.name == "derm7pt" else {})
    )
    return write_examples(source, pd.read_csv(eval_dir.predictions, dtype={"img_id": str}), out)


def card_metrics(card: dict[str, Any], metrics: dict[str, Any] | None, variant: str) -> dict[str, Any] | None:
    """The headline metrics: the evaluation's, else those the checkpoint's card already reports."""
    if metrics is not None:
        return {key: metrics[key] for key in (*SCALAR_METRICS, "num_samples") if key in metrics}
    reported = card.get("metrics", {})
    return reported.get(variant) or reported.get("mhdf")


def model_card_json(
    card: dict[str, Any], repo: str, license: str, metrics: dict[str, Any] | None, variant: str, examples: list[str]
) -> dict[str, Any]:
    """The checkpoint's model_card.json as published: named, licensed, with the evaluation's results."""
    card = {**card, "name": card.get("name") or repo, "hub_repo": repo, "license": license}
    if metrics is not None:
        card["metrics"] = {**card.get("metrics", {}), variant: card_metrics(card, metrics, variant)}
        card["evaluation"] = {
            key: metrics.get(key) for key in ("dataset", "split", "fold", "training_data", "synthetic_data")
        }
        if "subgroups" in metrics:
            card["subgroups"] = metrics["subgroups"]
    if examples:
        card["examples"] = examples
    else:
        card.pop("examples", None)
    return card


def hub_card(
    out: Path,
    repo: str,
    license: str,
    config: dict[str, Any],
    card: dict[str, Any],
    dataset: type[LesionSource],
    examples: list[str],
    evaluation_files: list[str],
) -> ModelCard:
    """README.md: Hub metadata (license, datasets, metrics, tags, library, model-index) and the card's text."""
    schema = MetadataSchema.from_dict(config["metadata_schema"])
    variant = config["variant"]
    headline = card_metrics(card, None, variant)
    evaluation = card.get("evaluation", {})
    split = evaluation.get("split") or "test"
    fold = f", fold {evaluation['fold']}" if evaluation.get("fold") is not None else ""
    shown = {key: value for key, value in (headline or {}).items() if key in HUB_METRICS}
    mixin = MHDFNet._hub_mixin_info.model_card_data  # the library name and tags `MHDFNet.push_to_hub` uses
    synthetic = bool(config.get("synthetic_data"))
    data = ModelCardData(
        license=license,
        library_name=mixin.library_name,
        pipeline_tag="image-classification",
        datasets=[dataset.name],
        metrics=[HUB_METRICS[key][0] for key in shown],
        tags=sorted({*mixin.tags, *TAGS, *(["synthetic-data"] if synthetic else [])}),
        model_name=repo.split("/")[-1],
        eval_results=[
            EvalResult(
                task_type="image-classification",
                dataset_type=dataset.name,
                dataset_name=f"{schema.label} ({'synthetic, ' if synthetic else ''}{split} split{fold})",
                dataset_split=split,
                metric_type=HUB_METRICS[key][0],
                metric_name=HUB_METRICS[key][1],
                metric_value=round(float(value), 4),
            )
            for key, value in shown.items()
        ]
        or None,
    )
    trust = read_trust(out)
    parts = [
        f"temperature scaling (T = {trust.calibration.temperature:.3f})" if trust.calibration else None,
        f"{trust.conformal.coverage:.0%} conformal prediction sets" if trust.conformal else None,
        "an out-of-distribution score (Mahalanobis, per fused stage)" if trust.ood else None,
    ]
    fitted = [part for part in parts if part]
    return ModelCard.from_template(
        data,
        template_path=str(TEMPLATE),
        title=card.get("name") or repo,
        repo=repo,
        synthetic=synthetic,
        schema_label=schema.label,
        classes=", ".join(class_display_name(code, schema.class_labels) for code in config["class_names"]),
        training_data=config.get("training_data") or "Not recorded.",
        trained_with=card.get("command") or card.get("commands", {}).get(f"train {variant}"),
        dataset_name=schema.label,
        dataset_license=dataset.license,
        evaluation_description=f"On the held-out {split} split{fold} of {schema.label}"
        + (f" ({headline['num_samples']} cases)" if headline and "num_samples" in headline else "")
        + ", never seen in training or model selection:",
        metrics_table="\n".join(f"| {HUB_METRICS[key][1]} | {value:.4f} |" for key, value in shown.items()),
        evaluation_dir=EVALUATION_DIR,
        evaluation_files=", ".join(f"`{name}`" for name in evaluation_files),
        trust="Fitted on the validation split: " + "; ".join(fitted) + "."
        if fitted
        else "None: this checkpoint's probabilities are the plain softmax, with no prediction sets or "
        "out-of-distribution score.",
        examples=examples,
    )


def assemble(
    run_dir: str | Path,
    out: str | Path,
    repo: str,
    license: str,
    eval_dir: str | Path | None = None,
    examples: bool = False,
    data: str | Path | None = None,
) -> ModelCard:
    """Write the Hub-ready folder of a run (or checkpoint folder) into the empty folder `out`; returns its card.
    Raises ValueError for anything that would make a wrong or unlawful publication, before writing anything."""
    run, out = RunFolder(run_dir), Path(out)
    checkpoint = checkpoint_folder(run.path)
    config = read_config(checkpoint)
    schema = MetadataSchema.from_dict(config["metadata_schema"])
    dataset = dataset_of(run, config)
    evaluation = EvalFolder(eval_dir) if eval_dir is not None else None
    if evaluation is not None and not evaluation.metrics.is_file():
        raise ValueError(f"{evaluation.path} holds no {evaluation.metrics.name}: pass the --out of training.evaluate")
    if examples:
        check_examples_allowed(dataset)
    _empty_folder(out)

    copy_model_files(checkpoint, out)
    metrics = json.loads(evaluation.metrics.read_text()) if evaluation is not None else None
    atlas = read_routing_atlas(evaluation.path if evaluation is not None else checkpoint)
    if atlas is None and evaluation is not None:
        atlas = read_routing_atlas(checkpoint)
    if atlas is not None:
        write_routing_atlas(out, atlas)
    evaluation_files = copy_evaluation(evaluation, out, dataset) if evaluation is not None else []
    names = copy_examples(checkpoint, out, schema, run, dataset, evaluation, data) if examples else []
    if examples:  # its thumbnails are the evaluated photos: the same licence rule as the examples
        index = read_similar_cases(evaluation.path if evaluation is not None else checkpoint)
        if index is not None:
            write_similar_cases(out, index)
    card = model_card_json(read_model_card(checkpoint), repo, license, metrics, config["variant"], names)
    write_model_card(out, card)
    hub = hub_card(out, repo, license, config, card, dataset, names, evaluation_files)
    hub.save(out / HUB_CARD_NAME)
    return hub


def upload_errors() -> tuple[type[BaseException], ...]:
    """What a failed upload raises: the Hub's HTTP errors and offline mode, and the HTTP client's own errors, which
    depend on the huggingface_hub version (requests' are OSErrors; httpx and httpx2 have HTTPError)."""
    errors: list[type[BaseException]] = [HfHubHTTPError, OfflineModeIsEnabled, OSError]
    for client in ("httpx", "httpx2"):
        try:
            errors.append(importlib.import_module(client).HTTPError)
        except ImportError:
            continue
    return tuple(errors)


def upload(folder: Path, repo: str, private: bool, token: str | None = None) -> str:
    """Create the Hub model repo (if needed) and upload `folder` as one commit; returns the commit's URL."""
    api = HfApi(token=token)
    api.create_repo(repo, private=private, exist_ok=True, repo_type="model")
    commit = api.upload_folder(
        repo_id=repo, folder_path=folder, repo_type="model", commit_message="Publish with training.publish"
    )
    return commit.commit_url


def main(args: argparse.Namespace) -> None:
    if args.repo.count("/") != 1 or not all(args.repo.split("/")):
        raise ValueError(f"--repo must be a Hub repo id such as user/name, got {args.repo!r}")
    if args.dry_run is not None:
        assemble(args.run, args.dry_run, args.repo, args.license, args.eval, args.examples, args.data)
        print(f"wrote the Hub folder of {args.repo} to {args.dry_run} (nothing uploaded):")
        for path in sorted(args.dry_run.rglob("*")):
            if path.is_file():
                print(f"  {path.relative_to(args.dry_run)}  {path.stat().st_size / 1024:.1f} KiB")
        return
    with tempfile.TemporaryDirectory(prefix="mhdf-publish-") as scratch:
        folder = Path(scratch) / "repo"
        assemble(args.run, folder, args.repo, args.license, args.eval, args.examples, args.data)
        try:
            url = upload(folder, args.repo, args.private, args.token)
        except upload_errors() as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(
                f"could not upload to the Hub repo {args.repo} ({reason}); check the network, "
                "HF_TOKEN and HF_HUB_OFFLINE, or write the folder with --dry-run OUT"
            ) from None
    print(f"published {args.repo}: {url}")


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Publish a trained run to the Hugging Face Hub", add_help=add_help)
    parser.add_argument("run", type=Path, help="training run folder (RUN_DIR) or checkpoint folder")
    parser.add_argument("--repo", required=True, help="Hub model repo id, user/name")
    parser.add_argument("--license", required=True, help="the model's licence, a Hub licence id (e.g. apache-2.0)")
    parser.add_argument("--eval", type=Path, default=None, help="training.evaluate --out folder (EVAL_DIR)")
    parser.add_argument(
        "--examples", action="store_true", help="include one held-out photo per class (if the data's licence allows)"
    )
    parser.add_argument("--data", type=Path, default=None, help="dataset folder for --examples (default: the run's)")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--dry-run", type=Path, default=None, metavar="OUT", help="write the folder here; no upload")
    parser.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN or the saved `hf auth login`)")
    return parser


if __name__ == "__main__":
    run_cli(get_args_parser, main)
