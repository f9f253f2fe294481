"""The Lesson and Reader study tabs: their layout (`lesson_tab`, `reader_study_tab`) and their handlers, which keep
each visitor's progress in a `gr.State` (nothing stored on the server) and take their logic from
`mhdf.app.lesson` and `mhdf.app.reader_study`, their words from `mhdf.app.texts`.
"""

from __future__ import annotations

import tempfile
import time
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
from mhdf.app.session import DemoSession, serving
from mhdf.app.texts import (
    CONFIDENCE_INFO,
    LESSON_ANSWER,
    LESSON_DEFAULT_TITLE,
    LESSON_FINISH,
    LESSON_INTRO,
    LESSON_NEXT,
    LESSON_NONE,
    LESSON_PICK_FIRST,
    LESSON_RESTART,
    READER_DONE,
    READER_GROUPS,
    READER_INTRO,
    READER_NEED_CLASS,
    READER_NOT_STARTED,
    READER_SOURCE_BUNDLED,
    READER_SOURCE_CSV,
    TAB_WORDS,
    lesson_case_title,
    lesson_explanation,
    lesson_feedback,
    lesson_progress,
    lesson_question,
    lesson_record,
    lesson_summary,
    ood_words,
    prediction_set_text,
    reader_ai_note,
    reader_progress,
    reader_results,
    reader_started,
)
from mhdf.app.uploads import uploaded_file
from mhdf.inference import class_display_name

CONFIDENCES = [1, 2, 3, 4, 5]


def photo(path: str | Path) -> Image.Image:
    """A case's photo as an image value (not a path: a Hub checkpoint's files lie outside Gradio's allowed paths)."""
    with Image.open(path) as image:
        return image.convert("RGB")


class LessonHandlers:
    """The Lesson tab's events. A step's model run depends only on the checkpoint and the lesson file, so it is
    computed once per server and shared by every learner (20 phones answering one step cost one forward pass)."""

    def __init__(self, session: DemoSession) -> None:
        self.session = session
        self.lessons = session.lessons
        self._runs: dict[tuple[int, int], lessons_.StepRun] = {}

    def run(self, lesson: int, step: int) -> lessons_.StepRun:
        if (lesson, step) not in self._runs:
            self._runs[(lesson, step)] = lessons_.run_step(self.session.predictor, self.lessons[lesson].steps[step])
        return self._runs[(lesson, step)]

    def show(self, progress: dict[str, Any]) -> list[Any]:
        """The current step, its answer not revealed; or the summary after the last step."""
        lesson = self.lessons[progress["lesson"]]
        right, answered = lessons_.score(progress)
        hidden = [gr.update(visible=False, value=None)] * 4
        if progress["step"] >= len(lesson.steps):
            by_topic, missed = lessons_.summary(progress)
            done = lesson_progress(len(lesson.steps), len(lesson.steps), right, answered)
            return [progress, done, "", None, "", "", gr.update(visible=False), "", *hidden,
                    gr.update(visible=False), gr.update(visible=False), lesson_summary(by_topic, missed)]  # fmt: skip
        step = lesson.steps[progress["step"]]
        options = lessons_.choices(step, self.session.predictor)
        return [
            progress,
            lesson_progress(progress["step"] + 1, len(lesson.steps), right, answered),
            lesson_case_title(step.case.name, step.case.label),
            photo(step.case.image),
            lesson_record(self.session.schema, self.session.schema.normalize(step.case.record)),
            lesson_question(step.question, step.stage, step.expert),
            gr.update(choices=options, value=None, interactive=True, visible=True),
            "",
            *hidden,
            gr.update(visible=True),
            gr.update(visible=False),
            "",
        ]

    def start(self, lesson: int | None) -> list[Any]:
        return self.show(lessons_.new_progress(int(lesson or 0)))

    def next(self, progress: dict[str, Any]) -> list[Any]:
        return self.show({**progress, "step": progress["step"] + 1})

    def answer(self, progress: dict[str, Any], chosen: str | None) -> list[Any]:
        """Score the answer, then reveal the model's: the one view that answers the question and an explanation."""
        if not chosen:
            raise ValueError(LESSON_PICK_FIRST)
        lesson = self.lessons[progress["lesson"]]
        step = lesson.steps[progress["step"]]
        run = self.run(progress["lesson"], progress["step"])
        options = dict((value, label) for label, value in lessons_.choices(step, self.session.predictor))
        if chosen not in options:
            raise ValueError(LESSON_PICK_FIRST)
        progress = lessons_.record_answer(progress, step.question, chosen, run.right)
        right, answered = lessons_.score(progress)
        explanation = lesson_explanation(step.question, run.prediction, step.stage, step.expert, run.knocked_out)
        if step.question == "ood":
            explanation = f"{explanation}\n\n*{ood_words(run.prediction)}*"
        mine = progress["answers"][str(progress["step"])]["chosen"]
        feedback = lesson_feedback(mine == run.right, options[mine], options[run.right], explanation)
        views = [gr.update(visible=False, value=None)] * 4
        if step.question in ("class", "ood"):
            views[0] = gr.update(visible=True, value=probability_label(run.prediction))
        elif step.question == "clinical_steering":
            views[1] = gr.update(visible=True, value=lc_gate_frame(run.prediction))
        elif step.question == "leading_expert":
            views[2] = gr.update(visible=True, value=gm_gate_frame(run.prediction))
        else:
            names = ("unmodified", f"expert {step.expert + 1} knocked out")
            figure = routing_comparison_figure(run.prediction, run.knocked_out, names, TAB_WORDS["knockout"])
            views[3] = gr.update(visible=True, value=figure)
        last = progress["step"] + 1 >= len(lesson.steps)
        return [
            progress,
            lesson_progress(progress["step"] + 1, len(lesson.steps), right, answered),
            gr.update(interactive=False),
            feedback,
            *views,
            gr.update(visible=False),
            gr.update(visible=True, value=LESSON_FINISH if last else LESSON_NEXT),
        ]


