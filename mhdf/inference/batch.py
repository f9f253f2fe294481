"""Batch prediction of a table of cases: one photo (or one per photo view) and one clinical record per row,
streamed through `Predictor`.

The table is a CSV file with an `image` column (a path under the images folder) and one column per clinical
field, named as in the checkpoint's schema; an empty cell is unknown and every other column is carried through
untouched. A checkpoint with several photo views reads an `image_<view>` column per view instead (e.g.
`image_clinical`, `image_dermoscopic`), where an empty cell means the case has no such photo. The output has one
row per input row: the input's columns, then

    prediction, p_<CLASS> for each class, prediction_set (codes joined by "|"), in_distribution, ood_score, error,
    quality

`quality` is the photo-quality verdict (`mhdf.inference.quality`): "ok", or each failed check as
code:value<threshold (or >) joined by "|", e.g. "blurred:0.412<0.62"; empty for a row without a verdict. With
several views it is each given photo's verdict as view=verdict, joined by ";", e.g.
"clinical=ok;dermoscopic=blurred:0.412<0.62" (a view without a photo has no verdict, so it is left out).

A row that cannot be predicted (a missing or corrupt photo, a value the schema does not allow, no photo at all)
keeps its input columns and states why in `error`; the run goes on. The input is read `batch_size` rows at a time
and each batch is appended to the output as soon as it is predicted, so memory does not grow with the number of
rows, and a run that is interrupted resumes where it stopped: a row is identified by its photo cells (the `image`
value, or the row's `image_<view>` values together), and rows whose photo cells are already in the output are
skipped.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
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
VIEW_SEPARATOR = ";"  # between the views' verdicts in `quality`; "|" already joins one photo's failed checks
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


def views_quality_cell(verdicts: Mapping[str, PhotoQuality]) -> str:
    """The verdicts of a multi-view case's given photos as one CSV cell: "view=verdict;..." (see `quality_cell`)."""
    return VIEW_SEPARATOR.join(f"{view}={quality_cell(quality)}" for view, quality in verdicts.items())


def photo_columns(views: Sequence[str], image_column: str = IMAGE_COLUMN) -> dict[str, str]:
    """Each photo view -> the column naming its photo: `image_column` itself for a one-photo checkpoint,
    `<image_column>_<view>` for each view of a multi-view one ({} for a metadata-only checkpoint)."""
    if len(views) == 1:
        return {views[0]: image_column}
    return {view: f"{image_column}_{view}" for view in views}


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


def _row_keys(rows: pd.DataFrame, columns: Sequence[str]) -> pd.MultiIndex:
    """What identifies each row for resuming: its photo cells, as one tuple per row."""
    return pd.MultiIndex.from_frame(rows[list(columns)])


def _done_rows(path: Path, columns: Sequence[str]) -> set[tuple[str, ...]]:
    """The photo cells of the rows already in an output file, read a chunk at a time."""
    done: set[tuple[str, ...]] = set()
    for chunk in _read_csv(path, usecols=list(columns), chunksize=65536):
        done.update(_row_keys(chunk, columns))
    return done


def _image_path(images: Path, name: str) -> Path:
    """The photo a row names: a relative path under `images`; ValueError otherwise."""
    if not name.strip():
        raise ValueError("no image named")
    path = (images / name.strip()).resolve()
    if not path.is_relative_to(images.resolve()):
        raise ValueError(f"the image {name!r} is outside the images folder")
    return path


@dataclass
class PreparedRow:
    """One row, checked: its validated record and, by view, its photos as (1, 3, S, S) model inputs with their
    quality verdicts (both empty for a metadata-only model; a multi-view row lacks the views it has no photo of)."""

    record: dict[str, Value]
    photos: dict[str, torch.Tensor]
    verdicts: dict[str, PhotoQuality]


