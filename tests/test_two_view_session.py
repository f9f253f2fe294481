"""The demo's handlers on a checkpoint with two photo views (clinical close-up + dermoscopic image), without a server:
Diagnose with both photos, with either one missing and with none, the per-photo routing views, the GM-Gate steering
per photo, "drop this photo", the examples, the teaching interventions, Clear and the report; and the page built
from them (one photo input per view, the per-photo elements, the `/drop_photo` endpoint), in both languages."""

import math
import shutil

import gradio as gr
import pandas as pd
import pytest

from app import build_demo
from mhdf.app import session as session_module
from mhdf.app.form import form_from_record
from mhdf.app.i18n import localized_props
from mhdf.app.inputs import example_photos
from mhdf.app.session import DemoSession, SessionParts, load_session, served_handlers
from mhdf.app.texts import CURRENT_CASE, translate
from mhdf.app.uploads import UploadPolicy
from mhdf.app.view_keys import by_photo, stage_view
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import read_examples
from tests.helpers import TWO_VIEWS, write_two_view_checkpoint

LANGUAGES = ("en", "pt-BR")
NAMES = {
    "en": ("clinical close-up", "dermoscopic image"),
    "pt-BR": ("foto clínica aproximada", "imagem dermatoscópica"),
}


@pytest.fixture(scope="module")
def session(tiny_two_view_checkpoint, tmp_path_factory):
    predictor = Predictor.from_pretrained(tiny_two_view_checkpoint, device="cpu")
    uploads = UploadPolicy(tmp_path_factory.mktemp("uploads"), 20 * 1024**2)
    return DemoSession(
        SessionParts(predictor, uploads, examples=read_examples(tiny_two_view_checkpoint, predictor.schema))
    )


@pytest.fixture(scope="module")
def case(session):
    """The first example as the browser sends it: each photo uploaded into the server's folder, and its form."""
    example = session.examples[0]
    photos = {}
    for view, path in example.image.items():
        shutil.copyfile(path, session.uploads.folder / path.name)
        photos[view] = {"path": str(session.uploads.folder / path.name)}
    return photos, form_from_record(session.schema, example.metadata)


def final_views(session, *photos_and_form, lang="en"):
    *_, last = session.diagnose(*photos_and_form, lang=lang)
    assert len(last) == len(session.view_names)
    return dict(zip(session.view_names, last, strict=True))


def test_diagnose_with_both_photos_fills_every_photos_routing_views(session, case):
    photos, form = case
    views = final_views(session, photos["clinical"], photos["dermoscopic"], *form)
    stages = session.predictor.config.num_fused_stages
    for view in TWO_VIEWS:
        assert views[by_photo("photo_status", view)] == ""
        assert len(views[by_photo("lc_gate", view)]) == 2 * stages
        assert views[by_photo("gradcam", view)] is not None
        for s in range(stages):
            assert views[stage_view("image", s, view)] is not None
            assert len(views[stage_view("fields", s, view)]) == len(session.schema.fields)
    shares = views["gm_gate_by_view"]
    assert list(shares["photo"]) == ["Clinical close-up", "Dermoscopic image"]
    assert math.isclose(shares["share"].sum(), 1.0, rel_tol=1e-6)
    assert "| Clinical close-up |" in views["gm_gate_by_view_table"]
    assert "was given" not in views["scope_notice"]
    assert views["similar_query"] is None  # the similar-case index reads one photo's routing
    assert "nan" not in views["figure_text"] + views["narrative"]


