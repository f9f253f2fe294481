"""The synthetic-model notice: a visitor's own photo on a synthetic-photo checkpoint is told that the answer says
nothing about it; the checkpoint's examples, compared by content however they arrive, are not."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from mhdf.app.texts import SYNTHETIC_MODEL_OWN_PHOTO, synthetic_model_notice
from mhdf.app.views import prediction_views
from mhdf.inference import Predictor
from tests.helpers import SYNTHETIC_CHECKPOINT

NOTICE = "This model was trained only on synthetic photos: its answer says nothing about your photo."


def own_photo(example, folder):
    """The example's photo with its middle changed: a photo the checkpoint did not ship."""
    pixels = np.asarray(Image.open(example.image).convert("RGB")).copy()
    h, w, _ = pixels.shape
    pixels[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3] = pixels[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3][:, ::-1]
    path = folder / "mine.png"
    Image.fromarray(pixels).save(path)
    return path


def test_the_notice_is_the_sentence_the_issue_names():
    assert SYNTHETIC_MODEL_OWN_PHOTO == NOTICE


def test_an_example_is_recognised_by_content_even_sent_as_a_renamed_file(predictor, examples, tmp_path):
    copy = tmp_path / "upload.png"
    shutil.copyfile(examples[0].image, copy)
    for source in (examples[0].image, copy, Image.open(examples[0].image)):
        prediction = predictor.predict(source, examples[0].metadata)
        assert prediction.synthetic_model_own_photo is False
        assert prediction.to_dict()["uncertainty"]["synthetic_model_own_photo"] is False
        assert synthetic_model_notice(prediction) == ""


def test_an_own_photo_on_the_synthetic_checkpoint_gets_the_notice_in_the_json_and_the_views(
    predictor, examples, tmp_path
):
    prediction = predictor.predict(own_photo(examples[0], tmp_path), examples[0].metadata)
    document = prediction.to_dict()
    assert document["uncertainty"]["synthetic_model_own_photo"] is True
    assert {"calibrated", "temperature", "prediction_set", "set_coverage", "ood"} <= set(document["uncertainty"])
    views = prediction_views(predictor, prediction, None)
    assert NOTICE in views["scope_notice"]
    before = views["scope_notice"].split(NOTICE, 1)[0]
    assert not any(character.isdigit() for character in before)  # before any number


@pytest.mark.parametrize(("synthetic", "expected"), [(None, None), (False, False), (True, True)])
def test_the_card_decides(tmp_path, examples, synthetic, expected):
    folder = tmp_path / "checkpoint"
    shutil.copytree(SYNTHETIC_CHECKPOINT, folder)
    card = json.loads((folder / "model_card.json").read_text())
    if synthetic is None:
        del card["synthetic_data"]
    else:
        card["synthetic_data"] = synthetic
    (folder / "model_card.json").write_text(json.dumps(card))
    predictor = Predictor.from_pretrained(folder, device="cpu")
    photo = own_photo(examples[0], tmp_path)
    assert predictor.predict(photo, {}).synthetic_model_own_photo is expected
    # a batch of records carries it for every row
    assert {p.synthetic_model_own_photo for p in predictor.predict_records(photo, [{}, {"age": 50}])} == {expected}
