"""One epoch on every new layout; `Predictor` loads the checkpoint, and the app's form has the schema's fields."""

import json
import urllib.request

import pytest
import yaml

from mhdf.app.form import form_fields
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import read_model_card
from tests.helpers import (
    running_app,
    train_tiny,
    write_clinic,
    write_ham10000,
    write_isic_2019,
    write_isic_2020,
    write_isic_archive,
)
from training import evaluate
from training.data.registry import load_source

LAYOUTS = {
    "isic-2019": (write_isic_2019, []),
    "isic-2020": (write_isic_2020, ["--isic-2020-task", "diagnosis", "--min-class-size", "3"]),
    "ham10000": (write_ham10000, []),
    "isic-archive": (write_isic_archive, []),
    "csv": (write_clinic, ["--schema", "{root}/clinic.yaml"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", sorted(LAYOUTS))
def test_one_epoch_per_layout_gives_a_checkpoint_the_predictor_and_form_read(tmp_path, dataset):
    writer, options = LAYOUTS[dataset]
    root = writer(tmp_path / "data")
    options = [option.format(root=root) for option in options]
    run = tmp_path / "run"
    train_tiny(root, run, "--epochs", "1", "--num-folds", "3", "--val-fraction", "0.3", *options, dataset=dataset)
    predictor = Predictor.from_pretrained(run / "best", device="cpu")
    source = load_source(dataset, root, **({"schema": root / "clinic.yaml"} if dataset == "csv" else {}),
                         **({"task": "diagnosis", "min_class_size": 3} if dataset == "isic-2020" else {}))  # fmt: skip
    assert predictor.schema == source.schema and list(predictor.config.class_names) == list(source.classes)
    assert [field.name for field in form_fields(predictor.schema)] == source.schema.field_names
    labels = [field.label for field in form_fields(predictor.schema)]
    assert all(label.startswith(spec.label) for label, spec in zip(labels, source.schema.fields, strict=True))
    sample = source.samples[0]
    prediction = predictor.predict(sample.image_path, {})
    assert prediction.prediction in source.classes
    # the evaluation of the run's test fold reads the same layout and options
    out = tmp_path / "eval"
    argv = ["--checkpoint", str(run), "--data", str(root), "--dataset", dataset, "--out", str(out), "--device", "cpu",
            "--workers", "0", *options]  # fmt: skip
    evaluate.main(evaluate.get_args_parser().parse_args(argv))
    assert (out / "metrics.json").is_file()


@pytest.mark.slow
def test_a_leaky_schema_trains_only_when_allowed_and_the_model_card_records_it(tmp_path):
    root = write_clinic(tmp_path / "data")
    spec = yaml.safe_load((root / "clinic.yaml").read_text())
    spec["fields"].append({"name": "biopsied", "kind": "boolean", "values": ["False", "True"],
                           "aliases": {"no": "False", "yes": "True"}})  # fmt: skip
    spec["allow_leaky"] = True
    schema = root / "leaky.yaml"
    schema.write_text(yaml.safe_dump(spec))
    run = tmp_path / "run"
    with pytest.warns(UserWarning, match="allow_leaky"):
        train_tiny(root, run, "--epochs", "1", "--num-folds", "3", "--schema", str(schema), dataset="csv")
    card = read_model_card(run / "best")
    assert "biopsied" in card["leaky_inputs"]
    assert "allow_leaky" in Predictor.from_pretrained(run / "best", device="cpu").config.training_data


@pytest.mark.slow
def test_the_app_renders_the_form_of_a_checkpoint_trained_on_a_schema_file(tmp_path):
    root = write_clinic(tmp_path / "data")
    run = tmp_path / "run"
    train_tiny(root, run, "--epochs", "1", "--num-folds", "3", "--schema", str(root / "clinic.yaml"), dataset="csv")
    with running_app(tmp_path / "app", checkpoint=run / "best") as app:
        config = json.loads(urllib.request.urlopen(app.url + "config", timeout=30).read())
    labels = {component.get("props", {}).get("label") for component in config["components"]}
    assert {"Body site", "Smoker"} <= labels and any(str(label).startswith("Age") for label in labels)
    assert "Body region" not in labels  # PAD-UFES-20's form is not shown
