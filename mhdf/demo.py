"""What the demo app shows, computed without a server: every view of a diagnosis by name, the routing
interventions a teacher sets with widgets, the two-case comparison, and the texts around them.

`app.py` only lays out components named like the views here and wires events to `DemoSession`'s methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from mhdf.checkpoint import ExampleCase
from mhdf.config import MHDFConfig
from mhdf.explain import (
    CANNOT_TELL_APART,
    OOD_WARNING,
    Diagnosis,
    compare_cases,
    describe_overrides,
    field_importance,
    grad_cam,
    intervene,
    model_view,
    narrate,
    prediction_set_words,
    routing_difference,
    run_case,
    without_metadata,
)
from mhdf.figures import (
    FIELD_ATTENTION_COLUMNS,
    FIELD_IMPORTANCE_COLUMNS,
    GM_GATE_COLUMNS,
    LC_GATE_COLUMNS,
    attention_overlay,
    expert_contribution_table,
    field_attention_frame,
    field_importance_frame,
    gm_gate_frame,
    gradcam_overlay,
    lc_gate_frame,
    probability_label,
    routing_comparison_figure,
)
from mhdf.images import ImageSource
from mhdf.inference import Prediction, Predictor
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS, RoutingOverrides

TEXTS = Path(__file__).resolve().parent / "texts"
NOTICE = "Research and teaching demo, **not a medical device**: never use it to diagnose or treat anyone."
SYNTHETIC_WARNING = "Synthetic-data weights: these numbers say nothing about real patients."
NARRATIVE_PLACEHOLDER = "*Diagnose a case to see it explained here.*"
MODEL_CHOICE = "model's choice"  # an LC-Gate left to the model in the intervention controls
CURRENT_CASE = "Current case (photo and form of the Diagnose tab)"


@cache
def _text(name: str) -> str:
    return (TEXTS / name).read_text()


def routing_explained() -> str:
    """The teaching tab's plain-language walk through MHDF-Net's routing (Markdown)."""
    return _text("routing_explained.md")


def api_help(schema: MetadataSchema, max_file_size_mb: float) -> str:
    """The API tab: how to call `/predict`, with this checkpoint's fields (Markdown)."""
    fields = ", ".join(f"`{name}`" for name in schema.field_names)
    return Template(_text("api_help.md")).substitute(
        schema=schema.label, fields=fields, max_file_size=f"{max_file_size_mb:g} MB"
    )


def banner(predictor: Predictor) -> str:
    """Which checkpoint answers, what it was trained on, and the notice (Markdown)."""
    info = predictor.model_info
    text = (
        f"**Checkpoint:** `{info['name']}` ({info['backbone']}, variant {info['variant']}, "
        f"{predictor.schema.label} schema) · **Trained on:** {info['training_data']}"
    )
    if info["synthetic"]:
        text += f"  \n⚠️ **{SYNTHETIC_WARNING}**"
    return f"{text}  \n{NOTICE}"


def result_note(predictor: Predictor, predicted: str) -> str:
    """The line above every result: the top class, the checkpoint, the synthetic-data mark and the notice."""
    info = predictor.model_info
    label = "⚠️ synthetic-data model · " if info["synthetic"] else ""
    return f"{label}Top class **{predicted}** from `{info['name']}` · {NOTICE}"


def ood_warning(prediction: Prediction) -> str:
    """A prominent warning (Markdown) when the photo is out of distribution; empty otherwise."""
    if prediction.in_distribution is not False:
        return ""
    ood = prediction.ood
    return (
        f"## ⚠️ {OOD_WARNING}\n\nIts distance from the training images is {ood['score']:.1f}, past the threshold of "
        f"{ood['threshold']:.1f}. Whatever the probabilities below say, do not read them as a result."
    )


def prediction_set_text(prediction: Prediction) -> str:
    """The conformal set in words (Markdown): "**90 % set: BCC or SCC.** A set with more than one class means..." """
    text = f"**{prediction_set_words(prediction)}.**"
    if prediction.prediction_set is not None and len(prediction.prediction_set) > 1:
        text += f" {CANNOT_TELL_APART}"
    if prediction.prediction_set is not None:
        text += f" The set holds the true class in {prediction.set_coverage:.0%} of held-out cases.".replace("%", " %")
    return text


