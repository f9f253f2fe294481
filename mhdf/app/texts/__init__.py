"""Every sentence the demo shows a person: notices, warnings, the narrative, status lines and summaries, and the
Markdown pages beside this module. Views, figures, the report and the handlers take their words from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from mhdf.inference import Prediction, Predictor, class_display_name
from mhdf.inference.explain import Diagnosis, routing_difference
from mhdf.metadata import MetadataSchema
from mhdf.routing import LC_PATHS, RoutingOverrides

PAGES = Path(__file__).resolve().parent
NOT_A_MEDICAL_DEVICE = "not a medical device"
NOTICE = f"Research and teaching demo, {NOT_A_MEDICAL_DEVICE}: never use it to diagnose or treat anyone."
# the notice as the app shows it, its key words in bold
NOTICE_MARKDOWN = NOTICE.replace(NOT_A_MEDICAL_DEVICE, f"**{NOT_A_MEDICAL_DEVICE}**")
SYNTHETIC_WARNING = "Synthetic-data weights: these numbers say nothing about real patients."
NARRATIVE_PLACEHOLDER = "*Diagnose a case to see it explained here.*"
MODEL_CHOICE = "model's choice"  # an LC-Gate left to the model in the intervention controls
CURRENT_CASE = "Current case (photo and form of the Diagnose tab)"
OOD_WARNING = "This photo is unlike the images the model was trained on; its output is not meaningful."
CANNOT_TELL_APART = "A set with more than one class means the model cannot tell these apart."
PENDING = "⏳ computing…"
IMPORTANCE_ON_REQUEST = "Field importance is computed on request: press **Compute field importance**."
NOTHING_TO_REMOVE = "No clinical field is filled in, so there is nothing to remove."


@cache
def _text(name: str) -> str:
    return (PAGES / name).read_text()


def routing_explained() -> str:
    """The teaching tab's plain-language walk through MHDF-Net's routing (Markdown)."""
    return _text("routing_explained.md")


def api_help(schema: MetadataSchema, max_file_size_mb: float) -> str:
    """The API tab: how to call `/predict`, with this checkpoint's fields (Markdown)."""
    fields = ", ".join(f"`{name}`" for name in schema.field_names)
    return Template(_text("api_help.md")).substitute(
        schema=schema.label, fields=fields, max_file_size=f"{max_file_size_mb:g} MB"
    )


def banner(predictor: Predictor) -> str:
    """Which checkpoint answers, what it was trained on, and the notice (Markdown)."""
    info = predictor.model_info
    text = (
        f"**Checkpoint:** `{info['name']}` ({info['backbone']}, variant {info['variant']}, "
        f"{predictor.schema.label} schema) · **Trained on:** {info['training_data']}"
    )
    if info["synthetic"]:
        text += f"  \n⚠️ **{SYNTHETIC_WARNING}**"
    return f"{text}  \n{NOTICE_MARKDOWN}"


def result_note(predictor: Predictor, predicted: str) -> str:
    """The line above every result: the top class, the checkpoint, the synthetic-data mark and the notice."""
    info = predictor.model_info
    label = "⚠️ synthetic-data model · " if info["synthetic"] else ""
    return f"{label}Top class **{predicted}** from `{info['name']}` · {NOTICE_MARKDOWN}"


def ood_warning(prediction: Prediction) -> str:
    """A prominent warning (Markdown) when the photo is out of distribution; empty otherwise."""
    if prediction.in_distribution is not False:
        return ""
    ood = prediction.ood
    return (
        f"## ⚠️ {OOD_WARNING}\n\nIts distance from the training images is {ood['score']:.1f}, past the threshold of "
        f"{ood['threshold']:.1f}. Whatever the probabilities below say, do not read them as a result."
    )


def prediction_set_text(prediction: Prediction) -> str:
    """The conformal set in words (Markdown): "**90 % set: BCC or SCC.** A set with more than one class means..." """
    text = f"**{prediction_set_words(prediction)}.**"
    if prediction.prediction_set is not None and len(prediction.prediction_set) > 1:
        text += f" {CANNOT_TELL_APART}"
    if prediction.prediction_set is not None:
        text += f" The set holds the true class in {prediction.set_coverage:.0%} of held-out cases.".replace("%", " %")
    return text


