"""The bundled demo checkpoint (assets/demo), trained on real PAD-UFES-20 photos: small, honest about its data, with
real example photos, and served by the app as a real-photo model. Checks that need the photos themselves read
`../shared/data/pad-ufes-20-photos` and are skipped, naming that folder, where it is absent."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mhdf import MHDFNet
from mhdf.app.lesson import run_step
from mhdf.app.session import load_session
from mhdf.app.texts import banner, real_model_notice, result_note
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_examples, read_trust
from tests.helpers import ROOT
from training.data.pad_ufes_20 import HELDOUT_PATIENTS, PAD_UFES_20_METADATA, PadUfes20

DEMO = DEFAULT_CHECKPOINT
MAX_WEIGHTS_BYTES = 25 * 2**20
SHARED_PHOTOS = ROOT.parent / "shared" / "data" / "pad-ufes-20-photos"
needs_shared_photos = pytest.mark.skipif(
    not (SHARED_PHOTOS / "metadata.csv").is_file(),
    reason=f"the real photos are not at {SHARED_PHOTOS} (the project's shared folder)",
)


@pytest.fixture(scope="module")
def card():
    return json.loads((DEMO / "model_card.json").read_text())


@pytest.fixture(scope="module")
def predictor():
    return Predictor.from_pretrained(DEMO, device="cpu")


def test_the_checkpoint_is_small_real_and_says_what_it_learnt_from(card):
    assert sum((DEMO / name).stat().st_size for name in ("config.json", "model.safetensors")) <= MAX_WEIGHTS_BYTES
    config = MHDFNet.from_pretrained(DEMO).config
    assert config.synthetic_data is False and card["synthetic_data"] is False
    data = card["data"]
    assert data["photos"] == sum(data["photos_per_class"].values()) and data["patients"] <= data["photos"]
    assert (
        "Brazil" in data["clinic"]
        and data["license"] == "CC BY 4.0"
        and "doi:10.17632/zr7vgbcyr2.1" in data["citation"]
    )
    assert "448 px" in data["changes"] and "not for clinical use" in card["not_for_clinical_use"].lower()
    # how few MEL and SCC photos there are, and what the held-out recall of each class rests on
    assert "MEL" in data["few_photos"] and "SCC" in data["few_photos"]
    assert set(card["recall_per_class"]) == set(config.class_names)
    assert sum(v["photos"] for v in card["recall_per_class"].values()) == card["metrics"]["mhdf"]["num_samples"]
    assert {"mhdf", "image-only", "meta-only", "logistic regression (clinical record)"} <= set(card["metrics"])
    assert card["command"].startswith("python -m training.make_demo --photos=")


def test_the_trust_files_were_fitted(card):
    trust = read_trust(DEMO)
    assert trust.calibration is not None and trust.conformal is not None and trust.ood is not None
    assert card["trust"]["calibration"]["temperature"] == pytest.approx(trust.calibration.temperature)


def test_the_examples_are_real_photos_one_per_class_named_by_their_img_id(predictor):
    table = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False).set_index("img_id")
    examples = read_examples(DEMO, predictor.schema)
    assert sorted(case.label for case in examples) == sorted(predictor.config.class_names)
    for case in examples:
        img_id = json.loads((DEMO / "examples" / f"{case.name}.json").read_text())["img_id"]
        row = table.loc[img_id]
        assert row["diagnostic"] == case.label
        assert all(row[field] == value for field, value in case.metadata.items()), case.name
        assert Image.open(case.image).size[0] >= 100  # a real photo, not a thumbnail


@needs_shared_photos
def test_the_examples_are_the_shared_photos_of_patients_outside_the_hidden_set(predictor):
    hidden = set((SHARED_PHOTOS / HELDOUT_PATIENTS).read_text().split())
    table = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False).set_index("img_id")
    for case in read_examples(DEMO, predictor.schema):
        img_id = json.loads((DEMO / "examples" / f"{case.name}.json").read_text())["img_id"]
        assert table.loc[img_id, "patient_id"] not in hidden
        original = np.asarray(Image.open(SHARED_PHOTOS / "images" / img_id).convert("RGB"))
        np.testing.assert_array_equal(np.asarray(Image.open(case.image).convert("RGB")), original)


@needs_shared_photos
def test_the_shared_folder_reads_as_photo_rows_without_the_hidden_patients(card):
    source = PadUfes20(SHARED_PHOTOS)
    assert len(source.samples) == card["data"]["photos"] and source.num_patients == card["data"]["patients"]
    assert len(source.clinical_only) == card["data"]["clinical_only_records"]
    hidden = set((SHARED_PHOTOS / HELDOUT_PATIENTS).read_text().split())
    assert len(hidden) == card["data"]["heldout_patients_dropped"]
    assert not {s.patient for s in (*source.samples, *source.clinical_only)} & hidden


def test_the_app_says_real_photos_credits_the_data_and_never_says_synthetic(predictor):
    for lang in ("en", "pt-BR"):
        text = banner(predictor, lang)
        assert "CC BY 4.0" in text and "Pacheco" in text and "doi:10.17632/zr7vgbcyr2.1" in text
        assert str(predictor.card["data"]["photos"]) in text
        assert "⚠️" not in text  # the synthetic-weights warning
    assert "Brazil" in banner(predictor, "en") and "Brasil" in banner(predictor, "pt-BR")
    assert "synthetic" not in result_note(predictor, "BCC", "en").lower()


def test_a_visitors_own_photo_gets_the_real_models_scope_and_an_example_does_not(predictor, tmp_path):
    example = read_examples(DEMO, predictor.schema)[0]
    assert real_model_notice(predictor.predict(example.image, example.metadata)) == ""
    own = tmp_path / "own.png"
    Image.open(example.image).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(own)
    prediction = predictor.predict(own, example.metadata)
    assert prediction.own_photo and prediction.to_dict()["uncertainty"]["own_photo"] is True
    assert "one clinic in Brazil" in real_model_notice(prediction, "en")
    assert "uma única clínica no Brasil" in real_model_notice(prediction, "pt-BR")


def test_the_guided_lesson_runs_on_the_synthetic_checkpoint_it_was_written_for(tmp_path):
    session = load_session(tmp_path, "20mb", DEMO, device="cpu")
    assert session.predictor.config.synthetic_data is False and session.lessons
    lesson = session.lessons[0]
    assert lesson.predictor.config.synthetic_data is True and lesson.predictor is not session.predictor
    run = run_step(lesson.predictor, lesson.steps[0])
    assert run.right in lesson.predictor.config.class_names  # the first step asks for the class
