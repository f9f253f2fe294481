"""The photo-quality verdict in the running app: `/predict` over raw HTTP carries it, and in a real Chromium a
blurred photo gets the retake advice above the answer, which is still shown."""

import io
import json

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from mhdf.app.texts import translate
from tests.helpers import SYNTHETIC_CHECKPOINT
from training.real_shift import blur

pytestmark = pytest.mark.slow
TIMEOUT_MS = 60_000  # the CI machine has 2 shared cores


@pytest.fixture(scope="module")
def blurred_png():
    buffer = io.BytesIO()
    blur(Image.open(SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png").convert("RGB")).save(buffer, format="PNG")
    return buffer.getvalue()


def predict_over_http(url: str, content: bytes) -> dict:
    """Upload a photo, POST /gradio_api/call/predict with it and an empty record, read the event stream's result."""
    with httpx.Client(base_url=url, timeout=120) as http:
        (uploaded,) = http.post("/gradio_api/upload", files={"files": ("lesion.png", content, "image/png")}).json()
        photo = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
        event = http.post("/gradio_api/call/predict", json={"data": [photo, {}]}).json()["event_id"]
        stream = http.get(f"/gradio_api/call/predict/{event}").text
    assert "event: complete" in stream, stream[:500]
    data = stream.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0]
    return json.loads(data)[0]


def test_predict_over_http_carries_the_quality_verdict(demo_app, blurred_png):
    clean = predict_over_http(demo_app.url, (SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png").read_bytes())
    assert clean["quality"] == {"ok": True, "problems": []}
    blurred = predict_over_http(demo_app.url, blurred_png)
    assert blurred["quality"]["ok"] is False
    (problem,) = blurred["quality"]["problems"]
    assert problem["code"] == "blurred" and problem["value"] < problem["threshold"]


@pytest.mark.browser
def test_a_blurred_photo_gets_the_retake_advice_and_still_an_answer(demo_app, browser, blurred_png, tmp_path):
    photo = tmp_path / "blurred.png"
    photo.write_bytes(blurred_png)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(demo_app.url)
        page.set_input_files("#photo input[type=file]", str(photo))
        expect(page.locator("#photo img")).to_have_count(1)
        page.locator("#diagnose").click()
        notice = page.locator("#scope-notice")
        expect(notice).to_contain_text(translate("en", "quality.warning"))
        expect(notice).to_contain_text(translate("en", "quality.retake.blurred"))
        expect(page.locator("#probabilities")).to_contain_text("%")
        assert notice.bounding_box()["y"] < page.locator("#probabilities").bounding_box()["y"]
    finally:
        page.close()
