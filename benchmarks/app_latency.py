"""Latency of the launched demo through gradio_client: `/predict` and the full Diagnose event (every view).

    python benchmarks/app_latency.py [--checkpoint assets/demo] [--runs 30] [--json]

Launches `python app.py` in a subprocess, waits until it serves (startup time), then calls each endpoint
`--runs` times in turn on the checkpoint's example cases, after `--warmup` calls each. Client-side wall time per
call; the Diagnose event's output images are not downloaded (a browser fetches them in parallel, after the
event). Prints p50/p95 per endpoint and the server's peak RSS.
Targets (2-core CPU): startup <= 15 s; /predict p50 <= 250 ms; full UI event p50 <= 800 ms; peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_server import running_app  # noqa: E402
from mhdf.checkpoint import read_config, read_examples  # noqa: E402
from mhdf.form import form_from_record  # noqa: E402
from mhdf.metadata import MetadataSchema  # noqa: E402

TARGETS = {"startup_s": 15.0, "predict_p50_ms": 250.0, "diagnose_p50_ms": 800.0, "peak_rss_gb": 1.5}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "assets" / "demo"), type=Path, help="local checkpoint")
    parser.add_argument("--runs", default=30, type=int, help="timed calls per endpoint")
    parser.add_argument("--warmup", default=3, type=int, help="untimed calls per endpoint first")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def percentiles(seconds: list[float]) -> dict[str, float]:
    milliseconds = np.asarray(seconds) * 1000
    return {"p50_ms": float(np.percentile(milliseconds, 50)), "p95_ms": float(np.percentile(milliseconds, 95))}


def time_calls(call, cases: list, runs: int, warmup: int) -> list[float]:
    for index in range(warmup):
        call(cases[index % len(cases)])
    seconds = []
    for index in range(runs):
        started = time.perf_counter()
        call(cases[index % len(cases)])
        seconds.append(time.perf_counter() - started)
    return seconds


def main(args: argparse.Namespace) -> dict:
    schema = MetadataSchema.from_dict(read_config(args.checkpoint)["metadata_schema"])
    examples = read_examples(args.checkpoint, schema)
    if not examples:
        raise SystemExit(f"{args.checkpoint} has no examples/ to call the app with")
    with tempfile.TemporaryDirectory() as workdir, running_app(Path(workdir), args.checkpoint) as app:
        client = Client(app.url, verbose=False, download_files=False)
        predict = time_calls(
            lambda case: client.predict(
                image=handle_file(str(case.image)), metadata=case.metadata, api_name="/predict"
            ),
            examples,
            args.runs,
            args.warmup,
        )
        diagnose = time_calls(
            lambda case: client.predict(
                handle_file(str(case.image)), *form_from_record(schema, case.metadata), api_name="/diagnose"
            ),
            examples,
            args.runs,
            args.warmup,
        )
        result = {
            "startup_s": app.startup_seconds,
            **{f"predict_{k}": v for k, v in percentiles(predict).items()},
            **{f"diagnose_{k}": v for k, v in percentiles(diagnose).items()},
            "peak_rss_gb": app.peak_rss_bytes() / 1e9,
            "runs": args.runs,
        }
    if args.json:
        print(json.dumps(result))
        return result
    rows = [
        ("startup", f"{result['startup_s']:.1f} s", "", TARGETS["startup_s"] >= result["startup_s"], "<= 15 s"),
        ("/predict", f"{result['predict_p50_ms']:.0f} ms", f"{result['predict_p95_ms']:.0f} ms",
         TARGETS["predict_p50_ms"] >= result["predict_p50_ms"], "p50 <= 250 ms"),
        ("Diagnose (full UI event)", f"{result['diagnose_p50_ms']:.0f} ms", f"{result['diagnose_p95_ms']:.0f} ms",
         TARGETS["diagnose_p50_ms"] >= result["diagnose_p50_ms"], "p50 <= 800 ms"),
        ("peak RSS (server)", f"{result['peak_rss_gb']:.2f} GB", "", TARGETS["peak_rss_gb"] >= result["peak_rss_gb"],
         "<= 1.5 GB"),
    ]  # fmt: skip
    print(f"{'':26}{'p50 / value':>14}{'p95':>10}   target")
    for name, value, p95, met, target in rows:
        print(f"{name:26}{value:>14}{p95:>10}   {target} {'ok' if met else 'MISSED'}")
    print(f"({args.runs} timed calls per endpoint; mean /predict {statistics.mean(predict) * 1000:.0f} ms)")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
