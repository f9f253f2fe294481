"""The Lesson and Reader study tabs: their layout (`lesson_tab`, `reader_study_tab`) and their handlers, which keep
each visitor's progress in a `gr.State` (nothing stored on the server) and take their logic from
`mhdf.app.lesson` and `mhdf.app.reader_study`, their words from `mhdf.app.texts`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from mhdf.app import lesson as lessons_
from mhdf.app import reader_study as study
from mhdf.app.figures import (
    gm_gate_frame,
    lc_gate_frame,
    lc_path_colors,
    probability_label,
    routing_comparison_figure,
)
from mhdf.app.gradio_compat import bar_plot
from mhdf.app.i18n import localize, markdown
from mhdf.app.session import DemoSession, serving, serving_without_model, what_to_do_first
from mhdf.app.texts import (
    EN,
    Text,
    class_choices,
    in_language,
    lesson_case_title,
    lesson_explanation,
    lesson_feedback,
    lesson_progress,
    lesson_question,
    lesson_record,
    lesson_summary,
    one_photo_only,
    ood_words,
    prediction_set_text,
    reader_ai_note,
    reader_groups,
    reader_progress,
    reader_results,
    reader_started,
    translate,
)
from mhdf.app.uploads import uploaded_file

CONFIDENCES = [1, 2, 3, 4, 5]
BUNDLED, UPLOADED = "bundled", "csv"  # the reader study's case sources
# How many outputs an event has, and which one is the Markdown beside its button that says what to do first (wired
# in `lesson_tab` and `reader_study_tab`; the tests compare a refusal's outputs with a real answer's).
# Answer: state, progress, choices, feedback, the four views, Answer, Next.
ANSWER_OUTPUTS, ANSWER_FEEDBACK = 10, 3
# Submit: state, progress, first class and confidence, Submit, the AI's four views, final class and confidence,
# Confirm, the hint under Submit.
SUBMIT_OUTPUTS, SUBMIT_HINT = 13, 12
# Start: the case view (state, progress, photo, record, the first answer, Submit, the AI's views, the final answer,
# Confirm, results, the two downloads, the hint), then the status line under the settings.
START_OUTPUTS, START_STATUS = 19, 18


@dataclass(frozen=True)
class LessonTab:
    """What a class hooks onto in the Lesson tab (`mhdf.app.class_tab`): its handlers (and their shared model runs),
    the learner's progress, the event of an answer, and the first step shown when the page loads (its event and
    outputs, which `LessonHandlers.show` fills)."""

    handlers: LessonHandlers
    state: gr.State
    answered: Any  # the Answer button's event (a Gradio Dependency)
    loaded: Any
    shown: list[Any]


@dataclass(frozen=True)
class ReaderTab:
    """What a class hooks onto in the Reader study tab: its handlers, the study's state, and the events of the answer
    alone (Submit) and the answer after the AI's (Confirm)."""

    handlers: ReaderHandlers
    state: gr.State
    submitted: Any
    confirmed: Any


def photo(path: str | Path) -> Image.Image:
    """A case's photo as an image value (not a path: a Hub checkpoint's files lie outside Gradio's allowed paths)."""
    with Image.open(path) as image:
        return image.convert("RGB")


