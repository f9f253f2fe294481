"""Every sentence the demo shows a person: notices, warnings, the narrative, status lines and summaries, and the
Markdown pages beside this module. Views, figures, the report and the handlers take their words from here.

The sentences themselves live in one table per language, `en.py` and `pt_br.py` (`language.py` looks them up; see
docs/i18n.md for adding one). Functions take the visitor's `lang` ("en" or "pt-BR"); the constants are English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from mhdf.app.texts.en import schema_key
from mhdf.app.texts.language import CATALOGUES, DEFAULT_LANGUAGE, LANGUAGES, Text, in_language, translate
from mhdf.inference import Prediction, Predictor
from mhdf.inference.batch import BatchSummary
from mhdf.inference.explain import Diagnosis, routing_difference
from mhdf.inference.similar import SimilarCases
from mhdf.metadata import FieldSpec, MetadataSchema
from mhdf.routing import LC_PATHS, RoutingOverrides

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Text", "in_language", "translate"]

PAGES = Path(__file__).resolve().parent
EN = DEFAULT_LANGUAGE
NOT_A_MEDICAL_DEVICE = translate(EN, "notice.not_a_device")
NOTICE = translate(EN, "notice", emphasis=NOT_A_MEDICAL_DEVICE)
SYNTHETIC_WARNING = translate(EN, "synthetic_warning")
NARRATIVE_PLACEHOLDER = translate(EN, "narrative.placeholder")
MODEL_CHOICE = "model's choice"  # the value of an LC-Gate left to the model in the intervention controls
CURRENT_CASE = translate(EN, "current_case")  # the comparison dropdowns' value of the current case
IMPORTANCE_ON_REQUEST = translate(EN, "importance.on_request")
# a contract (issue 19): shown above the probabilities of any photo a synthetic-photo model did not ship as an example
SYNTHETIC_MODEL_OWN_PHOTO = translate(EN, "synthetic.own_photo")
VIEWS_READY = translate(EN, "status.ready", on_request="").strip()  # the status line once every view is shown
NO_SIMILAR_INDEX = translate(EN, "similar.missing")


def notice(lang: str = EN, markdown: bool = False) -> str:
    """The notice in `lang`, its key words in bold when `markdown`."""
    emphasis = translate(lang, "notice.not_a_device")
    return translate(lang, "notice", emphasis=f"**{emphasis}**" if markdown else emphasis)


def class_name(schema: MetadataSchema, code: str, lang: str = EN) -> str:
    """A class as the app names it: "Carcinoma basocelular (BCC)"; just the code when it has no longer name."""
    english = schema.class_labels.get(code, code)
    label = _schema_word(schema, english, lang, "class", code)
    return code if label == code else f"{label} ({code})"


def field_label(schema: MetadataSchema, spec: FieldSpec, lang: str = EN) -> str:
    """A clinical field's label in `lang` ("Idade"); the schema's own for a schema the catalogue lacks."""
    return _schema_word(schema, spec.label, lang, "field", spec.name)


def value_label(schema: MetadataSchema, spec: FieldSpec, value: Any, lang: str = EN) -> str:
    """A canonical value as a person reads it: "Sim", "67 anos", "Face", "não registrado"."""
    if value is None:
        return translate(lang, "form.not_recorded").lower()
    if spec.kind == "numeric":
        unit = _schema_word(schema, spec.unit, lang, "unit", spec.unit) if spec.unit else ""
        return f"{value:g} {unit}".strip()
    if value not in spec.values:
        return spec.describe(value)
    return _schema_word(schema, spec.value_label(value), lang, "value", spec.name, value)


def schema_text(schema: MetadataSchema, english: str, kind: str, *names: str) -> str:
    """A schema's word as a component shows it: a `Text` when the catalogue has it, else the schema's English."""
    key = schema_key(schema.name, kind, *names)
    return Text(key) if key in CATALOGUES[EN] else english


def photo_view_name(view: str, lang: str = EN, in_sentence: bool = False) -> str:
    """A photo view of a checkpoint as a person reads it ("Dermoscopic image"); a view the catalogue has no words
    for (a checkpoint's own view name) as it is named. `in_sentence`: starting in lower case, for the middle of a
    sentence."""
    name = in_language(photo_label(view), lang)
    return name[:1].lower() + name[1:] if in_sentence else name


def photo_label(view: str) -> Text | str:
    """`photo_view_name` as a component's label: a `Text`, shown in the visitor's language."""
    key = f"photo_view.{view}"
    return Text(key) if key in CATALOGUES[EN] else view


def _schema_word(schema: MetadataSchema, english: str, lang: str, kind: str, *names: str) -> str:
    try:
        return translate(lang, schema_key(schema.name, kind, *names))
    except KeyError:  # a schema the catalogue does not know: its own English words
        return english


@cache
def _text(name: str) -> str:
    return (PAGES / name).read_text()


def page(name: str, lang: str = EN) -> str:
    """A Markdown page beside this module in `lang`: `name.md`, or `name.pt-BR.md` for Portuguese."""
    return _text(f"{name}.md" if lang == EN else f"{name}.{lang}.md")


def routing_explained(lang: str = EN) -> str:
    """The teaching tab's plain-language walk through MHDF-Net's routing (Markdown)."""
    return page("routing_explained", lang)


def api_help(schema: MetadataSchema, max_file_size_mb: float, lang: str = EN) -> str:
    """The API tab: how to call `/predict`, with this checkpoint's fields (Markdown)."""
    fields = ", ".join(f"`{name}`" for name in schema.field_names)
    return Template(page("api_help", lang)).substitute(
        schema=schema.label, fields=fields, max_file_size=f"{max_file_size_mb:g} MB"
    )


def training_description(predictor: Predictor, lang: str = EN) -> str:
    """What the checkpoint learnt from, in `lang`. Built from the model card's fields where they say it (synthetic
    photos made from a dataset's real clinical records, the fold held out for testing: the synthetic checkpoint;
    synthetic photo pairs: the two-photo one; real photos: the bundled one);
    otherwise the description written in the checkpoint, free text the app cannot translate, quoted as such."""
    card = predictor.card
    synthetic, evaluation = card.get("synthetic"), card.get("evaluation")
    if (
        predictor.config.synthetic_data
        and isinstance(synthetic, Mapping)
        and synthetic.get("records")
        and isinstance(evaluation, Mapping)
        and evaluation.get("split") == "test"
        and evaluation.get("fold") is not None
    ):
        return translate(lang, "trained_on.synthetic_photos", schema=predictor.schema.label, fold=evaluation["fold"])
    if (
        predictor.config.synthetic_data
        and isinstance(synthetic, Mapping)
        and synthetic.get("generator") == "training.synthetic.paired"
        and isinstance(synthetic.get("cases"), int)
        and isinstance(evaluation, Mapping)
        and isinstance(evaluation.get("num_test_cases"), int)
    ):
        return translate(
            lang, "trained_on.synthetic_pairs", cases=synthetic["cases"], schema=predictor.schema.label,
            test_cases=evaluation["num_test_cases"],
        )  # fmt: skip
    data = card.get("data")
    if (
        not predictor.config.synthetic_data
        and isinstance(data, Mapping)
        and isinstance(data.get("photos"), int)
        and isinstance(data.get("patients"), int)
        and isinstance(evaluation, Mapping)
        and evaluation.get("fold") is not None
    ):
        return translate(
            lang, "trained_on.real_photos", photos=data["photos"], patients=data["patients"],
            schema=predictor.schema.label, fold=evaluation["fold"],
        )  # fmt: skip
    return translate(lang, "trained_on.quoted", text=predictor.model_info["training_data"])


ATTRIBUTION_KEYS = ("dataset", "citation", "license", "license_url", "changes")


def attribution(predictor: Predictor, lang: str = EN) -> str:
    """Whose photos and records the checkpoint learnt from, under which licence, and what was changed (Markdown),
    as CC BY asks of anything built on them; empty when the card does not say."""
    data = predictor.card.get("data")
    if not isinstance(data, Mapping) or not all(isinstance(data.get(key), str) for key in ATTRIBUTION_KEYS):
        return ""
    return translate(lang, "attribution", **{key: data[key] for key in ATTRIBUTION_KEYS})


def banner(predictor: Predictor, lang: str = EN) -> str:
    """Which checkpoint answers, what it was trained on, and the notice (Markdown)."""
    info = predictor.model_info
    text = translate(
        lang,
        "banner",
        name=info["name"],
        backbone=info["backbone"],
        variant=info["variant"],
        schema=predictor.schema.label,
        training_data=training_description(predictor, lang),
    )
    if info["synthetic"]:
        text += f"  \n⚠️ **{translate(lang, 'synthetic_warning')}**"
    if credit := attribution(predictor, lang):
        text += f"  \n{credit}"
    return f"{text}  \n{notice(lang, markdown=True)}"


def result_note(predictor: Predictor, predicted: str, lang: str = EN) -> str:
    """The line above every result: the top class, the checkpoint, the synthetic-data mark and the notice."""
    info = predictor.model_info
    synthetic = translate(lang, "result_note.synthetic") if info["synthetic"] else ""
    notice_text = notice(lang, markdown=True)
    return translate(
        lang, "result_note", synthetic=synthetic, predicted=predicted, name=info["name"], notice=notice_text
    )


def synthetic_model_notice(prediction: Prediction, lang: str = EN) -> str:
    """The notice (Markdown) for a photo of the visitor's own on a synthetic-photo model; empty for an example or a
    model trained on real photos."""
    if not prediction.synthetic_model_own_photo:
        return ""
    own_photo, detail = translate(lang, "synthetic.own_photo"), translate(lang, "synthetic.own_photo.detail")
    return f"## ⚠️ {own_photo}\n\n{detail}"


def real_model_notice(prediction: Prediction, lang: str = EN) -> str:
    """The scope of a real-photo model (Markdown), for a photo of the visitor's own; empty for an example or a
    synthetic-photo model (which gets `synthetic_model_notice`)."""
    if not prediction.own_photo or prediction.model["synthetic"] is not False:
        return ""
    own_photo, detail = translate(lang, "real.own_photo"), translate(lang, "real.own_photo.detail")
    return f"### ℹ️ {own_photo}\n\n{detail}"


def quality_problems(prediction: Prediction, lang: str = EN) -> list[str]:
    """What is wrong with the photo, one sentence per failed check (`mhdf.inference.quality`), with its measured
    value and threshold; empty for a photo that passed or was not checked."""
    if prediction.quality is None:
        return []
    return [
        translate(lang, f"quality.problem.{problem.code}", value=problem.value, threshold=problem.threshold)
        for problem in prediction.quality.problems
    ]


def quality_notice(prediction: Prediction, lang: str = EN) -> str:
    """The photo-quality verdict (Markdown): for a photo that fails, that the answer is unreliable, what is wrong and
    how to retake it; for a visitor's own photo that passes, one line saying so; empty otherwise."""
    quality = prediction.quality
    if quality is None or (quality.ok and not prediction.own_photo):
        return ""
    if quality.ok:
        return translate(lang, "quality.passed")
    wrong = "\n".join(f"- {sentence}" for sentence in quality_problems(prediction, lang))
    retake = "\n".join(f"- {translate(lang, f'quality.retake.{code}')}" for code in quality.codes)
    return (
        f"## ⚠️ {translate(lang, 'quality.warning')}\n\n**{translate(lang, 'quality.problems')}**\n\n{wrong}\n\n"
        f"**{translate(lang, 'quality.retake')}**\n\n{retake}"
    )


def photo_notices(prediction: Prediction, lang: str = EN) -> str:
    """Everything said about the photo before the answer (Markdown): the synthetic-model notice, or the real-photo
    model's scope for a visitor's own photo, first (before any number), then the photo-quality verdict, then which
    photo a case of a multi-view checkpoint lacks."""
    scope = synthetic_model_notice(prediction, lang) or real_model_notice(prediction, lang)
    parts = (scope, quality_notice(prediction, lang), missing_photo_notice(prediction, lang))
    return "\n\n".join(part for part in parts if part)


def photo_short_name(view: str, lang: str = EN) -> str:
    """A photo view abbreviated for a figure's tick labels ("Clin."); the view name the catalogue lacks as is."""
    key = f"photo.short.{view}"
    return translate(lang, key) if key in CATALOGUES[EN] else view


def photo_list(views: Sequence[str], lang: str = EN) -> str:
    """Photo views in words, in a sentence: "clinical close-up and dermoscopic image"."""
    return translate(lang, "photo.and").join(photo_view_name(view, lang, in_sentence=True) for view in views)


def one_photo_only(photos: Sequence[str], lang: str = EN) -> str:
    """What a part of the app that reads one photo per case says in place of itself for a multi-view checkpoint."""
    return translate(lang, "multi_view.one_photo_only", photos=photo_list(photos, lang))


def missing_photo_notice(prediction: Prediction, lang: str = EN) -> str:
    """For a case of a multi-view checkpoint, each photo it lacks and what the model answered from (Markdown);
    empty when every photo was given."""
    present = [view for view, given in prediction.photos.items() if given]
    return "\n\n".join(
        translate(lang, "photo.missing", photo=photo_view_name(view, lang, True), present=photo_list(present, lang))
        for view in prediction.missing_photos
    )


def gm_gate_by_view_table(prediction: Prediction, lang: str = EN) -> str:
    """How much each photo steered the GM-Gate (`Prediction.gm_gate_by_view`) as a Markdown table in words, beside
    its plot; empty with a single expert (no gate to steer)."""
    shares = prediction.gm_gate_by_view()
    if shares is None:
        return ""
    rows = []
    for view, share in shares.items():
        name = photo_view_name(view, lang)
        if not prediction.photos[view]:
            name = translate(lang, "gm_by_view.not_given", photo=name)
        rows.append(f"| {name} | {_percent_text(share, lang)} |")
    return "\n".join([translate(lang, "gm_by_view.header"), "| --- | ---: |", *rows])


def drop_photo_summary(view: str, given: Prediction, without: Prediction, lang: str = EN) -> str:
    """What dropping one photo did, in one Markdown sentence: the top class, how far the probabilities moved and
    each photo's GM-Gate steering share before and after."""
    before, after = given.gm_gate_by_view() or {}, without.gm_gate_by_view() or {}
    shares = ", ".join(
        f"{photo_view_name(name, lang, True)} {_percent_text(before[name], lang)} → {_percent_text(after[name], lang)}"
        for name in before
    )
    return translate(
        lang,
        "drop.summary",
        photo=photo_view_name(view, lang, True),
        before=given.prediction,
        after=without.prediction,
        moved=_percent_text(routing_difference(given, without).probabilities, lang),
        shares=shares or "–",
    )


def ood_warning(prediction: Prediction, lang: str = EN) -> str:
    """A prominent warning (Markdown) when the photo is out of distribution; empty otherwise."""
    if prediction.in_distribution is not False:
        return ""
    ood = prediction.ood
    detail = translate(lang, "ood.detail", score=ood["score"], threshold=ood["threshold"])
    return f"## ⚠️ {translate(lang, 'ood.warning')}\n\n{detail}"


def _percent_text(value: float, lang: str) -> str:
    """ "90 %" (a space before the sign, as both languages' style guides ask); "90,5 %" style is not needed."""
    return f"{value:.0%}".replace("%", " %")


def prediction_set_text(prediction: Prediction, lang: str = EN) -> str:
    """The conformal set in words (Markdown): "**90 % set: BCC or SCC.** A set with more than one class means..." """
    text = f"**{prediction_set_words(prediction, lang)}.**"
    if prediction.prediction_set is not None and len(prediction.prediction_set) > 1:
        text += f" {translate(lang, 'set.cannot_tell_apart')}"
    if prediction.prediction_set is not None:
        text += " " + translate(lang, "set.coverage", coverage=_percent_text(prediction.set_coverage, lang))
    return text


def subgroup_table(card: Mapping[str, Any], lang: str = EN) -> str:
    """The model card's test-fold results per patient subgroup as Markdown tables; says so when it has none."""
    subgroups = card.get("subgroups")
    if not subgroups:
        return translate(lang, "subgroups.none")
    parts = []
    for attribute, groups in subgroups.items():
        rows = [
            f"| {group} | {values['count']} | "
            + (
                f"{translate(lang, 'subgroups.too_small')} | |"
                if values["too_small"]
                else f"{values['balanced_accuracy']:.2f} | {values['accuracy']:.2f} |"
            )
            for group, values in groups.items()
        ]
        key = f"subgroups.{attribute}"
        title = translate(lang, key) if key in SUBGROUP_KEYS else attribute
        header = f"{translate(lang, 'subgroups.header', attribute=title)}\n|---|---|---|---|"
        parts.append("\n".join([header, *rows]))
    return "\n\n".join(parts)


SUBGROUP_KEYS = ("subgroups.fitzpatrick", "subgroups.gender", "subgroups.age_band")


def diagnosis_status(pending: Sequence[str], lang: str = EN) -> str:
    """The Diagnose status line; `pending` names views by key ("gradcam", "modality")."""
    if pending:
        views = ", ".join(translate(lang, f"status.view.{view}") for view in pending)
        return translate(lang, "status.pending", pending=translate(lang, "pending"), views=views)
    return translate(lang, "status.ready", on_request=translate(lang, "importance.on_request"))


def importance_status(done: int, filled: int, lang: str = EN) -> str:
    """Field importance's progress: `done` of the `filled` fields computed."""
    if not filled:
        return translate(lang, "importance.nothing")
    if done < filled:
        return translate(lang, "importance.progress", pending=translate(lang, "pending"), done=done, filled=filled)
    return translate(lang, "importance.done", filled=filled)


def intervention_summary(
    overrides: RoutingOverrides, baseline: Prediction, intervened: Prediction, moved: float, lang: str = EN
) -> str:
    """What an intervention did, in one Markdown sentence (`moved`: total variation of the probabilities)."""
    return translate(
        lang,
        "intervention.summary",
        overrides=describe_overrides(overrides, lang),
        before=baseline.prediction,
        after=intervened.prediction,
        moved=_percent_text(moved, lang) if lang != EN else f"{moved:.1%}",
    )


def comparison_summary(first: Prediction, second: Prediction, lang: str = EN) -> str:
    """How two cases' outputs and routing differ, in one Markdown sentence."""
    difference = routing_difference(first, second)
    text = translate(
        lang, "comparison.summary", a=first.prediction, b=second.prediction, gm=f"{difference.gm_gate:.1%}"
    )
    if difference.lc_gate and len(first.trace.views) < 2:  # several photos: the figure shows each photo's stages
        stages = ", ".join(f"{d:.2f}" for d in difference.lc_gate)
        return text + translate(lang, "comparison.lc", stages=stages, last=len(difference.lc_gate))
    return f"{text}."


def describe_overrides(overrides: RoutingOverrides, lang: str = EN) -> str:
    """The interventions in words, e.g. "expert 2 knocked out; stage 3 forced to the image path"."""
    parts = []
    if overrides.gm_forced_expert is not None:
        parts.append(translate(lang, "overrides.forced", expert=overrides.gm_forced_expert + 1))
    if overrides.gm_disabled_experts:
        experts = ", ".join(str(e + 1) for e in sorted(overrides.gm_disabled_experts))
        key = "overrides.knocked_out_many" if len(overrides.gm_disabled_experts) > 1 else "overrides.knocked_out"
        parts.append(translate(lang, key, experts=experts))
    if overrides.gm_temperature is not None:
        parts.append(translate(lang, "overrides.temperature", temperature=f"{overrides.gm_temperature:g}"))
    if overrides.gm_hard is not None:
        parts.append(translate(lang, "overrides.hard" if overrides.gm_hard else "overrides.soft"))
    for stage, path in sorted(overrides.lc_forced_paths.items()):
        path_name = translate(lang, f"path.{path}")
        parts.append(translate(lang, "overrides.lc", stage=stage + 1, path=path_name))
    return "; ".join(parts) if parts else translate(lang, "overrides.none")


def prediction_set_words(prediction: Prediction, lang: str = EN) -> str:
    """ "90 % set: BCC or SCC", or why there is none."""
    if prediction.prediction_set is None:
        return translate(lang, "set.none")
    members = prediction.prediction_set
    listed = (
        members[0] if len(members) == 1 else translate(lang, "set.or", first=", ".join(members[:-1]), last=members[-1])
    )
    return translate(lang, "set.words", coverage=_percent_text(prediction.set_coverage, lang), members=listed)


def ood_words(prediction: Prediction, lang: str = EN) -> str:
    """The out-of-distribution status in one line."""
    if prediction.ood is None:
        return translate(lang, "ood.none")
    ood = prediction.ood
    verdict = translate(lang, "ood.inside" if ood["in_distribution"] else "ood.outside")
    return translate(lang, "ood.words", score=ood["score"], threshold=ood["threshold"], verdict=verdict)


def quality_words(prediction: Prediction, lang: str = EN) -> str:
    """The photo-quality verdict in one line."""
    if prediction.quality is None:
        return translate(lang, "quality.none")
    verdict = translate(lang, "quality.fine" if prediction.quality.ok else "quality.unreliable")
    return translate(lang, "quality.words", verdict=verdict)


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def _photos_lc_gate(prediction: Prediction, lang: str) -> str:
    """The narrative's LC-Gate step for a multi-view checkpoint: the fused path's weight per stage of each photo."""
    trace = prediction.trace
    stages = trace.stages_per_view
    fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
    per_photo = []
    for index, (view, given) in enumerate(prediction.photos.items()):
        blocks = fused[trace.block(index, 0) : trace.block(index, stages)]
        weights = ", ".join(_percent(w) for w in blocks) if given else translate(lang, "narrative.not_given")
        per_photo.append(f"{photo_view_name(view, lang, True)} {weights}")
    return translate(lang, "narrative.lc_gate_views", stages=stages, per_photo="; ".join(per_photo))


def narrate(diagnosis: Diagnosis, schema: MetadataSchema, lang: str = EN) -> str:
    """The diagnosis walked through in plain language (Markdown), naming the view that shows each step."""
    prediction = diagnosis.prediction
    trace = prediction.trace
    order = np.argsort(prediction.probabilities)[::-1]
    top, runner_up = order[0], order[1] if len(order) > 1 else order[0]
    code = prediction.classes[top]
    top_name, runner_up_name = (class_name(schema, prediction.classes[i], lang) for i in (top, runner_up))

    def say(key: str, **values: Any) -> str:
        return translate(lang, f"narrative.{key}", **values)

    lines = [
        say(
            "prediction",
            top=top_name,
            top_p=_percent(prediction.probabilities[top]),
            runner_up=runner_up_name,
            runner_up_p=_percent(prediction.probabilities[runner_up]),
        )
    ]
    if len(trace.views) > 1:
        lines.append(_photos_lc_gate(prediction, lang))
    elif trace.lc_gate.shape[1]:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
        weights = ", ".join(_percent(w) for w in fused)
        lines.append(say("lc_gate", stages=len(fused), weights=weights, most=int(fused.argmax()) + 1))
    if trace.tkca:
        given = [i for i, present in enumerate(prediction.photos.values()) if present] or [0]
        last = trace.block(given[-1], trace.stages_per_view - 1)  # the last stage of the last photo given
        attended = sorted(prediction.field_attention(last).items(), key=lambda item: item[1], reverse=True)[:2]
        fields = translate(lang, "narrative.and").join(
            f"{field_label(schema, schema.field(field), lang)} ({_percent(weight)})" for field, weight in attended
        )
        lines.append(say("tkca", top_k=prediction.top_k, fields=fields))
    gate = trace.gm_gate[0].numpy()
    contributions = trace.expert_logits[0, :, top].numpy()
    if len(gate) > 1:
        lines.append(say("gm_gate", experts=len(gate), expert=int(gate.argmax()) + 1, weight=_percent(gate.max())))
    if len(trace.views) > 1 and (shares := prediction.gm_gate_by_view()) is not None:
        steered = [say("share_of", share=_percent(v), photo=photo_view_name(k, lang, True)) for k, v in shares.items()]
        lines.append(say("gm_gate_by_view", shares=", ".join(steered)))
    lines.append(
        say("contributions", expert=int(contributions.argmax()) + 1, code=code, value=f"{contributions.max():+.2f}")
    )
    without = diagnosis.without_metadata
    lines.append(
        say(
            "modality",
            code=code,
            without=_percent(without.probabilities[top]),
            without_top=without.prediction,
            with_=_percent(prediction.probabilities[top]),
            moved=_percent(routing_difference(prediction, without).gm_gate),
        )
    )
    if diagnosis.field_importance is None:
        lines.append(say("importance.on_request"))
    elif diagnosis.field_importance:
        most = diagnosis.field_importance[0]
        spec = schema.field(most.name)
        lines.append(
            say(
                "importance.supported" if most.change > 0 else "importance.argued",
                field=field_label(schema, spec, lang),
                value=value_label(schema, spec, prediction.record.get(most.name), lang),
                code=code,
                probability=_percent(most.probability),
                points=f"{-100 * most.change:+.1f}",
            )
        )
    else:
        lines.append(say("importance.nothing", nothing=translate(lang, "importance.nothing")))
    if diagnosis.gradcam is not None:
        lines.append(say("gradcam", code=code))
    return "\n\n".join(lines)


def batch_summary(summary: BatchSummary, out: Path, seconds: float) -> str:
    """The last line of `mhdf-predict --csv`: what was written where, and how fast."""
    rate = f", {summary.written / seconds:.1f} cases/s" if summary.written and seconds > 0 else ""
    skipped = f"; {summary.skipped} already in {out} were skipped" if summary.skipped else ""
    errors = f" ({summary.failed} with an error: see the error column)" if summary.failed else ""
    return f"{summary.written} of {summary.total} rows written to {out}{errors}{skipped}{rate}."


def class_choices(schema: MetadataSchema, codes: Sequence[str]) -> list[tuple[str, str]]:
    """(label, code) choices of a class dropdown or radio, labels as `class_name` writes them: `Text`s where the
    catalogue has the class, so the page shows them in the visitor's language."""
    choices = []
    for code in codes:
        english = schema.class_labels.get(code, code)
        label = schema_text(schema, english, "class", code)
        choices.append((code if label == code else Text("class.named", label=label, code=code), code))
    return choices


def number_range(spec: FieldSpec, unit: str = "") -> str:
    """A numeric field's allowed range for its help ("a number from 0 to 120 years"), a `Text` when both bounds are
    known (`unit`: the unit as the form writes it); else the schema's own words."""
    if spec.minimum is None or spec.maximum is None:
        return spec.allowed
    low, high = f"{spec.minimum:g}", f"{spec.maximum:g}"
    if unit:
        return Text("form.range.unit", low=low, high=high, unit=unit)
    return Text("form.range", low=low, high=high)


def field_error(schema: MetadataSchema, spec: FieldSpec, value: Any, lang: str = EN) -> str:
    """A form value the schema refused, in one line naming the field and what it allows, in `lang`."""
    if spec.kind == "numeric":
        unit = _schema_word(schema, spec.unit, lang, "unit", spec.unit) if spec.unit else ""
        allowed = in_language(number_range(spec, unit), lang)
    else:
        allowed = translate(lang, "form.one_of", values=", ".join(spec.values))
    field = field_label(schema, spec, lang)
    return translate(lang, "form.invalid", field=field, value=repr(str(value)[:40]), allowed=allowed)


# Feedback from visitors (`mhdf.app.feedback`), shown only where the host has turned it on.


def feedback_sent(photo_included: bool, lang: str = EN) -> str:
    return translate(lang, "feedback.sent.photo" if photo_included else "feedback.sent.no_photo")


def feedback_bad_class(value: Any, classes: Sequence[str], lang: str = EN) -> str:
    return translate(lang, "feedback.bad_class", value=repr(str(value)[:40]), classes=", ".join(classes))


def feedback_comment_too_long(limit: int, lang: str = EN) -> str:
    return translate(lang, "feedback.comment_too_long", limit=limit)


# --- The Lesson tab: questions, choices, explanations built from a case's own numbers, and the summary ---------

QUESTION_TYPES = ("class", "leading_expert", "clinical_steering", "knockout", "ood")


def lesson_question(question: str, stage: int | None, expert: int | None, lang: str = EN) -> str:
    """One step's question (Markdown); `stage` and `expert` count from 0."""
    if question == "clinical_steering":
        return translate(lang, "lesson.question.clinical_steering", stage=stage + 1)
    if question == "knockout":
        return translate(lang, "lesson.question.knockout", expert=expert + 1)
    return translate(lang, f"lesson.question.{question}")


def lesson_progress(step: int, steps: int, right: int, answered: int, lang: str = EN) -> str:
    """ "Step 3 of 10 · Score 2 of 2" (`step` counts from 1)."""
    return translate(lang, "lesson.progress", step=step, steps=steps, right=right, answered=answered)


def lesson_case_title(name: str, label: str | None, lang: str = EN) -> str:
    if label:
        return translate(lang, "lesson.case.label", name=name, label=label)
    return translate(lang, "lesson.case", name=name)


def lesson_record(schema: MetadataSchema, record: Mapping[str, Any], lang: str = EN) -> str:
    """The filled clinical fields as a Markdown table; says so when none is filled."""
    filled = [(schema.field(name), value) for name, value in record.items() if value is not None]
    if not filled:
        return translate(lang, "lesson.record.none")
    rows = "\n".join(
        f"| {field_label(schema, spec, lang)} | {value_label(schema, spec, value, lang)} |" for spec, value in filled
    )
    return f"{translate(lang, 'lesson.record.header')}\n|---|---|\n{rows}"


def lesson_explanation(
    question: str,
    prediction: Prediction,
    stage: int | None,
    expert: int | None,
    knocked_out: Prediction | None,
    schema: MetadataSchema,
    lang: str = EN,
) -> str:
    """One to three sentences explaining the model's answer from this case's own numbers (Markdown)."""
    top = int(prediction.probabilities.argmax())
    if question == "class":
        second = int(np.argsort(prediction.probabilities)[::-1][1])
        return translate(
            lang,
            "lesson.explain.class",
            top=class_name(schema, prediction.classes[top], lang),
            top_p=_percent(prediction.probabilities[top]),
            second=class_name(schema, prediction.classes[second], lang),
            second_p=_percent(prediction.probabilities[second]),
        )
    if question == "leading_expert":
        gate = prediction.trace.gm_gate[0].numpy()
        lead = int(gate.argmax())
        return translate(lang, "lesson.explain.leading_expert", expert=lead + 1, weight=_percent(gate[lead]))
    if question == "clinical_steering":
        fused = float(prediction.trace.lc_gate[0, stage, LC_PATHS.index("fused")])
        who = translate(lang, "lesson.explain.clinical" if fused > 0.5 else "lesson.explain.photo")
        return translate(
            lang,
            "lesson.explain.clinical_steering",
            stage=stage + 1,
            fused=_percent(fused),
            image=_percent(1 - fused),
            who=who,
        )
    if question == "knockout":
        changed = knocked_out.prediction != prediction.prediction
        outcome = (
            translate(lang, "lesson.explain.changes", other=knocked_out.prediction)
            if changed
            else translate(lang, "lesson.explain.stays")
        )
        return translate(
            lang,
            "lesson.explain.knockout",
            expert=expert + 1,
            weight=_percent(float(prediction.trace.gm_gate[0, expert])),
            top=prediction.prediction,
            outcome=outcome,
            before=_percent(prediction.probabilities[top]),
            after=_percent(knocked_out.probabilities[top]),
        )
    ood = prediction.ood
    inside = ood["in_distribution"]
    distance = translate(
        lang, f"lesson.explain.ood.{'inside' if inside else 'outside'}", score=ood["score"], threshold=ood["threshold"]
    )
    return f"{distance} {translate(lang, 'lesson.explain.ood.seen' if inside else 'ood.warning')}"


def lesson_feedback(right: bool, chosen: str, answer: str, explanation: str, lang: str = EN) -> str:
    """The reveal after an answer: right or not, the model's answer and why (Markdown)."""
    verdict = translate(lang, "lesson.right" if right else "lesson.wrong")
    return translate(lang, "lesson.feedback", verdict=verdict, chosen=chosen, answer=answer, explanation=explanation)


def lesson_summary(by_topic: Mapping[str, tuple[int, int]], missed: Sequence[str], lang: str = EN) -> str:
    """The end of a lesson: right answers per question type and which views to revisit (Markdown).

    `by_topic`: question type -> (right, asked); `missed`: the question types with a wrong answer."""
    right = sum(r for r, _ in by_topic.values())
    asked = sum(n for _, n in by_topic.values())
    rows = "\n".join(
        f"| {translate(lang, f'lesson.topic.{topic}')} | {translate(lang, 'lesson.summary.count', right=r, asked=n)} |"
        for topic, (r, n) in by_topic.items()
    )
    title = translate(lang, "lesson.summary.title", right=right, asked=asked)
    text = f"{title}\n\n{translate(lang, 'lesson.summary.header')}\n|---|---|\n{rows}\n\n"
    if not missed:
        return text + translate(lang, "lesson.summary.perfect")
    views = "\n".join(
        translate(
            lang,
            "lesson.summary.revisit_item",
            topic=translate(lang, f"lesson.topic.{topic}"),
            view=translate(lang, f"lesson.view.{topic}"),
        )
        for topic in missed
    )
    return f"{text}{translate(lang, 'lesson.summary.revisit')}\n{views}"


def lesson_error(source: str, line: int | None, problem: str) -> str:
    """A refused lesson file in one line: "routing.yaml line 12: unknown question type 'x'" (for the host, who
    starts the app: English, like the other checkpoint errors)."""
    return f"{source} line {line}: {problem}" if line else f"{source}: {problem}"


# --- The Reader study tab ---------------------------------------------------------------------------------------

READER_GROUP_NAMES = ("all", "faulty", "faithful")
READER_GROUPS = {group: translate(EN, f"reader.group.{group}") for group in READER_GROUP_NAMES}


def reader_groups(lang: str = EN) -> dict[str, str]:
    """The results table's groups by key ("all", "faulty", "faithful") as `lang` names them."""
    return {group: translate(lang, f"reader.group.{group}") for group in READER_GROUP_NAMES}


def reader_progress(case: int, cases: int, phase: str, lang: str = EN) -> str:
    """ "Case 2 of 12 · your answer first" (`case` counts from 1; `phase` "first" or "revise")."""
    what = translate(lang, "reader.phase.first" if phase == "first" else "reader.phase.revise")
    return translate(lang, "reader.progress", case=case, cases=cases, what=what)


def reader_ai_note(faulty_condition: bool, lang: str = EN) -> str:
    return translate(lang, "reader.ai_note.faulty" if faulty_condition else "reader.ai_note")


def reader_started(cases: int, faulty: int, share: float, lang: str = EN) -> str:
    if faulty:
        return translate(lang, "reader.started.faulty", cases=cases, share=_percent_text(share, lang))
    return translate(lang, "reader.started", cases=cases)


def reader_results(
    table: Sequence[Mapping[str, Any]], faulty_cases: Sequence[str], unfaulted: Sequence[str], lang: str = EN
) -> str:
    """The end of a study (Markdown): one row per group with accuracy and balanced accuracy of the learner alone,
    with AI and the AI as shown, and how often the AI turned an answer; then which cases were faulty."""

    def score(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [translate(lang, "reader.results.header"), "|---|---|---|---|---|---|---|"]
    for row in table:
        lines.append(
            f"| {row['group']} | {row['n']} | {score(row['first_accuracy'])} / {score(row['first_balanced'])} | "
            f"{score(row['final_accuracy'])} / {score(row['final_balanced'])} | {score(row['shown_accuracy'])} / "
            f"{score(row['shown_balanced'])} | {row['right_to_wrong']} | {row['wrong_to_right']} |"
        )
    parts = [translate(lang, "reader.results.title"), "\n".join(lines)]
    if faulty_cases:
        parts.append(translate(lang, "reader.results.faulty", cases=", ".join(faulty_cases)))
    else:
        parts.append(translate(lang, "reader.results.none_faulty"))
    if unfaulted:
        parts.append(translate(lang, "reader.results.unfaulted", cases=", ".join(unfaulted)))
    return "\n\n".join(parts)


def similar_summary(result: SimilarCases, lang: str = EN) -> str:
    """One line over the neighbours: "5 of 6 cases routed like this one are BCC; the model got 4 of them right"."""
    majority = result.majority()
    if majority is None:
        return translate(lang, "similar.empty")
    top, count, right = majority
    total = len(result.neighbours)
    return translate(lang, f"similar.summary.{result.by}", count=count, total=total, top=top, right=right)


def neighbour_caption(
    true_class: str, prediction: str, distance: float, gm_gate: Sequence[float], lang: str = EN
) -> list[str]:
    """The lines under a neighbour's thumbnail: its classes and distance, then its GM-Gate weights."""
    mark = "✓" if true_class == prediction else "✗"
    gates = " · ".join(f"{translate(lang, 'expert', expert=e + 1)} {weight:.0%}" for e, weight in enumerate(gm_gate))
    line = translate(
        lang, "similar.caption", true=true_class, predicted=prediction, mark=mark, distance=f"{distance:.3f}"
    )
    return [line, f"GM-Gate: {gates}"]


# --- The Class tab ------------------------------------------------------------------------------------------------


MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~")


def markdown_literal(text: str) -> str:
    """A name typed by a visitor (a class name, a nickname) as Markdown shows it literally: no link, emphasis or
    HTML of its own."""
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIALS else c for c in text)


def class_step(step: str, question: str, lang: str = EN) -> str:
    """A lesson step as the dashboard names it: "3 · leading expert"."""
    return translate(lang, "class.step", step=step, topic=translate(lang, f"lesson.topic.{question}"))


def _right_of(entry: Mapping[str, Any], lang: str) -> str:
    if not entry["n"]:
        return "–"
    return f"{translate(lang, 'class.right_of', right=entry['right'], n=entry['n'])} ({entry['accuracy']:.0%})"


def _counts(counts: Mapping[str, int], label: Any) -> str:
    return ", ".join(f"{label(answer)} {n}" for answer, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "–"


def class_tables(results: Mapping[str, Any], label: Any, lang: str = EN) -> dict[str, str]:
    """The dashboard's figures in words (Markdown tables), by figure: "lesson" (share right and answers per step),
    "reader" (share right alone, with the AI and with the faulty AI), "switching" (automation bias) and "cases"
    (answers per case and phase). `label(activity, item, answer)` names an answer in `lang`."""
    lesson = [translate(lang, "class.table.lesson"), "|---|---|---|---|"]
    for step in results["lesson"]:
        answers = _counts(step["counts"], lambda a, s=step["step"]: label("lesson", s, a))
        topic = translate(lang, f"lesson.topic.{step['question']}")
        lesson.append(f"| {step['step']} | {topic} | {_right_of(step, lang)} | {answers} |")
    study = results["reader_study"]
    reader = [translate(lang, "class.table.reader"), "|---|---|"]
    for condition, entry in study["accuracy"].items():  # first, with_ai, with_faulty_ai
        reader.append(f"| {translate(lang, f'class.condition.{condition}')} | {_right_of(entry, lang)} |")
    switching = [translate(lang, "class.table.switching"), "|---|---|---|---|"]
    for when, tally in study["switching"].items():
        rate = "–" if tally["rate"] is None else f"{tally['rate']:.0%}"
        switching.append(
            f"| {translate(lang, f'class.{when}')} | {tally['disagreed']} | {tally['switched']} | {rate} |"
        )
    cases = [translate(lang, "class.table.cases"), "|---|---|---|---|---|"]
    for case in study["cases"]:
        cells = [_counts(case[c], lambda a, n=case["case"]: label("reader_study", n, a)) for c in study["accuracy"]]
        cases.append(f"| {case['case']} | {case['true_class']} | {' | '.join(cells)} |")
    return {
        "lesson": "\n".join(lesson),
        "reader": "\n".join(reader),
        "switching": translate(lang, "class.switching.explained") + "\n\n" + "\n".join(switching),
        "cases": "\n".join(cases),
    }
