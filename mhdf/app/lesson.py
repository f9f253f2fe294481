"""The guided routing lesson: lesson files, the rules that decide each question's right answer from the model's own
trace at run time, and the scoring, all testable without a server (`mhdf.app.lesson_tab` lays the tab out).

A lesson is a YAML file in the checkpoint folder's `lessons/` (docs/lesson.md):

    title: Routing in five cases             # optional (without: the app's own title, translated)
    steps:
      - case: bcc_1                           # an example case, by name
        question: class
      - case: {photo: cases/x.png, record: cases/x.json, label: BCC}   # files beside the lesson
        question: knockout
        expert: 4                              # counted from 1, as the app labels experts

It never states an answer: `answer_key` computes it from the prediction when the step runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mhdf.app.texts import QUESTION_TYPES, Text, class_choices, lesson_error
from mhdf.inference import Prediction, Predictor
from mhdf.inference.checkpoint import LESSONS_DIR, ExampleCase
from mhdf.routing import LC_PATHS, RoutingOverrides

QUESTIONS = QUESTION_TYPES
# The parameter each question type needs (counted from 1 in the file, from 0 in a `Step`).
PARAMETER = {"clinical_steering": "stage", "knockout": "expert"}
STEP_KEYS = {"case", "question", "stage", "expert"}
CASE_KEYS = {"photo", "record", "label"}
LESSON_SUFFIXES = (".yaml", ".yml")


class LessonError(ValueError):
    """A lesson file refused, with the file and line in its one-line message."""


@dataclass(frozen=True)
class LessonCase:
    """A case a lesson shows: an example of the checkpoint or a photo and record beside the lesson file."""

    name: str
    image: Path
    record: dict[str, Any]  # as written (raw values); validated by the schema when read
    label: str | None  # the true class, when known


@dataclass(frozen=True)
class Step:
    case: LessonCase
    question: str  # one of QUESTIONS
    stage: int | None = None  # clinical_steering: the LC-MoE stage, from 0
    expert: int | None = None  # knockout: the expert, from 0
    line: int = 0  # where the step starts in its file


@dataclass(frozen=True)
class Lesson:
    title: str | None
    steps: list[Step]
    source: str  # the file name, for messages
    predictor: Predictor  # the checkpoint whose traces answer the questions: the one the lesson was written for


class _LineDict(dict):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _mapping_with_lines(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_lines)


@dataclass
class _Reader:
    """Turns one lesson file's YAML into a `Lesson`, refusing anything wrong with the line it is on."""

    source: str
    folder: Path
    examples: Mapping[str, ExampleCase]
    predictor: Predictor
    _files: dict[tuple[str, str], LessonCase] = field(default_factory=dict)

    def fail(self, line: int | None, problem: str) -> LessonError:
        return LessonError(lesson_error(self.source, line, problem))

    def lesson(self, text: str) -> Lesson:
        try:
            document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise self.fail(mark.line + 1 if mark else None, f"not valid YAML ({error.problem})") from None
        except yaml.YAMLError as error:
            raise self.fail(None, f"not valid YAML ({error})") from None
        if not isinstance(document, _LineDict) or not isinstance(document.get("steps"), list):
            raise self.fail(1, "expected a mapping with a `steps:` list (and an optional `title:`)")
        if unknown := set(document) - {"title", "steps"}:
            key = sorted(unknown)[0]
            raise self.fail(document.key_lines[key], f"unknown key {key!r}; a lesson has `title` and `steps`")
        title = document.get("title")
        if title is not None and not isinstance(title, str):
            raise self.fail(document.key_lines["title"], "`title` must be text")
        if not document["steps"]:
            raise self.fail(document.key_lines["steps"], "the lesson has no steps")
        steps = [self.step(item, document.key_lines["steps"]) for item in document["steps"]]
        return Lesson(title, steps, self.source, self.predictor)

    def step(self, item: Any, steps_line: int) -> Step:
        if not isinstance(item, _LineDict):
            raise self.fail(steps_line, "every step must be a mapping with `case` and `question`")
        line = item.line
        if unknown := set(item) - STEP_KEYS:
            key = sorted(unknown)[0]
            raise self.fail(item.key_lines[key], f"unknown key {key!r}; a step has {', '.join(sorted(STEP_KEYS))}")
        for key in ("case", "question"):
            if key not in item:
                raise self.fail(line, f"the step has no `{key}`")
        question = item["question"]
        if question not in QUESTIONS:
            raise self.fail(
                item.key_lines["question"], f"unknown question type {question!r}; choose one of {', '.join(QUESTIONS)}"
            )
        case = self.case(item["case"], item.key_lines["case"])
        config = self.predictor.config
        stage = self.index(item, "stage", config.num_fused_stages, question)
        expert = self.index(item, "expert", config.num_experts, question)
        if question == "knockout" and config.num_experts < 2:
            raise self.fail(line, "a knock-out question needs a model with at least two experts")
        if question == "ood" and self.predictor.trust.ood is None:
            raise self.fail(line, "an `ood` question needs a checkpoint with ood.json")
        return Step(case, question, stage, expert, line)

    def index(self, item: _LineDict, key: str, count: int, question: str) -> int | None:
        """A stage or expert number (from 1 in the file) -> its index, where the question needs it."""
        needed = PARAMETER.get(question) == key
        if key not in item:
            if needed:
                raise self.fail(item.line, f"a {question} question needs `{key}:` (1 to {count})")
            return None
        if not needed:
            raise self.fail(item.key_lines[key], f"a {question} question takes no `{key}`")
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= count:
            raise self.fail(item.key_lines[key], f"`{key}` must be a whole number from 1 to {count}, got {value!r}")
        return value - 1

    def case(self, value: Any, line: int) -> LessonCase:
        if isinstance(value, str):
            if value not in self.examples:
                known = ", ".join(self.examples) or "none"
                raise self.fail(line, f"unknown example case {value!r}; the checkpoint's examples: {known}")
            example = self.examples[value]
            return LessonCase(example.name, example.image, example.metadata, example.label)
        if not isinstance(value, _LineDict) or not {"photo", "record"} <= set(value) or set(value) - CASE_KEYS:
            raise self.fail(line, "`case` is an example name or {photo: FILE, record: FILE.json, label: CLASS}")
        key = (str(value["photo"]), str(value["record"]))
        if key not in self._files:
            self._files[key] = self.case_files(value)
        return self._files[key]

    def case_files(self, value: _LineDict) -> LessonCase:
        photo, record_file = (self.inside(value, key) for key in ("photo", "record"))
        try:
            record = json.loads(record_file.read_text())
        except (OSError, json.JSONDecodeError) as error:
            problem = f"{record_file.name} is not a readable JSON file ({error})"
            raise self.fail(value.key_lines["record"], problem) from None
        if not isinstance(record, dict):
            raise self.fail(value.key_lines["record"], f"{record_file.name} must hold a JSON object of fields")
        try:
            self.predictor.schema.normalize(record)
        except ValueError as error:
            raise self.fail(value.key_lines["record"], f"{record_file.name}: {error}") from None
        label = value.get("label")
        if label is not None and label not in self.predictor.config.class_names:
            classes = ", ".join(self.predictor.config.class_names)
            raise self.fail(value.key_lines["label"], f"label {label!r} is not one of {classes}")
        return LessonCase(photo.stem, photo, record, label)

    def inside(self, value: _LineDict, key: str) -> Path:
        """A file named in the lesson, which must lie inside the lessons folder."""
        path = (self.folder / str(value[key])).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise self.fail(value.key_lines[key], f"{value[key]} lies outside the lessons folder")
        if not path.is_file():
            raise self.fail(value.key_lines[key], f"no file {value[key]} beside the lesson")
        return path


