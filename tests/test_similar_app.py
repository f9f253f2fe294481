"""`/similar` on the running demo: through gradio_client and raw HTTP, its thumbnails downloadable, hostile input
refused with a one-line reason, and the app serving on afterwards."""

import io
import json
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from mhdf.inference.checkpoint import read_similar_cases
from mhdf.inference.similar import DEFAULT_NEIGHBOURS

pytestmark = pytest.mark.slow
KEYS = {"case", "true_class", "prediction", "distance", "gm_gate", "thumbnail"}


@pytest.fixture(scope="module")
def client(demo_app):
    return Client(demo_app.url, verbose=False, download_files=str(demo_app.log.parent / "similar-downloads"))


@pytest.fixture(scope="module")
def http(demo_app):
    with httpx.Client(base_url=demo_app.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def index(demo_app):
    return read_similar_cases(demo_app.checkpoint)


def expected_cases(predictor, index, example, by, k):
    signature = predictor.predict(example.image, example.metadata).case_signature()
    return [n.case for n in index.query(signature, by, k).neighbours]


@pytest.mark.parametrize("by", ["routing", "features"])
def test_similar_through_gradio_client_downloads_every_thumbnail(client, demo_app, predictor, index, examples, by):
    downloads = demo_app.log.parent / "similar-downloads"
    example = examples[2]
    document = client.predict(
        image=handle_file(str(example.image)), metadata=example.metadata, by=by, k=5, api_name="/similar"
    )
    assert document["by"] == by and len(document["neighbours"]) == 5
    assert [n["case"] for n in document["neighbours"]] == expected_cases(predictor, index, example, by, 5)
    distances = [n["distance"] for n in document["neighbours"]]
    assert distances == sorted(distances) and distances[0] < 1e-3  # the example is a held-out case itself
    for neighbour in document["neighbours"]:
        assert set(neighbour) == KEYS and neighbour["true_class"] in predictor.config.class_names
        assert len(neighbour["gm_gate"]) == predictor.config.experts
        downloaded = Path(neighbour["thumbnail"])  # gradio_client downloads the file and gives its local path
        assert downloaded.is_relative_to(downloads)
        with Image.open(downloaded) as thumbnail:
            assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 96


def test_similar_defaults_to_six_cases_by_routing(client, predictor, index, examples):
    example = examples[0]
    document = client.predict(image=handle_file(str(example.image)), metadata=example.metadata, api_name="/similar")
    assert document["by"] == "routing"
    assert [n["case"] for n in document["neighbours"]] == expected_cases(
        predictor, index, example, "routing", DEFAULT_NEIGHBOURS
    )


def call(http: httpx.Client, arguments: list) -> tuple[str, object]:
    """POST /gradio_api/call/similar and read its event stream -> ("complete", data), ("error", message), or
    ("refused", message) when the request is turned away before it is queued (a path instead of an upload)."""
    response = http.post("/gradio_api/call/similar", json={"data": arguments})
    if response.status_code != 200:
        return "refused", response.text
    stream = http.get(f"/gradio_api/call/similar/{response.json()['event_id']}").text
    event = "complete" if "event: complete" in stream else "error"
    data = stream.split("event: error\ndata:", 1)[-1] if event == "error" else stream.split("data: ", 1)[1]
    return event, json.loads(data) if event == "complete" else data


def test_similar_over_raw_http_with_thumbnails_from_the_file_route(http, predictor, index, examples):
    example = examples[3]
    (uploaded,) = http.post(
        "/gradio_api/upload", files={"files": ("lesion.png", example.image.read_bytes(), "image/png")}
    ).json()
    photo = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    event, data = call(http, [photo, example.metadata, "features", 3])
    assert event == "complete", data
    (document,) = data
    assert [n["case"] for n in document["neighbours"]] == expected_cases(predictor, index, example, "features", 3)
    for neighbour in document["neighbours"]:
        response = http.get(neighbour["thumbnail"]["url"])
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(response.content)).size == (96, 96)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["PHOTO", {}, "distance", 6], "routing or features"),
        (["PHOTO", {}, "routing", 0], "whole number"),
        (["PHOTO", {}, "routing", 10_000], "whole number"),
        (["PHOTO", {}, "routing", "6; DROP TABLE"], "whole number"),
        (["PHOTO", {}, ["routing"], 6], "routing or features"),
        (["PHOTO", "age=60", "routing", 6], "metadata must be a JSON object"),
        (["PHOTO", {"age": -4}, "routing", 6], "age"),
        ([None, {}, "routing", 6], "no image"),
        (["/etc/passwd", {}, "routing", 6], "send the photo as an uploaded file"),
    ],
)
def test_hostile_input_gets_a_one_line_error_and_the_app_keeps_serving(client, http, examples, arguments, message):
    example = examples[0]
    (uploaded,) = http.post(
        "/gradio_api/upload", files={"files": ("lesion.png", example.image.read_bytes(), "image/png")}
    ).json()
    photo = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    event, text = call(http, [photo if a == "PHOTO" else a for a in arguments])
    assert event in ("error", "refused") and message in text and "Traceback" not in text
    # gradio_client: the same one-line error, or the same refusal (HTTP 400) for a path in place of an upload
    with pytest.raises(AppError, match=message) if event == "error" else pytest.raises(httpx.HTTPStatusError):
        client.predict(*[handle_file(str(example.image)) if a == "PHOTO" else a for a in arguments],
                       api_name="/similar")  # fmt: skip
    document = client.predict(image=handle_file(str(example.image)), metadata={}, k=1, api_name="/similar")
    assert len(document["neighbours"]) == 1
