"""CPU latency of the bare timm backbone vs MHDF-Net without and with the routing trace.

    python -m benchmarks.latency [--backbone resnet18] [--image-size 224] [--json]

The three are timed round-robin (backbone, model, traced model, backbone, ...) so that load from other
processes hits all three alike and the ratios stay meaningful on a shared machine.
Targets (2-core CPU, 224x224): model <= 1.3x backbone at batch 1; the trace adds <= 10%.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from mhdf import MHDFConfig, MHDFNet


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default: 60 at batch 1, 8 above)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def median_ms_round_robin(calls: dict, repeats: int, warmup: int = 3) -> dict[str, float]:
    times = {name: [] for name in calls}
    for round_index in range(warmup + repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            if round_index >= warmup:
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main(args: argparse.Namespace) -> dict[str, float]:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = MHDFConfig(backbone=args.backbone, image_size=args.image_size)
    model = MHDFNet(config).eval()
    results: dict[str, float] = {}
    for batch in args.batch_sizes:
        images = torch.randn(batch, 3, args.image_size, args.image_size)
        records = [{"age": 60, "region": "FACE", "itch": "True", "diameter_1": 8.0}] * batch
        metadata = model.encode_metadata(records)
        repeats = args.repeats or (60 if batch == 1 else 8)
        with torch.inference_mode():
            timings = median_ms_round_robin(
                {
                    "backbone": lambda x=images: model.backbone(x),
                    "model": lambda x=images, m=metadata: model(x, m),
                    "trace": lambda x=images, m=metadata: model(x, m, return_trace=True),
                },
                repeats,
            )
        suffix = f"_b{batch}"
        results["backbone_ms" + suffix] = timings["backbone"]
        results["model_ms" + suffix] = timings["model"]
        results["trace_ms" + suffix] = timings["trace"]
        results["ratio" + suffix] = timings["model"] / timings["backbone"]
        results["trace_ratio" + suffix] = timings["trace"] / timings["model"]
    if args.json:
        print(json.dumps({k: round(v, 4) for k, v in results.items()}))
    else:
        print(f"{args.backbone} @ {args.image_size}x{args.image_size}, {torch.get_num_threads()} threads")
        print(f"{'batch':>5} {'backbone ms':>12} {'model ms':>9} {'trace ms':>9} {'model/bb':>9} {'trace/model':>12}")
        for batch in args.batch_sizes:
            s = f"_b{batch}"
            print(
                f"{batch:>5} {results['backbone_ms' + s]:>12.1f} {results['model_ms' + s]:>9.1f} "
                f"{results['trace_ms' + s]:>9.1f} {results['ratio' + s]:>9.3f} {results['trace_ratio' + s]:>12.3f}"
            )
    return results


if __name__ == "__main__":
    main(get_args_parser().parse_args())