def subgroup_table(card: Mapping[str, Any]) -> str:
    """The model card's test-fold results per patient subgroup as Markdown tables; says so when it has none."""
    subgroups = card.get("subgroups")
    if not subgroups:
        return "This checkpoint's model card reports no subgroup results."
    titles = {"fitzpatrick": "Fitzpatrick skin type", "gender": "Gender", "age_band": "Age (years)"}
    parts = []
    for attribute, groups in subgroups.items():
        rows = [
            f"| {group} | {values['count']} | "
            + (
                "too small to judge | |"
                if values["too_small"]
                else f"{values['balanced_accuracy']:.2f} | {values['accuracy']:.2f} |"
            )
            for group, values in groups.items()
        ]
        header = f"| {titles.get(attribute, attribute)} | cases | balanced accuracy | accuracy |\n|---|---|---|---|"
        parts.append("\n".join([header, *rows]))
    return "\n\n".join(parts)


def diagnosis_status(pending: Sequence[str]) -> str:
    if pending:
        return f"{PENDING} still computing: {', '.join(pending)}. The views above are final."
    return f"All views are ready. {IMPORTANCE_ON_REQUEST}"


def importance_status(done: int, filled: int) -> str:
    """Field importance's progress: `done` of the `filled` fields computed."""
    if not filled:
        return NOTHING_TO_REMOVE
    if done < filled:
        return f"{PENDING} {done} of {filled} fields done."
    return f"All {filled} filled fields done."


def intervention_summary(
    overrides: RoutingOverrides, baseline: Prediction, intervened: Prediction, moved: float
) -> str:
    """What an intervention did, in one Markdown sentence (`moved`: total variation of the probabilities)."""
    return (
        f"**Intervention:** {describe_overrides(overrides)}. Top class {baseline.prediction} → "
        f"**{intervened.prediction}**; the class probabilities moved by {moved:.1%} (total variation)."
    )


def comparison_summary(first: Prediction, second: Prediction) -> str:
    """How two cases' outputs and routing differ, in one Markdown sentence."""
    difference = routing_difference(first, second)
    text = (
        f"Case A: **{first.prediction}**, case B: **{second.prediction}**. GM-Gate weights differ by "
        f"{difference.gm_gate:.1%} (total variation)"
    )
    if difference.lc_gate:
        stages = ", ".join(f"{d:.2f}" for d in difference.lc_gate)
        return f"{text}; LC-Gate fused-path weights differ by {stages} at stages 1 to {len(difference.lc_gate)}."
    return f"{text}."


def describe_overrides(overrides: RoutingOverrides) -> str:
    """The interventions in words, e.g. "expert 2 knocked out; stage 3 forced to the image path"."""
    parts = []
    if overrides.gm_forced_expert is not None:
        parts.append(f"all GM-Gate weight forced onto expert {overrides.gm_forced_expert + 1}")
    if overrides.gm_disabled_experts:
        experts = ", ".join(str(e + 1) for e in sorted(overrides.gm_disabled_experts))
        parts.append(f"expert{'s' if len(overrides.gm_disabled_experts) > 1 else ''} {experts} knocked out")
    if overrides.gm_temperature is not None:
        parts.append(f"GM-Gate temperature {overrides.gm_temperature:g}")
    if overrides.gm_hard is not None:
        parts.append("hard top-1 GM routing" if overrides.gm_hard else "soft GM routing")
    for stage, path in sorted(overrides.lc_forced_paths.items()):
        parts.append(f"stage {stage + 1} LC-Gate forced to the {path} path")
    return "; ".join(parts) if parts else "no intervention"


def prediction_set_words(prediction: Prediction) -> str:
    """ "90 % set: BCC or SCC", or why there is none."""
    if prediction.prediction_set is None:
        return "no prediction set (the checkpoint has no conformal.json)"
    members = prediction.prediction_set
    listed = members[0] if len(members) == 1 else f"{', '.join(members[:-1])} or {members[-1]}"
    return f"{prediction.set_coverage:.0%} set: {listed}".replace("%", " %")


