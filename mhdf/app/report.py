"""A case report as a PDF of two to three pages (matplotlib's PDF backend, object-oriented figures only):

1. the notice, a time stamp, the checkpoint (name, training data, synthetic flag, test metrics), the photo as the
   model saw it, the record as entered, the class probabilities, the prediction set, the out-of-distribution
   status and the photo-quality verdict;
2. the routing: LC-Gate per stage, GM-Gate, and the TKCA locations of every fused stage;
3. the exact expert -> class decomposition of the logits.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mhdf.app.figures import OKABE_ITO, attention_overlay, expert_contribution_figure, expert_name, stage_name
from mhdf.app.texts import (
    EN,
    attribution,
    class_name,
    field_label,
    notice,
    ood_words,
    prediction_set_words,
    quality_problems,
    quality_words,
    training_description,
    translate,
    value_label,
)
from mhdf.inference import Prediction, Predictor
from mhdf.inference.explain import model_view, photo_input
from mhdf.inference.images import ImageSource
from mhdf.routing import LC_PATHS

A4 = (8.27, 11.69)
CARD_METRICS = ("balanced_accuracy", "accuracy", "auc", "ece")
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")  # [text](url) -> "text (url)" on paper


def report_notice(lang: str = EN) -> str:
    return f"{notice(lang)} {translate(lang, 'report.scores')}"


def card_lines(predictor: Predictor, lang: str = EN) -> list[str]:
    """The checkpoint as the report names it, with the test metrics its model card records."""
    info = predictor.model_info
    schema = predictor.schema.label
    lines = [
        translate(
            lang,
            "report.checkpoint",
            name=info["name"],
            backbone=info["backbone"],
            variant=info["variant"],
            schema=schema,
        ),
        translate(lang, "report.trained_on", training_data=training_description(predictor, lang)),
        translate(lang, "synthetic_warning").upper() if info["synthetic"] else "",
        MARKDOWN_LINK.sub(r"\1 (\2)", attribution(predictor, lang)),
    ]
    metrics = predictor.card.get("metrics", {}).get(info["variant"]) or predictor.card.get("metrics", {}).get("mhdf")
    if metrics:
        shown = ", ".join(f"{key} {metrics[key]:.3f}" for key in CARD_METRICS if metrics.get(key) is not None)
        lines.append(translate(lang, "report.metrics", metrics=shown))
    return [line for line in lines if line]


def _record_lines(predictor: Predictor, record: Mapping[str, Any], lang: str) -> list[str]:
    schema = predictor.schema
    filled = [(spec, record.get(spec.name)) for spec in schema.fields if record.get(spec.name) is not None]
    if not filled:
        return [translate(lang, "report.nothing_recorded")]
    return [f"{field_label(schema, spec, lang)}: {value_label(schema, spec, value, lang)}" for spec, value in filled]


def _summary_page(
    predictor: Predictor, prediction: Prediction, view: np.ndarray | None, stamp: str, lang: str
) -> Figure:
    figure = Figure(figsize=A4)
    lines = [translate(lang, "report.title_stamp", stamp=stamp), report_notice(lang), *card_lines(predictor, lang)]
    header = [wrapped for line in lines for wrapped in textwrap.wrap(line, 95, subsequent_indent="  ")]
    figure.text(0.06, 0.97, "\n".join(header), va="top", fontsize=8.5, family="monospace")
    if view is not None:
        photo = figure.add_axes((0.04, 0.52, 0.36, 0.3))
        photo.imshow(view)
        photo.set_title(translate(lang, "report.photo"), fontsize=9)
        photo.axis("off")
    bars = figure.add_axes((0.68, 0.52, 0.27, 0.3))
    names = [class_name(predictor.schema, c, lang) for c in prediction.classes]
    bars.barh(names[::-1], prediction.probabilities[::-1], color=OKABE_ITO[0])
    bars.set_xlim(0, 1)
    bars.tick_params(labelsize=7)
    kind = "report.calibrated" if prediction.calibrated else "report.uncalibrated"
    bars.set_title(translate(lang, kind), fontsize=9)
    top = class_name(predictor.schema, prediction.prediction, lang)
    warning = translate(lang, "report.warning", warning=translate(lang, "synthetic.own_photo"))
    verdict = [warning] if prediction.synthetic_model_own_photo else []
    if prediction.own_photo and prediction.model["synthetic"] is False:
        verdict.append(translate(lang, "report.warning", warning=translate(lang, "real.own_photo")))
    if prediction.quality is not None and not prediction.quality.ok:
        verdict.append(translate(lang, "report.warning", warning=translate(lang, "quality.warning")))
    verdict += [
        translate(lang, "report.top_class", top=top, probability=f"{prediction.probabilities.max():.1%}"),
        prediction_set_words(prediction, lang),
        ood_words(prediction, lang),
        quality_words(prediction, lang),
        *(f"  {sentence}" for sentence in quality_problems(prediction, lang)),
    ]
    if len(prediction.prediction_set or []) > 1:
        verdict.append(translate(lang, "set.cannot_tell_apart"))
    if prediction.in_distribution is False:
        verdict.append(translate(lang, "report.warning", warning=translate(lang, "ood.warning")))
    figure.text(0.06, 0.47, "\n".join(verdict), va="top", fontsize=9, family="monospace")
    entered = _record_lines(predictor, prediction.record, lang)
    record = [translate(lang, "report.record"), *(f"  {line}" for line in entered)]
    figure.text(0.06, 0.37, "\n".join(record), va="top", fontsize=8, family="monospace")
    return figure


def _routing_page(prediction: Prediction, view: np.ndarray | None, lang: str) -> Figure:
    figure = Figure(figsize=A4)
    figure.suptitle(translate(lang, "report.routing"), fontsize=11)
    trace = prediction.trace
    stages = trace.lc_gate.shape[1]
    lc = figure.add_axes((0.08, 0.74, 0.38, 0.18))
    if stages:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
        lc.bar([stage_name(s, lang) for s in range(stages)], fused, color=OKABE_ITO[1])
    lc.set_ylim(0, 1)
    lc.set_title(translate(lang, "report.lc_gate"), fontsize=9)
    lc.tick_params(labelsize=7)
    gm = figure.add_axes((0.56, 0.74, 0.38, 0.18))
    gate = trace.gm_gate[0].numpy()
    gm.bar([expert_name(e, lang) for e in range(len(gate))], gate, color=OKABE_ITO[0])
    gm.set_ylim(0, 1)
    gm.set_title(translate(lang, "report.gm_gate"), fontsize=9)
    gm.tick_params(labelsize=7)
    if view is not None:
        for stage in range(stages):
            row, col = divmod(stage, 2)
            axes = figure.add_axes((0.08 + 0.46 * col, 0.38 - 0.32 * row, 0.38, 0.28))
            axes.imshow(attention_overlay(view, prediction, stage))
            title = translate(lang, "report.tkca", stage=stage_name(stage, lang), top_k=prediction.top_k)
            axes.set_title(title, fontsize=8)
            axes.axis("off")
    figure.text(0.06, 0.02, report_notice(lang), fontsize=7, wrap=True)
    return figure


def write_case_report(
    path: str | Path, predictor: Predictor, prediction: Prediction, view: np.ndarray | None, lang: str = EN
) -> Path:
    """Write the report of one prediction in `lang` (`view`: the photo as the model saw it, see
    `explain.model_view`)."""
    from matplotlib.backends.backend_pdf import PdfPages  # loaded with the first report, not with every app start

    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pages = [_summary_page(predictor, prediction, view, stamp, lang), _routing_page(prediction, view, lang)]
    pages.append(expert_contribution_figure(prediction, lang))
    metadata = {"Title": translate(lang, "report.title"), "Subject": report_notice(lang)}
    with PdfPages(path, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(page)
    return path


def case_report(
    path: str | Path, predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], lang: str = EN
) -> Path:
    """Predict one photo + record and write its report to `path`. Raises ValueError naming a bad input."""
    validated = predictor.schema.validate(record)
    pixels, quality = photo_input(predictor, image)
    if isinstance(pixels, Mapping):
        raise ValueError("the case report reads one photo: this checkpoint has several photo views")
    (prediction,) = predictor.predict_validated(pixels, [validated], quality=[quality])
    view = model_view(predictor, pixels) if pixels is not None else None
    return write_case_report(path, predictor, prediction, view, lang)
