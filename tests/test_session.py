"""The demo's event handlers without a server: `DemoSession` on the bundled checkpoint, and `served_handlers`, the
one wrapping every event gets (a ValueError becomes a `gr.Error` for the visitor, in plain and streaming events)."""

import inspect
import shutil

import gradio as gr
import pytest
import torch

from mhdf.app.form import empty_form, form_from_record
from mhdf.app.session import EVENTS, DemoSession, SessionParts, served_handlers
from mhdf.app.texts import describe_overrides
from mhdf.app.uploads import UploadPolicy
from mhdf.inference.checkpoint import read_routing_atlas
from mhdf.routing import RoutingOverrides
from tests.helpers import SYNTHETIC_CHECKPOINT


@pytest.fixture(scope="module")
def session(predictor, examples, tmp_path_factory):
    uploads = UploadPolicy(tmp_path_factory.mktemp("uploads"), 20 * 1024**2)
    return DemoSession(
        SessionParts(predictor, uploads, examples=examples, atlas=read_routing_atlas(SYNTHETIC_CHECKPOINT))
    )


@pytest.fixture(scope="module")
def case(session, examples):
    """An example case as the browser sends it: its photo uploaded into the server's folder, its form values."""
    example = examples[0]
    photo = session.uploads.folder / example.image.name
    shutil.copyfile(example.image, photo)
    return {"path": str(photo)}, form_from_record(session.schema, example.metadata), example


def test_diagnose_streams_every_view_in_order(session, case):
    photo, form, _ = case
    steps = list(session.diagnose(photo, *form))
    assert len(steps) == 3 and all(len(step) == len(session.view_names) for step in steps)
    final = dict(zip(session.view_names, steps[-1], strict=True))
    assert final["gradcam"] is not None and final["modality"] is not None and final["probabilities"]


def test_diagnose_example_reads_the_case_by_name_and_ignores_what_the_client_shows(session, case):
    _, _, example = case
    views = dict(zip(session.view_names, session.diagnose_example(example.name, "/etc/passwd"), strict=True))
    assert views["probabilities"] and views["narrative"]
    with pytest.raises(ValueError, match="unknown case"):
        session.diagnose_example("../../etc/passwd")


def test_predict_returns_the_cli_document_and_refuses_paths_outside_the_upload_folder(session, case):
    photo, _, example = case
    document = session.predict(photo, example.metadata)
    assert document["prediction"] in document["classes"] and "routing" in document
    with pytest.raises(ValueError, match="upload"):
        session.predict({"path": str(example.image)}, {})
    with pytest.raises(ValueError, match="metadata must be a JSON object"):
        session.predict(photo, ["age", 50])


def test_intervene_and_compare_give_two_labels_a_figure_and_a_summary(session, case):
    photo, form, _ = case
    config = session.predictor.config
    paths = ["model's choice"] * config.num_fused_stages
    first, second, figure, summary = session.intervene(photo, [0], -1, config.gate_temperature, False, *paths, *form)
    assert (
        set(first) == set(second)
        and figure is not None
        and describe_overrides(RoutingOverrides(gm_disabled_experts=(0,))) in summary
    )
    titles = [example.title for example in session.examples[:2]]
    first, second, figure, summary = session.compare(*titles, photo, *form)
    assert first != second and figure is not None and "Case A" in summary


def test_report_is_written_into_the_upload_folder(session, case):
    photo, form, _ = case
    report = session.report(photo, *form)
    assert report.endswith(".pdf") and report.startswith(str(session.uploads.folder))


def test_clear_empties_the_photo_the_form_and_every_view(session):
    cleared = session.clear()
    assert cleared[0] is None and cleared[1 : 1 + len(session.schema.fields)] == empty_form(session.schema)
    assert len(cleared) == 1 + len(session.schema.fields) + len(session.view_names) + 3


def test_served_handlers_wrap_every_event_once(session, case):
    handlers = served_handlers(session)
    assert all(callable(getattr(handlers, name)) for name in EVENTS)
    photo, form, _ = case
    bad_form = list(form)
    bad_form[session.schema.field_names.index("age")] = "-4"
    # events that write sentences take the request first (Gradio passes it); None reads as English
    with pytest.raises(gr.Error, match="age"):  # a streaming event
        list(handlers.diagnose(None, photo, *bad_form))
    with pytest.raises(gr.Error, match="age") as error:  # a plain event
        handlers.report(None, photo, *bad_form)
    assert error.value.title == "Cannot diagnose this case"
    assert inspect.isgeneratorfunction(handlers.diagnose) and inspect.isgeneratorfunction(handlers.field_importance)
    assert list(inspect.signature(handlers.diagnose).parameters)[0] == "request"
    assert "request" not in inspect.signature(handlers.predict).parameters  # /predict is language-neutral


def test_handlers_answer_in_the_visitors_language(session, case):
    photo, form, example = case
    english = session.diagnose_example(example.name)
    portuguese = session.diagnose_example(example.name, lang="pt-BR")
    narrative = session.view_names.index("narrative")
    assert english[narrative] != portuguese[narrative]
    assert "Predição" in portuguese[narrative] and "Prediction" in english[narrative]
    # kept per language: the English result is served again, never the Portuguese one
    assert session.diagnose_example(example.name)[narrative] == english[narrative]


def test_served_handlers_run_without_autograd(session, case, monkeypatch):
    modes = []
    forward = type(session.predictor).forward

    def recording(self, *args, **kwargs):
        modes.append(torch.is_inference_mode_enabled())
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(type(session.predictor), "forward", recording)
    photo, form, example = case
    served_handlers(session).predict(photo, example.metadata)
    assert modes == [True]
