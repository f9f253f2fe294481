"""The Lesson and Reader study tabs in Brazilian Portuguese, without a server: a whole lesson and a whole reader study
are played through their handlers in both languages, and the tabs' labels rendered in both; no Portuguese sentence
may equal its English one (class codes, case names, numbers and the model's part names are exempt)."""

import re
from typing import Any

import gradio as gr
import pandas as pd
import pytest

from mhdf.app import lesson
from mhdf.app.figures import routing_atlas_summary
from mhdf.app.i18n import localized_props
from mhdf.app.lesson_tab import BUNDLED, UPLOADED, LessonHandlers, ReaderHandlers, lesson_tab, reader_study_tab
from mhdf.app.session import DemoSession, SessionParts
from mhdf.app.texts import translate
from mhdf.app.uploads import UploadPolicy
from mhdf.inference.checkpoint import read_routing_atlas
from tests.helpers import SYNTHETIC_CHECKPOINT

# Words that are the same in both languages by design: the model's parts, codes, units, proper names.
EXEMPT = re.compile(r"LC-Gate|GM-Gate|TKCA|Grad-CAM|logit|CSV|JSON|Tschandl|Nature Medicine|`[^`]*`|\b[A-Z]{2,5}\b")


@pytest.fixture(scope="module")
def session(predictor, examples, tmp_path_factory):
    uploads = UploadPolicy(tmp_path_factory.mktemp("uploads"), 20 * 1024**2)
    lessons = lesson.read_lessons(SYNTHETIC_CHECKPOINT, examples, predictor)
    atlas = read_routing_atlas(SYNTHETIC_CHECKPOINT)
    return DemoSession(SessionParts(predictor, uploads, examples=examples, atlas=atlas, lessons=lessons))


def strings(value: Any) -> list[str]:
    """The words a handler's output shows: text, a `gr.update`'s value, label and choices, a Label's class names, a
    plot frame's categories."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, pd.DataFrame):
        return [str(v) for column in value.columns if value[column].dtype == object for v in value[column]]
    if isinstance(value, dict) and value.get("__type__") == "update":
        found = [choice[0] for choice in value.get("choices") or [] if isinstance(choice, (list, tuple))]
        return found + [s for key in ("value", "label", "info") for s in strings(value.get(key))]
    if isinstance(value, dict):  # a gr.Label value: {class name: probability}
        return [str(key) for key in value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in strings(item)]
    return []


def sentences(texts: list[str]) -> set[str]:
    """The sentences of `texts`, split at lines, table cells, list marks and sentence ends, Markdown marks removed;
    only those with at least two words once the exempt words, numbers and signs are gone."""
    found = set()
    for text in texts:
        for part in re.split(r"\n|\||·|(?<=[.:;!?])\s+|→", text):
            part = re.sub(r"[*_#>✅❌⚠️]", "", part).strip(" -–—()[],")
            words = re.findall(r"[^\W\d_]{2,}", EXEMPT.sub(" ", part))
            if len(words) >= 2:
                found.add(part)
    return found


def play_lesson(handlers: LessonHandlers, lang: str) -> list[str]:
    """A whole lesson, each step answered with its first choice; every output and refusal collected."""
    seen = strings(handlers.answer(handlers.start(lang=lang)[0], None, lang=lang))  # Answer before a choice
    shown = handlers.start(0, lang=lang)
    seen += strings(shown)
    while shown[6].get("visible", True) is not False:  # the choices: hidden once the summary is shown
        chosen = shown[6]["choices"][0][1]
        revealed = handlers.answer(shown[0], chosen, lang=lang)
        seen += strings(revealed)
        shown = handlers.next(revealed[0], lang=lang)
        seen += strings(shown)
    return seen


def play_study(handlers: ReaderHandlers, lang: str) -> list[str]:
    """A whole reader study with the faulty-AI condition on half the cases; every output and refusal collected."""
    seen = strings(handlers.start(UPLOADED, None, False, 0.3, lang=lang))  # Start before an upload
    view = handlers.start(BUNDLED, None, True, 0.5, lang=lang)
    seen += strings(view)
    state = view[0]
    seen += strings(handlers.submit(state, None, None, lang=lang))  # Submit before a class and a confidence
    seen += strings(handlers.submit(None, "MEL", 3, lang=lang))  # Submit before Start
    while True:
        answered = handlers.submit(state, handlers.classes[0], 3, lang=lang)
        seen += strings(answered)
        view = handlers.confirm(answered[0], handlers.classes[1], 4, lang=lang)
        seen += strings(view)
        state = view[0]
        if view[1] == translate(lang, "reader.done"):
            return seen


def tab_labels(session: DemoSession, lang: str) -> list[str]:
    """Every fixed word of the two tabs (labels, help, choices, buttons, Markdown) as the page shows it in `lang`."""
    with gr.Blocks() as demo:
        lesson_tab(session)
        reader_study_tab(session)
    return [s for block in demo.blocks.values() for s in strings(gr.update(**localized_props(block, lang)))]


@pytest.mark.parametrize("play", [play_lesson, play_study, "labels"], ids=["lesson", "reader-study", "labels"])
def test_lesson_and_reader_study_have_no_english_sentence_in_portuguese(session, play):
    if play == "labels":
        english, portuguese = (sentences(tab_labels(session, lang)) for lang in ("en", "pt-BR"))
    else:
        handlers = (LessonHandlers if play is play_lesson else ReaderHandlers)(session)
        english, portuguese = (sentences(play(handlers, lang)) for lang in ("en", "pt-BR"))
    assert len(english) >= 10, "the walk-through saw too few sentences to judge"
    same = sorted(english & portuguese)
    assert not same, f"English sentences shown to a pt-BR visitor: {same}"


def test_the_routing_atlas_summary_in_portuguese(session):
    english, portuguese = (sentences([routing_atlas_summary(session.atlas, lang)]) for lang in ("en", "pt-BR"))
    assert english and not english & portuguese
    assert "especialista" in routing_atlas_summary(session.atlas, "pt-BR").lower()
