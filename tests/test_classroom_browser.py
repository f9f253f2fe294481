"""Classes in a real Chromium: the teacher creates a class in the Class tab; a student opens the join link, joins,
answers one Lesson step and one Reader-study case, and after a reload is still in the class; the teacher then sees
the answers in the Class tab's figures and tables, and exports them."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.helpers import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 90_000  # 2 shared cores


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class-app")
    with running_app(folder, extra_args=["--classroom", str(folder / "classroom")]) as app:
        yield app


def new_page(browser, errors):
    page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(error.message))
    return page


def test_a_student_joins_and_answers_and_the_teacher_sees_it(class_app, browser):
    errors = []
    teacher = new_page(browser, errors)
    teacher.goto(class_app.url)
    teacher.get_by_role("tab", name="Class").click()
    teacher.locator("#class-name textarea, #class-name input").first.fill("Browser class")
    teacher.locator("#class-create").click()
    expect(teacher.locator("#class-created")).to_contain_text("Copy the teacher key now")
    code = teacher.locator("#class-teacher-code textarea, #class-teacher-code input").first.input_value()
    assert len(code) == 6
    link = teacher.locator("#class-link textarea, #class-link input").first
    expect(link).to_have_value(f"{class_app.url}?class={code}")

    student = new_page(browser, errors)  # its own browser context: its own storage
    student.goto(link.input_value())
    code_box = student.locator("#class-code textarea, #class-code input").first
    expect(code_box).to_have_value(code)  # the join link opens the Class tab with the code filled in
    expect(code_box).to_be_visible()
    student.locator("#class-nickname textarea, #class-nickname input").first.fill("Ana")
    student.locator("#class-join").click()
    expect(student.locator("#class-status")).to_contain_text("You are in Browser class")
    expect(student.locator("#class-status")).to_contain_text("answers recorded: 0")

    student.get_by_role("tab", name="Lesson").click()
    expect(student.locator("#lesson-progress")).to_contain_text("Step 1 of 11")
    student.locator("#lesson-choices label").first.click()
    student.locator("#lesson-answer").click()
    expect(student.locator("#lesson-feedback")).to_contain_text("model's answer")
    expect(student.locator("#class-status")).to_contain_text("answers recorded: 1")

    student.get_by_role("tab", name="Reader study").click()
    student.locator("#reader-start").click()
    expect(student.locator("#reader-progress")).to_contain_text("Case 1 of")
    student.locator("#reader-first-class label").first.click()
    student.locator("#reader-first-confidence").get_by_text("3", exact=True).click()
    student.locator("#reader-submit").click()
    expect(student.locator("#reader-ai-probabilities")).to_be_visible()
    expect(student.locator("#class-status")).to_contain_text("answers recorded: 2")
    student.locator("#reader-final-confidence").get_by_text("4", exact=True).click()
    student.locator("#reader-confirm").click()
    expect(student.locator("#class-status")).to_contain_text("answers recorded: 3")

    student.reload()  # the class is kept in the browser, and the lesson goes on where the student left it
    student.get_by_role("tab", name="Lesson").click()
    expect(student.locator("#lesson-progress")).to_contain_text("Step 2 of 11")
    expect(student.locator("#lesson-progress")).to_contain_text(" of 1")  # Score r of 1
    student.get_by_role("tab", name="Class").click()
    expect(student.locator("#class-status")).to_contain_text("You are in Browser class")
    expect(student.locator("#class-status")).to_contain_text("answers recorded: 3")

    teacher.locator("#class-show").click()
    expect(teacher.locator("#class-summary")).to_contain_text("1 students, 3 answers")
    expect(teacher.locator("#class-table-lesson")).to_contain_text("of 1")
    expect(teacher.locator("#class-table-reader")).to_contain_text("of 1")
    expect(teacher.locator("#class-lesson .vega-embed svg g.mark-rect path")).to_have_count(11)
    expect(teacher.locator("#class-reader-answers .vega-embed svg g.mark-rect path")).to_have_count(1)
    teacher.locator("#class-export").click()
    download = teacher.locator("#class-export-file a").first
    expect(download).to_have_attribute("href", re.compile(rf"class-{code}\.csv$"))
    exported = httpx.get(download.get_attribute("href"), timeout=60).text.splitlines()
    assert len(exported) == 1 + 3 and all(",Ana," in row for row in exported[1:])
    assert errors == [], f"JavaScript errors in the page: {errors}"
