"""Batch prediction throughput and memory: `mhdf-predict --csv` on a table of N cases with the bundled checkpoint.

    python -m benchmarks.batch_predict [--rows 2000] [--batch-size 32] [--device cpu] [--threads N]

Writes N rows (the bundled examples' photos and records, in turn, each row under its own file name) to a temporary
folder, runs `BatchPredictor.predict_csv` over them in this process, and prints rows per second and the peak
resident set size (Linux VmHWM) before and after the run. Run it with two values of --rows to see that memory does
not grow with the table: the input is read, and the output written, one batch at a time.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from mhdf.inference import Predictor
from mhdf.inference.batch import BatchPredictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_examples


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_cases(folder: Path, predictor: Predictor, rows: int) -> Path:
    """`rows` cases cycling over the bundled examples; each photo is a hard link under its own name."""
    examples = read_examples(DEFAULT_CHECKPOINT, predictor.schema)
    images = folder / "images"
    images.mkdir()
    table = []
    for index in range(rows):
        example = examples[index % len(examples)]
        name = f"case_{index:06d}{example.image.suffix}"
        (images / name).hardlink_to(example.image)
        table.append({"image": name, "case_id": index, **example.metadata})
    pd.DataFrame(table).fillna("").to_csv(folder / "cases.csv", index=False)
    return folder / "cases.csv"


def main(args: argparse.Namespace) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    predictor = Predictor.from_pretrained(args.checkpoint, device=args.device)
    with tempfile.TemporaryDirectory(prefix="mhdf-batch-") as scratch:
        folder = Path(scratch)
        cases = write_cases(folder, predictor, args.rows)
        batch = BatchPredictor(predictor, folder / "images")
        batch.predict_rows(pd.read_csv(cases, dtype=str, keep_default_na=False, nrows=args.batch_size))  # warm-up
        before = peak_rss_mib()
        started = time.perf_counter()
        summary = batch.predict_csv(cases, folder / "predictions.csv", args.batch_size)
        seconds = time.perf_counter() - started
    print(
        f"{summary.written} rows ({summary.failed} errors) in {seconds:.1f} s on {predictor.device}, batch "
        f"{args.batch_size}, {torch.get_num_threads()} threads: {summary.written / seconds:.1f} rows/s; "
        f"peak RSS {before:.0f} MiB after loading and one batch, {peak_rss_mib():.0f} MiB after all rows"
    )


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Batch prediction throughput and peak memory")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="PyTorch CPU threads (default: PyTorch's)")
    return parser


if __name__ == "__main__":
    main(get_args_parser().parse_args())
