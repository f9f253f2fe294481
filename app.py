"""MHDF-Net clinician demo: a lesion photo + the clinical form -> class probabilities and the expert routing behind
them. Research and teaching demo, not a medical device.

    python app.py [--checkpoint PATH_OR_HUB_ID] [--port 7860] [--host 127.0.0.1] [--max-file-size 20mb]

Gradio UI only: layout and wiring. What each event computes lives in `mhdf.demo` (views by name, interventions,
comparisons, texts), the form in `mhdf.form`, the checkpoint folder in `mhdf.checkpoint`, and which files a request
may open in `mhdf.uploads`.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import gradio as gr
import torch
from gradio.components.native_plot import PlotData
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from mhdf.checkpoint import ExampleCase, checkpoint_folder, read_examples, read_routing_atlas
from mhdf.demo import (
    CURRENT_CASE,
    IMPORTANCE_ON_REQUEST,
    MODEL_CHOICE,
    NARRATIVE_PLACEHOLDER,
    api_help,
    banner,
    case_choices,
    cleared_field_importance,
    cleared_views,
    comparison_view,
    diagnose_case,
    field_importance_views,
    find_example,
    intervention_view,
    overrides_from_controls,
    progressive_diagnosis,
    routing_explained,
    subgroup_table,
    view_names,
)
from mhdf.figures import expert_name, routing_atlas_figure, routing_atlas_summary, stage_name
from mhdf.form import NOT_RECORDED_LABEL, FormField, empty_form, form_from_record, grouped_form_fields, record_from_form
from mhdf.inference import Predictor
from mhdf.report import case_report
from mhdf.routing import LC_PATHS
from mhdf.uploads import DEFAULT_MAX_FILE_SIZE, UploadOnlyMiddleware, UploadPolicy, parse_file_size, uploaded_file

try:  # Hugging Face ZeroGPU: a GPU is attached only while a decorated function runs
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn):
        return fn


DEFAULT_CHECKPOINT = "assets/demo"
CONCURRENCY_LIMIT = 2  # forward passes at once: the 2-core CPU gains nothing from more
QUEUE_SIZE = 128  # waiting events past the 2 running; beyond that a client gets "Queue is full! Please try again."
# Gradio checks every 10 minutes and deletes uploads older than 50 minutes: no photo stays an hour.
DELETE_CACHE = (600, 3000)
FORM_COLUMNS = 3
# On a phone the results sit below the 21-field form: bring them into view when Diagnose is pressed. It runs as
# the Diagnose event's own `js`, before its request is sent, and hands the inputs on unchanged.
SCROLL_TO_RESULT = """(...inputs) => {
  document.getElementById('diagnose-status').scrollIntoView({block: 'start'});
  return inputs;
}"""


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="MHDF-Net clinician demo (Gradio).")
    parser.add_argument(
        "--checkpoint",
        default=os.environ.get("MHDF_CHECKPOINT", DEFAULT_CHECKPOINT),
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


def reports_user_errors(handler: Callable) -> Callable:
    """A ValueError (bad photo, impossible value, refused file) becomes a message for the person at the browser or
    the API client; nothing about the case reaches the logs. Works for plain and for streaming (generator) events."""

    def user_error(error: ValueError) -> gr.Error:
        return gr.Error(str(error), title="Cannot diagnose this case", print_exception=False)

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streaming(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from handler(*args, **kwargs)
            except ValueError as error:
                raise user_error(error) from None

        return streaming

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except ValueError as error:
            raise user_error(error) from None

    return wrapper


class DemoSession:
    """One loaded checkpoint and its event handlers.

    Events that take the photo or the form run with preprocess=False: the raw values go to `mhdf.uploads` (only
    this server's uploads are opened), the schema's validation and `mhdf.images.load_image`, so a corrupt file,
    a decompression bomb or an impossible value gets an error naming the problem. `build_demo` wraps the bound
    methods with `spaces.GPU`, so on ZeroGPU the session (and its model) is inherited, never pickled.
    """

    def __init__(
        self, predictor: Predictor, examples: list[ExampleCase], atlas: dict[str, Any] | None, uploads: UploadPolicy
    ) -> None:
        self.predictor = predictor
        self.schema = predictor.schema
        self.examples = examples
        self.atlas = atlas
        self.uploads = uploads
        self.view_names = view_names(predictor.config.num_fused_stages)

    def _in_view_order(self, views: Mapping[str, Any]) -> list[Any]:
        return [views[name] for name in self.view_names]

    def _case(self, choice: str, image: Any, form_values: tuple) -> tuple[Path | None, dict[str, Any]]:
        if choice == CURRENT_CASE:
            return uploaded_file(image, self.uploads), record_from_form(self.schema, form_values)
        example = find_example(self.examples, title=choice)
        return example.image, example.metadata

    @reports_user_errors
    @torch.inference_mode()
    def diagnose(self, image: Any, *form_values: Any) -> Iterator[list[Any]]:
        """Streams the views: the probabilities and every routing view after one forward pass, then the rest."""
        record = record_from_form(self.schema, form_values)
        for views in progressive_diagnosis(self.predictor, uploaded_file(image, self.uploads), record):
            yield self._in_view_order(views)

    @reports_user_errors
    @torch.inference_mode()
    def field_importance(self, image: Any, *form_values: Any) -> Iterator[tuple[Any, str]]:
        """Each filled field set to unknown in turn, streamed batch by batch."""
        record = record_from_form(self.schema, form_values)
        yield from field_importance_views(self.predictor, uploaded_file(image, self.uploads), record)

    @reports_user_errors
    @torch.inference_mode()
    def diagnose_example(self, name: str, *shown: Any) -> list[Any]:
        """An example case, read from the checkpoint folder by name; `shown` (its photo and form as displayed) is
        not read, so no path a client sends is opened here."""
        example = find_example(self.examples, name=name)
        return self._in_view_order(diagnose_case(self.predictor, example.image, example.metadata))

    @reports_user_errors
    @torch.inference_mode()
    def intervene(
        self, image: Any, disabled: list[int], forced: int | None, temperature: float, hard: bool, *paths_and_form: Any
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        stages = self.predictor.config.num_fused_stages
        lc_paths, form_values = paths_and_form[:stages], paths_and_form[stages:]
        overrides = overrides_from_controls(self.predictor.config, disabled, forced, temperature, hard, lc_paths)
        record = record_from_form(self.schema, form_values)
        view = intervention_view(self.predictor, uploaded_file(image, self.uploads), record, overrides)
        return view.first, view.second, view.figure, view.summary

    @reports_user_errors
    @torch.inference_mode()
    def compare(
        self, choice_a: str, choice_b: str, image: Any, *form_values: Any
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        cases = [self._case(choice, image, form_values) for choice in (choice_a, choice_b)]
        view = comparison_view(self.predictor, cases)
        return view.first, view.second, view.figure, view.summary

    @reports_user_errors
    @torch.inference_mode()
    def predict(self, image: dict[str, Any] | None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Classify a lesion photo with its clinical metadata. `image`: an image file (gradio_client
        `handle_file(path)`); `metadata`: {field: value} with the checkpoint's field names (leave a field out
        when unknown). Returns the JSON document of `python -m mhdf.predict`."""
        path = uploaded_file(image, self.uploads)
        if path is None:
            raise ValueError("no image: send the lesion photo as a file")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValueError("metadata must be a JSON object of clinical fields")
        return self.predictor.predict(path, metadata or {}).to_dict()

    @reports_user_errors
    @torch.inference_mode()
    def report(self, image: Any, *form_values: Any) -> str:
        """The case report (PDF) of the current photo and form, written into Gradio's cache folder, which deletes
        it with the uploads (see SECURITY.md); never kept anywhere else."""
        record = record_from_form(self.schema, form_values)
        photo = uploaded_file(image, self.uploads)
        self.uploads.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="report-", dir=self.uploads.folder))
        return str(case_report(folder / "mhdf-case-report.pdf", self.predictor, photo, record))

    def clear(self) -> list[Any]:
        """The empty photo and form, every view cleared, no report and no field importance."""
        cleared = cleared_views(self.predictor.config.num_fused_stages)
        return [None, *empty_form(self.schema), *self._in_view_order(cleared), None, *cleared_field_importance()]


