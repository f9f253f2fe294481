"""Text alternatives for the Diagnose tab's figures: one short sentence per figure that says what it shows for this
case, computed from the same numbers the figure draws (WCAG 1.1.1). Shown under the figures, where a screen reader
reads them and anyone may check a colour against a number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mhdf.app.figures import expert_name, stage_name
from mhdf.app.texts import EN, class_name, photo_view_name, translate
from mhdf.app.view_keys import stage_view
from mhdf.inference import Prediction
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS

ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "centre", "right")


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def cam_region(cam: np.ndarray, lang: str = EN) -> str:
    """Where a (S, S) map is strongest, in words: the third of the photo (top/middle/bottom, left/centre/right)."""
    row, col = np.unravel_index(int(np.argmax(cam)), cam.shape)
    third = (3 * row // cam.shape[0], 3 * col // cam.shape[1])
    return translate(lang, f"alt.region.{ROWS[third[0]]}_{COLUMNS[third[1]]}")


def figure_descriptions(
    prediction: Prediction,
    without_metadata: Prediction | None,
    views: Mapping[str, Any],
    gradcams: Sequence[np.ndarray | None],
    schema: MetadataSchema,
    lang: str = EN,
) -> str:
    """Markdown: one line per figure of `views` (the frames `progressive_diagnosis` computed) for this case;
    `gradcams`: the Grad-CAM map of each photo view (one for the paper's model), None where not computed. A case of a
    multi-view checkpoint gets the LC-Gate, TKCA and Grad-CAM lines of each photo, and the GM-Gate's steering per
    photo."""
    trace = prediction.trace
    multi_view = len(trace.views) > 1
    photos = list(prediction.photos.items()) if multi_view else [(None, True)]
    lc = trace.lc_gate[0].numpy()  # (V * S, 2)
    stages = lc.shape[0] // len(photos)
    fused = LC_PATHS.index("fused")
    lines = []
    for index, (view, given) in enumerate(photos):
        per_stage = "; ".join(f"{stage_name(s, lang)} {_percent(lc[index * stages + s, fused])}" for s in range(stages))
        if view is None:
            lines.append(translate(lang, "alt.lc_gate", stages=per_stage))
            continue
        name = photo_view_name(view, lang, in_sentence=True)
        if given:
            lines.append(translate(lang, "alt.lc_gate_photo", photo=name, stages=per_stage))
        else:
            lines.append(translate(lang, "alt.photo_missing", photo=name))
    gm = trace.gm_gate[0].numpy()
    top_expert = int(gm.argmax())
    lines.append(translate(lang, "alt.gm_gate", expert=expert_name(top_expert, lang), weight=_percent(gm[top_expert])))
    if multi_view and (shares := prediction.gm_gate_by_view()) is not None:
        steered = ", ".join(f"{photo_view_name(view, lang, True)} {_percent(share)}" for view, share in shares.items())
        lines.append(translate(lang, "alt.gm_gate_by_view", shares=steered))
    for view, _ in photos:
        lines += _tkca_lines(views, view, stages, lang)
    top_class = int(prediction.probabilities.argmax())
    name = class_name(schema, prediction.classes[top_class], lang)
    for (view, _), gradcam in zip(photos, gradcams, strict=True):
        if gradcam is None:
            continue
        region = cam_region(gradcam, lang)
        if view is None:
            lines.append(translate(lang, "alt.gradcam", name=name, region=region))
        else:
            lines.append(
                translate(lang, "alt.gradcam_photo", photo=photo_view_name(view, lang, True), name=name, region=region)
            )
    if without_metadata is not None:
        lines.append(
            translate(
                lang,
                "alt.modality",
                name=name,
                entered=_percent(prediction.probabilities[top_class]),
                unknown=_percent(without_metadata.probabilities[top_class]),
            )
        )
    return f"**{translate(lang, 'alt.heading')}**\n\n" + "\n".join(f"- {line}" for line in lines)


def _tkca_lines(views: Mapping[str, Any], view: str | None, stages: int, lang: str) -> list[str]:
    """The field each stage's image tokens attended to most, for one photo view (None: the paper's one photo)."""
    lines = []
    for s in range(stages):
        frame = views.get(stage_view("fields", s, view))
        if frame is not None and len(frame):
            top = frame.loc[frame["weight"].idxmax()]
            stage = stage_name(s, lang) if view is None else f"{photo_view_name(view, lang)}, {stage_name(s, lang)}"
            lines.append(translate(lang, "alt.tkca", stage=stage, field=top["field"], weight=_percent(top["weight"])))
    return lines
