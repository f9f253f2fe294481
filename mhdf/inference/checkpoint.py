"""The checkpoint folder: its file names, where it comes from, and readers and writers for everything in it.

    config.json          MHDFConfig (written by `MHDFNet.save_pretrained`)
    model.safetensors    the weights (safetensors only: loading never unpickles anything)
    model_card.json      optional: name, training data, metrics, the commands that made it
    routing_atlas.json   optional: gate statistics over a test set (`training.evaluate`)
    examples/            optional: example cases, <name>.png + <name>.json =
                         {"image": "<name>.png", "metadata": {...}, "label": "BCC"}
    calibration.json     optional: {"temperature", "num_samples"}, fitted on the run's validation split
    conformal.json       optional: {"coverage", "mode", "classes", "overall_threshold", "thresholds",
                         "fallback_classes", "num_samples"}: split-conformal prediction sets, same split
    ood.json             optional: {"method", "feature", "threshold", "stage_thresholds", "acceptance",
    ood.safetensors      "num_samples"}, with each fused stage's class means and precision matrix of the
                         out-of-distribution score
                         (`training.trust` writes these four after training; `mhdf.inference.uncertainty` reads them)
    similar_cases.safetensors  optional: the evaluated cases' routing signatures, fused features, classes and
                         thumbnails (`training.evaluate` writes it; `mhdf.inference.similar` searches it)

A checkpoint is named by a local folder, a training run folder (whose `best/` holds the checkpoint) or a Hugging
Face Hub repo id, which is downloaded once into the local Hugging Face cache, so the same files are read either way.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from huggingface_hub import snapshot_download
from huggingface_hub.constants import CONFIG_NAME

from mhdf.inference.similar import SimilarCaseIndex
from mhdf.inference.uncertainty import (
    ConformalSets,
    MahalanobisOOD,
    StageMahalanobis,
    TemperatureScaling,
    TrustFiles,
    as_json,
)
from mhdf.metadata import MetadataSchema
from mhdf.model import WEIGHTS_NAME

# The checkpoint bundled with the repository; an installed package has no copy, so its users name one.
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "demo"
MODEL_CARD_NAME = "model_card.json"
ROUTING_ATLAS_NAME = "routing_atlas.json"
EXAMPLES_DIR = "examples"
CALIBRATION_NAME = "calibration.json"
CONFORMAL_NAME = "conformal.json"
OOD_NAME = "ood.json"
OOD_STATISTICS_NAME = "ood.safetensors"
SIMILAR_CASES_NAME = "similar_cases.safetensors"
RUN_BEST_DIR = "best"  # where `training.train` keeps a run's selected checkpoint
MODEL_FILES = (CONFIG_NAME, WEIGHTS_NAME)
TRUST_FILES = (CALIBRATION_NAME, CONFORMAL_NAME, OOD_NAME, OOD_STATISTICS_NAME)


def checkpoint_folder(path_or_hub_id: str | Path) -> Path:
    """The local folder of a checkpoint: the folder itself, a run folder's `best/`, or a Hub repo downloaded to
    the local cache. Raises ValueError for a local path that holds no checkpoint."""
    path = Path(path_or_hub_id)
    for folder in (path, path / RUN_BEST_DIR):
        if (folder / CONFIG_NAME).is_file():
            return folder
    if path.exists():
        raise ValueError(f"{path} holds no checkpoint: expected {CONFIG_NAME} and {WEIGHTS_NAME}")
    text = str(path_or_hub_id)
    if path.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1:
        raise ValueError(f"no checkpoint folder at {path}")
    return Path(snapshot_download(text))


def copy_model_files(source: str | Path, destination: str | Path) -> None:
    """Copy the config and weights of one checkpoint folder into another (created if needed), with the
    calibration, conformal and out-of-distribution files it has (stale ones in `destination` are removed)."""
    source, destination = Path(source), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(source / name, destination / name)
    for name in TRUST_FILES:
        (destination / name).unlink(missing_ok=True)
        if (source / name).is_file():
            shutil.copyfile(source / name, destination / name)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def read_config(folder: str | Path) -> dict[str, Any]:
    """The checkpoint's config.json as a dict (`MHDFNet.from_pretrained` builds the model from it)."""
    return _read_json(Path(folder) / CONFIG_NAME)


def read_model_card(folder: str | Path) -> dict[str, Any]:
    """The checkpoint's model card; empty when it has none."""
    path = Path(folder) / MODEL_CARD_NAME
    return _read_json(path) if path.is_file() else {}


def write_model_card(folder: str | Path, card: dict[str, Any]) -> None:
    _write_json(Path(folder) / MODEL_CARD_NAME, card)


def read_routing_atlas(folder: str | Path) -> dict[str, Any] | None:
    """The routing atlas in a checkpoint (or evaluation) folder, or None when it has none."""
    path = Path(folder) / ROUTING_ATLAS_NAME
    return _read_json(path) if path.is_file() else None


