"""Which files a request may make the server open: only uploads that Gradio itself received into its cache.

A public server's endpoints take JSON. A hostile client can put any server path, a relative traversal, a symlink
or a URL where an uploaded file belongs. Two layers refuse that:

* `UploadOnlyMiddleware` inspects every API request body before Gradio sees it and refuses any file object whose
  `path` is not a file inside the upload folder. That covers every endpoint, present and future, and stops Gradio
  from fetching a URL a client names (it would otherwise download `http(s)://` paths on the client's behalf).
* `uploaded_file` is the check each event handler applies to its raw image payload (events run with
  `preprocess=False`), so a bare string or a file object without Gradio's metadata is held to the same rule.

Refusals never name a server path: the message says what to send instead.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware

SEND_AS_UPLOAD = "send the photo as an uploaded file (a multipart upload to /gradio_api/upload, or gradio_client's "
SEND_AS_UPLOAD += "handle_file): the server opens no path or URL that a request names"
DEFAULT_MAX_FILE_SIZE = "20mb"
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
# Request bodies are JSON with file references, not file contents; anything this large is refused unread.
MAX_REQUEST_BODY = 4 * 1024**2


class UploadRefused(ValueError):
    """A request named a file that is not one of this server's uploads (or is over the size cap)."""


def parse_file_size(text: str | int) -> int:
    """ "20mb" / "500 KB" / 1048576 -> bytes. Raises ValueError naming the accepted form."""
    if isinstance(text, int):
        size = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([kmg]?b)?\s*", text.lower())
        if match is None:
            raise ValueError(f"a file size is a whole number with an optional unit b, kb, mb or gb, got {text!r}")
        size = int(match.group(1)) * _SIZE_UNITS[match.group(2) or "b"]
    if size <= 0:
        raise ValueError(f"the file size cap must be positive, got {text!r}")
    return size


@dataclass(frozen=True)
class UploadPolicy:
    """Where this server's uploads live and how large one may be."""

    folder: Path  # Gradio's upload cache (GRADIO_TEMP_DIR, by default <tmp>/gradio)
    max_bytes: int

    def check(self, path: Any) -> Path:
        """The real path of an upload in `folder`, symlinks followed; raises UploadRefused otherwise.

        Only stats the file: nothing outside the upload folder is ever opened."""
        if not isinstance(path, str) or not path or "://" in path or path.startswith("file:"):
            raise UploadRefused(SEND_AS_UPLOAD)
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(os.path.realpath(self.folder)) or not real.is_file():
            raise UploadRefused(SEND_AS_UPLOAD)
        if real.stat().st_size > self.max_bytes:
            raise UploadRefused(f"the file is larger than the upload limit of {self.max_bytes / 1024**2:g} MB")
        return real


def uploaded_file(payload: Any, policy: UploadPolicy) -> Path | None:
    """A raw image payload -> the real path of the upload it refers to, or None when no image was sent.

    Accepts only a Gradio file object (`{"path": ...}`) whose path is an upload in `policy.folder`. A bare string,
    a `url` (never fetched) or any other path raises UploadRefused."""
    if payload is None or payload == "":
        return None
    if not isinstance(payload, Mapping):
        raise UploadRefused(SEND_AS_UPLOAD)
    return policy.check(payload.get("path"))


def file_references(document: Any) -> Iterator[Mapping[str, Any]]:
    """Every object in a JSON document that refers to a file: one with a `path` or a `url` key."""
    if isinstance(document, Mapping):
        if "path" in document or "url" in document:
            yield document
            return
        for value in document.values():
            yield from file_references(value)
    elif isinstance(document, list):
        for value in document:
            yield from file_references(value)


def names_a_path(argument: Any) -> bool:
    """Whether an event argument is a bare string that names a path or URL ("/srv/x.png", "../x", "file:...").

    No argument of this demo is such a string (form values are codes and numbers), and a file is sent as a file
    object, so such a string is refused with the same clear message instead of a bare validation failure."""
    return isinstance(argument, str) and ("/" in argument or "\\" in argument or argument.startswith(("~", "file:")))


def refused_reference(document: Any, policy: UploadPolicy) -> str | None:
    """Why a request body may not be processed (a message for the client), or None when every file it names is an
    upload of this server. `document` is a Gradio request body: `{"data": [argument, ...], ...}`."""
    arguments = document.get("data") if isinstance(document, Mapping) else None
    if isinstance(arguments, list) and any(names_a_path(argument) for argument in arguments):
        return SEND_AS_UPLOAD
    for reference in file_references(document):
        try:
            policy.check(reference.get("path"))
        except UploadRefused as refusal:
            return str(refusal)
    return None


class UploadOnlyMiddleware:
    """ASGI middleware: refuses API requests that name a file other than one of this server's uploads.

    Applies to every POST under `/gradio_api/` except the upload route itself (whose size cap is Gradio's
    `max_file_size`). The body is read, checked and handed on unchanged; a refusal is a 400 with
    `{"error": message}`, before any handler, file access or outgoing request.
    """

    def __init__(self, app: Any, policy: UploadPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST" or "/gradio_api/" not in path:
            await self.app(scope, receive, send)
            return
        if path.rstrip("/").endswith("/gradio_api/upload"):
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, MAX_REQUEST_BODY)
        if not complete:
            await _refuse(send, 413, "the request is too large; send the photo as an uploaded file")
            return
        try:
            document = json.loads(body) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            document = None  # not JSON: Gradio answers it with its own error
        message = refused_reference(document, self.policy)
        if message is not None:
            await _refuse(send, 400, message)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The request body, and whether it was read whole within `limit` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that yields the already-read body once, then waits on the client as before (disconnects)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def upload_middleware(policy: UploadPolicy) -> list[Middleware]:
    """The server's middleware list for `launch(app_kwargs=...)`: `UploadOnlyMiddleware` checks a request before
    Gradio reads it, which would otherwise fetch a URL a client names as a file path."""
    return [Middleware(UploadOnlyMiddleware, policy=policy)]
