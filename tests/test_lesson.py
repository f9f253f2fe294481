"""The guided lesson and the reader study without a server: lesson files and their refusals, every answer rule
against a hand-made trace, the scoring, the faulty-AI selection and the study's results."""

import random
import re

import numpy as np
import pytest
import torch

from mhdf.app import lesson, reader_study
from mhdf.app.texts import READER_GROUPS
from mhdf.inference import Prediction
from mhdf.inference.checkpoint import LESSONS_DIR
from mhdf.routing import RoutingOverrides
from mhdf.trace import RoutingTrace
from tests.helpers import SYNTHETIC_CHECKPOINT

CLASSES = ["ACK", "BCC", "MEL"]


def made_prediction(probabilities, gm_gate=(0.2, 0.5, 0.3), fused=(0.7, 0.4), in_distribution=True) -> Prediction:
    """A Prediction with a hand-written trace (1 sample, 2 stages, 3 experts, 3 classes)."""
    probabilities = np.asarray(probabilities, dtype=float)
    lc = torch.tensor([[[1 - f, f] for f in fused]])
    trace = RoutingTrace(
        lc_gate=lc, gm_gate=torch.tensor([gm_gate]), expert_logits=torch.zeros(1, 3, 3), logit_bias=torch.zeros(3),
        tkca=[], channel_attention=[],
    )  # fmt: skip
    ood = {"score": 3.0 if in_distribution else 30.0, "threshold": 10.0, "in_distribution": in_distribution}
    return Prediction(
        model={}, classes=CLASSES, class_labels={c: c for c in CLASSES}, probabilities=probabilities,
        logits=np.log(probabilities), record={}, field_names=[], trace=trace, top_k=4, ood=ood,
    )  # fmt: skip


def step(question, stage=None, expert=None) -> lesson.Step:
    case = lesson.LessonCase("case", SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png", {}, "BCC")
    return lesson.Step(case, question, stage, expert)


@pytest.fixture(scope="module")
def bundled(predictor, examples):
    (routing,) = lesson.read_lessons(SYNTHETIC_CHECKPOINT, examples, predictor)
    return routing


# --- lesson files ---------------------------------------------------------------------------------------------


def test_the_bundled_lesson_keeps_its_promises(predictor, bundled):
    assert len(bundled.steps) >= 8
    assert {s.question for s in bundled.steps} == set(lesson.QUESTIONS)
    runs = [lesson.run_step(predictor, s) for s in bundled.steps]
    cases = {s.case.image: s.case for s in bundled.steps}
    wrong = [c for c in cases.values() if predictor.predict(c.image, c.record).prediction != c.label]
    assert wrong, "the lesson needs a case the model gets wrong"
    steered = [c for c in cases.values() if predictor.predict(c.image, c.record).prediction
               != predictor.predict(c.image, {}).prediction]  # fmt: skip
    assert steered, "the lesson needs a case whose clinical data change the predicted class"
    # a lesson that always asks for the same answer teaches nothing: both answers of the two-way questions occur
    for question in ("clinical_steering", "knockout", "ood"):
        answers = {r.right for s, r in zip(bundled.steps, runs, strict=True) if s.question == question}
        assert len(answers) == 2, (question, answers)
    for s, run in zip(bundled.steps, runs, strict=True):
        assert run.right in {value for _, value in lesson.choices(s, predictor)}


def write_lesson(folder, text):
    (folder / LESSONS_DIR).mkdir(parents=True, exist_ok=True)
    (folder / LESSONS_DIR / "bad.yaml").write_text(text)


GOOD_STEP = "  - case: bcc_1\n    question: class\n"
REFUSED = [
    ("steps: [\n  - {case: bcc_1\n", 2, "not valid YAML"),
    ("title: x\n", 1, "steps"),
    ("steps:\n" + GOOD_STEP + "  - case: bcc_1\n    question: colour\n", 5, "unknown question type 'colour'"),
    ("steps:\n" + GOOD_STEP + "  - case: nobody\n    question: class\n", 4, "unknown example case 'nobody'"),
    ("steps:\n  - case: bcc_1\n    question: knockout\n", 2, "needs `expert:`"),
    ("steps:\n  - case: bcc_1\n    question: knockout\n    expert: 9\n", 4, "from 1 to 4, got 9"),
    ("steps:\n  - case: bcc_1\n    question: clinical_steering\n    stage: 0\n", 4, "from 1 to 4, got 0"),
    ("steps:\n  - case: bcc_1\n    question: class\n    expert: 2\n", 4, "takes no `expert`"),
    ("steps:\n  - case: bcc_1\n    question: class\n    answer: BCC\n", 4, "unknown key 'answer'"),
    ("steps:\n  - case: {photo: x.png, record: x.json}\n    question: class\n", 2, "no file x.png"),
    ("steps:\n  - case: {photo: ../../examples/bcc_1.png, record: r.json}\n    question: class\n", 2, "outside"),
    ("steps: []\n", 1, "no steps"),
]


@pytest.mark.parametrize(("text", "line", "problem"), REFUSED)
def test_a_bad_lesson_is_refused_naming_the_line(tmp_path, predictor, examples, text, line, problem):
    write_lesson(tmp_path, text)
    with pytest.raises(lesson.LessonError) as refused:
        lesson.read_lessons(tmp_path, examples, predictor)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"bad.yaml line {line}: "), message
    assert problem in message


