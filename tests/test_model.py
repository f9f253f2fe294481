"""MHDF-Net model: shapes on several timm backbones, gates, top-k sparsity, exact logit decomposition,
gradients, progressive fusion, save/load, determinism, thread safety, routing overrides and variants."""

import json
import math
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest
import torch
import torch.nn.functional as F

from mhdf import VARIANTS, MHDFConfig, MHDFNet, MHDFOutput, RoutingOverrides
from mhdf.metadata import DERM7PT, PAD_UFES_20

SMALL = {"token_dim": 32, "num_heads": 2, "expert_hidden": 48, "top_k": 4}


def random_record(schema, rng: random.Random) -> dict:
    """A raw record with every kind of value, about a quarter of the fields missing."""
    record = {}
    for spec in schema.fields:
        if rng.random() < 0.25:
            continue
        if spec.kind == "numeric":
            record[spec.name] = round(rng.uniform(spec.minimum or 0, min(spec.maximum or 100, 100)), 1)
        else:
            record[spec.name] = rng.choice(spec.values)
    return record


def batch_for(model: MHDFNet, batch: int, size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = random.Random(seed)
    images = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))
    return images, model.encode_metadata([random_record(model.schema, rng) for _ in range(batch)])


@pytest.fixture(scope="module")
def resnet() -> MHDFNet:
    torch.manual_seed(0)
    return MHDFNet(MHDFConfig(backbone="resnet18", num_classes=6, **SMALL)).eval()


def test_config_defaults_and_json_round_trip():
    config = MHDFConfig(backbone="resnet18", num_classes=6)
    assert config.top_k == 8 and config.attention_top_k == 8
    assert config.class_names == ["ACK", "BCC", "MEL", "NEV", "SCC", "SEK"]
    assert config.image_size == 224 and len(config.mean) == 3 and len(config.std) == 3
    assert config.metadata_schema == PAD_UFES_20.to_dict()
    assert config.fusion_stages == [-4, -3, -2, -1] and config.num_fused_stages == 4
    assert not config.gm_reads_stage_maps
    restored = MHDFConfig(**json.loads(json.dumps(asdict(config))))
    assert restored == config and restored.schema == PAD_UFES_20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "fancy"}, "unknown variant"),
        ({"num_classes": 3, "class_names": ["a", "b"]}, "class_names"),
        ({"token_dim": 30, "num_heads": 4}, "divisible"),
        ({"backbone": "not_a_timm_model"}, "timm does not know"),
        ({"top_k": 0}, "top_k"),
        ({"fusion_stages": []}, "fusion_stages"),
        ({"fusion_stages": [2, 2]}, "repeat"),
    ],
)
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MHDFConfig(**kwargs)


@pytest.mark.parametrize(
    "backbone",
    [
        "resnet18",
        "efficientnet_b0",
        pytest.param("vgg16", marks=pytest.mark.slow),
        "convnext_atto",
        "mobilenetv3_small_100",
    ],
)
@pytest.mark.parametrize("size", [64, 96])
def test_trace_shapes_gates_and_sparsity(backbone, size):
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone=backbone, num_classes=6, max_grid=7, **SMALL)).eval()
    images, metadata = batch_for(model, 3, size)
    with torch.inference_mode():
        out = model(images, metadata, return_trace=True)
    trace, fields, heads, k = out.trace, len(PAD_UFES_20.fields), 2, SMALL["top_k"]
    assert out.logits.shape == (3, 6)
    assert trace.lc_gate.shape == (3, 4, 2) and trace.gm_gate.shape == (3, 4)
    assert trace.expert_logits.shape == (3, 4, 6) and trace.logit_bias.shape == (6,)
    torch.testing.assert_close(trace.lc_gate.sum(-1), torch.ones(3, 4))
    torch.testing.assert_close(trace.gm_gate.sum(-1), torch.ones(3))
    assert len(trace.tkca) == 4 and len(trace.channel_attention) == 4
    for stage, (attention, channels, stage_map) in enumerate(
        zip(trace.tkca, model.backbone.channels, out.stage_maps, strict=True)
    ):
        h, w = attention["grid"]
        assert (h, w) == tuple(min(s, 7) for s in stage_map.shape[-2:]), stage
        assert attention["meta_to_image"].shape == (3, heads, fields, h * w)
        assert attention["image_to_meta"].shape == (3, heads, h * w, fields)
        assert trace.channel_attention[stage].shape == (3, channels) and stage_map.shape[1] == channels
        for name, keys in (("meta_to_image", h * w), ("image_to_meta", fields)):
            weights = attention[name]
            torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
            assert ((weights > 0).sum(-1) == min(k, keys)).all(), (stage, name)


