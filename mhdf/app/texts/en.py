"""English: the source text of every sentence the app shows, by key. `{name}` fields are filled by
`mhdf.app.texts.language.translate`. Add a sentence here and in `pt_br.py` under the same key (docs/i18n.md).

The clinical form's words (field labels, help, choices) and the class names come from the bundled metadata
schemas, keyed by schema, field and value name: `<schema>.field.<name>`, `<schema>.info.<name>`,
`<schema>.value.<name>.<value>`, `<schema>.class.<code>` (see `schema_key`). A checkpoint with another schema shows
its own English words.
"""

from __future__ import annotations

from mhdf.metadata import DERM7PT, NOT_RECORDED_LABEL, PAD_UFES_20, MetadataSchema


def schema_key(schema: str, kind: str, *names: str) -> str:
    """The key of a schema's word: ("pad-ufes-20", "value", "region", "FACE") -> "pad-ufes-20.value.region.FACE"."""
    return ".".join((schema, kind, *names))


def schema_texts(*schemas: MetadataSchema) -> dict[str, str]:
    """The form and class words of `schemas`, keyed by `schema_key`."""
    texts = {}
    for schema in schemas:
        for spec in schema.fields:
            texts[schema_key(schema.name, "field", spec.name)] = spec.label
            texts[schema_key(schema.name, "info", spec.name)] = spec.description
            if spec.unit:
                texts[schema_key(schema.name, "unit", spec.unit)] = spec.unit
            for value in spec.values:
                texts[schema_key(schema.name, "value", spec.name, value)] = spec.value_label(value)
        texts |= {schema_key(schema.name, "class", code): label for code, label in schema.class_labels.items()}
    return texts


