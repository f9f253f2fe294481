"""The demo's session: one loaded checkpoint (`DEFAULT_CHECKPOINT` unless another is named) and its event
handlers, testable without a server, and the one wrapping every handler gets when it serves (user errors as
`gr.Error`, inference mode, a ZeroGPU GPU where the Space has one).
"""

from __future__ import annotations

import functools
import inspect
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import torch

from mhdf.app.feedback import Feedback, ReportNotReady
from mhdf.app.form import empty_form, record_from_form
from mhdf.app.i18n import with_language
from mhdf.app.lesson import Lesson, read_lessons
from mhdf.app.report import case_report
from mhdf.app.similar import signature_from_view, similar_cases_html, similar_document
from mhdf.app.texts import CURRENT_CASE, EN, NO_SIMILAR_INDEX, photo_list, translate
from mhdf.app.uploads import UploadPolicy, parse_file_size, uploaded_file
from mhdf.app.views import (
    cleared_field_importance,
    cleared_views,
    comparison_view,
    diagnose_case,
    drop_photo_view,
    field_importance_views,
    find_example,
    intervention_view,
    overrides_from_controls,
    photo_views,
    progressive_diagnosis,
    view_names,
)
from mhdf.inference import Prediction, Predictor
from mhdf.inference.checkpoint import (
    DEFAULT_CHECKPOINT,
    SYNTHETIC_CHECKPOINT,
    ExampleCase,
    checkpoint_folder,
    read_examples,
    read_routing_atlas,
    read_similar_cases,
)
from mhdf.inference.similar import DEFAULT_NEIGHBOURS, SIMILARITY, SimilarCaseIndex, check_query

try:  # Hugging Face ZeroGPU: a GPU is attached only while a decorated function runs
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn: Callable) -> Callable:
        return fn


# The handlers Gradio events call, each served through `serving`; those that write sentences take the visitor's
# language (`predict` returns language-neutral JSON).
EVENTS = (
    "diagnose",
    "field_importance",
    "diagnose_example",
    "intervene",
    "compare",
    "drop_photo",
    "predict",
    "predict_views",
    "similar",
    "report",
    "send_feedback",
)
EXAMPLE_CACHE_SIZE = 64  # (example, language) results kept: the bundled six in two languages fit many times over


