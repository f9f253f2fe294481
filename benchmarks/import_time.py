"""How long `import mhdf` takes next to `import torch, timm`, each in a fresh interpreter (the target: at most
1.3 times as long, so the core adds little to the libraries it is built on).

    python -m benchmarks.import_time [--runs 7] [--json]

Prints the median wall time of each statement over `--runs` fresh interpreters, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

STATEMENTS = {
    "torch_timm": "import torch, timm",
    "mhdf": "import mhdf",
    "mhdf_inference": "from mhdf.inference import Predictor",
}
TARGET = 1.3


def import_seconds(statement: str, runs: int) -> float:
    """Median wall time of a fresh interpreter that runs `statement`, minus that of an empty one."""

    def timed(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    timed(statement)  # warm the file cache
    empty = statistics.median(timed("pass") for _ in range(runs))
    return statistics.median(timed(statement) for _ in range(runs)) - empty


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Import time of the mhdf core against torch + timm")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    return parser


def main(args: argparse.Namespace) -> None:
    seconds = {name: import_seconds(statement, args.runs) for name, statement in STATEMENTS.items()}
    ratio = seconds["mhdf"] / seconds["torch_timm"]
    result = {"seconds": seconds, "ratio_mhdf_to_torch_timm": ratio, "target": TARGET, "met": ratio <= TARGET}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name, statement in STATEMENTS.items():
        print(f"{statement:<40} {seconds[name]:.3f} s")
    verdict = "met" if result["met"] else "MISSED"
    print(f"import mhdf / import torch, timm = {ratio:.2f} (target <= {TARGET}: {verdict})")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