def test_logits_decompose_exactly_over_experts(resnet):
    images, metadata = batch_for(resnet, 4, 64)
    with torch.inference_mode():
        out = resnet(images, metadata, return_trace=True)
        plain = resnet(images, metadata)
    assert torch.equal(out.trace.expert_logits.sum(1) + out.trace.logit_bias, out.logits)
    assert torch.equal(plain, out.logits)  # tracing records, it does not change the computation


def test_eval_is_deterministic(resnet):
    images, metadata = batch_for(resnet, 2, 64)
    with torch.inference_mode():
        assert torch.equal(resnet(images, metadata), resnet(images, metadata))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("schema", ["pad-ufes-20", "derm7pt"])
def test_every_parameter_gets_a_gradient(variant, schema):
    torch.manual_seed(0)
    num_classes = 6 if schema == "pad-ufes-20" else 5
    config = MHDFConfig(backbone="resnet18", num_classes=num_classes, schema_name=schema, variant=variant, **SMALL)
    model = MHDFNet(config).train()
    images, metadata = batch_for(model, 4, 64, seed=1)
    labels = torch.arange(4) % num_classes
    # timm zero-initialises each residual block's last BatchNorm gamma, which blocks the branch's gradient
    # until the first update; the property we care about is that of a model being trained, so take one step
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    F.cross_entropy(model(images, metadata), labels).backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    F.cross_entropy(model(images, metadata), labels).backward()
    dead = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not dead, dead
    assert (model.backbone is None) == (variant == "meta-only")
    assert (model.field_tokenizer is None) == (variant == "image-only")


def test_recalibrated_map_feeds_the_next_stage(resnet):
    images, metadata = batch_for(resnet, 2, 64)
    with torch.inference_mode():
        out = resnet(images, metadata, True)
        bare = resnet.backbone(images)
    # the next stage consumed the recalibrated map, not timm's: stage 2 differs from the bare backbone's
    assert not torch.allclose(out.stage_maps[1], bare[1])
    scale = 2 * out.trace.channel_attention[0][:, :, None, None]
    torch.testing.assert_close(out.stage_maps[0], bare[0] * scale)


def gm_gate_input(model: MHDFNet, images, metadata, overrides: RoutingOverrides) -> tuple[torch.Tensor, MHDFOutput]:
    """The (B, J) vector the GM-Gate's router reads, captured on its way in, and the traced output."""
    captured = []
    handle = model.gm_moe.router.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
    try:
        with torch.inference_mode():
            out = model(images, metadata, True, overrides)
    finally:
        handle.remove()
    return captured[0], out


@pytest.mark.parametrize("stage", [0, 3])
def test_gm_input_depends_on_the_lc_gate_with_recalibration_fixed(resnet, stage):
    """The local -> global hierarchy: the GM-MoE reads each stage's gated LC-MoE vector, not only the maps."""
    images, metadata = batch_for(resnet, 2, 64)
    image_input, image_path = gm_gate_input(
        resnet, images, metadata, RoutingOverrides(lc_forced_paths={stage: "image"})
    )
    fused_input, fused_path = gm_gate_input(
        resnet, images, metadata, RoutingOverrides(lc_forced_paths={stage: "fused"})
    )
    assert torch.equal(image_path.trace.lc_gate[:, stage], torch.tensor([[1.0, 0.0]] * 2))
    assert torch.equal(fused_path.trace.lc_gate[:, stage], torch.tensor([[0.0, 1.0]] * 2))
    # the channel gains (and so every stage map) do not depend on the LC-Gate: recalibration is held fixed ...
    for image_gains, fused_gains in zip(
        image_path.trace.channel_attention, fused_path.trace.channel_attention, strict=True
    ):
        assert torch.equal(image_gains, fused_gains)
    for image_map, fused_map in zip(image_path.stage_maps, fused_path.stage_maps, strict=True):
        assert torch.equal(image_map, fused_map)
    # ... and still the GM-Gate reads something else, in the block of the forced stage only
    block = resnet.config.token_dim
    changed = (image_input != fused_input).any(0).nonzero().flatten()
    assert len(changed) > 0 and changed.min() >= stage * block and changed.max() < (stage + 1) * block
    assert not torch.equal(image_path.trace.gm_gate, fused_path.trace.gm_gate)


