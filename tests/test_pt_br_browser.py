"""The page as a Brazilian Portuguese visitor sees it in a real Chromium (browser language pt-BR) on the shared demo
app: the Diagnose tab reads in Portuguese with no Markdown shown as is."""

import re

import pytest
from playwright.sync_api import expect

from mhdf.app.texts import translate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 90_000  # the CI machine has 2 shared cores
PT = "pt-BR"
# Markdown marks as they show when not rendered: bold, emphasis, code, headings, links
RAW_MARKDOWN = re.compile(r"\*\*|(^|\s)\*\S|\S\*($|\s)|`|^#{1,6} |\[[^\]]+\]\(", re.MULTILINE)


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
