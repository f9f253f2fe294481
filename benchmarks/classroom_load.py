"""A class at once: many students answering the Lesson and the Reader study through `/class_answer` at the same
time, against the launched demo with classes on, local only and bounded.

    python -m benchmarks.classroom_load [--students 30] [--checkpoint assets/demo] [--json]

Launches `python app.py --classroom DIR` on a free loopback port (DIR a temporary folder), creates a class, lets
`--students` students join, then starts them all at once, each a raw-HTTP client (`POST /gradio_api/call/...` and
its event stream) sending, one after another, an answer to every step of the class's lesson, every bundled study
case alone, and every case after the AI's answer (the faulty AI's, for every other student, on the cases that have
one). Prints the answers sent and recorded, the refusals and failures, the p50 and slowest answer, the wall time,
and whether the teacher's dashboard counts every answer sent.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.served_app import running_app
from mhdf.app import classroom, lesson, reader_study
from mhdf.app.session import DemoSession, load_session
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT

Answer = tuple[str, str, str, str]  # (activity, item, phase, answer), as /class_answer takes them


def call(http: httpx.Client, name: str, *data: Any) -> tuple[str, Any]:
    """One endpoint call as any HTTP client makes it -> (the stream's last event, its data: the result when
    "complete", Gradio's error document when "error")."""
    response = http.post(f"/gradio_api/call/{name}", json={"data": list(data)})
    response.raise_for_status()
    stream = http.get(f"/gradio_api/call/{name}/{response.json()['event_id']}").text
    event = re.findall(r"^event: (\w+)$", stream, re.M)[-1]
    payload = json.loads(re.findall(r"^data: (.*)$", stream, re.M)[-1])
    return event, payload[0] if event == "complete" else payload


@dataclass(frozen=True)
class ClassPlan:
    """What a class can answer in an app: the lesson's steps (item, choice values), the study cases, the cases with
    a faulty AI answer, and the classes."""

    steps: list[tuple[str, list[str]]]
    cases: list[str]
    faulty: set[str]
    classes: list[str]


def class_plan(session: DemoSession) -> ClassPlan:
    """The items of the app serving `session`: its first lesson and its bundled study cases (the faulty ones found
    by running the faulty-AI condition, as the app does)."""
    steps = []
    if session.lessons:
        chosen = session.lessons[0]
        steps = [(str(i + 1), [v for _, v in lesson.choices(s, chosen.predictor)]) for i, s in enumerate(chosen.steps)]
    cases = reader_study.bundled_cases(session.examples, session.lessons)
    names = classroom.unique_names([case.name for case in cases])  # as the class names them
    faulty = {
        n for n, c in zip(names, cases, strict=True) if reader_study.shown_answer(session.predictor, c, True).faulty
    }
    return ClassPlan(steps, names, faulty, list(session.predictor.config.class_names))


def student_answers(student: int, plan: ClassPlan) -> list[Answer]:
    """One student's answers, drawn at random (seeded by the student's number): every lesson step, every case
    alone, then every case after the AI's answer (the faulty AI's on the faulty cases for even students)."""
    rng = random.Random(student)
    sent = [("lesson", item, "answer", rng.choice(values)) for item, values in plan.steps]
    sent += [("reader_study", case, "first", rng.choice(plan.classes)) for case in plan.cases]
    for case in plan.cases:
        phase = "with_faulty_ai" if case in plan.faulty and student % 2 == 0 else "with_ai"
        sent.append(("reader_study", case, phase, rng.choice(plan.classes)))
    return sent


def answer_counts(sent: list[Answer]) -> dict[tuple[str, str, str], Counter]:
    """How often each answer was sent, by (activity, item, phase)."""
    counts: dict[tuple[str, str, str], Counter] = {}
    for activity, item, phase, answer in sent:
        counts.setdefault((activity, item, phase), Counter())[answer] += 1
    return counts


def dashboard_counts(results: dict[str, Any]) -> dict[tuple[str, str, str], Counter]:
    """The same counts as `/class_results` reports them."""
    counts = {("lesson", s["step"], "answer"): Counter(s["counts"]) for s in results["lesson"] if s["counts"]}
    for case in results["reader_study"]["cases"]:
        for phase in ("first", "with_ai", "with_faulty_ai"):
            if case[phase]:
                counts[("reader_study", case["case"], phase)] = Counter(case[phase])
    return counts


def run_class(url: str, plan: ClassPlan, students: int, timeout: float) -> dict[str, Any]:
    """A class created, `students` joined, then all of them answering at once; the outcome and its timings."""
    with httpx.Client(base_url=url, timeout=timeout) as http:
        _, made = call(http, "class_create", "Load test")
        members = [call(http, "class_join", made["code"], f"student {i}")[1]["participant"] for i in range(students)]

    def student(i: int) -> list[tuple[Answer, str, float]]:
        outcomes = []
        with httpx.Client(base_url=url, timeout=timeout) as http:
            for answer in student_answers(i, plan):
                started = time.perf_counter()
                try:
                    event, payload = call(http, "class_answer", made["code"], members[i], *answer)
                    outcome = "recorded" if event == "complete" else f"refused: {payload.get('error')}"
                except httpx.HTTPError as error:
                    outcome = f"failed: {type(error).__name__}"
                outcomes.append((answer, outcome, time.perf_counter() - started))
        return outcomes

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=students) as pool:
        outcomes = [o for answers in pool.map(student, range(students)) for o in answers]
    wall = time.perf_counter() - started
    with httpx.Client(base_url=url, timeout=timeout) as http:
        _, results = call(http, "class_results", made["code"], made["teacher_key"])
    recorded = [answer for answer, outcome, _ in outcomes if outcome == "recorded"]
    seconds = [s for _, outcome, s in outcomes if outcome == "recorded"]
    return {
        "code": made["code"],
        "teacher_key": made["teacher_key"],
        "students": students,
        "sent": len(outcomes),
        "recorded": len(recorded),
        "refused": sum(outcome.startswith("refused") for _, outcome, _ in outcomes),
        "failed": sum(outcome.startswith("failed") for _, outcome, _ in outcomes),
        "problems": sorted({outcome for _, outcome, _ in outcomes if outcome != "recorded"}),
        "p50_s": statistics.median(seconds) if seconds else None,
        "max_s": max(seconds) if seconds else None,
        "wall_s": wall,
        "answers_per_s": len(outcomes) / wall,
        "dashboard_answers": results["answers"],
        "dashboard_matches": dashboard_counts(results) == answer_counts(recorded)
        and results["answers"] == len(recorded),
    }


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default=30, type=int, help="students answering at once")
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, type=Path, help="local checkpoint to launch")
    parser.add_argument("--timeout", default=120.0, type=float, help="seconds an answer waits at most")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        plan = class_plan(load_session(Path(workdir) / "plan", "20mb", args.checkpoint, "cpu"))
        folder = Path(workdir) / "classroom"
        with running_app(Path(workdir) / "app", args.checkpoint, extra_args=["--classroom", str(folder)]) as app:
            result = run_class(app.url, plan, args.students, args.timeout)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['students']} students answering at once: {result['sent']} answers sent, {result['recorded']} "
            f"recorded, {result['refused']} refused, {result['failed']} failed; p50 {result['p50_s']:.2f} s, slowest "
            f"{result['max_s']:.2f} s; {result['wall_s']:.1f} s in all ({result['answers_per_s']:.0f} answers/s); "
            f"dashboard {'counts every answer' if result['dashboard_matches'] else 'DOES NOT MATCH what was sent'}"
        )
        for problem in result["problems"]:
            print(f"  {problem}")
    return result


if __name__ == "__main__":
    main(get_args_parser().parse_args())
