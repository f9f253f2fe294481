"""The "cases routed like this one" view: the nearest held-out cases of the checkpoint's similar-case index, shown
under the routing views of Diagnose and in the Teaching tab.

Diagnose puts the current case's signature (its routing and fused features, from its own forward pass) into the
hidden `SIMILAR_QUERY` view; each section searches the index when that value or its switch changes, in its own
small request, so the first paint of a diagnosis never waits for the search.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
from gradio.data_classes import FileData

from mhdf.app.i18n import localize, markdown
from mhdf.app.texts import EN, Text, neighbour_caption, one_photo_only, similar_summary, translate
from mhdf.app.views import SIMILAR_QUERY
from mhdf.inference.similar import SIMILARITY, CaseSignature, SimilarCases

CARD_STYLE = (
    "display:flex;flex-wrap:wrap;gap:12px;margin-top:8px",
    "width:150px;font-size:0.85em;line-height:1.3",
    "width:96px;height:96px;object-fit:cover;border-radius:4px;display:block",
)


def signature_from_view(value: Any) -> CaseSignature:
    """The `SIMILAR_QUERY` value back as a CaseSignature; ValueError for anything else (a client may send it)."""
    if not isinstance(value, Mapping) or set(value) != set(SIMILARITY):
        raise ValueError("the similar-case query must be {'routing': [...], 'features': [...]}")
    try:
        parts = {name: np.asarray(value[name], dtype=np.float64) for name in SIMILARITY}
    except (TypeError, ValueError):
        raise ValueError("the similar-case query must hold lists of numbers") from None
    if any(part.ndim != 1 or not np.isfinite(part).all() for part in parts.values()):
        raise ValueError("the similar-case query must hold flat lists of finite numbers")
    return CaseSignature(**parts)


def similar_cases_html(result: SimilarCases, lang: str = EN) -> str:
    """The summary line and one card per neighbour: thumbnail, true class, prediction, GM-Gate weights, distance."""
    row, card, image = CARD_STYLE
    cards = []
    for n in result.neighbours:
        thumbnail = ""
        if n.thumbnail:
            data = base64.b64encode(n.thumbnail).decode("ascii")
            thumbnail = f'<img src="data:image/jpeg;base64,{data}" alt="{html.escape(n.case)}" style="{image}">'
        caption = "<br>".join(
            html.escape(line) for line in neighbour_caption(n.true_class, n.prediction, n.distance, n.gm_gate, lang)
        )
        cards.append(
            f'<figure class="similar-case" data-case="{html.escape(n.case)}" style="{card};margin:0">{thumbnail}'
            f"<figcaption><b>{html.escape(n.case)}</b><br>{caption}"
            "</figcaption></figure>"
        )
    summary = f'<p class="similar-summary"><b>{html.escape(similar_summary(result, lang))}</b></p>'
    return f'{summary}<div style="{row}">{"".join(cards)}</div>'


def placeholder_html(lang: str = EN) -> str:
    """What the view says before a case is diagnosed, as HTML (the view is HTML: Markdown marks would show raw)."""
    return f'<p class="similar-placeholder"><em>{html.escape(translate(lang, "similar.placeholder"))}</em></p>'


def similar_document(result: SimilarCases, folder: Path) -> dict[str, Any]:
    """The JSON of `/similar`. Each thumbnail is written into `folder` (a fresh folder in Gradio's upload cache,
    deleted with the uploads) and returned as a Gradio file, which gradio_client downloads and any HTTP client gets
    from `/gradio_api/file=<path>`; None for a case without a photo."""
    neighbours = []
    for rank, n in enumerate(result.neighbours, start=1):
        thumbnail = None
        if n.thumbnail:
            path = folder / f"{rank}-{Path(n.case).stem}.jpg"
            path.write_bytes(n.thumbnail)
            file = FileData(path=str(path), orig_name=path.name, mime_type="image/jpeg", size=len(n.thumbnail))
            thumbnail = file.model_dump() | {"url": f"/gradio_api/file={path}"}
        neighbours.append(
            {
                "case": n.case,
                "true_class": n.true_class,
                "prediction": n.prediction,
                "distance": n.distance,
                "gm_gate": n.gm_gate,
                "thumbnail": thumbnail,
            }
        )
    return {"by": result.by, "neighbours": neighbours}


def similar_cases_section(session: Any, handlers: SimpleNamespace, views: dict[str, Any], place: str) -> None:
    """The view in one tab (`place`: "diagnose" or "teaching", which names its elements): title, the switch between
    routing signature and fused features, and the neighbours, searched anew whenever the current case or the
    switch changes. The first section also places the hidden query view."""
    query = views[SIMILAR_QUERY]
    if not query.is_rendered:
        query.render()
    markdown(lambda lang: f"{translate(lang, 'similar.title')}\n{translate(lang, 'similar.intro')}")
    if session.photo_views:  # the index holds the routing signatures of one-photo cases
        markdown(lambda lang: one_photo_only(session.photo_views, lang), elem_id=f"similar-one-photo-{place}")
        return
    if session.similar_index is None:
        markdown(Text("similar.missing"), elem_id=f"similar-missing-{place}")
        return
    choices = [(Text(f"similar.by.{name}"), name) for name in SIMILARITY]
    by = gr.Radio(choices, value=SIMILARITY[0], label=Text("similar.by"), elem_id=f"similar-by-{place}")
    # Empty until a case is diagnosed; meanwhile the template shows the placeholder, a prop of its own, so that the
    # page's language relabels it without touching neighbours already shown.
    neighbours = gr.HTML(
        "", html_template="${value || placeholder}", placeholder=placeholder_html(EN), elem_id=f"similar-cases-{place}"
    )
    localize(neighbours, placeholder=placeholder_html)
    # no model runs here: a query is a few milliseconds of NumPy, so it never queues behind a diagnosis
    gr.on(
        [query.change, by.change],
        handlers.similar_view,
        [query, by],
        neighbours,
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )
