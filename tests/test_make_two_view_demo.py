"""`python -m training.make_two_view_demo` end to end at a reduced size: two seeds of one epoch each on a few
synthetic pairs, the checkpoint folder complete, the card's scores those of the evaluations, and a kept --work
folder reused."""

import json
import shlex
import statistics

import pandas as pd
import pytest

from mhdf.inference import Predictor
from mhdf.inference.checkpoint import MODEL_FILES, TRUST_FILES, read_examples
from training import make_two_view_demo
from training.run_folder import EvalFolder

VIEWS = ["clinical", "dermoscopic"]


@pytest.mark.slow
def test_make_two_view_demo_builds_a_checkpoint_whose_card_reports_every_seed(tmp_path):
    out, work = tmp_path / "demo", tmp_path / "work"
    argv = ["--out", str(out), "--work", str(work), "--n", "60", "--size", "48", "--epochs", "2", "--seeds", "0", "1"]
    make_two_view_demo.main(make_two_view_demo.get_args_parser().parse_args(argv))

    for name in (*MODEL_FILES, *TRUST_FILES, "model_card.json", "routing_atlas.json"):
        assert (out / name).is_file(), name
    assert not (out / "similar_cases.safetensors").exists()  # the app's similar cases read one photo per case
    card = json.loads((out / "model_card.json").read_text())
    assert card["synthetic_data"] is True and "Not for clinical use" in card["not_for_clinical_use"]
    assert card["image_views"] == VIEWS and card["seeds_run_before"] == []
    assert card["command"].startswith("python -m training.make_two_view_demo ")
    rebuilt = make_two_view_demo.get_args_parser().parse_args(shlex.split(card["command"])[3:])
    assert vars(rebuilt) == vars(make_two_view_demo.get_args_parser().parse_args(argv)) | {"work": None}
    scores = card["photo_views"]
    for seed in ("0", "1"):
        evaluated = json.loads(EvalFolder(work / "eval" / f"seed{seed}").metrics.read_text())["photo_views"]
        assert scores["per_seed"][seed] == {views: result["balanced_accuracy"] for views, result in evaluated.items()}
    for views in ("clinical+dermoscopic", *VIEWS):
        assert scores["median"][views] == statistics.median(s[views] for s in scores["per_seed"].values())
    single = max(scores["median"][view] for view in VIEWS)
    assert scores["gain_over_best_single_photo"] == pytest.approx(scores["median"]["clinical+dermoscopic"] - single)
    # the lower middle of two seeds: the one with the lower both-photo score
    both = {seed: scores["per_seed"][seed]["clinical+dermoscopic"] for seed in ("0", "1")}
    assert str(card["training"]["bundled_seed"]) == min(both, key=lambda seed: (both[seed], seed))
    test_cases = len(pd.read_csv(work / "data" / "meta" / "test_indexes.csv"))  # the official test split
    assert card["evaluation"]["num_test_cases"] == test_cases == card["metrics"]["mhdf"]["num_samples"]

    predictor = Predictor.from_pretrained(out, device="cpu")
    assert predictor.views == VIEWS and predictor.synthetic_photos
    examples = read_examples(out, predictor.schema)
    assert len(examples) == len(predictor.schema.classes)
    for example in examples:
        assert sorted(example.image) == VIEWS
        prediction = predictor.predict({"clinical": example.image["clinical"]}, example.metadata)
        assert prediction.missing_photos == ["dermoscopic"]

    # a second build over the same --work folder reuses both seeds' runs
    again = tmp_path / "again"
    argv[1] = str(again)
    make_two_view_demo.main(make_two_view_demo.get_args_parser().parse_args(argv))
    card_again = json.loads((again / "model_card.json").read_text())
    assert card_again["seeds_run_before"] == [0, 1] and card_again["photo_views"] == scores
