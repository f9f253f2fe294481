"""The app's two languages and the catalogue lookup: every sentence has a key, and each language has one table of
them (`en.py`, `pt_br.py` beside this module). English is the source and the fallback.

    translate("pt-BR", "ood.detail", score=3.2, threshold=2.5)

A component's fixed words are `Text`s: a `str` that reads as its English text (so Gradio and tests see ordinary
strings) and remembers its key, so `mhdf.app.i18n` can show it in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mhdf.app.texts import en, pt_br

DEFAULT_LANGUAGE = "en"
# language code -> its own name, as the language switch lists it (proper names: never translated)
LANGUAGES = {"en": "English", "pt-BR": "Português (Brasil)"}
CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": en.TEXTS, "pt-BR": pt_br.TEXTS}


def negotiate(accept_language: str | None) -> str:
    """The language of an Accept-Language header ("pt-BR,pt;q=0.9,en;q=0.8"): the first listed that is Portuguese
    or English, by quality; anything else, or no header, is English. Any Portuguese reads as pt-BR, the only
    Portuguese the app has."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for quality, _, tag in sorted(ranked):
        if quality < 0 and tag.split("-")[0] in ("pt", "en"):
            return "pt-BR" if tag.startswith("pt") else "en"
    return DEFAULT_LANGUAGE


def language(code: str | None) -> str:
    """`code` when the app has that language (case-insensitive), else English."""
    for known in LANGUAGES:
        if (code or "").lower() == known.lower():
            return known
    return DEFAULT_LANGUAGE


def translate(lang: str, key: str, **values: Any) -> str:
    """The sentence `key` in `lang`, its `{name}` fields filled from `values`; English where `lang` has no
    translation yet (the catalogue test fails on that). KeyError for a key English does not have."""
    english = CATALOGUES[DEFAULT_LANGUAGE][key]
    text = CATALOGUES.get(language(lang), {}).get(key, english)
    return text.format(**values) if values else text


class Text(str):
    """A catalogue sentence a component shows: equal to its English text, and `in_language(lang)` in another."""

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, **values: Any) -> Text:
        text = super().__new__(cls, translate(DEFAULT_LANGUAGE, key, **values))
        text.key, text.values = key, values
        return text

    def in_language(self, lang: str) -> str:
        """The text in `lang`, `Text` values (a field label inside "{label} ({unit})") in `lang` too."""
        values = {name: in_language(value, lang) for name, value in self.values.items()}
        return translate(lang, self.key, **values)

    def __reduce__(self) -> tuple:  # pickles rebuild the Text, not a bare str
        return (_rebuild_text, (self.key, self.values))

    # Immutable, as a str is: a copy is the Text itself. Gradio deep-copies the page's config, with hundreds of
    # labels, for every page it serves; rebuilding each Text there took a tenth of that time.
    def __copy__(self) -> Text:
        return self

    def __deepcopy__(self, memo: dict) -> Text:
        return self


def in_language(text: Any, lang: str) -> Any:
    """`text` in `lang` when it is a `Text`; anything else as it is."""
    return text.in_language(lang) if isinstance(text, Text) else text


def _rebuild_text(key: str, values: dict[str, Any]) -> Text:
    return Text(key, **values)
