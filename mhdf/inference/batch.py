"""Batch prediction of a table of cases: one photo and one clinical record per row, streamed through `Predictor`.

The table is a CSV file with an `image` column (a path under the images folder) and one column per clinical
field, named as in the checkpoint's schema; an empty cell is unknown and every other column is carried through
untouched. The output has one row per input row: the input's columns, then

    prediction, p_<CLASS> for each class, prediction_set (codes joined by "|"), in_distribution, ood_score, error,
    quality

`quality` is the photo-quality verdict (`mhdf.inference.quality`): "ok", or each failed check as
code:value<threshold (or >) joined by "|", e.g. "blurred:0.412<0.62"; empty for a row without a verdict.

A row that cannot be predicted (a missing or corrupt photo, a value the schema does not allow) keeps its input
columns and states why in `error`; the run goes on. The input is read `batch_size` rows at a time and each batch is
appended to the output as soon as it is predicted, so memory does not grow with the number of rows, and a run that
is interrupted resumes where it stopped: rows whose image is already in the output are skipped.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from mhdf.inference.predictor import Prediction, Predictor
from mhdf.inference.quality import PhotoQuality
from mhdf.metadata import MetadataSchema, Value

IMAGE_COLUMN = "image"
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "p_"
SET_COLUMN = "prediction_set"
IN_DISTRIBUTION_COLUMN = "in_distribution"
OOD_SCORE_COLUMN = "ood_score"
ERROR_COLUMN = "error"
QUALITY_COLUMN = "quality"
SET_SEPARATOR = "|"
FLOAT_FORMAT = "%.6f"  # probabilities and scores to a millionth, never in exponent notation


def output_columns(classes: Sequence[str]) -> list[str]:
    """The columns batch prediction appends to the input's: prediction, p_<CLASS>..., ..., error, quality."""
    return [
        PREDICTION_COLUMN,
        *(f"{PROBABILITY_PREFIX}{name}" for name in classes),
        SET_COLUMN,
        IN_DISTRIBUTION_COLUMN,
        OOD_SCORE_COLUMN,
        ERROR_COLUMN,
        QUALITY_COLUMN,
    ]


def quality_cell(quality: PhotoQuality | None) -> str:
    """A photo-quality verdict as one CSV cell: "ok", or "code:value<threshold|..." (">" for an upper limit)."""
    if quality is None:
        return ""
    if quality.ok:
        return "ok"
    return SET_SEPARATOR.join(
        f"{p.code}:{p.value:.4g}{'<' if p.direction == 'below' else '>'}{p.threshold:.4g}" for p in quality.problems
    )


def lookalike_columns(columns: Sequence[str], schema: MetadataSchema) -> dict[str, str]:
    """Columns that are not a field of `schema` but look like one ("Age", "fitzpatrick" for "fitspatrick") ->
    that field. They are carried through, not read, so every row would have that field unknown."""
    fields = schema.field_names
    keys = {_key(name): name for name in fields}
    found = {}
    for column in columns:
        if column in fields:
            continue
        match = keys.get(_key(column)) or next(iter(difflib.get_close_matches(column.lower(), fields, 1, 0.85)), None)
        if match is not None and match not in columns:
            found[column] = match
    return found


