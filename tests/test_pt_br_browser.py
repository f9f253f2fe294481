"""The page as a Brazilian Portuguese visitor sees it in a real Chromium (browser language pt-BR) on the shared demo
app: the Diagnose tab reads in Portuguese with no Markdown shown as is, a lesson step comes with its choices even
when the server is slow to answer, and a button pressed too early says what to do first without marking anything
with a red "Erro" badge."""

import re

import pytest
from playwright.sync_api import expect

from mhdf.app.texts import translate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 90_000  # the CI machine has 2 shared cores
PT = "pt-BR"
# Markdown marks as they show when not rendered: bold, emphasis, code, headings, links
RAW_MARKDOWN = re.compile(r"\*\*|(^|\s)\*\S|\S\*($|\s)|`|^#{1,6} |\[[^\]]+\]\(", re.MULTILINE)
# what Gradio shows on the outputs of an event that raised an error, and the error's toast
ERROR_BADGES = "[data-testid='status-tracker'] .error, [data-testid='toast-body']"
# the requests of the events the page sends on load and on a click (outside and inside the queue)
EVENT_REQUESTS = re.compile(r"/gradio_api/(run/predict|queue/join)")


@pytest.fixture
def context(browser):
    context = browser.new_context(locale=PT, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    errors = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


def open_in_portuguese(context, url: str):
    page = context.new_page()
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("data-mhdf-language", PT)
    return page


def test_the_diagnose_tab_reads_in_portuguese(context, demo_app, predictor, examples):
    page = open_in_portuguese(context, demo_app.url)
    buttons = page.locator("#examples button")
    expect(buttons).to_have_text([translate(PT, "example.title", name=e.name, label=e.label) for e in examples])
    banner = page.locator("#banner")
    expect(banner).to_contain_text("Treinado com: fotos sintéticas pareadas com registros clínicos reais")
    expect(banner).not_to_contain_text(predictor.config.training_data)  # the card's English free text
    expect(banner).not_to_contain_text("Trained on")
    expect(page.locator("#similar-cases-diagnose")).to_have_text(translate(PT, "similar.placeholder"))
    expect(page.locator("#similar-cases-diagnose em")).to_have_count(1)  # rendered, not "*...*"
    shown = page.locator("body").inner_text()
    assert "true class" not in shown
    assert not RAW_MARKDOWN.search(shown), RAW_MARKDOWN.search(shown)


def test_a_lesson_step_comes_with_its_choices_and_answer_too_early_says_so(context, demo_app):
    held = []  # a busy server: the page-load events get no answer until the test lets them through
    context.route(EVENT_REQUESTS, lambda route: held.append(route))
    page = context.new_page()
    page.goto(demo_app.url)
    page.get_by_role("tab").nth(2).click()  # Lesson; the tab names are still English, their relabelling is held
    page.wait_for_timeout(1000)
    # no "Your answer" without its choices, and no Answer button to press before the step is there
    expect(page.locator("#lesson-choices")).to_be_hidden()
    expect(page.locator("#lesson-answer")).to_be_hidden()
    assert held, "the page sent no load event"
    for route in held:
        route.continue_()
    context.unroute(EVENT_REQUESTS)
    expect(page.locator("html")).to_have_attribute("data-mhdf-language", PT)
    expect(page.locator("#lesson-question")).not_to_be_empty()
    expect(page.locator("#lesson-choices")).to_be_visible()
    assert page.locator("#lesson-choices input[type=radio]").count() >= 2
    page.locator("#lesson-answer").click()  # before picking an answer
    expect(page.locator("#lesson-feedback")).to_have_text(translate(PT, "lesson.pick_first"))
    page.wait_for_timeout(500)  # an error's badges would be drawn by now
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
    page.locator("#lesson-choices label").first.click()
    page.locator("#lesson-answer").click()
    expect(page.locator("#lesson-feedback")).to_contain_text("resposta do modelo")


def test_submit_before_a_study_or_a_class_says_what_to_do_first(context, demo_app):
    page = open_in_portuguese(context, demo_app.url)
    page.get_by_role("tab").nth(3).click()  # Reader study
    page.locator("#reader-first-class label").first.click()
    page.locator("#reader-first-confidence label").first.click()
    page.locator("#reader-submit").click()  # before starting a study
    expect(page.locator("#reader-hint")).to_have_text(translate(PT, "reader.not_started"))
    page.locator("#reader-start").click()
    expect(page.locator("#reader-progress")).not_to_be_empty()
    expect(page.locator("#reader-hint")).to_be_empty()
    page.locator("#reader-submit").click()  # the new case's answers are empty
    expect(page.locator("#reader-hint")).to_have_text(translate(PT, "reader.need_class"))
    page.wait_for_timeout(500)
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