def bar_plot(**kwargs: Any) -> gr.BarPlot:
    """`gr.BarPlot` whose lazily cached example values load back as plot data. Gradio 6.31's native plots declare
    no data model, so a cached value comes back as JSON text, which the browser cannot draw."""
    plot = gr.BarPlot(**kwargs)
    plot.data_model = PlotData
    return plot


def form_component(field: FormField, value: Any) -> gr.components.Component:
    if field.widget == "number":
        # a textbox, not gr.Number: Gradio's number input shows and sends 0 for an empty value, and 0 mm is not
        # "unknown"; the schema parses the text and names the field when it is not a valid number
        return gr.Textbox(
            value=value,
            max_lines=1,
            label=field.label,
            info=field.info,
            placeholder=NOT_RECORDED_LABEL,
            elem_id=f"field-{field.name}",
        )
    component = gr.Radio if field.widget == "radio" else gr.Dropdown
    return component(
        choices=list(field.choices), value=value, label=field.label, info=field.info, elem_id=f"field-{field.name}"
    )


def view_components(session: DemoSession) -> dict[str, gr.components.Component]:
    """One output component per view of a diagnosis, keyed like `mhdf.demo.view_names`; created unrendered and
    placed by the tabs (the examples under the inputs need them first)."""
    config, schema = session.predictor.config, session.schema
    field_labels = [spec.label for spec in schema.fields]
    views = {
        "status": gr.Markdown(elem_id="diagnose-status", render=False),
        "note": gr.Markdown(elem_id="result-note", render=False),
        "ood_warning": gr.Markdown(elem_id="ood-warning", render=False),
        "probabilities": gr.Label(
            label="Class probabilities"
            + (" (calibrated)" if session.predictor.trust.calibration is not None else "")
            + (" (synthetic-data model)" if config.synthetic_data else ""),
            num_top_classes=len(config.class_names),
            elem_id="probabilities",
            render=False,
        ),
        "prediction_set": gr.Markdown(elem_id="prediction-set", render=False),
        "lc_gate": bar_plot(
            x="stage",
            y="weight",
            color="route",
            y_lim=[0, 1],
            label="LC-Gate per stage",
            caption="Weight of the image path vs the path fused with the clinical fields, per stage.",
            elem_id="lc-gate",
            render=False,
        ),
        "gm_gate": bar_plot(
            x="expert",
            y="weight",
            y_lim=[0, 1],
            label="GM-Gate",
            caption="Weight of each expert in the final mixture.",
            elem_id="gm-gate",
            render=False,
        ),
        "contributions": gr.HTML(
            label="Expert → class contributions",  # the table's caption shows it
            apply_default_css=False,
            container=True,
            padding=True,
            elem_id="expert-contributions",
            render=False,
        ),
    }
    for s in range(config.num_fused_stages):  # the outputs take their order from `view_names`, not from here
        views[f"tkca_image_{s + 1}"] = gr.Image(
            label=f"{stage_name(s)}: top-k locations", height=240, elem_id=f"tkca-image-{s + 1}", render=False
        )
        views[f"tkca_fields_{s + 1}"] = bar_plot(
            x="field",
            y="weight",
            label=f"{stage_name(s)}: fields attended",
            x_label_angle=-50,
            sort=field_labels,
            height=240,
            elem_id=f"tkca-fields-{s + 1}",
            render=False,
        )
    views["gradcam"] = gr.Image(label="Grad-CAM: final stage, predicted class", elem_id="gradcam", render=False)
    views["modality"] = gr.Plot(label="Modality comparison", elem_id="modality-comparison", render=False)
    views["narrative"] = gr.Markdown(NARRATIVE_PLACEHOLDER, elem_id="teaching-narrative", render=False)
    return views


