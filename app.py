"""MHDF-Net clinician demo: a lesion photo + the clinical form -> class probabilities and the expert routing behind
them. Research and teaching demo, not a medical device.

    python app.py [--checkpoint PATH_OR_HUB_ID] [--port 7860] [--host 127.0.0.1] [--max-file-size 20mb]

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

from mhdf.app.components import SCROLL_TO_RESULT, clinical_form, importance_plot, intervention_controls, view_components
from mhdf.app.figures import routing_atlas_figure, routing_atlas_summary
from mhdf.app.form import form_from_record
from mhdf.app.session import DEFAULT_CHECKPOINT, DemoSession, load_session, served_handlers
from mhdf.app.similar import similar_cases_section
from mhdf.app.texts import CURRENT_CASE, IMPORTANCE_ON_REQUEST, api_help, banner, routing_explained, subgroup_table
from mhdf.app.uploads import DEFAULT_MAX_FILE_SIZE, upload_middleware
from mhdf.app.views import case_choices, cleared_field_importance, stage_view

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
    parser.add_argument(
        "--max-file-size",
        default=os.environ.get("MHDF_MAX_FILE_SIZE", DEFAULT_MAX_FILE_SIZE),
        help=f"largest upload accepted, e.g. 20mb or 500kb (env MHDF_MAX_FILE_SIZE; default {DEFAULT_MAX_FILE_SIZE})",
    )
    return parser


def diagnose_inputs(session: DemoSession, handlers: SimpleNamespace, outputs: list) -> tuple[Any, list, Any, Any]:
    """The photo, the form, the buttons and the example cases; returns (photo, form, clear, diagnose)."""
    image = gr.Image(
        label="Lesion photo",
        sources=["upload", "webcam", "clipboard"],
        type="filepath",
        image_mode=None,
        height=300,
        elem_id="photo",
    )
    form = clinical_form(session.schema)
    with gr.Row():
        clear = gr.Button("Clear", elem_id="clear")
        diagnose = gr.Button("Diagnose", variant="primary", elem_id="diagnose")
    if session.examples:
        example_name = gr.Textbox(visible=False)
        gr.Examples(
            examples=[[e.name, str(e.image), *form_from_record(session.schema, e.metadata)] for e in session.examples],
            inputs=[example_name, image, *form],
            outputs=outputs,
            fn=handlers.diagnose_example,
            cache_examples=True,
            cache_mode="lazy",
            preprocess=False,
            example_labels=[e.title for e in session.examples],
            label="Example cases: click one to load and diagnose it",
        )
    return image, form, clear, diagnose


def routing_views(session: DemoSession, views: dict[str, Any]) -> None:
    """The gates, the expert contributions and the TKCA views of every fused stage, two stages a row."""
    gr.Markdown("## Routing")
    with gr.Row():
        with gr.Column(scale=1):
            views["lc_gate"].render()
        with gr.Column(scale=1):
            views["gm_gate"].render()
        with gr.Column(scale=2):
            views["contributions"].render()
    stages = session.predictor.config.num_fused_stages
    if stages:
        gr.Markdown(
            "## TKCA per stage\nBoxes: the image locations the clinical-field queries kept (top-k, numbered "
            "strongest first) over their attention heat map. Bars: the clinical fields the image attended to."
        )
        for first in range(0, stages, 2):
            with gr.Row():
                for s in range(first, min(first + 2, stages)):
                    with gr.Column(scale=2, min_width=200):
                        views[stage_view("image", s)].render()
                    with gr.Column(scale=3, min_width=240):
                        views[stage_view("fields", s)].render()


def diagnose_tab(session: DemoSession, handlers: SimpleNamespace, views: dict[str, Any]) -> tuple[Any, list, Any, list]:
    """Inputs, results, routing views and the report, with their events; returns (photo, form, clear button, [the
    other outputs that Clear resets: report file, field-importance plot and status])."""
    outputs = [views[name] for name in session.view_names]
    with gr.Row():
        with gr.Column(scale=3):
            image, form, clear, diagnose = diagnose_inputs(session, handlers, outputs)
        with gr.Column(scale=2):
            for name in ("status", "note", "ood_warning", "probabilities", "prediction_set"):
                views[name].render()
            report_button = gr.Button("Download report (PDF)", elem_id="report")
            report_file = gr.File(label="Case report (PDF)", elem_id="report-file", interactive=False)
            views["gradcam"].render()
    routing_views(session, views)
    similar_cases_section(session, handlers, views, "diagnose")
    gr.Markdown("## What the clinical data changed")
    views["modality"].render()
    with gr.Row():
        importance_button = gr.Button("Compute field importance", elem_id="compute-importance", scale=0)
        importance_status = gr.Markdown(IMPORTANCE_ON_REQUEST, elem_id="importance-status")
    importance = importance_plot()
    inputs = [image, *form]
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
    return image, form, clear, [report_file, importance, importance_status]


def side_by_side(button: str, labels: tuple[str, str], plot: str, ids: tuple[str, ...]) -> list[Any]:
    """A button and two runs side by side; returns [button, first label, second label, plot, summary]."""
    run = gr.Button(button, variant="primary", elem_id=ids[0])
    text = gr.Markdown(elem_id=ids[1])
    with gr.Row():
        first = gr.Label(label=labels[0], elem_id=ids[2])
        second = gr.Label(label=labels[1], elem_id=ids[3])
    return [run, first, second, gr.Plot(label=plot, elem_id=ids[4]), text]


def teaching_tab(
    session: DemoSession, handlers: SimpleNamespace, views: dict[str, Any], image: Any, form: list
) -> None:
    """The routing explained, the atlas, routing interventions and the two-case comparison."""
    gr.Markdown(routing_explained())
    views["narrative"].render()
    gr.Markdown("### Results per patient subgroup (held-out test fold)")
    gr.Markdown(subgroup_table(session.predictor.card), elem_id="subgroups")
    similar_cases_section(session, handlers, views, "teaching")
    gr.Markdown("### Routing atlas of this checkpoint")
    if session.atlas is not None:
        gr.Plot(routing_atlas_figure(session.atlas), label="Routing atlas", elem_id="routing-atlas")
        gr.Markdown(routing_atlas_summary(session.atlas))
    else:
        gr.Markdown("This checkpoint has no `routing_atlas.json` (written by `training.evaluate`).")
    gr.Markdown(
        "### Routing interventions\nOverride the gates for one run of the current case (photo and form of the "
        "Diagnose tab) and compare with the unmodified run."
    )
    controls = intervention_controls(session.predictor.config)
    run, *intervention = side_by_side(
        "Run intervention",
        ("Unmodified run", "With intervention"),
        "Routing: unmodified vs intervened",
        (
            "run-intervention",
            "intervention-summary",
            "intervention-baseline",
            "intervention-result",
            "intervention-plot",
        ),
    )
    run.click(handlers.intervene, [image, *controls, *form], intervention, api_name="intervene", preprocess=False)
    gr.Markdown("### Compare two cases")
    choices = case_choices(session.examples)
    with gr.Row():
        case_a = gr.Dropdown(choices, value=CURRENT_CASE, label="Case A", elem_id="case-a")
        case_b = gr.Dropdown(choices, value=choices[min(1, len(choices) - 1)], label="Case B", elem_id="case-b")
    compare, *comparison = side_by_side(
        "Compare cases",
        ("Case A", "Case B"),
        "Routing of case A vs case B",
        ("compare", "comparison-summary", "case-a-probabilities", "case-b-probabilities", "comparison-plot"),
    )
    compare.click(handlers.compare, [case_a, case_b, image, *form], comparison, api_name="compare", preprocess=False)


def build_demo(session: DemoSession) -> gr.Blocks:
    """The Blocks app for one loaded checkpoint."""
    handlers = served_handlers(session)
    views = view_components(session.predictor)
    outputs = [views[name] for name in session.view_names]
    with gr.Blocks(title="MHDF-Net skin-lesion routing demo", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# MHDF-Net: photo + clinical data, and the expert routing behind every answer")
        gr.Markdown(banner(session.predictor), elem_id="banner")
        with gr.Tabs():
            with gr.Tab("Diagnose", id="diagnose"):
                image, form, clear, extra_outputs = diagnose_tab(session, handlers, views)
            with gr.Tab("Teaching", id="teaching"):
                teaching_tab(session, handlers, views, image, form)
            with gr.Tab("API", id="api"):
                gr.Markdown(api_help(session.schema, session.uploads.max_bytes / 1024**2))
        clear.click(handlers.clear, outputs=[image, *form, *outputs, *extra_outputs], api_visibility="private")
        gr.api(handlers.predict, api_name="predict")
        gr.api(handlers.similar, api_name="similar")
    return demo


def main(args: argparse.Namespace) -> None:
    try:
        session = load_session(Path(get_upload_folder()), args.max_file_size, args.checkpoint, args.device)
        demo = build_demo(session)
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        theme=gr.themes.Soft(),
        max_file_size=session.uploads.max_bytes,
        app_kwargs={"middleware": upload_middleware(session.uploads)},
    )


if __name__ == "__main__":
    main(get_args_parser().parse_args())
