"""How long a similar-case search takes, and that the first paint of Diagnose does not wait for it.

    python -m benchmarks.similar_cases [--checkpoint assets/demo] [--repeats 200] [--threads 1] [--json]

Times, on the checkpoint's own index (`similar_cases.safetensors`) with every example case as the query:

* `load_ms`: reading the index at start-up;
* `query_<by>_ms`: one search, excluding the forward pass Diagnose already made (`SimilarCaseIndex.query`, k = 6);
* `view_<by>_ms`: what the app's similar-case request does, the search plus its HTML with the thumbnails;
* `first_paint_ms`: Diagnose's first yield (one forward pass and every routing view, with the case's signature),
  and `searches_before_first_paint`, counted: 0, since the app searches in its own request once that yield has
  reached the browser.

Target (2-core CPU, bundled index): a query at most 50 ms. Medians over `--repeats` rounds; p95 for the queries.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mhdf.app.form import form_from_record
from mhdf.app.session import DemoSession, SessionParts
from mhdf.app.uploads import UploadPolicy
from mhdf.app.views import SIMILAR_QUERY
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, SIMILAR_CASES_NAME, read_examples, read_similar_cases
from mhdf.inference.similar import SIMILARITY

QUERY_TARGET_MS = 50.0


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT, help="a checkpoint with an index")
    parser.add_argument("--repeats", type=int, default=200, help="timed rounds of each search")
    parser.add_argument("--paints", type=int, default=5, help="timed first paints of each example case")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def timed_ms(call: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(args: argparse.Namespace) -> dict[str, float]:
    if args.threads:
        torch.set_num_threads(args.threads)
    index_path = args.checkpoint / SIMILAR_CASES_NAME
    load = timed_ms(lambda: read_similar_cases(args.checkpoint), 5)
    index = read_similar_cases(args.checkpoint)
    if index is None:
        raise SystemExit(f"error: {args.checkpoint} has no {SIMILAR_CASES_NAME}")
    predictor = Predictor.from_pretrained(args.checkpoint, device="cpu")
    examples = read_examples(args.checkpoint, predictor.schema)
    signatures = [predictor.predict(e.image, e.metadata).case_signature() for e in examples]
    results: dict[str, float] = {
        "cases": len(index),
        "index_bytes": index_path.stat().st_size,
        "load_ms": statistics.median(load),
    }
    with tempfile.TemporaryDirectory() as uploads:
        policy = UploadPolicy(Path(uploads), 20 * 2**20)
        with_index = DemoSession(SessionParts(predictor, policy, examples=examples, similar_index=index))
        for by in SIMILARITY:
            queries = [timed_ms(lambda s=s, by=by: index.query(s, by), args.repeats) for s in signatures]
            times = np.concatenate(queries)
            results[f"query_{by}_ms"] = float(np.median(times))
            results[f"query_{by}_p95_ms"] = float(np.percentile(times, 95))
            views = [s.to_dict() for s in signatures]
            view_times = [timed_ms(lambda v=v, by=by: with_index.similar_view(v, by), args.repeats // 4) for v in views]
            results[f"view_{by}_ms"] = float(np.median(np.concatenate(view_times)))
        results["first_paint_ms"], results["searches_before_first_paint"] = first_paint(with_index, args.paints)
    return results


def first_paint(session: DemoSession, repeats: int) -> tuple[float, int]:
    """Median ms from Diagnose to its first yield for each example case (uploaded as the browser would), and how
    many similar-case searches ran before it: none, since the search is its own request."""
    searches = []
    query = session.similar_index.query
    session.similar_index.query = lambda *a, **k: searches.append(1) or query(*a, **k)
    times = []
    try:
        for example in session.examples:
            photo = session.uploads.folder / example.image.name
            shutil.copyfile(example.image, photo)
            form = form_from_record(session.schema, example.metadata)
            for _ in range(repeats):
                with torch.inference_mode():
                    start = time.perf_counter()
                    first = next(session.diagnose({"path": str(photo)}, *form))
                    times.append((time.perf_counter() - start) * 1000)
                assert first[session.view_names.index(SIMILAR_QUERY)] is not None
    finally:
        del session.similar_index.query
    return statistics.median(times), len(searches)


def print_table(results: dict[str, float]) -> None:
    size = results["index_bytes"] / 2**20
    print(f"{results['cases']:.0f} cases, {size:.2f} MB, loaded in {results['load_ms']:.1f} ms")
    for by in SIMILARITY:
        print(
            f"by {by:<8}: query {results[f'query_{by}_ms']:.3f} ms (p95 {results[f'query_{by}_p95_ms']:.3f} ms, "
            f"target <= {QUERY_TARGET_MS:.0f}), with its HTML {results[f'view_{by}_ms']:.2f} ms"
        )
    print(
        f"first paint of Diagnose: {results['first_paint_ms']:.0f} ms, with "
        f"{results['searches_before_first_paint']:.0f} similar-case searches before it"
    )


if __name__ == "__main__":
    arguments = get_args_parser().parse_args()
    measured = main(arguments)
    print(json.dumps(measured, indent=2) if arguments.json else "", end="")
    if not arguments.json:
        print_table(measured)