def importance_plot() -> gr.BarPlot:
    """Field importance: computed on request by its own event, not part of Diagnose's views."""
    return bar_plot(
        x="field",
        y="magnitude",
        color="effect",
        sort="-y",
        x_label_angle=-40,
        label="Field importance",
        caption="Change of the predicted class's probability (percentage points) when the field is set to unknown.",
        elem_id="field-importance",
    )


def clinical_form(session: DemoSession) -> list[gr.components.Component]:
    """The clinical form in groups and rows; returns its inputs in schema order."""
    schema = session.schema
    blank = empty_form(schema)
    placed = []
    for title, fields in grouped_form_fields(schema).items():
        with gr.Accordion(f"{title} (any field may stay not recorded)", open=True):
            for start in range(0, len(fields), FORM_COLUMNS):
                with gr.Row():
                    for field in fields[start : start + FORM_COLUMNS]:
                        index = schema.field_names.index(field.name)
                        placed.append((index, form_component(field, blank[index])))
    return [component for _, component in sorted(placed, key=lambda item: item[0])]


def diagnose_tab(session: DemoSession, views: dict[str, gr.components.Component]) -> tuple[Any, ...]:
    """Photo, form, buttons, examples, every view and the report, and the Diagnose event; returns (photo, form,
    clear button, [the other outputs that Clear resets: report file, field-importance plot and status])."""
    outputs = [views[name] for name in session.view_names]
    with gr.Row():
        with gr.Column(scale=3):
            image = gr.Image(
                label="Lesion photo",
                sources=["upload", "webcam", "clipboard"],
                type="filepath",
                image_mode=None,
                height=300,
                elem_id="photo",
            )
            form = clinical_form(session)
            with gr.Row():
                clear = gr.Button("Clear", elem_id="clear")
                diagnose_button = gr.Button("Diagnose", variant="primary", elem_id="diagnose")
            if session.examples:
                example_name = gr.Textbox(visible=False)
                gr.Examples(
                    examples=[
                        [e.name, str(e.image), *form_from_record(session.schema, e.metadata)] for e in session.examples
                    ],
                    inputs=[example_name, image, *form],
                    outputs=outputs,
                    fn=gpu(session.diagnose_example),
                    cache_examples=True,
                    cache_mode="lazy",
                    preprocess=False,
                    example_labels=[e.title for e in session.examples],
                    label="Example cases: click one to load and diagnose it",
                )
        with gr.Column(scale=2):
            for name in ("status", "note", "ood_warning", "probabilities", "prediction_set"):
                views[name].render()
            report_button = gr.Button("Download report (PDF)", elem_id="report")
            report_file = gr.File(label="Case report (PDF)", elem_id="report-file", interactive=False)
            views["gradcam"].render()
    gr.Markdown("## Routing")
    with gr.Row():
        with gr.Column(scale=1):
            views["lc_gate"].render()
        with gr.Column(scale=1):
            views["gm_gate"].render()
        with gr.Column(scale=2):
            views["contributions"].render()
    stages = range(1, session.predictor.config.num_fused_stages + 1)
    if stages:
        gr.Markdown(
            "## TKCA per stage\nBoxes: the image locations the clinical-field queries kept (top-k, numbered "
            "strongest first) over their attention heat map. Bars: the clinical fields the image attended to."
        )
        for first in range(1, len(stages) + 1, 2):
            with gr.Row():
                for s in range(first, min(first + 2, len(stages) + 1)):
                    with gr.Column(scale=2, min_width=200):
                        views[f"tkca_image_{s}"].render()
                    with gr.Column(scale=3, min_width=240):
                        views[f"tkca_fields_{s}"].render()
    gr.Markdown("## What the clinical data changed")
    views["modality"].render()
    with gr.Row():
        importance_button = gr.Button("Compute field importance", elem_id="compute-importance", scale=0)
        importance_status = gr.Markdown(IMPORTANCE_ON_REQUEST, elem_id="importance-status")
    importance = importance_plot()
    report_button.click(gpu(session.report), [image, *form], report_file, api_name="report", preprocess=False)
    importance_button.click(
        gpu(session.field_importance),
        [image, *form],
        [importance, importance_status],
        api_name="field_importance",
        preprocess=False,
    )
    # A new diagnosis makes the last one's field importance stale. Cleared in the browser, before Diagnose's own
    # request: the browser handles a click's listeners one after another, and a server round trip here would hold
    # back the diagnosis and could land after a field importance asked for meanwhile.
    cleared_plot, cleared_status = cleared_field_importance()
    cleared = json.dumps([importance.postprocess(cleared_plot).model_dump(), cleared_status])
    diagnose_button.click(None, outputs=[importance, importance_status], js=f"() => {cleared}")
    diagnose_button.click(
        gpu(session.diagnose), [image, *form], outputs, api_name="diagnose", preprocess=False, js=SCROLL_TO_RESULT
    )
    return image, form, clear, [report_file, importance, importance_status]


