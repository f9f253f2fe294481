"""The Teaching tab: the routing explained, the case narrative, subgroup results, the routing atlas, routing
interventions, the two-case comparison and, for a checkpoint with several photo views, "drop this photo". `app.py`
calls `teaching_tab` inside its tab.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

import gradio as gr

from mhdf.app.components import intervention_controls
from mhdf.app.figures import routing_atlas_figure, routing_atlas_summary
from mhdf.app.i18n import localize, markdown
from mhdf.app.session import DemoSession
from mhdf.app.similar import similar_cases_section
from mhdf.app.texts import CURRENT_CASE, Text, photo_label, routing_explained, subgroup_table
from mhdf.app.views import localized_case_choices


def side_by_side(button: Text, labels: tuple[Text, Text], plot: Text, ids: tuple[str, ...]) -> list[Any]:
    """A button and two runs side by side; returns [button, first label, second label, plot, summary]."""
    run = localize(gr.Button(button, variant="primary", elem_id=ids[0]), value=button)
    text = gr.Markdown(elem_id=ids[1])
    with gr.Row():
        first = gr.Label(label=labels[0], elem_id=ids[2])
        second = gr.Label(label=labels[1], elem_id=ids[3])
    return [run, first, second, gr.Plot(label=plot, elem_id=ids[4]), text]


def drop_photo_section(session: DemoSession, handlers: SimpleNamespace, photos: list, form: list) -> None:
    """ "Drop this photo": the current case of a multi-view checkpoint as given and with one photo marked missing,
    side by side (probabilities, the routing figure and a summary)."""
    with gr.Accordion(Text("teaching.section.drop_photo"), open=False, elem_id="drop-photo-section"):
        markdown(Text("drop.heading"))
        choices = [(photo_label(view), view) for view in session.photo_views]
        view = gr.Radio(choices, value=session.photo_views[0], label=Text("drop.choose"), elem_id="drop-photo-view")
        run, *dropped = side_by_side(
            Text("button.drop"),
            (Text("run.as_given"), Text("run.dropped")),
            Text("drop.plot"),
            ("run-drop-photo", "drop-photo-summary", "drop-photo-given", "drop-photo-without", "drop-photo-plot"),
        )
    run.click(handlers.drop_photo, [view, *photos, *form], dropped, api_name="drop_photo", preprocess=False)


def teaching_tab(
    session: DemoSession, handlers: SimpleNamespace, views: dict[str, Any], photos: list, form: list
) -> None:
    """A "start here" pointing to the lesson, then collapsible sections: the routing explained with this case's
    narrative, the subgroups, the cases routed like this one, the atlas, routing interventions, the two-case
    comparison and, for a multi-view checkpoint, "drop this photo". `photos`: the Diagnose tab's photo inputs."""
    markdown(Text("teaching.start_here"), elem_id="teaching-start")
    with gr.Accordion(Text("teaching.section.explained"), open=False):
        markdown(routing_explained)
        views["narrative"].render()
    with gr.Accordion(Text("teaching.section.subgroups"), open=False):
        markdown(lambda lang: subgroup_table(session.predictor.card, lang), elem_id="subgroups")
    with gr.Accordion(Text("teaching.section.similar"), open=False, elem_id="similar-section"):
        similar_cases_section(session, handlers, views, "teaching")
    with gr.Accordion(Text("teaching.section.atlas"), open=False):
        if session.atlas is not None:
            atlas = gr.Plot(label=Text("atlas.label"), elem_id="routing-atlas")
            # The page shows the visitor's language on load and on every switch. Each language's figure is drawn
            # and encoded the first time a page asks for it, then kept: not at startup, not in the page's config
            # (26 KB of image that every new client would download), not again for every page load.
            localize(atlas, value=cache(lambda lang: atlas.postprocess(routing_atlas_figure(session.atlas, lang))))
            markdown(lambda lang: routing_atlas_summary(session.atlas, lang))
        else:
            markdown(Text("atlas.missing"))
    with gr.Accordion(Text("teaching.section.interventions"), open=False, elem_id="interventions-section"):
        markdown(Text("interventions.heading"))
        controls = intervention_controls(session.predictor.config)
        run, *intervention = side_by_side(
            Text("button.intervene"),
            (Text("run.unmodified"), Text("run.intervened")),
            Text("intervention.plot"),
            ("run-intervention", "intervention-summary", "intervention-baseline", "intervention-result",
             "intervention-plot"),
        )  # fmt: skip
    run.click(handlers.intervene, [*photos, *controls, *form], intervention, api_name="intervene", preprocess=False)
    with gr.Accordion(Text("teaching.section.compare"), open=False):
        choices = localized_case_choices(session.examples)
        with gr.Row():
            case_a = gr.Dropdown(choices, value=CURRENT_CASE, label=Text("case_a"), elem_id="case-a")
            second = choices[min(1, len(choices) - 1)][1]
            case_b = gr.Dropdown(choices, value=second, label=Text("case_b"), elem_id="case-b")
        compare, *comparison = side_by_side(
            Text("button.compare"),
            (Text("case_a"), Text("case_b")),
            Text("comparison.plot"),
            ("compare", "comparison-summary", "case-a-probabilities", "case-b-probabilities", "comparison-plot"),
        )
    compare.click(handlers.compare, [case_a, case_b, *photos, *form], comparison, api_name="compare", preprocess=False)
    if session.photo_views:
        drop_photo_section(session, handlers, photos, form)
