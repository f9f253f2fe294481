"""A checkpoint folder as the demo uses it: the weights, plus the optional `model_card.json`, `routing_atlas.json`
(written by `training.evaluate`) and example cases `examples/<name>.png` + `<name>.json` =
`{"image": "<name>.png", "metadata": {...}, "label": "BCC"}`. A Hub repo id is downloaded once into the local
Hugging Face cache, so the same files are read either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import snapshot_download

from mhdf.inference import resolve_checkpoint
from mhdf.metadata import MetadataSchema

EXAMPLES_DIR = "examples"
ROUTING_ATLAS_NAME = "routing_atlas.json"


def checkpoint_folder(path_or_hub_id: str | Path) -> Path:
    """A local checkpoint folder (or run folder holding `best/`), or a Hub repo id downloaded to the cache."""
    source = resolve_checkpoint(path_or_hub_id)
    return Path(source) if Path(source).is_dir() else Path(snapshot_download(source))


def load_routing_atlas(checkpoint_dir: str | Path) -> dict[str, Any] | None:
    """The checkpoint's routing atlas, or None when it has none."""
    path = Path(checkpoint_dir) / ROUTING_ATLAS_NAME
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None


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


def load_example(path: Path, schema: MetadataSchema) -> ExampleCase:
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


def load_examples(checkpoint_dir: str | Path, schema: MetadataSchema) -> list[ExampleCase]:
    """The example cases of a checkpoint folder, sorted by name; none when it has no `examples/`."""
    folder = Path(checkpoint_dir) / EXAMPLES_DIR
    if not folder.is_dir():
        return []
    return [load_example(path, schema) for path in sorted(folder.glob("*.json"))]
