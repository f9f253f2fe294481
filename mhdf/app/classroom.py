"""Classes: a teacher runs the Lesson and the Reader study for a whole class and sees the class's answers. Off unless
the host turns it on (`mhdf.app.hosting`):

    python app.py --classroom DIR       (or MHDF_CLASSROOM=DIR)      -> DIR/classroom.sqlite3

Everything here runs without a server: the SQLite store (`ClassStore`: WAL, schema versioned by `PRAGMA
user_version`, SQL through parameters only), the items a class answers (`Item`: the first lesson's steps and the
reader study's bundled cases, with the right answer and what the AI showed computed on the server, never sent by a
client), the dashboard's numbers (`results`) and the CSV export. `mhdf.app.class_tab` lays the Class tab out and
serves the `/class_*` endpoints; docs/classroom.md describes both.

A teacher's key is shown once: the store keeps only its salted SHA-256 (the key is 128 random bits, so a slow hash
adds nothing) and compares with `hmac.compare_digest`. A nickname is the only personal data.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mhdf.app import lesson as lessons_
from mhdf.app import reader_study as study
from mhdf.app.feedback import spreadsheet_text
from mhdf.app.texts import EN, translate

FOLDER_ENV = "MHDF_CLASSROOM"
DB_NAME = "classroom.sqlite3"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or from a projector
CODE_LENGTH = 6
MAX_NICKNAME_CHARS = 40
MAX_CLASS_NAME_CHARS = 80
MAX_FIELD_CHARS = 200  # any other text a client sends (an item, an answer, a participant id)
BUSY_TIMEOUT_S = 30  # how long a write waits for another process's write
LESSON, READER_STUDY = "lesson", "reader_study"
ACTIVITIES = (LESSON, READER_STUDY)
# The phases of an answer by activity: a lesson step is answered once; a reader-study case first alone, then once
# more after the AI's answer, faithful (`with_ai`) or faulty (`with_faulty_ai`).
ANSWER, FIRST, WITH_AI, WITH_FAULTY_AI = "answer", "first", "with_ai", "with_faulty_ai"
PHASES = {LESSON: (ANSWER,), READER_STUDY: (FIRST, WITH_AI, WITH_FAULTY_AI)}
EXPORT_COLUMNS = (
    "class", "nickname", "activity", "item", "phase", "answer", "right_answer", "ai_answer", "correct", "time",
)  # fmt: skip

# The schema, its statements by version: a database at version v runs MIGRATIONS[v:] in order, each version in one
# transaction that also sets `PRAGMA user_version`. Never edit a released version; append the next one. An answer's
# `round` is 0 for a lesson step's answer and a case's first answer alone, 1 for the answer after the AI's; `ai_answer`
# is what the AI showed before a round-1 answer.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE classes (code TEXT PRIMARY KEY, name TEXT NOT NULL, key_salt BLOB NOT NULL, "
        "key_hash BLOB NOT NULL, created TEXT NOT NULL)",
        "CREATE TABLE participants (id TEXT PRIMARY KEY, class_code TEXT NOT NULL REFERENCES classes(code), "
        "nickname TEXT NOT NULL, joined TEXT NOT NULL, UNIQUE (class_code, nickname))",
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, participant_id TEXT NOT NULL REFERENCES participants(id), "
        "activity TEXT NOT NULL, item TEXT NOT NULL, phase TEXT NOT NULL, round INTEGER NOT NULL, "
        "answer TEXT NOT NULL, right_answer TEXT NOT NULL, ai_answer TEXT, time TEXT NOT NULL, "
        "UNIQUE (participant_id, activity, item, round))",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class ClassError(ValueError):
    """A request refused with one line saying why; nothing was written."""


@dataclass(frozen=True)
class Item:
    """One thing a class answers: a lesson step (`name` its number from 1) or a reader-study case (its name).
    `truth(phase)` is (the right answer, what the AI showed before this answer or None), computed from the model when
    first asked (the tabs' shared runs), so that the app starts without running the whole lesson and study."""

    activity: str
    name: str
    topic: str  # the lesson step's question type; the case's true class
    choices: tuple[tuple[str, str], ...]  # (label, value): a label is a `Text` or a plain string
    truth: Callable[[str], tuple[str, str | None]]
    image: str | None = None  # reader study: the case's photo, which tells a bundled case from an upload


def lesson_items(lesson: lessons_.Lesson, run: Callable[[int], lessons_.StepRun]) -> list[Item]:
    """The steps of the class's lesson; `run(step)` is the step's model run (`LessonHandlers.run`, shared)."""
    return [
        Item(LESSON, str(i + 1), step.question, tuple(lessons_.choices(step, lesson.predictor)),
             lambda phase, i=i: (run(i).right, None))
        for i, step in enumerate(lesson.steps)
    ]  # fmt: skip


def study_items(
    cases: Sequence[study.StudyCase],
    shown: Callable[[study.StudyCase, bool], study.ShownAnswer],
    choices: Sequence[tuple[str, str]],
) -> list[Item]:
    """The reader study's bundled cases; `shown(case, faulty)` is the AI's answer (`ReaderHandlers.shown`, shared).
    The right answer is the true class. A case no intervention turns to another class is never shown faulty: its
    `with_faulty_ai` truth has no AI answer."""

    def truth(case: study.StudyCase, phase: str) -> tuple[str, str | None]:
        if phase == FIRST:
            return case.label, None
        answer = shown(case, phase == WITH_FAULTY_AI)
        return case.label, answer.prediction.prediction if phase == WITH_AI or answer.faulty else None

    names = unique_names([case.name for case in cases])
    return [
        Item(READER_STUDY, name, case.label, tuple(choices), lambda phase, c=case: truth(c, phase), case.image)
        for name, case in zip(names, cases, strict=True)
    ]


def unique_names(names: Sequence[str]) -> list[str]:
    """`names` with a repeated one numbered from its second occurrence ("bcc_1", "bcc_1-2"): the checkpoint's
    examples and a lesson written for another checkpoint may both have a case `bcc_1`."""
    unique: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate in unique:
            number += 1
            candidate = f"{name}-{number}"
        unique.append(candidate)
    return unique


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def key_hash(key: str, salt: bytes) -> bytes:
    return hashlib.sha256(salt + key.encode("utf-8")).digest()


def checked_text(value: Any, limit: int, what: str, lang: str = EN) -> str:
    """`value` stripped, refused when not text, empty, longer than `limit` or holding a control or invisible
    formatting character (bidirectional overrides, zero-width marks)."""
    if not isinstance(value, str) or not value.strip():
        raise ClassError(translate(lang, "class.empty", what=translate(lang, what)))
    text = value.strip()
    if len(text) > limit:
        raise ClassError(translate(lang, "class.too_long", what=translate(lang, what), limit=limit))
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ClassError(translate(lang, "class.control", what=translate(lang, what)))
    return text


def checked_code(value: Any, lang: str = EN) -> str:
    """A join code as typed (any case, spaces around) -> its canonical form; refused when it cannot be one."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise ClassError(translate(lang, "class.bad_code", length=CODE_LENGTH))
    return code


class ClassStore:
    """The classes, participants and answers in one SQLite file. Every call opens its own connection, so any thread
    (Gradio's workers) or process may call it; writes take the database's write lock at once (`BEGIN IMMEDIATE`)
    and wait up to `BUSY_TIMEOUT_S` for another's."""

    def __init__(
        self, folder: str | Path, items: Sequence[Item], migrations: Sequence[Sequence[str]] = MIGRATIONS
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_NAME
        self.items = {(item.activity, item.name): item for item in items}
        if len(self.items) != len(items):
            raise ValueError("every item of a class needs its own name within its activity")
        try:
            with self._connection() as db:
                db.execute("PRAGMA journal_mode=WAL")
                migrate(db, migrations)
        except sqlite3.DatabaseError as error:
            raise ClassError(f"{self.path}: not a classroom database this app can open ({error})") from None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a crash of the app loses nothing committed
            yield db
        finally:
            db.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def create(self, name: Any, lang: str = EN) -> dict[str, str]:
        """A new class -> {"code", "teacher_key", "name"}; the key is not kept, only its salted hash."""
        name = checked_text(name, MAX_CLASS_NAME_CHARS, "class.what.name", lang)
        key, salt = secrets.token_urlsafe(16), secrets.token_bytes(16)
        with self._writing() as db:
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute(
                "INSERT INTO classes (code, name, key_salt, key_hash, created) VALUES (?, ?, ?, ?, ?)",
                (code, name, salt, key_hash(key, salt), now()),
            )
        return {"code": code, "teacher_key": key, "name": name}

    def join(self, code: Any, nickname: Any, lang: str = EN) -> dict[str, str]:
        """A student joins -> {"participant", "code", "nickname", "class"}; a nickname is unique within a class."""
        code = checked_code(code, lang)
        nickname = checked_text(nickname, MAX_NICKNAME_CHARS, "class.what.nickname", lang)
        participant = secrets.token_urlsafe(12)
        with self._writing() as db:
            row = db.execute("SELECT name FROM classes WHERE code = ?", (code,)).fetchone()
            if row is None:
                raise ClassError(translate(lang, "class.no_class", code=code))
            taken = "SELECT 1 FROM participants WHERE class_code = ? AND nickname = ?"
            if db.execute(taken, (code, nickname)).fetchone() is not None:
                raise ClassError(translate(lang, "class.nickname_taken"))
            db.execute(
                "INSERT INTO participants (id, class_code, nickname, joined) VALUES (?, ?, ?, ?)",
                (participant, code, nickname, now()),
            )
        return {"participant": participant, "code": code, "nickname": nickname, "class": row[0]}

    def participant(self, code: Any, participant: Any, lang: str = EN) -> dict[str, Any]:
        """A participant of the class -> {"participant", "code", "nickname", "class", "answers": [(activity, item,
        phase, answer)]}; refused when the code or the participant is unknown."""
        code = checked_code(code, lang)
        if not isinstance(participant, str) or len(participant) > MAX_FIELD_CHARS:
            raise ClassError(translate(lang, "class.no_participant"))
        with self._connection() as db:
            row = db.execute(
                "SELECT p.nickname, c.name FROM participants p JOIN classes c ON c.code = p.class_code "
                "WHERE p.id = ? AND p.class_code = ?",
                (participant, code),
            ).fetchone()
            if row is None:
                raise ClassError(translate(lang, "class.no_participant"))
            answers = db.execute(
                "SELECT activity, item, phase, answer FROM answers WHERE participant_id = ? ORDER BY id",
                (participant,),
            ).fetchall()
        return {"participant": participant, "code": code, "nickname": row[0], "class": row[1], "answers": answers}

    def answer(
        self, code: Any, participant: Any, activity: Any, item: Any, phase: Any, answer: Any, lang: str = EN
    ) -> dict[str, Any]:
        """Record one answer -> {"recorded": True, "correct": bool}. Refused (nothing written) for an unknown class,
        participant, activity, item, phase or answer, a second answer to the same item and round, and a reader-study
        answer after the AI's before the one alone; and `with_faulty_ai` for a case the AI is never wrong on."""
        member = self.participant(code, participant, lang)
        if activity not in ACTIVITIES:
            raise ClassError(translate(lang, "class.bad_activity", activities=", ".join(ACTIVITIES)))
        if not isinstance(item, str) or (activity, item) not in self.items:
            known = ", ".join(name for kind, name in self.items if kind == activity)
            raise ClassError(translate(lang, "class.bad_item", activity=activity, items=known))
        spec = self.items[(activity, item)]
        if phase not in PHASES[activity]:
            raise ClassError(translate(lang, "class.bad_phase", activity=activity, phases=", ".join(PHASES[activity])))
        values = [value for _, value in spec.choices]
        if answer not in values:
            raise ClassError(translate(lang, "class.bad_answer", item=item, answers=", ".join(values)))
        right, ai = spec.truth(phase)
        if phase in (WITH_AI, WITH_FAULTY_AI) and ai is None:
            raise ClassError(translate(lang, "class.never_faulty", item=item))
        round_ = 1 if phase in (WITH_AI, WITH_FAULTY_AI) else 0
        with self._writing() as db:
            mine = "SELECT round FROM answers WHERE participant_id = ? AND activity = ? AND item = ?"
            rounds = {r for (r,) in db.execute(mine, (member["participant"], activity, item))}
            if round_ in rounds:
                raise ClassError(translate(lang, "class.duplicate", item=item))
            if round_ == 1 and 0 not in rounds:
                raise ClassError(translate(lang, "class.first_missing", item=item))
            db.execute(
                "INSERT INTO answers (participant_id, activity, item, phase, round, answer, right_answer, ai_answer, "
                "time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (member["participant"], activity, item, phase, round_, answer, right, ai, now()),
            )
        return {"recorded": True, "correct": answer == right}

    def _teacher(self, db: sqlite3.Connection, code: Any, key: Any, lang: str) -> tuple[str, str, str]:
        """(code, name, created) of the class when `key` is its teacher key; one refusal for a wrong code or key."""
        refused = ClassError(translate(lang, "class.wrong_key"))
        try:
            code = checked_code(code, lang)
        except ClassError:
            raise refused from None
        row = db.execute("SELECT name, key_salt, key_hash, created FROM classes WHERE code = ?", (code,)).fetchone()
        if not isinstance(key, str) or len(key) > MAX_FIELD_CHARS or row is None:
            raise refused
        name, salt, stored, created = row
        if not hmac.compare_digest(key_hash(key, salt), stored):
            raise refused
        return code, name, created

    def _answers(self, code: Any, key: Any, lang: str) -> tuple[dict[str, Any], list[tuple]]:
        with self._connection() as db:
            code, name, created = self._teacher(db, code, key, lang)
            students = db.execute("SELECT COUNT(*) FROM participants WHERE class_code = ?", (code,)).fetchone()[0]
            rows = db.execute(
                "SELECT p.nickname, a.activity, a.item, a.phase, a.answer, a.right_answer, a.ai_answer, a.time, "
                "a.participant_id FROM answers a JOIN participants p ON p.id = a.participant_id "
                "WHERE p.class_code = ? ORDER BY a.id",
                (code,),
            ).fetchall()
        return {"code": code, "name": name, "created": created, "participants": students}, rows

    def results(self, code: Any, key: Any, lang: str = EN) -> dict[str, Any]:
        """The dashboard's numbers (`results`) for the teacher of the class."""
        about, rows = self._answers(code, key, lang)
        return results(about, rows, self.items.values())

    def export(self, code: Any, key: Any, lang: str = EN) -> str:
        """The class's answers as CSV, one row per answer (`EXPORT_COLUMNS`), for the teacher of the class."""
        about, rows = self._answers(code, key, lang)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for nickname, activity, item, phase, answer, right, ai, time, _ in rows:
            writer.writerow([about["code"], spreadsheet_text(nickname), activity, item, phase, answer, right,
                             ai or "", answer == right, time])  # fmt: skip
        return out.getvalue()


def migrate(db: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the database to version len(migrations), one transaction per version; returns the version it had.
    Refuses a database written by a newer version of the app."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise ClassError(
            f"{DB_NAME}: schema version {version} is newer than this app's ({len(migrations)}); run a newer app"
        )
    for number in range(version, len(migrations)):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[number]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1:d}")  # a pragma takes no parameter; an int from range
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return version


def share(right: int, n: int) -> dict[str, Any]:
    return {"n": n, "right": right, "accuracy": right / n if n else None}


def results(about: Mapping[str, Any], rows: Sequence[tuple], items: Iterable[Item]) -> dict[str, Any]:
    """The dashboard's numbers from the class's answer rows (nickname, activity, item, phase, answer, right, ai,
    time, participant), read from the rows alone (no model runs):

    - `lesson`: per step, its question type, the answers, how many right, and the count of each answer;
    - `reader_study.accuracy`: alone (`first`), with the AI (`with_ai`) and with the faulty AI (`with_faulty_ai`);
    - `reader_study.switching`: automation bias; of the answers after the AI's where the first answer differed from
      the AI's, how many switched to the AI's answer, when the AI was right and when it was wrong;
    - `reader_study.cases`: per case, its true class and the count of each answer in each phase.
    """
    counts: dict[tuple[str, str, str], Counter] = {}
    right: dict[tuple[str, str], Counter] = {}
    for _, activity, item, phase, answer, truth, *_ in rows:
        counts.setdefault((activity, item, phase), Counter())[answer] += 1
        right.setdefault((activity, item), Counter())[phase] += answer == truth
    lesson, cases = [], []
    for item in items:
        if item.activity == LESSON:
            answers = counts.get((LESSON, item.name, ANSWER), Counter())
            entry = share(right.get((LESSON, item.name), Counter())[ANSWER], sum(answers.values()))
            lesson.append({"step": item.name, "question": item.topic, **entry, "counts": dict(answers)})
        else:
            phases = {p: dict(counts.get((READER_STUDY, item.name, p), Counter())) for p in PHASES[READER_STUDY]}
            cases.append({"case": item.name, "true_class": item.topic, **phases})
    accuracy = {}
    for phase in PHASES[READER_STUDY]:
        answered = [r for r in rows if r[1] == READER_STUDY and r[3] == phase]
        accuracy[phase] = share(sum(r[4] == r[5] for r in answered), len(answered))
    first = {(r[8], r[2]): r[4] for r in rows if r[1] == READER_STUDY and r[3] == FIRST}
    switching = {"ai_right": Counter(), "ai_wrong": Counter()}
    for _, activity, item, _, answer, truth, ai, _, participant in rows:
        if activity == READER_STUDY and ai is not None and first.get((participant, item)) not in (None, ai):
            tally = switching["ai_right" if ai == truth else "ai_wrong"]
            tally["disagreed"] += 1
            tally["switched"] += answer == ai
    return {
        "class": dict(about),
        "answers": len(rows),
        "lesson": lesson,
        "reader_study": {
            "accuracy": accuracy,
            "switching": {
                when: {
                    "disagreed": tally["disagreed"],
                    "switched": tally["switched"],
                    "rate": tally["switched"] / tally["disagreed"] if tally["disagreed"] else None,
                }
                for when, tally in switching.items()
            },
            "cases": cases,
        },
    }