class LessonHandlers:
    """The Lesson tab's events, each in the visitor's language. A step's model run depends only on the checkpoint
    and the lesson file, so it is computed once per server and shared by every learner (20 phones answering one
    step cost one forward pass)."""

    def __init__(self, session: DemoSession) -> None:
        self.session = session
        self.lessons = session.lessons
        self._runs: dict[tuple[int, int], lessons_.StepRun] = {}

    def run(self, lesson: int, step: int) -> lessons_.StepRun:
        if (lesson, step) not in self._runs:
            chosen = self.lessons[lesson]
            self._runs[(lesson, step)] = lessons_.run_step(chosen.predictor, chosen.steps[step])
        return self._runs[(lesson, step)]

    @staticmethod
    def options(lesson: lessons_.Lesson, step: lessons_.Step, lang: str) -> list[tuple[str, str]]:
        return [(in_language(label, lang), value) for label, value in lessons_.choices(step, lesson.predictor)]

    def show(self, progress: dict[str, Any], lang: str = EN) -> list[Any]:
        """The current step, its answer not revealed; or the summary after the last step."""
        lesson = self.lessons[progress["lesson"]]
        right, answered = lessons_.score(progress)
        hidden = [gr.update(visible=False, value=None)] * 4
        if progress["step"] >= len(lesson.steps):
            by_topic, missed = lessons_.summary(progress)
            done = lesson_progress(len(lesson.steps), len(lesson.steps), right, answered, lang)
            summary = lesson_summary(by_topic, missed, lang)
            return [progress, done, "", None, "", "", gr.update(visible=False), "", *hidden,
                    gr.update(visible=False), gr.update(visible=False), summary]  # fmt: skip
        step = lesson.steps[progress["step"]]
        schema = lesson.predictor.schema
        return [
            progress,
            lesson_progress(progress["step"] + 1, len(lesson.steps), right, answered, lang),
            lesson_case_title(step.case.name, step.case.label, lang),
            photo(step.case.image),
            lesson_record(schema, schema.normalize(step.case.record), lang),
            lesson_question(step.question, step.stage, step.expert, lang),
            gr.update(choices=self.options(lesson, step, lang), value=None, interactive=True, visible=True),
            "",
            *hidden,
            gr.update(visible=True),
            gr.update(visible=False),
            "",
        ]

    def start(self, lesson: int | None = None, lang: str = EN) -> list[Any]:
        return self.show(lessons_.new_progress(int(lesson or 0)), lang)

    def next(self, progress: dict[str, Any], lang: str = EN) -> list[Any]:
        return self.show({**progress, "step": progress["step"] + 1}, lang)

    def answer(self, progress: dict[str, Any], chosen: str | None, lang: str = EN) -> list[Any]:
        """Score the answer, then reveal the model's: the one view that answers the question and an explanation.
        Without an answer of this step's, only the feedback line says to pick one first."""
        lesson = self.lessons[progress["lesson"]]
        step = lesson.steps[progress["step"]]
        options = {value: label for label, value in self.options(lesson, step, lang)}
        if chosen not in options:
            return what_to_do_first(translate(lang, "lesson.pick_first"), ANSWER_FEEDBACK, ANSWER_OUTPUTS)
        run = self.run(progress["lesson"], progress["step"])
        progress = lessons_.record_answer(progress, step.question, chosen, run.right)
        right, answered = lessons_.score(progress)
        schema = lesson.predictor.schema
        explanation = lesson_explanation(
            step.question, run.prediction, step.stage, step.expert, run.knocked_out, schema, lang
        )
        if step.question == "ood":
            explanation = f"{explanation}\n\n*{ood_words(run.prediction, lang)}*"
        mine = progress["answers"][str(progress["step"])]["chosen"]
        feedback = lesson_feedback(mine == run.right, options[mine], options[run.right], explanation, lang)
        views = [gr.update(visible=False, value=None)] * 4
        if step.question in ("class", "ood"):
            views[0] = gr.update(visible=True, value=probability_label(run.prediction, schema, lang))
        elif step.question == "clinical_steering":
            views[1] = gr.update(
                visible=True, value=lc_gate_frame(run.prediction, lang), color_map=lc_path_colors(lang)
            )
        elif step.question == "leading_expert":
            views[2] = gr.update(visible=True, value=gm_gate_frame(run.prediction, lang))
        else:
            names = (
                translate(lang, "figure.unmodified"),
                translate(lang, "overrides.knocked_out", experts=step.expert + 1),
            )
            title = translate(lang, "lesson.knockout")
            figure = routing_comparison_figure(run.prediction, run.knocked_out, names, title, lang)
            views[3] = gr.update(visible=True, value=figure)
        last = progress["step"] + 1 >= len(lesson.steps)
        return [
            progress,
            lesson_progress(progress["step"] + 1, len(lesson.steps), right, answered, lang),
            gr.update(interactive=False),
            feedback,
            *views,
            gr.update(visible=False),
            gr.update(visible=True, value=translate(lang, "lesson.finish" if last else "lesson.next")),
        ]