def teaching_tab(session: DemoSession, views: dict[str, gr.components.Component], image: Any, form: list) -> None:
    """The routing explained, the atlas, routing interventions and the two-case comparison."""
    config = session.predictor.config
    experts = range(config.experts)
    gr.Markdown(routing_explained())
    views["narrative"].render()
    gr.Markdown("### Results per patient subgroup (held-out test fold)")
    gr.Markdown(subgroup_table(session.predictor.card), elem_id="subgroups")
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
    with gr.Row():
        disabled = gr.CheckboxGroup(
            [(expert_name(e), e) for e in experts], label="Knock out experts", elem_id="knock-out"
        )
        forced = gr.Dropdown(
            [("none", -1), *((expert_name(e), e) for e in experts)],
            value=-1,
            label="Force all GM-Gate weight onto",
            elem_id="force-expert",
        )
        temperature = gr.Slider(
            0.1,
            5.0,
            value=config.gate_temperature,
            step=0.1,
            label="GM-Gate temperature",
            info="Below 1 sharpens the expert mix, above 1 flattens it.",
            elem_id="temperature",
        )
        hard = gr.Checkbox(value=config.hard_gate, label="Hard top-1 GM routing", elem_id="hard")
    with gr.Row():
        lc_paths = [
            gr.Radio(
                [MODEL_CHOICE, *LC_PATHS],
                value=MODEL_CHOICE,
                label=f"LC-Gate, {stage_name(stage)}",
                elem_id=f"lc-force-{stage + 1}",
            )
            for stage in range(config.num_fused_stages)
        ]
    intervention_button = gr.Button("Run intervention", variant="primary", elem_id="run-intervention")
    intervention_summary = gr.Markdown(elem_id="intervention-summary")
    with gr.Row():
        baseline_label = gr.Label(label="Unmodified run", elem_id="intervention-baseline")
        intervened_label = gr.Label(label="With intervention", elem_id="intervention-result")
    intervention_plot = gr.Plot(label="Routing: unmodified vs intervened", elem_id="intervention-plot")
    gr.Markdown("### Compare two cases")
    choices = case_choices(session.examples)
    with gr.Row():
        case_a = gr.Dropdown(choices, value=CURRENT_CASE, label="Case A", elem_id="case-a")
        case_b = gr.Dropdown(choices, value=choices[min(1, len(choices) - 1)], label="Case B", elem_id="case-b")
    compare_button = gr.Button("Compare cases", elem_id="compare")
    comparison_summary = gr.Markdown(elem_id="comparison-summary")
    with gr.Row():
        label_a = gr.Label(label="Case A", elem_id="case-a-probabilities")
        label_b = gr.Label(label="Case B", elem_id="case-b-probabilities")
    comparison_plot = gr.Plot(label="Routing of case A vs case B", elem_id="comparison-plot")

    intervention_button.click(
        gpu(session.intervene),
        [image, disabled, forced, temperature, hard, *lc_paths, *form],
        [baseline_label, intervened_label, intervention_plot, intervention_summary],
        api_name="intervene",
        preprocess=False,
    )
    compare_button.click(
        gpu(session.compare),
        [case_a, case_b, image, *form],
        [label_a, label_b, comparison_plot, comparison_summary],
        api_name="compare",
        preprocess=False,
    )