@pytest.mark.parametrize(
    ("variant", "fused", "head_inputs"),
    [
        ("mhdf", 4, [32] * 4),  # the gated LC-MoE vectors
        ("no-topk", 4, [32] * 4),
        ("no-lcgate", 4, [32] * 4),
        ("no-gmmoe", 4, [32] * 4),
        ("concat", 0, [64, 128, 256, 512, 32]),  # pooled stage maps and the mean field token
        ("image-only", 0, [64, 128, 256, 512]),  # pooled stage maps
        ("meta-only", 0, [32]),  # the mean field token
    ],
)
def test_what_each_variant_feeds_the_head(variant, fused, head_inputs):
    config = MHDFConfig(backbone="resnet18", variant=variant, **SMALL)
    model = MHDFNet(config)
    assert config.num_fused_stages == fused == len(model.lc_moe)
    assert [proj[0].normalized_shape[0] for proj in model.gm_moe.scale_proj] == head_inputs


def test_stage_maps_can_feed_the_head_as_well():
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", gm_reads_stage_maps=True, **SMALL)).eval()
    assert [proj[0].normalized_shape[0] for proj in model.gm_moe.scale_proj] == [32] * 4 + [64, 128, 256, 512]
    images, metadata = batch_for(model, 2, 64)
    with torch.inference_mode():
        out = model(images, metadata, return_trace=True)
    assert torch.equal(out.trace.expert_logits.sum(1) + out.trace.logit_bias, out.logits)


def test_fusion_stages_pick_the_backbone_stages():
    model = MHDFNet(MHDFConfig(backbone="resnet18", fusion_stages=[1, 3], **SMALL)).eval()
    assert model.backbone.channels == [64, 256] and model.config.num_fused_stages == 2
    images, metadata = batch_for(model, 1, 64)
    with torch.inference_mode():
        out = model(images, metadata, return_trace=True)
    assert out.trace.lc_gate.shape == (1, 2, 2) and [m.shape[1] for m in out.stage_maps] == [64, 256]
    with pytest.raises(ValueError, match="no feature stages"):
        MHDFNet(MHDFConfig(backbone="resnet18", fusion_stages=[1, 9], **SMALL))


@pytest.mark.slow
def test_paper_preset_builds_the_published_model_and_runs_at_224():
    config = MHDFConfig.from_preset("paper")
    assert (config.backbone, config.fusion_stages, config.image_size) == ("vgg16", [1, 2, 3, 4], 224)
    assert (config.top_k, config.num_heads, config.token_dim, config.num_experts) == (12, 8, 128, 4)
    assert (config.gate_temperature, config.hard_gate, config.variant) == (1.0, False, "mhdf")
    torch.manual_seed(0)
    model = MHDFNet(config, pretrained=False).eval()
    images, metadata = batch_for(model, 1, 224)
    with torch.inference_mode():
        out = model(images, metadata, return_trace=True)
    assert out.logits.shape == (1, 6) and out.trace.gm_gate.shape == (1, 4)
    # VGG-16 blocks 2-5, at 1/2, 1/4, 1/8 and 1/16 of the input before each block's max-pool
    assert [a.shape[1] for a in out.trace.channel_attention] == [128, 256, 512, 512]
    assert [m.shape[-1] for m in out.stage_maps] == [112, 56, 28, 14]
    assert all(attention["meta_to_image"].shape[1] == 8 for attention in out.trace.tkca)


def test_presets_take_overrides():
    resnet50 = MHDFConfig.from_preset("paper", backbone="resnet50")
    assert resnet50.backbone == "resnet50" and resnet50.fusion_stages == [-4, -3, -2, -1]
    assert (resnet50.top_k, resnet50.num_heads, resnet50.token_dim) == (12, 8, 128)
    assert MHDFConfig.from_preset("paper", variant="no-topk", top_k=4).attention_top_k is None
    assert MHDFConfig.from_preset("fast") == MHDFConfig()
    with pytest.raises(ValueError, match="unknown preset"):
        MHDFConfig.from_preset("fancy")


