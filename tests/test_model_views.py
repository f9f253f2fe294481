"""Several photos per case (issue 24): a clinical close-up and a dermoscopic image routed together, either one
allowed to be missing, while a one-photo model keeps the paper's forward pass exactly."""

import json
import random
from dataclasses import asdict

import numpy as np
import pytest
import torch

from mhdf import MHDFConfig, MHDFNet
from mhdf.config import TWO_VIEWS
from mhdf.model import StageFusion
from mhdf.routing import RoutingOverrides

SMALL = {"token_dim": 32, "num_heads": 2, "expert_hidden": 48, "top_k": 4, "image_size": 64}
TWO = list(TWO_VIEWS)


def records(schema, batch: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(batch):
        row = {}
        for spec in schema.fields:
            if rng.random() < 0.7 and spec.kind != "numeric":
                row[spec.name] = rng.choice(spec.values)
        rows.append(row)
    return rows


def photos(batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {view: torch.randn(batch, 3, 64, 64, generator=generator) for view in TWO}


@pytest.fixture(scope="module")
def two_view() -> MHDFNet:
    torch.manual_seed(0)
    return MHDFNet(MHDFConfig(backbone="resnet18", image_views=TWO, **SMALL)).eval()


@pytest.fixture(scope="module")
def batch(two_view):
    return photos(4), two_view.encode_metadata(records(two_view.schema, 4))


def test_config_names_views_and_round_trips():
    assert MHDFConfig().image_views == ["image"] and not MHDFConfig().multi_view
    config = MHDFConfig(image_views=TWO, separate_view_backbones=True, view_dropout=0.3)
    assert config.multi_view
    assert MHDFConfig(**json.loads(json.dumps(asdict(config)))) == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_views": []}, "at least one view"),
        ({"image_views": ["clinical", "clinical"]}, "none twice"),
        ({"image_views": ["Clinical photo"]}, "lower-case"),
        ({"view_dropout": 1.0}, "view_dropout"),
        ({"image_views": TWO, "variant": "meta-only"}, "reads no photo"),
    ],
)
def test_config_rejects_bad_views(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MHDFConfig(**kwargs)


def test_a_config_without_views_is_a_one_photo_model(tmp_path):
    """Checkpoints written before views existed have no image_views in config.json."""
    config = asdict(MHDFConfig(**SMALL))
    del config["image_views"], config["separate_view_backbones"], config["view_dropout"]
    assert MHDFConfig(**config).image_views == ["image"]


def test_a_one_photo_model_runs_the_papers_pass_exactly():
    """The one-view forward is the backbone with LC-MoE fusion and the GM-MoE over the local vectors, with no
    gather, scatter or missing-photo vector: bit for bit what the model computed before views existed."""
    torch.manual_seed(1)
    model = MHDFNet(MHDFConfig(backbone="resnet18", **SMALL)).eval()
    assert model.missing_view is None and model.view_branches is None
    assert not any("missing_view" in name or "view_branches" in name for name in model.state_dict())
    images, metadata = photos(3)["clinical"], model.encode_metadata(records(model.schema, 3))
    with torch.no_grad():
        stages = StageFusion(model.lc_moe, model.field_tokenizer(metadata), 3, RoutingOverrides(), None)
        with model.backbone.rewriting(stages):
            model.backbone(images)
        reference = model.gm_moe([f.local_vector for f in stages.fusions], RoutingOverrides()).logits
        out = model(images, metadata, return_trace=True)
    assert torch.equal(out.logits, reference)
    assert torch.equal(model({"image": images}, metadata), reference)
    assert out.trace.views == ("image",) and out.trace.view_present.all()


def test_two_views_decompose_exactly_and_trace_every_view_and_stage(two_view, batch):
    images, metadata = batch
    with torch.no_grad():
        out = two_view(images, metadata, return_trace=True)
    trace, stages = out.trace, len(two_view.config.fusion_stages)
    assert torch.equal(out.logits, trace.expert_logits.sum(1) + trace.logit_bias)
    assert trace.views == tuple(TWO) and trace.view_present.shape == (4, 2) and trace.view_present.all()
    assert trace.lc_gate.shape == (4, 2 * stages, 2) and len(trace.tkca) == len(trace.channel_attention) == 2 * stages
    assert len(out.stage_maps) == 2 * stages and trace.stages_per_view == stages
    # the two views share the blocks but not the photo: their gates differ
    assert not torch.allclose(trace.lc_gate[:, trace.block(0, 0)], trace.lc_gate[:, trace.block(1, 0)])
    assert torch.allclose(trace.lc_gate.sum(-1), torch.ones(4, 2 * stages))


def test_the_gm_gate_router_logits_are_an_exact_sum_of_one_term_per_head_input(two_view, batch):
    images, metadata = batch
    captured = {}
    hook = two_view.gm_moe.router.register_forward_hook(lambda _m, _i, out: captured.update(logits=out))
    try:
        with torch.no_grad():
            trace = two_view(images, metadata, return_trace=True).trace
    finally:
        hook.remove()
    stages = len(two_view.config.fusion_stages)
    assert trace.gm_router_terms.shape == (4, 2 * stages, two_view.config.experts)
    assert trace.gm_input_views == tuple(view for view in TWO for _ in range(stages))
    summed = trace.gm_router_terms.sum(1) + two_view.gm_moe.router.bias
    assert torch.allclose(summed, captured["logits"], atol=1e-5)
    # the gate is the softmax of those logits at the gate's temperature
    expected = torch.softmax(summed / two_view.config.gate_temperature, dim=-1)
    assert torch.allclose(trace.gm_gate, expected, atol=1e-5)


@pytest.mark.parametrize("missing", TWO)
def test_a_view_missing_from_the_whole_batch(two_view, batch, missing):
    images, metadata = batch
    kept = next(view for view in TWO if view != missing)
    with torch.no_grad():
        out = two_view({kept: images[kept], missing: None}, metadata, return_trace=True)
        masked = two_view(images, metadata, view_mask=torch.tensor([[v != missing for v in TWO]] * 4))
        both = two_view(images, metadata)
        omitted = two_view({kept: images[kept]}, metadata)
    assert torch.allclose(out.logits, masked, atol=1e-6) and torch.equal(out.logits, omitted)
    assert not torch.allclose(out.logits, both, atol=1e-4)
    trace, index = out.trace, TWO.index(missing)
    assert not trace.view_present[:, index].any() and trace.view_present[:, 1 - index].all()
    blocks = [trace.block(index, s) for s in range(trace.stages_per_view)]
    assert trace.lc_gate[:, blocks].isnan().all() and not trace.lc_gate[:, [trace.block(1 - index, 0)]].isnan().any()
    assert trace.tkca[blocks[0]]["grid"] == trace.tkca[trace.block(1 - index, 0)]["grid"]
    assert torch.equal(out.logits, trace.expert_logits.sum(1) + trace.logit_bias)
    assert torch.isfinite(out.logits).all()


def test_a_mixed_batch_equals_each_case_alone(two_view, batch):
    images, metadata = batch
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, False]])
    with torch.no_grad():
        mixed = two_view(images, metadata, return_trace=True, view_mask=mask)
        for i in range(4):
            alone = {v: images[v][i : i + 1] if mask[i, j] else None for j, v in enumerate(TWO)}
            assert torch.allclose(two_view(alone, metadata[i : i + 1]), mixed.logits[i : i + 1], atol=1e-5)
    assert torch.equal(mixed.trace.view_present, mask)
    assert torch.equal(mixed.trace.lc_gate[:, :, 0].isnan(), ~mask.repeat_interleave(mixed.trace.stages_per_view, 1))
    stages = mixed.trace.stages_per_view
    for j in range(2):
        view_maps = mixed.stage_maps[j * stages : (j + 1) * stages]
        assert all(stage_map[~mask[:, j]].isnan().all() for stage_map in view_maps)


