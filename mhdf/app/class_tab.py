"""The Class tab and the `/class_*` endpoints, shown only where the host turns classes on (`--classroom DIR`): a
student joins a class, after which their Lesson and Reader-study answers are recorded for it (`record_answers`
hooks onto those tabs' events); a teacher creates a class and sees its results live. The store, the items and the
numbers are `mhdf.app.classroom`'s; the words are `mhdf.app.texts`'. UI and API write through the same
`ClassStore`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import torch

from mhdf.app import classroom
from mhdf.app.classroom import ANSWER, ClassStore, Item
from mhdf.app.gradio_compat import bar_plot
from mhdf.app.i18n import localize, markdown
from mhdf.app.lesson_tab import LessonTab, ReaderTab
from mhdf.app.session import DemoSession, reports_user_errors, serving, serving_without_model
from mhdf.app.texts import (
    EN,
    Text,
    class_choices,
    class_step,
    class_tables,
    in_language,
    markdown_literal,
    translate,
)

REFRESH_S = 5  # the teacher's results are read again this often while shown
JOIN_PARAMETER = "class"  # the join link: the page's address with ?class=CODE
# Made in the browser: the page's address as the visitor sees it (behind a Space's proxy, the server does not know it;
# and a request naming a URL is refused, `mhdf.app.uploads`).
JOIN_LINK = f"(code) => code ? window.location.href.split('?')[0] + '?{JOIN_PARAMETER}=' + code : ''"
STORAGE_KEY = "mhdf-class"  # where the browser keeps the class a student joined (code, participant, nickname)
ERROR_TITLE = "class.error.title"  # the heading of a refusal


def class_store(session: DemoSession, folder: str | Path, lesson: LessonTab | None, study: ReaderTab) -> ClassStore:
    """The store of `folder` with the items of this app: the first lesson's steps and the bundled study cases, their
    right answers and the AI's answers from the tabs' shared model runs."""
    items = []
    if lesson is not None:
        items += classroom.lesson_items(session.lessons[0], lambda step: lesson.handlers.run(0, step))
    choices = class_choices(session.schema, study.handlers.classes)
    items += classroom.study_items(study.handlers.cases, study.handlers.shown, choices)
    return ClassStore(folder, items)


class ClassHandlers:
    """The API's endpoints (JSON in, JSON out; errors in English, as `/predict`'s) and the Class tab's events (in the
    visitor's language), all over one `ClassStore`."""

    def __init__(self, store: ClassStore, upload_folder: Path, lesson: LessonTab | None = None) -> None:
        self.store = store
        self.lesson = lesson
        self.upload_folder = upload_folder
        self.study_items = {
            item.image: item for item in store.items.values() if item.activity == classroom.READER_STUDY
        }

    # --- the API ------------------------------------------------------------------------------------------------

    def class_create(self, name: str) -> dict[str, str]:
        """Create a class named `name` (at most 80 characters). Returns {"code", "teacher_key", "name"}: the join
        code for the students, and the teacher key, shown only this once, which `/class_results` and
        `/class_export` need."""
        return self.store.create(name)

    def class_join(self, code: str, nickname: str) -> dict[str, str]:
        """Join the class with join code `code` under `nickname` (at most 40 characters, unique in the class).
        Returns {"participant", "code", "nickname", "class"}; `participant` is what `/class_answer` needs."""
        return self.store.join(code, nickname)

    def class_answer(
        self, code: str, participant: str, activity: str, item: str, phase: str, answer: str
    ) -> dict[str, Any]:
        """Record one answer. `activity` "lesson": `item` the step number ("1", ...), `phase` "answer", `answer`
        the choice's value; "reader_study": `item` the case name, `phase` "first" (alone), then "with_ai" or
        "with_faulty_ai" (after the AI's answer), `answer` a class code. Returns {"recorded": true, "correct"}."""
        return self.store.answer(code, participant, activity, item, phase, answer)

    def class_results(self, code: str, teacher_key: str) -> dict[str, Any]:
        """The class's dashboard as numbers (see the API tab), for its teacher."""
        return self.store.results(code, teacher_key)

    def class_export(self, code: str, teacher_key: str) -> str:
        """The class's answers as CSV text, one row per answer, for its teacher."""
        return self.store.export(code, teacher_key)

    # --- the tab ------------------------------------------------------------------------------------------------

    def create(self, name: str, lang: str = EN) -> tuple[str, str, str]:
        """A new class: its code and teacher key shown once; the results' code and key filled in (the join link is
        made in the browser, from the page's own address: `JOIN_LINK`)."""
        made = self.store.create(name, lang)
        name = markdown_literal(made["name"])
        shown = translate(lang, "class.created", name=name, code=made["code"], teacher_key=made["teacher_key"])
        return shown, made["code"], made["teacher_key"]

    def join(self, code: str, nickname: str, lang: str = EN) -> tuple[dict[str, str], str]:
        joined = self.store.join(code, nickname, lang)
        member = {key: joined[key] for key in ("code", "participant", "nickname")}
        return member, self.status(member, lang)

    def status(self, member: dict[str, str] | None, lang: str = EN) -> str:
        """Where the student stands: the class and their recorded answers, or in no class."""
        if not member:
            return translate(lang, "class.not_joined")
        found = self.store.participant(member.get("code"), member.get("participant"), lang)
        return translate(lang, "class.joined", name=markdown_literal(found["class"]), code=found["code"],
                         nickname=markdown_literal(found["nickname"]), answers=len(found["answers"]))  # fmt: skip

    def on_load(self, member: dict[str, str] | None, code: str, lang: str = EN) -> list[Any]:
        """The page opened: the student's class (kept in the browser across reloads); from a join link (`code` read
        from `?class=CODE` in the browser), the Class tab open with the code filled in."""
        try:
            status = self.status(member, lang)
        except classroom.ClassError:  # the class is gone (another classroom folder): the student is in none
            member, status = None, translate(lang, "class.not_joined")
        if not code or member:
            return [status, gr.skip(), gr.skip()]
        return [status, code[: 2 * classroom.CODE_LENGTH], gr.Tabs(selected="class")]

    def leave(self, lang: str = EN) -> tuple[None, str]:
        """The student leaves the class: their browser forgets it; their recorded answers stay with the class."""
        return None, translate(lang, "class.not_joined")

    def record(self, member: dict[str, str] | None, activity: str, item: Item | None, phase: str, answer: str,
               lang: str) -> Any:  # fmt: skip
        if not member or item is None:
            return gr.skip()
        self.store.answer(member["code"], member["participant"], activity, item.name, phase, answer, lang)
        return self.status(member, lang)

    def resume_lesson(self, member: dict[str, str] | None, lang: str = EN) -> list[Any]:
        """The page loaded for a student in a class: the class's lesson at their first step not yet recorded, their
        recorded answers scored, so that a reload keeps their place (wired only where the app has a lesson)."""
        try:
            found = self.store.participant(member.get("code"), member.get("participant"), lang) if member else None
        except classroom.ClassError:  # the class is gone: the lesson starts as for anyone
            found = None
        answers = {}
        for activity, name, _, chosen in found["answers"] if found else []:
            item = self.store.items.get((activity, name))
            if activity == classroom.LESSON and item is not None:
                answers[str(int(name) - 1)] = {"question": item.topic, "chosen": chosen, "right": item.truth(ANSWER)[0]}
        if not answers:
            return [gr.skip()] * len(self.lesson.shown)
        steps = len(self.lesson.handlers.lessons[0].steps)
        step = next((i for i in range(steps) if str(i) not in answers), steps)
        return self.lesson.handlers.show({"lesson": 0, "step": step, "answers": answers}, lang)

    def record_lesson(self, progress: dict[str, Any], member: dict[str, str] | None, lang: str = EN) -> Any:
        """After a Lesson answer: the class's first lesson step just answered, recorded."""
        mine = progress["answers"].get(str(progress["step"]))
        if progress["lesson"] != 0 or mine is None:
            return gr.skip()
        item = self.store.items.get((classroom.LESSON, str(progress["step"] + 1)))
        return self.record(member, classroom.LESSON, item, classroom.ANSWER, mine["chosen"], lang)

    def study_item(self, case: dict[str, Any]) -> Item | None:
        """The class's item of a study case, by its photo: a bundled case, never an uploaded one."""
        return self.study_items.get(case["image"])

    def record_first(self, state: dict[str, Any] | None, member: dict[str, str] | None, lang: str = EN) -> Any:
        """After Submit in the Reader study: the answer alone, recorded."""
        if state is None or state.get("phase") != "revise":
            return gr.skip()
        item = self.study_item(state["cases"][state["index"]])
        answer = state["pending"]["first_class"]
        return self.record(member, classroom.READER_STUDY, item, classroom.FIRST, answer, lang)

    def record_final(self, state: dict[str, Any] | None, member: dict[str, str] | None, lang: str = EN) -> Any:
        """After Confirm in the Reader study: the answer after the AI's, faithful or faulty, recorded."""
        if state is None or not state["rows"] or state.get("phase") != "first":
            return gr.skip()
        row = state["rows"][-1]
        item = self.study_item(state["cases"][len(state["rows"]) - 1])
        phase = classroom.WITH_FAULTY_AI if row["faulty"] else classroom.WITH_AI
        return self.record(member, classroom.READER_STUDY, item, phase, row["final_class"], lang)

    def label(self, activity: str, item: str, answer: str, lang: str) -> str:
        """An answer as the tab names it in `lang` ("Expert 2", "The clinical data", a class code)."""
        spec = self.store.items.get((activity, item))
        if activity == classroom.READER_STUDY or spec is None:
            return answer
        return next((str(in_language(text, lang)) for text, value in spec.choices if value == answer), answer)

    def dashboard(self, code: str, key: str, lang: str = EN) -> list[Any]:
        """The class's results: a summary line, then each figure and its table in words; the refresh timer on."""
        results = self.store.results(code, key, lang)
        about = results["class"]
        summary = translate(lang, "class.summary", name=markdown_literal(about["name"]), code=about["code"],
                            participants=about["participants"], answers=results["answers"],
                            time=datetime.now(UTC).strftime("%H:%M:%S"))  # fmt: skip
        tables = class_tables(results, lambda *answer: self.label(*answer, lang), lang)
        return [summary, *self.figures(results, lang), *(tables[t] for t in ("lesson", "reader", "switching", "cases")),
                gr.Timer(active=True)]  # fmt: skip

    def figures(self, results: dict[str, Any], lang: str) -> list[Any]:
        """The five plots' values, each with its categories in order."""
        steps = [class_step(s["step"], s["question"], lang) for s in results["lesson"]]
        lesson = pd.DataFrame({"step": steps, "share": [s["accuracy"] or 0.0 for s in results["lesson"]]})
        study = results["reader_study"]
        phases = classroom.PHASES[classroom.READER_STUDY]
        conditions = [translate(lang, f"class.condition.{phase}") for phase in phases]
        reader = pd.DataFrame(
            {"condition": conditions, "share": [study["accuracy"][phase]["accuracy"] or 0.0 for phase in phases]}
        )
        whens = [translate(lang, f"class.{when}") for when in study["switching"]]
        switching = pd.DataFrame({"ai": whens, "switched": [t["rate"] or 0.0 for t in study["switching"].values()]})
        lesson_answers = pd.DataFrame(
            [(label, self.label(classroom.LESSON, s["step"], answer, lang), n)
             for label, s in zip(steps, results["lesson"], strict=True) for answer, n in s["counts"].items()],
            columns=["step", "answer", "count"],
        )  # fmt: skip
        cases = [c["case"] for c in study["cases"]]
        reader_answers = pd.DataFrame(
            [(c["case"], answer, n) for c in study["cases"] for answer, n in c["first"].items()],
            columns=["case", "answer", "count"],
        )
        return [
            gr.update(value=lesson, sort=steps),
            gr.update(value=reader, sort=conditions),
            gr.update(value=switching, sort=whens),
            gr.update(value=lesson_answers, sort=steps),
            gr.update(value=reader_answers, sort=cases),
        ]

    def export(self, code: str, key: str, lang: str = EN) -> str:
        """The class's answers as a CSV file in Gradio's cache folder, deleted with the uploads."""
        text = self.store.export(code, key, lang)
        self.upload_folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="class-", dir=self.upload_folder))
        path = folder / f"class-{classroom.checked_code(code)}.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)