def test_set_gate_temperature_sharpens_both_gates_and_is_saved(resnet, tmp_path):
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", **SMALL)).eval()
    images, metadata = batch_for(model, 2, 64)
    with torch.inference_mode():
        soft = model(images, metadata, return_trace=True).trace
        model.set_gate_temperature(0.05)
        sharp = model(images, metadata, return_trace=True).trace
    assert sharp.gm_gate.max(-1).values.min() > soft.gm_gate.max(-1).values.min()
    assert sharp.lc_gate.max(-1).values.mean() > soft.lc_gate.max(-1).values.mean()
    model.save_pretrained(tmp_path)
    assert MHDFNet.from_pretrained(tmp_path).config.gate_temperature == 0.05


def test_save_and_load_give_identical_logits(resnet, tmp_path):
    resnet.save_pretrained(tmp_path)
    assert {"config.json", "model.safetensors"} <= {p.name for p in tmp_path.iterdir()}
    assert json.loads((tmp_path / "config.json").read_text())["top_k"] == SMALL["top_k"]
    loaded = MHDFNet.from_pretrained(tmp_path)
    assert loaded.config == resnet.config and not loaded.training
    images, metadata = batch_for(resnet, 2, 64)
    with torch.inference_mode():
        assert torch.equal(loaded(images, metadata), resnet(images, metadata))


def test_loading_recomputes_the_buffers_checkpoints_leave_out(resnet, tmp_path):
    """Loading builds the modules on the meta device: the derived lookup tables must come back exact."""
    resnet.save_pretrained(tmp_path)
    loaded = MHDFNet.from_pretrained(tmp_path)
    saved = set(resnet.state_dict())
    computed = {name: buffer for name, buffer in resnet.named_buffers() if name not in saved}
    assert computed  # the field tokenizer's lookup tables
    for name, buffer in loaded.named_buffers():
        assert not buffer.is_meta, name
        if name in computed:
            assert buffer.dtype == computed[name].dtype and torch.equal(buffer, computed[name]), name


class WithComputedBuffer(MHDFNet):
    """A model with a computed buffer whose module has no way to recompute it after an empty build."""

    def __init__(self, config: MHDFConfig) -> None:
        super().__init__(config)
        self.register_buffer("lookup", torch.arange(5.0), persistent=False)


def test_a_buffer_that_cannot_be_recomputed_gets_a_normal_build(tmp_path):
    torch.manual_seed(0)
    WithComputedBuffer(MHDFConfig(backbone="resnet18", num_classes=6, **SMALL)).save_pretrained(tmp_path)
    assert torch.equal(WithComputedBuffer.from_pretrained(tmp_path).lookup, torch.arange(5.0))


def test_loading_is_strict(resnet, tmp_path):
    resnet.save_pretrained(tmp_path)
    other = MHDFConfig(**{**asdict(resnet.config), "num_experts": 3})
    (tmp_path / "config.json").write_text(json.dumps(asdict(other)))
    with pytest.raises(ValueError, match=r"gm_moe\.router\.weight: \[4, \d+\] in the file, \[3, \d+\] in the model"):
        MHDFNet.from_pretrained(tmp_path)


def test_concurrent_forward_passes_do_not_share_state(resnet):
    inputs = [batch_for(resnet, 1, 64, seed=s) for s in range(8)]
    overrides = [RoutingOverrides(gm_forced_expert=s % 4, lc_forced_paths={s % 4: "image"}) for s in range(8)]

    def run(i):
        with torch.inference_mode():
            return resnet(*inputs[i], return_trace=True, overrides=overrides[i])

    expected = [run(i) for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, list(range(8)) * 3))
    for i, got in enumerate(results):
        want = expected[i % 8]
        assert torch.equal(got.logits, want.logits)
        assert torch.equal(got.trace.lc_gate, want.trace.lc_gate)
        assert torch.equal(got.trace.gm_gate, want.trace.gm_gate)


