"""A case report as a PDF of two to three pages (matplotlib's PDF backend, object-oriented figures only):

1. the notice, a time stamp, the checkpoint (name, training data, synthetic flag, test metrics), the photo as the
   model saw it, the record as entered, the class probabilities, the prediction set and the out-of-distribution
   status;
2. the routing: LC-Gate per stage, GM-Gate, and the TKCA locations of every fused stage;
3. the exact expert -> class decomposition of the logits.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from mhdf.app.figures import attention_overlay, expert_contribution_figure, expert_name
from mhdf.app.texts import (
    CANNOT_TELL_APART,
    NOTICE,
    OOD_WARNING,
    SYNTHETIC_WARNING,
    block_name,
    ood_words,
    photo_title,
    photos_words,
    prediction_set_words,
)
from mhdf.inference import Prediction, Predictor, class_display_name
from mhdf.inference.explain import model_view, photo_pixels
from mhdf.inference.images import ImageSource
from mhdf.routing import LC_PATHS

A4 = (8.27, 11.69)
CARD_METRICS = ("balanced_accuracy", "accuracy", "auc", "ece")
REPORT_NOTICE = f"{NOTICE} These are a model's scores, not a diagnosis."


def card_lines(predictor: Predictor) -> list[str]:
    """The checkpoint as the report names it, with the test metrics its model card records."""
    info = predictor.model_info
    lines = [
        f"Checkpoint: {info['name']} ({info['backbone']}, variant {info['variant']}, {predictor.schema.label} schema)",
        f"Trained on: {info['training_data']}",
        SYNTHETIC_WARNING.upper() if info["synthetic"] else "",
    ]
    metrics = predictor.card.get("metrics", {}).get(info["variant"]) or predictor.card.get("metrics", {}).get("mhdf")
    if metrics:
        shown = ", ".join(f"{key} {metrics[key]:.3f}" for key in CARD_METRICS if metrics.get(key) is not None)
        lines.append(f"Test metrics (model card): {shown}")
    return [line for line in lines if line]


def _record_lines(predictor: Predictor, record: Mapping[str, Any]) -> list[str]:
    filled = [(spec, record.get(spec.name)) for spec in predictor.schema.fields if record.get(spec.name) is not None]
    if not filled:
        return ["(every clinical field not recorded)"]
    return [f"{spec.label}: {spec.describe(value)}" for spec, value in filled]


# the photos of a case as the model saw them: one (S, S, 3) image, or one per view (None: not given)
PhotoViews = np.ndarray | dict[str, np.ndarray | None] | None


def _summary_page(predictor: Predictor, prediction: Prediction, view: PhotoViews, stamp: str) -> Figure:
    figure = Figure(figsize=A4)
    lines = [f"MHDF-Net case report - {stamp}", REPORT_NOTICE, *card_lines(predictor), photos_words(prediction)]
    header = [wrapped for line in lines if line for wrapped in textwrap.wrap(line, 95, subsequent_indent="  ")]
    figure.text(0.06, 0.97, "\n".join(header), va="top", fontsize=8.5, family="monospace")
    if isinstance(view, dict):
        for index, (name, image) in enumerate(view.items()):
            photo = figure.add_axes((0.04 + 0.3 * index, 0.55, 0.27, 0.25))
            if image is not None:
                photo.imshow(image)
            photo.set_title(photo_title(name, image is not None), fontsize=8)
            photo.axis("off")
    elif view is not None:
        photo = figure.add_axes((0.04, 0.52, 0.36, 0.3))
        photo.imshow(view)
        photo.set_title("The photo as the model saw it", fontsize=9)
        photo.axis("off")
    bars = figure.add_axes((0.72, 0.52, 0.24, 0.3) if isinstance(view, dict) else (0.68, 0.52, 0.27, 0.3))
    names = [class_display_name(c, prediction.class_labels) for c in prediction.classes]
    bars.barh(names[::-1], prediction.probabilities[::-1], color="#4C72B0")
    bars.set_xlim(0, 1)
    bars.tick_params(labelsize=7)
    kind = "calibrated" if prediction.calibrated else "uncalibrated"
    bars.set_title(f"Class probabilities ({kind})", fontsize=9)
    verdict = [
        f"Top class: {class_display_name(prediction.prediction, prediction.class_labels)} "
        f"({prediction.probabilities.max():.1%})",
        prediction_set_words(prediction),
        ood_words(prediction),
    ]
    if len(prediction.prediction_set or []) > 1:
        verdict.append(CANNOT_TELL_APART)
    if prediction.in_distribution is False:
        verdict.append(f"WARNING: {OOD_WARNING}")
    figure.text(0.06, 0.47, "\n".join(verdict), va="top", fontsize=9, family="monospace")
    record = ["Clinical record as entered:", *(f"  {line}" for line in _record_lines(predictor, prediction.record))]
    figure.text(0.06, 0.37, "\n".join(record), va="top", fontsize=8, family="monospace")
    return figure


def _routing_page(prediction: Prediction, view: PhotoViews) -> Figure:
    figure = Figure(figsize=A4)
    figure.suptitle("Routing of this case", fontsize=11)
    trace = prediction.trace
    stages = trace.lc_gate.shape[1]
    lc = figure.add_axes((0.08, 0.74, 0.38, 0.18))
    if stages:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].nan_to_num(0.0).numpy()  # 0: a photo not given
        names = [block_name(trace.views, b, trace.stages_per_view) for b in range(stages)]
        lc.bar(names, fused, color="#DD8452")
        lc.tick_params(axis="x", labelrotation=90 if len(trace.views) > 1 else 0)
    lc.set_ylim(0, 1)
    lc.set_title("LC-Gate: fused-path weight per stage", fontsize=9)
    lc.tick_params(labelsize=7)
    gm = figure.add_axes((0.56, 0.74, 0.38, 0.18))
    gate = trace.gm_gate[0].numpy()
    gm.bar([expert_name(e) for e in range(len(gate))], gate, color="#4C72B0")
    gm.set_ylim(0, 1)
    gm.set_title("GM-Gate: weight per expert", fontsize=9)
    gm.tick_params(labelsize=7)
    for slot, (image, block) in enumerate(_overlays(prediction, view)):
        row, col = divmod(slot, 2)
        axes = figure.add_axes((0.08 + 0.46 * col, 0.38 - 0.32 * row, 0.38, 0.28))
        axes.imshow(attention_overlay(image, prediction, block))
        name = block_name(trace.views, block, trace.stages_per_view)
        axes.set_title(f"{name}: TKCA top-{prediction.top_k} locations", fontsize=8)
        axes.axis("off")
    figure.text(0.06, 0.02, REPORT_NOTICE, fontsize=7, wrap=True)
    return figure


def _overlays(prediction: Prediction, view: PhotoViews) -> list[tuple[np.ndarray, int]]:
    """(photo, LC-MoE block) of each attention map the page shows: every stage of a one-photo model (four at
    most fit), the last two stages of each photo a multi-view case has."""
    if view is None:
        return []
    if not isinstance(view, dict):
        return [(view, stage) for stage in range(prediction.trace.lc_gate.shape[1])]
    stages = prediction.trace.stages_per_view
    return [
        (image, index * stages + stage)
        for index, image in enumerate(view.values())
        if image is not None
        for stage in range(max(stages - 2, 0), stages)
    ]


def write_case_report(path: str | Path, predictor: Predictor, prediction: Prediction, view: PhotoViews) -> Path:
    """Write the report of one prediction (`view`: the photo as the model saw it, see `explain.model_view`)."""
    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pages = [_summary_page(predictor, prediction, view, stamp), _routing_page(prediction, view)]
    pages.append(expert_contribution_figure(prediction))
    with PdfPages(path, metadata={"Title": "MHDF-Net case report", "Subject": REPORT_NOTICE}) as pdf:
        for page in pages:
            pdf.savefig(page)
    return path


def case_report(
    path: str | Path, predictor: Predictor, image: ImageSource | Mapping | None, record: Mapping[str, Any]
) -> Path:
    """Predict one photo + record and write its report to `path`. Raises ValueError naming a bad input."""
    validated = predictor.schema.validate(record)
    pixels = photo_pixels(predictor, image)
    (prediction,) = predictor.predict_validated(pixels, [validated])
    if isinstance(pixels, dict):
        view = {name: None if px is None else model_view(predictor, px) for name, px in pixels.items()}
        return write_case_report(path, predictor, prediction, view)
    return write_case_report(path, predictor, prediction, model_view(predictor, pixels) if pixels is not None else None)