@pytest.mark.parametrize("missing", TWO_VIEWS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_photo_is_named_and_its_views_say_so_instead_of_nan(session, case, missing, lang):
    photos, form = case
    given = {view: None if view == missing else photos[view] for view in TWO_VIEWS}
    views = final_views(session, *given.values(), *form, lang=lang)
    name = NAMES[lang][TWO_VIEWS.index(missing)]
    kept = next(view for view in TWO_VIEWS if view != missing)
    assert name in views["scope_notice"] and NAMES[lang][TWO_VIEWS.index(kept)] in views["scope_notice"]
    assert views[by_photo("photo_status", missing)] == translate(lang, "photo.view_missing", photo=name)
    assert views[by_photo("lc_gate", missing)].empty and views[by_photo("gradcam", missing)] is None
    assert views[stage_view("image", 0, missing)] is None and views[stage_view("fields", 0, missing)].empty
    assert len(views[by_photo("lc_gate", kept)]) and views[by_photo("gradcam", kept)] is not None
    assert views[by_photo("photo_status", kept)] == ""
    for text in ("figure_text", "narrative", "gm_gate_by_view_table", "scope_notice"):
        assert "nan" not in views[text].lower(), text
    assert translate(lang, "gm_by_view.not_given", photo=name[:1].upper() + name[1:]) in views["gm_gate_by_view_table"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_photo_at_all_is_a_one_line_error_naming_both_photos(session, case, lang):
    _, form = case
    with pytest.raises(ValueError) as error:
        list(session.diagnose(None, None, *form, lang=lang))
    message = str(error.value)
    assert "\n" not in message and all(name in message for name in NAMES[lang])
    served = served_handlers(session)
    with pytest.raises(gr.Error):
        list(served.diagnose(None, None, *form))


def test_drop_this_photo_runs_the_case_with_and_without_it(session, case):
    photos, form = case
    first, second, figure, summary = session.drop_photo("clinical", photos["clinical"], photos["dermoscopic"], *form)
    assert set(first) == set(second) and first != second and figure is not None
    assert summary.startswith("**Without the clinical close-up:**") and "dermoscopic image" in summary
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert "Clin.\nS1" in labels and "Derm.\nS1" in labels and "Clin." in labels  # LC-Gate blocks, GM-Gate share
    portuguese = session.drop_photo("dermoscopic", photos["clinical"], photos["dermoscopic"], *form, lang="pt-BR")
    assert portuguese[3].startswith("**Sem a imagem dermatoscópica:**")


@pytest.mark.parametrize(
    ("view", "given", "key"),
    [("clinical", ("dermoscopic",), "drop.not_given"), ("clinical", ("clinical",), "drop.last_photo")],
)
def test_drop_this_photo_refuses_a_photo_not_given_or_the_only_one(session, case, view, given, key):
    photos, form = case
    inputs = [photos[name] if name in given else None for name in TWO_VIEWS]
    for lang in LANGUAGES:
        with pytest.raises(ValueError) as error:
            session.drop_photo(view, *inputs, *form, lang=lang)
        assert str(error.value) == translate(lang, key, photo=NAMES[lang][0])


def test_drop_this_photo_refuses_an_unknown_view(session, case):
    photos, form = case
    with pytest.raises(ValueError, match="unknown photo view 'skin'"):
        session.drop_photo("skin", photos["clinical"], photos["dermoscopic"], *form)


def test_examples_load_both_photos_and_diagnose_by_name(session):
    example = session.examples[0]
    assert example_photos(session, example) == [str(example.image[view]) for view in TWO_VIEWS]
    views = dict(zip(session.view_names, session.diagnose_example(example.name, "/etc/passwd"), strict=True))
    assert views["probabilities"] and all(views[by_photo("gradcam", view)] is not None for view in TWO_VIEWS)


def test_compare_and_intervene_take_both_photos(session, case):
    photos, form = case
    config = session.predictor.config
    paths = ["model's choice"] * config.num_fused_stages
    inputs = (photos["clinical"], None, *form)  # the dermoscopic image missing
    summary = session.intervene(inputs[0], None, [0], -1, config.gate_temperature, False, *paths, *form)[3]
    assert "expert 1 knocked out" in summary
    first, second, figure, summary = session.compare(CURRENT_CASE, session.examples[1].title, *inputs)
    assert first != second and figure is not None and "nan" not in summary


def test_clear_empties_every_photo(session):
    cleared = session.clear()
    stages = session.predictor.config.num_fused_stages
    assert cleared[:2] == [None, None]
    views = dict(zip(session.view_names, cleared[2 + len(session.schema.fields) :], strict=False))
    assert isinstance(views["gm_gate_by_view"], pd.DataFrame) and views["gm_gate_by_view"].empty
    assert all(views[stage_view("fields", s, view)].empty for view in TWO_VIEWS for s in range(stages))


def test_the_report_gets_the_photos_by_view(session, case, monkeypatch):
    photos, form = case
    sent = {}

    def fake_report(path, predictor, image, record, lang):
        sent.update(image=image, record=record)
        return path

    monkeypatch.setattr(session_module, "case_report", fake_report)
    session.report(photos["clinical"], None, *form)
    clinical = session.uploads.folder / session.examples[0].image["clinical"].name
    assert sent["image"] == {"clinical": clinical, "dermoscopic": None}


@pytest.fixture(scope="module")
def demo(tiny_two_view_checkpoint, tmp_path_factory):
    return build_demo(load_session(tmp_path_factory.mktemp("uploads"), "20mb", tiny_two_view_checkpoint, "cpu"))


def elements(demo):
    return {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}


def test_the_page_has_a_photo_input_per_view_and_each_photos_routing(demo):
    found = elements(demo)
    for view, lang_names in zip(TWO_VIEWS, zip(*NAMES.values(), strict=True), strict=True):
        photo = found[f"photo-{view}"]
        for lang, name in zip(LANGUAGES, lang_names, strict=True):
            assert localized_props(photo, lang)["label"].lower() == name
        for elem_id in ("lc-gate", "gradcam", "tkca-image", "tkca-fields", "photo-status"):
            assert any(key.startswith(f"{elem_id}-{view}") for key in found), (elem_id, view)
    for elem_id in ("gm-gate-by-view", "gm-gate-by-view-table", "drop-photo-view", "run-drop-photo",
                    "drop-photo-summary", "reader-one-photo", "similar-one-photo-diagnose"):  # fmt: skip
        assert elem_id in found, elem_id
    assert "photo" not in found and "lc-gate" not in found and "feedback" not in found
    api_names = {dependency.api_name for dependency in demo.fns.values()}
    assert {"diagnose", "drop_photo", "intervene", "compare", "report", "predict"} <= api_names


def test_a_one_photo_page_keeps_its_elements_and_has_no_drop_photo(tiny_checkpoint, tmp_path_factory):
    demo = build_demo(load_session(tmp_path_factory.mktemp("uploads"), "20mb", tiny_checkpoint, "cpu"))
    found = elements(demo)
    assert {"photo", "lc-gate", "gradcam", "tkca-image-1", "gm-gate"} <= set(found)
    assert not any(key.startswith(("photo-", "drop-photo", "gm-gate-by-view")) for key in found)
    assert "drop_photo" not in {dependency.api_name for dependency in demo.fns.values()}


def test_a_late_fusion_two_photo_checkpoint_diagnoses_and_drops_a_photo(tmp_path):
    """The `concat` baseline has no LC-MoE block (its Grad-CAM reads the pooled map) and hands its router the
    pooled record as well: the shares and the comparison show the photos only."""
    folder = write_two_view_checkpoint(tmp_path / "concat", variant="concat")
    predictor = Predictor.from_pretrained(folder, device="cpu")
    uploads = UploadPolicy(tmp_path / "uploads", 20 * 1024**2)
    uploads.folder.mkdir()
    concat = DemoSession(SessionParts(predictor, uploads, examples=read_examples(folder, predictor.schema)))
    example = concat.examples[0]
    photos = {}
    for view, path in example.image.items():
        shutil.copyfile(path, uploads.folder / path.name)
        photos[view] = {"path": str(uploads.folder / path.name)}
    form = form_from_record(concat.schema, example.metadata)
    views = final_views(concat, photos["clinical"], None, *form)
    assert views[by_photo("gradcam", "clinical")] is not None and views[by_photo("gradcam", "dermoscopic")] is None
    assert list(views["gm_gate_by_view"]["photo"]) == ["Clinical close-up", "Dermoscopic image"]
    assert math.isclose(views["gm_gate_by_view"]["share"].sum(), 1.0, rel_tol=1e-6)
    first, second, figure, _ = concat.drop_photo("clinical", photos["clinical"], photos["dermoscopic"], *form)
    assert first != second and figure is not None
    labels = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert "Clin." in labels and "Derm." in labels and not any("record" in label for label in labels)
