"""The app launched on the bundled two-photo checkpoint `assets/demo-two-views`: in Chromium, Diagnose with both
photos and with the dermoscopic image missing, each photo's routing views and the missing-photo notice, an example
loading both photos, and "drop this photo"; over raw HTTP, `/drop_photo` and `/diagnose` given hostile input answer
with a one-line error and the server keeps serving."""

import json
import re

import httpx
import pytest
from playwright.sync_api import expect

from mhdf.app.texts import translate
from mhdf.app.views import example_title
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import read_examples
from tests.helpers import TWO_VIEW_DEMO, TWO_VIEWS, checked_page, running_app

pytestmark = pytest.mark.slow
FILE_DATA = {"_type": "gradio.FileData"}


@pytest.fixture(scope="module")
def two_view_app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("two_view_app"), TWO_VIEW_DEMO) as app:
        yield app


@pytest.fixture(scope="module")
def two_view_predictor():
    return Predictor.from_pretrained(TWO_VIEW_DEMO, device="cpu")


@pytest.fixture(scope="module")
def two_view_examples(two_view_predictor):
    return read_examples(TWO_VIEW_DEMO, two_view_predictor.schema)


@pytest.fixture(scope="module")
def page(two_view_app, browser):
    with checked_page(browser, two_view_app.url) as page:
        yield page


def bars(page, elem_id):
    """The bars Vega drew in one native bar plot."""
    return page.locator(f"#{elem_id} .vega-embed svg g.mark-rect path")


def top_class(predictor, photos):
    expected = predictor.predict({view: str(path) for view, path in photos.items()}, {})
    return f"{expected.class_labels[expected.prediction]} ({expected.prediction})"


@pytest.mark.browser
def test_diagnose_with_both_photos_then_one_and_drop_a_photo(page, two_view_predictor, two_view_examples):
    photos = two_view_examples[0].image
    stages = two_view_predictor.config.num_fused_stages
    expect(page.locator("#photo-clinical")).to_contain_text("Clinical close-up")
    expect(page.locator("#photo-dermoscopic")).to_contain_text("Dermoscopic image")
    page.get_by_role("tab", name="Reader study").click()
    expect(page.locator("#reader-one-photo")).to_contain_text("reads one photo per case")
    page.get_by_role("tab", name="Diagnose").click()

    for view in TWO_VIEWS:
        page.set_input_files(f"#photo-{view} input[type=file]", str(photos[view]))
        expect(page.locator(f"#photo-{view} img")).to_have_count(1)
    page.locator("#diagnose").click()
    expect(page.locator("#probabilities")).to_contain_text(top_class(two_view_predictor, photos))
    for view in TWO_VIEWS:
        expect(bars(page, f"lc-gate-{view}")).to_have_count(2 * stages)
        expect(page.locator(f"#tkca-image-{view}-1 img")).to_have_attribute("src", re.compile(r"/file="))
        expect(bars(page, f"tkca-fields-{view}-{stages}")).to_have_count(len(two_view_predictor.schema.fields))
        expect(page.locator(f"#gradcam-{view} img")).to_have_attribute("src", re.compile(r"/file="))
    expect(bars(page, "gm-gate-by-view")).to_have_count(2)
    expect(page.locator("#gm-gate-by-view-table")).to_contain_text("Dermoscopic image")
    expect(page.locator("#scope-notice")).not_to_contain_text("was given")

    page.reload()  # the dermoscopic input starts empty
    page.set_input_files("#photo-clinical input[type=file]", str(photos["clinical"]))
    expect(page.locator("#photo-clinical img")).to_have_count(1)
    page.locator("#diagnose").click()
    expect(page.locator("#scope-notice")).to_contain_text("No dermoscopic image was given")
    expect(page.locator("#probabilities")).to_contain_text(
        top_class(two_view_predictor, {"clinical": photos["clinical"]})
    )
    expect(page.locator("#photo-status-dermoscopic")).to_contain_text("No dermoscopic image was given")
    expect(bars(page, "lc-gate-clinical")).to_have_count(2 * stages)
    expect(bars(page, "lc-gate-dermoscopic")).to_have_count(0)
    expect(page.locator("#gradcam-clinical img")).to_have_count(1)
    expect(page.locator("#gradcam-dermoscopic img")).to_have_count(0)
    expect(page.locator("#gm-gate-by-view-table")).to_contain_text("Dermoscopic image (not given)")

    page.set_input_files("#photo-dermoscopic input[type=file]", str(photos["dermoscopic"]))
    expect(page.locator("#photo-dermoscopic img")).to_have_count(1)
    page.get_by_role("tab", name="Teaching").click()
    page.locator(".label-wrap").filter(has_text="Drop this photo").first.click()
    page.locator("#drop-photo-view").get_by_text("Dermoscopic image", exact=True).click()
    page.locator("#run-drop-photo").click()
    expect(page.locator("#drop-photo-summary")).to_contain_text("Without the dermoscopic image:")
    expect(page.locator("#drop-photo-given")).to_contain_text(top_class(two_view_predictor, photos))
    dropped = top_class(two_view_predictor, {"clinical": photos["clinical"]})
    expect(page.locator("#drop-photo-without")).to_contain_text(dropped)
    expect(page.locator("#drop-photo-plot img")).to_have_attribute("src", re.compile(r"^data:image/"))


