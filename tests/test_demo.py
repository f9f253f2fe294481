"""mhdf.app.views without a server: every view by name, the cleared state, the intervention controls, the comparison
summary, example lookup and the texts, on the bundled demo checkpoint."""

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from mhdf import MHDFConfig, MHDFNet
from mhdf.app.texts import (
    CURRENT_CASE,
    MODEL_CHOICE,
    NARRATIVE_PLACEHOLDER,
    SYNTHETIC_WARNING,
    api_help,
    banner,
    comparison_summary,
    describe_overrides,
    importance_status,
    ood_warning,
    prediction_set_text,
    result_note,
    routing_explained,
    subgroup_table,
)
from mhdf.app.views import (
    case_choices,
    cleared_views,
    comparison_view,
    diagnose_case,
    field_importance_views,
    find_example,
    intervention_view,
    overrides_from_controls,
    progressive_diagnosis,
    view_names,
)
from mhdf.inference import Predictor
from mhdf.inference.explain import diagnose, routing_difference
from mhdf.metadata import MetadataSchema
from mhdf.routing import RoutingOverrides


@pytest.fixture(scope="module")
def views(predictor, examples):
    with torch.inference_mode():
        return diagnose_case(predictor, examples[0].image, examples[0].metadata)


def test_every_view_is_named_and_of_its_kind(predictor, examples, views):
    stages = predictor.config.num_fused_stages
    assert list(views) == view_names(stages)
    assert views["note"].startswith("⚠️ synthetic-data model") and "not a medical device" in views["note"]
    expected = predictor.predict(examples[0].image, examples[0].metadata)
    assert max(views["probabilities"], key=views["probabilities"].get).endswith(f"({expected.prediction})")
    for stage in range(1, stages + 1):
        assert views[f"tkca_image_{stage}"].dtype == np.uint8 and views[f"tkca_image_{stage}"].ndim == 3
        assert len(views[f"tkca_fields_{stage}"]) == len(predictor.schema.fields)
    assert views["contributions"].startswith('<table class="logit-decomposition"')
    assert f"({expected.prediction}) is outlined" in views["contributions"] and isinstance(views["modality"], Figure)
    assert "importance" not in views  # on request: field_importance_views
    assert views["narrative"].startswith("**Prediction.**") and "Computed on request" in views["narrative"]
    assert views["status"].startswith("All views are ready.")


def test_the_diagnosis_streams_routing_first_then_grad_cam_then_the_modality_comparison(predictor, examples):
    case = examples[1]
    with torch.inference_mode():
        steps = list(progressive_diagnosis(predictor, case.image, case.metadata))
    assert len(steps) == 3 and all(list(step) == list(steps[-1]) for step in steps)
    first, second, last = steps
    routing = ["probabilities", "prediction_set", "lc_gate", "gm_gate", "contributions", "tkca_image_1"]
    for name in [*routing, "tkca_fields_1"]:
        assert first[name] is not None and first[name] is last[name], f"{name} is not final after the first pass"
    assert first["gradcam"] is None and first["modality"] is None
    assert "Grad-CAM, modality comparison" in first["status"] and first["status"].startswith("⏳")
    assert second["gradcam"] is not None and second["modality"] is None and "modality comparison" in second["status"]
    assert last["modality"] is not None and not last["status"].startswith("⏳")