def lesson_tab(session: DemoSession) -> LessonTab | None:
    """The Lesson tab: one step at a time, the learner's answer before the model's. The first step is shown when
    the page loads, in the visitor's language. None when the checkpoint ships no lesson."""
    markdown(Text("lesson.intro"))
    if not session.lessons:
        markdown(Text("lesson.none"))
        return None
    handlers = LessonHandlers(session)
    state = gr.State(lessons_.new_progress())
    if any(lesson.predictor is not session.predictor for lesson in session.lessons):
        info = session.lessons[0].predictor.model_info
        markdown(Text("lesson.other_checkpoint", name=info["name"], served=session.predictor.model_info["name"]))
    titles = [(lesson.title or Text("lesson.default_title"), i) for i, lesson in enumerate(session.lessons)]
    choice = gr.Dropdown(titles, value=0, label=Text("lesson.choose"), visible=len(titles) > 1, elem_id="lesson-choice")
    progress = gr.Markdown(elem_id="lesson-progress")
    with gr.Row():
        with gr.Column(scale=2, min_width=260):
            title = gr.Markdown(elem_id="lesson-case")
            image = gr.Image(label=Text("lesson.photo"), height=260, interactive=False, elem_id="lesson-photo")
            record = gr.Markdown(elem_id="lesson-record")
        with gr.Column(scale=3, min_width=280):
            question = gr.Markdown(elem_id="lesson-question")
            # hidden until the first step's update shows them with the step: never a question without its choices
            options = gr.Radio([], label=Text("lesson.your_answer"), visible=False, elem_id="lesson-choices")
            answer = localize(gr.Button(Text("lesson.answer"), variant="primary", visible=False,
                                        elem_id="lesson-answer"), value=Text("lesson.answer"))  # fmt: skip
            feedback = gr.Markdown(elem_id="lesson-feedback")
            views = [
                gr.Label(label=Text("view.probabilities"), visible=False, elem_id="lesson-probabilities"),
                bar_plot(x="stage", y="weight", color="route", y_lim=[0, 1], label=Text("view.lc_gate"),
                         x_title=Text("axis.stage"), y_title=Text("axis.weight"), color_title=Text("axis.route"),
                         color_map=lc_path_colors(EN), visible=False, elem_id="lesson-lc-gate"),
                bar_plot(x="expert", y="weight", y_lim=[0, 1], label=Text("view.gm_gate"), x_title=Text("axis.expert"),
                         y_title=Text("axis.weight"), visible=False, elem_id="lesson-gm-gate"),
                gr.Plot(label=Text("lesson.knockout"), visible=False, elem_id="lesson-knockout"),
            ]  # fmt: skip
            # its words are the handlers' ("Next step" or "See my summary"), in the language of the step shown
            next_step = gr.Button(Text("lesson.next"), visible=False, elem_id="lesson-next")
    summary = gr.Markdown(elem_id="lesson-summary")
    restart = localize(gr.Button(Text("lesson.restart"), size="sm", elem_id="lesson-restart"),
                       value=Text("lesson.restart"))  # fmt: skip
    shown = [state, progress, title, image, record, question, options, feedback, *views, answer, next_step, summary]
    revealed = [state, progress, options, feedback, *views, answer, next_step]
    private = {"api_visibility": "private"}
    # Showing a step runs no model: outside the queue, the first step comes with the page even while diagnoses
    # keep every worker busy.
    show_start, show_next = serving_without_model(handlers.start), serving_without_model(handlers.next)
    loaded = gr.on(None, show_start, None, shown, api_name="lesson_first", show_progress="hidden", queue=False,
                   **private)  # fmt: skip
    answered = answer.click(serving(handlers.answer), [state, options], revealed, api_name="lesson_answer", **private)
    next_step.click(show_next, state, shown, api_name="lesson_next", **private)
    restart.click(show_start, choice, shown, api_name="lesson_restart", **private)
    choice.change(show_start, choice, shown, api_name="lesson_choose", **private)
    return LessonTab(handlers, state, answered, loaded, shown)