def write_routing_atlas(folder: str | Path, atlas: dict[str, Any]) -> None:
    _write_json(Path(folder) / ROUTING_ATLAS_NAME, atlas)


@dataclass(frozen=True)
class ExampleCase:
    name: str  # the file stem, e.g. "bcc_1"
    image: Path
    metadata: dict[str, Any]  # the clinical record as written in the JSON file
    label: str | None  # the true class, when known

    @property
    def title(self) -> str:
        """How the case is listed: "bcc_1 (true class BCC)"."""
        return f"{self.name} (true class {self.label})" if self.label else self.name


def read_example(path: Path, schema: MetadataSchema) -> ExampleCase:
    """One `<name>.json` -> ExampleCase; raises ValueError naming the file and what is wrong with it."""
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("image"), str):
        raise ValueError(f'{path}: expected {{"image": "<file>", "metadata": {{...}}, "label": "<class>"}}')
    image = path.parent / document["image"]
    if not image.is_file():
        raise ValueError(f"{path}: its image {image.name} is missing")
    metadata = document.get("metadata") or {}
    try:
        schema.normalize(metadata)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    label = document.get("label")
    if label is not None and label not in schema.classes:
        raise ValueError(f"{path}: label {label!r} is not one of {', '.join(schema.classes)}")
    return ExampleCase(name=path.stem, image=image, metadata=dict(metadata), label=label)


def read_examples(folder: str | Path, schema: MetadataSchema) -> list[ExampleCase]:
    """The example cases of a checkpoint folder, sorted by name; none when it has no `examples/`."""
    examples = Path(folder) / EXAMPLES_DIR
    if not examples.is_dir():
        return []
    return [read_example(path, schema) for path in sorted(examples.glob("*.json"))]


def write_example(
    folder: str | Path, name: str, image: str | Path, metadata: dict[str, Any], label: str | None
) -> ExampleCase:
    """Copy `image` into the checkpoint's `examples/` as `<name><suffix>` beside its `<name>.json`."""
    examples = Path(folder) / EXAMPLES_DIR
    examples.mkdir(parents=True, exist_ok=True)
    image_name = f"{name}{Path(image).suffix}"
    shutil.copyfile(image, examples / image_name)
    _write_json(examples / f"{name}.json", {"image": image_name, "metadata": metadata, "label": label})
    return ExampleCase(name=name, image=examples / image_name, metadata=metadata, label=label)


def write_trust(folder: str | Path, trust: TrustFiles) -> None:
    """Write each fitted part of `trust` to its file (a part that is None is left out)."""
    folder = Path(folder)
    if trust.calibration is not None:
        _write_json(folder / CALIBRATION_NAME, as_json(trust.calibration))
    if trust.conformal is not None:
        _write_json(folder / CONFORMAL_NAME, as_json(trust.conformal))
    if trust.ood is not None:
        _write_json(folder / OOD_NAME, trust.ood.summary())
        statistics = {}
        for index, stage in enumerate(trust.ood.stages):
            statistics[f"stage{index}.means"] = stage.means.astype(np.float32)
            statistics[f"stage{index}.precision"] = stage.precision.astype(np.float32)
        safetensors.numpy.save_file(statistics, folder / OOD_STATISTICS_NAME)


def read_trust(folder: str | Path) -> TrustFiles:
    """The calibration, conformal and out-of-distribution files of a checkpoint; None for each one it lacks."""
    folder = Path(folder)
    trust = TrustFiles()
    if (folder / CALIBRATION_NAME).is_file():
        trust.calibration = TemperatureScaling(**_read_json(folder / CALIBRATION_NAME))
    if (folder / CONFORMAL_NAME).is_file():
        trust.conformal = ConformalSets(**_read_json(folder / CONFORMAL_NAME))
    if (folder / OOD_NAME).is_file():
        summary = _read_json(folder / OOD_NAME)
        statistics = safetensors.numpy.load_file(folder / OOD_STATISTICS_NAME)
        stages = [
            StageMahalanobis(
                statistics[f"stage{index}.means"].astype(np.float64),
                statistics[f"stage{index}.precision"].astype(np.float64),
                threshold,
            )
            for index, threshold in enumerate(summary["stage_thresholds"])
        ]
        trust.ood = MahalanobisOOD(stages, summary["acceptance"], summary["num_samples"], summary["feature"])
    return trust


def read_similar_cases(folder: str | Path) -> SimilarCaseIndex | None:
    """The similar-case index of a checkpoint (or evaluation) folder, or None when it has none."""
    path = Path(folder) / SIMILAR_CASES_NAME
    return SimilarCaseIndex.load(path) if path.is_file() else None


def write_similar_cases(folder: str | Path, index: SimilarCaseIndex) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    index.save(Path(folder) / SIMILAR_CASES_NAME)