def test_a_missing_photo_is_neither_read_nor_taken_for_a_black_photo(two_view, batch):
    images, metadata = batch
    mask = torch.tensor([[True, False]] * 4)
    noise = {"clinical": images["clinical"], "dermoscopic": torch.rand(4, 3, 64, 64) * 10}
    black = {"clinical": images["clinical"], "dermoscopic": torch.zeros(4, 3, 64, 64)}
    with torch.no_grad():
        absent = two_view(images, metadata, view_mask=mask)
        assert torch.equal(absent, two_view(noise, metadata, view_mask=mask))
        assert not torch.allclose(absent, two_view(black, metadata), atol=1e-4)


def test_every_case_needs_a_photo_and_views_are_named(two_view, batch):
    images, metadata = batch
    with pytest.raises(ValueError, match="dict of clinical, dermoscopic"):
        two_view(images["clinical"], metadata)
    with pytest.raises(ValueError, match="unknown photo view 'derm'"):
        two_view({"derm": images["dermoscopic"]}, metadata)
    with pytest.raises(ValueError, match="no photo given"):
        two_view({"clinical": None}, metadata)
    with pytest.raises(ValueError, match="at least one photo"):
        two_view(images, metadata, view_mask=torch.tensor([[True, True], [False, False], [True, True], [True, True]]))
    with pytest.raises(ValueError, match="view_mask must have shape"):
        two_view(images, metadata, view_mask=torch.ones(4, 3, dtype=torch.bool))


