"""A case report as a PDF of two to three pages (matplotlib's PDF backend, object-oriented figures only):

1. the notice, a time stamp, the checkpoint (name, training data, synthetic flag, test metrics), the photo as the
   model saw it, the record as entered, the class probabilities, the prediction set, the out-of-distribution
   status and the photo-quality verdict;
2. the routing: LC-Gate per stage, GM-Gate, and the TKCA locations of every fused stage;
3. the exact expert -> class decomposition of the logits.

A checkpoint with several photo views shows every view's photo (or names the view as not given), and on page 2
the LC-Gate per view and stage, the GM-Gate per expert and per view (`Prediction.gm_gate_by_view`), and the TKCA
locations of each given photo's stages.
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
    photo_view_name,
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
# the photo(s) as the model saw them (`explain.model_view`): one image, or a multi-view case's by view (None: a photo
# the case lacks), or None for a metadata-only model
SeenPhotos = np.ndarray | Mapping[str, np.ndarray | None] | None


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


def _view_photos(figure: Figure, photos: Mapping[str, np.ndarray | None], lang: str) -> None:
    """A multi-view case's photos side by side where the one-photo report has its photo; a view without a photo
    is named as not given, and a line below says what the model read instead."""
    width = 0.36 / len(photos)
    for index, (view, seen) in enumerate(photos.items()):
        axes = figure.add_axes((0.04 + index * width, 0.52, width - 0.01, 0.3))
        axes.axis("off")
        name = photo_view_name(view, lang)
        if seen is None:
            missing = textwrap.fill(translate(lang, "report.photo_missing", view=name), 22)
            axes.text(0.5, 0.5, missing, ha="center", va="center", fontsize=8, transform=axes.transAxes)
            continue
        axes.imshow(seen)
        axes.set_title(textwrap.fill(translate(lang, "report.photo_view", view=name), 24), fontsize=8)
    if missing := [photo_view_name(view, lang) for view, seen in photos.items() if seen is None]:
        stand_in = textwrap.fill(translate(lang, "report.photos_missing", views=", ".join(missing)), 60)
        figure.text(0.06, 0.512, stand_in, va="top", fontsize=7)  # under the photos, clear of the bars' axis


def _summary_page(predictor: Predictor, prediction: Prediction, view: SeenPhotos, stamp: str, lang: str) -> Figure:
    figure = Figure(figsize=A4)
    lines = [translate(lang, "report.title_stamp", stamp=stamp), report_notice(lang), *card_lines(predictor, lang)]
    header = [wrapped for line in lines for wrapped in textwrap.wrap(line, 95, subsequent_indent="  ")]
    figure.text(0.06, 0.97, "\n".join(header), va="top", fontsize=8.5, family="monospace")
    if isinstance(view, Mapping):
        _view_photos(figure, view, lang)
    elif view is not None:
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


def _gate_axes(figure: Figure, left: float, title: str) -> Any:
    """A bar chart of gate weights on the routing page: on [0, 1], titled."""
    axes = figure.add_axes((left, 0.74, 0.38, 0.18))
    axes.set_ylim(0, 1)
    axes.set_title(title, fontsize=9)
    axes.tick_params(labelsize=7)
    return axes


def _gm_gate(figure: Figure, prediction: Prediction, lang: str) -> None:
    gm = _gate_axes(figure, 0.56, translate(lang, "report.gm_gate"))
    gate = prediction.trace.gm_gate[0].numpy()
    gm.bar([expert_name(e, lang) for e in range(len(gate))], gate, color=OKABE_ITO[0])


def _routing_page(prediction: Prediction, view: np.ndarray | None, lang: str) -> Figure:
    figure = Figure(figsize=A4)
    figure.suptitle(translate(lang, "report.routing"), fontsize=11)
    trace = prediction.trace
    stages = trace.lc_gate.shape[1]
    lc = _gate_axes(figure, 0.08, translate(lang, "report.lc_gate"))
    if stages:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
        lc.bar([stage_name(s, lang) for s in range(stages)], fused, color=OKABE_ITO[1])
    _gm_gate(figure, prediction, lang)
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


def _views_routing_page(prediction: Prediction, photos: Mapping[str, np.ndarray | None], lang: str) -> Figure:
    """Page 2 of a multi-view case: LC-Gate per view and stage, GM-Gate per expert and per view, and a row of TKCA
    locations per given photo."""
    figure = Figure(figsize=A4)
    figure.suptitle(translate(lang, "report.routing"), fontsize=11)
    trace = prediction.trace
    views, stages = trace.views, trace.stages_per_view
    names = [photo_view_name(view, lang) for view in views]
    lc = _gate_axes(figure, 0.08, translate(lang, "report.lc_gate_views"))
    fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].view(len(views), stages).numpy()
    width = 0.8 / len(views)
    for index, view in enumerate(views):
        if prediction.photos[view]:  # a photo not given has no LC-Gate (NaN): no bar, and no legend entry
            offsets = np.arange(stages) + (index - (len(views) - 1) / 2) * width
            lc.bar(offsets, fused[index], width, color=OKABE_ITO[1 + index], label=names[index])
    lc.set_xticks(range(stages), [stage_name(s, lang) for s in range(stages)])
    lc.legend(fontsize=6, loc="upper right")
    _gm_gate(figure, prediction, lang)
    if shares := prediction.gm_gate_by_view():  # None for a model with one expert: no gate to steer
        by_view = figure.add_axes((0.08, 0.5, 0.38, 0.14))
        by_view.bar(names, [shares[view] for view in views], color=OKABE_ITO[0])
        by_view.set_ylim(0, 1)
        by_view.set_title(translate(lang, "report.gm_gate_views"), fontsize=9)
        by_view.tick_params(labelsize=7)
    row_height = 0.4 / len(views)
    for index, view in enumerate(views):
        bottom = 0.06 + (len(views) - 1 - index) * row_height
        if photos.get(view) is None:
            missing = translate(lang, "report.tkca_missing", view=names[index])
            figure.text(0.08, bottom + row_height / 2, missing, fontsize=8, va="center")
            continue
        cell = 0.88 / stages
        for stage in range(stages):
            axes = figure.add_axes((0.06 + stage * cell, bottom, cell - 0.01, row_height - 0.03))
            axes.imshow(attention_overlay(photos[view], prediction, trace.block(index, stage)))
            title = translate(
                lang, "report.tkca_view", view=names[index], stage=stage_name(stage, lang), top_k=prediction.top_k
            )
            axes.set_title(textwrap.fill(title, 26), fontsize=6.5)
            axes.axis("off")
    figure.text(0.06, 0.02, report_notice(lang), fontsize=7, wrap=True)
    return figure


def report_pages(
    predictor: Predictor, prediction: Prediction, view: SeenPhotos, stamp: str, lang: str = EN
) -> list[Figure]:
    """The report's pages as figures (`view`: the photo(s) as the model saw them, see `explain.model_view`)."""
    routing = (
        _views_routing_page(prediction, view, lang)
        if isinstance(view, Mapping)
        else _routing_page(prediction, view, lang)
    )
    summary = _summary_page(predictor, prediction, view, stamp, lang)
    return [summary, routing, expert_contribution_figure(prediction, lang)]