def parse_lesson(text: str, source: str, folder: Path, examples: Sequence[ExampleCase], predictor: Predictor) -> Lesson:
    """A lesson file's text -> Lesson, checked against the checkpoint (its examples, stages, experts, trust files).
    Raises LessonError with a one-line message naming the file and the line."""
    return _Reader(source, Path(folder), {e.name: e for e in examples}, predictor).lesson(text)


def read_lessons(folder: str | Path, examples: Sequence[ExampleCase], predictor: Predictor) -> list[Lesson]:
    """The lessons of a checkpoint folder (`lessons/*.yaml`, sorted by name); none without the folder."""
    lessons = Path(folder) / LESSONS_DIR
    if not lessons.is_dir():
        return []
    paths = sorted(p for p in lessons.iterdir() if p.suffix in LESSON_SUFFIXES)
    return [parse_lesson(p.read_text(), p.name, lessons, examples, predictor) for p in paths]


# --- answers ------------------------------------------------------------------------------------------------------


def choices(step: Step, predictor: Predictor) -> list[tuple[str, str]]:
    """(label, value) pairs a learner picks from; `value` is what `answer_key` returns for the right one. The labels
    are `Text`s (English as strings; `in_language` gives the visitor's)."""
    if step.question == "class":
        return class_choices(predictor.schema, predictor.config.class_names)
    if step.question == "leading_expert":
        return [(Text("expert", expert=e + 1), str(e)) for e in range(predictor.config.num_experts)]
    answers = {"clinical_steering": ("clinical", "photo"), "knockout": ("stays", "changes")}.get(
        step.question, ("yes", "no")
    )
    return [(Text(f"choice.{value}"), value) for value in answers]


