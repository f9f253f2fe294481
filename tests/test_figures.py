"""Figure builders on hand-built predictions whose every number is known."""

import re

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mhdf.app.figures import (
    BOX_COLOR,
    OPPOSES,
    OVERLAY_SIZE,
    SUPPORTS,
    attention_overlay,
    expert_contribution_figure,
    expert_contribution_table,
    field_attention_frame,
    field_importance_frame,
    gm_gate_frame,
    gradcam_overlay,
    lc_gate_frame,
    probability_label,
    routing_atlas_figure,
    routing_atlas_summary,
    routing_comparison_figure,
)
from mhdf.inference import Prediction, class_display_name
from mhdf.inference.explain import FieldImportance
from mhdf.metadata import PAD_UFES_20
from mhdf.trace import RoutingTrace
from training.routing_atlas import routing_atlas

CLASSES = list(PAD_UFES_20.classes)
FIELDS = PAD_UFES_20.field_names
GRID = (4, 4)


def make_prediction(seed: int = 0, strongest_cell: int = 6, top_k: int = 3) -> Prediction:
    """A batch-of-one prediction with random but exact gates, 2 stages, 3 experts and a 4x4 token grid whose
    meta->image attention peaks at `strongest_cell`."""
    rng = np.random.default_rng(seed)
    experts, stages, heads = 3, 2, 2
    lc = rng.dirichlet([1.0, 1.0], size=stages)
    gm = rng.dirichlet([1.0] * experts)
    expert_logits = rng.normal(size=(experts, len(CLASSES)))
    bias = rng.normal(size=len(CLASSES))
    logits = expert_logits.sum(0) + bias
    cells = GRID[0] * GRID[1]
    tkca = []
    for _ in range(stages):
        meta_to_image = np.zeros((1, heads, len(FIELDS), cells))
        meta_to_image[..., strongest_cell] = 0.5
        meta_to_image[..., (strongest_cell + 1) % cells] = 0.3
        meta_to_image[..., (strongest_cell + 5) % cells] = 0.2
        image_to_meta = rng.dirichlet([1.0] * len(FIELDS), size=(1, heads, cells))
        tkca.append(
            {
                "meta_to_image": torch.tensor(meta_to_image, dtype=torch.float32),
                "image_to_meta": torch.tensor(image_to_meta, dtype=torch.float32),
                "grid": GRID,
            }
        )
    trace = RoutingTrace(
        lc_gate=torch.tensor(lc[None], dtype=torch.float32),
        gm_gate=torch.tensor(gm[None], dtype=torch.float32),
        expert_logits=torch.tensor(expert_logits[None], dtype=torch.float32),
        logit_bias=torch.tensor(bias, dtype=torch.float32),
        tkca=tkca,
        channel_attention=[],
    )
    probabilities = np.exp(logits - logits.max())
    return Prediction(
        model={"name": "hand-built", "synthetic": True},
        classes=CLASSES,
        class_labels=dict(PAD_UFES_20.class_labels),
        probabilities=(probabilities / probabilities.sum()).astype(np.float32),
        logits=logits.astype(np.float32),
        record=PAD_UFES_20.normalize({}),
        field_names=FIELDS,
        trace=trace,
        top_k=top_k,
    )


def test_probability_label_uses_full_names_with_codes():
    prediction = make_prediction()
    label = probability_label(prediction)
    assert list(label) == [f"{PAD_UFES_20.class_labels[c]} ({c})" for c in CLASSES]
    assert "Basal cell carcinoma (BCC)" in label
    np.testing.assert_allclose(list(label.values()), prediction.probabilities, rtol=1e-6)
    assert class_display_name("XYZ", {}) == "XYZ"


