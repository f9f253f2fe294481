"""Classes in the launched app, over raw HTTP (Gradio's `/gradio_api/call/...`): a scripted class of 30 students all
at once gives dashboard counts equal to what was sent, and the same after a restart; a wrong key gets nothing;
hostile nicknames and codes are refused without harm; without `--classroom` the endpoints do not exist."""

import csv
import io
import json
import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mhdf.app import lesson, reader_study
from tests.helpers import SYNTHETIC_CHECKPOINT, running_app

pytestmark = pytest.mark.slow
FAULTY_CASES = {"ack_2", "ack_3", "bcc_2"}  # the bundled cases with a faulty answer (docs/lesson.md)
STUDENTS = 30


def call(http: httpx.Client, name: str, *data) -> tuple[str, object]:
    """One endpoint call as any HTTP client makes it -> (the stream's last event, its data)."""
    response = http.post(f"/gradio_api/call/{name}", json={"data": list(data)})
    response.raise_for_status()
    stream = http.get(f"/gradio_api/call/{name}/{response.json()['event_id']}").text
    event = re.findall(r"^event: (\w+)$", stream, re.M)[-1]
    payload = json.loads(re.findall(r"^data: (.*)$", stream, re.M)[-1])
    return event, payload[0] if event == "complete" else payload


def ok(http, name, *data):
    event, payload = call(http, name, *data)
    assert event == "complete", (name, data, payload)
    return payload


def refused(http, name, *data) -> str:
    """The one line of a refusal."""
    event, payload = call(http, name, *data)
    assert event == "error" and payload["title"] == "Refused", (name, data, payload)
    return payload["error"]


@pytest.fixture(scope="module")
def bundled(predictor, examples):
    (routing,) = lesson.read_lessons(SYNTHETIC_CHECKPOINT, examples, predictor)
    cases = reader_study.bundled_cases(examples, [routing])
    return routing, cases


def class_answers(student: int, routing, cases, predictor) -> list[tuple[str, str, str, str]]:
    """What one student sends: (activity, item, phase, answer) for the 11 steps, then every case alone and after
    the AI's answer (the faulty AI's on the faulty cases for even students)."""
    rng = random.Random(student)
    sent = [("lesson", str(i + 1), "answer", rng.choice([v for _, v in lesson.choices(step, predictor)]))
            for i, step in enumerate(routing.steps)]  # fmt: skip
    classes = list(predictor.config.class_names)
    sent += [("reader_study", case.name, "first", rng.choice(classes)) for case in cases]
    for case in cases:
        phase = "with_faulty_ai" if case.name in FAULTY_CASES and student % 2 == 0 else "with_ai"
        sent.append(("reader_study", case.name, phase, rng.choice(classes)))
    return sent


def expected_counts(sent) -> dict:
    counts: dict = {}
    for activity, item, phase, answer in sent:
        counts.setdefault((activity, item, phase), Counter())[answer] += 1
    return counts


def dashboard_counts(results) -> dict:
    counts = {("lesson", s["step"], "answer"): Counter(s["counts"]) for s in results["lesson"] if s["counts"]}
    for case in results["reader_study"]["cases"]:
        for phase in ("first", "with_ai", "with_faulty_ai"):
            if case[phase]:
                counts[("reader_study", case["case"], phase)] = Counter(case[phase])
    return counts


