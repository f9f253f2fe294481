"""Figure builders for the demo: data frames for Gradio's native bar plots, overlays as RGB arrays, and
matplotlib `Figure`s (object-oriented, never pyplot state, so concurrent users cannot draw on each other's
figures) for heatmaps and side-by-side comparisons. Pure functions of predictions and explanations.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.colors
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from mhdf.app.texts import EN, class_name, field_label, photo_short_name, photo_view_name, translate, value_label
from mhdf.inference import Prediction, class_display_name
from mhdf.inference.explain import FieldImportance
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS

OVERLAY_SIZE = 256  # pixels per side of the photo overlays: the model input is often smaller
OVERLAY_ALPHA = 0.45
BOX_COLOR = (0, 229, 255)  # cyan stands out on skin tones and on the inferno colormap
DPI = 90  # figures are read on screen; a low dpi keeps their rendering off the critical path
# Okabe-Ito, safe for the common colour-vision deficiencies: blue and vermillion apart, then bluish green.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
COMPARISON_COLORS = OKABE_ITO[:2]
SUPPORTS, OPPOSES = translate(EN, "effect.supports"), translate(EN, "effect.against")
# The columns of each bar plot's data frame (an empty frame with them clears a plot).
LC_GATE_COLUMNS = ("stage", "route", "weight")
GM_GATE_COLUMNS = ("expert", "weight")
GM_BY_VIEW_COLUMNS = ("photo", "share")
FIELD_ATTENTION_COLUMNS = ("field", "weight")
FIELD_IMPORTANCE_COLUMNS = ("field", "magnitude", "effect", "change")


def probability_label(prediction: Prediction, schema: MetadataSchema | None = None, lang: str = EN) -> dict[str, float]:
    """{full name with code: probability} for `gr.Label`, in class order (English names without a `schema`)."""
    return {
        class_name(schema, code, lang)
        if schema is not None
        else class_display_name(code, prediction.class_labels): float(p)
        for code, p in zip(prediction.classes, prediction.probabilities, strict=True)
    }


def stage_name(stage: int, lang: str = EN) -> str:
    return translate(lang, "stage", stage=stage + 1)


def expert_name(expert: int, lang: str = EN) -> str:
    return translate(lang, "expert", expert=expert + 1)


def lc_path_colors(lang: str = EN) -> dict[str, str]:
    """The LC-Gate plot's colour per route label (Okabe-Ito blue for the image, vermillion for the fused path)."""
    return {translate(lang, f"path.{path}"): color for path, color in zip(LC_PATHS, OKABE_ITO, strict=False)}


def effect_colors(lang: str = EN) -> dict[str, str]:
    """The field-importance plot's colour per effect label (Okabe-Ito blue / vermillion)."""
    return {translate(lang, "effect.supports"): OKABE_ITO[0], translate(lang, "effect.against"): OKABE_ITO[1]}


def lc_gate_frame(prediction: Prediction, lang: str = EN, view: int = 0) -> pd.DataFrame:
    """LC-Gate weights of one photo view (its index; the paper's model has one) as rows (stage, route, weight),
    route = "image path" | "fused path"; a stage's weights sum to 1. (A column named "path" would make
    gradio_client take the plot data for a file.)"""
    trace = prediction.trace
    gate = trace.lc_gate[0].numpy()
    stages = gate.shape[0] // max(len(trace.views), 1)
    rows = [
        {
            "stage": stage_name(stage, lang),
            "route": translate(lang, f"path.{path}"),
            "weight": float(gate[view * stages + stage, index]),
        }
        for stage in range(stages)
        for index, path in enumerate(LC_PATHS)
    ]
    return pd.DataFrame(rows, columns=list(LC_GATE_COLUMNS))


def gm_gate_frame(prediction: Prediction, lang: str = EN) -> pd.DataFrame:
    """GM-Gate weights as rows (expert, weight)."""
    gate = prediction.trace.gm_gate[0].numpy()
    experts = [expert_name(e, lang) for e in range(len(gate))]
    return pd.DataFrame(dict(zip(GM_GATE_COLUMNS, (experts, gate.astype(float)), strict=True)))


