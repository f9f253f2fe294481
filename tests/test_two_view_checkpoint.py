"""The bundled two-photo checkpoint `assets/demo-two-views/` (`python -m training.make_two_view_demo`): its card's
claim that both photos beat each photo alone, checked again from the regenerated test split through batch
prediction with `image_<view>` columns, its examples, and `python app.py --checkpoint assets/demo-two-views`."""

import json
import statistics

import numpy as np
import pandas as pd
import pytest
from gradio_client import Client, handle_file
from sklearn.metrics import balanced_accuracy_score

from mhdf.app.texts import banner, translate
from mhdf.inference import Predictor
from mhdf.inference.batch import BatchPredictor
from mhdf.inference.checkpoint import read_examples
from tests.helpers import TWO_VIEW_DEMO, running_app
from training.synthetic.paired import LOOKS, generate_pairs

VIEWS = ["clinical", "dermoscopic"]
BOTH = "clinical+dermoscopic"
CARD = json.loads((TWO_VIEW_DEMO / "model_card.json").read_text())


@pytest.fixture(scope="module")
def two_views():
    return Predictor.from_pretrained(TWO_VIEW_DEMO, device="cpu")


def test_the_card_shows_both_photos_beat_each_photo_alone_over_three_seeds():
    scores = CARD["photo_views"]
    assert len(scores["per_seed"]) >= 3 and CARD["evaluation"]["num_test_cases"] >= 400
    for views in (BOTH, *VIEWS):
        assert scores["median"][views] == statistics.median(s[views] for s in scores["per_seed"].values())
    for view in VIEWS:
        assert scores["median"][BOTH] >= scores["median"][view] + 0.05, view
    assert CARD["synthetic_data"] is True and "synthetic" in CARD["not_for_clinical_use"]


def test_every_example_has_both_photos_and_either_may_be_left_out(two_views):
    examples = read_examples(TWO_VIEW_DEMO, two_views.schema)
    assert {example.label for example in examples} == set(two_views.schema.classes)
    for example in examples:
        assert sorted(example.image) == VIEWS
        both = two_views.predict(example.image, example.metadata)
        assert both.missing_photos == [] and not both.own_photo  # the examples are the checkpoint's own photos
        for missing in VIEWS:
            kept = {view: path for view, path in example.image.items() if view != missing}
            assert two_views.predict(kept, example.metadata).missing_photos == [missing]


@pytest.mark.slow
def test_the_cards_scores_come_back_from_the_regenerated_test_split(two_views, tmp_path):
    """The bundled seed's balanced accuracy with both photos and with each alone, recomputed from the synthetic
    pairs drawn again with the card's generator settings, through `mhdf-predict --csv` with empty photo cells."""
    synthetic = CARD["synthetic"]
    data = tmp_path / "pairs"
    table = generate_pairs(data, synthetic["cases"], seed=synthetic["seed"], image_size=synthetic["image_size"])
    test = table.iloc[pd.read_csv(data / "meta" / "test_indexes.csv")["indexes"]]
    cases = test[["clinic", "derm", *two_views.schema.field_names]].rename(
        columns={"clinic": "image_clinical", "derm": "image_dermoscopic"}
    )
    truth = test["diagnosis"].map({diagnosis: cls for cls, (_, diagnosis) in LOOKS.items()}).to_numpy()
    bundled = CARD["photo_views"]["per_seed"][str(CARD["training"]["bundled_seed"])]
    for name, blank in ((BOTH, None), ("clinical", "image_dermoscopic"), ("dermoscopic", "image_clinical")):
        rows = cases.assign(**{blank: ""}) if blank else cases
        rows.to_csv(tmp_path / f"{name}.csv", index=False)
        BatchPredictor(two_views, data / "images").predict_csv(tmp_path / f"{name}.csv", tmp_path / f"{name}.out.csv")
        predicted = pd.read_csv(tmp_path / f"{name}.out.csv", keep_default_na=False)
        assert (predicted["error"] == "").all()
        score = balanced_accuracy_score(truth, predicted["prediction"].to_numpy())
        assert score == pytest.approx(bundled[name], abs=0.01), name


@pytest.mark.slow
def test_the_app_serves_the_two_view_checkpoint(two_views, tmp_path):
    """`python app.py --checkpoint assets/demo-two-views`: /predict takes the photos by view name, either left out."""
    (example, *_) = read_examples(TWO_VIEW_DEMO, two_views.schema)
    with running_app(tmp_path, TWO_VIEW_DEMO) as app:
        client = Client(app.url, verbose=False)
        for photos in (example.image, {"dermoscopic": example.image["dermoscopic"]}):
            files = {view: handle_file(str(path)) for view, path in photos.items()}
            document = client.predict(files, example.metadata, api_name="/predict")
            assert document["photos"] == {view: view in photos for view in VIEWS}
            assert np.isclose(sum(document["probabilities"].values()), 1.0)
            expected = two_views.predict(photos, example.metadata).probabilities
            assert np.allclose(list(document["probabilities"].values()), expected, atol=1e-5)


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_the_banner_says_the_photo_pairs_are_synthetic_in_the_visitors_language(two_views, lang):
    text = banner(two_views, lang)
    expected = translate(lang, "trained_on.synthetic_pairs", cases=1400, schema="Derm7pt", test_cases=420)
    assert expected in text and translate(lang, "synthetic_warning") in text