def build_demo(session: DemoSession) -> gr.Blocks:
    """The Blocks app for one loaded checkpoint."""
    views = view_components(session)
    outputs = [views[name] for name in session.view_names]
    with gr.Blocks(title="MHDF-Net skin-lesion routing demo", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# MHDF-Net: photo + clinical data, and the expert routing behind every answer")
        gr.Markdown(banner(session.predictor), elem_id="banner")
        with gr.Tabs():
            with gr.Tab("Diagnose", id="diagnose"):
                image, form, clear, extra_outputs = diagnose_tab(session, views)
            with gr.Tab("Teaching", id="teaching"):
                teaching_tab(session, views, image, form)
            with gr.Tab("API", id="api"):
                gr.Markdown(api_help(session.schema, session.uploads.max_bytes / 1024**2))
        clear.click(session.clear, outputs=[image, *form, *outputs, *extra_outputs], api_visibility="private")
        gr.api(gpu(session.predict), api_name="predict")
    return demo


def main(args: argparse.Namespace) -> None:
    try:
        uploads = UploadPolicy(Path(get_upload_folder()), parse_file_size(args.max_file_size))
        folder = checkpoint_folder(args.checkpoint)
        # loaded on the CPU, then moved: on ZeroGPU the main process may not initialise CUDA itself
        predictor = Predictor.from_pretrained(folder, device="cpu").to(args.device)
        session = DemoSession(predictor, read_examples(folder, predictor.schema), read_routing_atlas(folder), uploads)
        demo = build_demo(session)
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        theme=gr.themes.Soft(),
        max_file_size=uploads.max_bytes,
        # checked before Gradio reads a request: it would otherwise fetch a URL a client names as a file path
        app_kwargs={"middleware": [Middleware(UploadOnlyMiddleware, policy=uploads)]},
    )


if __name__ == "__main__":
    main(get_args_parser().parse_args())
