"""The Diagnose tab's inputs: the example cases first (the quickest way to see what the demo does), then the photo
(a multi-view checkpoint: one per photo view), the clinical form and the buttons. `app.py` places them with
`diagnose_inputs`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from mhdf.app.components import clinical_form
from mhdf.app.form import form_from_record
from mhdf.app.i18n import localize
from mhdf.app.session import DemoSession
from mhdf.app.texts import Text, in_language, photo_label
from mhdf.app.views import example_title
from mhdf.inference.checkpoint import ExampleCase


def example_photos(session: DemoSession, example: ExampleCase) -> list[str | None]:
    """An example's photo files as the photo inputs show them: one, or one per photo view (None: it lacks one)."""
    if not session.photo_views:
        return [str(example.image)]
    return [str(example.image[view]) if view in example.image else None for view in session.photo_views]


def example_cases(session: DemoSession, handlers: SimpleNamespace, inputs: list, outputs: list) -> None:
    """The checkpoint's example cases as buttons; one click loads a case into `inputs` (the photo(s) and the form)
    and diagnoses it. The handler reads the case by name from the checkpoint, never a path the browser sends."""
    if not session.examples:
        return
    example_name = gr.Textbox(visible=False)
    titles = [example_title(e) for e in session.examples]
    examples = gr.Examples(
        examples=[
            [e.name, *example_photos(session, e), *form_from_record(session.schema, e.metadata)]
            for e in session.examples
        ],
        inputs=[example_name, *inputs],
        outputs=outputs,
        fn=handlers.diagnose_example,
        cache_examples=False,  # the session keeps each example's views per language instead
        run_on_click=True,
        preprocess=False,
        example_labels=titles,
        label=Text("examples.label"),
        elem_id="examples",
    )
    # the buttons' words are a plain list to Gradio: relabelled with the page like every other component
    localize(examples.dataset, sample_labels=lambda lang: [in_language(title, lang) for title in titles])


def photo_inputs(session: DemoSession) -> list[gr.Image]:
    """The lesion photo; for a multi-view checkpoint one photo per view side by side, each labelled with the view's
    name (any may stay empty)."""
    options = {"sources": ["upload", "webcam", "clipboard"], "type": "filepath", "image_mode": None, "height": 300}
    if not session.photo_views:
        return [gr.Image(label=Text("photo.label"), elem_id="photo", **options)]
    with gr.Row():
        return [gr.Image(label=photo_label(view), elem_id=f"photo-{view}", **options) for view in session.photo_views]


def diagnose_inputs(
    session: DemoSession, handlers: SimpleNamespace, outputs: list
) -> tuple[list, list, Any, Any, gr.Column]:
    """The example cases at the top of the tab, then a row of the photo(s), the form and the buttons beside an empty
    column for the results; returns (photos, form, clear, diagnose, results column).

    The examples need the photo and form components, so a column is opened for them first and filled once those
    exist: on a desktop they sit above the photo, on a phone they come right after the title and banner."""
    top = gr.Column(elem_id="examples-slot")
    with gr.Row():
        with gr.Column(scale=3):
            photos = photo_inputs(session)
            form = clinical_form(session.schema)
            with gr.Row():
                clear = localize(gr.Button("Clear", elem_id="clear"), value=Text("button.clear"))
                diagnose = localize(
                    gr.Button("Diagnose", variant="primary", elem_id="diagnose"), value=Text("button.diagnose")
                )
        results = gr.Column(scale=2)
    with top:
        example_cases(session, handlers, [*photos, *form], outputs)
    return photos, form, clear, diagnose, results