def ood_words(prediction: Prediction) -> str:
    """The out-of-distribution status in one line."""
    if prediction.ood is None:
        return "out-of-distribution check: not available for this checkpoint"
    ood = prediction.ood
    verdict = "within the training images' range" if ood["in_distribution"] else "UNLIKE THE TRAINING IMAGES"
    return f"out-of-distribution score {ood['score']:.2f} (threshold {ood['threshold']:.2f}): {verdict}"


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def narrate(diagnosis: Diagnosis, schema: MetadataSchema) -> str:
    """The diagnosis walked through in plain language (Markdown), naming the view that shows each step."""
    prediction = diagnosis.prediction
    trace = prediction.trace
    order = np.argsort(prediction.probabilities)[::-1]
    top, runner_up = order[0], order[1] if len(order) > 1 else order[0]
    code = prediction.classes[top]
    top_name, runner_up_name = (
        class_display_name(prediction.classes[i], prediction.class_labels) for i in (top, runner_up)
    )
    lines = [
        f"**Prediction.** {top_name} at {_percent(prediction.probabilities[top])}; runner-up {runner_up_name} at "
        f"{_percent(prediction.probabilities[runner_up])}. These are a model's scores, not a diagnosis."
    ]
    if trace.lc_gate.shape[1]:
        fused = trace.lc_gate[0, :, LC_PATHS.index("fused")].numpy()
        weights = ", ".join(_percent(w) for w in fused)
        lines.append(
            f"**LC-Gate per stage.** After each of the {len(fused)} fused backbone stages a small gate mixes the "
            f"stage's image features with a summary fused with the clinical fields, and the mix goes on to the "
            f"experts. The fused path got {weights} of the weight at stages 1 to "
            f"{len(fused)}: the clinical data steered stage {int(fused.argmax()) + 1} the most."
        )
    if trace.tkca:
        last = len(trace.tkca) - 1
        attended = sorted(prediction.field_attention(last).items(), key=lambda item: item[1], reverse=True)[:2]
        fields = " and ".join(f"{schema.field(field).label} ({_percent(weight)})" for field, weight in attended)
        lines.append(
            f"**TKCA per stage.** The clinical fields act as queries over the photo's locations and keep only "
            f"the {prediction.top_k} strongest per query (the boxes on the photos); in the other direction, image "
            f"locations read the fields (the bars). At the last stage the image attended most to {fields}."
        )
    gate = trace.gm_gate[0].numpy()
    contributions = trace.expert_logits[0, :, top].numpy()
    if len(gate) > 1:
        lines.append(
            f"**GM-Gate.** The head has {len(gate)} experts, each reading all stages; the gate gave expert "
            f"{int(gate.argmax()) + 1} {_percent(gate.max())} of the weight."
        )
    lines.append(
        f"**Expert → class contributions.** The logits are exactly the sum of each expert's gated contribution "
        f"plus a bias; expert {int(contributions.argmax()) + 1} added the most to {code} "
        f"({contributions.max():+.2f})."
    )
    without = diagnosis.without_metadata
    lines.append(
        f"**Modality comparison.** With every clinical field unknown the model gives {code} "
        f"{_percent(without.probabilities[top])} (top class {without.prediction}); the entered data moved it to "
        f"{_percent(prediction.probabilities[top])}, and moved the GM-Gate weights by "
        f"{_percent(routing_difference(prediction, without).gm_gate)} (total variation)."
    )
    if diagnosis.field_importance is None:
        lines.append("**Field importance.** Computed on request: press *Compute field importance* under the form.")
    elif diagnosis.field_importance:
        most = diagnosis.field_importance[0]
        verb = "supported" if most.change > 0 else "argued against"
        lines.append(
            f"**Field importance.** {most.label} = {most.value} {verb} {code} the most: set to unknown, the {code} "
            f"probability becomes {_percent(most.probability)} ({-100 * most.change:+.1f} percentage points)."
        )
    else:
        lines.append(f"**Field importance.** {NOTHING_TO_REMOVE}")
    if diagnosis.gradcam is not None:
        lines.append(
            f"**Grad-CAM.** Bright areas are where the final stage's features pushed the {code} logit up (gradient "
            f"of that logit times the feature map, summed over channels)."
        )
    return "\n\n".join(lines)


