"""Feedback from visitors: "This result looks wrong" under the result, off unless the host turns it on
(`mhdf.app.hosting`):

    python app.py --feedback DIR                  (or MHDF_FEEDBACK=DIR)           -> DIR/feedback.csv
    python app.py --feedback-dataset user/name    (or MHDF_FEEDBACK_DATASET=...)   -> the Hub dataset's data/

One row per report (`COLUMNS`); the photo is written beside the CSV, in `photos/`, only when the visitor ticks
"Include the photo". The prediction is computed again on the server from the photo and form sent with the report,
so a row never holds probabilities a client made up. Both stores are Gradio flagging callbacks (`FeedbackLog`);
the Hub one stages its rows in a folder of its own that huggingface_hub's `CommitScheduler` pushes every
`DATASET_EVERY_MINUTES` minutes and at exit.
"""

from __future__ import annotations

import csv
import json
import tempfile
import threading
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
from huggingface_hub import CommitScheduler, HfApi
from huggingface_hub.errors import HfHubHTTPError

from mhdf.app.i18n import localize, markdown
from mhdf.app.texts import (
    EN,
    Text,
    class_choices,
    feedback_bad_class,
    feedback_comment_too_long,
    feedback_sent,
    translate,
)
from mhdf.inference import Predictor
from mhdf.inference.checkpoint import one_line
from mhdf.inference.images import load_image

FOLDER_ENV = "MHDF_FEEDBACK"
DATASET_ENV = "MHDF_FEEDBACK_DATASET"
CSV_NAME = "feedback.csv"
PHOTOS_DIR = "photos"
COLUMNS = ("time", "checkpoint", "prediction", "probabilities", "record", "believed_class", "comment", "photo_file")
MAX_COMMENT_CHARS = 1000
DATASET_EVERY_MINUTES = 1  # a Space that restarts loses at most this much of its not yet pushed reports
DATASET_FOLDER = "data"  # where the reports go in the Hub dataset
# A cell starting with one of these is a formula to a spreadsheet that opens the CSV (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@")


class ReportNotReady(ValueError):
    """A report sent before the visitor chose what they believe the lesion is, or without the photo it is about:
    the visitor is told what to do first (`DemoSession.send_feedback`), not shown an error."""


