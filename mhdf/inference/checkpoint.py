"""The checkpoint folder: its file names, where it comes from, and readers and writers for everything in it.

    config.json          MHDFConfig (written by `MHDFNet.save_pretrained`)
    model.safetensors    the weights (safetensors only: loading never unpickles anything)
    model_card.json      optional: name, training data, metrics, the commands that made it
    routing_atlas.json   optional: gate statistics over a test set (`training.evaluate`)
    examples/            optional: example cases, <name>.png + <name>.json =
                         {"image": "<name>.png", "metadata": {...}, "label": "BCC"}; a case of a checkpoint with
                         several photo views names one file per view instead: {"images": {"clinical":
                         "<name>_clinical.png", "dermoscopic": "<name>_dermoscopic.png"}, ...}
    lessons/             optional: guided lessons, <name>.yaml, with any photos and records they name
                         (read by `mhdf.app.lesson`; docs/lesson.md)
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

Whatever is wrong with a checkpoint raises `CheckpointError`: one line naming the file, what is wrong with it (for
config.json, the key and the type it must have) and what to do about it.
"""

from __future__ import annotations

import difflib
import json
import shutil
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import safetensors.numpy
from huggingface_hub import constants, snapshot_download
from huggingface_hub.constants import CONFIG_NAME
from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError
from safetensors import SafetensorError

from mhdf.config import ARCHITECTURE_KEYS, MHDFConfig
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
from mhdf.model import WEIGHTS_NAME, MHDFNet

# The checkpoint bundled with the repository; an installed package has no copy, so its users name one.
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "demo"
# The synthetic-photo checkpoint: its guided lesson was written on its behaviour, so the app runs that lesson on it
# when the served checkpoint ships none (the bundled real-photo demo among them).
SYNTHETIC_CHECKPOINT = DEFAULT_CHECKPOINT.with_name("demo-synthetic")
MODEL_CARD_NAME = "model_card.json"
ROUTING_ATLAS_NAME = "routing_atlas.json"
EXAMPLES_DIR = "examples"
LESSONS_DIR = "lessons"  # the app's guided lessons (`mhdf.app.lesson`)
CALIBRATION_NAME = "calibration.json"
CONFORMAL_NAME = "conformal.json"
OOD_NAME = "ood.json"
OOD_STATISTICS_NAME = "ood.safetensors"
SIMILAR_CASES_NAME = "similar_cases.safetensors"
RUN_BEST_DIR = "best"  # where `training.train` keeps a run's selected checkpoint
MODEL_FILES = (CONFIG_NAME, WEIGHTS_NAME)
TRUST_FILES = (CALIBRATION_NAME, CONFORMAL_NAME, OOD_NAME, OOD_STATISTICS_NAME)
SAVE_AGAIN = "write the checkpoint again with `MHDFNet.save_pretrained`, or take this file from the same checkpoint"
T = TypeVar("T")


class CheckpointError(ValueError):
    """A checkpoint that cannot be served; the message is one line: the file, what is wrong, what to do."""


def checkpoint_folder(path_or_hub_id: str | Path) -> Path:
    """The local folder of a checkpoint: the folder itself, a run folder's `best/`, or a Hub repo downloaded to
    the local cache. Raises CheckpointError for a local path that holds no checkpoint or a Hub repo out of reach."""
    path = Path(path_or_hub_id)
    for folder in (path, path / RUN_BEST_DIR):
        if (folder / CONFIG_NAME).is_file():
            return folder
    if path.exists():
        raise CheckpointError(
            f"{path} holds no checkpoint: expected {CONFIG_NAME} and {WEIGHTS_NAME} in it or in {path / RUN_BEST_DIR}"
        )
    text = str(path_or_hub_id)
    if path.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1:
        raise CheckpointError(
            f"no checkpoint folder at {path}: name a checkpoint folder, a training run folder or a Hub repo id"
        )
    return _download(text)


