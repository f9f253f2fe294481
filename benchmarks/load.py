"""Many simultaneous `/predict` clients against the launched demo, local only and bounded.

    python -m benchmarks.load [--clients 100] [--gradio-client] [--checkpoint assets/demo] [--json]

Launches `python app.py` on a free loopback port (or uses `--url`), uploads one example photo, then starts
`--clients` raw-HTTP clients at once, each calling `POST /gradio_api/call/predict` and reading its event stream
(`--timeout` seconds at most). With `--gradio-client`, each client is instead a new `gradio_client.Client`, as a
program that connects for one call: it fetches `/config` and `/gradio_api/info` (gradio_client gives each of those
5 seconds), uploads the photo and calls `/predict`. Prints how many were served, how many were refused with the
queue's busy message, how many failed otherwise, the p50 and the slowest wait, and whether the server still
answers afterwards.

The app runs 2 forward passes at a time and queues up to `app.QUEUE_SIZE` more; past that capacity a client is
refused at once with Gradio's "Queue is full! Please try again." instead of hanging.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

from benchmarks.served_app import running_app
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_config, read_examples
from mhdf.metadata import MetadataSchema

BUSY = "Queue is full"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default=100, type=int, help="simultaneous clients")
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, type=Path, help="local checkpoint to launch")
    parser.add_argument("--url", default=None, help="an app already running on this machine (loopback only)")
    parser.add_argument("--timeout", default=120.0, type=float, help="seconds a client waits at most")
    parser.add_argument("--gradio-client", action="store_true", help="each client a new gradio_client.Client")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def one_client(url: str, photo: dict, metadata: dict, timeout: float) -> tuple[str, float]:
    """-> ("served" | "busy" | "failed: ...", seconds until the answer)."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=timeout) as http:
        try:
            response = http.post("/gradio_api/call/predict", json={"data": [photo, metadata]})
            if response.status_code != 200:
                outcome = "busy" if BUSY in response.text else f"failed: HTTP {response.status_code}"
                return outcome, time.perf_counter() - started
            stream = http.get(f"/gradio_api/call/predict/{response.json()['event_id']}").text
        except httpx.HTTPError as error:
            return f"failed: {type(error).__name__}", time.perf_counter() - started
    if "event: complete" in stream:
        return "served", time.perf_counter() - started
    return ("busy" if BUSY in stream else f"failed: {stream[:120]!r}"), time.perf_counter() - started


def failed_request(error: Exception) -> str:
    """Where `error` happened: " on /path" when an HTTP request raised it, else an empty string."""
    try:
        return f" on {error.request.url.path}" if isinstance(error, httpx.HTTPError) else ""
    except RuntimeError:  # an httpx error raised outside a request carries none
        return ""


def one_gradio_client(url: str, photo: Path, metadata: dict, timeout: float) -> tuple[str, float]:
    """A new gradio_client.Client calling /predict once -> ("served" | "busy" | "failed: ...", seconds until the
    answer; closing the client, which waits up to a second for its heartbeat thread, is not counted)."""
    started = time.perf_counter()
    client = None
    try:
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        job = client.submit(image=handle_file(str(photo)), metadata=metadata, api_name="/predict")
        job.result(timeout=timeout)
        outcome = "served"
    except Exception as error:  # whatever stops a client is counted, by its kind and request, never raised
        outcome = "busy" if BUSY in str(error) else f"failed: {type(error).__name__}{failed_request(error)}"
    answered = time.perf_counter() - started
    if client is not None:
        client.close()
    return outcome, answered


def hammer(url: str, clients: int, timeout: float, checkpoint: Path, gradio_client: bool = False) -> dict:
    schema = MetadataSchema.from_dict(read_config(checkpoint)["metadata_schema"])
    example = read_examples(checkpoint, schema)[0]
    with httpx.Client(base_url=url, timeout=60) as http:
        files = {"files": (example.image.name, example.image.read_bytes(), "image/png")}
        (uploaded,) = http.post("/gradio_api/upload", files=files).json()
    photo = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}

    def call(_: int) -> tuple[str, float]:
        if gradio_client:
            return one_gradio_client(url, example.image, example.metadata, timeout)
        return one_client(url, photo, example.metadata, timeout)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(call, range(clients)))
    served = [seconds for outcome, seconds in results if outcome == "served"]
    failures = sorted({outcome for outcome, _ in results if outcome.startswith("failed")})
    after, _ = one_client(url, photo, example.metadata, timeout)
    return {
        "clients": clients,
        "gradio_client": gradio_client,
        "served": len(served),
        "refused_busy": sum(outcome == "busy" for outcome, _ in results),
        "failed": sum(outcome.startswith("failed") for outcome, _ in results),
        "failures": failures,
        "p50_s": statistics.median(served) if served else None,
        "max_s": max(served) if served else None,
        "serving_afterwards": after == "served",
    }


def main(args: argparse.Namespace) -> dict:
    if args.url is not None:
        if httpx.URL(args.url).host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("error: --url must be a loopback address; this script never loads a remote server")
        result = hammer(args.url, args.clients, args.timeout, args.checkpoint, args.gradio_client)
    else:
        with tempfile.TemporaryDirectory() as workdir, running_app(Path(workdir), args.checkpoint) as app:
            result = hammer(app.url, args.clients, args.timeout, args.checkpoint, args.gradio_client)
    if args.json:
        print(json.dumps(result))
    else:
        p50 = "n/a" if result["p50_s"] is None else f"{result['p50_s']:.1f} s"
        slowest = "n/a" if result["max_s"] is None else f"{result['max_s']:.1f} s"
        print(
            f"{result['clients']} simultaneous {'new gradio_client' if args.gradio_client else 'raw-HTTP'} /predict "
            f"clients: {result['served']} served, "
            f"{result['refused_busy']} refused as busy, {result['failed']} failed; p50 {p50}, slowest {slowest}; "
            f"server {'still serving' if result['serving_afterwards'] else 'NOT SERVING'} afterwards"
        )
        for failure in result["failures"]:
            print(f"  {failure}")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