def class_api(handlers: ClassHandlers) -> None:
    """`/class_create`, `/class_join`, `/class_answer`, `/class_results`, `/class_export`: a refusal is a
    `gr.Error` with its one line. An answer may run the model once for its item (the right answer, the AI's)."""
    for name in ("class_create", "class_join", "class_answer", "class_results", "class_export"):
        gr.api(reports_user_errors(torch.inference_mode()(getattr(handlers, name)), ERROR_TITLE), api_name=name)


def plot(x: str, y: str, label: str, x_title: str, y_title: str, elem_id: str, **kwargs: Any) -> gr.BarPlot:
    return bar_plot(x=x, y=y, label=Text(label), x_title=Text(x_title), y_title=Text(y_title), elem_id=elem_id,
                    x_label_angle=-30 if x in ("step", "case") else 0, render=False, **kwargs)  # fmt: skip


def class_member() -> gr.BrowserState:
    """The class a student joined, kept in their browser: {"code", "participant", "nickname"} or None. Made outside
    the tabs, so that the page's load event reads it whichever tab is open."""
    return gr.BrowserState(None, storage_key=STORAGE_KEY)


def class_tab(
    session: DemoSession,
    store: ClassStore,
    member: gr.BrowserState,
    tabs: gr.Tabs,
    lesson: LessonTab | None,
    study: ReaderTab,
) -> None:
    """The Class tab, the API's class endpoints, and the recording of the Lesson's and the Reader study's answers
    for a student who joined (`member`, from `class_member`)."""
    handlers = ClassHandlers(store, session.uploads.folder, lesson)
    private = {"api_visibility": "private"}

    def served(handler: Callable) -> Callable:
        return serving_without_model(handler, ERROR_TITLE)

    def recorded(handler: Callable) -> Callable:  # may run the model once for the item (its right answer, the AI's)
        return serving(handler, ERROR_TITLE)

    markdown(Text("class.intro"))
    with gr.Accordion(Text("class.student"), open=True):
        with gr.Row():
            code = gr.Textbox(label=Text("class.code"), max_length=2 * classroom.CODE_LENGTH, elem_id="class-code")
            nickname = gr.Textbox(label=Text("class.nickname"), max_length=classroom.MAX_NICKNAME_CHARS,
                                  elem_id="class-nickname")  # fmt: skip
        with gr.Row():
            join = localize(gr.Button(Text("class.join"), variant="primary", elem_id="class-join"),
                            value=Text("class.join"))  # fmt: skip
            leave = localize(gr.Button(Text("class.leave"), size="sm", elem_id="class-leave"),
                             value=Text("class.leave"))  # fmt: skip
        status = gr.Markdown(elem_id="class-status")  # set by the load event, in the visitor's language
    with gr.Accordion(Text("class.teacher"), open=True):
        with gr.Row():
            name = gr.Textbox(label=Text("class.name"), max_length=classroom.MAX_CLASS_NAME_CHARS,
                              elem_id="class-name")  # fmt: skip
        create = localize(gr.Button(Text("class.create"), elem_id="class-create"), value=Text("class.create"))
        created = gr.Markdown(elem_id="class-created")
        link = gr.Textbox(label=Text("class.link"), interactive=False, buttons=["copy"], elem_id="class-link")
        with gr.Row():
            teacher_code = gr.Textbox(label=Text("class.code"), elem_id="class-teacher-code")
            key = gr.Textbox(label=Text("class.key"), type="password", elem_id="class-key")
        with gr.Row():
            show = localize(gr.Button(Text("class.show"), variant="primary", elem_id="class-show"),
                            value=Text("class.show"))  # fmt: skip
            export = localize(gr.Button(Text("class.export"), elem_id="class-export"), value=Text("class.export"))
        summary = gr.Markdown(elem_id="class-summary")
        figures = [
            plot("step", "share", "class.plot.lesson", "class.axis.step", "class.axis.share", "class-lesson",
                 y_lim=[0, 1]),
            plot("condition", "share", "class.plot.reader", "class.axis.condition", "class.axis.share",
                 "class-reader", y_lim=[0, 1]),
            plot("ai", "switched", "class.plot.switching", "class.axis.ai", "class.axis.switched",
                 "class-switching", y_lim=[0, 1]),
            plot("step", "count", "class.plot.lesson_answers", "class.axis.step", "class.axis.count",
                 "class-lesson-answers", color="answer", color_title=Text("class.axis.answer")),
            plot("case", "count", "class.plot.reader_answers", "class.axis.case", "class.axis.count",
                 "class-reader-answers", color="answer", color_title=Text("class.axis.answer")),
        ]  # fmt: skip
        tables = {}
        for figure, table in zip(figures, ("lesson", "reader", "switching", None, "cases"), strict=True):
            figure.render()
            if table is not None:
                tables[table] = gr.Markdown(elem_id=f"class-table-{table}")
        export_file = gr.File(label=Text("class.export_file"), interactive=False, elem_id="class-export-file")
        timer = gr.Timer(REFRESH_S, active=False)
    board = [summary, *figures, *tables.values(), timer]

    link_code = f"new URLSearchParams(window.location.search).get('{JOIN_PARAMETER}') || ''"
    gr.on(None, served(handlers.on_load), [member, code], [status, code, tabs], api_name="class_tab_load",
          js=f"(member, code) => [member, {link_code}]", queue=False, **private)  # fmt: skip
    join.click(served(handlers.join), [code, nickname], [member, status], api_name="class_tab_join", **private)
    leave.click(served(handlers.leave), None, [member, status], api_name="class_tab_leave", **private)
    create.click(served(handlers.create), name, [created, teacher_code, key], api_name="class_tab_create",
                 **private).success(None, teacher_code, link, js=JOIN_LINK, api_name="class_tab_link",
                                    **private)  # fmt: skip
    show.click(served(handlers.dashboard), [teacher_code, key], board, api_name="class_tab_show", **private)
    timer.tick(served(handlers.dashboard), [teacher_code, key], board, show_progress="hidden",
               api_name="class_tab_refresh", **private)  # fmt: skip
    export.click(served(handlers.export), [teacher_code, key], export_file, api_name="class_tab_export", **private)
    if lesson is not None:
        lesson.loaded.then(recorded(handlers.resume_lesson), member, lesson.shown, api_name="class_resume_lesson",
                           show_progress="hidden", **private)  # fmt: skip
        lesson.answered.success(recorded(handlers.record_lesson), [lesson.state, member], status,
                                api_name="class_record_lesson", **private)  # fmt: skip
    study.submitted.success(recorded(handlers.record_first), [study.state, member], status,
                            api_name="class_record_first", **private)  # fmt: skip
    study.confirmed.success(recorded(handlers.record_final), [study.state, member], status,
                            api_name="class_record_final", **private)  # fmt: skip
    class_api(handlers)
