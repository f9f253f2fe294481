"""`mhdf-predict IMAGE --meta META.json [--checkpoint PATH] [--report case.pdf]` (or `python -m mhdf.predict`): print
the prediction JSON; with --report, also write the case report (PDF, `mhdf.app.report`).

A checkpoint with several photo views takes them by name, `--image clinical=close_up.jpg --image
dermoscopic=derm.jpg`; leave one out when the case has no such photo.

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
    parser.add_argument("image", nargs="?", help="lesion photo (JPEG, PNG, WebP, ...) of a one-photo checkpoint")
    parser.add_argument(
        "--image", dest="views", action="append", default=[], metavar="VIEW=PATH",
        help="one photo of a checkpoint with several views, by view name (repeat per photo; a missing one is allowed)",
    )  # fmt: skip
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
    return parser


def photos_argument(predictor: Predictor, image: str | None, views: list[str]) -> str | dict[str, str] | None:
    """The photo(s) given on the command line, as `Predictor.predict` takes them; ValueError when they do not fit
    the checkpoint."""
    names = ", ".join(predictor.views)
    if not views:
        if predictor.config.multi_view:
            raise ValueError(f"this checkpoint reads one photo per view ({names}): pass --image VIEW=PATH")
        if image is None and predictor.views:
            raise ValueError("no photo given: pass the lesion photo")
        return image
    if image is not None:
        raise ValueError("give the photo either as IMAGE or as --image VIEW=PATH, not both")
    photos = {}
    for item in views:
        view, separator, path = item.partition("=")
        if not separator or not path:
            raise ValueError(f"--image {item!r}: expected VIEW=PATH, with VIEW one of {names}")
        if view in photos:
            raise ValueError(f"--image gives the {view} photo twice")
        photos[view] = path
    if not predictor.config.multi_view:
        if set(photos) != set(predictor.views):
            raise ValueError(f"this checkpoint reads one photo, named {names}")
        return photos[predictor.views[0]]
    return photos


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
        image = photos_argument(predictor, args.image, args.views)
        prediction = predictor.predict(image, record)
        if args.report is not None:
            case_report(args.report, predictor, image, record)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(prediction.to_dict(), indent=args.indent))
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main(get_args_parser().parse_args()))
