"""Every sentence the demo shows a person: notices, warnings, the narrative, status lines and summaries, and the
Markdown pages beside this module. Views, figures, the report and the handlers take their words from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from mhdf.inference import Prediction, Predictor, class_display_name
from mhdf.inference.explain import Diagnosis, routing_difference
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS, RoutingOverrides

PAGES = Path(__file__).resolve().parent
NOT_A_MEDICAL_DEVICE = "not a medical device"
NOTICE = f"Research and teaching demo, {NOT_A_MEDICAL_DEVICE}: never use it to diagnose or treat anyone."
# the notice as the app shows it, its key words in bold
NOTICE_MARKDOWN = NOTICE.replace(NOT_A_MEDICAL_DEVICE, f"**{NOT_A_MEDICAL_DEVICE}**")
SYNTHETIC_WARNING = "Synthetic-data weights: these numbers say nothing about real patients."
NARRATIVE_PLACEHOLDER = "*Diagnose a case to see it explained here.*"
MODEL_CHOICE = "model's choice"  # an LC-Gate left to the model in the intervention controls
CURRENT_CASE = "Current case (photo and form of the Diagnose tab)"
OOD_WARNING = "This photo is unlike the images the model was trained on; its output is not meaningful."
CANNOT_TELL_APART = "A set with more than one class means the model cannot tell these apart."
PENDING = "⏳ computing…"
IMPORTANCE_ON_REQUEST = "Field importance is computed on request: press **Compute field importance**."
NOTHING_TO_REMOVE = "No clinical field is filled in, so there is nothing to remove."


def view_label(view: str) -> str:
    """A photo view as people read it: "dermoscopic" -> "Dermoscopic photo"."""
    return f"{view.replace('_', ' ').capitalize()} photo"


def photos_words(prediction: Prediction) -> str:
    """Which photos a case of a multi-view model had; "" for a one-photo model."""
    if len(prediction.photos) < 2:
        return ""
    if not prediction.missing_photos:
        return "Photos: " + ", ".join(view_label(view).lower() for view in prediction.photos) + "."
    missing = ", ".join(view_label(view).lower() for view in prediction.missing_photos)
    return f"Missing: {missing}. The model used its learned stand-in for a missing photo, not a blank image."


def photo_title(view: str, present: bool) -> str:
    return f"{view_label(view)} as the model saw it" if present else f"{view_label(view)}: not given"


def block_name(views: Sequence[str], block: int, stages: int) -> str:
    """An LC-MoE block by view and stage ("Clinical, stage 2"); just the stage for a one-photo model."""
    view, stage = divmod(block, stages)
    if len(views) < 2:
        return f"Stage {stage + 1}"
    return f"{views[view].replace('_', ' ').capitalize()}, stage {stage + 1}"


@cache
def _text(name: str) -> str:
    return (PAGES / name).read_text()


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
    return f"{text}  \n{NOTICE_MARKDOWN}"


def result_note(predictor: Predictor, predicted: str) -> str:
    """The line above every result: the top class, the checkpoint, the synthetic-data mark and the notice."""
    info = predictor.model_info
    label = "⚠️ synthetic-data model · " if info["synthetic"] else ""
    return f"{label}Top class **{predicted}** from `{info['name']}` · {NOTICE_MARKDOWN}"


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


def diagnosis_status(pending: Sequence[str]) -> str:
    if pending:
        return f"{PENDING} still computing: {', '.join(pending)}. The views above are final."
    return f"All views are ready. {IMPORTANCE_ON_REQUEST}"


def importance_status(done: int, filled: int) -> str:
    """Field importance's progress: `done` of the `filled` fields computed."""
    if not filled:
        return NOTHING_TO_REMOVE
    if done < filled:
        return f"{PENDING} {done} of {filled} fields done."
    return f"All {filled} filled fields done."


def intervention_summary(
    overrides: RoutingOverrides, baseline: Prediction, intervened: Prediction, moved: float
) -> str:
    """What an intervention did, in one Markdown sentence (`moved`: total variation of the probabilities)."""
    return (
        f"**Intervention:** {describe_overrides(overrides)}. Top class {baseline.prediction} → "
        f"**{intervened.prediction}**; the class probabilities moved by {moved:.1%} (total variation)."
    )


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


def describe_overrides(overrides: RoutingOverrides) -> str:
    """The interventions in words, e.g. "expert 2 knocked out; stage 3 forced to the image path"."""
    parts = []
    if overrides.gm_forced_expert is not None:
        parts.append(f"all GM-Gate weight forced onto expert {overrides.gm_forced_expert + 1}")
    if overrides.gm_disabled_experts:
        experts = ", ".join(str(e + 1) for e in sorted(overrides.gm_disabled_experts))
        parts.append(f"expert{'s' if len(overrides.gm_disabled_experts) > 1 else ''} {experts} knocked out")
    if overrides.gm_temperature is not None:
        parts.append(f"GM-Gate temperature {overrides.gm_temperature:g}")
    if overrides.gm_hard is not None:
        parts.append("hard top-1 GM routing" if overrides.gm_hard else "soft GM routing")
    for stage, path in sorted(overrides.lc_forced_paths.items()):
        parts.append(f"stage {stage + 1} LC-Gate forced to the {path} path")
    return "; ".join(parts) if parts else "no intervention"