def subgroup_table(card: Mapping[str, Any]) -> str:
    """The model card's test-fold results per patient subgroup as Markdown tables; says so when it has none."""
    subgroups = card.get("subgroups")
    if not subgroups:
        return "This checkpoint's model card reports no subgroup results."
    titles = {"fitzpatrick": "Fitzpatrick skin type", "gender": "Gender", "age_band": "Age (years)"}
    parts = []
    for attribute, groups in subgroups.items():
        rows = [
            f"| {group} | {values['count']} | "
            + (
                "too small to judge | |"
                if values["too_small"]
                else f"{values['balanced_accuracy']:.2f} | {values['accuracy']:.2f} |"
            )
            for group, values in groups.items()
        ]
        header = f"| {titles.get(attribute, attribute)} | cases | balanced accuracy | accuracy |\n|---|---|---|---|"
        parts.append("\n".join([header, *rows]))
    return "\n\n".join(parts)


PENDING = "⏳ computing…"
IMPORTANCE_ON_REQUEST = "Field importance is computed on request: press **Compute field importance**."


def view_names(num_stages: int) -> list[str]:
    """The views of one diagnosis, in a fixed order: the names `progressive_diagnosis` yields."""
    stages = range(1, num_stages + 1)
    return [
        "status", "note", "ood_warning", "probabilities", "prediction_set", "lc_gate", "gm_gate", "contributions",
        *(f"tkca_image_{s}" for s in stages), *(f"tkca_fields_{s}" for s in stages),
        "gradcam", "modality", "narrative",
    ]  # fmt: skip


def prediction_views(predictor: Predictor, prediction: Prediction, view: np.ndarray | None) -> dict[str, Any]:
    """The views one forward pass gives: the probabilities, the trust texts and every routing view."""
    views: dict[str, Any] = {
        "note": result_note(predictor, prediction.prediction),
        "ood_warning": ood_warning(prediction),
        "probabilities": probability_label(prediction),
        "prediction_set": prediction_set_text(prediction),
        "lc_gate": lc_gate_frame(prediction),
        "gm_gate": gm_gate_frame(prediction),
        "contributions": expert_contribution_table(prediction),
    }
    for s in range(predictor.config.num_fused_stages):
        views[f"tkca_image_{s + 1}"] = attention_overlay(view, prediction, s) if view is not None else None
        views[f"tkca_fields_{s + 1}"] = field_attention_frame(prediction, s, predictor.schema)
    return views


def _status(pending: Sequence[str]) -> str:
    if pending:
        return f"{PENDING} still computing: {', '.join(pending)}. The views above are final."
    return f"All views are ready. {IMPORTANCE_ON_REQUEST}"


def progressive_diagnosis(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    """Every view of a diagnosis by name (`view_names`), yielded as it becomes ready, each yield complete (views
    not ready yet are empty and `status` names them):

    1. one forward pass: the probabilities, the prediction set, the out-of-distribution warning and every routing
       view (LC-Gate, GM-Gate, expert -> class contributions, TKCA);
    2. Grad-CAM, from that same pass (only the head lies between the logits and the last stage map);
    3. the modality comparison (one more pass, every field unknown) and the narrative.

    Field importance is left to `field_importance_views`, on request. Raises ValueError naming a bad input."""
    run = run_case(predictor, image, record)
    view = model_view(predictor, run.pixels) if run.pixels is not None else None
    views = cleared_views(predictor.config.num_fused_stages)
    views |= prediction_views(predictor, run.prediction, view)
    views["status"] = _status(["Grad-CAM", "modality comparison"] if view is not None else ["modality comparison"])
    yield dict(views)
    gradcam = None
    if view is not None:
        gradcam = grad_cam(run, int(run.prediction.probabilities.argmax()))
        views["gradcam"] = gradcam_overlay(view, gradcam)
        views["status"] = _status(["modality comparison"])
        yield dict(views)
    unknown = without_metadata(predictor, run)
    views["modality"] = routing_comparison_figure(
        run.prediction, unknown, ("metadata as entered", "all metadata unknown"), "What the clinical data changed"
    )
    views["narrative"] = narrate(Diagnosis(run.prediction, unknown, None, view, gradcam), predictor.schema)
    views["status"] = _status([])
    yield dict(views)


def diagnose_case(predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]) -> dict[str, Any]:
    """All views of `progressive_diagnosis` once every one is ready."""
    *_, views = progressive_diagnosis(predictor, image, record)
    return views


def field_importance_views(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]
) -> Iterator[tuple[pd.DataFrame, str]]:
    """Field importance on request: (bar-plot frame, status) after every batch of record variants."""
    run = run_case(predictor, image, record)
    filled = sum(value is not None for value in run.record.values())
    if not filled:
        yield field_importance_frame([]), "No clinical field is filled in, so there is nothing to remove."
        return
    for done in field_importance(predictor, run):
        left = filled - len(done)
        status = f"{PENDING} {len(done)} of {filled} fields done." if left else f"All {filled} filled fields done."
        yield field_importance_frame(done), status


