"""The one registry of dataset layouts: every loader that training, evaluation, the doctor and publishing read, by its
`--dataset` name, and the command-line options that configure them.

    pad-ufes-20                                     training.data.pad_ufes_20
    derm7pt                                         training.data.derm7pt
    milk10k                                         training.data.milk10k
    isic-2019, isic-2020, ham10000, isic-archive    training.data.isic
    csv                                             training.data.csv_table (with --schema FILE)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from training.data.base import LesionSource
from training.data.csv_table import CsvSource
from training.data.derm7pt import Derm7pt
from training.data.isic import ISIC_2020_TASKS, Ham10000, Isic2019, Isic2020, IsicArchive
from training.data.milk10k import Milk10k
from training.data.pad_ufes_20 import PadUfes20
from training.data.views import loader_options

SOURCES: dict[str, type[LesionSource]] = {
    source.name: source
    for source in (PadUfes20, Derm7pt, Isic2019, Isic2020, Ham10000, IsicArchive, Milk10k, CsvSource)
}
# The loader options each dataset takes from the command line (argparse dest -> loader keyword).
OPTIONS: dict[str, dict[str, str]] = {
    Derm7pt.name: {"image_column": "image_column"},
    Isic2020.name: {"isic_2020_task": "task", "min_class_size": "min_class_size"},
    IsicArchive.name: {"class_map": "class_map"},
    CsvSource.name: {"schema": "schema"},
}


def load_source(name: str, root: str | Path, **kwargs: Any) -> LesionSource:
    """The dataset `name` read from `root`; kwargs go to its loader."""
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(SOURCES)}")
    return SOURCES[name](root, **kwargs)


def add_dataset_arguments(group: argparse._ActionsContainer, required: bool = True) -> None:
    """--data, --dataset and each layout's options, shared by training, evaluation and the doctor."""
    group.add_argument("--data", required=required, type=Path, help="dataset folder as downloaded (csv: the CSV)")
    group.add_argument("--dataset", required=required, default=None, choices=sorted(SOURCES), help="dataset layout")
    group.add_argument(
        "--image-column", default=None,
        help="derm7pt: derm (default) or clinic photos; csv with --infer-schema: the column naming the image",
    )  # fmt: skip
    group.add_argument("--schema", default=None, type=Path, help="csv: the schema file (YAML or JSON)")
    group.add_argument(
        "--isic-2020-task", default="target", choices=ISIC_2020_TASKS,
        help="isic-2020: target (benign vs malignant) or diagnosis (the named diagnoses)",
    )  # fmt: skip
    group.add_argument(
        "--min-class-size", default=10, type=int, help="isic-2020 diagnosis task: leave out rarer diagnoses"
    )
    group.add_argument(
        "--class-map", default=None, type=Path,
        help="isic-archive: a diagnosis,class CSV replacing the default map to the ISIC 2019 classes",
    )  # fmt: skip


def source_options(args: argparse.Namespace | dict[str, Any]) -> dict[str, Any]:
    """The loader keywords of `args` (a Namespace, or a run's args.json) for its --dataset."""
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    options = {keyword: values.get(dest) for dest, keyword in OPTIONS.get(values["dataset"], {}).items()}
    # Derm7pt and MILK10k: a single --image-views view is the photo each sample reads
    options |= loader_options(values["dataset"], values.get("image_column"), values.get("image_views"))
    return {keyword: value for keyword, value in options.items() if value is not None}


def source_from_args(args: argparse.Namespace | dict[str, Any], **kwargs: Any) -> LesionSource:
    """The dataset that `args` (or a run's args.json) names, with its options."""
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    return load_source(values["dataset"], values["data"], **source_options(values), **kwargs)
