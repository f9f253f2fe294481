"""The two language tables: same keys, same placeholders, every bundled schema word translated, the Markdown pages
in both languages, and the language negotiation."""

from __future__ import annotations

import copy
import pickle
import string

import pytest

from mhdf.app.texts import PAGES, Text, en, pt_br, translate
from mhdf.app.texts.language import negotiate
from mhdf.metadata import DERM7PT, PAD_UFES_20


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys():
    only_en = sorted(set(en.TEXTS) - set(pt_br.TEXTS))
    only_pt = sorted(set(pt_br.TEXTS) - set(en.TEXTS))
    assert not only_en, f"keys without a pt-BR text: {only_en}"
    assert not only_pt, f"pt-BR keys that English lacks: {only_pt}"


def test_placeholders_match():
    differ = [key for key in en.TEXTS if _fields(en.TEXTS[key]) != _fields(pt_br.TEXTS.get(key, en.TEXTS[key]))]
    assert not differ, f"placeholders differ between languages: {differ}"


def test_portuguese_is_not_a_copy_of_english():
    # codes, units and proper names may stay the same; sentences may not
    same = [k for k, v in pt_br.TEXTS.items() if v == en.TEXTS[k] and len(v.split()) > 2]
    assert not same, f"untranslated sentences: {same}"


@pytest.mark.parametrize("schema", [PAD_UFES_20, DERM7PT], ids=lambda s: s.name)
def test_every_form_word_of_the_bundled_schemas_is_translated(schema):
    keys = [f"{schema.name}.field.{spec.name}" for spec in schema.fields]
    keys += [f"{schema.name}.value.{spec.name}.{v}" for spec in schema.fields for v in spec.values]
    keys += [f"{schema.name}.class.{code}" for code in schema.class_labels]
    assert all(key in pt_br.TEXTS for key in keys)
    assert translate("pt-BR", "pad-ufes-20.class.ACK") == "Ceratose actínica"


def test_markdown_pages_exist_in_both_languages():
    english = sorted(p for p in PAGES.glob("*.md") if p.stem.count(".") == 0)
    assert english
    for page in english:
        assert page.with_name(f"{page.stem}.pt-BR.md").is_file(), f"{page.name} has no pt-BR twin"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"),
        ("pt", "pt-BR"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("fr-FR,pt-BR;q=0.5", "pt-BR"),
        ("en;q=0.3,pt-BR;q=0.8", "pt-BR"),
        ("", "en"),
        (None, "en"),
        ("*", "en"),
    ],
)
def test_negotiate(header, expected):
    assert negotiate(header) == expected


def test_text_reads_as_english_and_renders_in_portuguese():
    text = Text("form.number_label", label=Text("pad-ufes-20.field.age"), unit=Text("pad-ufes-20.unit.years"))
    assert text == "Age (years)"
    assert text.in_language("pt-BR") == "Idade (anos)"
    assert text.in_language("de") == "Age (years)"  # unknown languages fall back to English

    for clone in (copy.deepcopy(text), pickle.loads(pickle.dumps(text))):
        assert isinstance(clone, Text) and clone.in_language("pt-BR") == "Idade (anos)"
