"""The app's components that carry a checkpoint's shape: the clinical form, one output per view of a diagnosis,
the field-importance plot, and the JavaScript the Diagnose button runs. `app.py` places them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from mhdf.app.figures import effect_colors, lc_path_colors
from mhdf.app.form import GROUP_TITLES, FormField, empty_form, grouped_form_fields
from mhdf.app.gradio_compat import bar_plot
from mhdf.app.i18n import localize
from mhdf.app.texts import EN, MODEL_CHOICE, Text, field_label, number_range, photo_label, schema_text
from mhdf.app.view_keys import GM_BY_VIEW, SIMILAR_QUERY, by_photo, photo_keys, stage_view
from mhdf.app.views import photo_views
from mhdf.config import MHDFConfig
from mhdf.inference import Predictor
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS

FORM_COLUMNS = 3
# Scrolls the results into view; the Diagnose event's own `js`, so it runs before the request is sent.
SCROLL_TO_RESULT = (Path(__file__).resolve().parent / "static" / "scroll_to_result.js").read_text()


def form_component(schema: MetadataSchema, field: FormField, value: Any) -> gr.components.Component:
    spec = schema.field(field.name)
    label = schema_text(schema, spec.label, "field", spec.name)
    info = schema_text(schema, spec.description, "info", spec.name)
    if field.widget == "number":
        # a textbox, not gr.Number: Gradio's number input shows and sends 0 for an empty value, and 0 mm is not
        # "unknown"; the schema parses the text and names the field when it is not a valid number
        unit = schema_text(schema, spec.unit, "unit", spec.unit) if spec.unit else ""
        if unit:
            label = Text("form.number_label", label=label, unit=unit)
        return gr.Textbox(
            value=value,
            max_lines=1,
            label=label,
            info=Text("form.number_info", description=info, allowed=number_range(spec, unit)),
            placeholder=Text("form.not_recorded"),
            elem_id=f"field-{field.name}",
        )
    choices = [(Text("form.not_recorded"), field.choices[0][1])]
    choices += [(schema_text(schema, text, "value", spec.name, value), value) for text, value in field.choices[1:]]
    component = gr.Radio if field.widget == "radio" else gr.Dropdown
    return component(choices=choices, value=value, label=label, info=info, elem_id=f"field-{field.name}")


def view_components(predictor: Predictor) -> dict[str, gr.components.Component]:
    """One output component per view of a diagnosis, keyed like `mhdf.app.views.view_names`; created unrendered
    and placed by the tabs (the examples under the inputs need them first)."""
    config, schema = predictor.config, predictor.schema

    views = {
        "scope_notice": gr.Markdown(elem_id="scope-notice", render=False),
        "status": gr.Markdown(elem_id="diagnose-status", render=False),
        "note": gr.Markdown(elem_id="result-note", render=False),
        "ood_warning": gr.Markdown(elem_id="ood-warning", render=False),
        "probabilities": gr.Label(
            label=Text(
                "view.probabilities.full",
                calibrated=Text("view.probabilities.calibrated") if predictor.trust.calibration is not None else "",
                synthetic=Text("view.probabilities.synthetic") if config.synthetic_data else "",
            ),
            num_top_classes=len(config.class_names),
            elem_id="probabilities",
            render=False,
        ),
        "prediction_set": gr.Markdown(elem_id="prediction-set", render=False),
        "gm_gate": bar_plot(
            x="expert",
            y="weight",
            y_lim=[0, 1],
            x_title=Text("axis.expert"),
            y_title=Text("axis.weight"),
            label=Text("view.gm_gate"),
            caption=Text("view.gm_gate.caption"),
            elem_id="gm-gate",
            render=False,
        ),
        "contributions": gr.HTML(
            label=Text("view.contributions"),  # the table's caption shows it
            apply_default_css=False,
            container=True,
            padding=True,
            elem_id="expert-contributions",
            render=False,
        ),
    }
    photos = photo_views(predictor)
    for photo in photo_keys(photos):  # the outputs take their order from `view_names`, not from here
        views |= photo_components(config.num_fused_stages, schema, photo)
    if photos:
        views |= gm_gate_by_view_components()
    views["modality"] = gr.Plot(label=Text("view.modality"), elem_id="modality-comparison", render=False)
    views["narrative"] = gr.Markdown(elem_id="teaching-narrative", render=False)
    views["figure_text"] = gr.Markdown(elem_id="figure-descriptions", render=False)
    # the placeholder only: a narrative written for a case stays until the next diagnosis writes it anew
    localize(views["narrative"], value=Text("narrative.placeholder"))
    # not shown: the similar-case sections (`mhdf.app.similar`) search with it
    views[SIMILAR_QUERY] = gr.JSON(visible="hidden", elem_id="similar-query", render=False)
    return views


def photo_components(stages: int, schema: MetadataSchema, photo: str | None) -> dict[str, gr.components.Component]:
    """The routing views of one photo, unrendered: LC-Gate, TKCA per stage and Grad-CAM; `photo` a multi-view
    checkpoint's photo view, whose name is added to each label, element id and view name, and which also gets a
    line saying when the case lacks it (None: the paper's one photo, named as ever)."""

    def label(text: Text) -> Text:
        return text if photo is None else Text("view.of_photo", view=text, photo=photo_label(photo))

    suffix = "" if photo is None else f"-{photo}"  # element ids: "lc-gate", "lc-gate-clinical"

    views = {
        by_photo("lc_gate", photo): bar_plot(
            x="stage",
            y="weight",
            color="route",
            y_lim=[0, 1],
            x_title=Text("axis.stage"),
            y_title=Text("axis.weight"),
            color_title=Text("axis.route"),
            color_map=lc_path_colors(EN),
            label=label(Text("view.lc_gate")),
            caption=Text("view.lc_gate.caption"),
            elem_id=f"lc-gate{suffix}",
            render=False,
        )
    }
    localize(views[by_photo("lc_gate", photo)], color_map=lc_path_colors)
    for s in range(stages):
        views[stage_view("image", s, photo)] = gr.Image(
            label=label(Text("view.tkca_image", stage=s + 1)),
            height=240,
            elem_id=f"tkca-image{suffix}-{s + 1}",
            render=False,
        )
        views[stage_view("fields", s, photo)] = bar_plot(
            x="field",
            y="weight",
            x_title=Text("axis.field"),
            y_title=Text("axis.weight"),
            label=label(Text("view.tkca_fields", stage=s + 1)),
            x_label_angle=-50,
            sort=[field_label(schema, spec) for spec in schema.fields],
            height=240,
            elem_id=f"tkca-fields{suffix}-{s + 1}",
            render=False,
        )
        localize(
            views[stage_view("fields", s, photo)],
            sort=lambda lang: [field_label(schema, spec, lang) for spec in schema.fields],
        )
    views[by_photo("gradcam", photo)] = gr.Image(
        label=label(Text("view.gradcam")), elem_id=f"gradcam{suffix}", render=False
    )
    if photo is not None:
        views[by_photo("photo_status", photo)] = gr.Markdown(elem_id=f"photo-status-{photo}", render=False)
    return views


def gm_gate_by_view_components() -> dict[str, gr.components.Component]:
    """How much each photo steered the GM-Gate: a small bar plot and the same numbers as a table in words."""
    plot, table = GM_BY_VIEW
    return {
        plot: bar_plot(
            x="photo",
            y="share",
            y_lim=[0, 1],
            x_title=Text("axis.photo"),
            y_title=Text("axis.share"),
            x_label_angle=-20,
            label=Text("view.gm_gate_by_view"),
            caption=Text("view.gm_gate_by_view.caption"),
            height=200,
            elem_id="gm-gate-by-view",
            render=False,
        ),
        table: gr.Markdown(elem_id="gm-gate-by-view-table", render=False),
    }


def importance_plot() -> gr.BarPlot:
    """Field importance: computed on request by its own event, not part of Diagnose's views."""
    plot = bar_plot(
        x="field",
        y="magnitude",
        color="effect",
        sort="-y",
        x_label_angle=-40,
        x_title=Text("axis.field"),
        y_title=Text("axis.magnitude"),
        color_title=Text("axis.effect"),
        color_map=effect_colors(EN),
        label=Text("view.importance"),
        caption=Text("view.importance.caption"),
        elem_id="field-importance",
    )
    return localize(plot, color_map=effect_colors)


def clinical_form(schema: MetadataSchema) -> list[gr.components.Component]:
    """The clinical form in groups and rows; returns its inputs in schema order."""
    blank = empty_form(schema)
    placed = []
    titles = {title: group for group, title in GROUP_TITLES.items()}
    for title, fields in grouped_form_fields(schema).items():
        with gr.Accordion(Text("form.group", title=Text(f"form.group.{titles[title]}")), open=True):
            for start in range(0, len(fields), FORM_COLUMNS):
                with gr.Row():
                    for field in fields[start : start + FORM_COLUMNS]:
                        index = schema.field_names.index(field.name)
                        placed.append((index, form_component(schema, field, blank[index])))
    return [component for _, component in sorted(placed, key=lambda item: item[0])]


def intervention_controls(config: MHDFConfig) -> list[Any]:
    """The widgets that override the gates: [knocked-out experts, forced expert, temperature, hard, *LC paths]."""
    experts = [(Text("expert", expert=e + 1), e) for e in range(config.experts)]
    with gr.Row():
        disabled = gr.CheckboxGroup(experts, label=Text("controls.knock_out"), elem_id="knock-out")
        forced = gr.Dropdown(
            [(Text("controls.none"), -1), *experts], value=-1, label=Text("controls.force"), elem_id="force-expert"
        )
        temperature = gr.Slider(
            0.1,
            5.0,
            value=config.gate_temperature,
            step=0.1,
            label=Text("controls.temperature"),
            info=Text("controls.temperature.info"),
            elem_id="temperature",
        )
        hard = gr.Checkbox(value=config.hard_gate, label=Text("controls.hard"), elem_id="hard")
    with gr.Row():
        lc_paths = [
            gr.Radio(
                [(Text("controls.model_choice"), MODEL_CHOICE), *((Text(f"controls.path.{p}"), p) for p in LC_PATHS)],
                value=MODEL_CHOICE,
                label=Text("controls.lc", stage=s + 1),
                elem_id=f"lc-force-{s + 1}",
            )
            for s in range(config.num_fused_stages)
        ]
    return [disabled, forced, temperature, hard, *lc_paths]
