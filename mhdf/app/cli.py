"""`mhdf-predict IMAGE --meta META.json [--checkpoint PATH] [--report case.pdf]` (or `python -m mhdf.predict`): print
the prediction JSON; with --report, also write the case report (PDF, `mhdf.app.report`).

`mhdf-predict --csv cases.csv --images DIR --out predictions.csv [--batch-size N] [--device cuda]`: predict every
row of a table in batches, with a progress bar (`mhdf.inference.batch` has the column contract); run it again with
the same --out to resume.

A checkpoint with several photo views takes them by name, `--image clinical=close_up.jpg --image
dermoscopic=derm.jpg`; leave one out when the case has no such photo. With --csv it reads an `image_<view>` column
per view, an empty cell for a photo the case lacks.

Run from the repository, it defaults to the bundled checkpoint; an installed package has none, so there it needs
`--checkpoint` (a folder, a training run folder or a Hugging Face Hub repo id).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from mhdf.app.report import case_report
from mhdf.app.texts import batch_summary
from mhdf.inference import Predictor
from mhdf.inference.batch import IMAGE_COLUMN, BatchPredictor, count_rows
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mhdf-predict", description="Classify a skin-lesion photo with its clinical metadata."
    )
    parser.add_argument(
        "image", nargs="?", help="lesion photo (JPEG, PNG, WebP, ...) of a one-photo checkpoint; not needed with --csv"
    )
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
    parser.add_argument("--debug", action="store_true", help="print the traceback of an error, not just its line")
    batch = parser.add_argument_group("batch prediction (--csv)")
    batch.add_argument(
        "--csv", type=Path, default=None,
        help="table of cases: an image column (several views: image_<view> per view) and clinical fields",
    )  # fmt: skip
    batch.add_argument("--images", type=Path, default=None, help="folder the image column's file names are under")
    batch.add_argument("--out", type=Path, default=None, help="output CSV; an existing one is resumed")
    batch.add_argument(
        "--image-column", default=IMAGE_COLUMN,
        help="the column naming each photo (several views: the prefix of the image_<view> columns)",
    )  # fmt: skip
    batch.add_argument("--batch-size", type=int, default=32, help="cases per forward pass")
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
    if args.csv is not None:
        return predict_csv(args)
    if args.image is None and not args.views:
        print(
            "error: name a photo (--image VIEW=PATH for several views), or a table of cases with --csv", file=sys.stderr
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
    except (ValueError, OSError) as error:  # a bad input or a broken checkpoint (`CheckpointError`): one line
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(prediction.to_dict(), indent=args.indent))
    return 0


def predict_csv(args: argparse.Namespace) -> int:
    """`--csv`: every row of the table into `--out`, batched, with a progress bar on stderr."""
    if args.images is None or args.out is None:
        print("error: --csv needs --images (the photos' folder) and --out (the output CSV)", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return 2
    try:
        if not args.csv.is_file():
            raise ValueError(f"no CSV file at {args.csv}")
        if not args.images.is_dir():
            raise ValueError(f"no images folder at {args.images}")
        predictor = Predictor.from_pretrained(args.checkpoint, device=args.device)
        batch = BatchPredictor(predictor, args.images, args.image_column)
        started = time.perf_counter()
        with tqdm(total=count_rows(args.csv), unit="case", dynamic_ncols=True, file=sys.stderr) as progress:
            summary = batch.predict_csv(
                args.csv, args.out, args.batch_size, progress, warn=lambda text: progress.write(f"warning: {text}")
            )
    except (ValueError, OSError, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(batch_summary(summary, args.out, time.perf_counter() - started), file=sys.stderr)
    return 0


def run() -> None:
    """The console script's entry point."""
    sys.exit(main(get_args_parser().parse_args()))
