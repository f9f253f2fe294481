"""Inference with several photos per case (issues 24 and 30): Predictor, the JSON, mhdf-predict, batch prediction
with `image_<view>` columns and the case report."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.image import AxesImage
from matplotlib.text import Text
from PIL import Image

from mhdf import MHDFConfig, MHDFNet
from mhdf.app import cli
from mhdf.app.report import case_report, report_pages
from mhdf.app.session import DemoSession, SessionParts
from mhdf.app.uploads import UploadPolicy
from mhdf.inference import Predictor
from mhdf.inference.batch import BatchPredictor, output_columns, quality_cell
from mhdf.inference.explain import model_view
from tests.helpers import check_batch_resumes, read_batch_output

TWO = ["clinical", "dermoscopic"]
TINY = {"backbone": "mobilenetv3_small_050", "image_size": 32, "token_dim": 16, "num_heads": 2, "expert_hidden": 16}
RECORD = {"sex": "female", "location": "back"}


@pytest.fixture(scope="module")
def two_view_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two_view")
    torch.manual_seed(0)
    MHDFNet(MHDFConfig(schema_name="derm7pt", num_classes=5, image_views=TWO, **TINY)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    paths = {}
    for view in TWO:
        paths[view] = folder / f"{view}.png"
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(paths[view])
    return paths


@pytest.fixture(scope="module")
def predictor(two_view_checkpoint):
    return Predictor.from_pretrained(two_view_checkpoint, device="cpu")


def test_either_photo_may_be_missing_and_the_json_says_which(predictor, photos):
    both = predictor.predict({view: str(path) for view, path in photos.items()}, RECORD)
    assert both.photos == {"clinical": True, "dermoscopic": True} and both.missing_photos == []
    for missing in TWO:
        kept = next(view for view in TWO if view != missing)
        one = predictor.predict({kept: str(photos[kept])}, RECORD)
        assert one.missing_photos == [missing]
        assert not np.allclose(one.probabilities, both.probabilities)
        document = json.loads(json.dumps(one.to_dict(), allow_nan=False))  # strict JSON: no NaN for the missing one
        assert document["photos"] == {kept: True, missing: False} and document["missing_photos"] == [missing]
        assert document["routing_by_view"][missing]["lc_gate"] is None
        assert len(document["routing_by_view"][kept]["lc_gate"]) == len(predictor.config.fusion_stages)
        blocks = document["routing"]["tkca"]
        assert {entry["view"] for entry in blocks} == set(TWO)
        assert all(entry.get("missing") for entry in blocks if entry["view"] == missing)
        assert all("meta_to_image_topk" in entry for entry in blocks if entry["view"] == kept)
        shares = {view: document["routing_by_view"][view]["gm_gate_share"] for view in TWO}
        assert shares == one.gm_gate_by_view() and np.isclose(sum(shares.values()), 1.0)
        assert all(0 < share < 1 for share in shares.values())  # the missing photo's learned vectors steer too
        logits = np.sum(document["routing"]["expert_logits"], axis=0) + document["routing"]["logit_bias"]
        assert np.allclose(logits, document["routing"]["logits"], atol=1e-5)


def test_photos_must_be_named_by_view(predictor, photos):
    with pytest.raises(ValueError, match="one photo per view"):
        predictor.predict(str(photos["clinical"]), RECORD)
    with pytest.raises(ValueError, match="unknown photo view 'derm'"):
        predictor.predict({"derm": str(photos["dermoscopic"])}, RECORD)
    with pytest.raises(ValueError, match="no photo given"):
        predictor.predict({"clinical": None}, RECORD)


def test_a_one_photo_checkpoint_keeps_its_json(tmp_path, photos):
    MHDFNet(MHDFConfig(schema_name="derm7pt", num_classes=5, **TINY)).save_pretrained(tmp_path)
    document = Predictor.from_pretrained(tmp_path, device="cpu").predict(str(photos["clinical"]), RECORD).to_dict()
    assert not {"photos", "missing_photos", "routing_by_view"} & set(document)
    assert all("view" not in entry for entry in document["routing"]["tkca"])


def test_the_command_line_takes_photos_by_view(two_view_checkpoint, photos, tmp_path, capsys):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(RECORD))
    argv = ["--image", f"dermoscopic={photos['dermoscopic']}", "--meta", str(meta), "--checkpoint",
            str(two_view_checkpoint), "--device", "cpu"]  # fmt: skip
    assert cli.main(cli.get_args_parser().parse_args(argv)) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["missing_photos"] == ["clinical"]
    assert cli.main(cli.get_args_parser().parse_args([*argv, "--report", str(tmp_path / "case.pdf")])) == 0
    assert pdf_pages(tmp_path / "case.pdf") == 3
    for bad, message in (
        ([str(photos["clinical"])], "one photo per view"),
        (["--image", f"derm={photos['dermoscopic']}"], "unknown photo view"),
        (["--image", "clinical"], "expected VIEW=PATH"),
        (["--image", f"clinical={photos['clinical']}", "--image", f"clinical={photos['clinical']}"], "twice"),
    ):
        assert cli.main(cli.get_args_parser().parse_args([*bad, "--checkpoint", str(two_view_checkpoint)])) == 2
        assert message in capsys.readouterr().err


def pdf_pages(path):
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    return content.count(b"/Type /Page\n") + content.count(b"/Type /Page ")


def page_contents(page):
    """A report page as (its words, every line break and run of spaces as one space; how many images it shows)."""
    words = " ".join(" ".join(text.get_text().split()) for text in page.findobj(Text) if text.get_text())
    return words, len(page.findobj(AxesImage))


def seen_photos(predictor, photos):
    return {view: None if path is None else model_view(predictor, predictor.preprocess(path)[1]) for view, path in
            photos.items()}  # fmt: skip


def test_the_report_of_a_two_photo_case_shows_each_photo_and_its_routing(predictor, photos, tmp_path):
    given = {view: str(path) for view, path in photos.items()}
    prediction = predictor.predict(given, RECORD)
    summary, routing, _ = report_pages(predictor, prediction, seen_photos(predictor, given), "now")
    words, images = page_contents(summary)
    assert images == 2 and "Clinical close-up, as the model saw it" in words
    assert "Dermoscopic image, as the model saw it" in words and "not given" not in words
    words, images = page_contents(routing)
    stages = len(predictor.config.fusion_stages)
    assert images == 2 * stages  # the TKCA locations of every stage of each photo
    for label in ("per photo and stage", "GM-Gate: weight per expert", "GM-Gate: share of each photo"):
        assert label in words
    assert words.count("Clinical close-up") >= 1 + stages and words.count("Dermoscopic image") >= 1 + stages
    assert pdf_pages(case_report(tmp_path / "both.pdf", predictor, given, RECORD)) == 3


def test_the_report_names_a_missing_photo_in_the_visitors_language(predictor, photos, tmp_path):
    given = {"clinical": str(photos["clinical"]), "dermoscopic": None}
    prediction = predictor.predict(given, RECORD)
    summary, routing, _ = report_pages(predictor, prediction, seen_photos(predictor, given), "agora", "pt-BR")
    words, images = page_contents(summary)
    assert images == 1 and "Foto clínica aproximada, como o modelo a viu" in words
    assert "Imagem dermatoscópica: não enviada" in words and "Fotos não enviadas: Imagem dermatoscópica" in words
    words, images = page_contents(routing)
    assert images == len(predictor.config.fusion_stages)
    assert "Imagem dermatoscópica: sem foto, portanto sem atenção do TKCA" in words
    path = case_report(tmp_path / "one.pdf", predictor, {"clinical": str(photos["clinical"])}, RECORD, "pt-BR")
    assert pdf_pages(path) == 3


def test_a_one_photo_report_keeps_its_pages(tmp_path, photos):
    MHDFNet(MHDFConfig(schema_name="derm7pt", num_classes=5, **TINY)).save_pretrained(tmp_path)
    one = Predictor.from_pretrained(tmp_path, device="cpu")
    prediction = one.predict(str(photos["clinical"]), RECORD)
    seen = model_view(one, one.preprocess(photos["clinical"])[1])
    summary, routing, _ = report_pages(one, prediction, seen, "now")
    words, images = page_contents(summary)
    assert images == 1 and "The photo as the model saw it" in words and "not given" not in words
    words, images = page_contents(routing)
    stages = len(one.config.fusion_stages)
    assert images == stages and f"Stage {stages}: TKCA top-{one.config.top_k} locations" in words
    assert "LC-Gate: fused-path weight per stage" in words and "share of each photo" not in words


def test_the_report_button_takes_photos_by_view(predictor, photos):
    session = DemoSession(SessionParts(predictor, UploadPolicy(photos["clinical"].parent, 10_000_000)))
    form = [None] * len(predictor.schema.fields)
    upload = {view: {"path": str(path)} for view, path in photos.items()}  # one argument per view, as the app sends
    assert pdf_pages(Path(session.report(upload["clinical"], upload["dermoscopic"], *form))) == 3
    assert pdf_pages(Path(session.report(None, upload["dermoscopic"], *form))) == 3
    with pytest.raises(ValueError, match="No photo"):
        session.report(None, None, *form)


def test_the_predict_endpoint_takes_photos_by_view_name(predictor, photos):
    session = DemoSession(SessionParts(predictor, UploadPolicy(photos["clinical"].parent, 10_000_000)))
    upload = {view: {"path": str(path)} for view, path in photos.items()}
    both = session.predict_views(upload, RECORD)
    assert both["photos"] == {"clinical": True, "dermoscopic": True}
    one = session.predict_views({"clinical": upload["clinical"]}, RECORD)
    assert one["missing_photos"] == ["dermoscopic"] and one["probabilities"] != both["probabilities"]
    with pytest.raises(ValueError, match="one photo per view"):
        session.predict(upload["clinical"], RECORD)
    for sent, message in (
        (None, "no photos"),
        ({"derm": upload["dermoscopic"]}, "unknown photo view"),
        ({"clinical": {"path": "/etc/passwd"}}, "uploaded file"),
    ):
        with pytest.raises(ValueError, match=message):
            session.predict_views(sent, RECORD)


BATCH_ROWS = [  # (image_clinical, image_dermoscopic, what the row's error must name; None: predicted)
    ("clinical.png", "dermoscopic.png", None),
    ("clinical.png", "", None),
    ("dermoscopic.png", "", None),  # with the next row: a batch in which no case has a dermoscopic photo
    ("", "", "no photo"),
    ("", "dermoscopic.png", None),
    ("clinical.png", "missing.png", "image_dermoscopic: missing.png"),
    ("../outside.png", "dermoscopic.png", "outside the images folder"),
    ("clinical.png", "/etc/passwd", "outside the images folder"),
    ("sub/../../outside.png", "", "outside the images folder"),
    ("dermoscopic.png", "clinical.png", None),
]


@pytest.fixture(scope="module")
def batch_cases(photos, tmp_path_factory):
    """An images folder and a CSV with an image_<view> column per view: rows with both photos, with one, with
    none, with a photo that is not there and with paths leading out of the folder."""
    root = tmp_path_factory.mktemp("views_batch")
    images = root / "images"
    images.mkdir()
    for path in photos.values():
        shutil.copyfile(path, images / path.name)
    shutil.copyfile(photos["clinical"], root / "outside.png")  # present, but not under the images folder
    table = pd.DataFrame(
        [{"image_clinical": c, "image_dermoscopic": d, "note": f"row {i}", **RECORD} for i, (c, d, _) in
         enumerate(BATCH_ROWS)]
    )  # fmt: skip
    table.loc[1, "sex"] = "male"  # two records for the same photos
    table.to_csv(root / "cases.csv", index=False)
    return root, images, table


def test_a_batch_with_a_column_per_view_predicts_rows_with_one_photo_too(predictor, batch_cases, tmp_path):
    root, images, table = batch_cases
    summary = BatchPredictor(predictor, images).predict_csv(root / "cases.csv", tmp_path / "out.csv", batch_size=2)
    out = read_batch_output(tmp_path / "out.csv")
    assert list(out.columns) == [*table.columns, *output_columns(predictor.config.class_names)]
    pd.testing.assert_frame_equal(out[table.columns], table)
    failing = [error for *_, error in BATCH_ROWS if error is not None]
    assert (summary.predicted, summary.failed) == (len(BATCH_ROWS) - len(failing), len(failing))
    for row, (_, _, error) in zip(out.to_dict("records"), BATCH_ROWS, strict=True):
        if error is not None:
            assert error in row["error"] and "\n" not in row["error"] and row["prediction"] == row["quality"] == ""
            continue
        given = {view: images / row[f"image_{view}"] for view in TWO if row[f"image_{view}"]}
        single = predictor.predict(given, {**RECORD, "sex": row["sex"]})  # the mixed batch gives each case alone
        probabilities = [float(row[f"p_{name}"]) for name in predictor.config.class_names]
        np.testing.assert_allclose(probabilities, single.probabilities, atol=2e-6)
        assert row["error"] == "" and row["prediction"] == single.prediction
        verdicts = {view: predictor.read_photo(path)[1] for view, path in given.items()}
        assert row["quality"] == ";".join(f"{view}={quality_cell(q)}" for view, q in verdicts.items())


def test_a_batch_with_a_column_per_view_resumes_by_its_photo_cells(predictor, batch_cases, tmp_path):
    root, images, table = batch_cases  # the first three rows: both photos, then two rows with one photo
    check_batch_resumes(BatchPredictor(predictor, images), root / "cases.csv", table, 3, tmp_path)


def test_a_batch_without_a_column_per_view_is_refused_naming_them(two_view_checkpoint, batch_cases, tmp_path, capsys):
    root, images, table = batch_cases
    lacking = tmp_path / "lacking.csv"
    table.rename(columns={"image_dermoscopic": "image"}).to_csv(lacking, index=False)
    argv = ["--csv", str(lacking), "--images", str(images), "--out", str(tmp_path / "out.csv"),
            "--checkpoint", str(two_view_checkpoint), "--device", "cpu"]  # fmt: skip
    assert cli.main(cli.get_args_parser().parse_args(argv)) == 2
    error = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert error.startswith("error: ") and "lacks the photo column(s) image_dermoscopic" in error
    assert "image_clinical, image_dermoscopic" in error
    assert not (tmp_path / "out.csv").exists()
    argv[1] = str(root / "cases.csv")
    assert cli.main(cli.get_args_parser().parse_args(argv)) == 0
    assert len(read_batch_output(tmp_path / "out.csv")) == len(table)


def test_the_gm_gate_shares_compare_the_photos_also_when_the_router_reads_the_record(tmp_path, photos):
    torch.manual_seed(0)
    config = MHDFConfig(schema_name="derm7pt", num_classes=5, image_views=TWO, variant="concat", **TINY)
    MHDFNet(config).save_pretrained(tmp_path)
    prediction = Predictor.from_pretrained(tmp_path, device="cpu").predict(
        {"clinical": str(photos["clinical"])}, RECORD
    )
    assert "record" in prediction.trace.gm_input_views  # the late-fusion head reads the pooled record too
    shares = prediction.gm_gate_by_view()
    assert list(shares) == TWO and np.isclose(sum(shares.values()), 1.0)
    assert prediction.to_dict()["routing_by_view"]["dermoscopic"]["gm_gate_share"] == shares["dermoscopic"]
