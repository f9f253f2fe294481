"""Text alternatives for the Diagnose tab's figures: one short sentence per figure that says what it shows for this
case, computed from the same numbers the figure draws (WCAG 1.1.1). Shown under the figures, where a screen reader
reads them and anyone may check a colour against a number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mhdf.app.figures import expert_name, stage_name
from mhdf.app.texts import EN, class_name, translate
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
    gradcam: np.ndarray | None,
    schema: MetadataSchema,
    lang: str = EN,
) -> str:
    """Markdown: one line per figure of `views` (the frames `progressive_diagnosis` computed) for this case."""
    trace = prediction.trace
    lc = trace.lc_gate[0].numpy()  # (S, 2)
    fused = LC_PATHS.index("fused")
    stages = [f"{stage_name(s, lang)} {_percent(lc[s, fused])}" for s in range(lc.shape[0])]
    lines = [translate(lang, "alt.lc_gate", stages="; ".join(stages))]
    gm = trace.gm_gate[0].numpy()
    top_expert = int(gm.argmax())
    lines.append(translate(lang, "alt.gm_gate", expert=expert_name(top_expert, lang), weight=_percent(gm[top_expert])))
    for s in range(lc.shape[0]):
        frame = views.get(f"tkca_fields_{s + 1}")
        if frame is not None and len(frame):
            top = frame.loc[frame["weight"].idxmax()]
            lines.append(
                translate(
                    lang, "alt.tkca", stage=stage_name(s, lang), field=top["field"], weight=_percent(top["weight"])
                )
            )
    top_class = int(prediction.probabilities.argmax())
    name = class_name(schema, prediction.classes[top_class], lang)
    if gradcam is not None:
        lines.append(translate(lang, "alt.gradcam", name=name, region=cam_region(gradcam, lang)))
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