def _download(repo_id: str) -> Path:
    """A Hub repo's files, from the local Hugging Face cache or downloaded into it."""
    try:
        return Path(snapshot_download(repo_id))
    except HFValidationError:
        raise CheckpointError(f"{repo_id}: neither a local folder nor a Hugging Face Hub repo id (user/name)") from None
    except RepositoryNotFoundError:
        raise CheckpointError(
            f"{repo_id}: no such Hugging Face Hub repo, or a private one: check the name, or log in "
            "(`hf auth login` or HF_TOKEN) with an account that may read it"
        ) from None
    except LocalEntryNotFoundError:
        if constants.is_offline_mode():
            raise CheckpointError(
                f"{repo_id}: this Hugging Face Hub repo is not in the local cache and HF_HUB_OFFLINE is set: "
                f"download it once with network access (`hf download {repo_id}`), or name a local checkpoint folder"
            ) from None
        raise CheckpointError(
            f"{repo_id}: the Hugging Face Hub cannot be reached and this repo is not in the local cache: check the "
            "network, or name a local checkpoint folder"
        ) from None
    except OSError as error:  # an HTTP error from the Hub, or a cache folder that cannot be written
        raise CheckpointError(f"{repo_id}: cannot download it from the Hugging Face Hub ({one_line(error)})") from None


def one_line(error: BaseException) -> str:
    """An exception's message on one line (safetensors' and torch's span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _describe(hint: Any) -> str:
    """A dataclass field's type in JSON words: "an integer", "a list of numbers or null"."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return "a list of " + {str: "strings", int: "integers", float: "numbers"}[item]
    names = {type(None): "null", bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return names.get(hint, "an object")


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a dataclass field's type (an integer fits a float; true/false fits only a bool)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        return isinstance(value, list) and all(_matches(item, typing.get_args(hint)[0]) for item in value)
    if hint is type(None):
        return value is None
    if hint in (int, float):
        return isinstance(value, int if hint is int else (int, float)) and not isinstance(value, bool)
    return isinstance(value, origin or hint)


def read_model_config(folder: str | Path) -> MHDFConfig:
    """The checkpoint's config.json as an MHDFConfig, each key checked against MHDFConfig's fields: a missing
    architecture key (`mhdf.config.ARCHITECTURE_KEYS`), an unknown key or a value of the wrong type raises
    CheckpointError naming the key and the type it must have."""
    path = Path(folder) / CONFIG_NAME
    document = _read_json(path)
    if not isinstance(document, dict):
        raise CheckpointError(f"{path}: expected a JSON object of MHDFConfig settings; {SAVE_AGAIN}")
    hints = typing.get_type_hints(MHDFConfig)
    known = [field.name for field in fields(MHDFConfig)]
    for key in ARCHITECTURE_KEYS:
        if key not in document:
            raise CheckpointError(
                f"{path}: the key {key!r} is missing; it must be {_describe(hints[key])} and shapes the weights: add "
                f"the value they were trained with, or {SAVE_AGAIN}"
            )
    for key, value in document.items():
        if key not in hints:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise CheckpointError(
                f"{path}: unknown key {key!r}; {hint}remove or rename it (MHDFConfig has no such field)"
            )
        if not _matches(value, hints[key]):
            raise CheckpointError(
                f"{path}: the key {key!r} must be {_describe(hints[key])}, got {json.dumps(value)[:60]}; correct it, "
                f"or {SAVE_AGAIN}"
            )
    try:
        return MHDFConfig(**document)
    except ValueError as error:
        raise CheckpointError(f"{path}: {one_line(error)}; correct it, or {SAVE_AGAIN}") from None


def load_model(folder: str | Path, map_location: str = "cpu") -> MHDFNet:
    """The model of a checkpoint folder: config.json checked by `read_model_config`, then the weights, checked
    against it. Raises CheckpointError naming the file that is broken and what to do."""
    folder = Path(folder)
    config = read_model_config(folder)
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights}: missing; copy the weights saved with {CONFIG_NAME} into {folder}")
    try:
        return MHDFNet.from_pretrained(str(folder), config=config, map_location=map_location)
    except SafetensorError as error:
        raise CheckpointError(
            f"{weights}: not a readable safetensors file ({one_line(error)}); it is truncated or corrupt: copy or "
            "download it again (in a Git clone, `git lfs pull`)"
        ) from None
    except ValueError as error:  # `MHDFNet._from_pretrained`: tensors that do not fit the model of config.json
        raise CheckpointError(
            f"{one_line(error)}; put the {CONFIG_NAME} saved with these weights beside them"
        ) from None


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
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path}: not valid JSON ({error}); {SAVE_AGAIN}") from None


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
    image: Path | dict[str, Path]  # the photo; for a checkpoint with several views, the photo of each view by name
    metadata: dict[str, Any]  # the clinical record as written in the JSON file
    label: str | None  # the true class, when known

    @property
    def title(self) -> str:
        """How the case is listed: "bcc_1 (true class BCC)"."""
        return f"{self.name} (true class {self.label})" if self.label else self.name

    @property
    def photo_files(self) -> list[Path]:
        """Every photo file of the case (one, or one per view)."""
        return list(self.image.values()) if isinstance(self.image, dict) else [self.image]