def lesson_tab(session: DemoSession) -> None:
    """The Lesson tab: one step at a time, the learner's answer before the model's."""
    gr.Markdown(LESSON_INTRO)
    if not session.lessons:
        gr.Markdown(LESSON_NONE)
        return
    handlers = LessonHandlers(session)
    state = gr.State(lessons_.new_progress())
    titles = [(lesson.title or LESSON_DEFAULT_TITLE, i) for i, lesson in enumerate(session.lessons)]
    choice = gr.Dropdown(titles, value=0, label=TAB_WORDS["lesson"], visible=len(titles) > 1, elem_id="lesson-choice")
    first = handlers.show(lessons_.new_progress())
    progress = gr.Markdown(first[1], elem_id="lesson-progress")
    with gr.Row():
        with gr.Column(scale=2, min_width=260):
            title = gr.Markdown(first[2], elem_id="lesson-case")
            image = gr.Image(
                first[3], label=TAB_WORDS["lesson_photo"], height=260, interactive=False, elem_id="lesson-photo"
            )
            record = gr.Markdown(first[4], elem_id="lesson-record")
        with gr.Column(scale=3, min_width=280):
            question = gr.Markdown(first[5], elem_id="lesson-question")
            options = gr.Radio(first[6]["choices"], label=TAB_WORDS["your_answer"], elem_id="lesson-choices")
            answer = gr.Button(LESSON_ANSWER, variant="primary", elem_id="lesson-answer")
            feedback = gr.Markdown(elem_id="lesson-feedback")
            views = [
                gr.Label(label=TAB_WORDS["probabilities"], visible=False, elem_id="lesson-probabilities"),
                bar_plot(x="stage", y="weight", color="route", y_lim=[0, 1], label=TAB_WORDS["lc_gate"],
                         color_map=lc_path_colors(), visible=False, elem_id="lesson-lc-gate"),
                bar_plot(x="expert", y="weight", y_lim=[0, 1], label=TAB_WORDS["gm_gate"], visible=False,
                         elem_id="lesson-gm-gate"),
                gr.Plot(label=TAB_WORDS["knockout"], visible=False, elem_id="lesson-knockout"),
            ]  # fmt: skip
            next_step = gr.Button(LESSON_NEXT, visible=False, elem_id="lesson-next")
    summary = gr.Markdown(elem_id="lesson-summary")
    restart = gr.Button(LESSON_RESTART, size="sm", elem_id="lesson-restart")
    shown = [state, progress, title, image, record, question, options, feedback, *views, answer, next_step, summary]
    revealed = [state, progress, options, feedback, *views, answer, next_step]
    private = {"api_visibility": "private"}
    answer.click(serving(handlers.answer), [state, options], revealed, api_name="lesson_answer", **private)
    next_step.click(serving(handlers.next), state, shown, api_name="lesson_next", **private)
    restart.click(serving(handlers.start), choice, shown, api_name="lesson_restart", **private)
    choice.change(serving(handlers.start), choice, shown, api_name="lesson_choose", **private)