def reports_user_errors(handler: Callable, title: str = "error.title") -> Callable:
    """A ValueError (bad photo, impossible value, refused file) becomes a message for the person at the browser or
    the API client, under the heading `title` (a text key); nothing about the case reaches the logs. Works for plain
    and for streaming (generator) events."""

    def user_error(error: ValueError, lang: str) -> gr.Error:
        return gr.Error(str(error), title=translate(lang, title), print_exception=False)

    if inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def streaming(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from handler(*args, **kwargs)
            except ValueError as error:
                raise user_error(error, kwargs.get("lang", EN)) from None

        return streaming

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except ValueError as error:
            raise user_error(error, kwargs.get("lang", EN)) from None

    return wrapper


@dataclass(frozen=True)
class SessionParts:
    """What a session serves: the loaded model, which uploads a request may open, and the optional parts a checkpoint
    folder ships or a host turns on, each off when left out. `load_session` reads them all; a test names only the
    ones it needs (`SessionParts(predictor, uploads, lessons=...)`), and a new part is one more field here."""

    predictor: Predictor
    uploads: UploadPolicy
    examples: list[ExampleCase] = field(default_factory=list)
    atlas: dict[str, Any] | None = None  # the routing atlas of the held-out cases
    lessons: list[Lesson] = field(default_factory=list)  # the checkpoint's guided lessons (`mhdf.app.lesson`)
    similar_index: SimilarCaseIndex | None = None
    feedback: Feedback | None = None  # None: the host has not turned visitor feedback on


def what_to_do_first(message: str, at: int, outputs: int) -> list[Any]:
    """The outputs of an event whose button was pressed too early (no answer picked, no class chosen, no photo):
    `message` at output `at`, a Markdown beside the button, every other output left as it is. Not an error: Gradio
    marks every output of a failed event with a red "Error" badge, the inputs the visitor has still to fill among
    them."""
    return [message if i == at else gr.skip() for i in range(outputs)]


class DemoSession:
    """One loaded checkpoint and its event handlers.

    Events that take the photo or the form run with preprocess=False: the raw values go to `mhdf.app.uploads`
    (only this server's uploads are opened), the schema's validation and `mhdf.inference.images.load_image`, so a
    corrupt file, a decompression bomb or an impossible value gets an error naming the problem. The methods are
    plain: `served_handlers` wraps them for Gradio.
    """

    def __init__(self, parts: SessionParts) -> None:
        self.predictor = parts.predictor
        self.schema = parts.predictor.schema
        self.uploads = parts.uploads
        self.examples = parts.examples
        self.atlas = parts.atlas
        self.lessons = parts.lessons
        self.similar_index = parts.similar_index
        self.feedback = parts.feedback
        self.multi_view = parts.predictor.config.multi_view  # several photos per case: /predict takes them by view name
        self.photo_views = photo_views(parts.predictor)  # a multi-view checkpoint's: one photo input each
        self.view_names = view_names(parts.predictor.config.num_fused_stages, self.photo_views)
        self._example_views: dict[tuple[str, str], list[Any]] = {}

    def _in_view_order(self, views: Mapping[str, Any]) -> list[Any]:
        return [views[name] for name in self.view_names]

    def _split_photos(self, values: tuple) -> tuple[tuple, tuple]:
        """An event's photo inputs, which come first (one per photo view of a multi-view checkpoint, else one),
        and the values after them."""
        count = len(self.photo_views) or 1
        return values[:count], values[count:]

    def _uploaded_photos(self, photos: Sequence[Any], lang: str) -> Path | None | dict[str, Path | None]:
        """The photo of an event (a multi-view checkpoint: {view: photo, None where not given}), only from this
        server's uploads; a multi-view case without any photo is refused in `lang`."""
        if not self.photo_views:
            return uploaded_file(photos[0], self.uploads)
        given = self._view_uploads(dict(zip(self.photo_views, photos, strict=True)))
        if all(path is None for path in given.values()):
            raise ValueError(translate(lang, "photo.none", photos=photo_list(self.photo_views, lang)))
        return given

    def _current_case(self, photos_and_form: tuple, lang: str) -> tuple[Any, dict[str, Any]]:
        """The photo(s) and the record of the Diagnose tab's inputs."""
        photos, form_values = self._split_photos(photos_and_form)
        record = record_from_form(self.schema, form_values, lang)
        return self._uploaded_photos(photos, lang), record

    def _case(self, choice: str, photos_and_form: tuple, lang: str) -> tuple[Any, dict[str, Any]]:
        if choice == CURRENT_CASE:
            return self._current_case(photos_and_form, lang)
        example = find_example(self.examples, title=choice)
        return example.image, example.metadata

    def diagnose(self, *photos_and_form: Any, lang: str = EN) -> Iterator[list[Any]]:
        """Streams the views of the photo (a multi-view checkpoint: one per view, either may be missing) and the
        form: the probabilities and every routing view after one forward pass, then the rest."""
        image, record = self._current_case(photos_and_form, lang)
        for views in progressive_diagnosis(self.predictor, image, record, lang):
            yield self._in_view_order(views)

    def field_importance(self, *photos_and_form: Any, lang: str = EN) -> Iterator[tuple[Any, str]]:
        """Each filled field set to unknown in turn, streamed batch by batch."""
        image, record = self._current_case(photos_and_form, lang)
        yield from field_importance_views(self.predictor, image, record, lang)

    def diagnose_example(self, name: str, *shown: Any, lang: str = EN) -> list[Any]:
        """An example case, read from the checkpoint folder by name; `shown` (its photo and form as displayed) is
        not read, so no path a client sends is opened here. Kept per (example, language): a cached result never
        answers a visitor in the other language."""
        example = find_example(self.examples, name=name)
        key = (example.name, lang)
        if key not in self._example_views:
            if len(self._example_views) >= EXAMPLE_CACHE_SIZE:
                self._example_views.clear()
            views = diagnose_case(self.predictor, example.image, example.metadata, lang)
            self._example_views[key] = self._in_view_order(views)
        return list(self._example_views[key])

    def intervene(self, *inputs: Any, lang: str = EN) -> tuple[dict[str, float], dict[str, float], Any, str]:
        """The current case unmodified and with the Teaching tab's overrides. `inputs`: the photo(s), the knocked-out
        experts, the forced expert, the GM-Gate temperature, hard routing, one LC-Gate path per fused stage, then
        the form."""
        photos, (disabled, forced, temperature, hard, *paths_and_form) = self._split_photos(inputs)
        stages = self.predictor.config.num_fused_stages
        lc_paths, form_values = paths_and_form[:stages], paths_and_form[stages:]
        overrides = overrides_from_controls(self.predictor.config, disabled, forced, temperature, hard, lc_paths)
        record = record_from_form(self.schema, form_values, lang)
        image = self._uploaded_photos(photos, lang)
        view = intervention_view(self.predictor, image, record, overrides, lang)
        return view.first, view.second, view.figure, view.summary

    def compare(
        self, choice_a: str, choice_b: str, *photos_and_form: Any, lang: str = EN
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        cases = [self._case(choice, photos_and_form, lang) for choice in (choice_a, choice_b)]
        view = comparison_view(self.predictor, cases, lang)
        return view.first, view.second, view.figure, view.summary

    def drop_photo(
        self, view: str, *photos_and_form: Any, lang: str = EN
    ) -> tuple[dict[str, float], dict[str, float], Any, str]:
        """ "Drop this photo": the current case of a multi-view checkpoint as given and with the photo of `view`
        marked missing, side by side."""
        photos, record = self._current_case(photos_and_form, lang)
        result = drop_photo_view(self.predictor, photos, record, view, lang)
        return result.first, result.second, result.figure, result.summary

    def predict(self, image: dict[str, Any] | None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Classify a lesion photo with its clinical metadata. `image`: an image file (gradio_client
        `handle_file(path)`); `metadata`: {field: value} with the checkpoint's field names (leave a field out
        when unknown). Returns the JSON document of `python -m mhdf.predict`."""
        return self._api_prediction(image, metadata).to_dict()

    def predict_views(self, photos: dict[str, Any] | None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """`/predict` of a checkpoint with several photo views: `photos` {view: file} (e.g. {"clinical": ...,
        "dermoscopic": ...}; leave a view out when the case has no such photo), `metadata` as for one photo.
        Returns the JSON document of `python -m mhdf.predict`."""
        return self._api_prediction(None, metadata, photos).to_dict()

    def similar(
        self,
        image: dict[str, Any] | None,
        metadata: dict[str, Any] | None = None,
        by: str = SIMILARITY[0],
        k: int = DEFAULT_NEIGHBOURS,
    ) -> dict[str, Any]:
        """The held-out cases this checkpoint routes most like a case: `image` and `metadata` as for /predict;
        `by`: "routing" (routing signature) or "features" (the head's fused features); `k`: how many (1 to 50).
        Returns {"by", "neighbours": [{"case", "true_class", "prediction", "distance", "gm_gate", "thumbnail"}]},
        nearest first, each thumbnail a downloadable JPEG file. Not a diagnosis: it shows how the model groups
        cases."""
        if self.similar_index is None:
            raise ValueError(NO_SIMILAR_INDEX)
        check_query(by, k)  # before the forward pass
        prediction = self._api_prediction(image, metadata)
        result = self.similar_index.query(prediction.case_signature(), by, k)
        self.uploads.folder.mkdir(parents=True, exist_ok=True)
        return similar_document(result, Path(tempfile.mkdtemp(prefix="similar-", dir=self.uploads.folder)))

    def similar_view(self, query: Any, by: str, lang: str = EN) -> str:
        """The neighbours of the current case (its signature from the Diagnose pass, `SIMILAR_QUERY`) as HTML; empty
        before a diagnosis, where the view shows its placeholder (`mhdf.app.similar.placeholder_html`)."""
        if self.similar_index is None:
            raise ValueError(translate(lang, "similar.missing"))
        if query is None:
            return ""
        return similar_cases_html(self.similar_index.query(signature_from_view(query), by), lang)

    def _api_prediction(self, image: Any, metadata: Any, photos: Any = None) -> Prediction:
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValueError("metadata must be a JSON object of clinical fields")
        return self.predictor.predict(self._photos(image, photos), metadata or {})

    def _photos(self, image: Any, photos: Any) -> Path | dict[str, Path | None]:
        """The uploaded photo (a multi-view checkpoint: photo per view) of a /predict call."""
        views = self.predictor.views
        if not self.predictor.config.multi_view:
            if photos is not None:
                raise ValueError("this checkpoint reads one photo: send it as image, not photos")
            path = uploaded_file(image, self.uploads)
            if path is None:
                raise ValueError("no image: send the lesion photo as a file")
            return path
        if image is not None:
            raise ValueError(f"this checkpoint reads one photo per view ({', '.join(views)}): send photos, not image")
        if not isinstance(photos, Mapping) or not photos:
            raise ValueError(f"no photos: send photos as {{view: file}} with views among {', '.join(views)}")
        return self._view_uploads(photos)

    def _view_uploads(self, photos: Mapping[str, Any]) -> dict[str, Path | None]:
        """{view: upload} -> {view: the upload's path}; None for a view whose photo was not sent."""
        return {view: uploaded_file(payload, self.uploads) for view, payload in photos.items()}

    def report(self, *photos_and_form: Any, lang: str = EN) -> str:
        """The case report (PDF) of the current photo (a multi-view checkpoint: one argument per view, in the model's
        view order, None for a photo not sent; the report gets them as {view: path}) and form, written into Gradio's
        cache folder, which deletes it with the uploads (see SECURITY.md); never kept anywhere else."""
        photo, record = self._current_case(photos_and_form, lang)
        self.uploads.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="report-", dir=self.uploads.folder))
        return str(case_report(folder / "mhdf-case-report.pdf", self.predictor, photo, record, lang))

    def send_feedback(
        self, image: Any, believed: Any, comment: Any, consent: Any, *form_values: Any, lang: str = EN
    ) -> tuple[str, Any, Any]:
        """A visitor's "this result looks wrong" report on the current photo and form (`mhdf.app.feedback`);
        returns what the visitor is told, and the emptied comment and photo consent (kept as they are when the
        report is not ready: no class chosen or no photo)."""
        if self.feedback is None:
            raise ValueError(translate(lang, "feedback.off"))
        record = record_from_form(self.schema, form_values, lang)
        photo = uploaded_file(image, self.uploads)
        try:
            return self.feedback.send(self.predictor, photo, record, believed, comment, consent, lang), "", False
        except ReportNotReady as first:
            return tuple(what_to_do_first(str(first), 0, 3))

    def clear(self, lang: str = EN) -> list[Any]:
        """The empty photo(s) and form, every view cleared, no report and no field importance."""
        cleared = cleared_views(self.predictor.config.num_fused_stages, lang, self.photo_views)
        photos = [None] * (len(self.photo_views) or 1)
        return [*photos, *empty_form(self.schema), *self._in_view_order(cleared), None, *cleared_field_importance(lang)]


def load_session(
    upload_folder: Path,
    max_file_size: str | int,
    checkpoint: str | Path = DEFAULT_CHECKPOINT,
    device: str = "auto",
    feedback: Feedback | None = None,
) -> DemoSession:
    """The session of a checkpoint (folder, run folder or Hub id), with its examples and atlas; uploads are read
    from `upload_folder` up to `max_file_size` ("20mb"); visitors' reports go to `feedback` (None: off). Raises
    ValueError or OSError naming what is wrong (`CheckpointError` for a broken checkpoint)."""
    uploads = UploadPolicy(upload_folder, parse_file_size(max_file_size))
    folder = checkpoint_folder(checkpoint)
    # loaded on the CPU, then moved: on ZeroGPU the main process may not initialise CUDA itself
    predictor = Predictor.from_pretrained(folder, device="cpu").to(device)
    similar_index = read_similar_cases(folder)
    if similar_index is not None:
        config = predictor.config
        # one LC-Gate per view and stage in every routing signature (a model without a photo has no stage)
        blocks = config.num_fused_stages * max(len(predictor.views), 1)
        similar_index.check_model(blocks, config.experts, config.expert_hidden)
    examples = read_examples(folder, predictor.schema, predictor.views)
    return DemoSession(
        SessionParts(
            predictor,
            uploads,
            examples=examples,
            atlas=read_routing_atlas(folder),
            lessons=read_lessons(folder, examples, predictor) or synthetic_checkpoint_lessons(device),
            similar_index=similar_index,
            feedback=feedback,
        )
    )


def synthetic_checkpoint_lessons(device: str) -> list[Lesson]:
    """The guided lesson of the bundled synthetic-photo checkpoint, on that checkpoint (none where it is absent,
    as in an installed wheel)."""
    if not SYNTHETIC_CHECKPOINT.is_dir():
        return []
    predictor = Predictor.from_pretrained(SYNTHETIC_CHECKPOINT, device="cpu").to(device)
    return read_lessons(SYNTHETIC_CHECKPOINT, read_examples(SYNTHETIC_CHECKPOINT, predictor.schema), predictor)


def serving(handler: Callable, title: str = "error.title") -> Callable:
    """`handler` as an event runs it: in the visitor's language when it takes `lang`, without autograd, its
    ValueErrors shown to the visitor (under the heading `title`), and on ZeroGPU with a GPU attached (the bound
    method is wrapped, so the session and its model are inherited, never pickled)."""
    served = gpu(reports_user_errors(torch.inference_mode()(handler), title))
    return with_language(served) if "lang" in inspect.signature(handler).parameters else served


def serving_without_model(handler: Callable, title: str = "error.title") -> Callable:
    """`handler`, which runs no model, as an event: in the visitor's language, its ValueErrors shown to the visitor
    (under the heading `title`), but without a GPU or inference mode, so that it may also run outside the queue
    (`queue=False`)."""
    return with_language(reports_user_errors(handler, title))


def served_handlers(session: DemoSession) -> SimpleNamespace:
    """The session's event handlers by name (`EVENTS`), each wrapped once by `serving`; `clear` and the similar-case
    search run no model."""
    return SimpleNamespace(
        **{name: serving(getattr(session, name)) for name in EVENTS},
        clear=with_language(session.clear),
        similar_view=serving_without_model(session.similar_view),
    )
