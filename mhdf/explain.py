"""Explanations of a diagnosis beyond the routing trace: Grad-CAM, modality comparison, field importance, routing
interventions and case comparison, each computed on a loaded `Predictor` in as few forward passes as possible.

The routing trace says how the gates routed a case; these answer "what if": what the model makes of the photo
without the clinical data, which filled field mattered, what happens when an expert is knocked out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mhdf.images import ImageSource
from mhdf.inference import Prediction, Predictor, class_display_name
from mhdf.metadata import MetadataSchema, Value
from mhdf.routing import LC_PATHS, RoutingOverrides
from mhdf.trace import MHDFOutput


@dataclass(frozen=True)
class FieldImportance:
    """How much one filled clinical field supported the predicted class."""

    name: str
    label: str
    value: str  # the entered value as a person reads it
    probability: float  # predicted-class probability with this field set to unknown
    change: float  # probability as entered minus `probability`: > 0 means the field supported the prediction


@dataclass
class Diagnosis:
    """Everything the demo shows for one photo + clinical record."""

    prediction: Prediction  # metadata as entered
    without_metadata: Prediction  # the same photo with every field unknown
    field_importance: list[FieldImportance] | None  # the filled fields, largest |change| first; None: not computed
    view: np.ndarray | None  # (S, S, 3) uint8: the photo as the model saw it (resized, centre-cropped)
    gradcam: np.ndarray | None  # (S, S) in [0, 1]: Grad-CAM on the final stage for the predicted class


def model_view(predictor: Predictor, pixels: torch.Tensor) -> np.ndarray:
    """(1, 3, S, S) normalised model input -> (S, S, 3) uint8 image: exactly the pixels the model saw, so the
    attention grids and Grad-CAM line up with it."""
    mean = torch.tensor(predictor.config.mean, device=pixels.device).view(3, 1, 1)
    std = torch.tensor(predictor.config.std, device=pixels.device).view(3, 1, 1)
    image = (pixels[0].float() * std + mean).clamp(0, 1)
    return (image.permute(1, 2, 0) * 255).round().byte().cpu().numpy()


def photo_pixels(predictor: Predictor, image: ImageSource | None) -> torch.Tensor | None:
    """The photo as a (1, 3, S, S) model input; None for a metadata-only model. Raises ValueError without one."""
    if not predictor.config.uses_image:
        return None
    if image is None:
        raise ValueError("no lesion photo: upload, photograph or paste one")
    return predictor.preprocess(image)[1]


# Rows per forward pass of record variants: with the photo's layers before the first fusion run once, each row
# costs about one image's activations from there on, so this bounds peak memory whatever the number of filled
# fields (8 rows of 224 x 224, more rows of smaller images).
VARIANT_BATCH_PIXELS = 8 * 224 * 224


@dataclass
class CaseRun:
    """One photo + record after its single traced forward pass: what every later explanation starts from."""

    record: dict[str, Value]  # validated once, here
    pixels: torch.Tensor | None  # (1, 3, S, S) model input; None for a metadata-only model
    prediction: Prediction
    output: MHDFOutput  # the pass itself, with autograd kept from the last stage map on (Grad-CAM)


def run_case(predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]) -> CaseRun:
    """Validate the record, decode the photo and run the one forward pass that gives the prediction and every
    routing view. Raises ValueError naming what is wrong with the image or the record."""
    record = predictor.schema.validate(record)
    pixels = photo_pixels(predictor, image)
    prediction, output = predictor.predict_traced(pixels, record)
    return CaseRun(record, pixels, prediction, output)


def grad_cam(run: CaseRun, class_index: int) -> np.ndarray:
    """Grad-CAM of the final stage map (after its LC-MoE recalibration) for one class -> (S, S) in [0, 1].

    Differentiates the logits of the case's own forward pass: only the head lies between them and the map."""
    feature_map = run.output.stage_maps[-1]  # (1, C, h, w)
    with torch.inference_mode(False), torch.enable_grad():  # the app calls it under inference mode
        (gradients,) = torch.autograd.grad(run.output.logits[0, class_index], feature_map, retain_graph=True)
    with torch.no_grad():
        channel_weights = gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((channel_weights * feature_map).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=run.pixels.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
        peak = cam.max()
        cam = cam / peak if peak > 0 else torch.zeros_like(cam)
    return cam.float().cpu().numpy()


def without_metadata(predictor: Predictor, run: CaseRun) -> Prediction:
    """The same photo with every clinical field unknown (the modality comparison)."""
    (unknown,) = predictor.predict_validated(run.pixels, [dict.fromkeys(run.record)])
    return unknown


def variant_batch_rows(predictor: Predictor) -> int:
    """How many record variants one forward pass takes, so peak activation memory stays bounded."""
    if not predictor.config.uses_image:
        return len(predictor.schema.fields)
    return max(1, VARIANT_BATCH_PIXELS // predictor.config.image_size**2)


def field_importance(predictor: Predictor, run: CaseRun) -> Iterator[list[FieldImportance]]:
    """Each filled field set to unknown in turn, in batches of `variant_batch_rows`; yields the fields done so far,
    largest |change| of the predicted class's probability first, after every batch."""
    filled = [name for name, value in run.record.items() if value is not None]
    predicted = int(run.prediction.probabilities.argmax())
    p_entered = float(run.prediction.probabilities[predicted])
    rows = variant_batch_rows(predictor)
    importance: list[FieldImportance] = []
    for start in range(0, len(filled), rows):
        names = filled[start : start + rows]
        dropped = predictor.predict_validated(run.pixels, [{**run.record, name: None} for name in names])
        for name, without in zip(names, dropped, strict=True):
            spec = predictor.schema.field(name)
            probability = float(without.probabilities[predicted])
            importance.append(
                FieldImportance(name, spec.label, spec.describe(run.record[name]), probability, p_entered - probability)
            )
        yield sorted(importance, key=lambda item: abs(item.change), reverse=True)


def diagnose(predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]) -> Diagnosis:
    """Prediction, Grad-CAM (from the same pass), modality comparison and field importance of one case.

    The record is validated once, here. Raises ValueError naming what is wrong with the image or the record.
    """
    run = run_case(predictor, image, record)
    steps = list(field_importance(predictor, run))  # the last step holds every filled field
    return Diagnosis(
        prediction=run.prediction,
        without_metadata=without_metadata(predictor, run),
        field_importance=steps[-1] if steps else [],
        view=model_view(predictor, run.pixels) if run.pixels is not None else None,
        gradcam=grad_cam(run, int(run.prediction.probabilities.argmax())) if run.pixels is not None else None,
    )


@dataclass
class Intervention:
    """The same case run unmodified and with routing overrides."""

    baseline: Prediction
    intervened: Prediction
    overrides: RoutingOverrides


def intervene(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], overrides: RoutingOverrides
) -> Intervention:
    """Run one case without and with `overrides` (two passes: overrides apply to a whole batch)."""
    overrides.check(predictor.config.experts, predictor.config.num_fused_stages)
    record = predictor.schema.validate(record)
    pixels = photo_pixels(predictor, image)
    (baseline,) = predictor.predict_validated(pixels, [record])
    (intervened,) = predictor.predict_validated(pixels, [record], overrides)
    return Intervention(baseline, intervened, overrides)


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