class BatchPredictor:
    """Predicts rows of a table in batches: each row's record and photos are checked on their own, the good rows of
    a batch go through the model in one pass (a multi-view batch whose rows have different photos, too, with a
    per-case view mask), and each bad row gets its message instead."""

    def __init__(self, predictor: Predictor, images: str | Path, image_column: str = IMAGE_COLUMN) -> None:
        self.predictor = predictor
        self.images = Path(images)
        self.photo_columns = photo_columns(predictor.views, image_column)
        # what names a row, for resuming: its photo cells; a metadata-only checkpoint reads no photo, and its rows
        # are named by the image column all the same
        self.key_columns = list(self.photo_columns.values()) or [image_column]
        self.classes = list(predictor.config.class_names)
        self.columns = output_columns(self.classes)

    def _read_photo(self, cell: str) -> tuple[torch.Tensor, PhotoQuality]:
        path = _image_path(self.images, cell)
        try:
            return self.predictor.read_photo(path)
        except ValueError as error:
            raise ValueError(f"{cell}: {error}") from None

    def _prepare(self, row: dict[str, str]) -> PreparedRow:
        """One row -> its record and photos; ValueError naming what is wrong."""
        schema = self.predictor.schema
        prepared = PreparedRow(schema.validate(schema.clinical_fields_of(row)), {}, {})
        multi_view = self.predictor.config.multi_view
        columns = self.photo_columns
        if multi_view:  # an empty cell: the case has no such photo
            columns = {view: column for view, column in columns.items() if row[column].strip()}
            if not columns:
                raise ValueError(f"no photo: {', '.join(self.photo_columns.values())} are all empty")
        for view, column in columns.items():
            try:
                prepared.photos[view], prepared.verdicts[view] = self._read_photo(row[column])
            except ValueError as error:
                if not multi_view:
                    raise
                raise ValueError(f"{column}: {error}") from None
        return prepared

    def _model_input(self, rows: Sequence[PreparedRow]) -> tuple[Any, torch.Tensor | None]:
        """Checked rows -> the photos of one forward pass (a tensor, or a multi-view model's dict of them with a
        zero stand-in where a row lacks the photo: the model never runs it) and the (N, V) view mask."""
        if not self.predictor.config.uses_image:
            return None, None
        if not self.predictor.config.multi_view:
            (view,) = self.predictor.views
            return torch.cat([row.photos[view] for row in rows]), None
        mask = torch.tensor([[view in row.photos for view in self.predictor.views] for row in rows])
        pixels: dict[str, torch.Tensor | None] = {}
        for view in self.predictor.views:
            given = [row.photos[view] for row in rows if view in row.photos]
            if not given:
                pixels[view] = None  # no row has this photo: the view's backbone is skipped
                continue
            blank = torch.zeros_like(given[0])
            pixels[view] = torch.cat([row.photos.get(view, blank) for row in rows])
        return pixels, mask

    def predict_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """(N rows of text) -> the same rows with the output columns appended, in the same order."""
        results: list[dict[str, Any]] = [{} for _ in range(len(rows))]
        good: list[int] = []
        prepared: list[PreparedRow] = []
        for position, row in enumerate(rows.to_dict("records")):
            try:
                prepared.append(self._prepare(row))
            except ValueError as error:
                results[position] = {ERROR_COLUMN: str(error)}
                continue
            good.append(position)
        if good:
            pixels, mask = self._model_input(prepared)
            records = [row.record for row in prepared]
            predictions = self.predictor.predict_validated(pixels, records, view_mask=mask)
            for position, row, prediction in zip(good, prepared, predictions, strict=True):
                results[position] = self._row(prediction, row.verdicts)
        table = pd.DataFrame(results, columns=self.columns, index=rows.index, dtype=object).fillna("")
        return pd.concat([rows, table], axis=1)

    def _quality(self, verdicts: Mapping[str, PhotoQuality]) -> str:
        if self.predictor.config.multi_view:
            return views_quality_cell(verdicts)
        return quality_cell(next(iter(verdicts.values()), None))

    def _row(self, prediction: Prediction, verdicts: Mapping[str, PhotoQuality]) -> dict[str, Any]:
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
            QUALITY_COLUMN: self._quality(verdicts),
        }

    def check_columns(self, columns: Sequence[str]) -> list[str]:
        """Raises ValueError when the input cannot be predicted at all; returns warnings about its columns."""
        if duplicated := sorted({column for column in columns if columns.count(column) > 1}):
            raise ValueError(f"the CSV names the column(s) {', '.join(duplicated)} more than once")
        if missing := [column for column in self.key_columns if column not in columns]:
            if not self.predictor.config.multi_view:
                raise ValueError(f"the CSV has no {missing[0]!r} column (name another with --image-column)")
            expected = ", ".join(self.key_columns)
            raise ValueError(
                f"the CSV lacks the photo column(s) {', '.join(missing)}: this checkpoint reads {expected}"
            )
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
            raise ValueError(f"{source} is empty: expected a header row with {', '.join(self.key_columns)}")
        summary = BatchSummary(total=count_rows(source), warnings=self.check_columns(columns))
        for warning in summary.warnings if warn is not None else ():
            warn(warning)
        header = [*columns, *self.columns]
        keys = self.key_columns
        done: set[tuple[str, ...]] = set()
        if out.is_file() and out.stat().st_size > 0:
            _drop_partial_last_line(out)
            if _header(out) != header:
                raise ValueError(f"{out} exists with other columns than this input's output; pass another --out")
            done = _done_rows(out, keys)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", newline="", encoding="utf-8") as file:
            if file.tell() == 0:
                csv.writer(file, lineterminator="\n").writerow(header)
            for chunk in _read_csv(source, chunksize=batch_size):
                todo = chunk[~_row_keys(chunk, keys).isin(done)] if done else chunk
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
