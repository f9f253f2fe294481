"""The checkpoint bundle the demo reads: example cases, routing atlas, checkpoint folder resolution."""

import json
import shutil
from pathlib import Path

import pytest

from mhdf.bundle import checkpoint_folder, load_example, load_examples, load_routing_atlas
from mhdf.metadata import PAD_UFES_20

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo"


def test_bundled_examples_load_and_cover_every_class():
    examples = load_examples(DEMO, PAD_UFES_20)
    assert {e.label for e in examples} == set(PAD_UFES_20.classes)
    assert [e.name for e in examples] == sorted(e.name for e in examples)
    for example in examples:
        assert example.image.is_file()
        assert example.title == f"{example.name} (true class {example.label})"


def test_bundled_routing_atlas():
    atlas = load_routing_atlas(DEMO)
    assert atlas["classes"] == list(PAD_UFES_20.classes)
    assert {"lc_gate", "gm_gate", "expert_utilisation", "gate_entropy"} <= set(atlas)


def write_case(folder: Path, name: str, document) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / "examples" / "ack_1.png", folder / f"{name}.png")
    path = folder / f"{name}.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not a readable JSON file"),
        ({"metadata": {}}, 'expected {"image"'),
        ({"image": "missing.png", "metadata": {}}, "its image missing.png is missing"),
        ({"image": "case.png", "metadata": {"age": -4}}, "age: -4 is out of range"),
        ({"image": "case.png", "metadata": {}, "label": "XYZ"}, "label 'XYZ' is not one of"),
    ],
)
def test_bad_example_files_are_named(tmp_path, document, message):
    path = write_case(tmp_path / "examples", "case", document)
    with pytest.raises(ValueError, match=message) as error:
        load_example(path, PAD_UFES_20)
    assert str(path) in str(error.value)


def test_example_without_label_or_metadata(tmp_path):
    write_case(tmp_path / "examples", "case", {"image": "case.png"})
    (example,) = load_examples(tmp_path, PAD_UFES_20)
    assert example.metadata == {} and example.label is None and example.title == "case"


def test_checkpoint_without_extras(tmp_path):
    assert load_examples(tmp_path, PAD_UFES_20) == []
    assert load_routing_atlas(tmp_path) is None
    (tmp_path / "routing_atlas.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_routing_atlas(tmp_path)


def test_checkpoint_folder_resolves_run_folders(tmp_path):
    assert checkpoint_folder(DEMO) == DEMO
    (tmp_path / "best").mkdir()
    shutil.copy(DEMO / "config.json", tmp_path / "best" / "config.json")
    assert checkpoint_folder(tmp_path) == tmp_path / "best"
    with pytest.raises(ValueError, match="no checkpoint folder"):
        checkpoint_folder(tmp_path / "nowhere")
