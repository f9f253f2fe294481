"""The options of whoever hosts the demo (`python app.py`), each with its environment variable for a Space's
settings: the upload cap, visitor feedback, classes, and `--debug` for the traceback of a start-up error, which is
otherwise one line (see docs/hosting.md).
"""

from __future__ import annotations

import argparse
import os

from mhdf.app import classroom
from mhdf.app.feedback import CSV_NAME, DATASET_ENV, FOLDER_ENV
from mhdf.app.uploads import DEFAULT_MAX_FILE_SIZE


def add_host_arguments(parser: argparse.ArgumentParser) -> None:
    """`--max-file-size`, `--feedback DIR`, `--feedback-dataset user/name`, `--classroom DIR` and `--debug`."""
    parser.add_argument(
        "--max-file-size",
        default=os.environ.get("MHDF_MAX_FILE_SIZE", DEFAULT_MAX_FILE_SIZE),
        help=f"largest upload accepted, e.g. 20mb or 500kb (env MHDF_MAX_FILE_SIZE; default {DEFAULT_MAX_FILE_SIZE})",
    )
    parser.add_argument(
        "--feedback",
        default=os.environ.get(FOLDER_ENV) or None,
        metavar="DIR",
        help=f"turn on visitor feedback, kept in DIR/{CSV_NAME} (env {FOLDER_ENV}; default: off)",
    )
    parser.add_argument(
        "--feedback-dataset",
        default=os.environ.get(DATASET_ENV) or None,
        metavar="USER/NAME",
        help=f"turn on visitor feedback, appended to this Hub dataset (env {DATASET_ENV}; needs HF_TOKEN)",
    )
    parser.add_argument(
        "--classroom",
        default=os.environ.get(classroom.FOLDER_ENV) or None,
        metavar="DIR",
        help=f"turn on classes, kept in DIR/{classroom.DB_NAME} (env {classroom.FOLDER_ENV}; default: off)",
    )
    parser.add_argument("--debug", action="store_true", help="print the traceback of a start-up error")
