"""Latency of the launched demo through gradio_client: `/predict`, the first paint of Diagnose and the full Diagnose.

    python -m benchmarks.app_latency [--checkpoint assets/demo] [--runs 20] [--json]
    python -m benchmarks.app_latency --preset paper [--backbone resnet50] [--json]

Launches `python app.py` in a subprocess, waits until it serves (startup time), then calls each endpoint `--runs`
times after `--warmup` calls. With `--preset`, the app serves an untrained checkpoint of that shape (e.g. VGG-16
at 224 px), saved in a temporary folder with the bundled example photos, so nothing is downloaded. Every call
sends a clinical record with every field filled.

* `/predict`: one forward pass and its JSON.
* first paint: from submitting Diagnose until its first streamed output arrives (the probabilities and every
  routing view); Diagnose: until its last output (Grad-CAM and the modality comparison too). Client-side wall time;
  the output images are not downloaded (a browser fetches them in parallel).
* model work: the same Diagnose computed in this process without figures or Gradio (`mhdf.inference.explain`).
* the server's peak RSS.

`--json` prints one object with `predict_p50_ms`, `first_paint_p50_ms`, `diagnose_p50_ms`, `peak_rss_gb`,
`first_paint_ratio` and `diagnose_ratio` (both over the `/predict` p50), and more.
Targets on a 2-core CPU (issue "paper-scale checkpoint"): first paint <= 1.5x and Diagnose <= 5x `/predict`.

CPU settings tried, with `benchmarks/cpu_settings.py` (untrained paper-preset models, one traced forward pass at
224 px, batch 1, median of 8 round-robin calls; 2-core CPU; torch.compile from a cold cache):

| setting | VGG-16 | ResNet-50 | largest change of a logit / gate weight | kept |
| --- | --- | --- | --- | --- |
| eager, 2 threads (PyTorch's default here) | 183 ms | 87 ms | 0 | yes |
| eager, 1 thread | 357 ms | 124 ms | 0 | no |
| channels_last | 155 ms (1.18x) | 82 ms (1.06x) | 4e-8 / 1e-7 | yes |
| int8 dynamic quantisation of the linear layers | 189 ms | 89 ms | 1e-3 / 4e-3 | no |
| torch.compile (inductor) | 158 ms (1.16x), 33 s warm-up | 93 ms (0.93x), 40 s warm-up | 7e-8 / 2e-7 | no |
| autocast bfloat16 | 108 ms (1.69x) | 66 ms (1.30x) | 6e-4 / 2e-3 | no |
| autocast float16 | 12.5 s (no fast CPU kernels) | 2.4 s | 5e-5 / 2e-4 | no |

channels_last is kept (`mhdf.inference.Predictor` converts the weights; the bundled MobileNetV3 gains 9 % too).
Quantising the linear layers saves nothing (they hold 4-7 % of the weights; convolutions dominate) and moves the
gate weights by up to 0.004. torch.compile repays its warm-up only after ~1,300 calls on VGG-16 and slows
ResNet-50 down, and every restart of a Space pays the warm-up again. Mixed precision is not used, on CPU or CUDA:
float16 moves the gate weights by up to 2e-4 and bfloat16 by 2e-3 (the demo prints gates to two decimals), where
float32 reorderings such as channels_last stay below 3e-7. bfloat16 is much faster on this CPU, so a Space that
does not show the routing trace could trade that exactness for speed. CUDA timings were not measured: no GPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from gradio_client import Client, handle_file

from benchmarks.served_app import running_app
from mhdf import MHDFConfig, MHDFNet
from mhdf.app.form import form_from_record
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_config, read_examples, write_example
from mhdf.inference.explain import grad_cam, run_case, without_metadata
from mhdf.metadata import MetadataSchema


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, type=Path, help="local checkpoint to serve")
    parser.add_argument("--preset", default=None, help="serve an untrained checkpoint of this preset (e.g. paper)")
    parser.add_argument("--backbone", default=None, help="with --preset: another timm backbone, e.g. resnet50")
    parser.add_argument("--runs", default=20, type=int, help="timed calls per endpoint")
    parser.add_argument("--warmup", default=3, type=int, help="untimed calls per endpoint first")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def full_record(schema: MetadataSchema, record: dict) -> dict:
    """`record` with every missing field filled with a valid value (its first choice, or the usual number)."""
    filled = dict(record)
    for spec in schema.fields:
        if spec.name not in filled:
            filled[spec.name] = f"{spec.center:g}" if spec.kind == "numeric" else spec.values[0]
    return filled


def untrained_checkpoint(folder: Path, preset: str, backbone: str | None) -> Path:
    """An untrained checkpoint of the preset's shape with the bundled example cases."""
    overrides = {"backbone": backbone} if backbone else {}
    config = MHDFConfig.from_preset(preset, training_data="untrained (latency benchmark)", **overrides)
    MHDFNet(config, pretrained=False).save_pretrained(folder)
    for example in read_examples(DEFAULT_CHECKPOINT, config.schema):
        write_example(folder, example.name, example.image, example.metadata, example.label)
    return folder


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def model_work(checkpoint: Path, cases: list, runs: int) -> list[float]:
    """Seconds per Diagnose in this process: the forward pass, Grad-CAM and the modality comparison, no figures."""
    predictor = Predictor.from_pretrained(checkpoint, device="cpu")
    seconds = []
    for index in range(runs + 1):
        image, record = cases[index % len(cases)]
        started = time.perf_counter()
        with torch.inference_mode():
            run = run_case(predictor, image, record)
            grad_cam(run, int(run.prediction.probabilities.argmax()))
            without_metadata(predictor, run)
        seconds.append(time.perf_counter() - started)
    return seconds[1:]