class ReaderHandlers:
    """The Reader study tab's events; the study lives in the visitor's state, its results leave only as files."""

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

    def class_choices(self) -> list[tuple[str, str]]:
        labels = self.session.schema.class_labels
        return [(class_display_name(code, labels), code) for code in self.classes]

    def uploaded_cases(self, files: list[Any] | None) -> list[study.StudyCase]:
        paths = [uploaded_file(f, self.session.uploads) for f in files or []]
        tables = [p for p in paths if p.suffix.lower() == ".csv"]
        if len(tables) != 1:
            raise ValueError(TAB_WORDS["one_csv"])
        photos = {p.name: p for p in paths if p.suffix.lower() != ".csv"}
        return study.csv_cases(tables[0].read_text(), photos, self.session.predictor)

    def case_view(self, state: dict[str, Any]) -> list[Any]:
        """The current case, before the learner answers: the AI's panel hidden and the answers cleared."""
        state = {**state, "shown_at": time.monotonic()}
        case = study.study_case(state)
        record = lesson_record(self.session.schema, self.session.schema.normalize(case.record))
        hidden = [gr.update(visible=False, value=None)] * 4
        return [state, reader_progress(state["index"] + 1, len(state["cases"]), "first"), photo(case.image), record,
                gr.update(value=None, interactive=True), gr.update(value=None, interactive=True),
                gr.update(visible=True), *hidden, gr.update(visible=False), gr.update(visible=False),
                gr.update(visible=False), "", None, None]  # fmt: skip

    def start(self, source: str, files: list[Any] | None, faulty: bool, share: float) -> list[Any]:
        cases = self.uploaded_cases(files) if source == READER_SOURCE_CSV else self.cases
        if not cases:
            raise ValueError(TAB_WORDS["no_cases"])
        state = study.new_study(cases, float(share) if faulty else 0.0)
        view = self.case_view(state)
        return [*view, reader_started(len(cases), sum(state["drawn"]), float(share))]

    def submit(self, state: dict[str, Any] | None, first_class: str | None, confidence: int | None) -> list[Any]:
        """The learner's first answer; then the AI's answer (faithful or faulty) and the revision fields."""
        if study.finished(state):
            raise ValueError(READER_NOT_STARTED if state is None else READER_DONE)
        if first_class not in self.classes or confidence not in CONFIDENCES:
            raise ValueError(READER_NEED_CLASS)
        case = study.study_case(state)
        shown = self.shown(case, bool(state["drawn"][state["index"]]))
        state = study.first_answer(state, first_class, int(confidence), shown, state["shown_at"])
        prediction = shown.prediction
        return [
            state,
            reader_progress(state["index"] + 1, len(state["cases"]), "revise"),
            gr.update(interactive=False),
            gr.update(interactive=False),
            gr.update(visible=False),
            gr.update(visible=True, value=reader_ai_note(state["faulty_condition"])),
            gr.update(visible=True, value=probability_label(prediction)),
            gr.update(visible=True, value=prediction_set_text(prediction)),
            gr.update(visible=True, value=gm_gate_frame(prediction)),
            gr.update(visible=True, value=first_class),
            gr.update(visible=True, value=int(confidence)),
            gr.update(visible=True),
        ]

    def confirm(self, state: dict[str, Any] | None, final_class: str | None, confidence: int | None) -> list[Any]:
        """The final answer; then the next case, or the results and their downloads."""
        if state is None or state.get("phase") != "revise":
            raise ValueError(READER_NOT_STARTED)
        if final_class not in self.classes or confidence not in CONFIDENCES:
            raise ValueError(READER_NEED_CLASS)
        state = study.final_answer(state, final_class, int(confidence), time.monotonic())
        if not study.finished(state):
            return self.case_view(state)
        return self.results(state)

    def results(self, state: dict[str, Any]) -> list[Any]:
        rows = state["rows"]
        table = study.results_table(rows, READER_GROUPS)
        faulty = [r["case"] for r in rows if r["faulty"]]
        unfaulted = [r["case"] for r in rows if r["drawn"] and not r["faulty"]]
        self.session.uploads.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="reader-study-", dir=self.session.uploads.folder))
        (folder / "reader-study.csv").write_text(study.results_csv(rows))
        (folder / "reader-study.json").write_text(study.results_json(state, table))
        hidden = [gr.update(visible=False, value=None)] * 4
        return [state, READER_DONE, None, "", gr.update(interactive=False), gr.update(interactive=False),
                gr.update(visible=False), *hidden, gr.update(visible=False), gr.update(visible=False),
                gr.update(visible=False), reader_results(table, faulty, unfaulted),
                str(folder / "reader-study.csv"), str(folder / "reader-study.json")]  # fmt: skip


