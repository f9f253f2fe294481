"""The reader study (after Tschandl et al., Nature Medicine 2020): the learner answers each case first, then sees the
model's answer and may revise; an instructor may show a faulty AI on a share of the cases. Everything here runs
without a server: the cases, the faulty-AI selection, the per-visitor state and the results (table and CSV).

The state is a plain dict kept in the visitor's `gr.State`; nothing is stored on the server, and the results
leave only as the file the teacher downloads.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mhdf.app.lesson import Lesson
from mhdf.app.texts import EN, translate
from mhdf.inference import Prediction, Predictor
from mhdf.inference.checkpoint import ExampleCase
from mhdf.routing import RoutingOverrides

RESULT_COLUMNS = (
    "case", "true_class", "first_class", "first_confidence", "shown_class", "faulty", "final_class",
    "final_confidence", "seconds",
)  # fmt: skip
IMAGE_COLUMN = "image"  # the batch-prediction CSV's photo column (a file name among the uploaded photos)
LABEL_COLUMN = "label"
MAX_CSV_CASES = 200


@dataclass(frozen=True)
class StudyCase:
    name: str
    image: str  # path of the photo
    record: dict[str, Any]  # raw clinical values; unknown fields left out
    label: str  # the true class

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "image": self.image, "record": self.record, "label": self.label}


def bundled_cases(examples: Sequence[ExampleCase], lessons: Sequence[Lesson]) -> list[StudyCase]:
    """The checkpoint's labelled examples, then the lessons' labelled cases not among them, each photo once."""
    cases: dict[str, StudyCase] = {}
    for example in examples:
        if example.label:
            cases.setdefault(
                str(example.image), StudyCase(example.name, str(example.image), example.metadata, example.label)
            )
    for lesson in lessons:
        for step in lesson.steps:
            case = step.case
            if case.label:
                cases.setdefault(str(case.image), StudyCase(case.name, str(case.image), case.record, case.label))
    return list(cases.values())


def csv_cases(text: str, photos: Mapping[str, Path], predictor: Predictor, lang: str = EN) -> list[StudyCase]:
    """Cases from a CSV in the batch-prediction format plus a `label` column: `image` (a file name among `photos`),
    one column per clinical field (empty = unknown; other columns ignored). Raises ValueError naming the row, in
    `lang` (a clinical value's own problem in the schema's English)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise ValueError(translate(lang, "reader.csv.no_rows"))
    missing = {IMAGE_COLUMN, LABEL_COLUMN} - set(rows[0])
    if missing:
        raise ValueError(translate(lang, "reader.csv.missing", columns=", ".join(sorted(missing))))
    if len(rows) > MAX_CSV_CASES:
        raise ValueError(translate(lang, "reader.csv.too_many", rows=len(rows), limit=MAX_CSV_CASES))
    fields = set(predictor.schema.field_names)
    cases = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        name = (row[IMAGE_COLUMN] or "").strip()
        if name not in photos:
            raise ValueError(translate(lang, "reader.csv.no_photo", line=number, name=repr(name)))
        label = (row[LABEL_COLUMN] or "").strip()
        if label not in predictor.config.class_names:
            classes = ", ".join(predictor.config.class_names)
            raise ValueError(translate(lang, "reader.csv.bad_label", line=number, label=repr(label), classes=classes))
        record = {key: value for key, value in row.items() if key in fields and value and value.strip()}
        try:
            predictor.schema.normalize(record)
        except ValueError as error:
            raise ValueError(translate(lang, "reader.csv.bad_record", line=number, error=error)) from None
        cases.append(StudyCase(Path(name).stem, str(photos[name]), record, label))
    return cases


def draw_faulty(count: int, share: float, rng: random.Random) -> list[bool]:
    """Which of `count` cases get the faulty condition: round(share * count) of them, at random."""
    if not 0 <= share <= 1:
        raise ValueError(f"the faulty share must lie between 0 and 1, got {share}")
    chosen = set(rng.sample(range(count), round(share * count)))
    return [i in chosen for i in range(count)]


def interventions(num_experts: int) -> list[RoutingOverrides]:
    """The faulty-AI candidates: each expert knocked out, then each expert forced."""
    knocked = [RoutingOverrides(gm_disabled_experts=(e,)) for e in range(num_experts)] if num_experts > 1 else []
    return knocked + [RoutingOverrides(gm_forced_expert=e) for e in range(num_experts)]


def most_misleading(baseline: Prediction, candidates: Sequence[Prediction]) -> int | None:
    """The candidate that changes the top class and most lowers the baseline class's probability; None when no
    candidate changes the top class."""
    top = int(baseline.probabilities.argmax())
    changing = [i for i, c in enumerate(candidates) if c.prediction != baseline.prediction]
    if not changing:
        return None
    return min(changing, key=lambda i: float(candidates[i].probabilities[top]))


@dataclass
class ShownAnswer:
    """What the learner is shown for one case: the model's own answer, or a faulty one."""

    prediction: Prediction
    faulty: bool  # True: `prediction` comes from `overrides`, and its top class differs from the model's own
    overrides: RoutingOverrides | None