def test_gm_gate_overrides(resnet):
    images, metadata = batch_for(resnet, 3, 64)
    with torch.inference_mode():
        base = resnet(images, metadata, return_trace=True)
        forced = resnet(images, metadata, True, RoutingOverrides(gm_forced_expert=2))
        knocked = resnet(images, metadata, True, RoutingOverrides(gm_disabled_experts=(0, 1)))
        hard = resnet(images, metadata, True, RoutingOverrides(gm_hard=True))
        hot = resnet(images, metadata, True, RoutingOverrides(gm_temperature=100.0))
    assert torch.equal(forced.trace.gm_gate, F.one_hot(torch.full((3,), 2), 4).float())
    assert (knocked.trace.gm_gate[:, :2] == 0).all()
    torch.testing.assert_close(knocked.trace.gm_gate.sum(-1), torch.ones(3))
    expected_top1 = F.one_hot(base.trace.gm_gate.argmax(-1), 4).float()
    assert torch.equal(hard.trace.gm_gate, expected_top1)
    # a high temperature flattens the gate towards uniform
    assert (hot.trace.gm_gate - 0.25).abs().max() < (base.trace.gm_gate - 0.25).abs().max()
    for out in (forced, knocked, hard):
        assert torch.equal(out.trace.expert_logits.sum(1) + out.trace.logit_bias, out.logits)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (RoutingOverrides(gm_forced_expert=4), "out of range"),
        (RoutingOverrides(gm_disabled_experts=(0, 1, 2, 3)), "every expert"),
        (RoutingOverrides(gm_temperature=0.0), "gm_temperature"),
        (RoutingOverrides(lc_forced_paths={4: "image"}), "stage 4"),
        (RoutingOverrides(lc_forced_paths={0: "metadata"}), "unknown LC-Gate path"),
    ],
)
def test_impossible_overrides_are_rejected(resnet, overrides, message):
    images, metadata = batch_for(resnet, 1, 64)
    with pytest.raises(ValueError, match=message):
        resnet(images, metadata, overrides=overrides)


def test_hard_gate_routes_top1_with_gradient():
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", hard_gate=True, **SMALL)).train()
    images, metadata = batch_for(model, 2, 64)
    out = model(images, metadata, return_trace=True)
    assert set(out.trace.gm_gate.unique().tolist()) <= {0.0, 1.0}
    assert set(out.trace.lc_gate.unique().tolist()) <= {0.0, 1.0}
    out.logits.sum().backward()
    assert model.gm_moe.router.weight.grad.abs().sum() > 0  # straight-through: the router still learns


def test_variants_trace_what_they_have():
    torch.manual_seed(0)
    for variant in ("image-only", "concat", "meta-only"):
        model = MHDFNet(MHDFConfig(backbone="resnet18", variant=variant, **SMALL)).eval()
        images, metadata = batch_for(model, 2, 64)
        with torch.inference_mode():
            out = model(None if variant == "meta-only" else images, metadata, return_trace=True)
        assert out.trace.lc_gate.shape == (2, 0, 2) and out.trace.tkca == []
        assert torch.equal(out.trace.expert_logits.sum(1) + out.trace.logit_bias, out.logits)
    dense = MHDFNet(MHDFConfig(backbone="resnet18", variant="no-topk", max_grid=4, **SMALL)).eval()
    images, metadata = batch_for(dense, 1, 64)
    with torch.inference_mode():
        attention = dense(images, metadata, return_trace=True).trace.tkca[0]["meta_to_image"]
    assert ((attention > 0).sum(-1) == 16).all()  # every one of the 4x4 tokens kept
    fixed = MHDFNet(MHDFConfig(backbone="resnet18", variant="no-lcgate", **SMALL)).eval()
    with torch.inference_mode():
        gate = fixed(*batch_for(fixed, 1, 64), return_trace=True).trace.lc_gate
    assert torch.equal(gate, torch.full((1, 4, 2), 0.5))
    single = MHDFNet(MHDFConfig(backbone="resnet18", variant="no-gmmoe", **SMALL)).eval()
    with torch.inference_mode():
        assert single(*batch_for(single, 1, 64), return_trace=True).trace.gm_gate.shape == (1, 1)


def test_encode_metadata_accepts_raw_rows_and_rejects_bad_values(resnet):
    rows = [
        {"age": "54", "fitspatrick": "3.0", "itch": "UNK", "region": "FACE", "background_father": "BRASIL"},
        {"age": "", "region": None, "diameter_1": math.nan},
    ]
    encoded = resnet.encode_metadata(rows)
    assert encoded.shape == (2, len(PAD_UFES_20.fields)) and encoded.dtype == torch.float32
    assert torch.isnan(encoded[1]).all()
    with pytest.raises(ValueError, match="region"):
        resnet.encode_metadata([{"region": "KNEE"}])
    with pytest.raises(ValueError, match="shape"):
        resnet(torch.randn(1, 3, 64, 64), torch.zeros(1, 5))


