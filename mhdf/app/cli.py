"""`mhdf-predict IMAGE --meta META.json [--checkpoint PATH] [--report case.pdf]` (or `python -m mhdf.predict`): print
the prediction JSON; with --report, also write the case report (PDF, `mhdf.app.report`).

Run from the repository, it defaults to the bundled checkpoint; an installed package has none, so there it needs
`--checkpoint` (a folder, a training run folder or a Hugging Face Hub repo id).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mhdf.app.report import case_report
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mhdf-predict", description="Classify a skin-lesion photo with its clinical metadata."
    )
    parser.add_argument("image", help="lesion photo (JPEG, PNG, WebP, ...)")
    parser.add_argument("--meta", help="JSON file with the clinical record; omit for all fields unknown")
    bundled = DEFAULT_CHECKPOINT.is_dir()
    parser.add_argument(
        "--checkpoint",
        default=str(DEFAULT_CHECKPOINT) if bundled else None,
        help="folder, training run folder or Hub repo id"
        + (" (default: the bundled demo checkpoint)" if bundled else ""),
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--indent", type=int, default=2)
    parser.add_argument("--report", type=Path, default=None, help="also write the case report to this PDF file")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error, not just its line")
    return parser


def main(args: argparse.Namespace) -> int:
    if args.checkpoint is None:
        print(
            "error: no checkpoint: pass --checkpoint (a checkpoint folder or a Hugging Face Hub repo id)",
            file=sys.stderr,
        )
        return 2
    try:
        record = json.loads(Path(args.meta).read_text()) if args.meta else {}
        if not isinstance(record, dict):
            raise ValueError(f"{args.meta} must hold a JSON object of clinical fields")
        predictor = Predictor.from_pretrained(args.checkpoint, device=args.device)
        prediction = predictor.predict(args.image, record)
        if args.report is not None:
            case_report(args.report, predictor, args.image, record)
    except (ValueError, OSError) as error:  # a bad input or a broken checkpoint (`CheckpointError`): one line
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(prediction.to_dict(), indent=args.indent))
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main(get_args_parser().parse_args()))
