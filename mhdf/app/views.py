"""What the demo app shows, computed without a server: every view of a diagnosis by name, the routing
interventions a teacher sets with widgets and the two-case comparison (their words come from `mhdf.app.texts`).

`app.py` only lays out components named like the views here and wires events to `DemoSession`'s methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mhdf.app.alt_text import figure_descriptions
from mhdf.app.figures import (
    FIELD_ATTENTION_COLUMNS,
    FIELD_IMPORTANCE_COLUMNS,
    GM_BY_VIEW_COLUMNS,
    GM_GATE_COLUMNS,
    LC_GATE_COLUMNS,
    attention_overlay,
    expert_contribution_table,
    field_attention_frame,
    field_importance_frame,
    gm_gate_by_view_frame,
    gm_gate_frame,
    gradcam_overlay,
    lc_gate_frame,
    probability_label,
    routing_comparison_figure,
)
from mhdf.app.texts import (
    CURRENT_CASE,
    EN,
    Text,
    comparison_summary,
    diagnosis_status,
    drop_photo_summary,
    gm_gate_by_view_table,
    importance_status,
    intervention_summary,
    narrate,
    ood_warning,
    photo_notices,
    photo_view_name,
    prediction_set_text,
    result_note,
    translate,
)
from mhdf.app.view_keys import GM_BY_VIEW, SIMILAR_QUERY, by_photo, photo_keys, stage_view, view_names
from mhdf.config import MHDFConfig
from mhdf.inference import Prediction, Predictor
from mhdf.inference.checkpoint import ExampleCase
from mhdf.inference.explain import (
    Diagnosis,
    compare_cases,
    field_importance,
    grad_cam,
    intervene,
    model_view,
    routing_difference,
    run_case,
    without_metadata,
    without_photo,
)
from mhdf.inference.images import ImageSource
from mhdf.routing import LC_PATHS, RoutingOverrides


def photo_views(predictor: Predictor) -> list[str]:
    """The photo views whose routing the app shows one by one: a multi-view checkpoint's; none for the paper's one
    photo (or none at all), whose views keep their names."""
    return list(predictor.views) if predictor.config.multi_view else []


def prediction_views(
    predictor: Predictor, prediction: Prediction, seen: Sequence[np.ndarray | None] | None, lang: str = EN
) -> dict[str, Any]:
    """The views one forward pass gives: the probabilities, the trust texts, every routing view and the case's
    similar-case signature. `seen`: each photo view as the model saw it (None: not given; `seen` None: no photo).
    A photo the case lacks keeps its cleared views and gets a line saying so instead."""
    photos = photo_views(predictor)
    views: dict[str, Any] = {
        "scope_notice": photo_notices(prediction, lang),
        "note": result_note(predictor, prediction.prediction, lang),
        "ood_warning": ood_warning(prediction, lang),
        "probabilities": probability_label(prediction, predictor.schema, lang),
        "prediction_set": prediction_set_text(prediction, lang),
        "gm_gate": gm_gate_frame(prediction, lang),
        "contributions": expert_contribution_table(prediction, lang),
    }
    if photos:  # no similar-case signature: the index reads the routing of one photo
        plot, table = GM_BY_VIEW
        views[plot], views[table] = gm_gate_by_view_frame(prediction, lang), gm_gate_by_view_table(prediction, lang)
    else:
        views[SIMILAR_QUERY] = prediction.case_signature().to_dict()
    stages = predictor.config.num_fused_stages
    keys = photo_keys(photos)
    for index, (photo, view) in enumerate(zip(keys, seen or [None] * len(keys), strict=True)):
        if photo is not None and not prediction.photos[photo]:
            missing = photo_view_name(photo, lang, in_sentence=True)
            views[by_photo("photo_status", photo)] = translate(lang, "photo.view_missing", photo=missing)
            continue
        views[by_photo("lc_gate", photo)] = lc_gate_frame(prediction, lang, index)
        for s in range(stages):
            block = index * stages + s
            overlay = attention_overlay(view, prediction, block) if view is not None else None
            views[stage_view("image", s, photo)] = overlay
            views[stage_view("fields", s, photo)] = field_attention_frame(prediction, block, predictor.schema, lang)
    return views


def progressive_diagnosis(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], lang: str = EN
) -> Iterator[dict[str, Any]]:
    """Every view of a diagnosis by name (`view_names`), yielded as it becomes ready, each yield complete (views
    not ready yet are empty and `status` names them):

    1. one forward pass: the probabilities, the prediction set, the out-of-distribution warning and every routing
       view (LC-Gate, GM-Gate, expert -> class contributions, TKCA);
    2. Grad-CAM, from that same pass (only the head lies between the logits and the last stage map);
    3. the modality comparison (one more pass, every field unknown) and the narrative.

    Field importance is left to `field_importance_views`, on request. Raises ValueError naming a bad input."""
    run = run_case(predictor, image, record)
    seen = [model_view(predictor, pixels) if pixels is not None else None for pixels in run.photos()]
    photos = photo_views(predictor)
    views = cleared_views(predictor.config.num_fused_stages, lang, photos)
    views |= prediction_views(predictor, run.prediction, seen, lang)
    any_photo = any(view is not None for view in seen)
    views["status"] = diagnosis_status(["gradcam", "modality"] if any_photo else ["modality"], lang)
    gradcams: list[np.ndarray | None] = [None] * len(seen)
    views["figure_text"] = figure_descriptions(run.prediction, None, views, gradcams, predictor.schema, lang)
    yield dict(views)
    if any_photo:
        predicted = int(run.prediction.probabilities.argmax())
        gradcams = [grad_cam(run, predicted, i) if view is not None else None for i, view in enumerate(seen)]
        for photo, view, cam in zip(photo_keys(photos), seen, gradcams, strict=True):
            if cam is not None:
                views[by_photo("gradcam", photo)] = gradcam_overlay(view, cam)
        views["status"] = diagnosis_status(["modality"], lang)
        yield dict(views)
    unknown = without_metadata(predictor, run)
    names = (translate(lang, "figure.with_metadata"), translate(lang, "figure.without_metadata"))
    title = translate(lang, "figure.modality_title")
    views["modality"] = routing_comparison_figure(run.prediction, unknown, names, title, lang)
    first = next((i for i, view in enumerate(seen) if view is not None), 0)
    diagnosis = Diagnosis(run.prediction, unknown, None, seen[first], gradcams[first])
    views["narrative"] = narrate(diagnosis, predictor.schema, lang)
    views["figure_text"] = figure_descriptions(run.prediction, unknown, views, gradcams, predictor.schema, lang)
    views["status"] = diagnosis_status([], lang)
    yield dict(views)


def diagnose_case(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], lang: str = EN
) -> dict[str, Any]:
    """All views of `progressive_diagnosis` once every one is ready."""
    *_, views = progressive_diagnosis(predictor, image, record, lang)
    return views


def field_importance_views(
    predictor: Predictor, image: ImageSource | None, record: Mapping[str, Any], lang: str = EN
) -> Iterator[tuple[pd.DataFrame, str]]:
    """Field importance on request: (bar-plot frame, status) after every batch of record variants."""
    run = run_case(predictor, image, record)
    filled = sum(value is not None for value in run.record.values())
    if not filled:
        yield field_importance_frame([]), importance_status(0, 0, lang)
        return
    for done in field_importance(predictor, run):
        frame = field_importance_frame(done, predictor.schema, run.prediction.record, lang)
        yield frame, importance_status(len(done), filled, lang)


def cleared_field_importance(lang: str = EN) -> tuple[pd.DataFrame, str]:
    """The field-importance plot and status before it is asked for (a new case, or Clear)."""
    return pd.DataFrame(columns=list(FIELD_IMPORTANCE_COLUMNS)), translate(lang, "importance.on_request")


def cleared_views(num_stages: int, lang: str = EN, photos: Sequence[str] = ()) -> dict[str, Any]:
    """The value of each view after Clear (`photos`: a multi-view checkpoint's photo views): bar plots get an empty
    frame with their columns (a plot set to None cannot be torn down by Gradio's frontend), the narrative its
    placeholder, texts empty, everything else None."""
    views: dict[str, Any] = dict.fromkeys(view_names(num_stages, photos))
    for photo in photo_keys(photos):
        views[by_photo("lc_gate", photo)] = pd.DataFrame(columns=list(LC_GATE_COLUMNS))
        for s in range(num_stages):
            views[stage_view("fields", s, photo)] = pd.DataFrame(columns=list(FIELD_ATTENTION_COLUMNS))
    views |= {"gm_gate": pd.DataFrame(columns=list(GM_GATE_COLUMNS))}
    views["narrative"] = translate(lang, "narrative.placeholder")
    texts = ["scope_notice", "status", "ood_warning", "prediction_set", "contributions", "figure_text"]
    if photos:
        views[GM_BY_VIEW[0]] = pd.DataFrame(columns=list(GM_BY_VIEW_COLUMNS))
        texts += [GM_BY_VIEW[1], *(by_photo("photo_status", photo) for photo in photos)]
    for text in texts:
        views[text] = ""
    return views


def overrides_from_controls(
    config: MHDFConfig,
    disabled: Sequence[int] | None,
    forced: int | None,
    temperature: float,
    hard: bool,
    lc_paths: Sequence[str],
) -> RoutingOverrides:
    """The teaching tab's widgets -> RoutingOverrides. A value equal to the checkpoint's own setting is no
    intervention (None), so the summary names only real interventions; `forced` -1 or empty means none;
    `lc_paths` holds one choice per fused stage, `MODEL_CHOICE` leaving that gate alone."""
    return RoutingOverrides(
        gm_temperature=None if float(temperature) == config.gate_temperature else float(temperature),
        gm_hard=None if bool(hard) == config.hard_gate else bool(hard),
        gm_disabled_experts=tuple(int(e) for e in disabled or ()),
        gm_forced_expert=None if forced in (None, "", -1) else int(forced),
        lc_forced_paths={stage: path for stage, path in enumerate(lc_paths) if path in LC_PATHS},
    )


@dataclass
class SideBySide:
    """Two runs as the teaching tab shows them: a probability label each, a routing figure and a summary."""

    first: dict[str, float]
    second: dict[str, float]
    figure: Any  # matplotlib Figure
    summary: str  # Markdown


def intervention_view(
    predictor: Predictor,
    image: ImageSource | None,
    record: Mapping[str, Any],
    overrides: RoutingOverrides,
    lang: str = EN,
) -> SideBySide:
    """Run a case unmodified and with `overrides`. Raises ValueError naming a problem."""
    result = intervene(predictor, image, record, overrides)
    moved = routing_difference(result.baseline, result.intervened).probabilities
    summary = intervention_summary(overrides, result.baseline, result.intervened, moved, lang)
    names = (translate(lang, "figure.unmodified"), translate(lang, "figure.intervened"))
    title = translate(lang, "figure.intervention_title")
    figure = routing_comparison_figure(result.baseline, result.intervened, names, title, lang)
    labels = [probability_label(run, predictor.schema, lang) for run in (result.baseline, result.intervened)]
    return SideBySide(*labels, figure, summary)


def comparison_view(
    predictor: Predictor, cases: Sequence[tuple[ImageSource | None, Mapping[str, Any]]], lang: str = EN
) -> SideBySide:
    """Two (photo, record) cases side by side. Raises ValueError naming a problem."""
    first, second = compare_cases(predictor, cases)
    names = (translate(lang, "figure.case_a"), translate(lang, "figure.case_b"))
    figure = routing_comparison_figure(first, second, names, translate(lang, "comparison.plot"), lang)
    labels = [probability_label(run, predictor.schema, lang) for run in (first, second)]
    return SideBySide(*labels, figure, comparison_summary(first, second, lang))


def drop_photo_view(
    predictor: Predictor, photos: Mapping[str, ImageSource | None], record: Mapping[str, Any], view: str, lang: str = EN
) -> SideBySide:
    """A multi-view case as given and without the photo of `view`, side by side ("drop this photo"). Raises
    ValueError, in `lang`, when the case lacks that photo or has no other; naming an unknown view or a bad input."""
    if view in photos and photos[view] is None:
        raise ValueError(translate(lang, "drop.not_given", photo=photo_view_name(view, lang, True)))
    if view in photos and all(photo is None for name, photo in photos.items() if name != view):
        raise ValueError(translate(lang, "drop.last_photo", photo=photo_view_name(view, lang, True)))
    given, without = without_photo(predictor, photos, record, view)
    dropped = translate(lang, "figure.dropped", photo=photo_view_name(view, lang, True))
    title = translate(lang, "drop.title", photo=photo_view_name(view, lang, True))
    figure = routing_comparison_figure(given, without, (translate(lang, "figure.as_given"), dropped), title, lang)
    labels = [probability_label(run, predictor.schema, lang) for run in (given, without)]
    return SideBySide(*labels, figure, drop_photo_summary(view, given, without, lang))


def case_choices(examples: Sequence[ExampleCase]) -> list[str]:
    """What the comparison dropdowns offer: the current case, then every example by title."""
    return [CURRENT_CASE, *(example.title for example in examples)]


def example_title(example: ExampleCase) -> Text:
    """How an example case is listed, in the visitor's language: "bcc_1 (classe verdadeira BCC)"."""
    return (
        Text("example.title", name=example.name, label=example.label)
        if example.label
        else Text("raw", text=example.name)
    )


def localized_case_choices(examples: Sequence[ExampleCase]) -> list[tuple[Text, str]]:
    """`case_choices` as (text shown in the visitor's language, value) pairs."""
    return [(Text("current_case"), CURRENT_CASE), *((example_title(e), e.title) for e in examples)]


def find_example(examples: Sequence[ExampleCase], *, name: str | None = None, title: str | None = None) -> ExampleCase:
    """The example case with this name or title; ValueError for anything else (the value may come from a client)."""
    for example in examples:
        if example.name == name or example.title == title:
            return example
    raise ValueError("unknown case: choose the current case or one of the example cases")
