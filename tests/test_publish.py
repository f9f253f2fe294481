"""`python -m training.publish`: the Hub-ready folder of a trained run, its model card, the licence rule for example
photos, serving the folder, and the one-line error when the Hub cannot be reached."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import numpy as np
import pandas as pd
import pytest
import yaml
from huggingface_hub import ModelCard

from mhdf.inference import Predictor
from mhdf.inference.checkpoint import (
    MODEL_FILES,
    TRUST_FILES,
    read_examples,
    read_routing_atlas,
    read_similar_cases,
)
from tests.helpers import ROOT, evaluate_tiny, free_port, running_app, train_tiny, write_derm7pt
from training import publish
from training.data.licenses import PAD_UFES_20_LICENSE
from training.data.registry import SOURCES
from training.run_folder import EvalFolder, RunFolder

REPO = "someone/mhdf-tiny"


@pytest.fixture(scope="module")
def evaluation(trained_run, synthetic_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    evaluate_tiny(RunFolder(trained_run).best, synthetic_data, out)
    return out


@pytest.fixture(scope="module")
def published(trained_run, evaluation, tmp_path_factory):
    """The dry-run folder of the tiny run, with its evaluation and example photos."""
    out = tmp_path_factory.mktemp("publish") / "repo"
    argv = [str(trained_run), "--repo", REPO, "--license", "apache-2.0", "--eval", str(evaluation), "--examples"]
    publish.main(publish.get_args_parser().parse_args([*argv, "--dry-run", str(out)]))
    return out


def test_the_folder_holds_the_checkpoint_trust_files_atlas_evaluation_and_examples(published, trained_run, evaluation):
    best = RunFolder(trained_run).best
    for name in (*MODEL_FILES, *TRUST_FILES):
        assert (published / name).read_bytes() == (best / name).read_bytes(), name
    assert read_routing_atlas(published) == read_routing_atlas(evaluation)
    tables = {path.name for path in (published / publish.EVALUATION_DIR).iterdir()}
    assert {"metrics.json", "predictions.csv", "confusion_matrix.png"} <= tables

    metrics = json.loads(EvalFolder(evaluation).metrics.read_text())
    card = json.loads((published / "model_card.json").read_text())
    assert card["metrics"]["mhdf"]["balanced_accuracy"] == metrics["balanced_accuracy"]
    assert card["subgroups"] == metrics["subgroups"] and card["license"] == "apache-2.0"

    predictor = Predictor.from_pretrained(published, device="cpu")
    examples = read_examples(published, predictor.schema)
    held_out = pd.read_csv(EvalFolder(evaluation).predictions)
    assert [case.label for case in examples] == sorted(set(held_out["label"]))  # one held-out case per class
    # the similar-case index shows the evaluated photos as thumbnails: it comes with --examples, and only then
    index, evaluated = read_similar_cases(published), read_similar_cases(evaluation)
    assert index.cases == evaluated.cases and index.thumbnails == evaluated.thumbnails
    np.testing.assert_array_equal(index.features, evaluated.features)
    assert card["examples"] == [case.name for case in examples]
    original = Predictor.from_pretrained(trained_run, device="cpu")
    for case in examples:
        served = predictor.predict(case.image, case.metadata)
        np.testing.assert_allclose(served.probabilities, original.predict(case.image, case.metadata).probabilities)
        assert served.prediction_set is not None and served.ood is not None  # the trust files came along


def test_the_model_card_has_hub_metadata_and_says_what_the_model_is_for(published, evaluation):
    text = (published / "README.md").read_text()
    front_matter = yaml.safe_load(text.split("---\n")[1])
    card = ModelCard.load(published / "README.md")
    assert card.data.to_dict() == front_matter
    assert front_matter["license"] == "apache-2.0" and front_matter["library_name"] == "mhdf-net"
    assert front_matter["datasets"] == ["pad-ufes-20"] and front_matter["pipeline_tag"] == "image-classification"
    assert {"dermatology", "medical", "synthetic-data", "not-for-clinical-use"} <= set(front_matter["tags"])
    metrics = json.loads(EvalFolder(evaluation).metrics.read_text())
    results = {result.metric_type: result.metric_value for result in card.data.eval_results}
    assert set(results) == set(front_matter["metrics"]) >= {"accuracy", "balanced_accuracy", "f1", "roc_auc"}
    assert results["balanced_accuracy"] == pytest.approx(metrics["balanced_accuracy"], abs=1e-4)
    assert results["f1"] == pytest.approx(metrics["macro_f1"], abs=1e-4)
    body = card.text
    for heading in ("## Intended use", "## Training data", "## Evaluation", "## Example cases"):
        assert heading in body
    assert "Not a medical device" in body and "Synthetic-data weights" in body
    assert PAD_UFES_20_LICENSE.url in body and PAD_UFES_20_LICENSE.citation in body  # the examples' licence
    assert f"{metrics['balanced_accuracy']:.4f}" in body and REPO in body


def test_without_examples_no_photo_is_copied(trained_run, tmp_path):
    out = tmp_path / "repo"
    publish.assemble(trained_run, out, REPO, "mit")
    assert not (out / "examples").exists() and "examples" not in json.loads((out / "model_card.json").read_text())
    assert read_similar_cases(out) is None
    assert ModelCard.load(out / "README.md").data.license == "mit"
    with pytest.raises(ValueError, match="not empty"):
        publish.assemble(trained_run, out, REPO, "mit")


def test_examples_from_a_dataset_that_forbids_redistribution_are_refused(tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    train_tiny(release, tmp_path / "run", "--epochs", "1", dataset="derm7pt")
    with pytest.raises(ValueError, match="licence"):
        publish.assemble(tmp_path / "run", tmp_path / "refused", REPO, "apache-2.0", examples=True)
    assert not (tmp_path / "refused").exists()
    publish.assemble(tmp_path / "run", tmp_path / "allowed", REPO, "apache-2.0")
    card = ModelCard.load(tmp_path / "allowed" / "README.md")
    assert card.data.datasets == ["derm7pt"] and "no photo of the training data" in card.text


@pytest.mark.parametrize("dataset", sorted(SOURCES))
def test_a_run_of_every_loader_publishes_with_its_licence(trained_run, tmp_path, dataset):
    """The one registry of loaders is the one publish reads: a run of any --dataset gets a card naming it and its
    licence, and example photos only where that licence allows copying them."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    args = RunFolder(run).args
    args.write_text(json.dumps({**json.loads(args.read_text()), "dataset": dataset}))
    license = SOURCES[dataset].license
    if not license.redistributable:
        with pytest.raises(ValueError, match=f"photos of {dataset}, whose licence"):
            publish.assemble(run, tmp_path / "refused", REPO, "apache-2.0", examples=True)
    publish.assemble(run, tmp_path / "repo", REPO, "apache-2.0")
    card = ModelCard.load(tmp_path / "repo" / "README.md")
    assert card.data.datasets == [dataset] and license.citation in card.text


@pytest.mark.slow
def test_the_app_serves_the_published_folder(published, tmp_path):
    with running_app(tmp_path, checkpoint=published) as app:
        with urllib.request.urlopen(app.url + "config", timeout=30) as response:
            config = response.read().decode()
        assert REPO in config and "Routing atlas" in config  # the card's name and the atlas of the folder


@pytest.mark.slow
def test_an_unreachable_hub_is_a_one_line_error(trained_run):
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_TOKEN": "hf_x"}
    command = [sys.executable, "-m", "training.publish", str(trained_run), "--repo", REPO, "--license", "mit"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: could not upload")
    assert REPO in result.stderr
