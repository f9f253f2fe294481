"""The names of a diagnosis's views: the keys `mhdf.app.views` computes them under, `mhdf.app.components` creates an
output component for, and `app.py` places. A checkpoint with several photo views has the per-photo ones (LC-Gate,
TKCA, Grad-CAM) once per photo.
"""

from __future__ import annotations

from collections.abc import Sequence

SIMILAR_QUERY = "similar_query"  # the current case's signature, which the similar-case sections search with
# views only a multi-view checkpoint has: how much each photo steered the GM-Gate, as a plot and as a table in words
GM_BY_VIEW = ("gm_gate_by_view", "gm_gate_by_view_table")


def photo_keys(photos: Sequence[str]) -> list[str | None]:
    """The photos a diagnosis shows routing views of: the photo views of a multi-view checkpoint, or [None] for
    the paper's one photo, whose views keep their plain names."""
    return list(photos) or [None]


def by_photo(name: str, photo: str | None) -> str:
    """The name of one photo's view: `name` itself for the paper's one photo (None), "name_view" per photo view."""
    return name if photo is None else f"{name}_{photo}"


def stage_view(kind: str, stage: int, photo: str | None = None) -> str:
    """The name of one stage's view, `kind` "image" or "fields": `stage` counts from 0 as the model does, the
    name from 1 as every label does ("tkca_image_1" is Stage 1; "tkca_image_clinical_1" that of the clinical
    photo)."""
    return f"{by_photo(f'tkca_{kind}', photo)}_{stage + 1}"


def view_names(num_stages: int, photos: Sequence[str] = ()) -> list[str]:
    """The views of one diagnosis, in a fixed order: the names `progressive_diagnosis` yields. `photos`: the photo
    views of a multi-view checkpoint (empty for one photo, whose names and order never change)."""
    stages = range(num_stages)
    keys = photo_keys(photos)
    per_photo = [*(by_photo("photo_status", photo) for photo in photos), *(GM_BY_VIEW if photos else ())]
    return [
        "scope_notice", "status", "note", "ood_warning", "probabilities", "prediction_set",
        *(by_photo("lc_gate", photo) for photo in keys), "gm_gate", "contributions",
        *(stage_view("image", s, photo) for photo in keys for s in stages),
        *(stage_view("fields", s, photo) for photo in keys for s in stages),
        *(by_photo("gradcam", photo) for photo in keys), "modality", "narrative", "figure_text", SIMILAR_QUERY,
        *per_photo,
    ]  # fmt: skip