class ReaderHandlers:
    """The Reader study tab's events, each in the visitor's language; the study lives in the visitor's state, its
    results leave only as files."""

    def __init__(self, session: DemoSession) -> None:
        self.session = session
        self.cases = study.bundled_cases(session.examples, session.lessons)
        self.classes = list(session.predictor.config.class_names)
        # the bundled cases' answers, shared by every learner (up to nine forward passes each); never an upload's
        self._shown: dict[tuple[str, bool], study.ShownAnswer] = {}

    def shown(self, case: study.StudyCase, faulty: bool) -> study.ShownAnswer:
        if (case.image, faulty) in self._shown:
            return self._shown[(case.image, faulty)]
        answer = study.shown_answer(self.session.predictor, case, faulty)
        if case in self.cases:
            self._shown[(case.image, faulty)] = answer
        return answer

    def uploaded_cases(self, files: list[Any] | None, lang: str = EN) -> list[study.StudyCase]:
        paths = [uploaded_file(f, self.session.uploads) for f in files or []]
        tables = [p for p in paths if p.suffix.lower() == ".csv"]
        if len(tables) != 1:
            raise ValueError(translate(lang, "reader.one_csv"))
        photos = {p.name: p for p in paths if p.suffix.lower() != ".csv"}
        return study.csv_cases(tables[0].read_text(), photos, self.session.predictor, lang)

    def case_view(self, state: dict[str, Any], lang: str) -> list[Any]:
        """The current case, before the learner answers: the AI's panel hidden and the answers cleared."""
        state = {**state, "shown_at": time.monotonic()}
        case = study.study_case(state)
        record = lesson_record(self.session.schema, self.session.schema.normalize(case.record), lang)
        progress = reader_progress(state["index"] + 1, len(state["cases"]), "first", lang)
        hidden = [gr.update(visible=False, value=None)] * 4
        return [state, progress, photo(case.image), record,
                gr.update(value=None, interactive=True), gr.update(value=None, interactive=True),
                gr.update(visible=True), *hidden, gr.update(visible=False), gr.update(visible=False),
                gr.update(visible=False), "", None, None, ""]  # fmt: skip

    def start(self, source: str, files: list[Any] | None, faulty: bool, share: float, lang: str = EN) -> list[Any]:
        """A new study of the bundled or the uploaded cases; with the uploaded ones chosen but nothing uploaded yet,
        only the status line says what to do."""
        if source == UPLOADED and not files:
            return what_to_do_first(translate(lang, "reader.one_csv"), START_STATUS, START_OUTPUTS)
        cases = self.uploaded_cases(files, lang) if source == UPLOADED else self.cases
        if not cases:
            raise ValueError(translate(lang, "reader.no_cases"))
        state = study.new_study(cases, float(share) if faulty else 0.0)
        view = self.case_view(state, lang)
        return [*view, reader_started(len(cases), sum(state["drawn"]), float(share), lang)]

    def submit(
        self, state: dict[str, Any] | None, first_class: str | None, confidence: int | None, lang: str = EN
    ) -> list[Any]:
        """The learner's first answer; then the AI's answer (faithful or faulty) and the revision fields. Before a
        study is started, after it ended or without a class and a confidence, only the hint under Submit says what to
        do."""
        if study.finished(state):
            first = "reader.not_started" if state is None else "reader.done"
            return what_to_do_first(translate(lang, first), SUBMIT_HINT, SUBMIT_OUTPUTS)
        if first_class not in self.classes or confidence not in CONFIDENCES:
            return what_to_do_first(translate(lang, "reader.need_class"), SUBMIT_HINT, SUBMIT_OUTPUTS)
        case = study.study_case(state)
        shown = self.shown(case, bool(state["drawn"][state["index"]]))
        state = study.first_answer(state, first_class, int(confidence), shown, state["shown_at"])
        prediction = shown.prediction
        return [
            state,
            reader_progress(state["index"] + 1, len(state["cases"]), "revise", lang),
            gr.update(interactive=False),
            gr.update(interactive=False),
            gr.update(visible=False),
            gr.update(visible=True, value=reader_ai_note(state["faulty_condition"], lang)),
            gr.update(visible=True, value=probability_label(prediction, self.session.schema, lang)),
            gr.update(visible=True, value=prediction_set_text(prediction, lang)),
            gr.update(visible=True, value=gm_gate_frame(prediction, lang)),
            gr.update(visible=True, value=first_class),
            gr.update(visible=True, value=int(confidence)),
            gr.update(visible=True),
            "",
        ]

    def confirm(
        self, state: dict[str, Any] | None, final_class: str | None, confidence: int | None, lang: str = EN
    ) -> list[Any]:
        """The final answer; then the next case, or the results and their downloads."""
        if state is None or state.get("phase") != "revise":
            raise ValueError(translate(lang, "reader.not_started"))
        if final_class not in self.classes or confidence not in CONFIDENCES:
            raise ValueError(translate(lang, "reader.need_class"))
        state = study.final_answer(state, final_class, int(confidence), time.monotonic())
        if not study.finished(state):
            return self.case_view(state, lang)
        return self.results(state, lang)

    def results(self, state: dict[str, Any], lang: str) -> list[Any]:
        rows = state["rows"]
        table = study.results_table(rows, reader_groups(lang))
        faulty = [r["case"] for r in rows if r["faulty"]]
        unfaulted = [r["case"] for r in rows if r["drawn"] and not r["faulty"]]
        self.session.uploads.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="reader-study-", dir=self.session.uploads.folder))
        (folder / "reader-study.csv").write_text(study.results_csv(rows))
        (folder / "reader-study.json").write_text(study.results_json(state, table))
        hidden = [gr.update(visible=False, value=None)] * 4
        return [state, translate(lang, "reader.done"), None, "", gr.update(interactive=False),
                gr.update(interactive=False), gr.update(visible=False), *hidden, gr.update(visible=False),
                gr.update(visible=False), gr.update(visible=False), reader_results(table, faulty, unfaulted, lang),
                str(folder / "reader-study.csv"), str(folder / "reader-study.json"), ""]  # fmt: skip