EXAMPLE_LAYOUT = '{"image": "<file>" or "images": {"<view>": "<file>", ...}, "metadata": {...}, "label": "<class>"}'


def _example_photos(path: Path, document: dict[str, Any]) -> Path | dict[str, Path]:
    """The photo file (or the photo file of each view) that an example's JSON names, each checked to exist."""
    named = document.get("images") if "images" in document else document.get("image")
    single = isinstance(named, str)
    files = {"image": named} if single else named
    if not isinstance(files, dict) or not files or not all(isinstance(f, str) for f in [*files, *files.values()]):
        raise ValueError(f"{path}: expected {EXAMPLE_LAYOUT}")
    photos = {view: path.parent / name for view, name in files.items()}
    root = path.parent.resolve()
    if outside := [name for name in files.values() if not (path.parent / name).resolve().is_relative_to(root)]:
        raise ValueError(f"{path}: its image {outside[0]} lies outside {path.parent}")
    if missing := [photo.name for photo in photos.values() if not photo.is_file()]:
        raise ValueError(f"{path}: its image {missing[0]} is missing")
    return photos["image"] if single else photos


def read_example(path: Path, schema: MetadataSchema, views: Sequence[str] | None = None) -> ExampleCase:
    """One `<name>.json` -> ExampleCase; raises ValueError naming the file and what is wrong with it. `views`: the
    checkpoint's photo views, checked when given: with several, the example names photos of some of them as
    "images"; with one (or none), a single "image"."""
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected {EXAMPLE_LAYOUT}")
    image = _example_photos(path, document)
    if views is not None and len(views) > 1 and not (isinstance(image, dict) and set(image) <= set(views)):
        raise ValueError(f'{path}: expected "images" naming photos of the views {", ".join(views)}')
    if views is not None and len(views) <= 1 and isinstance(image, dict):
        raise ValueError(f'{path}: this checkpoint reads one photo per case: name it as "image"')
    metadata = document.get("metadata") or {}
    try:
        schema.normalize(metadata)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    label = document.get("label")
    if label is not None and label not in schema.classes:
        raise ValueError(f"{path}: label {label!r} is not one of {', '.join(schema.classes)}")
    return ExampleCase(name=path.stem, image=image, metadata=dict(metadata), label=label)


def read_examples(folder: str | Path, schema: MetadataSchema, views: Sequence[str] | None = None) -> list[ExampleCase]:
    """The example cases of a checkpoint folder, sorted by name; none when it has no `examples/`. `views`: see
    `read_example`."""
    examples = Path(folder) / EXAMPLES_DIR
    if not examples.is_dir():
        return []
    return [read_example(path, schema, views) for path in sorted(examples.glob("*.json"))]


