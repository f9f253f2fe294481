"""`python -m mhdf.predict IMAGE --meta META.json [--checkpoint PATH] [--report case.pdf]`: print the prediction
JSON; with --report, also write the case report (PDF, `mhdf.report`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mhdf.inference import Predictor
from mhdf.report import case_report

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "assets" / "demo"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Classify a skin-lesion photo with its clinical metadata.")
    parser.add_argument("image", help="lesion photo (JPEG, PNG, WebP, ...)")
    parser.add_argument("--meta", help="JSON file with the clinical record; omit for all fields unknown")
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT), help="folder, run folder or Hub repo id")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--indent", type=int, default=2)
    parser.add_argument("--report", type=Path, default=None, help="also write the case report to this PDF file")
    return parser


def main(args: argparse.Namespace) -> int:
    try:
        record = json.loads(Path(args.meta).read_text()) if args.meta else {}
        if not isinstance(record, dict):
            raise ValueError(f"{args.meta} must hold a JSON object of clinical fields")
        predictor = Predictor.from_pretrained(args.checkpoint, device=args.device)
        prediction = predictor.predict(args.image, record)
        if args.report is not None:
            case_report(args.report, predictor, args.image, record)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(prediction.to_dict(), indent=args.indent))
    return 0


if __name__ == "__main__":
    sys.exit(main(get_args_parser().parse_args()))
