"""mhdf.app.uploads without a server: which payloads may open a file, the size cap, and the ASGI middleware."""

import json
import os

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mhdf.app.uploads import (
    DEFAULT_MAX_FILE_SIZE,
    SEND_AS_UPLOAD,
    UploadOnlyMiddleware,
    UploadPolicy,
    UploadRefused,
    parse_file_size,
    refused_reference,
    uploaded_file,
)


@pytest.fixture
def layout(tmp_path):
    """An upload folder with one upload, a private file beside it, and symlinks in and out."""
    uploads = tmp_path / "uploads"
    (uploads / "abc").mkdir(parents=True)
    upload = uploads / "abc" / "photo.png"
    upload.write_bytes(b"x" * 100)
    private = tmp_path / "private.png"
    private.write_bytes(b"secret")
    (uploads / "abc" / "escape.png").symlink_to(private)
    (tmp_path / "inbound.png").symlink_to(upload)
    return UploadPolicy(uploads, max_bytes=1000), upload, private


def test_an_upload_in_the_folder_is_accepted(layout):
    policy, upload, _ = layout
    assert uploaded_file({"path": str(upload)}, policy) == upload.resolve()
    assert uploaded_file({"path": str(upload), "meta": {"_type": "gradio.FileData"}}, policy) == upload.resolve()
    assert uploaded_file(None, policy) is None
    assert uploaded_file("", policy) is None


@pytest.mark.parametrize(
    "payload",
    [
        lambda up, pr: str(up),  # a bare string, even of an upload: files come as file objects
        lambda up, pr: {"path": str(pr)},
        lambda up, pr: {"path": os.path.relpath(pr)},
        lambda up, pr: {"path": f"{up.parent}/../../{pr.name}"},
        lambda up, pr: {"path": str(up.parent / "escape.png")},  # symlink out of the folder
        lambda up, pr: {"path": str(up.parent.parent)},  # the folder itself is not a file
        lambda up, pr: {"path": f"file://{up}"},
        lambda up, pr: {"path": "http://127.0.0.1/photo.png"},
        lambda up, pr: {"url": "http://127.0.0.1/photo.png"},
        lambda up, pr: {"path": None},
        lambda up, pr: ["not", "a", "file"],
    ],
)
def test_anything_else_is_refused_without_naming_a_path(layout, payload):
    policy, upload, private = layout
    with pytest.raises(UploadRefused) as refusal:
        uploaded_file(payload(upload, private), policy)
    assert str(refusal.value) == SEND_AS_UPLOAD
    assert str(private.parent) not in str(refusal.value)


def test_a_symlink_into_the_folder_is_judged_by_its_target(layout, tmp_path):
    policy, upload, _ = layout
    assert uploaded_file({"path": str(tmp_path / "inbound.png")}, policy) == upload.resolve()


def test_an_upload_over_the_cap_is_refused(layout):
    policy, upload, _ = layout
    upload.write_bytes(b"x" * 1001)
    with pytest.raises(UploadRefused, match="larger than the upload limit"):
        uploaded_file({"path": str(upload)}, policy)


def test_file_sizes_parse_with_units():
    assert parse_file_size(DEFAULT_MAX_FILE_SIZE) == 20 * 1024**2
    assert parse_file_size("500 KB") == 500 * 1024
    assert parse_file_size("7") == 7
    assert parse_file_size(1024) == 1024
    for bad in ("20 megabytes", "-1mb", "0", "", "1.5mb"):
        with pytest.raises(ValueError, match="file size"):
            parse_file_size(bad)


def test_refused_reference_looks_through_the_whole_request(layout):
    policy, upload, private = layout
    ok = {"data": [{"path": str(upload)}, {"age": 60, "region": "FACE"}, "", 1.0, ["x"]], "fn_index": 3}
    assert refused_reference(ok, policy) is None
    assert refused_reference({"data": [{"nested": [{"path": str(private)}]}]}, policy) == SEND_AS_UPLOAD
    assert refused_reference({"data": [str(private)]}, policy) == SEND_AS_UPLOAD
    assert refused_reference({"data": ["../photo.png"]}, policy) == SEND_AS_UPLOAD
    assert refused_reference({"data": [{"url": "https://example.org/x.png"}]}, policy) == SEND_AS_UPLOAD
    assert refused_reference(None, policy) is None


def test_the_middleware_refuses_before_the_app_runs(layout):
    policy, upload, private = layout
    seen = []

    async def endpoint(request):
        seen.append(await request.body())
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/gradio_api/{rest:path}", endpoint, methods=["POST"])])
    client = TestClient(UploadOnlyMiddleware(app, policy))
    refused = client.post("/gradio_api/call/predict", json={"data": [{"path": str(private)}, {}]})
    assert refused.status_code == 400 and refused.json() == {"error": SEND_AS_UPLOAD}
    too_large = client.post("/gradio_api/queue/join", content=b" " * (5 * 1024**2))
    assert too_large.status_code == 413
    assert seen == []
    accepted = client.post("/gradio_api/call/predict", json={"data": [{"path": str(upload)}, {}]})
    assert accepted.json() == {"ok": True}
    assert json.loads(seen[0]) == {"data": [{"path": str(upload)}, {}]}  # the body reaches the app unchanged
    # uploads themselves are multipart and capped by Gradio's max_file_size, not inspected here
    assert client.post("/gradio_api/upload", content=b"--multipart--").json() == {"ok": True}
