"""The visitor's language in the running app: read from the request (the language switch's cookie, else the
browser's Accept-Language), shown by every component, and passed to the handlers that write sentences.

Components are built with English `Text`s (`mhdf.app.texts.language`); `localize` attaches words that Gradio keeps
only as plain strings (a Markdown's or a Button's value) or that are computed (`lambda lang: banner(..., lang)`).
`language_events` then re-labels every such component when the page loads and when the visitor switches.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from mhdf.app.texts.language import DEFAULT_LANGUAGE, LANGUAGES, Text, language, negotiate

COOKIE = "mhdf_lang"
TEXT_PROPS = ("label", "info", "placeholder", "caption", "x_title", "y_title", "color_title")
_LOCALIZED = "_mhdf_localized"
# Runs in the browser on a switch: remembers the choice for a year (the handlers read it) and sets <html lang>.
REMEMBER_LANGUAGE = (
    f"(lang) => {{ document.cookie = '{COOKIE}=' + lang + ';path=/;max-age=31536000;SameSite=Lax'; "
    "document.documentElement.lang = lang; return lang; }"
)
# Runs once the load event has relabelled the page: sets <html lang> and `data-mhdf-language`, which says the page
# now shows the visitor's language (a browser test waits for it before it moves the focus).
SET_PAGE_LANGUAGE = (
    "(lang) => { document.documentElement.lang = lang; document.documentElement.dataset.mhdfLanguage = lang; "
    "return lang; }"
)


def request_language(request: gr.Request | None) -> str:
    """The language of a request: the switch's cookie, else the browser's Accept-Language, else English."""
    if request is None:
        return DEFAULT_LANGUAGE
    cookie = (getattr(request, "cookies", None) or {}).get(COOKIE)
    if cookie:
        return language(cookie)
    return negotiate((getattr(request, "headers", None) or {}).get("accept-language"))


def localize(component: Any, **props: Text | Callable[[str], Any]) -> Any:
    """Attach words to `component` by property: a `Text`, or a function of the language. Returns `component`."""
    getattr(component, _LOCALIZED, None) or setattr(component, _LOCALIZED, {})
    getattr(component, _LOCALIZED).update(props)
    return component


def _render(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return value.in_language(lang)
    return value(lang) if callable(value) else value


def _words(block: Any) -> dict[str, Text | Callable[[str], Any]]:
    """The props of `block` that show words, not yet rendered: its `Text` labels, help and captions, its choices
    when one is labelled with a `Text`, and what `localize` attached."""
    words: dict[str, Text | Callable[[str], Any]] = {
        prop: getattr(block, prop) for prop in TEXT_PROPS if isinstance(getattr(block, prop, None), Text)
    }
    choices = getattr(block, "choices", None)
    if isinstance(choices, list) and any(
        isinstance(choice[0], Text) for choice in choices if isinstance(choice, tuple)
    ):
        words["choices"] = lambda lang: [(_render(label, lang), value) for label, value in choices]
    return words | getattr(block, _LOCALIZED, {})


def localized_props(block: Any, lang: str) -> dict[str, Any]:
    """The props of `block` in `lang`: its `Text` labels, help, captions and choices, and what `localize` set."""
    return {prop: _render(words, lang) for prop, words in _words(block).items()}


def language_switch() -> gr.Radio:
    """The visitor's language switch; language names are written in their own language."""
    return gr.Radio(
        [(name, code) for code, name in LANGUAGES.items()],
        value=DEFAULT_LANGUAGE,
        label=Text("language.label"),
        elem_id="language",
        container=False,
    )


def language_events(demo: gr.Blocks, switch: gr.Radio) -> None:
    """Show every localized component in the request's language on load, and in the chosen one on a switch."""
    # which blocks show words is read without rendering them: some are figures, drawn only when a page asks
    blocks = [block for block in demo.blocks.values() if block is not switch and _words(block)]

    def relabel(lang: str) -> list[Any]:
        lang = language(lang)
        return [gr.update(**localized_props(block, lang)) for block in blocks]

    def on_load(request: gr.Request) -> list[Any]:
        lang = request_language(request)
        return [lang, *relabel(lang)]

    demo.load(on_load, None, [switch, *blocks], queue=False, api_visibility="private").then(
        None, switch, None, js=SET_PAGE_LANGUAGE
    )
    switch.input(relabel, switch, blocks, js=REMEMBER_LANGUAGE, queue=False, api_visibility="private")


def with_language(handler: Callable) -> Callable:
    """`handler(*args, lang=...)` as an event handler that Gradio gives the request (the first parameter, so
    Gradio inserts it), the language read from it by `request_language`."""

    if inspect.isgeneratorfunction(handler) or inspect.isgeneratorfunction(inspect.unwrap(handler)):

        def streaming(request: gr.Request, *args: Any) -> Iterator[Any]:
            yield from handler(*args, lang=request_language(request))

        served: Callable = streaming
    else:

        def served(request: gr.Request, *args: Any) -> Any:
            return handler(*args, lang=request_language(request))

    # not functools.wraps: its __wrapped__ would give Gradio the handler's signature, without the request
    served.__name__, served.__doc__ = handler.__name__, handler.__doc__
    return served


def markdown(text: Text | Callable[[str], str], **kwargs: Any) -> gr.Markdown:
    """A Markdown block in the visitor's language: a catalogue `Text`, or a function of the language."""
    return localize(gr.Markdown(_render(text, DEFAULT_LANGUAGE), **kwargs), value=text)
