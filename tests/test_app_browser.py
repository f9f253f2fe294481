"""The demo in a real Chromium: upload an example photo, fill part of the form, Diagnose, check that the
probabilities and every routing view render, run one routing intervention, see the cases routed like an example,
and save a screenshot."""

import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from mhdf.app.texts import (
    IMPORTANCE_ON_REQUEST,
    SYNTHETIC_MODEL_OWN_PHOTO,
    VIEWS_READY,
    describe_overrides,
    importance_status,
)
from mhdf.inference.checkpoint import read_similar_cases
from mhdf.routing import RoutingOverrides
from tests.helpers import SYNTHETIC_CHECKPOINT, checked_page
from training.synthetic.non_lesion import non_lesion_images

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATUS_AT_THE_TOP = "() => Math.abs(document.getElementById('diagnose-status').getBoundingClientRect().top) < 2"
TIMEOUT_MS = 60_000  # generous: the CI machine has 2 shared cores


@pytest.fixture(scope="module")
def page(demo_app, browser):
    with checked_page(browser, demo_app.url, timeout_ms=TIMEOUT_MS) as page:
        yield page


def bars(page, elem_id):
    """The bars Vega drew in one native bar plot."""
    return page.locator(f"#{elem_id} .vega-embed svg g.mark-rect path")


def test_diagnose_in_the_browser(page, tmp_path, predictor, examples):
    example = examples[0]
    stages = predictor.config.num_fused_stages

    expect(page.locator("#banner")).to_contain_text("not a medical device")
    page.set_input_files("#photo input[type=file]", str(example.image))
    expect(page.locator("#photo img")).to_have_count(1)
    page.locator("#field-age input").fill("67")
    page.locator("#field-region input").click()
    page.get_by_role("option", name="Face", exact=True).click()
    page.locator("#field-bleed").get_by_text("Yes", exact=True).click()
    page.locator("#diagnose").click()

    expected = predictor.predict(example.image, {"age": 67, "region": "FACE", "bleed": "True"})
    top = f"{expected.class_labels[expected.prediction]} ({expected.prediction})"
    expect(page.locator("#probabilities")).to_contain_text(top)
    for code in expected.classes:
        expect(page.locator("#probabilities")).to_contain_text(f"({code})")
    expect(page.locator("#result-note")).to_contain_text("synthetic-data model")

    expect(bars(page, "lc-gate")).to_have_count(2 * stages)
    expect(bars(page, "gm-gate")).to_have_count(predictor.config.num_experts)
    expect(page.locator("#diagnose-status")).to_contain_text(VIEWS_READY)
    page.locator("#compute-importance").click()
    expect(page.locator("#importance-status")).to_contain_text(importance_status(3, 3))
    expect(bars(page, "field-importance")).to_have_count(3)  # age, region, bleed
    expect(page.locator("#field-importance")).to_contain_text("Bleeds = Yes")
    for stage in range(1, stages + 1):
        expect(bars(page, f"tkca-fields-{stage}")).to_have_count(len(predictor.schema.fields))
        expect(page.locator(f"#tkca-image-{stage} img")).to_have_attribute("src", re.compile(r"/file="))
    expect(page.locator("#gradcam img")).to_have_attribute("src", re.compile(r"/file="))
    experts = predictor.config.experts
    expect(page.locator("#expert-contributions td")).to_have_count((experts + 2) * len(expected.classes))
    expect(page.locator("#modality-comparison img")).to_have_attribute("src", re.compile(r"^data:image/"))

    page.get_by_role("tab", name="Teaching").click()
    expect(page.locator("#teaching-start")).to_contain_text("Lesson")
    for section in ("How the routing works", "Routing atlas", "Routing interventions"):  # collapsed at first
        page.locator(".label-wrap").filter(has_text=section).first.click()
    expect(page.locator("#teaching-narrative")).to_contain_text(f"({expected.prediction})")
    expect(page.locator("#routing-atlas img")).to_have_attribute("src", re.compile(r"^data:image/"))
    page.locator("#knock-out").get_by_text("Expert 1", exact=True).click()
    page.locator("#lc-force-1").get_by_text("image", exact=True).click()
    page.locator("#run-intervention").click()
    expect(page.locator("#intervention-summary")).to_contain_text(
        describe_overrides(RoutingOverrides(gm_disabled_experts=(0,), lc_forced_paths={0: "image"}))
    )
    expect(page.locator("#intervention-baseline")).to_contain_text(top)
    expect(page.locator("#intervention-result")).to_contain_text("(")
    expect(page.locator("#intervention-plot img")).to_have_attribute("src", re.compile(r"^data:image/"))

    screenshot = tmp_path / "teaching_tab.png"
    page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("tab", name="Diagnose").click()
    page.screenshot(path=str(tmp_path / "diagnose_tab.png"), full_page=True)
    assert screenshot.stat().st_size > 50_000

    page.locator("#clear").click()
    expect(page.locator("#probabilities")).not_to_contain_text(top)
    expect(page.locator("#field-age input")).to_have_value("")
    expect(page.locator("#photo img")).to_have_count(0)
    print(f"screenshots: {tmp_path}")