def prediction_set_words(prediction: Prediction) -> str:
    """ "90 % set: BCC or SCC", or why there is none."""
    if prediction.prediction_set is None:
        return "no prediction set (the checkpoint has no conformal.json)"
    members = prediction.prediction_set
    listed = members[0] if len(members) == 1 else f"{', '.join(members[:-1])} or {members[-1]}"
    return f"{prediction.set_coverage:.0%} set: {listed}".replace("%", " %")


def ood_words(prediction: Prediction) -> str:
    """The out-of-distribution status in one line."""
    if prediction.ood is None:
        return "out-of-distribution check: not available for this checkpoint"
    ood = prediction.ood
    verdict = "within the training images' range" if ood["in_distribution"] else "UNLIKE THE TRAINING IMAGES"
    return f"out-of-distribution score {ood['score']:.2f} (threshold {ood['threshold']:.2f}): {verdict}"


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def narrate(diagnosis: Diagnosis, schema: MetadataSchema) -> str:
    """The diagnosis walked through in plain language (Markdown), naming the view that shows each step."""
    prediction = diagnosis.prediction
    trace = prediction.trace
    order = np.argsort(prediction.probabilities)[::-1]
    top, runner_up = order[0], order[1] if len(order) > 1 else order[0]
    code = prediction.classes[top]
    top_name, runner_up_name = (
        class_display_name(prediction.classes[i], prediction.class_labels) for i in (top, runner_up)
    )
    lines = [
        f"**Prediction.** {top_name} at {_percent(prediction.probabilities[top])}; runner-up {runner_up_name} at "
        f"{_percent(prediction.probabilities[runner_up])}. These are a model's scores, not a diagnosis."
    ]
    if trace.lc_gate.shape[1]:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
        weights = ", ".join(_percent(w) for w in fused)
        lines.append(
            f"**LC-Gate per stage.** After each of the {len(fused)} fused backbone stages a small gate mixes the "
            f"stage's image features with a summary fused with the clinical fields, and the mix goes on to the "
            f"experts. The fused path got {weights} of the weight at stages 1 to "
            f"{len(fused)}: the clinical data steered stage {int(fused.argmax()) + 1} the most."
        )
    if trace.tkca:
        last = len(trace.tkca) - 1
        attended = sorted(prediction.field_attention(last).items(), key=lambda item: item[1], reverse=True)[:2]
        fields = " and ".join(f"{schema.field(field).label} ({_percent(weight)})" for field, weight in attended)
        lines.append(
            f"**TKCA per stage.** The clinical fields act as queries over the photo's locations and keep only "
            f"the {prediction.top_k} strongest per query (the boxes on the photos); in the other direction, image "
            f"locations read the fields (the bars). At the last stage the image attended most to {fields}."
        )
    gate = trace.gm_gate[0].numpy()
    contributions = trace.expert_logits[0, :, top].numpy()
    if len(gate) > 1:
        lines.append(
            f"**GM-Gate.** The head has {len(gate)} experts, each reading all stages; the gate gave expert "
            f"{int(gate.argmax()) + 1} {_percent(gate.max())} of the weight."
        )
    lines.append(
        f"**Expert → class contributions.** The logits are exactly the sum of each expert's gated contribution "
        f"plus a bias; expert {int(contributions.argmax()) + 1} added the most to {code} "
        f"({contributions.max():+.2f})."
    )
    without = diagnosis.without_metadata
    lines.append(
        f"**Modality comparison.** With every clinical field unknown the model gives {code} "
        f"{_percent(without.probabilities[top])} (top class {without.prediction}); the entered data moved it to "
        f"{_percent(prediction.probabilities[top])}, and moved the GM-Gate weights by "
        f"{_percent(routing_difference(prediction, without).gm_gate)} (total variation)."
    )
    if diagnosis.field_importance is None:
        lines.append("**Field importance.** Computed on request: press *Compute field importance* under the form.")
    elif diagnosis.field_importance:
        most = diagnosis.field_importance[0]
        verb = "supported" if most.change > 0 else "argued against"
        lines.append(
            f"**Field importance.** {most.label} = {most.value} {verb} {code} the most: set to unknown, the {code} "
            f"probability becomes {_percent(most.probability)} ({-100 * most.change:+.1f} percentage points)."
        )
    else:
        lines.append(f"**Field importance.** {NOTHING_TO_REMOVE}")
    if diagnosis.gradcam is not None:
        lines.append(
            f"**Grad-CAM.** Bright areas are where the final stage's features pushed the {code} logit up (gradient "
            f"of that logit times the feature map, summed over channels)."
        )
    return "\n\n".join(lines)
