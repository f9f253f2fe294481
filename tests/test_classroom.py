"""The class store without a server: classes, participants and answers in SQLite (WAL, versioned schema, tested
migrations), the dashboard's numbers, the CSV export, and every refusal leaving the database as it was."""

import csv
import io
import sqlite3
import threading

import pytest

import app
from mhdf.app import classroom
from mhdf.app.class_tab import ClassHandlers, class_store
from mhdf.app.classroom import ClassError, ClassStore, Item
from mhdf.app.lesson_tab import LessonHandlers, LessonTab, ReaderHandlers, ReaderTab
from mhdf.app.session import DemoSession, SessionParts, synthetic_checkpoint_lessons
from mhdf.app.texts import Text
from mhdf.app.uploads import UploadPolicy

CLASSES = (("BCC", "BCC"), ("SCC", "SCC"), ("NEV", "NEV"))


def fake_items() -> list[Item]:
    """Two lesson steps (right answers "clinical" and "1") and two cases: `faulty_case` has a faulty AI answer (SCC
    for a BCC), `plain_case` (true NEV, the AI says NEV) never has one."""
    steering = (("The clinical data", "clinical"), ("The photo", "photo"))
    experts = ((Text("expert", expert=1), "0"), (Text("expert", expert=2), "1"))  # labelled as the app labels them

    def faulty_truth(phase):
        return "BCC", {"first": None, "with_ai": "BCC", "with_faulty_ai": "SCC"}[phase]

    def plain_truth(phase):
        return "NEV", {"first": None, "with_ai": "NEV", "with_faulty_ai": None}[phase]

    return [
        Item("lesson", "1", "clinical_steering", steering, lambda phase: ("clinical", None)),
        Item("lesson", "2", "leading_expert", experts, lambda phase: ("1", None)),
        Item("reader_study", "faulty_case", "BCC", CLASSES, faulty_truth, "faulty.png"),
        Item("reader_study", "plain_case", "NEV", CLASSES, plain_truth, "plain.png"),
    ]


@pytest.fixture
def store(tmp_path):
    return ClassStore(tmp_path, fake_items())


@pytest.fixture
def made(store):
    return store.create("Dermatology 101")


def rows(store) -> int:
    with sqlite3.connect(store.path) as db:
        return sum(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("classes", "participants",
                                                                                          "answers"))  # fmt: skip


def test_a_class_gets_a_short_code_and_a_key_of_which_only_a_salted_hash_is_kept(store, made):
    assert len(made["code"]) == classroom.CODE_LENGTH and set(made["code"]) <= set(classroom.CODE_ALPHABET)
    assert len(made["teacher_key"]) >= 20
    with sqlite3.connect(store.path) as db:
        ((salt, stored),) = db.execute("SELECT key_salt, key_hash FROM classes").fetchall()
    assert stored == classroom.key_hash(made["teacher_key"], salt) and len(salt) == 16
    store_bytes = b"".join(p.read_bytes() for p in store.folder.iterdir())
    assert made["teacher_key"].encode() not in store_bytes


def test_the_database_is_in_wal_mode_at_the_current_schema_version(store):
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == classroom.SCHEMA_VERSION == 1