def test_a_case_from_photo_and_record_files(tmp_path, predictor, examples):
    write_lesson(tmp_path, "steps:\n  - case: {photo: p.png, record: r.json, label: MEL}\n    question: ood\n")
    (tmp_path / LESSONS_DIR / "p.png").write_bytes((SYNTHETIC_CHECKPOINT / "examples" / "mel_1.png").read_bytes())
    (tmp_path / LESSONS_DIR / "r.json").write_text('{"age": "61", "region": "ARM"}')
    (read,) = lesson.read_lessons(tmp_path, examples, predictor)
    assert read.steps[0].case.label == "MEL" and read.steps[0].case.record == {"age": "61", "region": "ARM"}
    (tmp_path / LESSONS_DIR / "r.json").write_text('{"age": "two hundred"}')
    with pytest.raises(lesson.LessonError, match=r"^bad.yaml line 2: r.json: .*age"):
        lesson.read_lessons(tmp_path, examples, predictor)


# --- answer rules -----------------------------------------------------------------------------------------------


def test_every_answer_rule_against_a_hand_made_trace():
    made = made_prediction([0.2, 0.7, 0.1], gm_gate=(0.1, 0.3, 0.6), fused=(0.51, 0.49))
    assert lesson.answer_key(step("class"), made) == "BCC"
    assert lesson.answer_key(step("leading_expert"), made) == "2"  # expert 3, counted from 0
    assert lesson.answer_key(step("clinical_steering", stage=0), made) == "clinical"  # 0.51 > 0.5
    assert lesson.answer_key(step("clinical_steering", stage=1), made) == "photo"  # 0.49
    same = made_prediction([0.1, 0.5, 0.4])
    other = made_prediction([0.1, 0.4, 0.5])
    assert lesson.answer_key(step("knockout", expert=2), made, same) == "stays"
    assert lesson.answer_key(step("knockout", expert=2), made, other) == "changes"
    assert lesson.answer_key(step("ood"), made) == "no"
    assert lesson.answer_key(step("ood"), made_prediction([0.2, 0.7, 0.1], in_distribution=False)) == "yes"
    with pytest.raises(ValueError, match="knocked-out run"):
        lesson.answer_key(step("knockout", expert=0), made)


def test_the_knockout_rule_matches_a_real_intervention(predictor, bundled):
    s = next(s for s in bundled.steps if s.question == "knockout")
    run = lesson.run_step(predictor, s)
    direct = predictor.predict(s.case.image, s.case.record, RoutingOverrides(gm_disabled_experts=(s.expert,)))
    assert run.knocked_out.prediction == direct.prediction
    assert run.right == ("changes" if direct.prediction != run.prediction.prediction else "stays")


# --- scoring ----------------------------------------------------------------------------------------------------


def test_scoring_keeps_the_first_answer_and_summarises_per_question():
    progress = lesson.new_progress()
    progress = lesson.record_answer(progress, "class", "BCC", "BCC")
    progress = lesson.record_answer(progress, "class", "MEL", "BCC")  # a second try on the same step is ignored
    assert lesson.score(progress) == (1, 1)
    progress = lesson.record_answer({**progress, "step": 1}, "knockout", "stays", "changes")
    progress = lesson.record_answer({**progress, "step": 2}, "class", "ACK", "MEL")
    assert lesson.score(progress) == (1, 3)
    by_topic, missed = lesson.summary(progress)
    assert by_topic == {"class": (1, 2), "knockout": (0, 1)}
    assert missed == ["class", "knockout"]


# --- the reader study -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "share", "faulty"), [(10, 0.3, 3), (9, 0.5, 4), (5, 0.0, 0), (4, 1.0, 4)])
def test_draw_faulty_takes_the_share(count, share, faulty):
    drawn = reader_study.draw_faulty(count, share, random.Random(1))
    assert len(drawn) == count and sum(drawn) == faulty
    with pytest.raises(ValueError, match="between 0 and 1"):
        reader_study.draw_faulty(count, 1.5, random.Random(1))


def test_the_most_misleading_intervention():
    baseline = made_prediction([0.1, 0.6, 0.3])
    candidates = [
        made_prediction([0.1, 0.5, 0.4]),  # same top class, lowest BCC would be 0.5: not eligible
        made_prediction([0.1, 0.3, 0.6]),  # changes to MEL, BCC 0.3
        made_prediction([0.65, 0.25, 0.1]),  # changes to ACK, BCC 0.25: the most misleading
        made_prediction([0.1, 0.45, 0.45 + 1e-3]),
    ]
    assert reader_study.most_misleading(baseline, candidates) == 2
    assert reader_study.most_misleading(baseline, candidates[:1]) is None