def test_a_class_of_thirty_at_once_is_counted_exactly_and_survives_a_restart(tmp_path, predictor, bundled):
    routing, cases = bundled
    folder = tmp_path / "classroom"
    with running_app(tmp_path / "first", extra_args=["--classroom", str(folder)]) as app:
        with httpx.Client(base_url=app.url, timeout=120) as http:
            made = ok(http, "class_create", "Dermatology 101")
            members = [ok(http, "class_join", made["code"], f"student {i}")["participant"] for i in range(STUDENTS)]

        def student(i: int) -> list:
            sent = class_answers(i, routing, cases, predictor)
            with httpx.Client(base_url=app.url, timeout=300) as http:
                for answer in sent:
                    assert ok(http, "class_answer", made["code"], members[i], *answer)["recorded"] is True
            return sent

        with ThreadPoolExecutor(STUDENTS) as pool:
            sent = [answer for answers in pool.map(student, range(STUDENTS)) for answer in answers]
        assert len(sent) == STUDENTS * (len(routing.steps) + 2 * len(cases)) == 30 * 29
        with httpx.Client(base_url=app.url, timeout=120) as http:
            results = ok(http, "class_results", made["code"], made["teacher_key"])
            export = ok(http, "class_export", made["code"], made["teacher_key"])
            for key in ("", "wrong", made["teacher_key"][:-1], made["teacher_key"] + "x"):
                for name in ("class_results", "class_export"):
                    assert refused(http, name, made["code"], key) == "no class with this join code and teacher key"
            other = ok(http, "class_create", "Other class")
            assert "teacher key" in refused(http, "class_results", made["code"], other["teacher_key"])
    assert results["class"]["participants"] == STUDENTS and results["answers"] == len(sent)
    assert dashboard_counts(results) == expected_counts(sent)
    rights = [lesson.run_step(predictor, step).right for step in routing.steps]
    for step, right in zip(results["lesson"], rights, strict=True):
        assert step["right"] == sum(a == right for _, item, _, a in sent if item == step["step"])
    truth = {case.name: case.label for case in cases}
    first = [(item, a) for activity, item, phase, a in sent if phase == "first"]
    assert results["reader_study"]["accuracy"]["first"]["right"] == sum(truth[i] == a for i, a in first)
    assert results["reader_study"]["accuracy"]["with_faulty_ai"]["n"] == 15 * len(FAULTY_CASES)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == len(sent) and Counter(r["nickname"] for r in rows) == {f"student {i}": 29 for i in range(30)}

    second = running_app(tmp_path / "second", extra_args=["--classroom", str(folder)])
    with second as app, httpx.Client(base_url=app.url, timeout=120) as http:
        after = ok(http, "class_results", made["code"], made["teacher_key"])
    assert after["lesson"] == results["lesson"] and after["reader_study"] == results["reader_study"]
    assert after["answers"] == results["answers"] and after["class"]["participants"] == STUDENTS


HOSTILE_NICKNAMES = [
    ("x" * 41, "too long: at most 40 characters"),
    ("Ana\x00Bob", "control or invisible character"),
    ("Ana\r\nSet-Cookie: x=1", "control or invisible character"),
    ("admin\u202etxt.exe", "control or invisible character"),
    ("", "is empty"),
]
HOSTILE_CODES = ["'; DROP TABLE classes; --", "ABC", "ABCDE\x00", "A" * 10_000, "<b onmouseover=alert(1)>"]


def test_hostile_nicknames_and_codes_are_refused_without_harm(tmp_path):
    launched = running_app(tmp_path, extra_args=["--classroom", str(tmp_path / "classroom")])
    with launched as app, httpx.Client(base_url=app.url, timeout=120) as http:
        made = ok(http, "class_create", "Safe class")
        ana = ok(http, "class_join", made["code"], "Ana")
        for nickname, message in HOSTILE_NICKNAMES:
            assert message in refused(http, "class_join", made["code"], nickname)
        for code in HOSTILE_CODES:
            assert "join code is 6 letters and digits" in refused(http, "class_join", code, "Bia")
            assert refused(http, "class_results", code, made["teacher_key"]).startswith("no class with")
        assert "no such item" in refused(http, "class_answer", made["code"], ana["participant"], "lesson",
                                             "1; DELETE FROM answers", "answer", "BCC")  # fmt: skip
        assert "not a participant" in refused(http, "class_answer", made["code"], "' OR '1'='1", "lesson", "1",
                                                  "answer", "BCC")  # fmt: skip
        results = ok(http, "class_results", made["code"], made["teacher_key"])
        assert results["class"]["participants"] == 1 and results["answers"] == 0
        assert ok(http, "class_join", made["code"], "Bia")["nickname"] == "Bia"  # still serving
    assert (tmp_path / "classroom" / "classroom.sqlite3").is_file()


def test_without_the_option_nothing_is_stored_and_the_class_endpoints_do_not_exist(demo_app):
    info = httpx.get(demo_app.url + "gradio_api/info", timeout=60).json()
    assert not [name for name in info["named_endpoints"] if name.startswith("/class")]
    assert "class-join" not in httpx.get(demo_app.url + "config", timeout=60).text  # no Class tab
    response = httpx.post(demo_app.url + "gradio_api/call/class_create", json={"data": ["A class"]}, timeout=60)
    assert response.status_code != 200 and "event_id" not in response.text  # Gradio: no such endpoint
