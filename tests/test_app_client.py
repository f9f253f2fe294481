"""The launched demo through gradio_client: every example case, the /predict JSON contract, every error path,
unusual images, 20 concurrent calls, and nothing about a case in the server's output."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from mhdf.app.form import empty_form, form_from_record
from mhdf.app.texts import describe_overrides, importance_status
from mhdf.app.views import view_names
from mhdf.routing import RoutingOverrides
from tests.helpers import ROOT, SYNTHETIC_CHECKPOINT

pytestmark = pytest.mark.slow

# Distinctive values sent in error cases, searched for in the server's output at the end.
SECRET_REGION = "ATLANTIS"
SECRET_FILE = "patient-7f3a-lesion"


@pytest.fixture(scope="module")
def client(demo_app):
    return Client(demo_app.url, verbose=False, download_files=str(demo_app.log.parent / "downloads"))


def predict(client, image, metadata):
    return client.predict(image=handle_file(str(image)) if image else None, metadata=metadata, api_name="/predict")


def assert_same_document(actual, expected):
    """Equal JSON documents, floats to 1e-5 (the server and this process may order float sums differently)."""
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same_document(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same_document(a, e)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, abs=1e-5)
    else:
        assert actual == expected


def test_predict_returns_the_document_of_every_example(client, predictor, examples):
    assert len(examples) >= len(predictor.config.class_names)
    for example in examples:
        document = predict(client, example.image, example.metadata)
        expected = json.loads(json.dumps(predictor.predict(example.image, example.metadata).to_dict()))
        assert_same_document(document, expected)
        assert document["model"]["synthetic"] is True


def test_predict_matches_the_command_line(client, examples, tmp_path):
    example = examples[0]
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(example.metadata))
    command = [sys.executable, "-m", "mhdf.predict", str(example.image), "--meta", str(meta)]
    command += ["--checkpoint", str(SYNTHETIC_CHECKPOINT)]
    printed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert_same_document(predict(client, example.image, example.metadata), json.loads(printed))


def test_diagnose_renders_every_view_for_every_example(client, predictor, examples):
    schema = predictor.schema
    stages = predictor.config.num_fused_stages
    for example in examples:
        outputs = client.predict(
            handle_file(str(example.image)), *form_from_record(schema, example.metadata), api_name="/diagnose"
        )
        views = dict(zip(view_names(stages), outputs, strict=True))
        note, label, lc_gate, gm_gate = (views[name] for name in ("note", "probabilities", "lc_gate", "gm_gate"))
        contributions, gradcam, modality = views["contributions"], views["gradcam"], views["modality"]
        overlays = [views[f"tkca_image_{s}"] for s in range(1, stages + 1)]
        field_bars = [views[f"tkca_fields_{s}"] for s in range(1, stages + 1)]
        narrative = views["narrative"]
        expected = predictor.predict(example.image, example.metadata)
        code = expected.prediction
        assert label["label"] == f"{expected.class_labels[code]} ({code})"
        assert {c["label"] for c in label["confidences"]} == {
            f"{expected.class_labels[c]} ({c})" for c in expected.classes
        }
        assert "synthetic" in note and "not a medical device" in note
        lc_rows = np.array([row[2] for row in lc_gate["data"]]).reshape(stages, 2)
        np.testing.assert_allclose(lc_rows, expected.trace.lc_gate[0].numpy(), atol=1e-5)
        np.testing.assert_allclose([row[1] for row in gm_gate["data"]], expected.trace.gm_gate[0].numpy(), atol=1e-5)
        assert modality["type"] == "matplotlib" and modality["plot"].startswith("data:image/")
        cells = (predictor.config.experts + 2) * len(expected.classes)
        assert f"({code}) is outlined" in contributions and contributions.count("<td ") == cells
        for path in [*overlays, gradcam]:
            with Image.open(path) as image:
                assert image.size == (256, 256)
        for bars in field_bars:
            assert [row[0] for row in bars["data"]] == [spec.label for spec in schema.fields]
        assert "importance" not in views and "Compute field importance" in views["status"]  # on request
        assert f"({code})" in narrative


def test_field_importance_endpoint_streams_every_filled_field(client, predictor, examples):
    example = max(examples, key=lambda e: len(e.metadata))
    frame, status = client.predict(
        handle_file(str(example.image)), *form_from_record(predictor.schema, example.metadata),
        api_name="/field_importance",
    )  # fmt: skip
    assert status == importance_status(len(example.metadata), len(example.metadata))
    expected = diagnose_reference(predictor, example)
    assert [row[0] for row in frame["data"]] == [f"{f.label} = {f.value}" for f in expected]


def test_diagnose_reads_an_empty_form_as_all_unknown(client, predictor, examples):
    outputs = client.predict(handle_file(str(examples[0].image)), *empty_form(predictor.schema), api_name="/diagnose")
    views = dict(zip(view_names(predictor.config.num_fused_stages), outputs, strict=True))
    expected = predictor.predict(examples[0].image, {})
    confidences = {c["label"]: c["confidence"] for c in views["probabilities"]["confidences"]}
    for code, probability in zip(expected.classes, expected.probabilities, strict=True):
        assert confidences[f"{expected.class_labels[code]} ({code})"] == pytest.approx(float(probability), abs=1e-5)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_files")
    (folder / "empty.png").write_bytes(b"")
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    photo.save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    (folder / f"{SECRET_FILE}.png").write_bytes(whole[: len(whole) // 2])  # cut off mid-transfer
    (folder / "notes.jpg").write_text("these are clinic notes, not a photo")
    Image.new("1", (12_000, 12_000)).save(folder / "bomb.png")  # 144 MP of zeros in a few kB
    return folder


@pytest.mark.parametrize(
    ("file", "metadata", "message"),
    [
        (None, {}, "no image"),
        ("empty.png", {}, "empty"),
        (f"{SECRET_FILE}.png", {}, "corrupt or truncated"),
        ("notes.jpg", {}, "not an image format"),
        ("bomb.png", {}, "too large to decode safely"),
        ("example", {"age": -1}, "age: -1 is out of range"),
        ("example", {"age": 121}, "age: 121 is out of range"),
        ("example", {"diameter_1": -2.5}, "diameter_1: -2.5 is out of range"),
        ("example", {"region": SECRET_REGION}, f"region: '{SECRET_REGION}' is not allowed"),
        ("example", {"itch": "maybe"}, "itch: 'maybe' is not allowed"),
        ("example", {"colour": "red"}, "unknown PAD-UFES-20 field(s) 'colour'"),
        ("example", ["age", 60], "metadata must be a JSON object"),
    ],
)
def test_predict_errors_say_what_is_wrong(client, bad_files, examples, file, metadata, message):
    image = examples[0].image if file == "example" else bad_files / file if file else None
    with pytest.raises(AppError) as error:
        predict(client, image, metadata)
    assert message in str(error.value)


def test_diagnose_errors_say_what_is_wrong(client, predictor, examples, bad_files):
    schema = predictor.schema
    form = empty_form(schema)
    with pytest.raises(AppError, match="no lesion photo"):
        client.predict(None, *form, api_name="/diagnose")
    with pytest.raises(AppError, match="too large to decode safely"):
        client.predict(handle_file(str(bad_files / "bomb.png")), *form, api_name="/diagnose")
    form[schema.field_names.index("age")] = "sixty"
    with pytest.raises(AppError, match="age: 'sixty' is not a number"):
        client.predict(handle_file(str(examples[0].image)), *form, api_name="/diagnose")


def test_the_app_keeps_serving_after_errors(client, examples):
    document = predict(client, examples[0].image, examples[0].metadata)
    assert sum(document["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


def unusual_images(folder):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (120, 90, 3), dtype=np.uint8)
    photo = Image.fromarray(pixels)
    paths = {}

    def save(name, image, **kwargs):
        paths[name] = folder / name
        image.save(paths[name], **kwargs)

    save("rgba.png", photo.convert("RGBA"))
    save("cmyk.jpg", photo.convert("CMYK"))
    save("grey16.png", Image.fromarray((rng.random((64, 64)) * 65535).astype(np.uint16)))
    frames = [photo.convert("P"), Image.fromarray(255 - pixels).convert("P")]
    save("animated.gif", frames[0], save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("photo.webp", photo)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    save("rotated.jpg", photo, exif=exif)
    save("one_pixel.png", Image.new("RGB", (1, 1), (180, 120, 100)))
    save("strip.png", Image.fromarray(rng.integers(0, 255, (3, 2400, 3), dtype=np.uint8)))
    return paths


def test_unusual_but_valid_images_are_accepted(client, examples, tmp_path):
    for name, path in unusual_images(tmp_path).items():
        document = predict(client, path, examples[0].metadata)
        assert sum(document["probabilities"].values()) == pytest.approx(1.0, abs=1e-5), name


def test_twenty_simultaneous_predict_calls_all_complete(client, examples):
    cases = [examples[i % len(examples)] for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        documents = list(pool.map(lambda case: predict(client, case.image, case.metadata), cases))
    assert len(documents) == 20
    for case, document in zip(cases, documents, strict=True):
        assert document["prediction"] == predict(client, case.image, case.metadata)["prediction"]


def test_intervention_and_case_comparison_endpoints(client, predictor, examples):
    schema = predictor.schema
    example = examples[0]
    stages = predictor.config.num_fused_stages
    lc_paths = ["fused", *["model's choice"] * (stages - 1)]
    baseline, intervened, figure, summary = client.predict(
        handle_file(str(example.image)),
        [0],
        2,
        predictor.config.gate_temperature,
        predictor.config.hard_gate,
        *lc_paths,
        *form_from_record(schema, example.metadata),
        api_name="/intervene",
    )
    overrides = RoutingOverrides(gm_forced_expert=2, gm_disabled_experts=(0,), lc_forced_paths={0: "fused"})
    assert describe_overrides(overrides) in summary
    plain = predictor.predict(example.image, example.metadata)
    assert baseline["label"].endswith(f"({plain.prediction})")
    assert figure["type"] == "matplotlib"
    assert {c["label"] for c in intervened["confidences"]} == {c["label"] for c in baseline["confidences"]}

    other = examples[1]
    first, second, figure, summary = client.predict(
        "Current case (photo and form of the Diagnose tab)",
        other.title,
        handle_file(str(example.image)),
        *form_from_record(schema, example.metadata),
        api_name="/compare",
    )
    assert first["label"].endswith(f"({plain.prediction})")
    assert second["label"].endswith(f"({predictor.predict(other.image, other.metadata).prediction})")
    assert "GM-Gate weights differ by" in summary


def test_nothing_about_a_case_reaches_the_server_output(demo_app):
    """Runs last: after every call above, the server printed no metadata value and no file name."""
    output = demo_app.output()
    assert "Running on local URL" in output
    for secret in (SECRET_REGION, SECRET_FILE, "sixty", "clinic notes"):
        assert secret not in output


def test_report_endpoint_returns_a_pdf_in_the_upload_cache(client, demo_app, predictor, examples):
    example = examples[0]
    form = form_from_record(predictor.schema, example.metadata)
    cache = demo_app.log.parent / "uploads"
    before = set(cache.rglob("mhdf-case-report.pdf"))  # the shared server may have written reports for other tests
    path = client.predict(handle_file(str(example.image)), *form, api_name="/report")
    content = Path(path).read_bytes()
    assert content.startswith(b"%PDF") and 2 <= content.count(b"/Type /Page\n") + content.count(b"/Type /Page ") <= 3
    written = set(cache.rglob("mhdf-case-report.pdf")) - before
    assert len(written) == 1  # written once, into Gradio's cache, which deletes it with the uploads


def diagnose_reference(predictor, example):
    """Field importance computed in this process, for comparison with the server's."""
    from mhdf.inference.explain import diagnose

    return diagnose(predictor, example.image, example.metadata).field_importance