def cleared_field_importance() -> tuple[pd.DataFrame, str]:
    """The field-importance plot and status before it is asked for (a new case, or Clear)."""
    return pd.DataFrame(columns=list(FIELD_IMPORTANCE_COLUMNS)), IMPORTANCE_ON_REQUEST


def cleared_views(num_stages: int) -> dict[str, Any]:
    """The value of each view after Clear: bar plots get an empty frame with their columns (a plot set to None
    cannot be torn down by Gradio's frontend), the narrative its placeholder, texts empty, everything else None."""
    views: dict[str, Any] = dict.fromkeys(view_names(num_stages))
    views |= {"lc_gate": pd.DataFrame(columns=list(LC_GATE_COLUMNS))}
    views |= {"gm_gate": pd.DataFrame(columns=list(GM_GATE_COLUMNS))}
    views |= {f"tkca_fields_{s}": pd.DataFrame(columns=list(FIELD_ATTENTION_COLUMNS)) for s in range(1, num_stages + 1)}
    views["narrative"] = NARRATIVE_PLACEHOLDER
    views["status"] = views["ood_warning"] = views["prediction_set"] = views["contributions"] = ""
    return views


def overrides_from_controls(
    config: MHDFConfig,
    disabled: Sequence[int] | None,
    forced: int | None,
    temperature: float,
    hard: bool,
    lc_paths: Sequence[str],
) -> RoutingOverrides:
    """The teaching tab's widgets -> RoutingOverrides. A value equal to the checkpoint's own setting is no
    intervention (None), so the summary names only real interventions; `forced` -1 or empty means none;
    `lc_paths` holds one choice per fused stage, `MODEL_CHOICE` leaving that gate alone."""
    return RoutingOverrides(
        gm_temperature=None if float(temperature) == config.gate_temperature else float(temperature),
        gm_hard=None if bool(hard) == config.hard_gate else bool(hard),
        gm_disabled_experts=tuple(int(e) for e in disabled or ()),
        gm_forced_expert=None if forced in (None, "", -1) else int(forced),
        lc_forced_paths={stage: path for stage, path in enumerate(lc_paths) if path in LC_PATHS},
    )


@dataclass
class SideBySide:
    """Two runs as the teaching tab shows them: a probability label each, a routing figure and a summary."""

    first: dict[str, float]
    second: dict[str, float]
    figure: Any  # matplotlib Figure
    summary: str  # Markdown


def intervention_view(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], overrides: RoutingOverrides
) -> SideBySide:
    """Run a case unmodified and with `overrides`. Raises ValueError naming a problem."""
    result = intervene(predictor, image, record, overrides)
    moved = routing_difference(result.baseline, result.intervened).probabilities
    summary = (
        f"**Intervention:** {describe_overrides(overrides)}. Top class {result.baseline.prediction} → "
        f"**{result.intervened.prediction}**; the class probabilities moved by {moved:.1%} (total variation)."
    )
    figure = routing_comparison_figure(
        result.baseline, result.intervened, ("unmodified", "intervened"), "Unmodified run vs intervention"
    )
    return SideBySide(probability_label(result.baseline), probability_label(result.intervened), figure, summary)


def comparison_summary(first: Prediction, second: Prediction) -> str:
    """How two cases' outputs and routing differ, in one Markdown sentence."""
    difference = routing_difference(first, second)
    text = (
        f"Case A: **{first.prediction}**, case B: **{second.prediction}**. GM-Gate weights differ by "
        f"{difference.gm_gate:.1%} (total variation)"
    )
    if difference.lc_gate:
        stages = ", ".join(f"{d:.2f}" for d in difference.lc_gate)
        return f"{text}; LC-Gate fused-path weights differ by {stages} at stages 1 to {len(difference.lc_gate)}."
    return f"{text}."


def comparison_view(predictor: Predictor, cases: Sequence[tuple[ImageSource | None, Mapping[str, Any]]]) -> SideBySide:
    """Two (photo, record) cases side by side. Raises ValueError naming a problem."""
    first, second = compare_cases(predictor, cases)
    figure = routing_comparison_figure(first, second, ("case A", "case B"), "Routing of case A vs case B")
    return SideBySide(probability_label(first), probability_label(second), figure, comparison_summary(first, second))


def case_choices(examples: Sequence[ExampleCase]) -> list[str]:
    """What the comparison dropdowns offer: the current case, then every example by title."""
    return [CURRENT_CASE, *(example.title for example in examples)]


def find_example(examples: Sequence[ExampleCase], *, name: str | None = None, title: str | None = None) -> ExampleCase:
    """The example case with this name or title; ValueError for anything else (the value may come from a client)."""
    for example in examples:
        if example.name == name or example.title == title:
            return example
    raise ValueError("unknown case: choose the current case or one of the example cases")
