"""Visitor feedback ("This result looks wrong"): off by default; when the host turns it on, one CSV row per report
with the photo beside it only with consent, hostile input refused or neutralised, and a Hub dataset target (mocked
at the huggingface_hub boundary: no network here). Through the session, gradio_client, raw HTTP and a browser."""

import csv
import io
import json
from pathlib import Path
from unittest.mock import patch

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import RepoUrl
from PIL import Image

from mhdf.app.feedback import COLUMNS, MAX_COMMENT_CHARS, feedback_from_settings
from mhdf.app.form import form_from_record
from mhdf.app.session import DemoSession, SessionParts, served_handlers
from mhdf.app.texts import feedback_sent, translate
from mhdf.app.uploads import UploadPolicy
from tests.helpers import CHROMIUM_ARGS, SYNTHETIC_CHECKPOINT, running_app

PHOTO = SYNTHETIC_CHECKPOINT / "examples" / "bcc_1.png"
SECRET_COMMENT = "zebra-7731 looked like a melanoma to me"


def rows(folder: Path, name: str = "feedback.csv") -> list[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames) == COLUMNS
        return list(reader)


@pytest.fixture
def session(predictor, tmp_path):
    """A session on the bundled checkpoint with feedback kept in tmp_path/feedback; uploads read from tmp_path."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    feedback = feedback_from_settings(tmp_path / "fb", None)
    return DemoSession(SessionParts(predictor, UploadPolicy(uploads, 10**7), feedback=feedback))


def upload(session: DemoSession, source: Path = PHOTO) -> dict:
    target = session.uploads.folder / "abc" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return {"path": str(target), "meta": {"_type": "gradio.FileData"}}


def test_feedback_is_off_unless_the_host_names_a_folder_or_a_dataset(predictor, tmp_path):
    assert feedback_from_settings(None, None) is None and feedback_from_settings("", "") is None
    off = DemoSession(SessionParts(predictor, UploadPolicy(tmp_path, 10**7)))
    with pytest.raises(ValueError, match="not turned on"):
        off.send_feedback(None, "BCC", "", False, *[""] * len(predictor.schema.fields))


def test_a_report_with_and_without_consent(session, predictor, tmp_path):
    form = form_from_record(predictor.schema, {"age": 70, "region": "NOSE"})
    message, comment, consent = session.send_feedback(upload(session), "MEL", "irregular border", True, *form)
    assert "with the photo" in message and (comment, consent) == ("", False)
    message, *_ = session.send_feedback(upload(session), "SCC", None, False, *form)
    assert "without the photo" in message

    first, second = rows(tmp_path / "fb")
    expected = predictor.predict(PHOTO, {"age": 70, "region": "NOSE"})
    for row, believed in ((first, "MEL"), (second, "SCC")):
        assert row["checkpoint"] == predictor.name and row["believed_class"] == believed
        assert row["prediction"] == expected.prediction
        probabilities = json.loads(row["probabilities"])
        assert list(probabilities) == expected.classes
        assert list(probabilities.values()) == pytest.approx(expected.probabilities.tolist(), abs=1e-5)
        record = json.loads(row["record"])
        assert record["age"] == 70 and record["region"] == "NOSE" and record["bleed"] is None
        assert row["time"].endswith("+00:00")
    assert first["comment"] == "irregular border" and second["comment"] == ""
    assert second["photo_file"] == ""
    kept = tmp_path / "fb" / first["photo_file"]
    assert kept.parent.name == "photos" and list(kept.parent.iterdir()) == [kept]  # only the consented photo
    with Image.open(kept) as stored, Image.open(PHOTO) as original:
        assert stored.size == original.size and stored.format == "PNG"


@pytest.mark.parametrize(
    ("believed", "comment", "consent", "message"),
    [
        ("XYZ", "", False, "not one of the classes"),
        (["MEL"], "", False, "not one of the classes"),
        ("MEL", "x" * (MAX_COMMENT_CHARS + 1), False, "too long"),
        ("MEL", {"text": "x"}, False, "must be text"),
        ("MEL", "", "yes", "true or false"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(
    session, predictor, tmp_path, believed, comment, consent, message
):
    handlers = served_handlers(session)
    form = [""] * len(predictor.schema.fields)
    with pytest.raises(gr.Error, match=message):
        handlers.send_feedback(None, upload(session), believed, comment, consent, *form)  # None: no request
    assert not (tmp_path / "fb" / "feedback.csv").exists()


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_send_before_a_class_or_a_photo_only_says_what_to_do_first(session, predictor, tmp_path, lang):
    """Not an error: that would mark the comment and the consent, outputs of Send, with a red "Error" badge."""
    handlers = served_handlers(session)
    form = [""] * len(predictor.schema.fields)
    for photo, believed, message in ((upload(session), None, "feedback.no_class"), (None, "MEL", "feedback.no_photo")):
        told = session.send_feedback(photo, believed, "my comment", True, *form, lang=lang)
        assert told == (translate(lang, message), gr.skip(), gr.skip())  # the comment and the consent stay
        assert handlers.send_feedback(None, photo, believed, "", False, *form) == (translate("en", message), *told[1:])
    assert not (tmp_path / "fb" / "feedback.csv").exists()


def test_a_report_with_a_server_path_is_refused(session, predictor, tmp_path):
    form = [""] * len(predictor.schema.fields)
    with pytest.raises(ValueError, match="send the photo as an uploaded file"):
        session.send_feedback({"path": str(PHOTO)}, "MEL", "", True, *form)
    assert not (tmp_path / "fb" / "feedback.csv").exists()


def test_hostile_comments_are_stored_inert(session, predictor, tmp_path):
    form = [""] * len(predictor.schema.fields)
    hostile = {
        '=HYPERLINK("http://evil.example","click")': "'=HYPERLINK(",
        "+1+cmd|' /C calc'!A0": "'+1+cmd",
        'line one\nline two, "quoted"': 'line one\nline two, "quoted"',
        "right-to-left \u202eevil\u200b\x00\x1b[31m": "right-to-left evil[31m",
    }
    for comment in hostile:
        session.send_feedback(upload(session), "NEV", comment, False, *form)
    stored = [row["comment"] for row in rows(tmp_path / "fb")]
    assert len(stored) == len(hostile)
    for comment, (original, start) in zip(stored, hostile.items(), strict=True):
        assert comment.startswith(start), (original, comment)
        assert not any(c in comment for c in "\x00\x1b\u202e\u200b")


def test_a_hub_dataset_target(predictor, tmp_path):
    """The reports reach `create_commit` of a private dataset repo as data/feedback-<id>.csv and data/photos/."""
    repo = RepoUrl("https://huggingface.co/datasets/host/mhdf-feedback")
    with (
        patch.object(HfApi, "create_repo", return_value=repo) as create_repo,
        patch.object(HfApi, "create_commit") as create_commit,
    ):
        feedback = feedback_from_settings(None, "host/mhdf-feedback", api=HfApi(token="hf_test"))
        session = DemoSession(SessionParts(predictor, UploadPolicy(tmp_path, 10**7), feedback=feedback))
        form = [""] * len(predictor.schema.fields)
        session.send_feedback(upload(session), "BCC", SECRET_COMMENT, True, *form)
        (log,) = feedback.logs
        log.scheduler.trigger().result()
        log.scheduler.stop()
    create_repo.assert_called_once()
    assert create_repo.call_args.kwargs["repo_type"] == "dataset" and create_repo.call_args.kwargs["private"] is True
    (call,) = [c for c in create_commit.call_args_list if c.kwargs["operations"]]
    assert call.kwargs["repo_id"] == "host/mhdf-feedback" and call.kwargs["repo_type"] == "dataset"
    uploaded = {op.path_in_repo: op for op in call.kwargs["operations"]}
    (csv_path,) = [path for path in uploaded if path.endswith(".csv")]
    assert csv_path.startswith("data/feedback-")
    with uploaded[csv_path].as_file() as file:
        (row,) = list(csv.DictReader(io.StringIO(file.read().decode("utf-8"))))
    assert row["comment"] == SECRET_COMMENT and row["believed_class"] == "BCC"
    assert f"data/{row['photo_file']}" in uploaded


def test_a_dataset_that_cannot_be_opened_is_one_line(tmp_path):
    response = httpx.Response(401, request=httpx.Request("POST", "https://huggingface.co/api/repos/create"))
    error = HfHubHTTPError("401 Client Error: Unauthorized", response=response)
    with patch.object(HfApi, "create_repo", side_effect=error), pytest.raises(ValueError) as raised:
        feedback_from_settings(None, "host/mhdf-feedback")
    assert "MHDF_FEEDBACK_DATASET=host/mhdf-feedback" in str(raised.value) and "HF_TOKEN" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.slow
def test_the_shared_demo_has_no_feedback(demo_app):
    """Off by default: no control on the page and no endpoint in the API."""
    with httpx.Client(base_url=demo_app.url, timeout=60) as http:
        assert "This result looks wrong" not in http.get("/config").text
        assert "/feedback" not in http.get("/gradio_api/info").json()["named_endpoints"]


@pytest.fixture(scope="module")
def feedback_app(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("feedback_app")
    with running_app(workdir, extra_env={"MHDF_FEEDBACK": str(workdir / "reports")}) as app:
        app.reports = workdir / "reports"
        yield app


def call(http: httpx.Client, arguments: list) -> tuple[str, str]:
    """POST /gradio_api/call/feedback and read its event stream -> ("complete" | "error" | "refused", text)."""
    response = http.post("/gradio_api/call/feedback", json={"data": arguments})
    if response.status_code != 200:  # refused before Gradio saw it (`mhdf.app.uploads.UploadOnlyMiddleware`)
        return "refused", response.text
    stream = http.get(f"/gradio_api/call/feedback/{response.json()['event_id']}").text
    return ("complete" if "event: complete" in stream else "error"), stream


@pytest.mark.slow
def test_reports_through_gradio_client_and_raw_http(feedback_app, predictor):
    form = form_from_record(predictor.schema, {"age": 52})
    client = Client(feedback_app.url, verbose=False)
    message, _, _ = client.predict(handle_file(str(PHOTO)), "MEL", SECRET_COMMENT, True, *form, api_name="/feedback")
    assert "with the photo" in message
    with pytest.raises(AppError, match="not one of the classes"):
        client.predict(handle_file(str(PHOTO)), "XYZ", "", False, *form, api_name="/feedback")

    with httpx.Client(base_url=feedback_app.url, timeout=60) as http:
        (path,) = http.post("/gradio_api/upload", files={"files": ("lesion.png", PHOTO.read_bytes())}).json()
        photo = {"path": path, "meta": {"_type": "gradio.FileData"}}
        outcome, text = call(http, [photo, "SCC", "=1+1", False, *form])
        assert outcome == "complete" and "without the photo" in text
        for hostile in (
            [{"path": str(PHOTO), "meta": {"_type": "gradio.FileData"}}, "SCC", "", True, *form],  # a server file
            [photo, "SCC", "", "true", *form],  # consent that is not a boolean
            [photo, "<script>alert(1)</script>", "", False, *form],  # not a class
            [photo, "SCC", "x" * (MAX_COMMENT_CHARS + 1), False, *form],
            [photo, "SCC", "", False, *form[:-1]],  # one form value short
        ):
            outcome, text = call(http, hostile)
            assert outcome in ("error", "refused"), text[:300]
        assert http.get("/").status_code == 200  # still serving

    first, second = rows(feedback_app.reports)
    assert first["comment"] == SECRET_COMMENT and first["photo_file"].startswith("photos/")
    assert second["comment"] == "'=1+1" and second["photo_file"] == ""
    assert len(list((feedback_app.reports / "photos").iterdir())) == 1
    assert SECRET_COMMENT not in feedback_app.output() and "zebra-7731" not in feedback_app.output()


@pytest.mark.slow
@pytest.mark.browser
def test_reports_through_the_browser(feedback_app, predictor):
    from playwright.sync_api import expect, sync_playwright

    before = len(rows(feedback_app.reports)) if (feedback_app.reports / "feedback.csv").exists() else 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(feedback_app.url)
        page.set_input_files("#photo input[type=file]", str(PHOTO))
        expect(page.locator("#photo img")).to_have_count(1)
        page.locator("#diagnose").click()
        expect(page.locator("#probabilities")).to_contain_text("(BCC)")
        page.locator("#feedback").get_by_text("This result looks wrong").click()
        for consent, comment in ((True, "browser report with photo"), (False, "browser report without photo")):
            page.locator("#feedback-class input").click()
            page.get_by_role("option", name="Melanoma (MEL)", exact=True).click()
            page.locator("#feedback-comment textarea").fill(comment)
            if consent:
                page.locator("#feedback-consent input").check()
            page.locator("#feedback-send").click()
            expect(page.locator("#feedback-status")).to_contain_text("with the photo" if consent else "without")
            expect(page.locator("#feedback-comment textarea")).to_have_value("")
        browser.close()
    with_photo, without = rows(feedback_app.reports)[before:]
    assert with_photo["comment"] == "browser report with photo" and with_photo["photo_file"].startswith("photos/")
    assert without["believed_class"] == "MEL" and without["photo_file"] == ""


@pytest.mark.slow
@pytest.mark.browser
def test_send_too_early_in_the_browser_says_what_to_do_first_without_an_error(feedback_app):
    """Send before choosing a class, then before uploading a photo: a plain line under the form each time, the
    comment kept, and no red "Error" badge on the comment or the consent (outputs of Send) nor an error toast."""
    from playwright.sync_api import expect, sync_playwright

    reports = feedback_app.reports / "feedback.csv"
    before = reports.read_text() if reports.exists() else ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(feedback_app.url)
        page.locator("#feedback").get_by_text("This result looks wrong").click()
        page.locator("#feedback-comment textarea").fill("too early")
        page.locator("#feedback-send").click()
        expect(page.locator("#feedback-status")).to_have_text(translate("en", "feedback.no_class"))
        page.locator("#feedback-class input").click()
        page.get_by_role("option", name="Melanoma (MEL)", exact=True).click()
        page.locator("#feedback-send").click()
        expect(page.locator("#feedback-status")).to_have_text(translate("en", "feedback.no_photo"))
        expect(page.locator("#feedback-comment textarea")).to_have_value("too early")
        page.wait_for_timeout(500)  # an error's badges would be drawn by now
        expect(page.locator("[data-testid='status-tracker'] .error, [data-testid='toast-body']")).to_have_count(0)
        browser.close()
    assert (reports.read_text() if reports.exists() else "") == before  # nothing was sent


def test_a_visitor_in_portuguese_is_answered_in_portuguese(session, predictor, tmp_path):
    form = [""] * len(predictor.schema.fields)
    with pytest.raises(ValueError, match=translate("pt-BR", "feedback.bad_comment")):
        session.send_feedback(upload(session), "MEL", ["not text"], False, *form, lang="pt-BR")
    sent, _, _ = session.send_feedback(upload(session), "MEL", "", False, *form, lang="pt-BR")
    assert sent == feedback_sent(False, "pt-BR") != feedback_sent(False)
    assert len(rows(tmp_path / "fb")) == 1