def test_an_example_case_loads_and_diagnoses_in_the_browser(page, predictor, examples):
    """Examples are read on the server by name; the photo they put in the form is a server-side upload that the
    Diagnose button may send back."""
    example = examples[-1]
    expected = predictor.predict(example.image, example.metadata)
    top = f"{expected.class_labels[expected.prediction]} ({expected.prediction})"

    page.get_by_text(example.title, exact=True).click()
    expect(page.locator("#probabilities")).to_contain_text(top)
    expect(page.locator("#photo img")).to_have_count(1)
    page.locator("#clear").click()
    expect(page.locator("#probabilities")).not_to_contain_text(top)

    page.get_by_text(example.title, exact=True).click()
    expect(page.locator("#probabilities")).to_contain_text(top)
    page.locator("#field-age input").fill("31")  # a new diagnosis of the example's photo, with the age changed
    page.locator("#diagnose").click()
    expect(page.locator("#diagnose-status")).to_contain_text(VIEWS_READY)
    page.locator("#compute-importance").click()
    expect(page.locator("#field-importance")).to_contain_text("Age = 31")
    expect(page.get_by_text("send the photo as an uploaded file")).to_have_count(0)
    page.locator("#diagnose").click()  # the same case again: its field importance is stale until asked for
    expect(bars(page, "field-importance")).to_have_count(0)
    expect(page.locator("#importance-status")).to_have_text(IMPORTANCE_ON_REQUEST.replace("**", ""))
    expect(page.locator("#diagnose-status")).to_contain_text(VIEWS_READY)


def test_on_a_phone_the_result_comes_into_view_and_nothing_scrolls_sideways(demo_app, browser, predictor, examples):
    example = examples[0]
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(demo_app.url)
    page.set_input_files("#photo input[type=file]", str(example.image))
    expect(page.locator("#photo img")).to_have_count(1)
    held = []  # the diagnosis request, held back in the browser: the scroll must not wait for the server
    page.route("**/gradio_api/queue/join*", lambda route: held.append(route))
    page.locator("#diagnose").click()
    page.wait_for_function(STATUS_AT_THE_TOP)
    assert len(held) == 1, "the diagnosis was sent before the result area came into view"
    held[0].continue_()
    page.unroute("**/gradio_api/queue/join*")
    expected = predictor.predict(example.image, {})
    expect(page.locator("#probabilities")).to_contain_text(f"({expected.prediction})")
    page.wait_for_timeout(500)  # let the last views settle before measuring
    for first_result in ("diagnose-status", "result-note", "probabilities"):
        # to the CSS pixel: at device scale 2 the layout places boxes on half and quarter pixels
        top = round(page.locator(f"#{first_result}").bounding_box()["y"])
        assert 0 <= top < 844 - 100, f"#{first_result} starts {top} px from the top of an 844 px screen"
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"
    for view in ("probabilities", "expert-contributions table", "lc-gate", "gm-gate", "tkca-image-1", "gradcam"):
        element = page.locator(f"#{view}").bounding_box()
        assert element["x"] >= 0 and element["x"] + element["width"] <= widths[1] + 1, f"{view} is clipped"
    page.close()


