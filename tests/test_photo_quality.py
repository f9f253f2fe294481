"""The photo-quality check (`mhdf.inference.quality`): the bundled real photos pass; a copy of each made blurred,
dark, washed out, compressed, small or lesion-free fails with its own code, its value past its threshold; and the
verdict reaches /predict's JSON, the command line, the batch CSV and the PDF report."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFilter

from mhdf.app.report import case_report
from mhdf.app.texts import photo_notices, quality_notice
from mhdf.inference import Predictor
from mhdf.inference.batch import QUALITY_COLUMN, BatchPredictor, output_columns
from mhdf.inference.quality import CHECKS, CODES, Check, assess
from tests.helpers import ROOT
from training import real_shift

EXAMPLES = sorted((ROOT / "assets" / "demo" / "examples").glob("*.png"))  # PAD-UFES-20 photos, CC BY 4.0


def compressed(photo: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=4)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def plain_skin(photo: Image.Image) -> Image.Image:
    """The photo's typical skin colour with its own fine texture: the same skin, sharp, without the lesion."""
    pixels = np.asarray(photo, dtype=np.float64)
    texture = pixels - np.asarray(photo.filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    skin = np.median(pixels.reshape(-1, 3), axis=0) + texture
    return Image.fromarray(np.clip(skin + 0.5, 0, 255).astype(np.uint8))


DEGRADED = {
    "blurred": real_shift.blur,
    "too_dark": real_shift.exposure,
    "washed_out": real_shift.white_blend,
    "heavily_compressed": compressed,
    "too_small": lambda photo: photo.resize((photo.width // 4, photo.height // 4), Image.Resampling.LANCZOS),
    "no_lesion": plain_skin,
}


@pytest.fixture(scope="module")
def predictor():
    """The bundled real-photo checkpoint (the quality check itself does not depend on it)."""
    return Predictor.from_pretrained(ROOT / "assets" / "demo", device="cpu")


@pytest.fixture(scope="module")
def photos():
    return [Image.open(path).convert("RGB") for path in EXAMPLES]


def test_every_code_has_a_degradation_here():
    assert set(DEGRADED) == set(CODES) and len(EXAMPLES) == 6


def test_the_bundled_real_photos_pass_every_check(photos):
    for path, photo in zip(EXAMPLES, photos, strict=True):
        verdict = assess(photo)
        assert verdict.ok, f"{path.name}: {verdict.codes}"
        assert verdict.to_dict() == {"ok": True, "problems": []}


@pytest.mark.parametrize("code", CODES)
def test_a_degraded_copy_fails_with_its_own_code_and_its_value_past_the_threshold(photos, code):
    check = next(check for check in CHECKS if check.code == code)
    for path, photo in zip(EXAMPLES, photos, strict=True):
        verdict = assess(DEGRADED[code](photo))
        assert not verdict.ok and code in verdict.codes, f"{path.name} {code}: {verdict.values}"
        problem = next(p for p in verdict.to_dict()["problems"] if p["code"] == code)
        assert problem["threshold"] == check.threshold and problem["direction"] == check.direction
        past = problem["value"] < check.threshold if check.direction == "below" else problem["value"] > check.threshold
        assert past and problem["measure"] == check.measure


def test_a_check_fails_only_past_its_threshold():
    below, above = Check("x", "m", "below", 1.0), Check("y", "m", "above", 1.0)
    assert below.fails(0.99) and not below.fails(1.0) and not below.fails(2.0)
    assert above.fails(1.01) and not above.fails(1.0) and not above.fails(0.0)


def test_the_prediction_json_carries_the_verdict(predictor, photos):
    clean = predictor.predict(photos[0], {}).to_dict()
    assert clean["quality"] == {"ok": True, "problems": []}
    blurred = predictor.predict(real_shift.blur(photos[0]), {}).to_dict()
    assert blurred["quality"]["ok"] is False
    assert [p["code"] for p in blurred["quality"]["problems"]] == ["blurred"]
    assert json.loads(json.dumps(blurred))["quality"] == blurred["quality"]
    # a model input passed as a tensor has no photo to judge
    pixels = predictor.preprocess(photos[0])[1]
    assert predictor.predict_records(pixels, [{}])[0].to_dict()["quality"] is None


def test_the_diagnose_notice_says_what_is_wrong_and_how_to_retake_in_both_languages(predictor, photos):
    blurred = predictor.predict(real_shift.blur(photos[0]), {})
    english, portuguese = quality_notice(blurred, "en"), quality_notice(blurred, "pt-BR")
    assert "Unreliable" in english and "blurred" in english and "steady" in english
    assert "Pouco confiável" in portuguese and "desfocada" in portuguese and "firme" in portuguese
    assert f"{blurred.quality.problems[0].threshold:.2f}" in english
    assert quality_notice(predictor.predict(photos[0], {}), "en") == "", "an example photo that passes says nothing"


def test_the_own_photo_notice_comes_with_the_quality_verdict(predictor, photos):
    own = predictor.predict(photos[0].transpose(Image.Transpose.FLIP_LEFT_RIGHT), {})
    assert own.own_photo and own.model["synthetic"] is False
    for lang, scope, verdict in (
        ("en", "one clinic in Brazil", "Photo quality: passed"),
        ("pt-BR", "uma única clínica no Brasil", "Qualidade da foto: passou"),
    ):
        text = photo_notices(own, lang)
        assert scope in text and verdict in text


def test_the_command_line_prints_the_verdict(tmp_path, photos):
    photo = tmp_path / "blurred.png"
    real_shift.blur(photos[0]).save(photo)
    result = subprocess.run(
        [sys.executable, "-m", "mhdf.predict", str(photo), "--checkpoint", str(ROOT / "assets" / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    quality = json.loads(result.stdout)["quality"]
    assert quality["ok"] is False and quality["problems"][0]["code"] == "blurred"


def test_the_batch_csv_has_a_quality_column_and_resumes(predictor, photos, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    photos[0].save(images / "clean.png")
    real_shift.exposure(photos[0]).save(images / "dark.png")
    source, out = tmp_path / "cases.csv", tmp_path / "out.csv"
    pd.DataFrame({"image": ["clean.png", "dark.png", "missing.png"], "age": ["61", "", ""]}).to_csv(source, index=False)
    batch = BatchPredictor(predictor, images)
    assert output_columns(batch.classes)[-1] == QUALITY_COLUMN
    summary = batch.predict_csv(source, out)
    assert (summary.predicted, summary.failed) == (2, 1)
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table[QUALITY_COLUMN].tolist()[0] == "ok"
    dark = next(check for check in CHECKS if check.code == "too_dark")
    assert table[QUALITY_COLUMN][1].startswith("too_dark:") and f"<{dark.threshold:.4g}" in table[QUALITY_COLUMN][1]
    assert table[QUALITY_COLUMN].tolist()[2] == "" and table["error"][2] != ""
    again = batch.predict_csv(source, out)
    assert again.skipped == 3 and again.written == 0


@pytest.mark.parametrize(
    ("lang", "verdict", "problem"), [("en", "UNRELIABLE", "blurred"), ("pt-BR", "POUCO CONFIÁVEL", "desfocada")]
)
def test_the_report_states_the_verdict(predictor, photos, tmp_path, monkeypatch, lang, verdict, problem):
    from matplotlib.backends.backend_pdf import PdfPages

    pages = []
    save = PdfPages.savefig
    monkeypatch.setattr(PdfPages, "savefig", lambda self, figure: pages.append(figure) or save(self, figure))
    path = case_report(tmp_path / "report.pdf", predictor, real_shift.blur(photos[0]), {}, lang)
    assert path.read_bytes().startswith(b"%PDF")
    words = "\n".join(text.get_text() for text in pages[0].texts)
    assert verdict in words and problem in words