def test_view_dropout_drops_photos_in_training_only_and_keeps_one_per_case():
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", image_views=TWO, view_dropout=0.4, **SMALL))
    images, metadata = photos(8), model.encode_metadata(records(model.schema, 8))
    seen = []
    for _ in range(6):
        out = model.train()(images, metadata, return_trace=True)
        present = out.trace.view_present
        assert present.any(1).all()
        seen.append(present)
    dropped = 1 - torch.cat(seen).float().mean().item()
    # each photo drops with 0.4, and a case that would lose both keeps one: 0.4 - 0.4 ** 2 / 2 = 0.32 expected
    assert 0.15 < dropped < 0.5
    with torch.no_grad():
        assert model.eval()(images, metadata, return_trace=True).trace.view_present.all()
    # a photo missing already stays missing
    out = model.train()(images, metadata, return_trace=True, view_mask=torch.tensor([[True, False]] * 8))
    assert torch.equal(out.trace.view_present, torch.tensor([[True, False]] * 8))


def test_gradients_reach_both_views_and_the_missing_vectors():
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", image_views=TWO, separate_view_backbones=True, **SMALL)).train()
    images, metadata = photos(4), model.encode_metadata(records(model.schema, 4))
    mask = torch.tensor([[True, True], [True, False], [False, True], [True, True]])
    torch.nn.functional.cross_entropy(model(images, metadata, view_mask=mask), torch.arange(4)).backward()
    assert model.backbone.body.conv1.weight.grad.abs().sum() > 0
    assert model.view_branches["dermoscopic"].backbone.body.conv1.weight.grad.abs().sum() > 0
    assert all(model.missing_view[view].grad.abs().sum() > 0 for view in TWO)
    shared = MHDFNet(MHDFConfig(backbone="resnet18", image_views=TWO, **SMALL))
    backbone = sum(p.numel() for p in shared.backbone.parameters())
    extra = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in shared.parameters())
    assert extra >= backbone  # a second backbone (and LC-MoE blocks) for the dermoscopic view


@pytest.mark.parametrize("variant", ["image-only", "concat", "no-gmmoe"])
def test_other_variants_take_two_views(variant):
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", image_views=TWO, variant=variant, **SMALL)).eval()
    images, metadata = photos(2), model.encode_metadata(records(model.schema, 2))
    with torch.no_grad():
        out = model({"clinical": images["clinical"], "dermoscopic": None}, metadata, return_trace=True)
    assert torch.isfinite(out.logits).all() and len(out.stage_maps) == 2 * len(model.config.fusion_stages)
    assert torch.equal(out.logits, out.trace.expert_logits.sum(1) + out.trace.logit_bias)


def test_one_photo_with_several_records_and_a_save_load_round_trip(two_view, tmp_path):
    metadata = two_view.encode_metadata(records(two_view.schema, 3, seed=2))
    images = {view: photo[:1] for view, photo in photos(1).items()}
    with torch.no_grad():
        broadcast = two_view(images, metadata)
        one_by_one = torch.cat([two_view(images, metadata[i : i + 1]) for i in range(3)])
        assert torch.allclose(broadcast, one_by_one, atol=1e-5)
        mask = torch.tensor([[True, False], [False, True], [True, True]])
        mixed = two_view(images, metadata, view_mask=mask)
        two_view.save_pretrained(tmp_path)
        loaded = MHDFNet.from_pretrained(str(tmp_path))
        assert loaded.config.image_views == TWO
        assert torch.equal(loaded(images, metadata, view_mask=mask), mixed)


def test_the_bundled_checkpoint_is_a_one_photo_model_predicting_as_the_papers_pass(predictor, examples):
    """The demo's config.json predates views: it loads as one view, with no new weight, and every example's
    logits are bit for bit those of the paper's pass computed from the same modules."""
    model = predictor.model
    assert model.config.image_views == ["image"] and model.missing_view is None
    for example in examples:
        pixels = predictor.preprocess(example.image)[1]
        metadata = model.encode_metadata([example.metadata])
        with torch.inference_mode():
            stages = StageFusion(model.lc_moe, model.field_tokenizer(metadata), 1, RoutingOverrides(), None)
            with model.backbone.rewriting(stages):
                model.backbone(pixels)
            reference = model.gm_moe([f.local_vector for f in stages.fusions], RoutingOverrides()).logits
            assert torch.equal(model(pixels, metadata), reference)
        prediction = predictor.predict(example.image, example.metadata)
        assert np.array_equal(prediction.logits, reference[0].numpy())
        assert prediction.photos == {"image": True} and "photos" not in prediction.to_dict()