TEXTS = {
    "raw": "{text}",  # a proper name or code, the same in every language
    # the page
    "app.title": "MHDF-Net skin-lesion routing demo",
    "app.heading": "# MHDF-Net: photo + clinical data, and the expert routing behind every answer",
    "language.label": "Language",
    "tab.diagnose": "Diagnose",
    "tab.teaching": "Teaching",
    "tab.api": "API",
    "similar.title": "## Cases routed like this one",
    "similar.intro": (
        "The held-out cases this model routes most like the current one: their photos, true classes, the model's "
        "predictions, GM-Gate weights and distances. They show how the model groups cases, not what this lesion is: "
        "as a diagnostic aid, similar cases helped less than the probabilities (Tschandl et al. 2020)."
    ),
    "similar.by": "Nearest by",
    "similar.by.routing": "routing signature (LC-Gate weights per stage and GM-Gate weights)",
    "similar.by.features": "fused features (what the head's classifier reads)",
    "similar.placeholder": "Diagnose a case to see the held-out cases routed like it.",
    "similar.missing": (
        "This checkpoint has no similar-case index (`similar_cases.safetensors`). Build it by evaluating the "
        "checkpoint on its held-out data, `python -m training.evaluate --checkpoint CHECKPOINT --data DATA --dataset "
        "pad-ufes-20 --out EVAL_DIR`, then copy `EVAL_DIR/similar_cases.safetensors` into the checkpoint folder and "
        "restart the app."
    ),
    "similar.empty": "The index holds no cases.",
    "similar.summary.routing": (
        "{count} of {total} cases routed like this one are {top}; the model got {right} of them right."
    ),
    "similar.summary.features": (
        "{count} of {total} cases with fused features like this one's are {top}; the model got {right} of them right."
    ),
    "similar.caption": "true {true} · predicted {predicted} {mark} · distance {distance}",
    "tab.lesson": "Lesson",
    "tab.reader_study": "Reader study",
    "teaching.start_here": (
        "**Start here.** New to expert routing? Take the **Lesson** tab first: ten short steps, each asking "
        "what the model will do before showing it. Then open the sections below for the details, or run a "
        "**Reader study** with your class."
    ),
    "teaching.section.explained": "How the routing works, and this case explained",
    "teaching.section.subgroups": "Results per patient subgroup (held-out test fold)",
    "teaching.section.similar": "Cases routed like this one",
    "teaching.section.atlas": "Routing atlas of this checkpoint",
    "teaching.section.interventions": "Routing interventions",
    "teaching.section.compare": "Compare two cases",
    # notices
    "notice": "Research and teaching demo, {emphasis}: never use it to diagnose or treat anyone.",
    "notice.not_a_device": "not a medical device",
    "synthetic_warning": "Synthetic-data weights: these numbers say nothing about real patients.",
    "synthetic.own_photo": "This model was trained only on synthetic photos: its answer says nothing about your photo.",
    "synthetic.own_photo.detail": "It has never seen a real photo. The example cases above show what the demo does; "
    "the routing views below show how this model reasons, not what your photo shows.",
    "banner": (
        "**Checkpoint:** `{name}` ({backbone}, variant {variant}, {schema} schema) · **Trained on:** {training_data}"
    ),
    # what the checkpoint learnt from: built from its model card's fields, or its own free text quoted as written
    "trained_on.synthetic_photos": (
        "synthetic photos paired with real {schema} clinical records, fold {fold} held out for testing"
    ),
    "trained_on.real_photos": (
        "{photos} real {schema} smartphone photos of {patients} patients from one clinic in Brazil, with their "
        "clinical records; fold {fold} held out for testing"
    ),
    "trained_on.synthetic_pairs": (
        "{cases} synthetic cases, each a clinical close-up and a dermoscopic image, with {schema}-style records that "
        "do not depend on the class; {test_cases} held out for testing"
    ),
    "trained_on.quoted": "{text}",
    "attribution": "Photos and clinical records: {dataset} ({citation}), licensed [{license}]({license_url}); "
    "changed here: {changes}.",
    "real.own_photo": "This model learnt from a few hundred photos from one clinic in Brazil.",
    "real.own_photo.detail": "Other cameras, skin types, clinics and lesion types were never seen, and melanoma and "
    "squamous cell carcinoma rest on a handful of photos: read the answer below as a teaching example, not as an "
    "opinion on your lesion.",
    "result_note": "{synthetic}Top class **{predicted}** from `{name}` · {notice}",
    "result_note.synthetic": "⚠️ synthetic-data model · ",
    # the Diagnose tab
    "photo.label": "Lesion photo",
    "button.clear": "Clear",
    "button.diagnose": "Diagnose",
    "examples.label": "Example cases: click one to load and diagnose it",
    "example.title": "{name} (true class {label})",
    "form.group": "{title} (any field may stay not recorded)",
    "form.group.patient": "Patient",
    "form.group.lesion": "Lesion",
    "form.not_recorded": NOT_RECORDED_LABEL,
    "form.number_info": "{description} Valid: {allowed}; leave empty if not recorded.",
    "form.number_label": "{label} ({unit})",
    "button.report": "Download report (PDF)",
    "report.label": "Case report (PDF)",
    "routing.heading": "## Routing",
    "tkca.heading": (
        "## TKCA per stage\nBoxes: the image locations the clinical-field queries kept (top-k, numbered strongest "
        "first) over their attention heat map. Bars: the clinical fields the image attended to."
    ),
    "modality.heading": "## What the clinical data changed",
    "button.importance": "Compute field importance",
    "importance.on_request": "Field importance is computed on request: press **Compute field importance**.",
    "importance.nothing": "No clinical field is filled in, so there is nothing to remove.",
    "importance.progress": "{pending} {done} of {filled} fields done.",
    "importance.done": "All {filled} filled fields done.",
    "pending": "⏳ computing…",
    "status.pending": "{pending} still computing: {views}. The views above are final.",
    "status.ready": "All views are ready. {on_request}",
    "status.view.gradcam": "Grad-CAM",
    "status.view.modality": "modality comparison",
    # views
    "view.probabilities.full": "Class probabilities{calibrated}{synthetic}",
    "view.probabilities": "Class probabilities",
    "view.probabilities.calibrated": " (calibrated)",
    "view.probabilities.synthetic": " (synthetic-data model)",
    "view.lc_gate": "LC-Gate per stage",
    "view.lc_gate.caption": "Weight of the image path vs the path fused with the clinical fields, per stage.",
    "view.gm_gate": "GM-Gate",
    "view.gm_gate.caption": "Weight of each expert in the final mixture.",
    "view.contributions": "Expert → class contributions",
    "view.tkca_image": "Stage {stage}: top-k locations",
    "view.tkca_fields": "Stage {stage}: fields attended",
    "view.gradcam": "Grad-CAM: final stage, predicted class",
    "view.modality": "Modality comparison",
    "view.importance": "Field importance",
    "view.importance.caption": (
        "Change of the predicted class's probability (percentage points) when the field is set to unknown."
    ),
    "figure.class_probability": "class probability",
    "figure.lc_fused": "LC-Gate fused-path weight",
    "figure.gm_weight": "GM-Gate expert weight",
    "figure.with_metadata": "metadata as entered",
    "figure.without_metadata": "all metadata unknown",
    "figure.modality_title": "What the clinical data changed",
    "figure.unmodified": "unmodified",
    "figure.intervened": "intervened",
    "figure.intervention_title": "Unmodified run vs intervention",
    "figure.case_a": "case A",
    "figure.case_b": "case B",
    "axis.stage": "stage",
    "axis.weight": "weight",
    "axis.route": "route",
    "axis.expert": "expert",
    "axis.field": "field",
    "axis.magnitude": "change (percentage points)",
    "axis.effect": "effect",
    "stage": "Stage {stage}",
    "expert": "Expert {expert}",
    "path.image": "image path",
    "path.fused": "fused path",
    "alt.heading": "The figures in words",
    "alt.lc_gate": "LC-Gate, share of the path fused with the clinical fields: {stages}.",
    "alt.gm_gate": "GM-Gate: {expert} weighs most, {weight}.",
    "alt.tkca": "TKCA {stage}: the image attends most to {field}, {weight}.",
    "alt.gradcam": "Grad-CAM for {name}: strongest in the {region} of the photo.",
    "alt.modality": "Clinical data: {name} is {entered} with the fields as entered and {unknown} with all unknown.",
    "alt.region.top_left": "top left",
    "alt.region.top_centre": "top centre",
    "alt.region.top_right": "top right",
    "alt.region.middle_left": "middle left",
    "alt.region.middle_centre": "centre",
    "alt.region.middle_right": "middle right",
    "alt.region.bottom_left": "bottom left",
    "alt.region.bottom_centre": "bottom centre",
    "alt.region.bottom_right": "bottom right",
    "effect.supports": "supported the prediction",
    "effect.against": "opposed the prediction",
    "contributions.caption": (
        "<strong>Expert → class contributions.</strong> Each column sums to the class logit; the predicted class "
        "({code}) is outlined."
    ),
    "contributions.gate": "gate {weight:.2f}",
    "contributions.bias": "bias",
    "contributions.logit": "= logit",
    "contributions.sums": "Each column sums to the class logit",
    # trust
    "ood.warning": "This photo is unlike the images the model was trained on; its output is not meaningful.",
    "ood.detail": (
        "Its distance from the training images is {score:.1f}, past the threshold of {threshold:.1f}. Whatever the "
        "probabilities below say, do not read them as a result."
    ),
    "ood.none": "out-of-distribution check: not available for this checkpoint",
    "ood.inside": "within the training images' range",
    "ood.outside": "UNLIKE THE TRAINING IMAGES",
    "ood.words": "out-of-distribution score {score:.2f} (threshold {threshold:.2f}): {verdict}",
    # the photo-quality check (mhdf.inference.quality): what is wrong with a photo and how to retake it
    "quality.warning": "Unreliable: this photo is hard to read, so the answer below may be wrong. Please retake it.",
    "quality.problems": "What is wrong with the photo:",
    "quality.retake": "How to retake it:",
    "quality.passed": "Photo quality: passed the checks for blur, light, compression, size and a lesion in view.",
    "quality.problem.too_small": "It is too small: {value:.0f} px on its shorter side, under {threshold:.0f} px.",
    "quality.problem.too_dark": "It is too dark: mean brightness {value:.0f} of 255, under {threshold:.0f}.",
    "quality.problem.washed_out": (
        "It is washed out: even its darkest tones are {value:.0f} of 255, over {threshold:.0f}."
    ),
    "quality.problem.blurred": "It is blurred: sharpness {value:.2f}, under {threshold:.2f}.",
    "quality.problem.heavily_compressed": (
        "It is heavily compressed: JPEG blocks stand out {value:.1f} times, over {threshold:.1f}."
    ),
    "quality.problem.no_lesion": (
        "No lesion is in view: the most distinct spot differs from the skin by {value:.1f} (ΔE), under {threshold:.1f}."
    ),
    "quality.retake.too_small": "Send the original photo, not a thumbnail, a crop or a screenshot.",
    "quality.retake.too_dark": "Find good light: daylight from a window or a bright room, without your own shadow.",
    "quality.retake.washed_out": "Avoid direct sun and flash glare; let the camera set the exposure on the skin.",
    "quality.retake.blurred": "Hold the phone steady with both hands, tap the lesion to focus and wait a moment.",
    "quality.retake.heavily_compressed": "Send the original photo file, not one passed on by a messaging app.",
    "quality.retake.no_lesion": "Fill the frame with the lesion, centred, from about 10 to 20 cm away.",
    "quality.words": "photo quality: {verdict}",
    "quality.fine": "fine",
    "quality.unreliable": "UNRELIABLE, retake the photo",
    "quality.none": "photo quality: not checked",
    "set.cannot_tell_apart": "A set with more than one class means the model cannot tell these apart.",
    "set.coverage": "The set holds the true class in {coverage} of held-out cases.",
    "set.none": "no prediction set (the checkpoint has no conformal.json)",
    "set.words": "{coverage} set: {members}",
    "set.or": "{first} or {last}",
    # the Teaching tab
    "narrative.placeholder": "*Diagnose a case to see it explained here.*",
    "subgroups.none": "This checkpoint's model card reports no subgroup results.",
    "subgroups.fitzpatrick": "Fitzpatrick skin type",
    "subgroups.gender": "Gender",
    "subgroups.age_band": "Age (years)",
    "subgroups.header": "| {attribute} | cases | balanced accuracy | accuracy |",
    "subgroups.too_small": "too small to judge",
    "atlas.label": "Routing atlas",
    "atlas.missing": "This checkpoint has no `routing_atlas.json` (written by `training.evaluate`).",
    "interventions.heading": (
        "Override the gates for one run of the current case (photo and form of the "
        "Diagnose tab) and compare with the unmodified run."
    ),
    "button.intervene": "Run intervention",
    "run.unmodified": "Unmodified run",
    "run.intervened": "With intervention",
    "intervention.plot": "Routing: unmodified vs intervened",
    "case_a": "Case A",
    "case_b": "Case B",
    "button.compare": "Compare cases",
    "comparison.plot": "Routing of case A vs case B",
    "current_case": "Current case (photo and form of the Diagnose tab)",
    "controls.knock_out": "Knock out experts",
    "controls.force": "Force all GM-Gate weight onto",
    "controls.none": "none",
    "controls.temperature": "GM-Gate temperature",
    "controls.temperature.info": "Below 1 sharpens the expert mix, above 1 flattens it.",
    "controls.hard": "Hard top-1 GM routing",
    "controls.lc": "LC-Gate, Stage {stage}",
    "controls.model_choice": "model's choice",
    "controls.path.image": "image",
    "controls.path.fused": "fused",
    "report.scores": "These are a model's scores, not a diagnosis.",
    "report.title": "MHDF-Net case report",
    "report.title_stamp": "MHDF-Net case report - {stamp}",
    "report.checkpoint": "Checkpoint: {name} ({backbone}, variant {variant}, {schema} schema)",
    "report.trained_on": "Trained on: {training_data}",
    "report.metrics": "Test metrics (model card): {metrics}",
    "report.nothing_recorded": "(every clinical field not recorded)",
    "report.photo": "The photo as the model saw it",
    "report.calibrated": "Class probabilities (calibrated)",
    "report.uncalibrated": "Class probabilities (uncalibrated)",
    "report.top_class": "Top class: {top} ({probability})",
    "report.warning": "WARNING: {warning}",
    "report.record": "Clinical record as entered:",
    "report.routing": "Routing of this case",
    "report.lc_gate": "LC-Gate: fused-path weight per stage",
    "report.gm_gate": "GM-Gate: weight per expert",
    "report.tkca": "{stage}: TKCA top-{top_k} locations",
    # the report of a case with several photos (one per photo view of the checkpoint)
    "report.photo_view": "{view}, as the model saw it",
    "report.photo_missing": "{view}: not given",
    "report.photos_missing": "Photos not given: {views}. The model read its learned stand-in for each instead.",
    "report.lc_gate_views": "LC-Gate: fused-path weight per photo and stage",
    "report.gm_gate_views": "GM-Gate: share of each photo in the routing",
    "report.tkca_view": "{view}, {stage}: TKCA top-{top_k}",
    "report.tkca_missing": "{view}: no photo, so no TKCA attention",
    "photo_view.clinical": "Clinical close-up",
    "photo_view.dermoscopic": "Dermoscopic image",
    # errors shown to the visitor
    "error.title": "Cannot diagnose this case",
    # summaries of the Teaching tab
    "intervention.summary": (
        "**Intervention:** {overrides}. Top class {before} → **{after}**; the class probabilities moved by {moved} "
        "(total variation)."
    ),
    "comparison.summary": ("Case A: **{a}**, case B: **{b}**. GM-Gate weights differ by {gm} (total variation)"),
    "comparison.lc": "; LC-Gate fused-path weights differ by {stages} at stages 1 to {last}.",
    "overrides.forced": "all GM-Gate weight forced onto expert {expert}",
    "overrides.knocked_out": "expert {experts} knocked out",
    "overrides.knocked_out_many": "experts {experts} knocked out",
    "overrides.temperature": "GM-Gate temperature {temperature}",
    "overrides.hard": "hard top-1 GM routing",
    "overrides.soft": "soft GM routing",
    "overrides.lc": "stage {stage} LC-Gate forced to the {path}",
    "overrides.none": "no intervention",
    # the narrative
    "narrative.prediction": (
        "**Prediction.** {top} at {top_p}; runner-up {runner_up} at {runner_up_p}. These are a model's scores, not "
        "a diagnosis."
    ),
    "narrative.lc_gate": (
        "**LC-Gate per stage.** After each of the {stages} fused backbone stages a small gate mixes the stage's "
        "image features with a summary fused with the clinical fields, and the mix goes on to the experts. The "
        "fused path got {weights} of the weight at stages 1 to {stages}: the clinical data steered stage {most} the "
        "most."
    ),
    "narrative.and": " and ",
    "narrative.tkca": (
        "**TKCA per stage.** The clinical fields act as queries over the photo's locations and keep only the "
        "{top_k} strongest per query (the boxes on the photos); in the other direction, image locations read the "
        "fields (the bars). At the last stage the image attended most to {fields}."
    ),
    "narrative.gm_gate": (
        "**GM-Gate.** The head has {experts} experts, each reading all stages; the gate gave expert {expert} "
        "{weight} of the weight."
    ),
    "narrative.contributions": (
        "**Expert → class contributions.** The logits are exactly the sum of each expert's gated contribution plus "
        "a bias; expert {expert} added the most to {code} ({value})."
    ),
    "narrative.modality": (
        "**Modality comparison.** With every clinical field unknown the model gives {code} {without} (top class "
        "{without_top}); the entered data moved it to {with_}, and moved the GM-Gate weights by {moved} (total "
        "variation)."
    ),
    "narrative.importance.on_request": (
        "**Field importance.** Computed on request: press *Compute field importance* under the form."
    ),
    "narrative.importance.supported": (
        "**Field importance.** {field} = {value} supported {code} the most: set to unknown, the {code} probability "
        "becomes {probability} ({points} percentage points)."
    ),
    "narrative.importance.argued": (
        "**Field importance.** {field} = {value} argued against {code} the most: set to unknown, the {code} "
        "probability becomes {probability} ({points} percentage points)."
    ),
    "narrative.importance.nothing": "**Field importance.** {nothing}",
    "narrative.gradcam": (
        "**Grad-CAM.** Bright areas are where the final stage's features pushed the {code} logit up (gradient of "
        "that logit times the feature map, summed over channels)."
    ),
    # visitor feedback ("This result looks wrong"), where the host turned it on
    "feedback.open": "This result looks wrong",
    "feedback.explained": (
        "Tell the host of this demo what you believe this lesion is. **Send** keeps, for the host: the time, the "
        "model, its prediction and probabilities for the photo and form as they are now, the form's values, your "
        "class and your comment. The photo is kept only if you tick **Include the photo**. Leave names and other "
        "details that identify a patient out of the comment."
    ),
    "feedback.believed": "What I believe it is",
    "feedback.comment": "Comment (optional)",
    "feedback.consent": "Include the photo",
    "feedback.send": "Send",
    "feedback.off": "feedback is not turned on for this demo",
    "feedback.no_photo": "no photo: upload the lesion photo the result is about, then send the report",
    "feedback.no_class": "choose what you believe it is before sending",
    "feedback.bad_comment": "the comment must be text",
    "feedback.bad_consent": "'include the photo' must be true or false",
    "feedback.bad_class": "{value} is not one of the classes {classes}",
    "feedback.comment_too_long": "the comment is too long: at most {limit} characters",
    "feedback.sent.photo": "Thank you: your report was sent with the photo.",
    "feedback.sent.no_photo": "Thank you: your report was sent, without the photo.",
    # the number fields' help: the allowed range
    "form.range": "a number from {low} to {high}",
    "form.range.unit": "a number from {low} to {high} {unit}",
    "form.one_of": "one of {values}",
    "form.invalid": "{field}: {value} is not valid; expected {allowed} (or leave the field empty)",
    # a class as a choice or a name: "Basal cell carcinoma (BCC)"
    "class.named": "{label} ({code})",
    # the Lesson tab
    "lesson.default_title": "How MHDF-Net routes a case",
    "lesson.none": "This checkpoint ships no lesson: add a YAML file to its `lessons/` folder (see docs/lesson.md).",
    "lesson.other_checkpoint": "This lesson runs on `{name}`, the checkpoint it was written for, trained on "
    "synthetic photos: its cases show routing clearly. The Diagnose tab answers with `{served}`.",
    "lesson.pick_first": "Pick an answer first: the model's answer is shown only after yours.",
    "lesson.intro": (
        "Each step shows a case and asks what the model will do. **Commit to an answer first**: the model's own "
        "routing is revealed only after you answer."
    ),
    "lesson.right": "✅ **Right.**",
    "lesson.wrong": "❌ **Not this time.**",
    "lesson.answer": "Answer",
    "lesson.next": "Next step",
    "lesson.finish": "See my summary",
    "lesson.restart": "Start again",
    "lesson.choose": "Lesson",
    "lesson.photo": "Lesson photo",
    "lesson.your_answer": "Your answer",
    "lesson.knockout": "Knock-out",
    "choice.clinical": "the clinical data",
    "choice.photo": "the photo",
    "choice.stays": "the class stays",
    "choice.changes": "the class changes",
    "choice.yes": "yes",
    "choice.no": "no",
    # where each question type's view lives in the app, for the summary's "revisit" advice
    "lesson.view.class": "the class probabilities (Diagnose tab)",
    "lesson.view.leading_expert": "the GM-Gate chart (Diagnose tab, Routing)",
    "lesson.view.clinical_steering": "the LC-Gate chart (Diagnose tab, Routing)",
    "lesson.view.knockout": "Routing interventions (Teaching tab)",
    "lesson.view.ood": "the out-of-distribution warning (Diagnose tab)",
    "lesson.topic.class": "predicted class",
    "lesson.topic.leading_expert": "leading expert",
    "lesson.topic.clinical_steering": "clinical steering (LC-Gate)",
    "lesson.topic.knockout": "expert knock-out",
    "lesson.topic.ood": "unlike the training photos",
    "lesson.question.class": "**Which class will the model predict for this case?**",
    "lesson.question.leading_expert": "**Which expert will the GM-Gate give the most weight?**",
    "lesson.question.clinical_steering": (
        "**At stage {stage}, what steers the features more: the clinical data or the photo?** (The LC-Gate mixes an "
        "image-only path with a path fused with the clinical fields.)"
    ),
    "lesson.question.knockout": "**If expert {expert} is knocked out, does the predicted class stay or change?**",
    "lesson.question.ood": "**Is this photo unlike the photos the model was trained on?**",
    "lesson.progress": "**Step {step} of {steps}** · Score {right} of {answered}",
    "lesson.case": "### Case `{name}`",
    "lesson.case.label": "### Case `{name}` (true class {label})",
    "lesson.record.none": "*No clinical field is recorded for this case.*",
    "lesson.record.header": "| Clinical field | Value |",
    "lesson.explain.class": (
        "The model gives {top} {top_p}; the runner-up, {second}, gets {second_p}. A model's score is not a diagnosis."
    ),
    "lesson.explain.leading_expert": (
        "The GM-Gate gave expert {expert} {weight} of the weight (the experts' weights sum to 100%). Its vote counts "
        "most in the final mixture."
    ),
    "lesson.explain.clinical_steering": (
        "At stage {stage} the LC-Gate put {fused} of its weight on the fused path and {image} on the image path: "
        "{who} this stage's features."
    ),
    "lesson.explain.clinical": "the clinical data steered",
    "lesson.explain.photo": "the photo alone carried",
    "lesson.explain.knockout": (
        "Expert {expert} had {weight} of the GM-Gate weight. Without it the other experts share its weight; the top "
        "class was {top} and {outcome} ({top} probability {before} → {after})."
    ),
    "lesson.explain.changes": "it becomes **{other}**",
    "lesson.explain.stays": "it stays",
    "lesson.explain.ood.outside": (
        "The photo's distance from the training images is {score:.1f}, past the threshold of {threshold:.1f}."
    ),
    "lesson.explain.ood.inside": (
        "The photo's distance from the training images is {score:.1f}, within the threshold of {threshold:.1f}."
    ),
    "lesson.explain.ood.seen": "The model has seen photos like it.",
    "lesson.feedback": "{verdict} You answered *{chosen}*; the model's answer: **{answer}**.\n\n{explanation}",
    "lesson.summary.title": "## Lesson complete: {right} of {asked} right",
    "lesson.summary.header": "| Question | Right |",
    "lesson.summary.count": "{right} of {asked}",
    "lesson.summary.perfect": "Every answer matched the model's routing. Try the reader study next.",
    "lesson.summary.revisit": "**Worth revisiting:**",
    "lesson.summary.revisit_item": "- {topic}: revisit {view}",
    # the Reader study tab
    "reader.intro": (
        "A reader study in the style of Tschandl et al. (Nature Medicine 2020): for each case **you answer first** "
        "(class and confidence), then the model's answer appears and you may revise. The instructor may switch on a "
        "*faulty-AI* condition; which cases were faulty is revealed only at the end."
    ),
    "reader.source.bundled": "Checkpoint examples and lesson cases",
    "reader.source.csv": "Uploaded CSV and photos",
    "reader.need_class": "Pick a class and a confidence first.",
    "reader.not_started": "Start a study first.",
    "reader.done": "The study is complete: see the results below.",
    "reader.confidence_info": "1 = a guess, 5 = certain",
    "reader.progress": "**Case {case} of {cases}** · {what}",
    "reader.phase.first": "your answer first",
    "reader.phase.revise": "the model's answer is shown: keep or revise yours",
    "reader.ai_note": "The model's answer.",
    "reader.ai_note.faulty": (
        "The model's answer (in this session some answers may be deliberately wrong: judge for yourself)."
    ),
    "reader.started": "Study started: {cases} cases, the model shown faithfully.",
    "reader.started.faulty": "Study started: {cases} cases, faulty-AI condition on (share {share}).",
    "reader.results.title": "## Results",
    "reader.results.header": (
        "| Cases | n | you alone: acc / bal. acc | you with AI: acc / bal. acc | AI as shown: acc / bal. acc | "
        "AI turned right → wrong | AI turned wrong → right |"
    ),
    "reader.results.faulty": "**Faulty cases** (the AI's answer came from a routing intervention): {cases}.",
    "reader.results.none_faulty": "**No case was shown faulty:** every answer you saw was the model's own.",
    "reader.results.unfaulted": (
        "Drawn for the faulty condition but shown faithfully, because no knock-out or forced expert changes their "
        "top class: {cases}."
    ),
    "reader.group.all": "all cases",
    "reader.group.faulty": "faulty AI",
    "reader.group.faithful": "faithful AI",
    "reader.one_csv": "upload exactly one CSV file together with its photos",
    "reader.no_cases": "no labelled case to study: choose the uploaded CSV and photos",
    "reader.csv.no_rows": "the CSV has no rows",
    "reader.csv.missing": "the CSV lacks the column(s) {columns}",
    "reader.csv.too_many": "the CSV has {rows} rows; a study takes at most {limit}",
    "reader.csv.no_photo": "CSV line {line}: photo {name} was not uploaded with the CSV",
    "reader.csv.bad_label": "CSV line {line}: label {label} is not one of {classes}",
    "reader.csv.bad_record": "CSV line {line}: {error}",
    "reader.instructor": "Instructor settings",
    "reader.cases": "Cases",
    "reader.csv_files": "CSV (image, clinical fields, label) and its photos",
    "reader.faulty": "Faulty-AI condition",
    "reader.share": "Share of faulty cases",
    "reader.start": "Start the study",
    "reader.case_photo": "Case photo",
    "reader.first_class": "Your diagnosis",
    "reader.first_confidence": "Your confidence",
    "reader.submit": "Submit my answer",
    "reader.ai_probabilities": "The model's probabilities",
    "reader.ai_routing": "GM-Gate (routing)",
    "reader.final_class": "Your final diagnosis",
    "reader.final_confidence": "Your final confidence",
    "reader.confirm": "Confirm and go on",
    "reader.csv": "Results (CSV)",
    "reader.json": "Results (JSON)",
    # the routing atlas (Teaching tab): its figure and summary
    "atlas.all": "all",
    "atlas.gm_title": "GM-Gate: mean weight by true class",
    "atlas.lc_title": "LC-Gate: fused-path weight",
    "atlas.mean_weight": "mean weight",
    "atlas.top1_share": "top-1 share",
    "atlas.utilisation": "Expert utilisation",
    "atlas.title": "Routing atlas over {count} evaluation cases",
    "atlas.split": "{split} split",
    "atlas.fold": "fold {fold}",
    "atlas.computed": "Computed on **{count}** evaluation cases.",
    "atlas.computed_where": "Computed on **{count}** evaluation cases ({where}).",
    "atlas.gm_entropy": (
        "GM-Gate entropy {mean:.2f} ± {std:.2f} nats of at most {max:.2f}: near the maximum the experts are blended "
        "evenly, near 0 one expert decides."
    ),
    "atlas.lc_entropy": "LC-Gate entropy per stage: {per_stage} nats (at most {max:.2f}).",
    "atlas.top_expert": "Expert {expert} is the top expert for {share} of the cases.",
    "atlas.leads": "{expert} leads {classes}",
    "atlas.leads_none": "{expert} leads no class",
    "atlas.specialisation": (
        "**Expert specialisation** (mean GM-Gate weight of the leading expert, by true class): {parts}."
    ),
    "atlas.steering": (
        "**Clinical data steer most at {stage}**: its LC-Gate gives the fused path {weight:.2f} of the weight on "
        "average, from {low:.2f} for {low_class} to {high:.2f} for {high_class}. Spread of the fused-path weight "
        "across classes, per stage: {spreads}."
    ),
    # classes (mhdf.app.classroom, mhdf.app.class_tab): refusals, one line each
    "class.error.title": "Refused",
    "class.what.name": "class name",
    "class.what.nickname": "nickname",
    "class.empty": "the {what} is empty",
    "class.too_long": "the {what} is too long: at most {limit} characters",
    "class.control": "the {what} holds a control or invisible character: use letters, digits, spaces and punctuation",
    "class.bad_code": "a join code is {length} letters and digits, as the teacher gave it",
    "class.no_class": "no class has the join code {code}: check it with the teacher",
    "class.nickname_taken": "this nickname is taken in this class: choose another",
    "class.no_participant": "not a participant of this class: join it first with its code and a nickname",
    "class.bad_activity": "the activity must be one of {activities}",
    "class.bad_item": "{activity} has no such item; its items: {items}",
    "class.bad_phase": "the phase of a {activity} answer must be one of {phases}",
    "class.bad_answer": "not an answer to item {item}; its answers: {answers}",
    "class.never_faulty": "case {item} is never shown with a faulty AI: send the answer after the AI as with_ai",
    "class.duplicate": "item {item} is already answered in this phase: the class keeps the first answer",
    "class.first_missing": "case {item} has no answer alone yet: send that one before the answer after the AI",
    "class.wrong_key": "no class with this join code and teacher key",
    # the Class tab
    "tab.class": "Class",
    "class.intro": (
        "A teacher creates a class and shares its join code; each student joins with the code and a nickname. From "
        "then on, the student's **Lesson** and **Reader study** answers (the checkpoint's own cases, not uploaded "
        "ones) are recorded for the class, and the teacher, with the teacher key, sees the class's results here, "
        "updated as the answers come in. A nickname is the only personal data kept."
    ),
    "class.student": "Join a class (students)",
    "class.code": "Join code",
    "class.nickname": "Nickname (at most 40 characters, no other personal data)",
    "class.join": "Join",
    "class.leave": "Leave the class",
    "class.not_joined": "You are in no class: your answers stay in your browser.",
    "class.joined": (
        "You are in **{name}** (`{code}`) as **{nickname}**; answers recorded: {answers}. Your Lesson and "
        "Reader-study answers are recorded for the class as you go."
    ),
    "class.teacher": "Teach a class (teachers)",
    "class.name": "Class name",
    "class.create": "Create a class",
    "class.created": (
        "Class **{name}** created.\n\n- Join code: **`{code}`**\n- Teacher key: `{teacher_key}`\n\n"
        "**Copy the teacher key now**: it is shown only this once, and without it nobody sees the results. Give the "
        "students the code or the join link below, never the key."
    ),
    "class.link": "Join link",
    "class.key": "Teacher key",
    "class.show": "Show the results",
    "class.export": "Export the answers (CSV)",
    "class.export_file": "The class's answers (CSV)",
    "class.summary": "**{name}** (`{code}`): {participants} students, {answers} answers. Updated {time} UTC.",
    "class.plot.lesson": "Lesson: share right per step",
    "class.plot.reader": "Reader study: share right",
    "class.plot.switching": "Reader study: switched to the AI's answer",
    "class.plot.lesson_answers": "Lesson: answers per step",
    "class.plot.reader_answers": "Reader study: answers alone per case",
    "class.axis.step": "step",
    "class.axis.share": "share right",
    "class.axis.condition": "condition",
    "class.axis.ai": "the AI was",
    "class.axis.switched": "share switched",
    "class.axis.count": "answers",
    "class.axis.answer": "answer",
    "class.axis.case": "case",
    "class.step": "Step {step} · {topic}",
    "class.condition.first": "alone",
    "class.condition.with_ai": "with the AI",
    "class.condition.with_faulty_ai": "with the faulty AI",
    "class.ai_right": "right",
    "class.ai_wrong": "wrong",
    "class.table.lesson": "| Step | Question | Right | Answers (count) |",
    "class.table.reader": "| Condition | Right |",
    "class.table.switching": "| The AI was | First answer differed from the AI's | Switched to the AI's | Share |",
    "class.table.cases": "| Case | True class | Alone | With the AI | With the faulty AI |",
    "class.switching.explained": (
        "Of the answers after the AI's where the student's first answer differed from the AI's: how often the "
        "student switched to the AI's answer. Switching to a wrong AI is automation bias."
    ),
    "class.right_of": "{right} of {n}",
    # several photos per case (a checkpoint with photo views, docs/two-views.md)
    "photo.short.clinical": "Clin.",
    "photo.short.dermoscopic": "Derm.",
    "photo.none": "No photo: upload at least one of these: {photos}.",
    "photo.missing": (
        "**No {photo} was given.** The model answered from the {present} and the clinical form; its learned "
        '"missing photo" vectors stood in for the {photo}.'
    ),
    "photo.view_missing": "No {photo} was given: there is nothing to show for it here.",
    "photo.and": " and ",
    "routing.photo": "### {photo}",
    "view.of_photo": "{view} · {photo}",
    "view.gm_gate_by_view": "GM-Gate steering per photo",
    "view.gm_gate_by_view.caption": (
        "How much each photo steered the GM-Gate for this case; the shares sum to 100 %. A photo not given steers "
        'through its learned "missing photo" vectors.'
    ),
    "axis.photo": "photo",
    "axis.share": "share",
    "gm_by_view.header": "| Photo | Share of the GM-Gate's steering |",
    "gm_by_view.not_given": "{photo} (not given)",
    "figure.gm_share": "GM-Gate share",
    "figure.view_stage": "{photo}\nS{stage}",
    "figure.as_given": "every photo",
    "figure.dropped": "without the {photo}",
    "teaching.section.drop_photo": "Drop this photo",
    "drop.heading": (
        "Run the current case (the photos and form of the Diagnose tab) as given and with one photo marked missing, "
        "and compare the class probabilities and the routing: the LC-Gate of every photo and stage, the GM-Gate per "
        "expert and how much each photo steered it."
    ),
    "drop.choose": "Photo to drop",
    "button.drop": "Run without this photo",
    "run.as_given": "With every photo given",
    "run.dropped": "Without the chosen photo",
    "drop.plot": "Routing: every photo vs without the chosen photo",
    "drop.title": "Every photo vs without the {photo}",
    "drop.summary": (
        "**Without the {photo}:** top class {before} → **{after}**; the class probabilities moved by {moved} (total "
        "variation). GM-Gate steering per photo, as given → without: {shares}."
    ),
    "drop.not_given": "There is no {photo} to drop: upload one on the Diagnose tab first.",
    "drop.last_photo": "The {photo} is the case's only photo, so dropping it leaves none: upload another photo too.",
    "multi_view.one_photo_only": (
        "This part of the app reads one photo per case, and the checkpoint served here reads {photos}. The Diagnose "
        'tab and the Teaching tab\'s "Drop this photo" show what it does with each photo.'
    ),
    "alt.lc_gate_photo": "LC-Gate of the {photo}, share of the path fused with the clinical fields: {stages}.",
    "alt.photo_missing": "No {photo} was given: it has no LC-Gate, TKCA or Grad-CAM.",
    "alt.gm_gate_by_view": "GM-Gate steering per photo: {shares}.",
    "alt.gradcam_photo": "Grad-CAM of the {photo} for {name}: strongest in the {region} of that photo.",
    "narrative.lc_gate_views": (
        "**LC-Gate per stage.** After each of the {stages} fused backbone stages of each photo a small gate mixes the "
        "stage's image features with a summary fused with the clinical fields, and the mix goes on to the experts. "
        "The fused path's weight at stages 1 to {stages}: {per_photo}."
    ),
    "narrative.not_given": "not given",
    "narrative.gm_gate_by_view": "**Photos.** The GM-Gate was steered {shares}.",
    "narrative.share_of": "{share} by the {photo}",
}
TEXTS |= schema_texts(PAD_UFES_20, DERM7PT)
