"""The launched demo under attack over raw HTTP: no endpoint opens a file that was not uploaded to it, fetches a
URL a request names, or accepts an oversized upload, and legitimate uploads keep working throughout.

The server runs with a Python audit hook (`sitecustomize.py` on its PYTHONPATH) that records every `open` of the
private image, by name or through a symlink, so each test can assert that the file was never opened."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.helpers import ROOT, SYNTHETIC_CHECKPOINT, running_app

pytestmark = pytest.mark.slow

MARKER = "private-lesion-5c1e"  # part of the private image's name; the audit hook looks for it
MAX_FILE_SIZE_MB = 2
AUDIT_HOOK = """
import os
import sys

_LOG = os.environ["MHDF_TEST_OPEN_LOG"]
_MARKER = os.environ["MHDF_TEST_OPEN_MARKER"]


def _record_opens_of_the_private_file(event, args):
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(args[0])
    if _MARKER in path or _MARKER in os.path.realpath(path):
        with open(_LOG, "a") as log:
            log.write(path + "\\n")


sys.addaudithook(_record_opens_of_the_private_file)
"""


class RecordingHandler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        RecordingHandler.requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def loopback_server():
    """A local HTTP server that records every request; a URL on it must never be fetched."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    """A private image in a folder of the server's own (a valid PNG, so opening it would give a result), and a
    symlink to it in another folder."""
    folder = tmp_path_factory.mktemp("server_private")
    image = folder / f"{MARKER}.png"
    image.write_bytes((SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png").read_bytes())
    link_folder = tmp_path_factory.mktemp("elsewhere")
    (link_folder / "holiday.png").symlink_to(image)
    return image, link_folder / "holiday.png"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("secure_app")
    hook_dir = workdir / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK)
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook_dir), os.environ.get("PYTHONPATH")])),
        "MHDF_TEST_OPEN_LOG": str(workdir / "opened.log"),
        "MHDF_TEST_OPEN_MARKER": MARKER,
    }
    with running_app(workdir, extra_env=env, extra_args=["--max-file-size", f"{MAX_FILE_SIZE_MB}mb"]) as app:
        app.opened_log = workdir / "opened.log"
        app.uploads = workdir / "uploads"
        yield app


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def demo_inputs(predictor, examples):
    return len(predictor.schema.fields), predictor.config.num_fused_stages, examples[0]


def endpoint_arguments(endpoint: str, image, demo_inputs) -> list:
    """The positional arguments of each endpoint with `image` as its photo and an empty form."""
    num_fields, num_stages, example = demo_inputs
    form = [""] * num_fields
    if endpoint == "predict":
        return [image, {}]
    if endpoint == "similar":
        return [image, {}, "routing", 6]
    if endpoint in ("diagnose", "report"):
        return [image, *form]
    if endpoint == "intervene":
        return [image, [], -1, 1.0, False, *["model's choice"] * num_stages, *form]
    assert endpoint == "compare"  # the current case against an example, which the server loads by name
    return ["Current case (photo and form of the Diagnose tab)", example.title, image, *form]


def call(http: httpx.Client, endpoint: str, arguments: list) -> tuple[str, str]:
    """POST /gradio_api/call/<endpoint>, then read its event stream -> ("complete" | "error" | "refused", text)."""
    response = http.post(f"/gradio_api/call/{endpoint}", json={"data": arguments})
    if response.status_code != 200:
        return "refused", response.text
    event_id = response.json()["event_id"]
    stream = http.get(f"/gradio_api/call/{endpoint}/{event_id}").text
    outcome = "complete" if "event: complete" in stream else "error" if "event: error" in stream else stream
    return outcome, stream


def upload(http: httpx.Client, name: str, content: bytes) -> httpx.Response:
    return http.post("/gradio_api/upload", files={"files": (name, content, "image/png")})


def hostile_payloads(image: Path, link: Path, uploads: Path, url: str) -> dict[str, object]:
    """Every shape of a request that names a server file or a URL instead of uploading."""
    file_data = {"_type": "gradio.FileData"}
    return {
        "plain string path": str(image),
        "path object": {"path": str(image)},
        "path object with FileData meta": {"path": str(image), "meta": file_data},
        "path with a url": {"path": str(image), "url": f"{url}/{MARKER}.png"},
        "relative traversal from the server's folder": {"path": os.path.relpath(image, ROOT)},
        "traversal out of the upload folder": {"path": f"{uploads}/{os.path.relpath(image, uploads)}"},
        "traversal out of the upload folder with meta": {
            "path": f"{uploads}/{os.path.relpath(image, uploads)}",
            "meta": file_data,
        },
        "URL-encoded absolute path": {"path": quote(str(image), safe="")},
        "URL-encoded relative traversal": {"path": quote(os.path.relpath(image, ROOT), safe="")},
        "file:// URL": {"path": f"file://{image}"},
        "symlink in another folder": {"path": str(link)},
        "symlink in another folder with meta": {"path": str(link), "meta": file_data},
        "url only": {"url": f"{url}/{MARKER}.png", "meta": file_data},
        "http URL as the path": {"path": f"{url}/{MARKER}.png", "meta": file_data},
        "http URL as a plain string": f"{url}/{MARKER}.png",
    }


@pytest.mark.parametrize("endpoint", ["predict", "similar", "diagnose", "intervene", "compare", "report"])
def test_endpoints_open_only_uploaded_files(endpoint, server, http, private, loopback_server, demo_inputs):
    image, link = private
    payloads = hostile_payloads(image, link, server.uploads, loopback_server)
    for shape, payload in payloads.items():
        outcome, text = call(http, endpoint, endpoint_arguments(endpoint, payload, demo_inputs))
        assert outcome in ("refused", "error"), f"{shape}: {text[:300]}"
        assert "send the photo as an uploaded file" in text, f"{shape}: {text[:300]}"
        assert str(image.parent) not in text and str(server.uploads) not in text, f"{shape} names a server path"
    assert not server.opened_log.exists(), f"the private image was opened: {server.opened_log.read_text()}"
    assert RecordingHandler.requests == [], "the server fetched a URL that a request named"

    # a legitimate upload of the same picture works in the same session
    (uploaded,) = upload(http, "lesion.png", image.read_bytes()).json()
    legitimate = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    outcome, text = call(http, endpoint, endpoint_arguments(endpoint, legitimate, demo_inputs))
    assert outcome == "complete", text[:500]


def test_a_symlink_inside_the_upload_folder_is_followed_and_refused(server, http, private, demo_inputs):
    image, _ = private
    planted = server.uploads / "planted" / "photo.png"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.symlink_to(image)
    for payload in ({"path": str(planted)}, {"path": str(planted), "meta": {"_type": "gradio.FileData"}}):
        outcome, text = call(http, "predict", endpoint_arguments("predict", payload, demo_inputs))
        assert outcome in ("refused", "error") and "send the photo as an uploaded file" in text, text[:300]
    assert not server.opened_log.exists(), f"the private image was opened: {server.opened_log.read_text()}"


def test_an_oversized_upload_is_refused_and_the_server_keeps_serving(server, http, demo_inputs):
    small_png = (SYNTHETIC_CHECKPOINT / "examples" / "nev_1.png").read_bytes()
    padded = small_png + b"\0" * (MAX_FILE_SIZE_MB * 1024**2 + 1)
    response = upload(http, "huge.png", padded)
    assert response.status_code == 413
    assert "maximum allowed size" in response.text
    assert not any(path.stat().st_size > MAX_FILE_SIZE_MB * 1024**2 for path in server.uploads.rglob("*.png"))

    (uploaded,) = upload(http, "lesion.png", small_png).json()
    legitimate = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    outcome, text = call(http, "predict", endpoint_arguments("predict", legitimate, demo_inputs))
    assert outcome == "complete", text[:500]
    assert json.loads(text.split("data: ", 1)[1])[0]["model"]["synthetic"] is True


def test_an_oversized_request_body_is_refused_unread(server, http):
    response = http.post("/gradio_api/call/predict", content=b"[" + b"0," * (3 * 1024**2) + b"0]")
    assert response.status_code == 413
    assert "uploaded file" in response.json()["error"]