def measure(checkpoint: Path, runs: int, warmup: int) -> dict:
    schema = MetadataSchema.from_dict(read_config(checkpoint)["metadata_schema"])
    cases = [(e.image, full_record(schema, e.metadata)) for e in read_examples(checkpoint, schema)]
    if not cases:
        raise SystemExit(f"{checkpoint} has no examples/ to call the app with")
    predict_s, first_paint_s, diagnose_s = [], [], []
    with tempfile.TemporaryDirectory() as workdir, running_app(Path(workdir), checkpoint) as app:
        client = Client(app.url, verbose=False, download_files=False)
        for index in range(warmup + runs):
            image, record = cases[index % len(cases)]
            started = time.perf_counter()
            client.predict(image=handle_file(str(image)), metadata=record, api_name="/predict")
            predict_time = time.perf_counter() - started

            started = time.perf_counter()
            job = client.submit(handle_file(str(image)), *form_from_record(schema, record), api_name="/diagnose")
            first = None
            while not job.done():
                if first is None and job.outputs():
                    first = time.perf_counter() - started
                time.sleep(0.002)
            job.result()
            total = time.perf_counter() - started
            first = total if first is None else first  # finished between two looks: no earlier paint seen
            if index >= warmup:
                predict_s.append(predict_time)
                first_paint_s.append(first)
                diagnose_s.append(total)
        startup, peak_rss = app.startup_seconds, app.peak_rss_bytes() / 1e9
    work = model_work(checkpoint, cases, runs)
    predict_p50 = percentile(predict_s, 50)
    return {
        "checkpoint": str(checkpoint),
        "startup_s": startup,
        "predict_p50_ms": predict_p50,
        "predict_p95_ms": percentile(predict_s, 95),
        "first_paint_p50_ms": percentile(first_paint_s, 50),
        "diagnose_p50_ms": percentile(diagnose_s, 50),
        "diagnose_p95_ms": percentile(diagnose_s, 95),
        "model_work_p50_ms": percentile(work, 50),
        "peak_rss_gb": peak_rss,
        "first_paint_ratio": percentile(first_paint_s, 50) / predict_p50,
        "diagnose_ratio": percentile(diagnose_s, 50) / predict_p50,
        "runs": runs,
    }


def main(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = untrained_checkpoint(Path(folder), args.preset, args.backbone) if args.preset else args.checkpoint
        result = measure(checkpoint, args.runs, args.warmup)
    result["preset"], result["backbone"] = args.preset, args.backbone
    if args.json:
        print(json.dumps(result))
        return result
    name = f"preset {args.preset}" + (f", {args.backbone}" if args.backbone else "") if args.preset else checkpoint
    print(f"{name}: {args.runs} timed calls per endpoint, every clinical field filled")
    print(f"  startup                    {result['startup_s']:.1f} s")
    print(f"  /predict p50 / p95         {result['predict_p50_ms']:.0f} / {result['predict_p95_ms']:.0f} ms")
    print(f"  first paint p50            {result['first_paint_p50_ms']:.0f} ms  ({result['first_paint_ratio']:.2f}x)")
    print(f"  Diagnose p50 / p95         {result['diagnose_p50_ms']:.0f} / {result['diagnose_p95_ms']:.0f} ms  "
          f"({result['diagnose_ratio']:.2f}x)")  # fmt: skip
    print(f"  model work per Diagnose    {result['model_work_p50_ms']:.0f} ms (in process, no figures)")
    print(f"  server peak RSS            {result['peak_rss_gb']:.2f} GB")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
