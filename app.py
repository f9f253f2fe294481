"""MHDF-Net clinician demo: a lesion photo + the clinical form -> class probabilities and the expert routing behind
them. Research and teaching demo, not a medical device.

    python app.py [--checkpoint PATH_OR_HUB_ID] [--port 7860] [--host 127.0.0.1]

Gradio UI only: layout and wiring. Predictions come from `mhdf.inference`, explanations from `mhdf.explain`,
figures from `mhdf.figures`, the form from `mhdf.form`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import torch
from gradio.components.native_plot import PlotData

from mhdf.bundle import ExampleCase, checkpoint_folder, load_examples, load_routing_atlas
from mhdf.explain import compare_cases, describe_overrides, diagnose, intervene, narrate, routing_difference
from mhdf.figures import (
    attention_overlay,
    expert_contribution_figure,
    expert_name,
    field_attention_frame,
    field_importance_frame,
    gm_gate_frame,
    gradcam_overlay,
    lc_gate_frame,
    probability_label,
    routing_atlas_figure,
    routing_atlas_summary,
    routing_comparison_figure,
    stage_name,
)
from mhdf.form import NOT_RECORDED_LABEL, FormField, empty_form, form_from_record, grouped_form_fields, record_from_form
from mhdf.inference import Predictor, resolve_device
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS, RoutingOverrides

try:  # Hugging Face ZeroGPU: a GPU is attached only while a decorated function runs
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn):
        return fn


DEFAULT_CHECKPOINT = "assets/demo"
CONCURRENCY_LIMIT = 2  # forward passes at once: the 2-core CPU gains nothing from more
QUEUE_SIZE = 64
# Gradio checks every 10 minutes and deletes uploads older than 50 minutes: no photo stays an hour.
DELETE_CACHE = (600, 3000)
FORM_COLUMNS = 3
NOTICE = "Research and teaching demo, **not a medical device**: never use it to diagnose or treat anyone."
SYNTHETIC_WARNING = "Synthetic-data weights: these numbers say nothing about real patients."
MODEL_CHOICE = "model's choice"
CURRENT_CASE = "Current case (photo and form of the Diagnose tab)"
NARRATIVE_PLACEHOLDER = "*Diagnose a case to see it explained here.*"
ROUTING_EXPLAINED = """
### How MHDF-Net routes a case

MHDF-Net reads the photo with a convolutional backbone in stages, from fine texture to whole-lesion shape, and
brings in the clinical form at every stage instead of only at the end.

1. **Field tokens.** Each clinical field becomes a vector; a field left *not recorded* gets a learned "missing"
   vector, so the model knows the difference between *no* and *unknown*.
2. **TKCA (top-k cross-attention), after each stage.** The field tokens look at the image locations and keep only
   their *k* strongest matches (the boxes in *TKCA per stage*); the image locations look back at the fields (the
   bars: which fields the photo "asked about").
3. **LC-Gate, after each stage.** The image-plus-fields summary re-weights the feature channels the next stage
   sees; a gate then weighs the stage's own (re-weighted) image features against that image-plus-fields summary,
   and the mix is the stage's local vector (*LC-Gate per stage*).
4. **GM-Gate and experts, at the end.** Several expert networks each read the local vectors of all stages; the
   GM-Gate decides how much each counts (*GM-Gate*). A single linear classifier makes the logits exactly the sum
   of each expert's gated contribution plus a bias (*Expert → class contributions*).

Below, the case you diagnosed last is walked through step by step.
"""


def bar_plot(**kwargs: Any) -> gr.BarPlot:
    """`gr.BarPlot` whose lazily cached example values load back as plot data. Gradio 6.31's native plots declare
    no data model, so a cached value comes back as JSON text, which the browser cannot draw."""
    plot = gr.BarPlot(**kwargs)
    plot.data_model = PlotData
    return plot


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
    return parser


def image_path(payload: Any) -> str | None:
    """The uploaded file's path from a raw image payload (events run with preprocess=False, see `build_demo`)."""
    if payload is None or isinstance(payload, str):
        return payload or None
    if isinstance(payload, Mapping):
        return payload.get("path")
    raise gr.Error(f"expected an image file, got {type(payload).__name__}", print_exception=False)