def test_faulty_answers_on_the_bundled_model(predictor, examples, bundled):
    cases = {c.name: c for c in reader_study.bundled_cases(examples, [bundled])}
    assert {"ack_1", "ack_3", "bcc_1"} <= set(cases)
    # no knock-out or forced expert changes ack_1's class: shown faithfully even when drawn
    unchanged = reader_study.shown_answer(predictor, cases["ack_1"], faulty=True)
    assert not unchanged.faulty and unchanged.overrides is None
    assert unchanged.prediction.prediction == predictor.predict(cases["ack_1"].image, cases["ack_1"].record).prediction
    case = cases["ack_3"]
    shown = reader_study.shown_answer(predictor, case, faulty=True)
    own = predictor.predict(case.image, case.record)
    assert shown.faulty and shown.prediction.prediction != own.prediction
    top = int(own.probabilities.argmax())
    every = [predictor.predict(case.image, case.record, o) for o in reader_study.interventions(4)]
    changing = [p.probabilities[top] for p in every if p.prediction != own.prediction]
    assert shown.prediction.probabilities[top] == pytest.approx(min(changing), abs=1e-6)
    assert not reader_study.shown_answer(predictor, case, faulty=False).faulty


def row(true, first, shown, final, faulty):
    answers = {"first_class": first, "shown_class": shown, "final_class": final, "faulty": faulty}
    return {"case": "c", "true_class": true, "first_confidence": 3, "final_confidence": 4, "seconds": 2.0, **answers}


def test_results_table_and_csv():
    rows = [
        row("BCC", "BCC", "MEL", "MEL", True),  # the faulty AI turned a right answer wrong
        row("MEL", "BCC", "MEL", "MEL", False),  # the AI turned a wrong answer right
        row("MEL", "MEL", "MEL", "MEL", False),
        row("ACK", "ACK", "ACK", "ACK", False),
    ]
    table = reader_study.results_table(rows, READER_GROUPS)
    everyone, faulty, faithful = table
    assert everyone["n"] == 4 and faulty["n"] == 1 and faithful["n"] == 3
    assert everyone["first_accuracy"] == pytest.approx(3 / 4)
    assert everyone["first_balanced"] == pytest.approx((1 + 0.5 + 1) / 3)  # ACK 1/1, MEL 1/2, BCC 1/1
    assert everyone["final_accuracy"] == pytest.approx(3 / 4)
    assert everyone["final_balanced"] == pytest.approx((1 + 1 + 0) / 3)
    assert everyone["shown_accuracy"] == pytest.approx(3 / 4)
    assert (everyone["right_to_wrong"], everyone["wrong_to_right"]) == (1, 1)
    assert (faulty["right_to_wrong"], faulty["wrong_to_right"]) == (1, 0)
    assert faithful["final_accuracy"] == 1.0
    assert reader_study.group_scores([], "none")["first_accuracy"] is None
    lines = reader_study.results_csv(rows).splitlines()
    assert lines[0].split(",") == list(reader_study.RESULT_COLUMNS)
    assert len(lines) == 5 and lines[1].split(",")[5] == "True"


def test_a_study_runs_through_its_state(predictor, examples, bundled):
    cases = reader_study.bundled_cases(examples, [bundled])
    state = reader_study.new_study(cases, 0.5, seed=0)
    assert sum(state["drawn"]) == round(0.5 * len(cases)) and len(state["cases"]) == len(cases)
    shown = reader_study.ShownAnswer(made_prediction([0.2, 0.7, 0.1]), False, None)
    state = reader_study.first_answer(state, "BCC", 2, shown, started=10.0)
    assert state["phase"] == "revise"
    state = reader_study.final_answer(state, "MEL", 5, now=13.5)
    (done,) = state["rows"]
    assert done["first_class"] == "BCC" and done["final_class"] == "MEL" and done["seconds"] == 3.5
    assert done["shown_class"] == "BCC" and state["index"] == 1 and state["phase"] == "first"


def test_cases_from_an_uploaded_csv(tmp_path, predictor):
    photo = tmp_path / "a.png"
    photo.write_bytes((SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png").read_bytes())
    text = "image,age,region,label,note\na.png,61,FACE,BCC,kept out\na.png,,,MEL,\n"
    cases = reader_study.csv_cases(text, {"a.png": photo}, predictor)
    assert [c.label for c in cases] == ["BCC", "MEL"]
    assert cases[0].record == {"age": "61", "region": "FACE"} and cases[1].record == {}
    for bad, message in [
        ("image,label\nb.png,BCC\n", "line 2: photo 'b.png' was not uploaded"),
        ("image,label\na.png,XYZ\n", "line 2: label 'XYZ'"),
        ("image,age,label\na.png,61,BCC\na.png,-4,BCC\n", "line 3: "),
        ("image,age\na.png,61\n", "lacks the column(s) label"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            reader_study.csv_cases(bad, {"a.png": photo}, predictor)
