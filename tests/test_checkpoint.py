"""The checkpoint bundle the demo reads: example cases, routing atlas, checkpoint folder resolution."""

import json
import shutil
from pathlib import Path

import pytest

from mhdf.inference.checkpoint import checkpoint_folder, read_example, read_examples, read_routing_atlas
from mhdf.metadata import PAD_UFES_20

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo-synthetic"


def test_bundled_examples_load_and_cover_every_class():
    examples = read_examples(DEMO, PAD_UFES_20)
    assert {e.label for e in examples} == set(PAD_UFES_20.classes)
    assert [e.name for e in examples] == sorted(e.name for e in examples)
    for example in examples:
        assert example.image.is_file()
        assert example.title == f"{example.name} (true class {example.label})"


def test_bundled_routing_atlas():
    atlas = read_routing_atlas(DEMO)
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
        ({"images": {}, "metadata": {}}, 'expected {"image"'),
        ({"images": {"clinical": 3}, "metadata": {}}, 'expected {"image"'),
        ({"images": {"clinical": "case.png", "dermoscopic": "derm.png"}}, "its image derm.png is missing"),
        ({"image": "../case.png"}, "its image ../case.png lies outside"),
        ({"images": {"clinical": "/etc/hostname"}}, "its image /etc/hostname lies outside"),
        ({"image": "missing.png", "metadata": {}}, "its image missing.png is missing"),
        ({"image": "case.png", "metadata": {"age": -4}}, "age: -4 is out of range"),
        ({"image": "case.png", "metadata": {}, "label": "XYZ"}, "label 'XYZ' is not one of"),
    ],
)
def test_bad_example_files_are_named(tmp_path, document, message):
    path = write_case(tmp_path / "examples", "case", document)
    with pytest.raises(ValueError, match=message) as error:
        read_example(path, PAD_UFES_20)
    assert str(path) in str(error.value)


def test_example_without_label_or_metadata(tmp_path):
    write_case(tmp_path / "examples", "case", {"image": "case.png"})
    (example,) = read_examples(tmp_path, PAD_UFES_20)
    assert example.metadata == {} and example.label is None and example.title == "case"


def test_checkpoint_without_extras(tmp_path):
    assert read_examples(tmp_path, PAD_UFES_20) == []
    assert read_routing_atlas(tmp_path) is None
    (tmp_path / "routing_atlas.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_routing_atlas(tmp_path)


def test_checkpoint_folder_resolves_run_folders(tmp_path):
    assert checkpoint_folder(DEMO) == DEMO
    (tmp_path / "best").mkdir()
    shutil.copy(DEMO / "config.json", tmp_path / "best" / "config.json")
    assert checkpoint_folder(tmp_path) == tmp_path / "best"
    with pytest.raises(ValueError, match="no checkpoint folder"):
        checkpoint_folder(tmp_path / "nowhere")


def test_writers_and_readers_round_trip(tmp_path):
    from mhdf.inference.checkpoint import (
        MODEL_FILES,
        TRUST_FILES,
        copy_model_files,
        read_config,
        read_model_card,
        read_trust,
        write_example,
        write_model_card,
        write_routing_atlas,
    )

    copy_model_files(DEMO, tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted([*MODEL_FILES, *TRUST_FILES])
    assert read_trust(tmp_path / "copy").ood is not None  # the trust files travel with the weights
    assert read_config(tmp_path / "copy") == json.loads((DEMO / "config.json").read_text())
    assert read_model_card(tmp_path / "copy") == {}
    card = {"name": "round trip", "metrics": {"mhdf": {"balanced_accuracy": 0.5}}}
    write_model_card(tmp_path / "copy", card)
    assert read_model_card(tmp_path / "copy") == card
    atlas = read_routing_atlas(DEMO)
    write_routing_atlas(tmp_path / "copy", atlas)
    assert read_routing_atlas(tmp_path / "copy") == atlas
    written = write_example(tmp_path / "copy", "case_7", DEMO / "examples" / "mel_1.png", {"age": "61"}, "MEL")
    (example,) = read_examples(tmp_path / "copy", PAD_UFES_20)
    assert example == written and example.image.read_bytes() == (DEMO / "examples" / "mel_1.png").read_bytes()


def test_a_case_with_several_photo_views_round_trips(tmp_path):
    from mhdf.inference.checkpoint import write_example

    photos = {"clinical": DEMO / "examples" / "ack_1.png", "dermoscopic": DEMO / "examples" / "mel_1.png"}
    written = write_example(tmp_path, "case_2", photos, {"age": "61"}, "MEL", source_id="IL_1")
    document = json.loads((tmp_path / "examples" / "case_2.json").read_text())
    assert document["images"] == {"clinical": "case_2_clinical.png", "dermoscopic": "case_2_dermoscopic.png"}
    (example,) = read_examples(tmp_path, PAD_UFES_20)
    assert example == written and set(example.image) == set(photos)
    assert [photo.read_bytes() for photo in example.photo_files] == [photo.read_bytes() for photo in photos.values()]


def test_example_photos_must_name_the_checkpoints_views(tmp_path):
    two = ["clinical", "dermoscopic"]
    one_photo = write_case(tmp_path / "one" / "examples", "case", {"image": "case.png"})
    with pytest.raises(ValueError, match='expected "images" naming photos of the views clinical, dermoscopic'):
        read_example(one_photo, PAD_UFES_20, two)
    other_view = write_case(tmp_path / "other" / "examples", "case", {"images": {"derm": "case.png"}})
    with pytest.raises(ValueError, match='expected "images" naming photos of the views'):
        read_example(other_view, PAD_UFES_20, two)
    with pytest.raises(ValueError, match='reads one photo per case: name it as "image"'):
        read_example(other_view, PAD_UFES_20, ["image"])
    assert read_example(one_photo, PAD_UFES_20, ["image"]).image.name == "case.png"
