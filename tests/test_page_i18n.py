"""The whole page's words for a Brazilian Portuguese visitor, without a server: the example buttons, the similar-case
placeholder and the banner read in Portuguese, and no component that does not render Markdown is given Markdown."""

import re
from typing import Any

import gradio as gr
import pytest

from app import build_demo
from mhdf.app.i18n import localized_props
from mhdf.app.report import card_lines
from mhdf.app.session import load_session
from mhdf.app.texts import banner, translate
from mhdf.config import MHDFConfig
from mhdf.inference import Predictor
from tests.helpers import SYNTHETIC_CHECKPOINT

# Markdown marks as they would show when not rendered: bold, emphasis, code, headings, links
RAW_MARKDOWN = re.compile(r"\*\*|(^|\s)\*\S|\S\*($|\s)|`|^#{1,6} |\[[^\]]+\]\(", re.MULTILINE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> gr.Blocks:
    return build_demo(load_session(tmp_path_factory.mktemp("uploads"), "20mb", SYNTHETIC_CHECKPOINT, "cpu"))


def block(demo: gr.Blocks, elem_id: str) -> Any:
    (found,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    return found


def texts(value: Any) -> list[str]:
    """The strings in a prop's value: a string, a list of them, or (label, value) choices."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in texts(item)]
    return []


def test_the_example_buttons_read_in_the_visitors_language(demo, examples):
    dataset = block(demo, "examples")
    for lang in ("en", "pt-BR"):
        labels = localized_props(dataset, lang)["sample_labels"]
        assert labels == [translate(lang, "example.title", name=e.name, label=e.label) for e in examples]
    assert not any("true class" in label for label in localized_props(dataset, "pt-BR")["sample_labels"])


@pytest.mark.parametrize("place", ["diagnose", "teaching"])
def test_the_similar_case_placeholder_is_translated_and_rendered(demo, place):
    view = block(demo, f"similar-cases-{place}")
    assert view.value == ""  # the neighbours, once a case is diagnosed; the placeholder meanwhile
    for lang in ("en", "pt-BR"):
        placeholder = localized_props(view, lang)["placeholder"]
        assert translate(lang, "similar.placeholder") in placeholder and "<em>" in placeholder
        assert not RAW_MARKDOWN.search(placeholder)
    assert "Diagnostique um caso" in localized_props(view, "pt-BR")["placeholder"]


def test_no_component_that_shows_text_as_is_is_given_markdown(demo):
    for lang in ("en", "pt-BR"):
        for component in demo.blocks.values():
            if isinstance(component, gr.Markdown):
                continue
            shown = texts(list(localized_props(component, lang).values()))
            if isinstance(component, gr.HTML):
                shown += texts(component.value)
            raw = [text for text in shown if RAW_MARKDOWN.search(text)]
            assert not raw, f"{type(component).__name__} #{component.elem_id} would show Markdown as is: {raw}"


def test_the_banner_reads_in_the_visitors_language(demo, predictor):
    card_text = predictor.config.training_data  # the model card's free text, in English
    portuguese = localized_props(block(demo, "banner"), "pt-BR")["value"]
    assert portuguese == banner(predictor, "pt-BR")
    assert card_text not in portuguese and "Trained on" not in portuguese
    assert "**Treinado com:** fotos sintéticas pareadas com registros clínicos reais do PAD-UFES-20" in portuguese
    assert "fold 0 reservado para teste" in portuguese
    assert "synthetic photos paired with real PAD-UFES-20 clinical records, fold 0 held out" in banner(predictor)
    assert any(line.startswith("Treinado com: fotos sintéticas") for line in card_lines(predictor, "pt-BR"))


def test_a_checkpoint_whose_card_does_not_say_how_it_was_trained_is_quoted_as_such(predictor):
    own_words = "dermoscopic photos from one clinic, 2019-2023"
    other = Predictor(predictor.model, name="clinic")  # no model card
    other.config = MHDFConfig(**{**vars(predictor.config), "synthetic_data": False, "training_data": own_words})
    assert f"**Trained on:** {own_words}" in banner(other)
    assert f"**Treinado com:** “{own_words}” (descrição gravada no checkpoint, sem tradução)" in banner(other, "pt-BR")
