"""Explanations on the bundled demo checkpoint: each one checked against an independent computation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mhdf.app.texts import describe_overrides, narrate
from mhdf.inference.explain import (
    compare_cases,
    diagnose,
    grad_cam,
    intervene,
    model_view,
    routing_difference,
    run_case,
)
from mhdf.routing import RoutingOverrides


@pytest.fixture(scope="module")
def case(examples):
    """The bundled example with the most filled fields."""
    return max(examples, key=lambda example: len(example.metadata))


@pytest.fixture(scope="module")
def diagnosis(predictor, case):
    with torch.inference_mode():  # as the app calls it
        return diagnose(predictor, case.image, case.metadata)


def test_prediction_and_modality_comparison_match_single_runs(predictor, case, diagnosis):
    alone = predictor.predict(case.image, case.metadata)
    np.testing.assert_allclose(diagnosis.prediction.probabilities, alone.probabilities, atol=1e-5)
    np.testing.assert_allclose(diagnosis.prediction.trace.gm_gate, alone.trace.gm_gate, atol=1e-5)
    unknown = predictor.predict(case.image, {})
    np.testing.assert_allclose(diagnosis.without_metadata.probabilities, unknown.probabilities, atol=1e-5)
    np.testing.assert_allclose(diagnosis.without_metadata.trace.lc_gate, unknown.trace.lc_gate, atol=1e-5)
    assert all(value is None for value in diagnosis.without_metadata.record.values())


def test_field_importance_removes_each_filled_field_in_turn(predictor, case, diagnosis):
    importance = diagnosis.field_importance
    assert sorted(item.name for item in importance) == sorted(case.metadata)
    changes = [abs(item.change) for item in importance]
    assert changes == sorted(changes, reverse=True)
    predicted = int(diagnosis.prediction.probabilities.argmax())
    for item in importance[:3]:
        without = {k: v for k, v in case.metadata.items() if k != item.name}
        expected = predictor.predict(case.image, without).probabilities[predicted]
        assert item.probability == pytest.approx(float(expected), abs=1e-5)
        assert item.change == pytest.approx(float(diagnosis.prediction.probabilities[predicted] - expected), abs=1e-5)
        assert item.label == predictor.schema.field(item.name).label


def test_the_trained_demo_model_uses_the_clinical_data(diagnosis):
    """The synthetic data is built so that metadata matters: removing it must move the probabilities."""
    shift = np.abs(diagnosis.prediction.probabilities - diagnosis.without_metadata.probabilities).sum()
    assert shift > 0.01


def test_model_view_is_the_denormalised_input(predictor, case, diagnosis):
    _, pixels = predictor.preprocess(case.image)
    view = model_view(predictor, pixels)
    size = predictor.config.image_size
    assert view.shape == (size, size, 3) and view.dtype == np.uint8
    np.testing.assert_array_equal(view, diagnosis.view)
    mean, std = np.array(predictor.config.mean), np.array(predictor.config.std)
    normalised = (view / 255.0 - mean) / std  # what the model's Normalize makes of these 8-bit pixels
    np.testing.assert_allclose(normalised.transpose(2, 0, 1), pixels[0].numpy(), atol=0.6 / 255 / std.min())


def test_grad_cam_matches_an_independent_computation(predictor, case, diagnosis):
    """The head reads the final map only through its spatial mean (the last LC-MoE's image path), so the gradient
    is the same at every pixel of a channel; Grad-CAM weighs the channels by it."""
    _, pixels = predictor.preprocess(case.image)
    model = predictor.model
    metadata = model.encode_metadata([case.metadata])
    predicted = int(diagnosis.prediction.probabilities.argmax())
    out = model(pixels, metadata, return_trace=True)
    final = out.stage_maps[-1]
    (gradient,) = torch.autograd.grad(out.logits[0, predicted], final)
    torch.testing.assert_close(gradient, gradient[:, :, :1, :1].expand_as(gradient))
    cam = F.relu((gradient[0, :, :1, :1] * final[0].detach()).sum(0))[None, None]
    cam = F.interpolate(cam, size=pixels.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    expected = (cam / cam.max()).numpy()
    assert diagnosis.gradcam.shape == expected.shape
    np.testing.assert_allclose(diagnosis.gradcam, expected, atol=1e-4)
    assert diagnosis.gradcam.min() >= 0 and diagnosis.gradcam.max() == pytest.approx(1.0)


def test_grad_cam_depends_on_the_class(predictor, case, diagnosis):
    run = run_case(predictor, case.image, case.metadata)
    maps = [grad_cam(run, c) for c in range(len(predictor.config.class_names))]
    assert any(not np.allclose(maps[0], other, atol=1e-3) for other in maps[1:])
    assert not any(p.grad is not None for p in predictor.model.parameters())  # no gradient left on the weights


@pytest.mark.parametrize("views", [["image"], ["clinical", "dermoscopic"]])
def test_grad_cam_of_a_model_whose_head_reads_the_pooled_stage_maps(case, views, tmp_path):
    """The late-fusion `concat` baseline has no LC-MoE block: its head reads the last map through its mean, which
    the traced pass records under inference mode as well."""
    from mhdf import MHDFConfig, MHDFNet
    from mhdf.inference import Predictor

    torch.manual_seed(0)
    tiny = {"backbone": "mobilenetv3_small_050", "image_size": 32, "token_dim": 16, "num_heads": 2, "expert_hidden": 16}
    MHDFNet(MHDFConfig(variant="concat", image_views=views, **tiny)).save_pretrained(tmp_path)
    concat = Predictor.from_pretrained(tmp_path, device="cpu")
    photo = case.image if len(views) == 1 else {"clinical": case.image}
    with torch.inference_mode():  # as the app calls it
        run = run_case(concat, photo, case.metadata)
        maps = [grad_cam(run, c) for c in range(len(concat.config.class_names))]
    assert all(cam.shape == (32, 32) and np.isfinite(cam).all() and cam.min() >= 0 for cam in maps)
    assert any(cam.max() == pytest.approx(1.0) for cam in maps)  # an untrained model: some classes' maps are 0


def test_diagnose_reports_bad_input(predictor, case):
    with pytest.raises(ValueError, match="no lesion photo"):
        diagnose(predictor, None, case.metadata)
    with pytest.raises(ValueError, match="age"):
        diagnose(predictor, case.image, {"age": 130})
    with pytest.raises(ValueError, match="unknown PAD-UFES-20 field"):
        diagnose(predictor, case.image, {"colour": "red"})


def test_intervention_changes_only_the_intervened_run(predictor, case):
    overrides = RoutingOverrides(gm_forced_expert=1, lc_forced_paths={2: "image"})
    with torch.inference_mode():
        result = intervene(predictor, case.image, case.metadata, overrides)
    plain = predictor.predict(case.image, case.metadata)
    np.testing.assert_allclose(result.baseline.probabilities, plain.probabilities, atol=1e-5)
    assert result.intervened.trace.gm_gate[0].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert result.intervened.trace.lc_gate[0, 2].tolist() == [1.0, 0.0]
    assert not np.allclose(result.intervened.probabilities, plain.probabilities, atol=1e-4)
    with pytest.raises(ValueError, match="cannot disable every expert"):
        intervene(predictor, case.image, case.metadata, RoutingOverrides(gm_disabled_experts=(0, 1, 2, 3)))


def test_describe_overrides():
    assert describe_overrides(RoutingOverrides()) == "no intervention"
    text = describe_overrides(
        RoutingOverrides(gm_temperature=0.5, gm_hard=True, gm_disabled_experts=(2, 0), lc_forced_paths={3: "fused"})
    )
    # every intervention is named, with experts and stages counted from 1 as the app labels them
    parts = text.split("; ")
    assert len(parts) == 4 and "1, 3" in parts[0] and "0.5" in parts[1] and "hard" in parts[2]
    assert "stage 4" in parts[3] and "fused" in parts[3]


def test_routing_difference_and_case_comparison(predictor, examples):
    first, second = compare_cases(predictor, [(e.image, e.metadata) for e in examples[:2]])
    same = routing_difference(first, first)
    assert same.gm_gate == 0 and same.probabilities == 0 and same.lc_gate == [0.0] * 4
    difference = routing_difference(first, second)
    gm_first, gm_second = first.trace.gm_gate[0].numpy(), second.trace.gm_gate[0].numpy()
    assert difference.gm_gate == pytest.approx(0.5 * np.abs(gm_first - gm_second).sum())
    assert difference.probabilities == pytest.approx(0.5 * np.abs(first.probabilities - second.probabilities).sum())
    assert 0 < difference.probabilities <= 1
    with pytest.raises(ValueError, match="no lesion photo"):
        compare_cases(predictor, [(None, {})])


def test_narration_names_the_prediction_and_every_view(predictor, diagnosis):
    text = narrate(diagnosis, predictor.schema)
    code = diagnosis.prediction.prediction
    assert f"({code})" in text
    for view in ("LC-Gate per stage", "TKCA per stage", "GM-Gate", "Expert → class contributions",
                 "Modality comparison", "Field importance", "Grad-CAM"):  # fmt: skip
        assert f"**{view}" in text
    assert diagnosis.field_importance[0].label in text