def reader_study_tab(session: DemoSession) -> None:
    """The Reader study tab: instructor settings, then one case at a time, you first, then the AI."""
    handlers = ReaderHandlers(session)
    gr.Markdown(READER_INTRO)
    state = gr.State(None)
    with gr.Accordion(TAB_WORDS["instructor"], open=True):
        with gr.Row():
            source = gr.Radio([READER_SOURCE_BUNDLED, READER_SOURCE_CSV], value=READER_SOURCE_BUNDLED,
                              label=TAB_WORDS["cases"], elem_id="reader-source")  # fmt: skip
            files = gr.File(file_count="multiple", label=TAB_WORDS["csv_files"],
                            elem_id="reader-files")  # fmt: skip
        with gr.Row():
            faulty = gr.Checkbox(label=TAB_WORDS["faulty"], elem_id="reader-faulty")
            share = gr.Slider(0.05, 1.0, value=0.3, step=0.05, label=TAB_WORDS["share"], elem_id="reader-share")
        start = gr.Button(TAB_WORDS["start"], variant="primary", elem_id="reader-start")
    status = gr.Markdown(elem_id="reader-status")
    progress = gr.Markdown(elem_id="reader-progress")
    choices = handlers.class_choices()
    with gr.Row():
        with gr.Column(scale=2, min_width=260):
            image = gr.Image(label=TAB_WORDS["case_photo"], height=260, interactive=False, elem_id="reader-photo")
            record = gr.Markdown(elem_id="reader-record")
        with gr.Column(scale=3, min_width=280):
            first_class = gr.Radio(choices, label=TAB_WORDS["first_class"], elem_id="reader-first-class")
            first_confidence = gr.Radio(CONFIDENCES, label=TAB_WORDS["first_confidence"], info=CONFIDENCE_INFO,
                                        elem_id="reader-first-confidence")  # fmt: skip
            submit = gr.Button(TAB_WORDS["submit"], variant="primary", elem_id="reader-submit")
            ai = [
                gr.Markdown(visible=False, elem_id="reader-ai-note"),
                gr.Label(label=TAB_WORDS["ai_probabilities"], visible=False, elem_id="reader-ai-probabilities"),
                gr.Markdown(visible=False, elem_id="reader-ai-set"),
                bar_plot(x="expert", y="weight", y_lim=[0, 1], label=TAB_WORDS["ai_routing"], visible=False,
                         elem_id="reader-ai-routing"),
            ]  # fmt: skip
            final_class = gr.Radio(choices, label=TAB_WORDS["final_class"], visible=False, elem_id="reader-final-class")
            final_confidence = gr.Radio(CONFIDENCES, label=TAB_WORDS["final_confidence"], info=CONFIDENCE_INFO,
                                        visible=False, elem_id="reader-final-confidence")  # fmt: skip
            confirm = gr.Button(TAB_WORDS["confirm"], visible=False, elem_id="reader-confirm")
    results = gr.Markdown(elem_id="reader-results")
    with gr.Row():
        csv_file = gr.File(label=TAB_WORDS["csv"], interactive=False, elem_id="reader-csv")
        json_file = gr.File(label=TAB_WORDS["json"], interactive=False, elem_id="reader-json")
    case = [state, progress, image, record, first_class, first_confidence, submit, *ai, final_class,
            final_confidence, confirm, results, csv_file, json_file]  # fmt: skip
    private = {"api_visibility": "private"}
    start.click(serving(handlers.start), [source, files, faulty, share], [*case, status], api_name="reader_start",
                preprocess=False, **private)  # fmt: skip
    submit.click(serving(handlers.submit), [state, first_class, first_confidence],
                 [state, progress, first_class, first_confidence, submit, *ai, final_class, final_confidence, confirm],
                 api_name="reader_submit", **private)  # fmt: skip
    confirm.click(serving(handlers.confirm), [state, final_class, final_confidence], case, api_name="reader_confirm",
                  **private)  # fmt: skip