class FeedbackLog(gr.FlaggingCallback):
    """A CSV file of reports (`COLUMNS`, one row each) with the consented photos beside it in `photos/`."""

    def __init__(self, csv_name: str = CSV_NAME) -> None:
        self.csv_name = csv_name
        self.folder: Path | None = None
        self.lock = threading.Lock()
        self.rows = 0

    def setup(self, components: Sequence[Any], flagging_dir: str | Path) -> None:
        """Creates the folder; counts the rows a CSV already there holds (reports are appended to it)."""
        self.folder = Path(flagging_dir)
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.csv_path.is_file():
            with self.csv_path.open(newline="", encoding="utf-8") as file:
                self.rows = max(sum(1 for _ in csv.reader(file)) - 1, 0)

    @property
    def csv_path(self) -> Path:
        return self.folder / self.csv_name

    def flag(self, flag_data: list[Any], flag_option: str | None = None, username: str | None = None) -> int:
        """`flag_data`: the values of `COLUMNS` but the last, then the photo to keep (an RGB image) or None.
        Returns the number of reports in the file."""
        *values, photo = flag_data
        with self.lock:
            photo_file = ""
            if photo is not None:
                photo_file = f"{PHOTOS_DIR}/{uuid.uuid4().hex}.png"
                (self.folder / PHOTOS_DIR).mkdir(exist_ok=True)
                photo.save(self.folder / photo_file)
            new = not self.csv_path.is_file()
            with self.csv_path.open("a", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                if new:
                    writer.writerow(COLUMNS)
                writer.writerow([*values, photo_file])
            self.rows += 1
            return self.rows


class HubDatasetLog(FeedbackLog):
    """Reports appended to a Hub dataset: each server process writes its own `feedback-<id>.csv` into a staging
    folder, which `CommitScheduler` uploads to `data/` of the dataset (created private if it does not exist), so a
    restarted Space or a second replica never overwrites rows another one pushed."""

    def __init__(self, repo_id: str, api: HfApi | None = None) -> None:
        super().__init__(f"feedback-{uuid.uuid4().hex[:12]}.csv")
        self.repo_id = repo_id
        self.api = api
        self.scheduler: CommitScheduler | None = None

    def setup(self, components: Sequence[Any], flagging_dir: str | Path) -> None:
        super().setup(components, flagging_dir)
        try:
            self.scheduler = CommitScheduler(
                repo_id=self.repo_id,
                repo_type="dataset",
                folder_path=self.folder,
                path_in_repo=DATASET_FOLDER,
                every=DATASET_EVERY_MINUTES,
                private=True,
                hf_api=self.api,
            )
        except (HfHubHTTPError, OSError, ValueError) as error:
            raise ValueError(
                f"{DATASET_ENV}={self.repo_id}: cannot create or open this Hub dataset ({one_line(error)}); set "
                "HF_TOKEN to a token that may write to it"
            ) from None
        self.lock = self.scheduler.lock  # no upload reads the folder while a report is half written


class Feedback:
    """The stores reports go to; built by `feedback_from_settings` when the host turns feedback on."""

    def __init__(self, logs: Sequence[FeedbackLog]) -> None:
        self.logs = list(logs)

    def send(
        self,
        predictor: Predictor,
        photo: Path | None,
        record: dict[str, Any],
        believed: Any,
        comment: Any,
        consent: Any,
        lang: str = EN,
    ) -> str:
        """One report on the photo (an upload, checked already) and the clinical record; returns what the visitor
        is told, in `lang`. Raises ValueError naming what is wrong with the report, `ReportNotReady` when it lacks
        the class or the photo."""
        believed = checked_class(believed, list(predictor.config.class_names), lang)
        comment, consent = checked_comment(comment, lang), checked_consent(consent, lang)
        if photo is None and predictor.config.uses_image:
            raise ReportNotReady(translate(lang, "feedback.no_photo"))
        prediction = predictor.predict(photo, record)
        probabilities = dict(zip(prediction.classes, prediction.probabilities.round(6).tolist(), strict=True))
        kept = load_image(photo) if consent and photo is not None else None
        row = [
            datetime.now(UTC).isoformat(timespec="seconds"),
            predictor.name,
            prediction.prediction,
            json.dumps(probabilities),
            json.dumps(prediction.record, default=str),
            believed,
            comment,
            kept,
        ]
        for log in self.logs:
            log.flag(row)
        return feedback_sent(kept is not None, lang)


def checked_class(value: Any, classes: list[str], lang: str = EN) -> str:
    if value is None or value == "":
        raise ReportNotReady(translate(lang, "feedback.no_class"))
    if not isinstance(value, str) or value not in classes:
        raise ValueError(feedback_bad_class(value, classes, lang))
    return value


def checked_comment(value: Any, lang: str = EN) -> str:
    """The comment as stored: control and invisible formatting characters (bidirectional overrides, zero-width
    marks) removed, and a leading formula character quoted so that a spreadsheet shows it as text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(translate(lang, "feedback.bad_comment"))
    if len(value) > MAX_COMMENT_CHARS:
        raise ValueError(feedback_comment_too_long(MAX_COMMENT_CHARS, lang))
    comment = "".join(c for c in value if c in "\n\t" or not unicodedata.category(c).startswith("C")).strip()
    return spreadsheet_text(comment)


def spreadsheet_text(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as text: a leading formula character quoted with `'`."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def checked_consent(value: Any, lang: str = EN) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(translate(lang, "feedback.bad_consent"))
    return value


def feedback_from_settings(folder: str | Path | None, dataset: str | None, api: HfApi | None = None) -> Feedback | None:
    """The host's choice: None (off) unless a folder (`--feedback`) or a Hub dataset (`--feedback-dataset`) is
    named. Raises ValueError or OSError when the folder cannot be written or the dataset cannot be opened."""
    logs: list[FeedbackLog] = []
    if folder:
        logs.append(FeedbackLog())
        logs[-1].setup([], folder)
    if dataset:
        logs.append(HubDatasetLog(dataset, api))
        logs[-1].setup([], tempfile.mkdtemp(prefix="mhdf-feedback-"))
    return Feedback(logs) if logs else None


def feedback_section(feedback: Feedback | None, predictor: Predictor, send: Callable, case: Sequence[Any]) -> None:
    """ "This result looks wrong" and its form, under the result, where feedback is on; `case`: the photo and the
    form's components, sent with the report (`DemoSession.send_feedback`)."""
    if feedback is None:
        return
    with gr.Accordion(Text("feedback.open"), open=False, elem_id="feedback"):
        markdown(Text("feedback.explained"))
        believed = gr.Dropdown(
            class_choices(predictor.schema, predictor.config.class_names),
            value=None,
            label=Text("feedback.believed"),
            elem_id="feedback-class",
        )
        comment = gr.Textbox(
            label=Text("feedback.comment"), lines=2, max_length=MAX_COMMENT_CHARS, elem_id="feedback-comment"
        )
        consent = gr.Checkbox(False, label=Text("feedback.consent"), elem_id="feedback-consent")
        button = localize(gr.Button(Text("feedback.send"), elem_id="feedback-send"), value=Text("feedback.send"))
        status = gr.Markdown(elem_id="feedback-status")
    photo, *form = case
    inputs = [photo, believed, comment, consent, *form]
    button.click(send, inputs, [status, comment, consent], api_name="feedback", preprocess=False)