def test_lc_gate_frame_has_both_routes_of_every_stage():
    prediction = make_prediction()
    frame = lc_gate_frame(prediction)
    assert list(frame.columns) == ["stage", "route", "weight"]
    assert len(frame) == 4
    assert frame.groupby("stage")["weight"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    fused = frame[frame.route == "fused path"]["weight"].to_numpy()
    np.testing.assert_allclose(fused, prediction.trace.lc_gate[0, :, 1].numpy())


def test_gm_gate_frame():
    prediction = make_prediction()
    frame = gm_gate_frame(prediction)
    assert list(frame.expert) == ["Expert 1", "Expert 2", "Expert 3"]
    np.testing.assert_allclose(frame.weight, prediction.trace.gm_gate[0].numpy(), rtol=1e-6)


def test_field_attention_frame_labels_fields_in_schema_order():
    prediction = make_prediction()
    frame = field_attention_frame(prediction, 1, PAD_UFES_20)
    assert list(frame.field) == [spec.label for spec in PAD_UFES_20.fields]
    assert frame.weight.sum() == pytest.approx(1.0, abs=1e-5)
    expected = prediction.trace.tkca[1]["image_to_meta"][0].mean(dim=(0, 1)).numpy()
    np.testing.assert_allclose(frame.weight, expected, rtol=1e-6)


def test_field_importance_frame_keeps_order_and_splits_sign_from_size():
    importance = [
        FieldImportance("bleed", "Bleeds", "Yes", probability=0.50, change=0.20),
        FieldImportance("age", "Age", "67 years", probability=0.80, change=-0.10),
        FieldImportance("itch", "Itches", "No", probability=0.69, change=0.01),
    ]
    frame = field_importance_frame(importance)
    assert list(frame.field) == ["Bleeds = Yes", "Age = 67 years", "Itches = No"]
    assert frame.change.to_numpy() == pytest.approx([20.0, -10.0, 1.0])
    assert frame.magnitude.to_numpy() == pytest.approx([20.0, 10.0, 1.0])
    assert list(frame.effect) == [SUPPORTS, OPPOSES, SUPPORTS]
    assert field_importance_frame([]).empty


def test_attention_overlay_boxes_exactly_the_top_k_cells():
    prediction = make_prediction(strongest_cell=6, top_k=3)
    view = np.full((96, 96, 3), 128, dtype=np.uint8)
    overlay = attention_overlay(view, prediction, 0)
    assert overlay.shape == (OVERLAY_SIZE, OVERLAY_SIZE, 3) and overlay.dtype == np.uint8
    cell = OVERLAY_SIZE // GRID[1]
    top = {(c["row"], c["col"]) for c in prediction.top_locations(0)}
    assert top == {(1, 2), (1, 3), (2, 3)}  # cells 6, 7 and 11 of the 4x4 grid
    for row in range(GRID[0]):
        for col in range(GRID[1]):
            edge_pixel = overlay[row * cell, col * cell + cell // 2]  # middle of the cell's top edge
            assert (tuple(edge_pixel) == BOX_COLOR) == ((row, col) in top), (row, col)


def test_attention_overlay_shows_the_photo_under_the_heat_map():
    prediction = make_prediction()
    dark, bright = np.zeros((64, 64, 3), np.uint8), np.full((64, 64, 3), 255, np.uint8)
    centre = OVERLAY_SIZE // 2 + 5  # inside cell (2, 2): no box there
    assert (
        attention_overlay(bright, prediction, 0)[centre, centre]
        > attention_overlay(dark, prediction, 0)[centre, centre]
    ).all()


def test_gradcam_overlay_is_brighter_where_the_map_is_high():
    view = np.full((96, 96, 3), 100, dtype=np.uint8)
    cam = np.zeros((96, 96), dtype=np.float32)
    cam[:, 48:] = 1.0
    overlay = gradcam_overlay(view, cam)
    assert overlay.shape == (OVERLAY_SIZE, OVERLAY_SIZE, 3)
    assert overlay[:, -20:].mean() > overlay[:, :20].mean() + 50
    assert gradcam_overlay(view, np.zeros_like(cam)).std() < 1  # no evidence: an even tint, not noise


def test_expert_contribution_heatmap_is_the_exact_logit_decomposition():
    prediction = make_prediction()
    figure = expert_contribution_figure(prediction)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    table = np.asarray(axes.images[0].get_array())
    experts = prediction.trace.expert_logits[0].numpy()
    np.testing.assert_allclose(table[: len(experts)], experts, rtol=1e-6)
    np.testing.assert_allclose(table[len(experts)], prediction.trace.logit_bias.numpy(), rtol=1e-6)
    np.testing.assert_allclose(table[:-1].sum(0), table[-1], atol=1e-5)  # each column sums to its logit
    np.testing.assert_allclose(table[-1], prediction.logits, rtol=1e-6)
    assert [t.get_text() for t in axes.get_xticklabels()] == CLASSES
    outline = [p for p in axes.patches if isinstance(p, Rectangle)]
    assert len(outline) == 1 and outline[0].get_x() == pytest.approx(prediction.probabilities.argmax() - 0.5)


def test_expert_contribution_table_is_the_same_decomposition_as_html():
    prediction = make_prediction()
    table = expert_contribution_table(prediction)
    experts = prediction.trace.expert_logits[0].numpy()
    cells = np.array([float(v) for v in re.findall(r"<td [^>]*>([+-]\d+\.\d+)</td>", table)])
    cells = cells.reshape(len(experts) + 2, len(CLASSES))
    np.testing.assert_allclose(cells[: len(experts)], experts, atol=0.005)
    np.testing.assert_allclose(cells[-1], prediction.logits, atol=0.005)
    np.testing.assert_allclose(cells[:-1].sum(0), cells[-1], atol=0.005 * (len(experts) + 2))
    assert re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table) == CLASSES
    rows = re.findall(r'<th scope="row"[^>]*>([^<]+)', table)
    assert rows[-2:] == ["bias", "= logit"] and rows[0] == "Expert 1"
    outlined = [i % len(CLASSES) for i, td in enumerate(re.findall(r"<td [^>]*>", table)) if "border-left" in td]
    assert set(outlined) == {int(prediction.probabilities.argmax())} and len(outlined) == len(rows)


def test_expert_contribution_table_escapes_its_labels():
    prediction = make_prediction()
    prediction.classes = ["<script>", *CLASSES[1:]]
    assert "<script>" not in expert_contribution_table(prediction)


def test_routing_comparison_figure_draws_both_runs():
    first, second = make_prediction(seed=1), make_prediction(seed=2)
    figure = routing_comparison_figure(first, second, ("A", "B"), "A vs B")
    axes = figure.axes[0]
    categories = len(CLASSES) + 2 + 3  # classes, stages, experts
    assert [t.get_text() for t in axes.get_xticklabels()][: len(CLASSES)] == CLASSES
    heights = np.array([bar.get_height() for bar in axes.patches]).reshape(2, categories)
    for run, prediction in enumerate((first, second)):
        expected = np.concatenate(
            [prediction.probabilities, prediction.trace.lc_gate[0, :, 1].numpy(), prediction.trace.gm_gate[0].numpy()]
        )
        np.testing.assert_allclose(heights[run], expected, rtol=1e-6)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["A", "B"]


def make_atlas():
    rng = np.random.default_rng(0)
    samples = 40
    labels = rng.integers(0, 5, samples)  # no sample of the last class
    return routing_atlas(
        lc_gate=rng.dirichlet([1, 1], size=(samples, 2)),
        gm_gate=rng.dirichlet([1, 1, 1], size=samples),
        labels=labels,
        predicted=rng.integers(0, 6, samples),
        classes=CLASSES,
        source={"dataset": "pad-ufes-20", "split": "test", "fold": 0, "checkpoint": "/tmp/run/best"},
    )


def test_routing_atlas_figure_shows_per_class_means():
    atlas = make_atlas()
    figure = routing_atlas_figure(atlas)
    gm_axes, lc_axes, utilisation_axes = figure.axes
    gm_table = np.asarray(gm_axes.images[0].get_array().filled(np.nan))
    for index, name in enumerate(CLASSES[:-1]):
        np.testing.assert_allclose(gm_table[index], atlas["gm_gate"]["per_true_class"][name]["mean"])
    assert np.isnan(gm_table[len(CLASSES) - 1]).all()  # no sample of that class: shown blank, not as 0
    np.testing.assert_allclose(gm_table[-1], atlas["gm_gate"]["mean"])
    lc_table = np.asarray(lc_axes.images[0].get_array().filled(np.nan))
    np.testing.assert_allclose(lc_table[-1], [s["mean"][1] for s in atlas["lc_gate"]["stages"]])
    heights = [bar.get_height() for bar in utilisation_axes.patches]
    np.testing.assert_allclose(
        heights, atlas["expert_utilisation"]["mean_weight"] + atlas["expert_utilisation"]["top1_share"]
    )


def test_routing_atlas_summary():
    atlas = make_atlas()
    summary = routing_atlas_summary(atlas)
    assert "40" in summary and "test split" in summary and "fold 0" in summary
    assert "/tmp/run" not in summary  # where it was computed is no business of the reader
    top = int(np.argmax(atlas["expert_utilisation"]["top1_share"])) + 1
    assert f"Expert {top} is the top expert" in summary


def test_routing_atlas_summary_names_each_experts_classes_and_the_most_clinical_stage():
    labels = np.repeat([0, 1, 2, 3], 5)  # ACK, BCC, MEL, NEV
    gm_gate = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1]]).repeat(5, axis=0)
    fused = np.array([[0.2, 0.9], [0.3, 0.2], [0.4, 0.6], [0.1, 0.5]]).repeat(5, axis=0)  # (N, stages)
    lc_gate = np.stack([1 - fused, fused], axis=-1)
    summary = routing_atlas_summary(routing_atlas(lc_gate, gm_gate, labels, labels, CLASSES))
    assert "Expert 1 leads ACK (0.80), MEL (0.70)" in summary
    assert "Expert 2 leads BCC (0.80), NEV (0.70)" in summary and "Expert 3 leads no class" in summary
    # stage 2's fused path carries more on average (0.55 vs 0.25), most for ACK and least for BCC
    steering = summary[summary.index("stage 2") :]
    assert "0.20" in steering and "BCC" in steering and "0.90" in steering and "ACK" in steering
    assert "Stage 1 0.30, Stage 2 0.70" in summary
