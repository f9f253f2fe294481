"""The Lesson and Reader study tabs in a real Chromium on the shared demo app: one step answered and revealed, the
lesson to its summary, and a reader study with the faulty-AI condition whose downloaded CSV is checked."""

import csv
import io

import pytest
from playwright.sync_api import expect, sync_playwright

from mhdf.app import lesson, reader_study
from tests.helpers import SYNTHETIC_CHECKPOINT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 90_000  # the faulty condition runs up to nine forward passes per case on 2 shared cores


@pytest.fixture(scope="module")
def page(demo_app):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda error: errors.append(error.message))
        page.goto(demo_app.url)
        yield page
        browser.close()
        assert errors == [], f"JavaScript errors in the page: {errors}"


@pytest.fixture(scope="module")
def bundled(predictor, examples):
    (routing,) = lesson.read_lessons(SYNTHETIC_CHECKPOINT, examples, predictor)
    return routing


def test_the_lesson_to_its_summary(page, predictor, bundled):
    page.get_by_role("tab", name="Lesson").click()
    steps = len(bundled.steps)
    expect(page.locator("#lesson-progress")).to_contain_text(f"Step 1 of {steps}")
    expect(page.locator("#lesson-probabilities")).to_be_hidden()  # nothing of the model's answer before ours
    expected_right = 0
    for index, step in enumerate(bundled.steps):
        run = lesson.run_step(predictor, step)
        label, value = lesson.choices(step, predictor)[0]  # always the first choice
        expected_right += value == run.right
        expect(page.locator("#lesson-progress")).to_contain_text(f"Step {index + 1} of {steps}")
        page.locator("#lesson-choices").get_by_text(label, exact=True).click()
        page.locator("#lesson-answer").click()
        feedback = page.locator("#lesson-feedback")
        expect(feedback).to_contain_text("model's answer")
        expect(feedback).to_contain_text("Right" if value == run.right else "Not this time")
        expect(page.locator("#lesson-progress")).to_contain_text(f"Score {expected_right} of {index + 1}")
        if index == 0:  # a class question: the probabilities are revealed, the top class among them
            assert step.question == "class"
            expect(page.locator("#lesson-probabilities")).to_be_visible()
            expect(page.locator("#lesson-probabilities")).to_contain_text(f"({run.prediction.prediction})")
        page.locator("#lesson-next").click()
    expect(page.locator("#lesson-summary")).to_contain_text(f"{expected_right} of {steps} right")


def test_a_reader_study_with_the_faulty_ai(page, predictor, examples, bundled):
    page.get_by_role("tab", name="Reader study").click()
    page.locator("#reader-faulty input").check()
    page.locator("#reader-share input[type=number]").fill("1")
    page.locator("#reader-share input[type=number]").press("Enter")
    page.locator("#reader-start").click()
    cases = reader_study.bundled_cases(examples, [bundled])
    expect(page.locator("#reader-progress")).to_contain_text(f"Case 1 of {len(cases)}")
    first_label = page.locator("#reader-first-class label").first
    for index in range(len(cases)):
        expect(page.locator("#reader-progress")).to_contain_text(f"Case {index + 1} of {len(cases)}")
        expect(page.locator("#reader-ai-probabilities")).to_be_hidden()
        first_label.click()
        page.locator("#reader-first-confidence").get_by_text("2", exact=True).click()
        page.locator("#reader-submit").click()
        expect(page.locator("#reader-ai-probabilities")).to_be_visible()
        page.locator("#reader-final-confidence").get_by_text("4", exact=True).click()
        page.locator("#reader-confirm").click()
    expect(page.locator("#reader-results")).to_contain_text("Faulty cases")
    with page.expect_download() as download:
        page.locator("#reader-csv a").first.click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert list(rows[0]) == list(reader_study.RESULT_COLUMNS)
    assert len(rows) == len(cases)
    by_name = {c.name: c for c in cases}
    for row in rows:
        case = by_name[row["case"]]
        own = predictor.predict(case.image, case.record).prediction
        changing = any(
            predictor.predict(case.image, case.record, o).prediction != own
            for o in reader_study.interventions(predictor.config.num_experts)
        )
        # every case was drawn (share 1): faulty exactly where an intervention changes the top class
        assert row["faulty"] == str(changing)
        assert (row["shown_class"] != own) == changing
        assert row["true_class"] == case.label and row["first_confidence"] == "2" and row["final_confidence"] == "4"
        assert row["first_class"] == row["final_class"]  # kept the first answer
        assert float(row["seconds"]) > 0
    assert any(row["faulty"] == "True" for row in rows) and any(row["faulty"] == "False" for row in rows)
