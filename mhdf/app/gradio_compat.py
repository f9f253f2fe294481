"""Work-arounds for Gradio versions this app supports, each saying which versions need it.

Gradio 6.x up to at least 6.31: native plots (`gr.BarPlot`, `gr.LinePlot`, `gr.ScatterPlot`) declare no data model,
so a lazily cached example value comes back from the cache as JSON text, which the browser cannot draw. Setting
the plot's `data_model` to Gradio's own `PlotData` makes the cache load it back as plot data. Remove `bar_plot`
when `gr.BarPlot().data_model` is set by Gradio itself (the test of this module checks that).

Gradio 6.x up to at least 6.31 builds `/config` anew for every request, a deep copy of the whole page description
with every file URL rewritten for the request's origin (about 25 ms of CPU for this app's 220 components on a
2-core machine), and re-encodes `/gradio_api/info` each time (about 10 ms). Every new gradio_client fetches both
before its first call and gives each 5 seconds: 100 clients arriving at once kept the server busy for seconds
before any prediction, and a third of them timed out. `FirstFetchCache` answers both from the first answer per
origin. Remove it when Gradio keeps those answers itself (the test of this module checks that it still copies).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import gradio as gr
from gradio.components.native_plot import PlotData
from gradio.route_utils import API_PREFIX
from starlette.middleware import Middleware

# What gradio_client fetches before its first call. Neither answer changes while the app runs (its layout is fixed
# at launch and it has no login), except for the origin its URLs name.
FIRST_FETCHES = ("/config", f"{API_PREFIX}/info")
# what Gradio reads the origin from (`gradio.route_utils.get_request_origin`)
ORIGIN_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-gradio-server")
# answers kept at most (two per origin): the Host header is the client's to choose, so no client can make the
# cache grow; past this many, requests from a new origin are answered by Gradio as ever
MAX_ANSWERS = 16


def bar_plot(**kwargs: Any) -> gr.BarPlot:
    """`gr.BarPlot(**kwargs)` whose cached example values load back as plot data."""
    plot = gr.BarPlot(**kwargs)
    plot.data_model = PlotData
    return plot


class FirstFetchCache:
    """ASGI middleware: the answers to `GET /config` and `GET /gradio_api/info`, kept from the first request per
    origin and replayed. A request with a query (a deep link, a page) or a login cookie goes to Gradio as ever."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.answers: dict[tuple, list[dict[str, Any]]] = {}  # origin and path -> the response's ASGI messages

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
        elif key in self.answers:
            for message in self.answers[key]:
                await send(_copy(message))
        else:
            messages: list[dict[str, Any]] = []

            async def keep(message: dict[str, Any]) -> None:
                messages.append(_copy(message))
                await send(message)

            await self.app(scope, receive, keep)
            start = messages[0] if messages else {}
            personal = any(name.lower() == b"set-cookie" for name, _ in start.get("headers", []))
            if start.get("status") == 200 and not personal and len(self.answers) < MAX_ANSWERS:
                self.answers[key] = messages

    @staticmethod
    def _key(scope: dict) -> tuple | None:
        """The cache key of a request, or None when its answer is not to be kept."""
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
            return None
        path = scope["path"].rstrip("/")
        headers = dict(scope["headers"])
        if path not in FIRST_FETCHES or b"access-token" in headers.get(b"cookie", b""):
            return None
        # the server's own address counts where a request names no Host
        origin = (scope["scheme"], tuple(scope.get("server") or ()), scope.get("root_path", ""))
        return (path, *origin, *(headers.get(name) for name in ORIGIN_HEADERS))


def _copy(message: dict[str, Any]) -> dict[str, Any]:
    """An ASGI message that the middleware around this one may change without changing the kept answer: Gradio's
    CORS middleware adds the request's own origin to the headers in place."""
    return {**message, "headers": list(message["headers"])} if "headers" in message else dict(message)


def first_fetch_cache() -> Middleware:
    """`FirstFetchCache` for `launch(app_kwargs={"middleware": [...]})`."""
    return Middleware(FirstFetchCache)