def test_migrations_run_only_the_missing_versions_each_once(tmp_path):
    first = classroom.MIGRATIONS[0]
    second = ("ALTER TABLE classes ADD COLUMN note TEXT",)
    ClassStore(tmp_path, [], migrations=[first])
    made = ClassStore(tmp_path, [], migrations=[first]).create("kept")  # reopened at its version: nothing runs
    upgraded = ClassStore(tmp_path, [], migrations=[first, second])
    with sqlite3.connect(upgraded.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert db.execute("SELECT code, note FROM classes").fetchall() == [(made["code"], None)]
    ClassStore(tmp_path, [], migrations=[first, second])  # a second ALTER would fail: it does not run again


def test_a_failed_migration_leaves_the_previous_version(tmp_path):
    ClassStore(tmp_path, [], migrations=[classroom.MIGRATIONS[0]])
    broken = ("ALTER TABLE classes ADD COLUMN note TEXT", "THIS IS NOT SQL")
    with pytest.raises(ClassError):
        ClassStore(tmp_path, [], migrations=[classroom.MIGRATIONS[0], broken])
    with sqlite3.connect(tmp_path / classroom.DB_NAME) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "note" not in [row[1] for row in db.execute("PRAGMA table_info(classes)")]


def test_a_database_of_a_newer_app_is_refused(tmp_path):
    with sqlite3.connect(tmp_path / classroom.DB_NAME) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(ClassError, match="schema version 7 is newer"):
        ClassStore(tmp_path, fake_items())


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path):
    (tmp_path / classroom.DB_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(ClassError, match="not a classroom database"):
        ClassStore(tmp_path, fake_items())


def answer_all(store, code, participant, lesson=("clinical", "0"), first=("SCC", "NEV"), final=("SCC", "NEV")):
    store.answer(code, participant, "lesson", "1", "answer", lesson[0])
    store.answer(code, participant, "lesson", "2", "answer", lesson[1])
    store.answer(code, participant, "reader_study", "faulty_case", "first", first[0])
    store.answer(code, participant, "reader_study", "plain_case", "first", first[1])
    store.answer(code, participant, "reader_study", "faulty_case", "with_faulty_ai", final[0])
    store.answer(code, participant, "reader_study", "plain_case", "with_ai", final[1])


def test_the_dashboard_counts_what_was_sent(store, made):
    code = made["code"]
    ana = store.join(code, "Ana")["participant"]
    bia = store.join(code, " bia ")["participant"]
    answer_all(store, code, ana, ("clinical", "1"), ("BCC", "NEV"), ("SCC", "NEV"))  # follows the faulty AI
    answer_all(store, code, bia, ("photo", "1"), ("NEV", "SCC"), ("NEV", "NEV"))  # keeps NEV against it
    results = store.results(code.lower(), made["teacher_key"])
    assert results["class"]["participants"] == 2 and results["answers"] == 12
    step1, step2 = results["lesson"]
    assert (step1["right"], step1["n"], step1["counts"]) == (1, 2, {"clinical": 1, "photo": 1})
    assert (step2["right"], step2["n"], step2["accuracy"]) == (2, 2, 1.0)
    accuracy = results["reader_study"]["accuracy"]
    assert (accuracy["first"]["right"], accuracy["first"]["n"]) == (2, 4)
    assert (accuracy["with_ai"]["right"], accuracy["with_ai"]["n"]) == (2, 2)
    assert (accuracy["with_faulty_ai"]["right"], accuracy["with_faulty_ai"]["n"]) == (0, 2)
    switching = results["reader_study"]["switching"]
    assert switching["ai_wrong"] == {"disagreed": 2, "switched": 1, "rate": 0.5}  # Ana switched to SCC, Bia did not
    assert switching["ai_right"] == {"disagreed": 1, "switched": 1, "rate": 1.0}  # Bia: SCC first, then the AI's NEV
    faulty_case = results["reader_study"]["cases"][0]
    assert faulty_case == {"case": "faulty_case", "true_class": "BCC", "first": {"BCC": 1, "NEV": 1}, "with_ai": {},
                           "with_faulty_ai": {"SCC": 1, "NEV": 1}}  # fmt: skip


def test_the_export_has_one_row_per_answer_and_no_formula(store, made):
    code = made["code"]
    member = store.join(code, "=HYPERLINK(1)")["participant"]
    answer_all(store, code, member)
    table = list(csv.DictReader(io.StringIO(store.export(code, made["teacher_key"]))))
    assert len(table) == 6 and tuple(table[0]) == classroom.EXPORT_COLUMNS
    assert {row["nickname"] for row in table} == {"'=HYPERLINK(1)"}
    faulty = next(row for row in table if row["phase"] == "with_faulty_ai")
    assert (faulty["answer"], faulty["right_answer"], faulty["ai_answer"], faulty["correct"]) == (
        "SCC", "BCC", "SCC", "False")  # fmt: skip


@pytest.mark.parametrize("key", ["", "wrong", None, 42, "x" * 10_000])
def test_a_wrong_key_gets_nothing(store, made, key):
    store.join(made["code"], "Ana")
    for call in (store.results, store.export):
        with pytest.raises(ClassError, match="^no class with this join code and teacher key$"):
            call(made["code"], key)


def test_another_class_key_gets_nothing(store, made):
    other = store.create("Other")
    with pytest.raises(ClassError, match="teacher key"):
        store.results(made["code"], other["teacher_key"])


@pytest.mark.parametrize(
    ("nickname", "message"),
    [
        ("x" * 41, "too long: at most 40"),
        ("Ana\x00", "control or invisible"),
        ("Ana\nBob", "control or invisible"),
        ("evil\u202egnp.exe", "control or invisible"),  # a right-to-left override
        ("zero\u200bwidth", "control or invisible"),
        ("   ", "is empty"),
        (None, "is empty"),
        (["list"], "is empty"),
    ],
)
def test_hostile_nicknames_are_refused_and_change_nothing(store, made, nickname, message):
    before = rows(store)
    with pytest.raises(ClassError, match=message):
        store.join(made["code"], nickname)
    assert rows(store) == before


@pytest.mark.parametrize("code", ["", "ABC", "ABCDEFG", "'; DROP TABLE classes; --", "ABCDE\x00", None, "AAAAA0"])
def test_malformed_codes_are_refused_and_change_nothing(store, made, code):
    before = rows(store)
    with pytest.raises(ClassError, match="join code is 6 letters and digits"):
        store.join(code, "Ana")
    assert rows(store) == before


def test_unknown_class_and_taken_nickname_are_refused(store, made):
    store.join(made["code"], "Ana")
    before = rows(store)
    unknown = "ZZZZZZ" if made["code"] != "ZZZZZZ" else "YYYYYY"
    with pytest.raises(ClassError, match=f"no class has the join code {unknown}"):
        store.join(unknown, "Bia")
    with pytest.raises(ClassError, match="nickname is taken"):
        store.join(made["code"], "Ana")
    assert rows(store) == before


@pytest.mark.parametrize(
    ("activity", "item", "phase", "answer", "message"),
    [
        ("quiz", "1", "answer", "clinical", "activity must be one of lesson, reader_study"),
        ("lesson", "12", "answer", "clinical", "lesson has no such item; its items: 1, 2"),
        ("lesson", "1", "first", "clinical", "phase of a lesson answer must be one of answer"),
        ("lesson", "1", "answer", "maybe", "not an answer to item 1; its answers: clinical, photo"),
        ("reader_study", "1", "first", "BCC", "reader_study has no such item"),
        ("reader_study", "plain_case", "first", "MEL", "not an answer to item plain_case"),
        ("reader_study", "plain_case", "with_ai", "NEV", "has no answer alone yet"),
        ("reader_study", "faulty_case", "answer", "BCC", "must be one of first, with_ai, with_faulty_ai"),
        ("lesson", ["1"], "answer", "clinical", "no such item"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(store, made, activity, item, phase, answer, message):
    member = store.join(made["code"], "Ana")["participant"]
    before = rows(store)
    with pytest.raises(ClassError, match=message):
        store.answer(made["code"], member, activity, item, phase, answer)
    assert rows(store) == before


def test_a_duplicate_or_impossible_answer_is_refused_and_the_first_kept(store, made):
    code = made["code"]
    member = store.join(code, "Ana")["participant"]
    store.answer(code, member, "lesson", "1", "answer", "photo")
    store.answer(code, member, "reader_study", "plain_case", "first", "NEV")
    store.answer(code, member, "reader_study", "plain_case", "with_ai", "NEV")
    before = rows(store)
    with pytest.raises(ClassError, match="item 1 is already answered in this phase"):
        store.answer(code, member, "lesson", "1", "answer", "clinical")
    with pytest.raises(ClassError, match="already answered"):  # with_ai and with_faulty_ai are one round
        store.answer(code, member, "reader_study", "plain_case", "with_ai", "BCC")
    store.answer(code, member, "reader_study", "faulty_case", "first", "BCC")
    with pytest.raises(ClassError, match="never shown with a faulty AI"):
        store.answer(code, member, "reader_study", "plain_case", "with_faulty_ai", "NEV")
    for participant, other_code in (("not-a-participant", code), (member, store.create("Other")["code"])):
        with pytest.raises(ClassError, match="not a participant of this class"):
            store.answer(other_code, participant, "lesson", "2", "answer", "1")
    assert rows(store) == before + 2  # the faulty case's first answer and the other class
    assert store.results(code, made["teacher_key"])["lesson"][0]["counts"] == {"photo": 1}


def test_a_restart_keeps_every_class_and_answer(tmp_path, store, made):
    member = store.join(made["code"], "Ana")["participant"]
    answer_all(store, made["code"], member)
    before = store.results(made["code"], made["teacher_key"])
    reopened = ClassStore(tmp_path, fake_items())
    assert reopened.results(made["code"], made["teacher_key"]) == before
    with pytest.raises(ClassError, match="already answered"):  # the participant and their answers are known
        reopened.answer(made["code"], member, "lesson", "2", "answer", "1")


def test_thirty_students_writing_at_once_lose_no_answer(store, made):
    code = made["code"]
    members = [store.join(code, f"student {i}")["participant"] for i in range(30)]
    barrier, errors = threading.Barrier(30), []

    def student(member):
        barrier.wait()
        try:
            answer_all(store, code, member)
        except Exception as error:  # counted below
            errors.append(error)

    threads = [threading.Thread(target=student, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    results = store.results(code, made["teacher_key"])
    assert results["answers"] == 30 * 6
    assert [step["counts"] for step in results["lesson"]] == [{"clinical": 30}, {"0": 30}]


def test_cases_of_the_same_name_become_distinct_items():
    assert classroom.unique_names(["bcc_1", "mel_1", "bcc_1", "bcc_1"]) == ["bcc_1", "mel_1", "bcc_1-2", "bcc_1-3"]


def test_the_bundled_lesson_and_study_are_the_items_of_a_class(tmp_path, predictor, examples):
    session = DemoSession(SessionParts(predictor, UploadPolicy(tmp_path, 10**6), examples=examples,
                                       lessons=synthetic_checkpoint_lessons("cpu")))  # fmt: skip
    lesson_tab = LessonTab(LessonHandlers(session), None, None, None, [])
    study_tab = ReaderTab(ReaderHandlers(session), None, None, None)
    store = class_store(session, tmp_path / "class", lesson_tab, study_tab)
    lesson_items = [name for activity, name in store.items if activity == "lesson"]
    cases = [name for activity, name in store.items if activity == "reader_study"]
    assert lesson_items == [str(i) for i in range(1, 12)] and len(cases) == 9
    assert store.items[("reader_study", "ack_2")].truth("with_faulty_ai") == ("ACK", "SEK")  # docs/lesson.md
    assert store.items[("reader_study", "nev_1")].truth("with_faulty_ai")[1] is None
    assert store.items[("lesson", "1")].truth("answer")[0] == "BCC"


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ("Step 1 · clinical steering (LC-Gate)", "alone", "with the faulty AI", "wrong", "Expert 2")),
     ("pt-BR",
      ("Passo 1 · direcionamento clínico (LC-Gate)", "sozinho", "com a IA falha", "errada", "Especialista 2"))],
)  # fmt: skip
def test_the_dashboard_shows_each_figure_with_its_table_in_the_visitor_language(tmp_path, store, made, lang, words):
    code = made["code"]
    member = store.join(code, "Ana")["participant"]
    answer_all(store, code, member, ("clinical", "1"), ("BCC", "NEV"), ("SCC", "NEV"))
    summary, *figures, lesson, reader, switching, cases, timer = ClassHandlers(store, tmp_path).dashboard(
        code.lower(), made["teacher_key"], lang
    )
    assert "Ana" not in summary and code in summary and ("1 students, 6 answers" in summary) == (lang == "en")
    frames = [figure["value"] for figure in figures]
    assert frames[0]["share"].tolist() == [1.0, 1.0] and frames[0]["step"].iloc[0] == words[0]
    assert frames[1]["condition"].tolist()[0] == words[1] and frames[1]["share"].tolist() == [1.0, 1.0, 0.0]
    assert frames[2]["ai"].tolist()[1] == words[3] and frames[2]["switched"].tolist() == [0.0, 1.0]
    assert frames[3]["count"].sum() == 2 and words[4] in frames[3]["answer"].tolist()
    assert frames[4]["count"].sum() == 2 and [figure["sort"] for figure in figures][4] == ["faulty_case", "plain_case"]
    text = "\n".join((lesson, reader, switching, cases))
    assert all(word in text for word in words[1:])
    assert "| faulty_case | BCC | BCC 1 | – | SCC 1 |" in cases
    assert timer.active is True
    with pytest.raises(ClassError):
        ClassHandlers(store, tmp_path).dashboard(code, "wrong", lang)


def test_a_typed_name_shows_literally_in_the_tab(tmp_path, store, made):
    handlers = ClassHandlers(store, tmp_path)
    member, status = handlers.join(made["code"], "[win](http://e.x) <b>*me*</b>")
    assert r"\[win\]\(http://e\.x\) \<b\>\*me\*\</b\>" in status
    assert member == {"code": made["code"], "participant": member["participant"], "nickname": member["nickname"]}


def test_classes_are_off_unless_the_option_or_its_variable_names_a_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(classroom.FOLDER_ENV, raising=False)
    assert app.get_args_parser().parse_args([]).classroom is None
    assert app.get_args_parser().parse_args(["--classroom", str(tmp_path)]).classroom == str(tmp_path)
    monkeypatch.setenv(classroom.FOLDER_ENV, str(tmp_path))
    assert app.get_args_parser().parse_args([]).classroom == str(tmp_path)
