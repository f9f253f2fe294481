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

from mhdf.inference.images import ImageSource
from mhdf.inference.predictor import Prediction, Predictor
from mhdf.inference.quality import PhotoQuality
from mhdf.metadata import Value
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


def photo_input(
    predictor: Predictor, image: ImageSource | Mapping[str, ImageSource | None] | None
) -> tuple[torch.Tensor | dict[str, torch.Tensor | None] | None, PhotoQuality | None]:
    """The photo as a (1, 3, S, S) model input (a multi-view model: one per view, None for a photo not given;
    None for a metadata-only model), with its photo-quality verdict (None but for one photo). Raises ValueError
    without a photo."""
    if not predictor.config.uses_image:
        return None, None
    if predictor.config.multi_view:
        if not isinstance(image, Mapping):
            raise ValueError(f"this model reads one photo per view: give {', '.join(predictor.views)} by name")
        return predictor.preprocess_photos(image), None
    if image is None:
        raise ValueError("no lesion photo: upload, photograph or paste one")
    return predictor.read_photo(image)


# Rows per forward pass of record variants: with the photo's layers before the first fusion run once, each row
# costs about one image's activations from there on, so this bounds peak memory whatever the number of filled
# fields (8 rows of 224 x 224, more rows of smaller images).
VARIANT_BATCH_PIXELS = 8 * 224 * 224


@dataclass
class CaseRun:
    """One photo + record after its single traced forward pass: what every later explanation starts from."""

    record: dict[str, Value]  # validated once, here
    # (1, 3, S, S) model input; a multi-view model: one per view (None: not given); None for a metadata-only model
    pixels: torch.Tensor | dict[str, torch.Tensor | None] | None
    prediction: Prediction
    output: MHDFOutput  # the pass itself, with autograd kept from the last stage map on (Grad-CAM)

    def photos(self) -> list[torch.Tensor | None]:
        """The model input of each photo view in the trace's view order (one for the paper's model), None for a
        photo the case lacks."""
        return list(self.pixels.values()) if isinstance(self.pixels, Mapping) else [self.pixels]


def run_case(predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any]) -> CaseRun:
    """Validate the record, decode the photo and run the one forward pass that gives the prediction and every
    routing view. Raises ValueError naming what is wrong with the image or the record."""
    record = predictor.schema.validate(record)
    pixels, quality = photo_input(predictor, image)
    prediction, output = predictor.predict_traced(pixels, record, quality)
    return CaseRun(record, pixels, prediction, output)


def grad_cam(run: CaseRun, class_index: int, view: int = 0) -> np.ndarray:
    """Grad-CAM of the final stage map (after its LC-MoE recalibration) for one class -> (S, S) in [0, 1]; a
    multi-view model: of photo `view` (its index in the model's views), which the case must have.

    Differentiates the logits of the case's own forward pass: only the head lies between them and the map."""
    photos = run.photos()
    per_view = len(run.output.stage_maps) // len(photos)
    feature_map = run.output.stage_maps[(view + 1) * per_view - 1]  # (1, C, h, w): the view's last stage
    with torch.inference_mode(False), torch.enable_grad():  # the app calls it under inference mode
        (gradients,) = torch.autograd.grad(run.output.logits[0, class_index], feature_map, retain_graph=True)
    with torch.no_grad():
        channel_weights = gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((channel_weights * feature_map).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=photos[view].shape[-2:], mode="bilinear", align_corners=False)[0, 0]
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
    pixels = photo_input(predictor, image)[0]
    (baseline,) = predictor.predict_validated(pixels, [record])
    (intervened,) = predictor.predict_validated(pixels, [record], overrides)
    return Intervention(baseline, intervened, overrides)


def without_photo(
    predictor: Predictor, images: Mapping[str, ImageSource | None], record: Mapping[str, Any], view: str
) -> tuple[Prediction, Prediction]:
    """A multi-view case as given and with the photo of `view` marked missing (the learned "missing photo" vectors
    in its place): two passes on photos decoded once. Raises ValueError naming a bad photo or field, an unknown
    view, or a drop that would leave no photo."""
    record = predictor.schema.validate(record)
    pixels = predictor.preprocess_photos(images)
    if view not in pixels:
        raise ValueError(f"unknown photo view {view!r}; this model's views are {', '.join(predictor.views)}")
    dropped = {**pixels, view: None}
    if all(photo is None for photo in dropped.values()):
        raise ValueError(f"dropping the {view} photo leaves no photo: the case needs at least one")
    (given,) = predictor.predict_validated(pixels, [record])
    (without,) = predictor.predict_validated(dropped, [record])
    return given, without


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