def gm_gate_by_view_frame(prediction: Prediction, lang: str = EN) -> pd.DataFrame:
    """How much each photo steered the GM-Gate (`Prediction.gm_gate_by_view`) as rows (photo, share); no rows with a
    single expert."""
    shares = prediction.gm_gate_by_view() or {}
    photos = [photo_view_name(view, lang) for view in shares]
    return pd.DataFrame(dict(zip(GM_BY_VIEW_COLUMNS, (photos, list(shares.values())), strict=True)))


def field_attention_frame(prediction: Prediction, stage: int, schema: MetadataSchema, lang: str = EN) -> pd.DataFrame:
    """How much the image tokens attended to each clinical field at one stage: rows (field, weight) in schema
    order, fields by their form label."""
    weights = prediction.field_attention(stage)
    labels = [field_label(schema, schema.field(name), lang) for name in weights]
    return pd.DataFrame(dict(zip(FIELD_ATTENTION_COLUMNS, (labels, list(map(float, weights.values()))), strict=True)))


def field_importance_frame(
    importance: Sequence[FieldImportance],
    schema: MetadataSchema | None = None,
    record: Mapping[str, Any] | None = None,
    lang: str = EN,
) -> pd.DataFrame:
    """Rows (field, magnitude, effect, change) in the order given (largest |change| first): field reads
    "Label = value"; change is the predicted class's probability as entered minus with the field unknown, in
    percentage points; magnitude its absolute value; effect whether the field supported or opposed the class."""
    change = [100.0 * item.change for item in importance]

    def field(item: FieldImportance) -> str:
        if schema is None or record is None:
            return f"{item.label} = {item.value}"
        spec = schema.field(item.name)
        return f"{field_label(schema, spec, lang)} = {value_label(schema, spec, record.get(item.name), lang)}"

    return pd.DataFrame(
        {
            "field": [field(item) for item in importance],
            "magnitude": [abs(c) for c in change],
            "effect": [translate(lang, "effect.supports" if c >= 0 else "effect.against") for c in change],
            "change": change,
        },
        columns=list(FIELD_IMPORTANCE_COLUMNS),
    )


