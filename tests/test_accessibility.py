"""Accessibility in a real Chromium on the shared demo app: an axe-core audit (WCAG 2 A and AA rules) of every tab
after an example diagnosis, in English and Brazilian Portuguese, and the whole diagnosis with the keyboard only."""

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.helpers import axe_source

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 90_000  # the CI machine has 2 shared cores
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")
TAB_ORDER = ("diagnose", "teaching", "lesson", "reader-study")  # the tab strip, left to right


def audit(page) -> list[dict]:
    """axe-core's violations on the page as it is now: [{rule, impact, nodes: [selector, ...]}]."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}))"
        ".violations.map(v => ({rule: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))",
        WCAG_TAGS,
    )
    return found


def open_tab(page, name: str) -> None:
    page.get_by_role("tab").nth(TAB_ORDER.index(name)).click()
    page.wait_for_timeout(500)  # let the tab's components mount


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_axe_finds_no_critical_or_serious_violation(demo_app, browser, examples, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(demo_app.url)
    page.locator("#examples button").first.click()
    expect(page.locator("#gradcam img")).to_have_count(1)
    expect(page.locator("#diagnose-status")).not_to_be_empty()
    page.wait_for_timeout(1000)  # the native plots draw after their data arrives

    found = {}
    found["diagnose"] = audit(page)
    open_tab(page, "teaching")
    for section in page.locator(".label-wrap:visible").all():  # every collapsed section, opened
        if section.get_attribute("aria-expanded") != "true":
            section.click()
    page.wait_for_timeout(500)
    found["teaching"] = audit(page)
    open_tab(page, "lesson")
    found["lesson"] = audit(page)
    open_tab(page, "reader-study")
    found["reader-study"] = audit(page)
    context.close()

    counts = {
        tab: {impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact) for impact in BLOCKING}
        for tab, violations in found.items()
    }
    print(f"axe-core nodes by tab ({locale}): {json.dumps(counts)}")
    blocking = {tab: [v for v in vs if v["impact"] in BLOCKING] for tab, vs in found.items()}
    assert not any(blocking.values()), json.dumps(blocking, indent=1, ensure_ascii=False)


def focused(page) -> dict:
    """The element with keyboard focus: its id, the id of the nearest block around it, and its outline width."""
    return page.evaluate(
        "() => { const e = document.activeElement; const block = e.closest('[id]');"
        " return {tag: e.tagName, id: e.id, cls: String(e.className), block: block ? block.id : '',"
        " outline: parseFloat(getComputedStyle(e).outlineWidth) || 0}; }"
    )


def tab_to(page, matches, presses: int = 150) -> dict:
    """Press Tab until the focused element matches; fails after `presses`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the element; last focus: {now}")


def test_a_diagnosis_with_the_keyboard_only(demo_app, browser, predictor, examples):
    """Upload reached (its button focused), age typed, Diagnose pressed with Enter, the result read: no mouse."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(demo_app.url)
    expect(page.locator("#diagnose")).to_be_visible()
    # the page relabels its components in the visitor's language once loaded: a focus taken before that is lost
    page.wait_for_function("document.documentElement.dataset.mhdfLanguage !== undefined")
    chooser = None
    for _ in range(3):  # the page's load events may still re-render the upload area: then tab to it again
        upload = tab_to(page, lambda f: f["block"] == "photo" and "upload-container" in f["cls"])
        assert upload["outline"] >= 2, f"no visible focus on the upload: {upload}"
        try:
            with page.expect_file_chooser(timeout=15_000) as opened:
                page.keyboard.press("Enter")  # the upload area opens the file dialog from the keyboard
            chooser = opened.value
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Shift+Tab")
    assert chooser is not None, "Enter on the focused upload area never opened the file dialog"
    chooser.set_files(str(examples[0].image))
    expect(page.locator("#photo img")).to_have_count(1)
    tab_to(page, lambda f: f["block"] == "field-age" and f["tag"] == "INPUT")
    page.keyboard.type("67")
    button = tab_to(page, lambda f: f["id"] == "diagnose")
    assert button["outline"] >= 2, f"no visible focus on Diagnose: {button}"
    page.keyboard.press("Enter")
    expected = predictor.predict(examples[0].image, {"age": 67})
    expect(page.locator("#probabilities")).to_contain_text(f"({expected.prediction})")
    expect(page.locator("#figure-descriptions")).to_contain_text(f"({expected.prediction})")
    page.close()
