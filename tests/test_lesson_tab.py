"""The Lesson and Reader study tabs without a server: a step comes with its choices in one update, outside the queue,
and a button pressed too early only says what to do first, in the Markdown beside it, every other output left as it
is (an error would put a red "Error" badge on each output, the visitor's inputs among them)."""

import gradio as gr
import pytest

from mhdf.app import lesson
from mhdf.app.lesson_tab import (
    ANSWER_FEEDBACK,
    ANSWER_OUTPUTS,
    BUNDLED,
    START_OUTPUTS,
    START_STATUS,
    SUBMIT_HINT,
    SUBMIT_OUTPUTS,
    UPLOADED,
    LessonHandlers,
    ReaderHandlers,
    lesson_tab,
    reader_study_tab,
)
from mhdf.app.session import DemoSession, SessionParts
from mhdf.app.texts import translate
from mhdf.app.uploads import UploadPolicy
from tests.helpers import SYNTHETIC_CHECKPOINT

SKIPPED = gr.skip()


@pytest.fixture(scope="module")
def session(predictor, examples, tmp_path_factory):
    uploads = UploadPolicy(tmp_path_factory.mktemp("uploads"), 20 * 1024**2)
    lessons = lesson.read_lessons(SYNTHETIC_CHECKPOINT, examples, predictor)
    return DemoSession(SessionParts(predictor, uploads, examples=examples, lessons=lessons))


def told_only(outputs: list, at: int, message: str) -> bool:
    return outputs[at] == message and all(o == SKIPPED for i, o in enumerate(outputs) if i != at)


def dependency(demo: gr.Blocks, api_name: str) -> dict:
    (found,) = [d for d in demo.get_config_file()["dependencies"] if d["api_name"] == api_name]
    return found


def test_the_first_step_comes_with_its_choices_outside_the_queue(session):
    with gr.Blocks() as demo:
        lesson_tab(session)
    blocks = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    # before the step: neither "Your answer" without choices nor an Answer button to press
    assert blocks["lesson-choices"].visible is False and blocks["lesson-answer"].visible is False
    first = dependency(demo, "lesson_first")
    assert first["queue"] is False  # never behind the diagnoses that keep the workers busy
    shown = LessonHandlers(session).start(lang="pt-BR")
    outputs = [demo.blocks[i] for i in first["outputs"]]
    step = dict(zip(outputs, shown, strict=True))
    choices = step[blocks["lesson-choices"]]
    assert choices["visible"] is True and len(choices["choices"]) >= 2  # with the step, in the same update
    assert step[blocks["lesson-answer"]] == {"__type__": "update", "visible": True}
    assert step[blocks["lesson-question"]]


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_answer_before_a_choice_only_says_to_pick_one(session, lang):
    handlers = LessonHandlers(session)
    progress = handlers.start(lang=lang)[0]
    for chosen in (None, "", "not-a-choice"):
        refused = handlers.answer(progress, chosen, lang=lang)
        assert len(refused) == ANSWER_OUTPUTS == len(handlers.answer(progress, "BCC", lang=lang))
        assert told_only(refused, ANSWER_FEEDBACK, translate(lang, "lesson.pick_first"))


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_submit_or_start_too_early_only_says_what_to_do_first(session, lang):
    handlers = ReaderHandlers(session)
    started = handlers.start(BUNDLED, None, False, 0.3, lang=lang)
    assert len(started) == START_OUTPUTS
    state = started[0]
    answered = handlers.submit(state, handlers.classes[0], 3, lang=lang)
    assert len(answered) == SUBMIT_OUTPUTS and answered[SUBMIT_HINT] == ""  # a hint shown before is cleared
    for args, message in (
        ((None, "MEL", 3), "reader.not_started"),
        ((state, None, 3), "reader.need_class"),
        ((state, "MEL", None), "reader.need_class"),
    ):
        assert told_only(handlers.submit(*args, lang=lang), SUBMIT_HINT, translate(lang, message))
    nothing_uploaded = handlers.start(UPLOADED, None, False, 0.3, lang=lang)
    assert len(nothing_uploaded) == START_OUTPUTS
    assert told_only(nothing_uploaded, START_STATUS, translate(lang, "reader.one_csv"))


def test_the_hints_are_wired_where_the_handlers_put_them(session):
    with gr.Blocks() as demo:
        lesson_tab(session)
        reader_study_tab(session)
    for api_name, count, at, elem_id in (
        ("lesson_answer", ANSWER_OUTPUTS, ANSWER_FEEDBACK, "lesson-feedback"),
        ("reader_submit", SUBMIT_OUTPUTS, SUBMIT_HINT, "reader-hint"),
        ("reader_start", START_OUTPUTS, START_STATUS, "reader-status"),
    ):
        outputs = dependency(demo, api_name)["outputs"]
        assert len(outputs) == count and demo.blocks[outputs[at]].elem_id == elem_id
