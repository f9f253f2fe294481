"""MHDF-Net clinician demo: a lesion photo + the clinical form -> class probabilities and the expert routing behind
them. Research and teaching demo, not a medical device.

    python app.py [--checkpoint PATH_OR_HUB_ID] [--port 7860] [--host 127.0.0.1] [--max-file-size 20mb]
                  [--classroom DIR]

Layout and wiring only. The handlers live in `mhdf.app.session`, the views they compute in `mhdf.app.views`, every
sentence in `mhdf.app.texts`, the components that carry the checkpoint's shape in `mhdf.app.components`, and which
files a request may open in `mhdf.app.uploads`.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from mhdf.app.class_tab import class_member, class_store, class_tab
from mhdf.app.components import SCROLL_TO_RESULT, importance_plot, view_components
from mhdf.app.feedback import feedback_from_settings, feedback_section
from mhdf.app.gradio_compat import first_fetch_cache
from mhdf.app.hosting import add_host_arguments
from mhdf.app.i18n import language_events, language_switch, localize, markdown
from mhdf.app.inputs import diagnose_inputs
from mhdf.app.lesson_tab import lesson_tab, reader_study_tab
from mhdf.app.session import DEFAULT_CHECKPOINT, DemoSession, load_session, served_handlers
from mhdf.app.similar import similar_cases_section
from mhdf.app.style import CSS, MEND_ARIA, THEME
from mhdf.app.teaching import teaching_tab
from mhdf.app.texts import Text, api_help, banner, one_photo_only, photo_label
from mhdf.app.uploads import upload_middleware
from mhdf.app.view_keys import GM_BY_VIEW, by_photo, stage_view
from mhdf.app.views import cleared_field_importance

CONCURRENCY_LIMIT = 2  # forward passes at once: the 2-core CPU gains nothing from more
QUEUE_SIZE = 128  # waiting events past the 2 running; beyond that a client gets "Queue is full! Please try again."
# Gradio checks every 10 minutes and deletes uploads older than 50 minutes: no photo stays an hour.
DELETE_CACHE = (600, 3000)


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="MHDF-Net clinician demo (Gradio).")
    parser.add_argument(
        "--checkpoint",
        default=os.environ.get("MHDF_CHECKPOINT", str(DEFAULT_CHECKPOINT)),
        help="checkpoint folder, training run folder or Hugging Face Hub repo id (env MHDF_CHECKPOINT)",
    )
    parser.add_argument("--port", type=int, default=None, help="port (default: env GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--host", default=None, help="interface to bind, e.g. 0.0.0.0 (default: 127.0.0.1)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    add_host_arguments(parser)
    return parser


def photo_routing_views(session: DemoSession, views: dict[str, Any]) -> None:
    """A multi-view checkpoint's routing: the GM-Gate, each photo's share of its steering (plot and table) and the
    expert contributions, then the photos side by side, each with its LC-Gate, Grad-CAM and TKCA per stage (or a
    line saying the case lacks it)."""
    with gr.Row():
        with gr.Column(scale=1):
            views["gm_gate"].render()
        with gr.Column(scale=1):
            for name in GM_BY_VIEW:
                views[name].render()
        with gr.Column(scale=2):
            views["contributions"].render()
    with gr.Row():
        for photo in session.photo_views:
            with gr.Column(min_width=280):
                markdown(Text("routing.photo", photo=photo_label(photo)))
                for name in ("photo_status", "lc_gate", "gradcam"):
                    views[by_photo(name, photo)].render()
                for s in range(session.predictor.config.num_fused_stages):
                    views[stage_view("image", s, photo)].render()
                    views[stage_view("fields", s, photo)].render()


def routing_views(session: DemoSession, views: dict[str, Any]) -> None:
    """The gates, the expert contributions and the TKCA views of every fused stage, two stages a row."""
    markdown(Text("routing.heading"))
    if session.photo_views:
        photo_routing_views(session, views)
        return
    with gr.Row():
        with gr.Column(scale=1):
            views["lc_gate"].render()
        with gr.Column(scale=1):
            views["gm_gate"].render()
        with gr.Column(scale=2):
            views["contributions"].render()
    stages = session.predictor.config.num_fused_stages
    if stages:
        markdown(Text("tkca.heading"))
        for first in range(0, stages, 2):
            with gr.Row():
                for s in range(first, min(first + 2, stages)):
                    with gr.Column(scale=2, min_width=200):
                        views[stage_view("image", s)].render()
                    with gr.Column(scale=3, min_width=240):
                        views[stage_view("fields", s)].render()


def diagnose_tab(
    session: DemoSession, handlers: SimpleNamespace, views: dict[str, Any]
) -> tuple[list, list, Any, list]:
    """Inputs, results, routing views and the report, with their events; returns (photos, form, clear button, [the
    other outputs that Clear resets: report file, field-importance plot and status]). Visitor feedback takes one
    photo: a multi-view checkpoint has none."""
    outputs = [views[name] for name in session.view_names]
    photos, form, clear, diagnose, results = diagnose_inputs(session, handlers, outputs)
    with results:
        for name in ("scope_notice", "status", "note", "ood_warning", "probabilities", "prediction_set"):
            views[name].render()
        if not session.photo_views:
            feedback_section(session.feedback, session.predictor, handlers.send_feedback, [*photos, *form])
        report_button = localize(gr.Button("", elem_id="report"), value=Text("button.report"))
        report_file = gr.File(label=Text("report.label"), elem_id="report-file", interactive=False)
        if not session.photo_views:  # a multi-view checkpoint's Grad-CAM sits with each photo's routing
            views["gradcam"].render()
    routing_views(session, views)
    similar_cases_section(session, handlers, views, "diagnose")
    markdown(Text("modality.heading"))
    views["modality"].render()
    views["figure_text"].render()
    with gr.Row():
        importance_button = localize(
            gr.Button("", elem_id="compute-importance", scale=0), value=Text("button.importance")
        )
        importance_status = markdown(Text("importance.on_request"), elem_id="importance-status")
    importance = importance_plot()
    inputs = [*photos, *form]
    report_button.click(handlers.report, inputs, report_file, api_name="report", preprocess=False)
    importance_button.click(
        handlers.field_importance,
        inputs,
        [importance, importance_status],
        api_name="field_importance",
        preprocess=False,
    )
    # A new diagnosis makes the last one's field importance stale. Cleared in the browser, before Diagnose's own
    # request: the browser handles a click's listeners one after another, and a server round trip here would hold
    # back the diagnosis and could land after a field importance asked for meanwhile.
    cleared_plot, cleared_status = cleared_field_importance()
    cleared = json.dumps([importance.postprocess(cleared_plot).model_dump(), cleared_status])
    diagnose.click(None, outputs=[importance, importance_status], js=f"() => {cleared}")
    diagnose.click(handlers.diagnose, inputs, outputs, api_name="diagnose", preprocess=False, js=SCROLL_TO_RESULT)
    return photos, form, clear, [report_file, importance, importance_status]


def build_demo(session: DemoSession, classroom: str | Path | None = None) -> gr.Blocks:
    """The Blocks app for one loaded checkpoint; with a `classroom` folder, classes are on (the Class tab and the
    `/class_*` endpoints, stored in that folder)."""
    handlers = served_handlers(session)
    views = view_components(session.predictor)
    outputs = [views[name] for name in session.view_names]
    with gr.Blocks(title=Text("app.title"), delete_cache=DELETE_CACHE) as demo:
        with gr.Row():  # on a phone the switch wraps under the title, which then has the screen's width
            with gr.Column(scale=4, min_width=320):
                markdown(Text("app.heading"), elem_id="app-heading")
            with gr.Column(scale=1, min_width=200):
                switch = language_switch()
        markdown(lambda lang: banner(session.predictor, lang), elem_id="banner")
        member = class_member() if classroom is not None else None
        with gr.Tabs() as tabs:
            with gr.Tab(Text("tab.diagnose"), id="diagnose"):
                photos, form, clear, extra_outputs = diagnose_tab(session, handlers, views)
            with gr.Tab(Text("tab.teaching"), id="teaching"):
                teaching_tab(session, handlers, views, photos, form)
            with gr.Tab(Text("tab.lesson"), id="lesson"):
                lesson = lesson_tab(session)
            with gr.Tab(Text("tab.reader_study"), id="reader-study"):
                study = reader_study_tab(session)  # None for a multi-view checkpoint, and so is a class
            if classroom is not None:
                with gr.Tab(Text("tab.class"), id="class"):
                    if study is None:
                        markdown(lambda lang: one_photo_only(session.photo_views, lang), elem_id="class-one-photo")
                    else:
                        class_tab(session, class_store(session, classroom, lesson, study), member, tabs, lesson, study)
            with gr.Tab(Text("tab.api"), id="api"):
                markdown(lambda lang: api_help(session.schema, session.uploads.max_bytes / 1024**2, lang))
        clear.click(handlers.clear, outputs=[*photos, *form, *outputs, *extra_outputs], api_visibility="private")
        # a checkpoint with several photo views takes them by name: `photos` {view: file} instead of `image`
        gr.api(handlers.predict_views if session.multi_view else handlers.predict, api_name="predict")
        gr.api(handlers.similar, api_name="similar")
        language_events(demo, switch)
    return demo


def main(args: argparse.Namespace) -> None:
    try:
        feedback = feedback_from_settings(args.feedback, args.feedback_dataset)
        session = load_session(Path(get_upload_folder()), args.max_file_size, args.checkpoint, args.device, feedback)
        demo = build_demo(session, args.classroom)
    except (ValueError, OSError) as error:  # a broken checkpoint or setting: one line, the traceback with --debug
        raise error if args.debug else SystemExit(f"error: {error}") from None
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        theme=THEME,
        css=CSS,
        head=MEND_ARIA,
        max_file_size=session.uploads.max_bytes,
        app_kwargs={"middleware": [*upload_middleware(session.uploads), first_fetch_cache()]},
    )


if __name__ == "__main__":
    main(get_args_parser().parse_args())