def shown_answer(predictor: Predictor, case: StudyCase, faulty: bool) -> ShownAnswer:
    """The model's answer for a case; for a faulty case, the intervention of `most_misleading`, when one exists
    (all candidates run in one batch each: overrides apply to a whole batch)."""
    record = predictor.schema.validate(case.record)
    pixels = predictor.preprocess(case.image)[1] if predictor.config.uses_image else None
    (baseline,) = predictor.predict_validated(pixels, [record])
    if not faulty:
        return ShownAnswer(baseline, False, None)
    candidates = interventions(predictor.config.num_experts)
    runs = [predictor.predict_validated(pixels, [record], overrides)[0] for overrides in candidates]
    chosen = most_misleading(baseline, runs)
    if chosen is None:
        return ShownAnswer(baseline, False, None)
    return ShownAnswer(runs[chosen], True, candidates[chosen])


# --- the per-visitor state ----------------------------------------------------------------------------------------


def new_study(cases: Sequence[StudyCase], faulty_share: float, seed: int | None = None) -> dict[str, Any]:
    """A study over `cases` in a random order, `faulty_share` of them drawn for the faulty condition."""
    rng = random.Random(seed)
    order = list(cases)
    rng.shuffle(order)
    return {
        "cases": [c.as_json() for c in order],
        "drawn": draw_faulty(len(order), faulty_share, rng),
        "faulty_condition": faulty_share > 0,
        "index": 0,
        "phase": "first",
        "rows": [],
        "pending": None,
    }


def study_case(state: Mapping[str, Any]) -> StudyCase:
    return StudyCase(**state["cases"][state["index"]])


def finished(state: Mapping[str, Any] | None) -> bool:
    return state is None or state["index"] >= len(state["cases"])


def first_answer(
    state: Mapping[str, Any], first_class: str, confidence: int, shown: ShownAnswer, started: float
) -> dict[str, Any]:
    """The learner's first answer and what the AI showed for the current case (shown at time `started`, in
    `time.monotonic` seconds); the phase becomes "revise"."""
    case = study_case(state)
    pending = {
        "case": case.name, "true_class": case.label, "first_class": first_class, "first_confidence": int(confidence),
        "shown_class": shown.prediction.prediction, "faulty": shown.faulty, "started": started,
        "drawn": bool(state["drawn"][state["index"]]),
    }  # fmt: skip
    return {**state, "phase": "revise", "pending": pending}


def final_answer(state: Mapping[str, Any], final_class: str, confidence: int, now: float) -> dict[str, Any]:
    """The learner's final answer: the case's row is complete, and the study moves to the next case."""
    pending = dict(state["pending"])
    started = pending.pop("started")
    row = {
        **pending,
        "final_class": final_class,
        "final_confidence": int(confidence),
        "seconds": round(now - started, 1),
    }
    return {**state, "rows": [*state["rows"], row], "index": state["index"] + 1, "phase": "first", "pending": None}


# --- results ------------------------------------------------------------------------------------------------------


def accuracy(truth: Sequence[str], answers: Sequence[str]) -> float | None:
    return float(np.mean([t == a for t, a in zip(truth, answers, strict=True)])) if truth else None


def balanced_accuracy(truth: Sequence[str], answers: Sequence[str]) -> float | None:
    """The mean over the true classes present of the share answered right (recall)."""
    if not truth:
        return None
    recalls = [
        np.mean([a == cls for t, a in zip(truth, answers, strict=True) if t == cls]) for cls in sorted(set(truth))
    ]
    return float(np.mean(recalls))


def group_scores(rows: Sequence[Mapping[str, Any]], group: str) -> dict[str, Any]:
    """Accuracy and balanced accuracy of the learner alone, with AI and of the AI as shown, and how often the AI
    turned the learner's right first answer wrong, or a wrong one right."""
    truth = [r["true_class"] for r in rows]
    scores: dict[str, Any] = {"group": group, "n": len(rows)}
    for who in ("first", "final", "shown"):
        answers = [r[f"{who}_class"] for r in rows]
        scores[f"{who}_accuracy"] = accuracy(truth, answers)
        scores[f"{who}_balanced"] = balanced_accuracy(truth, answers)
    scores["right_to_wrong"] = sum(r["first_class"] == r["true_class"] != r["final_class"] for r in rows)
    scores["wrong_to_right"] = sum(r["first_class"] != r["true_class"] == r["final_class"] for r in rows)
    return scores


def results_table(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row of `group_scores` for all cases, then the faulty and the faithful ones (`names`: the groups'
    display names by key "all", "faulty", "faithful")."""
    faulty = [r for r in rows if r["faulty"]]
    faithful = [r for r in rows if not r["faulty"]]
    return [
        group_scores(rows, names["all"]),
        group_scores(faulty, names["faulty"]),
        group_scores(faithful, names["faithful"]),
    ]


def results_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per case with `RESULT_COLUMNS`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def results_json(state: Mapping[str, Any], table: Sequence[Mapping[str, Any]]) -> str:
    """The whole study: the table, each case's row with whether it was drawn for the faulty condition."""
    document = {"faulty_condition": state["faulty_condition"], "results": list(table), "cases": state["rows"]}
    return json.dumps(document, indent=2)
