"""CPU settings for one traced forward pass of a paper-scale model: threads, channels_last, int8 linear layers and
torch.compile, each against the eager float model.

    python -m benchmarks.cpu_settings [--backbone vgg16] [--runs 6] [--json]

An untrained paper-preset model (VGG-16 by default) at 224 px, batch 1, every clinical field unknown. Settings:
threads, channels_last, int8 dynamic quantisation of the linear layers, torch.compile, and float16 / bfloat16
autocast (mixed precision: what matters is how far it moves the routing trace). Per setting:
its one-off warm-up (the first call: torch.compile compiles there), the median of `--runs` timed calls after it,
and how far the logits and the gate weights (LC-Gate and GM-Gate) move from the eager float model's. A setting is
worth keeping when it is faster and leaves the routing trace exact to float tolerance; torch.compile also has to
earn its warm-up back within the first few calls (a Space restarts cold). Results: `benchmarks/app_latency.py`.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import tempfile
import time

# torch.compile starts cold, as on a freshly started Space: a cache of its own, deleted at exit
COMPILE_CACHE = tempfile.TemporaryDirectory(prefix="inductor-")
os.environ["TORCHINDUCTOR_CACHE_DIR"] = COMPILE_CACHE.name
import torch  # noqa: E402
from torch import nn  # noqa: E402

from mhdf import MHDFConfig, MHDFNet, MHDFOutput  # noqa: E402


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default=None, help="timm backbone for the paper preset (default: its VGG-16)")
    parser.add_argument("--runs", type=int, default=6, help="timed calls per setting, after the warm-up call")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def int8_linear(model: MHDFNet) -> nn.Module:
    """Dynamic int8 quantisation of every linear layer except the GM classifier, whose weight the head reads
    directly to split the logits exactly over the experts."""
    names = {n for n, m in model.named_modules() if isinstance(m, nn.Linear) and m is not model.gm_moe.classifier}
    qconfig = torch.ao.quantization.default_dynamic_qconfig
    return torch.ao.quantization.quantize_dynamic(model, dict.fromkeys(names, qconfig), inplace=False)


def deviation(output: MHDFOutput, reference: MHDFOutput) -> dict[str, float]:
    trace, expected = output.trace, reference.trace
    lc_change, gm_change = trace.lc_gate.float() - expected.lc_gate, trace.gm_gate.float() - expected.gm_gate
    gates = torch.cat([lc_change.flatten(), gm_change.flatten()])
    return {
        "max_logit_change": float((output.logits.float() - reference.logits).abs().max()),
        "max_gate_change": float(gates.abs().max()),
    }


def main(args: argparse.Namespace) -> dict:
    overrides = {"backbone": args.backbone} if args.backbone else {}
    config = MHDFConfig.from_preset("paper", **overrides)
    torch.manual_seed(0)
    model = MHDFNet(config).eval()
    images = torch.randn(1, 3, config.image_size, config.image_size)
    metadata = model.encode_metadata([{}])
    threads = torch.get_num_threads()
    channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
    settings = {  # name: (model, images, threads, autocast dtype)
        f"eager, {threads} threads": (model, images, threads, None),
        "eager, 1 thread": (model, images, 1, None),
        "channels_last": (channels_last, images.contiguous(memory_format=torch.channels_last), threads, None),
        "int8 linear layers": (int8_linear(model), images, threads, None),
        "torch.compile": (torch.compile(model), images, threads, None),
        # the numerics of mixed precision (the same formats CUDA's autocast would use); the CPU timing is a side note
        "autocast float16": (model, images, threads, torch.float16),
        "autocast bfloat16": (model, images, threads, torch.bfloat16),
    }
    results, seconds = {}, {name: [] for name in settings}

    def call(name: str) -> MHDFOutput:
        net, pixels, num_threads, dtype = settings[name]
        torch.set_num_threads(num_threads)
        try:
            with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                return net(pixels, metadata, return_trace=True)
        finally:
            torch.set_num_threads(threads)

    with torch.inference_mode():
        reference = model(images, metadata, return_trace=True)
        for name in settings:
            started = time.perf_counter()
            output = call(name)
            results[name] = {"warmup_s": time.perf_counter() - started} | deviation(output, reference)
        for _ in range(args.runs):  # round-robin, so load from other processes hits every setting alike
            for name in settings:
                started = time.perf_counter()
                call(name)
                seconds[name].append(time.perf_counter() - started)
    for name, result in results.items():
        result["median_ms"] = statistics.median(seconds[name]) * 1000
    eager = results[f"eager, {threads} threads"]["median_ms"]
    for result in results.values():
        result["speedup"] = eager / result["median_ms"]
        saved_ms, extra_warmup_ms = eager - result["median_ms"], result["warmup_s"] * 1000 - result["median_ms"]
        # calls until the time saved pays for the warm-up beyond one call; None: it saves nothing
        result["calls_to_repay_warmup"] = max(extra_warmup_ms, 0) / saved_ms if saved_ms > 0 else None
    report = {"backbone": config.backbone, "image_size": config.image_size, "threads": threads, "settings": results}
    if args.json:
        print(json.dumps(report))
        return report
    print(f"{config.backbone} @ {config.image_size} px, batch 1, traced forward pass, median of {args.runs}")
    print(f"{'setting':22s} {'warm-up':>9s} {'median':>9s} {'speed-up':>9s} {'repaid after':>13s} "
          f"{'max |Δlogit|':>13s} {'max |Δgate|':>12s}")  # fmt: skip
    for name, r in results.items():
        repaid = "-" if r["calls_to_repay_warmup"] is None else f"{r['calls_to_repay_warmup']:.0f} calls"
        print(f"{name:22s} {r['warmup_s']:8.1f}s {r['median_ms']:7.0f}ms {r['speedup']:8.2f}x {repaid:>13s} "
              f"{r['max_logit_change']:13.1e} {r['max_gate_change']:12.1e}")  # fmt: skip
    return report


if __name__ == "__main__":
    main(get_args_parser().parse_args())