def test_the_set_the_ood_warning_and_the_pdf_report_in_the_browser(page, tmp_path, predictor, examples):
    example = examples[0]
    expected = predictor.predict(example.image, {})
    assert expected.calibrated and expected.prediction_set and expected.in_distribution
    page.locator("#clear").click()
    expect(page.locator("#photo img")).to_have_count(0)  # the cleared photo arrives before the new upload
    page.set_input_files("#photo input[type=file]", str(example.image))
    expect(page.locator("#photo img")).to_have_count(1)
    page.locator("#diagnose").click()
    expect(page.locator("#prediction-set")).to_contain_text(
        f"90 % set: {' or '.join(expected.prediction_set)}" if len(expected.prediction_set) < 3 else "90 % set:",
        timeout=TIMEOUT_MS,
    )
    expect(page.locator("#ood-warning")).not_to_contain_text("unlike the images")

    with page.expect_download() as download:
        page.locator("#report").click()
        page.locator("#report-file a").first.click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    kind, chart = non_lesion_images(per_kind=1, size=224, seed=1)[4]  # a checkerboard
    assert predictor.predict(chart, {}).in_distribution is False, f"the checkpoint accepts a {kind}"
    chart.save(tmp_path / "checkerboard.png")
    page.locator("#clear").click()
    expect(page.locator("#photo img")).to_have_count(0)
    page.set_input_files("#photo input[type=file]", str(tmp_path / "checkerboard.png"))
    expect(page.locator("#photo img")).to_have_count(1)
    page.locator("#diagnose").click()
    expect(page.locator("#ood-warning")).to_contain_text(
        "This photo is unlike the images the model was trained on; its output is not meaningful.", timeout=TIMEOUT_MS
    )
    warning, probabilities = (page.locator(f"#{view}").bounding_box()["y"] for view in ("ood-warning", "probabilities"))
    assert warning < probabilities  # above the probabilities


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_example_cases_are_on_the_first_screen(demo_app, browser, examples, width, height):
    """Desktop: the examples sit above the photo, in view without scrolling; phone: within the first screen, right
    after the title and banner."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(demo_app.url)
        buttons = page.locator("#examples").get_by_text(examples[0].title, exact=True)
        expect(buttons).to_be_visible(timeout=TIMEOUT_MS)
        box = page.locator("#examples").bounding_box()
        assert box["y"] >= page.locator("#banner").bounding_box()["y"]
        assert box["y"] + box["height"] <= height, f"the examples end {box['y'] + box['height']:.0f} px down"
        assert box["y"] < page.locator("#photo").bounding_box()["y"]
    finally:
        page.close()


def test_an_own_photo_gets_the_synthetic_model_notice_above_the_numbers_and_an_example_does_not(
    page, tmp_path, examples
):
    example = examples[0]
    pixels = np.asarray(Image.open(example.image).convert("RGB"))[::-1].copy()  # upside down: not the example
    own = tmp_path / "my-photo.png"
    Image.fromarray(pixels).save(own)
    page.locator("#clear").click()
    expect(page.locator("#photo img")).to_have_count(0)  # cleared before the upload, not after it
    page.set_input_files("#photo input[type=file]", str(own))
    expect(page.locator("#photo img")).to_have_count(1)
    page.locator("#diagnose").click()
    notice = page.locator("#scope-notice")
    expect(notice).to_contain_text(SYNTHETIC_MODEL_OWN_PHOTO)
    expect(page.locator("#diagnose-status")).to_contain_text("All views are ready")
    assert notice.bounding_box()["y"] < page.locator("#probabilities").bounding_box()["y"]

    page.locator("#clear").click()
    page.locator("#examples").get_by_text(example.title, exact=True).click()
    expect(page.locator("#diagnose-status")).to_contain_text("All views are ready")
    expect(notice).not_to_contain_text(SYNTHETIC_MODEL_OWN_PHOTO)


def test_the_cases_routed_like_an_example_show_under_diagnose_and_in_the_teaching_tab(page, predictor, examples):
    """After an example diagnosis, both similar-case sections list the neighbours the index gives for its trace, the
    switch searches by fused features instead, and Clear empties them."""
    index = read_similar_cases(SYNTHETIC_CHECKPOINT)
    example = examples[1]
    signature = predictor.predict(example.image, example.metadata).case_signature()
    by_routing = [n.case for n in index.query(signature, "routing").neighbours]
    by_features = [n.case for n in index.query(signature, "features").neighbours]
    cases = page.locator("#similar-cases-diagnose figure.similar-case")

    page.locator("#clear").click()
    page.get_by_text(example.title, exact=True).click()
    expect(cases).to_have_count(len(by_routing))
    assert [cases.nth(i).get_attribute("data-case") for i in range(len(by_routing))] == by_routing
    expect(page.locator("#similar-cases-diagnose .similar-summary")).to_contain_text(f"are {example.label}")
    expect(cases.first.locator("img")).to_have_js_property("naturalWidth", 96)

    page.locator("#similar-by-diagnose").get_by_text("fused features", exact=False).click()
    expect(page.locator("#similar-cases-diagnose .similar-summary")).to_contain_text("fused features")
    assert [cases.nth(i).get_attribute("data-case") for i in range(len(by_features))] == by_features

    page.get_by_role("tab", name="Teaching").click()
    page.locator("#similar-section").get_by_text("Cases routed like this one").first.click()
    teaching = page.locator("#similar-cases-teaching figure.similar-case")
    expect(teaching).to_have_count(len(by_routing))
    assert [teaching.nth(i).get_attribute("data-case") for i in range(len(by_routing))] == by_routing
    page.get_by_role("tab", name="Diagnose").click()
    page.locator("#clear").click()
    expect(cases).to_have_count(0)