def _heat_rgb(values: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """(h, w) values -> (H, W, 3) float RGB in [0, 1] of the inferno colormap, scaled to its own maximum."""
    peak = float(values.max())
    scaled = values / peak if peak > 0 else np.zeros_like(values)
    upsampled = Image.fromarray(scaled.astype(np.float32), mode="F").resize(size, resample)
    return matplotlib.colormaps["inferno"](np.clip(np.asarray(upsampled), 0, 1))[..., :3]


def _blend(view: np.ndarray, heat: np.ndarray) -> Image.Image:
    base = np.asarray(Image.fromarray(view).resize((OVERLAY_SIZE, OVERLAY_SIZE), Image.Resampling.BICUBIC))
    mixed = (1 - OVERLAY_ALPHA) * base / 255.0 + OVERLAY_ALPHA * heat
    return Image.fromarray((mixed * 255).round().astype(np.uint8))


def attention_overlay(view: np.ndarray, prediction: Prediction, stage: int) -> np.ndarray:
    """The photo as the model saw it with one stage's metadata -> image attention as a heat map (one colour
    cell per image token) and boxes on the `top_k` locations the TKCA kept, numbered strongest first.
    -> (OVERLAY_SIZE, OVERLAY_SIZE, 3) uint8."""
    attention = prediction.attention_map(stage)
    rows, cols = attention.shape
    heat = _heat_rgb(attention, (OVERLAY_SIZE, OVERLAY_SIZE), Image.Resampling.NEAREST)
    image = _blend(view, heat)
    draw = ImageDraw.Draw(image)
    cell_h, cell_w = OVERLAY_SIZE / rows, OVERLAY_SIZE / cols
    for rank, cell in enumerate(prediction.top_locations(stage), start=1):
        box = (
            cell["col"] * cell_w,
            cell["row"] * cell_h,
            (cell["col"] + 1) * cell_w - 1,
            (cell["row"] + 1) * cell_h - 1,
        )
        draw.rectangle(box, outline=BOX_COLOR, width=2)
        if min(cell_h, cell_w) >= 24:  # numbers only where a cell has room for them
            draw.text((box[0] + 3, box[1] + 1), str(rank), fill=BOX_COLOR)
    return np.asarray(image)


def gradcam_overlay(view: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The photo as the model saw it with a (S, S) Grad-CAM map in [0, 1] blended on top -> (OVERLAY_SIZE,
    OVERLAY_SIZE, 3) uint8."""
    return np.asarray(_blend(view, _heat_rgb(cam, (OVERLAY_SIZE, OVERLAY_SIZE), Image.Resampling.BILINEAR)))


def logit_decomposition(prediction: Prediction, lang: str = EN) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """The exact logit decomposition as a (experts + 2, C) table and its rows' (name, detail): each expert's
    gated contribution to every class logit (detail: its gate weight), the bias, and the logits they sum to."""
    trace = prediction.trace
    bias = trace.logit_bias.detach().numpy()
    table = np.vstack([trace.expert_logits[0].numpy(), bias[None], prediction.logits[None]])
    gates = trace.gm_gate[0].numpy()
    rows = [(expert_name(e, lang), translate(lang, "contributions.gate", weight=g)) for e, g in enumerate(gates)]
    rows += [(translate(lang, "contributions.bias"), ""), (translate(lang, "contributions.logit"), "")]
    return table, rows


def _text_color(background: np.ndarray) -> str:
    """Black or white, whichever contrasts more with an RGB(A) background in [0, 1] (WCAG relative luminance): the
    heatmap's mid blues and reds are too dark for black and too light for white by a fixed threshold on the value."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in background[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#fff" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "#000"


def expert_contribution_table(prediction: Prediction, lang: str = EN) -> str:
    """The logit decomposition as an HTML heatmap table, the demo's live view: text, so it costs the server no
    rendering, and narrow enough for a phone. The predicted class's column is outlined."""
    table, rows = logit_decomposition(prediction, lang)
    limit = float(np.abs(table).max()) or 1.0
    colors = matplotlib.colormaps["RdBu_r"]((table / limit + 1) / 2)
    predicted = int(prediction.probabilities.argmax())
    experts = len(rows) - 2
    pad = "padding:3px 2px"

    def cell(row: int, col: int) -> str:
        style = [
            f"background:{matplotlib.colors.to_hex(colors[row, col])}",
            pad,
            f"color:{_text_color(colors[row, col])}",
        ]
        if col == predicted:
            style.append("border-left:2px solid #000;border-right:2px solid #000")
        if row == experts:  # a rule above the bias: the last two rows complete the sum
            style.append("border-top:2px solid currentColor")
        return f'<td style="{";".join(style)}">{table[row, col]:+.2f}</td>'

    def row_name(name: str, detail: str) -> str:
        detail = f"<br><small>{html.escape(detail)}</small>" if detail else ""
        style = f"text-align:left;font-weight:normal;{pad};white-space:nowrap"
        return f'<th scope="row" style="{style}">{html.escape(name)}{detail}</th>'

    underline = ";text-decoration:underline"
    head = "".join(
        f'<th scope="col" style="{pad}{underline if c == predicted else ""}">{html.escape(code)}</th>'
        for c, code in enumerate(prediction.classes)
    )
    body = "".join(
        f"<tr>{row_name(*rows[r])}{''.join(cell(r, c) for c in range(table.shape[1]))}</tr>" for r in range(len(rows))
    )
    return (
        '<table class="logit-decomposition" style="border-collapse:collapse;width:100%;font-size:0.8em;'
        'text-align:center;font-variant-numeric:tabular-nums">'
        '<caption style="caption-side:top;text-align:left;padding-bottom:6px">'
        f"{translate(lang, 'contributions.caption', code=html.escape(prediction.classes[predicted]))}</caption>"
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def expert_contribution_figure(prediction: Prediction, lang: str = EN) -> Figure:
    """`logit_decomposition` as a matplotlib heatmap (for the PDF report); the predicted class is outlined."""
    table, rows = logit_decomposition(prediction, lang)
    experts = len(rows) - 2
    limit = float(np.abs(table).max()) or 1.0
    figure = Figure(figsize=(1.0 + 0.75 * len(prediction.classes), 0.9 + 0.38 * len(rows)), dpi=DPI)
    axes = figure.add_subplot()
    axes.imshow(table, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for (row, col), value in np.ndenumerate(table):
        dark = abs(value) > 0.6 * limit
        axes.text(col, row, f"{value:+.2f}", ha="center", va="center", fontsize=8, color="white" if dark else "black")
    axes.axhline(experts - 0.5, color="black", linewidth=0.8)
    axes.axhline(experts + 0.5, color="black", linewidth=1.6)
    predicted = int(prediction.probabilities.argmax())
    axes.add_patch(
        matplotlib.patches.Rectangle(
            (predicted - 0.5, -0.5), 1, len(rows), fill=False, edgecolor="black", linewidth=2, clip_on=False
        )
    )
    axes.set_xticks(range(len(prediction.classes)), prediction.classes)
    axes.set_yticks(range(len(rows)), [f"{name} ({detail})" if detail else name for name, detail in rows])
    axes.tick_params(length=0, labelsize=9)
    axes.set_title(translate(lang, "contributions.sums"), fontsize=9)
    figure.subplots_adjust(left=0.3, right=0.97, top=0.88, bottom=0.12)
    return figure


def _grouped_bars(axes: Any, categories: Sequence[str], series: Sequence[np.ndarray], names: Sequence[str]) -> None:
    """Bars of several runs side by side for each category, values in [0, 1]."""
    width = 0.8 / len(series)
    positions = np.arange(len(categories))
    for index, (values, name) in enumerate(zip(series, names, strict=True)):
        offset = (index - (len(series) - 1) / 2) * width
        axes.bar(positions + offset, values, width, label=name, color=COMPARISON_COLORS[index % 2])
    axes.set_xticks(positions, categories, fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(0, 1)
    axes.grid(axis="y", alpha=0.3)


def _block_labels(prediction: Prediction, lang: str) -> list[str]:
    """The tick label of each LC-MoE block: "S1" per stage, and with several photo views "Clin. S1" per view and
    stage."""
    views = prediction.trace.views
    stages = prediction.trace.lc_gate.shape[1] // max(len(views), 1)
    if len(views) < 2:
        return [f"S{s + 1}" for s in range(stages)]
    return [
        translate(lang, "figure.view_stage", photo=photo_short_name(view, lang), stage=s + 1)
        for view in views
        for s in range(stages)
    ]


def routing_comparison_figure(
    first: Prediction, second: Prediction, names: tuple[str, str], title: str, lang: str = EN
) -> Figure:
    """Two runs side by side as grouped bars (one colour per run) on one axis, in three sections: the class
    probabilities, the LC-Gate's fused-path weight per stage (of every photo view) and the GM-Gate weight per
    expert; with several photo views a fourth, each photo's share of the GM-Gate's steering."""
    fused = LC_PATHS.index("fused")
    sections = [
        (translate(lang, "figure.class_probability"), list(first.classes), [first.probabilities, second.probabilities])
    ]
    blocks = first.trace.lc_gate.shape[1]
    if blocks:  # a photo a run lacks has NaN weights: no bar
        lc = [p.trace.lc_gate[0, :, fused].numpy() for p in (first, second)]
        sections.append((translate(lang, "figure.lc_fused"), _block_labels(first, lang), lc))
    experts = first.trace.gm_gate.shape[1]
    if experts > 1:
        gm = [p.trace.gm_gate[0].numpy() for p in (first, second)]
        sections.append((translate(lang, "figure.gm_weight"), [f"E{e + 1}" for e in range(experts)], gm))
    views = first.trace.views
    if len(views) > 1 and experts > 1:
        shares = [np.array(list(p.gm_gate_by_view().values())) for p in (first, second)]
        sections.append((translate(lang, "figure.gm_share"), [photo_short_name(v, lang) for v in views], shares))
    categories = [c for _, labels, _ in sections for c in labels]
    series = [np.concatenate([values[run] for _, _, values in sections]) for run in range(2)]
    figure = Figure(figsize=(1.2 + 0.42 * len(categories), 3.0), dpi=DPI)
    axes = figure.add_subplot()
    _grouped_bars(axes, categories, series, names)
    start = 0
    for section_title, labels, _ in sections:
        if start:
            axes.axvline(start - 0.5, color="grey", linewidth=0.8)
        axes.text(start + (len(labels) - 1) / 2, 1.02, section_title, ha="center", va="bottom", fontsize=8)
        start += len(labels)
    axes.set_xlim(-0.6, len(categories) - 0.4)
    figure.suptitle(title, x=0.01, y=0.98, ha="left", fontsize=10)
    figure.legend(loc="upper right", ncols=2, fontsize=8, frameon=False)
    two_line = any("\n" in category for category in categories)  # "Clin.\nS1": several photo views
    figure.subplots_adjust(left=0.06, right=0.99, top=0.8, bottom=0.17 if two_line else 0.1)
    return figure


def _class_means(per_class: Mapping[str, Mapping[str, Any]], classes: Sequence[str], column: int | None, width: int):
    """(C, width) per-class means from an atlas table; NaN rows for classes without samples."""
    rows = []
    for name in classes:
        mean = per_class.get(name, {}).get("mean")
        if mean is None:
            rows.append(np.full(width, np.nan))
        else:
            rows.append(np.asarray(mean if column is None else [mean[column]], dtype=float))
    return np.vstack(rows)


def _annotated_heatmap(axes: Any, table: np.ndarray, rows: Sequence[str], columns: Sequence[str], title: str) -> Any:
    image = axes.imshow(np.ma.masked_invalid(table), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (row, col), value in np.ndenumerate(table):
        text = "–" if np.isnan(value) else f"{value:.2f}"
        axes.text(col, row, text, ha="center", va="center", fontsize=7, color="white" if value < 0.6 else "black")
    axes.set_xticks(range(len(columns)), columns, fontsize=8)
    axes.set_yticks(range(len(rows)), rows, fontsize=8)
    axes.tick_params(length=0)
    axes.set_title(title, fontsize=9)
    return image


def routing_atlas_figure(atlas: Mapping[str, Any], lang: str = EN) -> Figure:
    """The checkpoint's routing atlas (`routing_atlas.json` of `training.evaluate`): mean GM-Gate weight per
    true class, mean LC-Gate fused-path weight per stage and true class, and expert utilisation."""
    classes = list(atlas["classes"])
    gm = atlas["gm_gate"]
    experts = int(gm["experts"])
    stages = atlas["lc_gate"]["stages"]
    fused = list(atlas["lc_gate"]["paths"]).index("fused")
    panels = 2 + bool(stages)
    figure = Figure(figsize=(3.6 * panels, 3.3), dpi=DPI)
    position = 1
    everyone = translate(lang, "atlas.all")
    gm_table = np.vstack([_class_means(gm["per_true_class"], classes, None, experts), [gm["mean"]]])
    _annotated_heatmap(
        figure.add_subplot(1, panels, position),
        gm_table,
        [*classes, everyone],
        [f"E{e + 1}" for e in range(experts)],
        translate(lang, "atlas.gm_title"),
    )
    if stages:
        position += 1
        lc_table = np.hstack([_class_means(s["per_true_class"], classes, fused, 1) for s in stages])
        lc_table = np.vstack([lc_table, [[s["mean"][fused] for s in stages]]])
        _annotated_heatmap(
            figure.add_subplot(1, panels, position),
            lc_table,
            [*classes, everyone],
            [f"S{s['stage'] + 1}" for s in stages],
            translate(lang, "atlas.lc_title"),
        )
    utilisation = atlas["expert_utilisation"]
    axes = figure.add_subplot(1, panels, position + 1)
    _grouped_bars(
        axes,
        [f"E{e + 1}" for e in range(experts)],
        [np.asarray(utilisation["mean_weight"]), np.asarray(utilisation["top1_share"])],
        (translate(lang, "atlas.mean_weight"), translate(lang, "atlas.top1_share")),
    )
    axes.legend(fontsize=7, loc="upper right")
    axes.set_title(translate(lang, "atlas.utilisation"), fontsize=9)
    figure.suptitle(translate(lang, "atlas.title", count=atlas["num_samples"]), fontsize=10)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.82, bottom=0.1, wspace=0.35)
    return figure


def routing_atlas_summary(atlas: Mapping[str, Any], lang: str = EN) -> str:
    """What the atlas says, in Markdown: where it comes from and how decisive the gates are."""
    entropy = atlas["gate_entropy"]
    gm_entropy = entropy["gm_gate"]
    source = atlas.get("source") or {}
    where = [
        translate(lang, "atlas.split", split=source["split"]) if source.get("split") else "",
        translate(lang, "atlas.fold", fold=source["fold"]) if source.get("fold") is not None else "",
        str(source.get("dataset") or ""),
    ]
    where_text = ", ".join(part for part in where if part)
    count = atlas["num_samples"]
    computed = translate(lang, "atlas.computed_where", count=count, where=where_text) if where_text else ""
    lines = [computed or translate(lang, "atlas.computed", count=count)]
    if gm_entropy["max"] > 0:
        lines.append(translate(lang, "atlas.gm_entropy", **{k: gm_entropy[k] for k in ("mean", "std", "max")}))
    lc_entropy = entropy["lc_gate"]
    if lc_entropy["mean"]:
        per_stage = ", ".join(f"{value:.2f}" for value in lc_entropy["mean"])
        lines.append(translate(lang, "atlas.lc_entropy", per_stage=per_stage, max=lc_entropy["max"]))
    top = np.asarray(atlas["expert_utilisation"]["top1_share"])
    lines.append(translate(lang, "atlas.top_expert", expert=int(top.argmax()) + 1, share=f"{top.max():.0%}"))
    paragraphs = [" ".join(lines), _expert_specialisation(atlas, lang)]
    if atlas["lc_gate"]["stages"]:
        paragraphs.append(_clinical_steering(atlas, lang))
    return "\n\n".join(paragraphs)


def _expert_specialisation(atlas: Mapping[str, Any], lang: str) -> str:
    """Which classes each expert leads: the classes whose mean GM-Gate weight is largest on that expert."""
    classes = list(atlas["classes"])
    experts = int(atlas["gm_gate"]["experts"])
    means = _class_means(atlas["gm_gate"]["per_true_class"], classes, None, experts)  # (C, E)
    led: dict[int, list[str]] = {expert: [] for expert in range(experts)}
    for name, row in zip(classes, means, strict=True):
        if not np.isnan(row).any():
            led[int(row.argmax())].append(f"{name} ({row.max():.2f})")
    parts = [
        translate(lang, "atlas.leads", expert=expert_name(expert, lang), classes=", ".join(names))
        if names
        else translate(lang, "atlas.leads_none", expert=expert_name(expert, lang))
        for expert, names in led.items()
    ]
    return translate(lang, "atlas.specialisation", parts="; ".join(parts))


def _fused_weight_by_class(stage: Mapping[str, Any], classes: Sequence[str], fused: int) -> np.ndarray:
    """(C,) mean fused-path LC-Gate weight per true class at one stage; NaN for classes without samples."""
    return _class_means(stage["per_true_class"], classes, fused, 1)[:, 0]


def _clinical_steering(atlas: Mapping[str, Any], lang: str) -> str:
    """The stage whose LC-Gate gives the fused (image + clinical) path the most weight, how that weight differs
    between classes there, and its spread across classes at every stage."""
    classes = list(atlas["classes"])
    stages = atlas["lc_gate"]["stages"]
    fused = list(atlas["lc_gate"]["paths"]).index("fused")
    steering = max(stages, key=lambda stage: stage["mean"][fused])
    per_class = _fused_weight_by_class(steering, classes, fused)
    low, high = int(np.nanargmin(per_class)), int(np.nanargmax(per_class))
    spreads = []
    for stage in stages:
        by_class = _fused_weight_by_class(stage, classes, fused)
        spreads.append(f"{stage_name(stage['stage'], lang)} {np.ptp(by_class[~np.isnan(by_class)]):.2f}")
    return translate(
        lang,
        "atlas.steering",
        stage=stage_name(steering["stage"], lang).lower(),
        weight=steering["mean"][fused],
        low=per_class[low],
        low_class=classes[low],
        high=per_class[high],
        high_class=classes[high],
        spreads=", ".join(spreads),
    )
