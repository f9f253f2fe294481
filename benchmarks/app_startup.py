"""How soon the launched demo is usable, and what every new visitor or API client downloads first.

    python -m benchmarks.app_startup [--checkpoint assets/demo] [--runs 3] [--json]

Launches `python app.py` `--runs` times, one after another, and prints for each launch the seconds from starting
the process until the page answers and until `/config` answers (what the page and every gradio_client fetch
before anything works), and the server's CPU seconds until the page answered, which other work on a shared
machine disturbs less than the wall time. Then, on the last launch, the sizes of the page, `/config` and
`/gradio_api/info`, and the median time to serve `/config` over `--fetches` requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.served_app import running_app
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT

# what a new client fetches before its first call: the page (a browser), the config and the API description
FIRST_FETCHES = {"page": "/", "config": "/config", "api_info": "/gradio_api/info"}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, type=Path, help="local checkpoint to launch")
    parser.add_argument("--runs", default=3, type=int, help="launches, one after another")
    parser.add_argument("--fetches", default=20, type=int, help="timed /config requests on the last launch")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def launch(checkpoint: Path, fetches: int) -> dict:
    """One launch: seconds to the page and to /config, the server's CPU seconds; sizes and /config's serving time."""
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_app(Path(workdir), checkpoint) as app,
        httpx.Client(base_url=app.url, timeout=60) as http,
    ):
        http.get("/config").raise_for_status()
        config_answered = time.monotonic() - app.started
        sizes = {name: len(http.get(path).content) for name, path in FIRST_FETCHES.items()}
        serving = []
        for _ in range(fetches):
            started = time.perf_counter()
            http.get("/config").raise_for_status()
            serving.append(time.perf_counter() - started)
    return {
        "page_s": app.startup_seconds,
        "config_s": config_answered,
        "cpu_s": app.startup_cpu_seconds,
        "bytes": sizes,
        "config_serve_ms": statistics.median(serving) * 1000,
    }


def main(args: argparse.Namespace) -> dict:
    launches = [launch(args.checkpoint, args.fetches) for _ in range(args.runs)]
    result = {
        "launches": [{key: run[key] for key in ("page_s", "config_s", "cpu_s")} for run in launches],
        "config_s_median": statistics.median(run["config_s"] for run in launches),
        "cpu_s_median": statistics.median(run["cpu_s"] for run in launches),
        "bytes": launches[-1]["bytes"],
        "config_serve_ms": launches[-1]["config_serve_ms"],
    }
    if args.json:
        print(json.dumps(result))
        return result
    print(f"{args.checkpoint}: {args.runs} launches of app.py")
    for index, run in enumerate(launches, start=1):
        print(f"  launch {index}: page {run['page_s']:.1f} s, /config {run['config_s']:.1f} s, "
              f"server CPU {run['cpu_s']:.1f} s")  # fmt: skip
    print(f"  median: /config answers {result['config_s_median']:.1f} s after launch, "
          f"server CPU {result['cpu_s_median']:.1f} s")  # fmt: skip
    sizes = result["bytes"]
    print(f"  first fetches: page {sizes['page'] / 1024:.0f} KB, /config {sizes['config'] / 1024:.0f} KB, "
          f"/gradio_api/info {sizes['api_info'] / 1024:.0f} KB")  # fmt: skip
    print(f"  /config served in {result['config_serve_ms']:.0f} ms (median of {args.fetches})")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