@pytest.mark.slow
def test_field_importance_on_request_streams_in_bounded_batches(predictor, examples, monkeypatch):
    import mhdf.inference.explain

    # 2 rows a batch
    monkeypatch.setattr(mhdf.inference.explain, "VARIANT_BATCH_PIXELS", 2 * predictor.config.image_size**2)
    case = max(examples, key=lambda e: len(e.metadata))
    batches = []
    forward = Predictor.forward

    def counting(self, pixels, records, *args, **kwargs):
        batches.append(len(records))
        return forward(self, pixels, records, *args, **kwargs)

    monkeypatch.setattr(Predictor, "forward", counting)
    with torch.inference_mode():
        steps = list(field_importance_views(predictor, case.image, case.metadata))
    filled = len(case.metadata)
    assert batches == [1, *[2] * (filled // 2), *([1] if filled % 2 else [])]
    assert [len(frame) for frame, _ in steps] == [min(2 * (i + 1), filled) for i in range(len(steps))]
    assert steps[-1][1] == importance_status(filled, filled) and steps[0][1] == importance_status(2, filled)
    frame = steps[-1][0]
    diagnosis = diagnose(predictor, case.image, case.metadata)
    assert frame["change"].tolist() == pytest.approx([100 * f.change for f in diagnosis.field_importance], abs=1e-3)
    ((empty, status),) = field_importance_views(predictor, case.image, {})
    assert empty.empty and "nothing to remove" in status


def test_clearing_empties_each_view_and_keeps_the_plot_columns(predictor, views):
    cleared = cleared_views(predictor.config.num_fused_stages)
    assert list(cleared) == list(views)
    for name, value in views.items():
        if isinstance(value, pd.DataFrame):
            assert cleared[name].empty and list(cleared[name].columns) == list(value.columns), name
        elif name == "narrative":
            assert cleared[name] == NARRATIVE_PLACEHOLDER
        else:
            assert cleared[name] in (None, ""), name


def test_controls_name_only_real_interventions(predictor):
    config = predictor.config
    untouched = overrides_from_controls(
        config, [], -1, config.gate_temperature, config.hard_gate, [MODEL_CHOICE] * config.num_fused_stages
    )
    assert untouched == RoutingOverrides()
    assert describe_overrides(untouched) == "no intervention"
    changed = overrides_from_controls(config, [0, 2], 3, 0.5, not config.hard_gate, ["image", MODEL_CHOICE, "fused"])
    assert changed.gm_disabled_experts == (0, 2) and changed.gm_forced_expert == 3
    assert changed.gm_temperature == 0.5 and changed.gm_hard is (not config.hard_gate)
    assert dict(changed.lc_forced_paths) == {0: "image", 2: "fused"}
    assert overrides_from_controls(config, None, "", 1.0, False, []).gm_forced_expert is None


def test_intervention_view_reports_what_moved(predictor, examples):
    case = examples[1]
    overrides = RoutingOverrides(gm_forced_expert=1)
    with torch.inference_mode():
        view = intervention_view(predictor, case.image, case.metadata, overrides)
    baseline = predictor.predict(case.image, case.metadata)
    intervened = predictor.predict(case.image, case.metadata, overrides)
    moved = routing_difference(baseline, intervened).probabilities
    assert view.summary == (
        f"**Intervention:** all GM-Gate weight forced onto expert 2. Top class {baseline.prediction} → "
        f"**{intervened.prediction}**; the class probabilities moved by {moved:.1%} (total variation)."
    )
    assert max(view.second, key=view.second.get).endswith(f"({intervened.prediction})")
    assert isinstance(view.figure, Figure)


@pytest.mark.slow
def test_comparison_summary_with_and_without_fused_stages(predictor, examples, tiny_checkpoint):
    first, second = (predictor.predict(e.image, e.metadata) for e in examples[:2])
    summary = comparison_summary(first, second)
    lc = routing_difference(first, second).lc_gate
    assert summary.startswith(f"Case A: **{first.prediction}**, case B: **{second.prediction}**.")
    assert summary.endswith(f"differ by {', '.join(f'{d:.2f}' for d in lc)} at stages 1 to {len(lc)}.")
    concat = Predictor(MHDFNet(MHDFConfig(backbone="resnet18", image_size=64, variant="concat")), name="concat")
    first, second = (concat.predict(e.image, e.metadata) for e in examples[:2])
    assert concat.config.num_fused_stages == 0
    assert comparison_summary(first, second).endswith("(total variation).")
    with torch.inference_mode():
        view = comparison_view(predictor, [(e.image, e.metadata) for e in examples[:2]])
    assert view.summary == comparison_summary(*(predictor.predict(e.image, e.metadata) for e in examples[:2]))


def test_examples_are_found_by_name_or_title_only(examples):
    assert find_example(examples, name=examples[2].name) is examples[2]
    assert find_example(examples, title=examples[3].title) is examples[3]
    assert case_choices(examples) == [CURRENT_CASE, *(e.title for e in examples)]
    for bad in ({"name": "../../etc/passwd"}, {"title": CURRENT_CASE}, {"name": None}):
        with pytest.raises(ValueError, match="unknown case"):
            find_example(examples, **bad)


def test_texts_name_the_checkpoint_and_its_fields(predictor):
    assert SYNTHETIC_WARNING in banner(predictor) and predictor.name in banner(predictor)
    assert result_note(predictor, "BCC").startswith("⚠️ synthetic-data model · Top class **BCC**")
    unlabelled = Predictor(predictor.model, name="real")
    unlabelled.config = MHDFConfig(**{**vars(predictor.config), "synthetic_data": False})
    assert SYNTHETIC_WARNING not in banner(unlabelled) and "synthetic" not in result_note(unlabelled, "BCC")
    help_text = api_help(predictor.schema, 20)
    assert "`fitspatrick`" in help_text and "PAD-UFES-20" in help_text and "over 20 MB" in help_text
    assert "$" not in help_text
    assert routing_explained().startswith("### How MHDF-Net routes a case")


def test_one_diagnosis_validates_its_record_once(predictor, examples, monkeypatch):
    calls = []
    normalize = MetadataSchema.normalize

    def counting(self, record):
        calls.append(dict(record))
        return normalize(self, record)

    monkeypatch.setattr(MetadataSchema, "normalize", counting)
    case = max(examples, key=lambda e: len(e.metadata))
    with torch.inference_mode():
        diagnose_case(predictor, case.image, case.metadata)
    assert calls == [case.metadata]


def test_trust_texts(predictor, examples):
    prediction = predictor.predict(examples[0].image, examples[0].metadata)
    prediction.prediction_set, prediction.set_coverage = ["BCC", "SCC"], 0.9
    assert prediction_set_text(prediction).startswith("**90 % set: BCC or SCC.** A set with more than one class")
    prediction.prediction_set = ["MEL"]
    assert prediction_set_text(prediction).startswith("**90 % set: MEL.** The set holds the true class in 90 %")
    prediction.prediction_set = None
    assert "no prediction set" in prediction_set_text(prediction)
    prediction.ood = {"score": 41.5, "threshold": 12.0, "in_distribution": False}
    assert ood_warning(prediction).startswith("## ⚠️ This photo is unlike the images the model was trained on")
    assert "41.5" in ood_warning(prediction) and "12.0" in ood_warning(prediction)
    prediction.ood = {"score": 3.0, "threshold": 12.0, "in_distribution": True}
    assert ood_warning(prediction) == ""
    prediction.ood = None
    assert ood_warning(prediction) == ""


def test_subgroup_table_marks_small_groups():
    card = {"subgroups": {"fitzpatrick": {
        "II": {"balanced_accuracy": 0.61, "accuracy": 0.7, "count": 40, "too_small": False},
        "VI": {"balanced_accuracy": 1.0, "accuracy": 1.0, "count": 2, "too_small": True},
    }}}  # fmt: skip
    table = subgroup_table(card)
    assert "| Fitzpatrick skin type | cases | balanced accuracy | accuracy |" in table
    assert "| II | 40 | 0.61 | 0.70 |" in table and "| VI | 2 | too small to judge | |" in table
    assert subgroup_table({}) == "This checkpoint's model card reports no subgroup results."