def test_derm7pt_model_runs_on_its_schema():
    torch.manual_seed(0)
    model = MHDFNet(MHDFConfig(backbone="resnet18", num_classes=5, schema_name="derm7pt", **SMALL)).eval()
    assert model.config.class_names == list(DERM7PT.classes)
    records = [{"sex": "female", "location": "back", "elevation": "flat"}, {}]
    with torch.inference_mode():
        out = model(torch.randn(2, 3, 64, 64), model.encode_metadata(records), return_trace=True)
    assert out.logits.shape == (2, 5) and out.trace.tkca[0]["image_to_meta"].shape[-1] == 3


def test_tkca_pooled_outputs_equal_attending_then_pooling():
    from mhdf.tkca import BidirectionalTKCA

    torch.manual_seed(0)
    tkca = BidirectionalTKCA(dim=16, num_heads=2, top_k=3).eval()
    meta, image = torch.randn(2, 5, 16), torch.randn(2, 9, 16)
    fields, pixels, meta_to_image, image_to_meta = tkca(meta, image)

    def attend(queries, attention, values_from, proj_in, proj_out):
        _, _, v = tkca._heads(values_from, proj_in)
        out = (attention @ v).transpose(1, 2).flatten(2)  # (B, Q, D) every query's output
        return (queries + proj_out(out)).mean(1)

    torch.testing.assert_close(fields, attend(meta, meta_to_image, image, tkca.image_qkv, tkca.meta_out))
    torch.testing.assert_close(pixels, attend(image, image_to_meta, meta, tkca.meta_qkv, tkca.image_out))


def test_pretrained_asks_timm_for_imagenet_weights():
    # the tests run offline (HF_HUB_OFFLINE=1): reaching the Hub's cache lookup proves the flag reaches timm
    from huggingface_hub.errors import LocalEntryNotFoundError

    with pytest.raises(LocalEntryNotFoundError):
        MHDFNet(MHDFConfig(backbone="resnet18", **SMALL), pretrained=True)


def test_num_fused_stages_counts_lc_moe_blocks():
    for variant in VARIANTS:
        config = MHDFConfig(backbone="resnet18", image_size=64, variant=variant)
        model = MHDFNet(config)
        assert config.num_fused_stages == len(model.lc_moe)
        assert config.num_fused_stages == (0 if variant in ("concat", "image-only", "meta-only") else 4)


def test_one_photo_with_several_records_runs_the_layers_before_the_first_fusion_once(resnet):
    torch.manual_seed(0)
    photo = torch.randn(1, 3, 64, 64)
    records = [{"age": 30}, {"age": 80, "region": "FACE"}, {}]
    metadata = resnet.encode_metadata(records)
    stem_batches = []
    handle = resnet.backbone.body.conv1.register_forward_hook(lambda m, i, o: stem_batches.append(o.shape[0]))
    with torch.no_grad():
        broadcast = resnet(photo, metadata, return_trace=True)
        expanded = resnet(photo.expand(3, -1, -1, -1), metadata, return_trace=True)
    handle.remove()
    assert stem_batches == [1, 3]
    torch.testing.assert_close(broadcast.logits, expanded.logits, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(broadcast.trace.gm_gate, expanded.trace.gm_gate, rtol=1e-4, atol=1e-5)
    assert [m.shape[0] for m in broadcast.stage_maps] == [3] * len(broadcast.stage_maps)


def test_grad_from_last_stage_records_only_the_head(resnet):
    photo, metadata = torch.randn(1, 3, 64, 64), resnet.encode_metadata([{"age": 50}])
    with torch.no_grad():
        out = resnet(photo, metadata, return_trace=True, grad_from_last_stage=True)
        plain = resnet(photo, metadata)
    torch.testing.assert_close(out.logits.detach(), plain)
    assert out.logits.requires_grad and out.stage_maps[-1].requires_grad
    assert not any(m.requires_grad for m in out.stage_maps[:-1])  # nothing before the last stage is recorded
    (gradient,) = torch.autograd.grad(out.logits[0, 0], out.stage_maps[-1])
    assert gradient.shape == out.stage_maps[-1].shape and gradient.abs().sum() > 0