TEACHING_START_HERE = (
    "**Start here.** New to expert routing? Take the **Lesson** tab first: ten short steps, each asking what the "
    "model will do before showing it. Then open the sections below for the details, or run a **Reader study** "
    "with your class."
)

# --- The Lesson tab: questions, choices, explanations built from a case's own numbers, and the summary ---------

LESSON_DEFAULT_TITLE = "How MHDF-Net routes a case"
LESSON_NONE = "This checkpoint ships no lesson: add a YAML file to its `lessons/` folder (see docs/lesson.md)."
LESSON_PICK_FIRST = "Pick an answer first: the model's answer is shown only after yours."
LESSON_INTRO = (
    "Each step shows a case and asks what the model will do. **Commit to an answer first**: the model's own "
    "routing is revealed only after you answer."
)
LESSON_RIGHT = "✅ **Right.**"
LESSON_WRONG = "❌ **Not this time.**"
LESSON_ANSWER = "Answer"
LESSON_NEXT = "Next step"
LESSON_FINISH = "See my summary"
LESSON_RESTART = "Start again"
CHOICE_CLINICAL = "the clinical data"
CHOICE_PHOTO = "the photo"
CHOICE_STAYS = "the class stays"
CHOICE_CHANGES = "the class changes"
CHOICE_YES = "yes"
CHOICE_NO = "no"
# Where each question type's view lives in the app, for the summary's "revisit" advice.
LESSON_VIEWS = {
    "class": "the class probabilities (Diagnose tab)",
    "leading_expert": "the GM-Gate chart (Diagnose tab, Routing)",
    "clinical_steering": "the LC-Gate chart (Diagnose tab, Routing)",
    "knockout": "Routing interventions (Teaching tab)",
    "ood": "the out-of-distribution warning (Diagnose tab)",
}
LESSON_TOPICS = {
    "class": "predicted class",
    "leading_expert": "leading expert",
    "clinical_steering": "clinical steering (LC-Gate)",
    "knockout": "expert knock-out",
    "ood": "unlike the training photos",
}


def lesson_question(question: str, stage: int | None, expert: int | None) -> str:
    """One step's question (Markdown); `stage` and `expert` count from 0."""
    if question == "class":
        return "**Which class will the model predict for this case?**"
    if question == "leading_expert":
        return "**Which expert will the GM-Gate give the most weight?**"
    if question == "clinical_steering":
        return (
            f"**At stage {stage + 1}, what steers the features more: the clinical data or the photo?** (The LC-Gate "
            f"mixes an image-only path with a path fused with the clinical fields.)"
        )
    if question == "knockout":
        return f"**If expert {expert + 1} is knocked out, does the predicted class stay or change?**"
    return "**Is this photo unlike the photos the model was trained on?**"


def lesson_progress(step: int, steps: int, right: int, answered: int) -> str:
    """ "Step 3 of 10 · Score 2 of 2" (`step` counts from 1)."""
    return f"**Step {step} of {steps}** · Score {right} of {answered}"


def lesson_case_title(name: str, label: str | None) -> str:
    return f"### Case `{name}`" + (f" (true class {label})" if label else "")


def lesson_record(schema: MetadataSchema, record: Mapping[str, Any]) -> str:
    """The filled clinical fields as a Markdown table; says so when none is filled."""
    filled = [(schema.field(name), value) for name, value in record.items() if value is not None]
    if not filled:
        return "*No clinical field is recorded for this case.*"
    rows = "\n".join(f"| {spec.label} | {spec.describe(value)} |" for spec, value in filled)
    return f"| Clinical field | Value |\n|---|---|\n{rows}"