@pytest.mark.browser
def test_an_example_loads_both_photos_and_diagnoses(page, two_view_predictor, two_view_examples):
    example = two_view_examples[-1]
    page.get_by_role("tab", name="Diagnose").click()
    page.get_by_text(example_title(example), exact=True).click()
    expected = two_view_predictor.predict({v: str(p) for v, p in example.image.items()}, example.metadata)
    expect(page.locator("#probabilities")).to_contain_text(f"({expected.prediction})")
    for view in TWO_VIEWS:
        expect(page.locator(f"#photo-{view} img")).to_have_count(1)
        expect(page.locator(f"#gradcam-{view} img")).to_have_count(1)


def call(http: httpx.Client, endpoint: str, arguments: list) -> tuple[str, str]:
    """POST /gradio_api/call/<endpoint>, then read its event stream -> ("complete" | "error" | "refused", the error
    message, or the stream when complete)."""
    response = http.post(f"/gradio_api/call/{endpoint}", json={"data": arguments})
    if response.status_code != 200:
        return "refused", response.json()["error"]
    stream = http.get(f"/gradio_api/call/{endpoint}/{response.json()['event_id']}").text
    if "event: error" not in stream:
        return ("complete" if "event: complete" in stream else "unknown"), stream
    return "error", json.loads(stream.split("event: error\ndata: ", 1)[1].split("\n", 1)[0])["error"]


def test_hostile_drop_photo_and_diagnose_requests_get_a_one_line_error(two_view_app, two_view_examples):
    example = two_view_examples[0]
    with httpx.Client(base_url=two_view_app.url, timeout=120) as http:
        uploaded = {}
        for view in TWO_VIEWS:
            response = http.post(
                "/gradio_api/upload", files={"files": (f"{view}.png", example.image[view].read_bytes())}
            )
            uploaded[view] = {"path": response.json()[0], "meta": FILE_DATA}
        info = http.get("/gradio_api/info").json()["named_endpoints"]
        form = [""] * (len(info["/drop_photo"]["parameters"]) - 3)
        missing_file = {"path": "/nonexistent/lesion.png", "meta": FILE_DATA}
        hostile = {
            "an unknown view": (["skin", *uploaded.values(), *form], "unknown photo view 'skin'"),
            "a file that is not an upload": (
                ["clinical", missing_file, uploaded["dermoscopic"], *form],
                "uploaded file",
            ),
            "the only photo": (["clinical", uploaded["clinical"], None, *form], "only photo"),
        }
        for case, (arguments, expected) in hostile.items():
            outcome, message = call(http, "drop_photo", arguments)
            assert outcome in ("error", "refused") and expected in message, f"{case}: {message}"
            assert "\n" not in message and "Traceback" not in message, case
        outcome, message = call(http, "diagnose", [None, None, *form])
        assert outcome == "error" and message == translate(
            "en", "photo.none", photos="clinical close-up and dermoscopic image"
        )
        outcome, _ = call(http, "drop_photo", ["clinical", *uploaded.values(), *form])
        assert outcome == "complete"  # the server kept serving