@dataclass(frozen=True)
class RoutingDifference:
    """How differently two predictions were routed (each distance in [0, 1])."""

    gm_gate: float  # total variation distance between the GM-Gate weight vectors
    lc_gate: list[float]  # per stage: |difference of the fused-path weights|
    probabilities: float  # total variation distance between the class distributions


def routing_difference(first: Prediction, second: Prediction) -> RoutingDifference:
    """Distances between the routing (and the output) of two predictions of the same checkpoint."""
    fused = LC_PATHS.index("fused")
    lc_first = first.trace.lc_gate[0, :, fused].numpy()
    lc_second = second.trace.lc_gate[0, :, fused].numpy()
    return RoutingDifference(
        gm_gate=0.5 * float(np.abs(first.trace.gm_gate[0].numpy() - second.trace.gm_gate[0].numpy()).sum()),
        lc_gate=np.abs(lc_first - lc_second).tolist(),
        probabilities=0.5 * float(np.abs(first.probabilities - second.probabilities).sum()),
    )


def compare_cases(
    predictor: Predictor, cases: Sequence[tuple[ImageSource | None, Mapping[str, Any]]]
) -> list[Prediction]:
    """Predict several (photo, record) cases of one checkpoint for a side-by-side view."""
    predictions = []
    for image, record in cases:
        if predictor.config.uses_image and image is None:
            raise ValueError("no lesion photo for one of the cases: upload, photograph or paste one")
        predictions.append(predictor.predict(image, record))
    return predictions


OOD_WARNING = "This photo is unlike the images the model was trained on; its output is not meaningful."
CANNOT_TELL_APART = "A set with more than one class means the model cannot tell these apart."


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
        lines.append("**Field importance.** No clinical field was filled in, so there is nothing to remove.")
    if diagnosis.gradcam is not None:
        lines.append(
            f"**Grad-CAM.** Bright areas are where the final stage's features pushed the {code} logit up (gradient "
            f"of that logit times the feature map, summed over channels)."
        )
    return "\n\n".join(lines)