def write_case_report(
    path: str | Path, predictor: Predictor, prediction: Prediction, view: SeenPhotos, lang: str = EN
) -> Path:
    """Write the report of one prediction in `lang` (`view`: the photo(s) as the model saw them, see
    `explain.model_view`)."""
    from matplotlib.backends.backend_pdf import PdfPages  # loaded with the first report, not with every app start

    path = Path(path)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pages = report_pages(predictor, prediction, view, stamp, lang)
    metadata = {"Title": translate(lang, "report.title"), "Subject": report_notice(lang)}
    with PdfPages(path, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(page)
    return path


def case_report(
    path: str | Path,
    predictor: Predictor,
    image: ImageSource | Mapping[str, ImageSource | None] | None,
    record: Mapping[str, Any],
    lang: str = EN,
) -> Path:
    """Predict one photo (a multi-view checkpoint: {view: photo}, a view left out or None when the case has no
    such photo) + record and write its report to `path`. Raises ValueError naming a bad input."""
    validated = predictor.schema.validate(record)
    pixels, quality = photo_input(predictor, image)
    (prediction,) = predictor.predict_validated(pixels, [validated], quality=[quality])
    if isinstance(pixels, Mapping):
        seen = {view: None if p is None else model_view(predictor, p) for view, p in pixels.items()}
    else:
        seen = model_view(predictor, pixels) if pixels is not None else None
    return write_case_report(path, predictor, prediction, seen, lang)