def _key(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


@dataclass
class BatchSummary:
    """What one run of `predict_csv` did."""

    total: int  # data rows in the input
    skipped: int = 0  # already in the output (resumed)
    predicted: int = 0
    failed: int = 0  # rows written with an error
    warnings: list[str] = field(default_factory=list)  # about the input's columns, before any row is read

    @property
    def written(self) -> int:
        return self.predicted + self.failed


def count_rows(path: str | Path) -> int:
    """Data rows of a CSV file (quoted line breaks allowed), read as a stream."""
    with open(path, newline="", encoding="utf-8") as file:
        return max(sum(1 for _ in csv.reader(file)) - 1, 0)


def _read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame | Iterator[pd.DataFrame]:
    # every cell as the text it is, an empty cell as "": carried-through columns come out exactly as they went in
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8", **kwargs)


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as file:
        return next(csv.reader(file), [])


def _drop_partial_last_line(path: Path) -> None:
    """A run killed while appending can leave half a row at the end of the output: cut back to the last newline."""
    with open(path, "rb+") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        if size == 0:
            return
        file.seek(size - 1)
        if file.read(1) == b"\n":
            return
        position = size
        while position > 0:
            step = min(1 << 16, position)
            position -= step
            file.seek(position)
            cut = file.read(step).rfind(b"\n")
            if cut >= 0:
                file.truncate(position + cut + 1)
                return
        file.truncate(0)


def _done_images(path: Path, image_column: str) -> set[str]:
    """The image values already in an output file, read a chunk at a time."""
    done: set[str] = set()
    for chunk in _read_csv(path, usecols=[image_column], chunksize=65536):
        done.update(chunk[image_column])
    return done


def _image_path(images: Path, name: str) -> Path:
    """The photo a row names: a relative path under `images`; ValueError otherwise."""
    if not name.strip():
        raise ValueError("no image named")
    path = (images / name.strip()).resolve()
    if not path.is_relative_to(images.resolve()):
        raise ValueError(f"the image {name!r} is outside the images folder")
    return path


class BatchPredictor:
    """Predicts rows of a table in batches: each row's record and photo are checked on their own, the good rows of
    a batch go through the model in one pass, and each bad row gets its message instead."""

    def __init__(self, predictor: Predictor, images: str | Path, image_column: str = IMAGE_COLUMN) -> None:
        self.predictor = predictor
        self.images = Path(images)
        self.image_column = image_column
        self.classes = list(predictor.config.class_names)
        self.columns = output_columns(self.classes)

    def _prepare(self, row: dict[str, str]) -> tuple[torch.Tensor | None, PhotoQuality | None, dict[str, Value]]:
        """One row -> its (1, 3, S, S) photo and the photo's quality verdict (None, None for a metadata-only model)
        and its validated record; ValueError."""
        schema = self.predictor.schema
        record = schema.validate(schema.clinical_fields_of(row))
        if not self.predictor.config.uses_image:
            return None, None, record
        path = _image_path(self.images, row[self.image_column])
        try:
            return *self.predictor.read_photo(path), record
        except ValueError as error:
            raise ValueError(f"{row[self.image_column]}: {error}") from None

    def predict_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """(N rows of text) -> the same rows with the output columns appended, in the same order."""
        results: list[dict[str, Any]] = [{} for _ in range(len(rows))]
        good, pixels, verdicts, records = [], [], [], []
        for position, row in enumerate(rows.to_dict("records")):
            try:
                photo, quality, record = self._prepare(row)
            except ValueError as error:
                results[position] = {ERROR_COLUMN: str(error)}
                continue
            good.append(position)
            pixels.append(photo)
            verdicts.append(quality)
            records.append(record)
        if good:
            batch = torch.cat(pixels) if self.predictor.config.uses_image else None
            predictions = self.predictor.predict_validated(batch, records, quality=verdicts)
            for position, prediction in zip(good, predictions, strict=True):
                results[position] = self._row(prediction)
        table = pd.DataFrame(results, columns=self.columns, index=rows.index, dtype=object).fillna("")
        return pd.concat([rows, table], axis=1)

    def _row(self, prediction: Prediction) -> dict[str, Any]:
        ood = prediction.ood
        return {
            PREDICTION_COLUMN: prediction.prediction,
            **{
                f"{PROBABILITY_PREFIX}{name}": float(p)
                for name, p in zip(self.classes, prediction.probabilities, strict=True)
            },
            SET_COLUMN: "" if prediction.prediction_set is None else SET_SEPARATOR.join(prediction.prediction_set),
            IN_DISTRIBUTION_COLUMN: "" if ood is None else bool(ood["in_distribution"]),
            OOD_SCORE_COLUMN: "" if ood is None else float(ood["score"]),
            ERROR_COLUMN: "",
            QUALITY_COLUMN: quality_cell(prediction.quality),
        }

    def check_columns(self, columns: Sequence[str]) -> list[str]:
        """Raises ValueError when the input cannot be predicted at all; returns warnings about its columns."""
        if duplicated := sorted({column for column in columns if columns.count(column) > 1}):
            raise ValueError(f"the CSV names the column(s) {', '.join(duplicated)} more than once")
        if self.image_column not in columns:
            raise ValueError(f"the CSV has no {self.image_column!r} column (name another with --image-column)")
        if clashes := [column for column in self.columns if column in columns]:
            raise ValueError(f"the CSV already has the output column(s) {', '.join(clashes)}: rename them")
        schema = self.predictor.schema
        warnings = [
            f"column {column!r} is not a field of {schema.label} and is carried through unread; "
            f"did you mean {field_name!r}? (as it stands, {field_name} is unknown in every row)"
            for column, field_name in lookalike_columns(columns, schema).items()
        ]
        if not set(columns) & set(schema.field_names):
            warnings.append(
                f"no column is a {schema.label} field, so every clinical field is unknown; "
                f"the fields are {', '.join(schema.field_names)}"
            )
        return warnings

    def predict_csv(
        self,
        source: str | Path,
        out: str | Path,
        batch_size: int = 32,
        progress: Any = None,
        warn: Callable[[str], None] | None = None,
    ) -> BatchSummary:
        """Predict every row of `source` into `out`, appending to an `out` left by an earlier run of the same
        input (its rows are skipped). `progress`: a tqdm-like bar, updated by rows; `warn` hears each warning about
        the input's columns before the first row is read. Raises ValueError when the input or an existing output
        does not fit."""
        source, out = Path(source), Path(out)
        columns = _header(source)
        if not columns:
            raise ValueError(f"{source} is empty: expected a header row with an {self.image_column!r} column")
        summary = BatchSummary(total=count_rows(source), warnings=self.check_columns(columns))
        for warning in summary.warnings if warn is not None else ():
            warn(warning)
        header = [*columns, *self.columns]
        done: set[str] = set()
        if out.is_file() and out.stat().st_size > 0:
            _drop_partial_last_line(out)
            if _header(out) != header:
                raise ValueError(f"{out} exists with other columns than this input's output; pass another --out")
            done = _done_images(out, self.image_column)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", newline="", encoding="utf-8") as file:
            if file.tell() == 0:
                csv.writer(file, lineterminator="\n").writerow(header)
            for chunk in _read_csv(source, chunksize=batch_size):
                todo = chunk[~chunk[self.image_column].isin(done)] if done else chunk
                summary.skipped += len(chunk) - len(todo)
                if len(todo):
                    table = self.predict_rows(todo)
                    failed = int((table[ERROR_COLUMN] != "").sum())
                    summary.failed += failed
                    summary.predicted += len(todo) - failed
                    table.to_csv(file, header=False, index=False, lineterminator="\n", float_format=FLOAT_FORMAT)
                    file.flush()
                if progress is not None:
                    progress.update(len(chunk))
        return summary