def answer_key(step: Step, prediction: Prediction, knocked_out: Prediction | None = None) -> str:
    """The right answer's value, decided from the model's own output for this step's case:

    - class: the predicted class (largest probability);
    - leading_expert: the expert with the largest GM-Gate weight;
    - clinical_steering: "clinical" if the fused path's LC-Gate weight at the stage is > 0.5, else "photo";
    - knockout: "changes" if the run with the expert knocked out (`knocked_out`) predicts another class;
    - ood: "yes" if the out-of-distribution check says the photo is unlike the training images.
    """
    if step.question == "class":
        return prediction.prediction
    if step.question == "leading_expert":
        return str(int(prediction.trace.gm_gate[0].argmax()))
    if step.question == "clinical_steering":
        fused = float(prediction.trace.lc_gate[0, step.stage, LC_PATHS.index("fused")])
        return "clinical" if fused > 0.5 else "photo"
    if step.question == "knockout":
        if knocked_out is None:
            raise ValueError("a knock-out question needs the knocked-out run")
        return "changes" if knocked_out.prediction != prediction.prediction else "stays"
    if prediction.in_distribution is None:
        raise ValueError("this checkpoint cannot tell whether a photo is unlike its training images")
    return "no" if prediction.in_distribution else "yes"


def knockout(step: Step) -> RoutingOverrides | None:
    """The intervention a step's reveal needs: its expert knocked out, for a knockout question."""
    return RoutingOverrides(gm_disabled_experts=(step.expert,)) if step.question == "knockout" else None


@dataclass(frozen=True)
class StepRun:
    """A step's case run through the model, with what its reveal shows."""

    prediction: Prediction
    knocked_out: Prediction | None  # knockout questions: the run without the expert
    right: str  # the right choice's value (`answer_key`)


def run_step(predictor: Predictor, step: Step) -> StepRun:
    """One forward pass of the step's case (two for a knock-out question). Raises ValueError for a bad case."""
    record = predictor.schema.validate(step.case.record)
    pixels = predictor.preprocess(step.case.image)[1] if predictor.config.uses_image else None
    (prediction,) = predictor.predict_validated(pixels, [record])
    knocked_out = None
    if (overrides := knockout(step)) is not None:
        (knocked_out,) = predictor.predict_validated(pixels, [record], overrides)
    return StepRun(prediction, knocked_out, answer_key(step, prediction, knocked_out))


# --- progress and scoring (the per-visitor state: plain JSON, so gr.State copies it per browser session) ----------


def new_progress(lesson: int = 0) -> dict[str, Any]:
    """A learner at the first step of lesson number `lesson`, nothing answered."""
    return {"lesson": lesson, "step": 0, "answers": {}}


def record_answer(progress: Mapping[str, Any], question: str, chosen: str, right: str) -> dict[str, Any]:
    """The progress with the current step answered; a step keeps its first answer (no second try after the
    reveal)."""
    answers = dict(progress["answers"])
    answers.setdefault(str(progress["step"]), {"question": question, "chosen": chosen, "right": right})
    return {**progress, "answers": answers}


def score(progress: Mapping[str, Any]) -> tuple[int, int]:
    """(right answers, answered steps)."""
    answers = progress["answers"].values()
    return sum(a["chosen"] == a["right"] for a in answers), len(answers)


def summary(progress: Mapping[str, Any]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per question type (in `QUESTIONS` order): (right, asked); and the types with at least one wrong answer."""
    by_topic: dict[str, tuple[int, int]] = {}
    for question in QUESTIONS:
        answers = [a for a in progress["answers"].values() if a["question"] == question]
        if answers:
            by_topic[question] = (sum(a["chosen"] == a["right"] for a in answers), len(answers))
    return by_topic, [q for q, (right, asked) in by_topic.items() if right < asked]