def write_example(
    folder: str | Path,
    name: str,
    image: str | Path | Mapping[str, str | Path],
    metadata: dict[str, Any],
    label: str | None,
    source_id: str | None = None,
) -> ExampleCase:
    """Copy `image` into the checkpoint's `examples/` as `<name><suffix>` beside its `<name>.json`, which names the
    image's id in its dataset (`img_id`) when `source_id` is given, so a reader can find the original. A case with
    several photo views passes {view: file}, each copied as `<name>_<view><suffix>`."""
    examples = Path(folder) / EXAMPLES_DIR
    examples.mkdir(parents=True, exist_ok=True)
    several = isinstance(image, Mapping)
    sources = {view: Path(file) for view, file in image.items()} if several else {"image": Path(image)}
    files = {view: f"{name}{'_' + view if several else ''}{source.suffix}" for view, source in sources.items()}
    for view, source in sources.items():
        shutil.copyfile(source, examples / files[view])
    document = {"images": files} if several else {"image": files["image"]}
    document |= {"metadata": metadata, "label": label} | ({"img_id": source_id} if source_id else {})
    _write_json(examples / f"{name}.json", document)
    written = {view: examples / file for view, file in files.items()}
    return ExampleCase(name, written if several else written["image"], metadata, label)


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


def _read_trust_file(path: Path, read: Callable[[], T]) -> T:
    """`read()` of one trust file, whatever breaks in it (bad JSON, a missing or extra key, a truncated statistics
    file) reported as a CheckpointError naming the file."""
    try:
        return read()
    except (ValueError, TypeError, KeyError, IndexError, OSError, SafetensorError) as error:
        reason = f"the key {error} is missing" if isinstance(error, KeyError) else one_line(error)
        raise CheckpointError(
            f"{path}: cannot be read ({reason}); fit it again with `python -m training.trust --run RUN`, or delete "
            "the calibration, conformal and ood files to serve without them"
        ) from None


def _read_ood(folder: Path) -> MahalanobisOOD:
    summary_path, statistics_path = folder / OOD_NAME, folder / OOD_STATISTICS_NAME
    summary = _read_trust_file(summary_path, lambda: json.loads(summary_path.read_text()))
    keys = ("stage_thresholds", "acceptance", "num_samples", "feature")
    thresholds, acceptance, num_samples, feature = _read_trust_file(summary_path, lambda: [summary[k] for k in keys])
    statistics = _read_trust_file(statistics_path, lambda: safetensors.numpy.load_file(statistics_path))
    stages = _read_trust_file(
        statistics_path,
        lambda: [
            StageMahalanobis(
                statistics[f"stage{index}.means"].astype(np.float64),
                statistics[f"stage{index}.precision"].astype(np.float64),
                threshold,
            )
            for index, threshold in enumerate(thresholds)
        ],
    )
    return MahalanobisOOD(stages, acceptance, num_samples, feature)


def read_trust(folder: str | Path) -> TrustFiles:
    """The calibration, conformal and out-of-distribution files of a checkpoint; None for each one it lacks.
    Raises CheckpointError for one that is present but cannot be read."""
    folder = Path(folder)
    trust = TrustFiles()
    if (path := folder / CALIBRATION_NAME).is_file():
        trust.calibration = _read_trust_file(path, lambda: TemperatureScaling(**json.loads(path.read_text())))
    if (path := folder / CONFORMAL_NAME).is_file():
        trust.conformal = _read_trust_file(path, lambda: ConformalSets(**json.loads(path.read_text())))
    if (folder / OOD_NAME).is_file():
        trust.ood = _read_ood(folder)
    return trust


def read_similar_cases(folder: str | Path) -> SimilarCaseIndex | None:
    """The similar-case index of a checkpoint (or evaluation) folder, or None when it has none."""
    path = Path(folder) / SIMILAR_CASES_NAME
    return SimilarCaseIndex.load(path) if path.is_file() else None


def write_similar_cases(folder: str | Path, index: SimilarCaseIndex) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    index.save(Path(folder) / SIMILAR_CASES_NAME)