def lesson_explanation(
    question: str, prediction: Prediction, stage: int | None, expert: int | None, knocked_out: Prediction | None
) -> str:
    """One to three sentences explaining the model's answer from this case's own numbers (Markdown)."""
    top = int(prediction.probabilities.argmax())
    name = class_display_name(prediction.classes[top], prediction.class_labels)
    if question == "class":
        order = np.argsort(prediction.probabilities)[::-1]
        second = class_display_name(prediction.classes[order[1]], prediction.class_labels)
        return (
            f"The model gives {name} {_percent(prediction.probabilities[top])}; the runner-up, {second}, gets "
            f"{_percent(prediction.probabilities[order[1]])}. A model's score is not a diagnosis."
        )
    if question == "leading_expert":
        gate = prediction.trace.gm_gate[0].numpy()
        lead = int(gate.argmax())
        return (
            f"The GM-Gate gave expert {lead + 1} {_percent(gate[lead])} of the weight (the experts' weights sum to "
            f"100%). Its vote counts most in the final mixture."
        )
    if question == "clinical_steering":
        fused = float(prediction.trace.lc_gate[0, stage, LC_PATHS.index("fused")])
        who = "the clinical data steered" if fused > 0.5 else "the photo alone carried"
        return (
            f"At stage {stage + 1} the LC-Gate put {_percent(fused)} of its weight on the fused path and "
            f"{_percent(1 - fused)} on the image path: {who} this stage's features."
        )
    if question == "knockout":
        changed = knocked_out.prediction != prediction.prediction
        weight = float(prediction.trace.gm_gate[0, expert])
        outcome = f"it becomes **{knocked_out.prediction}**" if changed else "it stays"
        return (
            f"Expert {expert + 1} had {_percent(weight)} of the GM-Gate weight. Without it the other experts share "
            f"its weight; the top class was {prediction.prediction} and {outcome} "
            f"({prediction.prediction} probability {_percent(prediction.probabilities[top])} → "
            f"{_percent(knocked_out.probabilities[top])})."
        )
    ood = prediction.ood
    far = "past" if not ood["in_distribution"] else "within"
    return (
        f"The photo's distance from the training images is {ood['score']:.1f}, {far} the threshold of "
        f"{ood['threshold']:.1f}. "
        + (OOD_WARNING if not ood["in_distribution"] else "The model has seen photos like it.")
    )


def lesson_feedback(right: bool, chosen: str, answer: str, explanation: str) -> str:
    """The reveal after an answer: right or not, the model's answer and why (Markdown)."""
    verdict = LESSON_RIGHT if right else LESSON_WRONG
    return f"{verdict} You answered *{chosen}*; the model's answer: **{answer}**.\n\n{explanation}"


def lesson_summary(by_topic: Mapping[str, tuple[int, int]], missed: Sequence[str]) -> str:
    """The end of a lesson: right answers per question type and which views to revisit (Markdown).

    `by_topic`: question type -> (right, asked); `missed`: the question types with a wrong answer."""
    right = sum(r for r, _ in by_topic.values())
    asked = sum(n for _, n in by_topic.values())
    rows = "\n".join(f"| {LESSON_TOPICS[topic]} | {r} of {n} |" for topic, (r, n) in by_topic.items())
    text = f"## Lesson complete: {right} of {asked} right\n\n| Question | Right |\n|---|---|\n{rows}\n\n"
    if not missed:
        return text + "Every answer matched the model's routing. Try the reader study next."
    views = "\n".join(f"- {LESSON_TOPICS[topic]}: revisit {LESSON_VIEWS[topic]}" for topic in missed)
    return text + f"**Worth revisiting:**\n{views}"


def lesson_error(source: str, line: int | None, problem: str) -> str:
    """A refused lesson file in one line: "routing.yaml line 12: unknown question type 'x'"."""
    return f"{source} line {line}: {problem}" if line else f"{source}: {problem}"


# --- The Reader study tab ---------------------------------------------------------------------------------------

