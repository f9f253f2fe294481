"""Classes in the launched app, over raw HTTP (Gradio's `/gradio_api/call/...`): a scripted class of 30 students all
at once (`benchmarks.classroom_load`) gives dashboard counts equal to what was sent, and the same after a restart; a
wrong key gets nothing; hostile nicknames and codes are refused without harm; without `--classroom` the endpoints
do not exist."""

import csv
import io
from collections import Counter

import httpx
import pytest

from benchmarks.classroom_load import answer_counts, call, class_plan, dashboard_counts, run_class, student_answers
from mhdf.app import lesson, reader_study
from mhdf.app.session import load_session
from tests.helpers import SYNTHETIC_CHECKPOINT, running_app

pytestmark = pytest.mark.slow
STUDENTS = 30


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
def session(tmp_path_factory):
    return load_session(tmp_path_factory.mktemp("uploads"), "20mb", SYNTHETIC_CHECKPOINT, "cpu")


def test_a_class_of_thirty_at_once_is_counted_exactly_and_survives_a_restart(tmp_path, session):
    plan = class_plan(session)
    assert len(plan.steps) == 11 and len(plan.cases) == 9 and plan.faulty == {"ack_2", "ack_3", "bcc_2"}
    sent = [answer for i in range(STUDENTS) for answer in student_answers(i, plan)]
    assert len(sent) == STUDENTS * (11 + 2 * 9)
    folder = tmp_path / "classroom"
    with running_app(tmp_path / "first", extra_args=["--classroom", str(folder)]) as app:
        run = run_class(app.url, plan, STUDENTS, timeout=300)
        code, key = run["code"], run["teacher_key"]
        with httpx.Client(base_url=app.url, timeout=120) as http:
            results = ok(http, "class_results", code, key)
            export = ok(http, "class_export", code, key)
            for wrong in ("", "wrong", key[:-1], key + "x"):
                for name in ("class_results", "class_export"):
                    assert refused(http, name, code, wrong) == "no class with this join code and teacher key"
            other = ok(http, "class_create", "Other class")
            assert "teacher key" in refused(http, "class_results", code, other["teacher_key"])
    assert (run["recorded"], run["refused"], run["failed"]) == (len(sent), 0, 0)
    assert results["class"]["participants"] == STUDENTS and results["answers"] == len(sent)
    assert dashboard_counts(results) == answer_counts(sent)
    chosen = session.lessons[0]
    rights = [lesson.run_step(chosen.predictor, step).right for step in chosen.steps]
    for step, right in zip(results["lesson"], rights, strict=True):
        assert step["right"] == sum(a == right for _, item, _, a in sent if item == step["step"])
    truth = {case.name: case.label for case in reader_study.bundled_cases(session.examples, session.lessons)}
    first = [(item, a) for _, item, phase, a in sent if phase == "first"]
    assert results["reader_study"]["accuracy"]["first"]["right"] == sum(truth[i] == a for i, a in first)
    assert results["reader_study"]["accuracy"]["with_faulty_ai"]["n"] == 15 * len(plan.faulty)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == len(sent) and Counter(r["nickname"] for r in rows) == {f"student {i}": 29 for i in range(30)}

    second = running_app(tmp_path / "second", extra_args=["--classroom", str(folder)])
    with second as app, httpx.Client(base_url=app.url, timeout=120) as http:
        after = ok(http, "class_results", code, key)
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