def user_error(error: ValueError) -> gr.Error:
    """A message for the person at the browser (or the API client); nothing about the case reaches the logs."""
    return gr.Error(str(error), title="Cannot diagnose this case", print_exception=False)


def banner(predictor: Predictor) -> str:
    info = predictor.model_info
    text = (
        f"**Checkpoint:** `{info['name']}` ({info['backbone']}, variant {info['variant']}, "
        f"{predictor.schema.label} schema) · **Trained on:** {info['training_data']}"
    )
    if info["synthetic"]:
        text += f"  \n⚠️ **{SYNTHETIC_WARNING}**"
    return f"{text}  \n{NOTICE}"


def result_note(predictor: Predictor, predicted: str) -> str:
    info = predictor.model_info
    label = "⚠️ synthetic-data model · " if info["synthetic"] else ""
    return f"{label}Top class **{predicted}** from `{info['name']}` · {NOTICE}"


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


def build_demo(predictor: Predictor, examples: list[ExampleCase], atlas: dict[str, Any] | None) -> gr.Blocks:
    """The Blocks app for one loaded checkpoint.

    Events that take the photo or the form run with preprocess=False: the raw values go straight to the schema's
    validation and to `mhdf.images.load_image`, so a corrupt file, a decompression bomb or an impossible value
    gets an error naming the problem, not a generic component failure.
    """
    schema = predictor.schema
    stages = list(range(len(predictor.model.lc_moe)))
    experts = range(predictor.config.experts)
    example_by_title = {example.title: example for example in examples}

    def case_inputs(choice: str, image: Any, form_values: tuple) -> tuple[str | Path | None, dict[str, Any]]:
        if choice == CURRENT_CASE:
            return image_path(image), record_from_form(schema, form_values)
        example = example_by_title[choice]
        return example.image, example.metadata

    @gpu
    @torch.inference_mode()
    def run_diagnosis(image: Any, *form_values: Any) -> list[Any]:
        try:
            result = diagnose(predictor, image_path(image), record_from_form(schema, form_values))
        except ValueError as error:
            raise user_error(error) from None
        prediction = result.prediction
        outputs = [
            result_note(predictor, prediction.prediction),
            probability_label(prediction),
            lc_gate_frame(prediction),
            gm_gate_frame(prediction),
            expert_contribution_figure(prediction),
        ]
        outputs += [attention_overlay(result.view, prediction, stage) for stage in stages]
        outputs += [field_attention_frame(prediction, stage, schema) for stage in stages]
        outputs += [
            gradcam_overlay(result.view, result.gradcam) if result.gradcam is not None else None,
            routing_comparison_figure(
                prediction,
                result.without_metadata,
                ("metadata as entered", "all metadata unknown"),
                "What the clinical data changed",
            ),
            field_importance_frame(result.field_importance),
            narrate(result, schema),
        ]
        return outputs

    @gpu
    @torch.inference_mode()
    def run_intervention(
        image: Any,
        disabled: list[int],
        forced: int | None,
        temperature: float,
        hard: bool,
        *paths_and_form: Any,
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        lc_paths, form_values = paths_and_form[: len(stages)], paths_and_form[len(stages) :]
        try:
            overrides = RoutingOverrides(
                # None = the checkpoint's own setting, so the summary names only real interventions
                gm_temperature=None if temperature == predictor.config.gate_temperature else float(temperature),
                gm_hard=None if bool(hard) == predictor.config.hard_gate else bool(hard),
                gm_disabled_experts=tuple(int(e) for e in disabled or ()),
                gm_forced_expert=None if forced in (None, "", -1) else int(forced),
                lc_forced_paths={s: p for s, p in zip(stages, lc_paths, strict=True) if p in LC_PATHS},
            )
            result = intervene(predictor, image_path(image), record_from_form(schema, form_values), overrides)
        except ValueError as error:
            raise user_error(error) from None
        summary = (
            f"**Intervention:** {describe_overrides(overrides)}. Top class {result.baseline.prediction} → "
            f"**{result.intervened.prediction}**; the class probabilities moved by "
            f"{routing_difference(result.baseline, result.intervened).probabilities:.1%} (total variation)."
        )
        return (
            probability_label(result.baseline),
            probability_label(result.intervened),
            routing_comparison_figure(
                result.baseline, result.intervened, ("unmodified", "intervened"), "Unmodified run vs intervention"
            ),
            summary,
        )

    @gpu
    @torch.inference_mode()
    def run_comparison(
        choice_a: str, choice_b: str, image: Any, *form_values: Any
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        try:
            first, second = compare_cases(
                predictor, [case_inputs(choice_a, image, form_values), case_inputs(choice_b, image, form_values)]
            )
        except ValueError as error:
            raise user_error(error) from None
        difference = routing_difference(first, second)
        stage_text = ", ".join(f"{d:.2f}" for d in difference.lc_gate)
        summary = (
            f"Case A: **{first.prediction}**, case B: **{second.prediction}**. GM-Gate weights differ by "
            f"{difference.gm_gate:.1%} (total variation)"
            + (f"; LC-Gate fused-path weights differ by {stage_text} at stages 1 to {len(stages)}." if stages else ".")
        )
        return (
            probability_label(first),
            probability_label(second),
            routing_comparison_figure(first, second, ("case A", "case B"), "Routing of case A vs case B"),
            summary,
        )

    @gpu
    @torch.inference_mode()
    def predict(image: dict[str, Any] | None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Classify a lesion photo with its clinical metadata. `image`: an image file (gradio_client
        `handle_file(path)`); `metadata`: {field: value} with the checkpoint's field names (leave a field out
        when unknown). Returns the JSON document of `python -m mhdf.predict`."""
        path = image_path(image)
        if path is None:
            raise gr.Error("no image: send the lesion photo as a file", print_exception=False)
        if metadata is not None and not isinstance(metadata, Mapping):
            raise gr.Error("metadata must be a JSON object of clinical fields", print_exception=False)
        try:
            return predictor.predict(path, metadata or {}).to_dict()
        except ValueError as error:
            raise user_error(error) from None

    # Outputs first (render=False), placed in the layout below: the examples under the inputs need them.
    note = gr.Markdown(elem_id="result-note", render=False)
    probabilities = gr.Label(
        label="Class probabilities" + (" (synthetic-data model)" if predictor.config.synthetic_data else ""),
        num_top_classes=len(predictor.config.class_names),
        elem_id="probabilities",
        render=False,
    )
    gradcam = gr.Image(label="Grad-CAM: final stage, predicted class", elem_id="gradcam", render=False)
    lc_gate = bar_plot(
        x="stage",
        y="weight",
        color="route",
        y_lim=[0, 1],
        label="LC-Gate per stage",
        caption="Weight of the image path vs the path fused with the clinical fields, per stage.",
        elem_id="lc-gate",
        render=False,
    )
    gm_gate = bar_plot(
        x="expert",
        y="weight",
        y_lim=[0, 1],
        label="GM-Gate",
        caption="Weight of each expert in the final mixture.",
        elem_id="gm-gate",
        render=False,
    )
    contributions = gr.Plot(label="Expert → class contributions", elem_id="expert-contributions", render=False)
    field_labels = [spec.label for spec in schema.fields]
    tkca_images = [
        gr.Image(label=f"{stage_name(s)}: top-k locations", height=240, elem_id=f"tkca-image-{s + 1}", render=False)
        for s in stages
    ]
    tkca_fields = [
        bar_plot(
            x="field",
            y="weight",
            label=f"{stage_name(s)}: fields attended",
            x_label_angle=-50,
            sort=field_labels,
            height=240,
            elem_id=f"tkca-fields-{s + 1}",
            render=False,
        )
        for s in stages
    ]
    modality = gr.Plot(label="Modality comparison", elem_id="modality-comparison", render=False)
    importance = bar_plot(
        x="field",
        y="magnitude",
        color="effect",
        sort="-y",
        x_label_angle=-40,
        label="Field importance",
        caption="Change of the predicted class's probability (percentage points) when the field is set to unknown.",
        elem_id="field-importance",
        render=False,
    )
    narrative = gr.Markdown(NARRATIVE_PLACEHOLDER, elem_id="teaching-narrative", render=False)
    diagnosis_outputs = [
        note, probabilities, lc_gate, gm_gate, contributions, *tkca_images, *tkca_fields, gradcam, modality,
        importance, narrative,
    ]  # fmt: skip

    with gr.Blocks(title="MHDF-Net skin-lesion routing demo", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# MHDF-Net: photo + clinical data, and the expert routing behind every answer")
        gr.Markdown(banner(predictor), elem_id="banner")
        with gr.Tabs():
            with gr.Tab("Diagnose", id="diagnose"):
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
                        form = []
                        blank = empty_form(schema)
                        for title, fields in grouped_form_fields(schema).items():
                            with gr.Accordion(f"{title} (any field may stay not recorded)", open=True):
                                for start in range(0, len(fields), FORM_COLUMNS):
                                    with gr.Row():
                                        for field in fields[start : start + FORM_COLUMNS]:
                                            index = schema.field_names.index(field.name)
                                            form.append((index, form_component(field, blank[index])))
                        form = [component for _, component in sorted(form, key=lambda item: item[0])]
                        with gr.Row():
                            clear = gr.Button("Clear", elem_id="clear")
                            diagnose_button = gr.Button("Diagnose", variant="primary", elem_id="diagnose")
                        if examples:
                            gr.Examples(
                                examples=[[str(e.image), *form_from_record(schema, e.metadata)] for e in examples],
                                inputs=[image, *form],
                                outputs=diagnosis_outputs,
                                fn=run_diagnosis,
                                cache_examples=True,
                                cache_mode="lazy",
                                preprocess=False,
                                example_labels=[e.title for e in examples],
                                label="Example cases: click one to load and diagnose it",
                            )
                    with gr.Column(scale=2):
                        note.render()
                        probabilities.render()
                        gradcam.render()
                gr.Markdown("## Routing")
                with gr.Row():
                    with gr.Column(scale=1):
                        lc_gate.render()
                    with gr.Column(scale=1):
                        gm_gate.render()
                    with gr.Column(scale=2):
                        contributions.render()
                if stages:
                    gr.Markdown(
                        "## TKCA per stage\nBoxes: the image locations the clinical-field queries kept (top-k, "
                        "numbered strongest first) over their attention heat map. Bars: the clinical fields the "
                        "image attended to."
                    )
                    for first in range(0, len(stages), 2):
                        with gr.Row():
                            for s in stages[first : first + 2]:
                                with gr.Column(scale=2, min_width=200):
                                    tkca_images[s].render()
                                with gr.Column(scale=3, min_width=240):
                                    tkca_fields[s].render()
                gr.Markdown("## What the clinical data changed")
                modality.render()
                importance.render()
            with gr.Tab("Teaching", id="teaching"):
                gr.Markdown(ROUTING_EXPLAINED)
                narrative.render()
                gr.Markdown("### Routing atlas of this checkpoint")
                if atlas is not None:
                    gr.Plot(routing_atlas_figure(atlas), label="Routing atlas", elem_id="routing-atlas")
                    gr.Markdown(routing_atlas_summary(atlas))
                else:
                    gr.Markdown("This checkpoint has no `routing_atlas.json` (written by `training.evaluate`).")
                gr.Markdown(
                    "### Routing interventions\nOverride the gates for one run of the current case (photo and form "
                    "of the Diagnose tab) and compare with the unmodified run."
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
                        value=predictor.config.gate_temperature,
                        step=0.1,
                        label="GM-Gate temperature",
                        info="Below 1 sharpens the expert mix, above 1 flattens it.",
                        elem_id="temperature",
                    )
                    hard = gr.Checkbox(value=predictor.config.hard_gate, label="Hard top-1 GM routing", elem_id="hard")
                with gr.Row():
                    lc_paths = [
                        gr.Radio(
                            [MODEL_CHOICE, *LC_PATHS],
                            value=MODEL_CHOICE,
                            label=f"LC-Gate, {stage_name(stage)}",
                            elem_id=f"lc-force-{stage + 1}",
                        )
                        for stage in stages
                    ]
                intervention_button = gr.Button("Run intervention", variant="primary", elem_id="run-intervention")
                intervention_summary = gr.Markdown(elem_id="intervention-summary")
                with gr.Row():
                    baseline_label = gr.Label(label="Unmodified run", elem_id="intervention-baseline")
                    intervened_label = gr.Label(label="With intervention", elem_id="intervention-result")
                intervention_plot = gr.Plot(label="Routing: unmodified vs intervened", elem_id="intervention-plot")
                gr.Markdown("### Compare two cases")
                case_choices = [CURRENT_CASE, *example_by_title]
                with gr.Row():
                    case_a = gr.Dropdown(case_choices, value=CURRENT_CASE, label="Case A", elem_id="case-a")
                    case_b = gr.Dropdown(
                        case_choices,
                        value=case_choices[min(1, len(case_choices) - 1)],
                        label="Case B",
                        elem_id="case-b",
                    )
                compare_button = gr.Button("Compare cases", elem_id="compare")
                comparison_summary = gr.Markdown(elem_id="comparison-summary")
                with gr.Row():
                    label_a = gr.Label(label="Case A", elem_id="case-a-probabilities")
                    label_b = gr.Label(label="Case B", elem_id="case-b-probabilities")
                comparison_plot = gr.Plot(label="Routing of case A vs case B", elem_id="comparison-plot")
            with gr.Tab("API", id="api"):
                gr.Markdown(api_help(schema))

        diagnose_button.click(run_diagnosis, [image, *form], diagnosis_outputs, api_name="diagnose", preprocess=False)
        intervention_button.click(
            run_intervention,
            [image, disabled, forced, temperature, hard, *lc_paths, *form],
            [baseline_label, intervened_label, intervention_plot, intervention_summary],
            api_name="intervene",
            preprocess=False,
        )
        compare_button.click(
            run_comparison,
            [case_a, case_b, image, *form],
            [label_a, label_b, comparison_plot, comparison_summary],
            api_name="compare",
            preprocess=False,
        )
        # bar plots are emptied rather than set to None, which Gradio's plot frontend cannot tear down
        cleared = [
            pd.DataFrame(columns=[o.x, o.y, *([o.color] if o.color else [])]) if isinstance(o, gr.BarPlot) else None
            for o in diagnosis_outputs
        ]
        clear.click(
            lambda: [None, *empty_form(schema), *cleared[:-1], NARRATIVE_PLACEHOLDER],
            outputs=[image, *form, *diagnosis_outputs],
            api_visibility="private",
        )
        gr.api(predict, api_name="predict")
    return demo


def api_help(schema: MetadataSchema) -> str:
    fields = ", ".join(f"`{name}`" for name in schema.field_names)
    return f"""
### `/predict` for programs

Send an image file and a metadata dict; get back the JSON document of `python -m mhdf.predict`
(`model`, `classes`, `probabilities`, `prediction`, `routing`).

```python
from gradio_client import Client, handle_file

client = Client("http://127.0.0.1:7860/")
result = client.predict(
    image=handle_file("lesion.jpg"),
    metadata={{"age": 67, "gender": "MALE", "region": "FACE", "bleed": "True"}},
    api_name="/predict",
)
print(result["prediction"], result["probabilities"])
```

Fields of this checkpoint ({schema.label}): {fields}. Leave a field out when it is unknown. A bad image or an
impossible value raises `gradio_client.exceptions.AppError` with a message that says what is wrong.
"""


def main(args: argparse.Namespace) -> None:
    try:
        folder = checkpoint_folder(args.checkpoint)
        # loaded on the CPU, then moved: on ZeroGPU the main process may not initialise CUDA itself
        predictor = Predictor.from_pretrained(folder, device="cpu")
        predictor.model.to(resolve_device(args.device))
        demo = build_demo(predictor, load_examples(folder, predictor.schema), load_routing_atlas(folder))
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    demo.launch(server_name=args.host, server_port=args.port, theme=gr.themes.Soft())


if __name__ == "__main__":
    main(get_args_parser().parse_args())
