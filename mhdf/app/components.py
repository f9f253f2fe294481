"""The app's components that carry a checkpoint's shape: the clinical form, one output per view of a diagnosis,
the field-importance plot, and the JavaScript the Diagnose button runs. `app.py` places them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from mhdf.app.figures import expert_name, stage_name
from mhdf.app.form import NOT_RECORDED_LABEL, FormField, empty_form, grouped_form_fields
from mhdf.app.gradio_compat import bar_plot
from mhdf.app.texts import MODEL_CHOICE, NARRATIVE_PLACEHOLDER
from mhdf.app.views import SIMILAR_QUERY, stage_view
from mhdf.config import MHDFConfig
from mhdf.inference import Predictor
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS

FORM_COLUMNS = 3
# Scrolls the results into view; the Diagnose event's own `js`, so it runs before the request is sent.
SCROLL_TO_RESULT = (Path(__file__).resolve().parent / "static" / "scroll_to_result.js").read_text()


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


def view_components(predictor: Predictor) -> dict[str, gr.components.Component]:
    """One output component per view of a diagnosis, keyed like `mhdf.app.views.view_names`; created unrendered
    and placed by the tabs (the examples under the inputs need them first)."""
    config, schema = predictor.config, predictor.schema
    field_labels = [spec.label for spec in schema.fields]
    views = {
        "status": gr.Markdown(elem_id="diagnose-status", render=False),
        "note": gr.Markdown(elem_id="result-note", render=False),
        "ood_warning": gr.Markdown(elem_id="ood-warning", render=False),
        "probabilities": gr.Label(
            label="Class probabilities"
            + (" (calibrated)" if predictor.trust.calibration is not None else "")
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
        views[stage_view("image", s)] = gr.Image(
            label=f"{stage_name(s)}: top-k locations", height=240, elem_id=f"tkca-image-{s + 1}", render=False
        )
        views[stage_view("fields", s)] = bar_plot(
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
    # not shown: the similar-case sections (`mhdf.app.similar`) search with it
    views[SIMILAR_QUERY] = gr.JSON(visible="hidden", elem_id="similar-query", render=False)
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


def clinical_form(schema: MetadataSchema) -> list[gr.components.Component]:
    """The clinical form in groups and rows; returns its inputs in schema order."""
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


def intervention_controls(config: MHDFConfig) -> list[Any]:
    """The widgets that override the gates: [knocked-out experts, forced expert, temperature, hard, *LC paths]."""
    experts = [(expert_name(e), e) for e in range(config.experts)]
    with gr.Row():
        disabled = gr.CheckboxGroup(experts, label="Knock out experts", elem_id="knock-out")
        forced = gr.Dropdown(
            [("none", -1), *experts], value=-1, label="Force all GM-Gate weight onto", elem_id="force-expert"
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
                label=f"LC-Gate, {stage_name(s)}",
                elem_id=f"lc-force-{s + 1}",
            )
            for s in range(config.num_fused_stages)
        ]
    return [disabled, forced, temperature, hard, *lc_paths]