READER_INTRO = (
    "A reader study in the style of Tschandl et al. (Nature Medicine 2020): for each case **you answer first** "
    "(class and confidence), then the model's answer appears and you may revise. The instructor may switch on a "
    "*faulty-AI* condition; which cases were faulty is revealed only at the end."
)
READER_SOURCE_BUNDLED = "Checkpoint examples and lesson cases"
READER_SOURCE_CSV = "Uploaded CSV and photos"
READER_NEED_CLASS = "Pick a class and a confidence first."
READER_NOT_STARTED = "Start a study first."
READER_DONE = "The study is complete: see the results below."
CONFIDENCE_INFO = "1 = a guess, 5 = certain"


def reader_progress(case: int, cases: int, phase: str) -> str:
    """ "Case 2 of 12 · your answer first" (`case` counts from 1; `phase` "first" or "revise")."""
    what = "your answer first" if phase == "first" else "the model's answer is shown: keep or revise yours"
    return f"**Case {case} of {cases}** · {what}"


def reader_ai_note(faulty_condition: bool) -> str:
    if faulty_condition:
        return "The model's answer (in this session some answers may be deliberately wrong: judge for yourself)."
    return "The model's answer."


def reader_started(cases: int, faulty: int, share: float) -> str:
    if faulty:
        return f"Study started: {cases} cases, faulty-AI condition on (share {share:.0%})."
    return f"Study started: {cases} cases, the model shown faithfully."


def reader_results(table: Sequence[Mapping[str, Any]], faulty_cases: Sequence[str], unfaulted: Sequence[str]) -> str:
    """The end of a study (Markdown): one row per group with accuracy and balanced accuracy of the learner alone,
    with AI and the AI as shown, and how often the AI turned an answer; then which cases were faulty."""

    def score(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = [
        "| Cases | n | you alone: acc / bal. acc | you with AI: acc / bal. acc | AI as shown: acc / bal. acc | "
        "AI turned right → wrong | AI turned wrong → right |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table:
        lines.append(
            f"| {row['group']} | {row['n']} | {score(row['first_accuracy'])} / {score(row['first_balanced'])} | "
            f"{score(row['final_accuracy'])} / {score(row['final_balanced'])} | {score(row['shown_accuracy'])} / "
            f"{score(row['shown_balanced'])} | {row['right_to_wrong']} | {row['wrong_to_right']} |"
        )
    parts = ["## Results", "\n".join(lines)]
    if faulty_cases:
        parts.append(f"**Faulty cases** (the AI's answer came from a routing intervention): {', '.join(faulty_cases)}.")
    else:
        parts.append("**No case was shown faulty:** every answer you saw was the model's own.")
    if unfaulted:
        parts.append(
            f"Drawn for the faulty condition but shown faithfully, because no knock-out or forced expert changes "
            f"their top class: {', '.join(unfaulted)}."
        )
    return "\n\n".join(parts)


# Labels and buttons of the Lesson and Reader study tabs, and their one-line refusals.
TAB_WORDS = {
    "lesson": "Lesson",
    "lesson_photo": "Lesson photo",
    "your_answer": "Your answer",
    "probabilities": "Class probabilities",
    "lc_gate": "LC-Gate per stage",
    "gm_gate": "GM-Gate",
    "knockout": "Knock-out",
    "one_csv": "upload exactly one CSV file together with its photos",
    "no_cases": "no labelled case to study: choose the uploaded CSV and photos",
    "instructor": "Instructor settings",
    "cases": "Cases",
    "csv_files": "CSV (image, clinical fields, label) and its photos",
    "faulty": "Faulty-AI condition",
    "share": "Share of faulty cases",
    "start": "Start the study",
    "case_photo": "Case photo",
    "first_class": "Your diagnosis",
    "first_confidence": "Your confidence",
    "submit": "Submit my answer",
    "ai_probabilities": "The model's probabilities",
    "ai_routing": "GM-Gate (routing)",
    "final_class": "Your final diagnosis",
    "final_confidence": "Your final confidence",
    "confirm": "Confirm and go on",
    "csv": "Results (CSV)",
    "json": "Results (JSON)",
}
READER_GROUPS = {"all": "all cases", "faulty": "faulty AI", "faithful": "faithful AI"}
