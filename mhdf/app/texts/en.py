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
    "tab.lesson": "Lesson",
    "tab.reader_study": "Reader study",
    "teaching.start_here": (
        "**Start here.** New to expert routing? Take the **Lesson** tab first: ten short steps, each asking "
        "what the model will do before showing it. Then open the sections below for the details, or run a "
        "**Reader study** with your class."
    ),
    "teaching.section.explained": "How the routing works, and this case explained",
    "teaching.section.subgroups": "Results per patient subgroup (held-out test fold)",
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
}
TEXTS |= schema_texts(PAD_UFES_20, DERM7PT)