def reader_study_tab(session: DemoSession) -> ReaderTab | None:
    """The Reader study tab: instructor settings, then one case at a time, you first, then the AI. A multi-view
    checkpoint gets a sentence instead (the study shows one photo per case) and None."""
    if session.photo_views:
        markdown(lambda lang: one_photo_only(session.photo_views, lang), elem_id="reader-one-photo")
        return None
    handlers = ReaderHandlers(session)
    markdown(Text("reader.intro"))
    state = gr.State(None)
    with gr.Accordion(Text("reader.instructor"), open=True):
        with gr.Row():
            sources = [(Text("reader.source.bundled"), BUNDLED), (Text("reader.source.csv"), UPLOADED)]
            source = gr.Radio(sources, value=BUNDLED, label=Text("reader.cases"), elem_id="reader-source")
            files = gr.File(file_count="multiple", label=Text("reader.csv_files"), elem_id="reader-files")
        with gr.Row():
            faulty = gr.Checkbox(label=Text("reader.faulty"), elem_id="reader-faulty")
            share = gr.Slider(0.05, 1.0, value=0.3, step=0.05, label=Text("reader.share"), elem_id="reader-share")
        start = localize(gr.Button(Text("reader.start"), variant="primary", elem_id="reader-start"),
                         value=Text("reader.start"))  # fmt: skip
    status = gr.Markdown(elem_id="reader-status")
    progress = gr.Markdown(elem_id="reader-progress")
    choices = class_choices(session.schema, handlers.classes)
    confidence_info = Text("reader.confidence_info")
    with gr.Row():
        with gr.Column(scale=2, min_width=260):
            image = gr.Image(label=Text("reader.case_photo"), height=260, interactive=False, elem_id="reader-photo")
            record = gr.Markdown(elem_id="reader-record")
        with gr.Column(scale=3, min_width=280):
            first_class = gr.Radio(choices, label=Text("reader.first_class"), elem_id="reader-first-class")
            first_confidence = gr.Radio(CONFIDENCES, label=Text("reader.first_confidence"), info=confidence_info,
                                        elem_id="reader-first-confidence")  # fmt: skip
            submit = localize(gr.Button(Text("reader.submit"), variant="primary", elem_id="reader-submit"),
                              value=Text("reader.submit"))  # fmt: skip
            hint = gr.Markdown(elem_id="reader-hint")  # what to do first when Submit is pressed too early
            ai = [
                gr.Markdown(visible=False, elem_id="reader-ai-note"),
                gr.Label(label=Text("reader.ai_probabilities"), visible=False, elem_id="reader-ai-probabilities"),
                gr.Markdown(visible=False, elem_id="reader-ai-set"),
                bar_plot(x="expert", y="weight", y_lim=[0, 1], label=Text("reader.ai_routing"),
                         x_title=Text("axis.expert"), y_title=Text("axis.weight"), visible=False,
                         elem_id="reader-ai-routing"),
            ]  # fmt: skip
            final_class = gr.Radio(choices, label=Text("reader.final_class"), visible=False,
                                   elem_id="reader-final-class")  # fmt: skip
            final_confidence = gr.Radio(CONFIDENCES, label=Text("reader.final_confidence"), info=confidence_info,
                                        visible=False, elem_id="reader-final-confidence")  # fmt: skip
            confirm = localize(gr.Button(Text("reader.confirm"), visible=False, elem_id="reader-confirm"),
                               value=Text("reader.confirm"))  # fmt: skip
    results = gr.Markdown(elem_id="reader-results")
    with gr.Row():
        csv_file = gr.File(label=Text("reader.csv"), interactive=False, elem_id="reader-csv")
        json_file = gr.File(label=Text("reader.json"), interactive=False, elem_id="reader-json")
    case = [state, progress, image, record, first_class, first_confidence, submit, *ai, final_class,
            final_confidence, confirm, results, csv_file, json_file, hint]  # fmt: skip
    private = {"api_visibility": "private"}
    start.click(serving(handlers.start), [source, files, faulty, share], [*case, status], api_name="reader_start",
                preprocess=False, **private)  # fmt: skip
    submitted = submit.click(serving(handlers.submit), [state, first_class, first_confidence],
                 [state, progress, first_class, first_confidence, submit, *ai, final_class, final_confidence, confirm,
                  hint],
                 api_name="reader_submit", **private)  # fmt: skip
    confirmed = confirm.click(serving(handlers.confirm), [state, final_class, final_confidence], case,
                              api_name="reader_confirm", **private)  # fmt: skip
    return ReaderTab(handlers, state, submitted, confirmed)
