"""MHDF-Net: a timm backbone with LC-MoE fusion after chosen stages, and a GM-MoE head reading the LC-MoE outputs."""

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import safetensors.torch
import torch
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.constants import SAFETENSORS_SINGLE_FILE
from torch import nn

from mhdf.backbone import StagedBackbone
from mhdf.config import MHDFConfig
from mhdf.field_tokens import FieldTokenizer
from mhdf.gm_moe import GMMoE, GMMoEOutput
from mhdf.lc_moe import LCGate, LCMoE, LCMoEOutput
from mhdf.routing import RoutingOverrides
from mhdf.trace import MHDFOutput, RoutingTrace

# timm's convention for a module whose buffers are computed from its configuration rather than saved
INIT_BUFFERS = "init_non_persistent_buffers"
# the weights file `save_pretrained` writes (huggingface_hub's name for it, so the two never disagree)
WEIGHTS_NAME = SAFETENSORS_SINGLE_FILE
# what the trace names the GM-MoE input of the pooled clinical record (the late-fusion baselines), beside the views
RECORD_INPUT = "record"


class StageFusion:
    """The LC-MoE blocks applied to the backbone's stage outputs during one forward pass, and what they produced.

    The backbone hands it each fused stage's map as the stage finishes (see `StagedBackbone.rewriting`); it keeps
    every block's output and the maps as fed onwards, so the model reads them after the backbone has run.
    """

    def __init__(
        self,
        lc_moe: nn.ModuleList,
        field_tokens: torch.Tensor | None,
        batch: int,
        overrides: RoutingOverrides,
        grad_from_stage: int | None,
    ) -> None:
        self.lc_moe = lc_moe
        self.field_tokens = field_tokens
        self.batch = batch
        self.overrides = overrides
        self.grad_from_stage = grad_from_stage
        self.fusions: list[LCMoEOutput] = []
        self.stage_maps: list[torch.Tensor] = []

    def __call__(self, stage: int, feature_map: torch.Tensor) -> torch.Tensor:
        """(B or 1, C, H, W) stage output -> (B, C, H, W) map the next stage reads."""
        if feature_map.shape[0] != self.batch:  # the photo meets its records: one row per record from here on
            feature_map = feature_map.expand(self.batch, -1, -1, -1).contiguous()
        if stage != self.grad_from_stage:
            return self._fuse(stage, feature_map)
        feature_map = feature_map.detach().requires_grad_()
        with torch.enable_grad():
            return self._fuse(stage, feature_map)

    def _fuse(self, stage: int, feature_map: torch.Tensor) -> torch.Tensor:
        if self.lc_moe:
            fusion = self.lc_moe[stage](feature_map, self.field_tokens, self.overrides.lc_forced_paths.get(stage))
            self.fusions.append(fusion)
            feature_map = fusion.feature_map
        self.stage_maps.append(feature_map)
        return feature_map


@dataclass
class ViewPass:
    """What one photo view gave a forward pass, one row per case (B rows).

    features: the view's head inputs, (B, D_i) each; a case without this photo gets the view's learned "missing
    photo" vectors. fusions / stage_maps: its LC-MoE outputs and stage maps for the trace, NaN in the rows of cases
    without the photo, and empty when no case of the batch has it (`with_absent_views` fills those in).
    """

    features: list[torch.Tensor]
    fusions: list[LCMoEOutput]
    stage_maps: list[torch.Tensor]


def nan_rows(values: torch.Tensor, rows: torch.Tensor, batch: int) -> torch.Tensor:
    """(R, ...) values of the cases `rows` -> (B, ...) with NaN in every other row."""
    return values.new_full((batch, *values.shape[1:]), float("nan")).index_copy(0, rows, values)


def scatter_fusion(fusion: LCMoEOutput, rows: torch.Tensor, batch: int) -> LCMoEOutput:
    """An LC-MoE output of the cases `rows` as one of all B cases, NaN for the others (they had no photo)."""
    return replace(
        fusion,
        feature_map=nan_rows(fusion.feature_map, rows, batch),
        local_vector=nan_rows(fusion.local_vector, rows, batch),
        lc_gate=nan_rows(fusion.lc_gate, rows, batch),
        channel_attention=nan_rows(fusion.channel_attention, rows, batch),
        meta_to_image=nan_rows(fusion.meta_to_image, rows, batch),
        image_to_meta=nan_rows(fusion.image_to_meta, rows, batch),
    )


NAN_FIELDS = ("feature_map", "local_vector", "lc_gate", "channel_attention", "meta_to_image", "image_to_meta")


def nan_like(values: torch.Tensor) -> torch.Tensor:
    return torch.full_like(values, float("nan"))


def with_absent_views(passes: list[ViewPass]) -> list[ViewPass]:
    """The passes with NaN blocks for a view no case of the batch had, shaped like a view that ran (the views
    share one architecture and image size), so the trace always has V * S blocks."""
    template = next((view_pass for view_pass in passes if view_pass.stage_maps), None)
    if template is None:
        return passes
    return [
        view_pass
        if view_pass.stage_maps
        else ViewPass(
            view_pass.features,
            [replace(f, **{key: nan_like(getattr(f, key)) for key in NAN_FIELDS}) for f in template.fusions],
            [nan_like(stage_map) for stage_map in template.stage_maps],
        )
        for view_pass in passes
    ]


def drop_views(present: torch.Tensor, rate: float) -> torch.Tensor:
    """View dropout: (B, V) bool photos per case -> each marked missing with probability `rate`, keeping at least
    one photo per case (the one with the highest draw among those it has), as field dropout does for fields."""
    draws = torch.rand(present.shape, device=present.device)
    kept = present & (draws >= rate)
    best = draws.masked_fill(~present, -1.0).argmax(dim=1)
    rescued = nn.functional.one_hot(best, present.shape[1]).bool() & ~kept.any(dim=1, keepdim=True)
    return kept | rescued


def routing_trace(
    fusions: Sequence[LCMoEOutput],
    head: GMMoEOutput,
    views: Sequence[str],
    present: torch.Tensor,
    input_views: Sequence[str],
) -> RoutingTrace:
    """The per-sample record of one pass: every LC-MoE block's gate and attention (view by view), the GM-MoE's
    routing (with the view each of its inputs comes from), and which photos each case had."""
    batch = head.logits.shape[0]
    return RoutingTrace(
        lc_gate=torch.stack([f.lc_gate for f in fusions], 1) if fusions else head.logits.new_zeros(batch, 0, 2),
        gm_gate=head.gm_gate,
        expert_logits=head.expert_logits,
        logit_bias=head.logit_bias,
        tkca=[{"meta_to_image": f.meta_to_image, "image_to_meta": f.image_to_meta, "grid": f.grid} for f in fusions],
        channel_attention=[f.channel_attention for f in fusions],
        views=tuple(views),
        view_present=present,
        gm_router_terms=head.router_terms,
        gm_input_views=tuple(input_views),
    )


class ViewBranch(nn.Module):
    """The backbone and LC-MoE blocks of one further view, when the views do not share them."""

    def __init__(self, config: MHDFConfig, pretrained: bool) -> None:
        super().__init__()
        self.backbone = StagedBackbone(config.backbone, config.fusion_stages, pretrained)
        self.lc_moe = build_lc_moe(self.backbone.channels, config)


def build_lc_moe(channels: list[int], config: MHDFConfig) -> nn.ModuleList:
    """One LC-MoE block per fused stage (none for the variants that do not fuse)."""
    return nn.ModuleList(LCMoE(c, config) for c in channels) if config.fuses_stages else nn.ModuleList()


# No `from __future__ import annotations` here: PyTorchModelHubMixin reads the real `config: MHDFConfig` annotation
# to rebuild the dataclass from config.json.
class MHDFNet(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="mhdf-net",
    tags=["image-classification", "dermatology", "multimodal", "mixture-of-experts"],
    license="apache-2.0",
):
    """Skin-lesion classifier fusing a photo with clinical metadata, routed through two levels of gates.

    `model(images, metadata)` returns (B, C) logits; `model(images, metadata, return_trace=True)` returns an
    `MHDFOutput` whose `trace` records every gate weight and attention map that produced them. What the GM-MoE
    head reads depends on the variant (see `mhdf.config.VARIANTS`); for the full model it is the gated local
    vector of every LC-MoE block, so the clinical data reach the head through the local experts.
    """

    def __init__(self, config: MHDFConfig, pretrained: bool = False) -> None:
        super().__init__()
        self.config = config
        self.schema = config.schema
        self.backbone = StagedBackbone(config.backbone, config.fusion_stages, pretrained) if config.uses_image else None
        self.field_tokenizer = (
            FieldTokenizer(self.schema, config.token_dim, config.field_dropout) if config.uses_metadata else None
        )
        channels = self.backbone.channels if self.backbone is not None else []
        self.lc_moe = build_lc_moe(channels, config)
        # several views share the backbone and LC-MoE blocks above (the first view's), or each further view has its own
        self.view_branches = (
            nn.ModuleDict({view: ViewBranch(config, pretrained) for view in config.image_views[1:]})
            if config.multi_view and config.separate_view_backbones
            else None
        )
        # the fusing variants hand the head their local vectors; the others (and, optionally, the fusing ones
        # too) the pooled stage maps
        self.reads_stage_maps = bool(channels) and (not config.fuses_stages or config.gm_reads_stage_maps)
        # late-fusion baselines hand the pooled field tokens to the head as one more "scale"
        self.pools_metadata = config.variant in ("concat", "meta-only")
        # the head inputs of one view; the GM-MoE reads those of every view, then the pooled metadata
        self.view_inputs = [config.token_dim] * len(self.lc_moe) + (channels if self.reads_stage_maps else [])
        self.views = list(config.image_views) if config.uses_image else []
        # a learned stand-in for each head input of a view whose photo a case lacks, so the head never reads zeros
        # and tells "no photo" from a black photo
        self.missing_view = (
            nn.ParameterDict({view: nn.Parameter(torch.randn(sum(self.view_inputs)) * 0.02) for view in self.views})
            if config.multi_view
            else None
        )
        head_inputs = self.view_inputs * len(self.views) + ([config.token_dim] if self.pools_metadata else [])
        self.head_input_views = [view for view in self.views for _ in self.view_inputs]
        self.head_input_views += [RECORD_INPUT] if self.pools_metadata else []
        self.gm_moe = GMMoE(head_inputs, config)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def set_gate_temperature(self, temperature: float) -> None:
        """Sets the softmax temperature of every LC-Gate and the GM-Gate (and the config that is saved with them)."""
        if temperature <= 0:
            raise ValueError(f"gate temperature must be > 0, got {temperature}")
        self.config.gate_temperature = temperature
        for module in self.modules():
            if isinstance(module, (LCGate, GMMoE)):
                module.temperature = temperature

    def encode_metadata(self, records: Sequence[Mapping[str, Any]], canonical: bool = False) -> torch.Tensor:
        """Raw clinical records (CSV-style values allowed) -> (B, F) float tensor; raises ValueError on bad input.
        `canonical`: the records come from `schema.validate` / `normalize` and are encoded without a second check."""
        return torch.from_numpy(self.schema.encode_batch(records, canonical)).to(self.device)

    def view_photos(self, images: torch.Tensor | Mapping[str, torch.Tensor | None] | None) -> dict:
        """The photos of a forward pass by view name (None for a view no case of the batch has); {} for a model that
        reads no photo. A single-view model takes a plain tensor (or a one-entry dict), a multi-view one a dict."""
        if not self.views:
            return {}
        if not isinstance(images, Mapping):
            if self.config.multi_view:
                raise ValueError(f"this model reads {len(self.views)} photos: pass a dict of {', '.join(self.views)}")
            return {self.views[0]: images}
        if unknown := sorted(set(images) - set(self.views)):
            raise ValueError(f"unknown photo view {unknown[0]!r}; this model's views are {', '.join(self.views)}")
        photos = {view: images.get(view) for view in self.views}
        if all(photo is None for photo in photos.values()):
            raise ValueError(f"no photo given: pass at least one of {', '.join(self.views)}")
        return photos

    def present_views(self, photos: Mapping[str, torch.Tensor | None], view_mask: torch.Tensor | None, batch: int):
        """(B, V) bool: which photos each case has. A view given as None is absent for every case; `view_mask`
        (B, V) marks the absent ones of a mixed batch; in training, view dropout drops more (never a case's last)."""
        present = torch.tensor([photo is not None for photo in photos.values()], dtype=torch.bool, device=self.device)
        present = present.expand(batch, -1)
        if view_mask is not None:
            if tuple(view_mask.shape) != tuple(present.shape):
                raise ValueError(f"view_mask must have shape {tuple(present.shape)}, got {tuple(view_mask.shape)}")
            present = present & view_mask.to(device=self.device, dtype=torch.bool)
        if self.training and self.config.view_dropout > 0:
            present = drop_views(present, self.config.view_dropout)
        if self.config.multi_view and not present.any(dim=1).all():
            raise ValueError("every case needs at least one photo; a case has none of " + ", ".join(self.views))
        return present

    def view_branch(self, view: str) -> tuple[StagedBackbone, nn.ModuleList]:
        """The backbone and LC-MoE blocks that read this view's photo."""
        if self.view_branches is None or view not in self.view_branches:
            return self.backbone, self.lc_moe
        return self.view_branches[view].backbone, self.view_branches[view].lc_moe

    def missing_features(self, view: str, batch: int) -> list[torch.Tensor]:
        """The view's learned "missing photo" head inputs, (B, D_i) each."""
        return [vector.expand(batch, -1) for vector in self.missing_view[view].split(self.view_inputs)]

    def view_pass(
        self,
        view: str,
        photo: torch.Tensor | None,
        rows: torch.Tensor | None,
        field_tokens: torch.Tensor | None,
        batch: int,
        overrides: RoutingOverrides,
        grad_from_stage: int | None,
    ) -> ViewPass:
        """One view through its backbone, fused with the field tokens stage by stage. `rows`: the cases that
        have this photo (None: every case); only those run, the others get the view's missing vectors."""
        if photo is None or (rows is not None and len(rows) == 0):
            return ViewPass(self.missing_features(view, batch), [], [])
        if rows is not None:
            photo = photo.expand(batch, -1, -1, -1)[rows]
            field_tokens = field_tokens[rows] if field_tokens is not None else None
        backbone, lc_moe = self.view_branch(view)
        stages = StageFusion(lc_moe, field_tokens, batch if rows is None else len(rows), overrides, grad_from_stage)
        with backbone.rewriting(stages):
            backbone(photo)
        if len(stages.stage_maps) != len(self.config.fusion_stages):
            raise RuntimeError(
                f"stage hooks fired {len(stages.stage_maps)} times, expected {len(self.config.fusion_stages)}"
            )
        features = [fusion.local_vector for fusion in stages.fusions]
        if self.reads_stage_maps:  # recorded for Grad-CAM too: the head reads the last map through its mean
            with torch.enable_grad() if grad_from_stage is not None else contextlib.nullcontext():
                features += [stage_map.mean(dim=(2, 3)) for stage_map in stages.stage_maps]
        if rows is None:
            return ViewPass(features, stages.fusions, stages.stage_maps)
        missing = self.missing_features(view, batch)
        return ViewPass(
            [m.to(f.dtype).index_copy(0, rows, f) for m, f in zip(missing, features, strict=True)],
            [scatter_fusion(fusion, rows, batch) for fusion in stages.fusions],
            [nan_rows(stage_map, rows, batch) for stage_map in stages.stage_maps],
        )

    def forward(
        self,
        images: torch.Tensor | Mapping[str, torch.Tensor | None] | None,
        metadata: torch.Tensor | None,
        return_trace: bool = False,
        overrides: RoutingOverrides | None = None,
        grad_from_last_stage: bool = False,
        view_mask: torch.Tensor | None = None,
    ) -> torch.Tensor | MHDFOutput:
        """(B, 3, H, W) images, (B, F) encoded metadata -> (B, C) logits, or MHDFOutput with return_trace.

        A multi-view model (`config.image_views`) takes a dict view name -> (B, 3, H, W) photos, None for a view
        no case of the batch has, and `view_mask` (B, V) bool for a batch whose cases have different photos
        (False: this case lacks this photo). Every case needs at least one photo.

        One photo (B = 1) with several records (B rows of metadata) runs the backbone up to the first fused stage
        once and continues with B rows from there: what comes before the first fusion depends on the photo only.
        `grad_from_last_stage` (under `torch.no_grad()`) records autograd from the last stage's input map on, so
        Grad-CAM differentiates the logits with respect to the last stage map without a second pass.
        """
        overrides = overrides or RoutingOverrides()
        overrides.check(self.config.experts, self.config.num_fused_stages)
        field_tokens = self.field_tokenizer(metadata) if self.field_tokenizer is not None else None
        photos = self.view_photos(images)
        given = [photo for photo in photos.values() if photo is not None]
        batch = metadata.shape[0] if metadata is not None else max(photo.shape[0] for photo in given)
        present = self.present_views(photos, view_mask, batch)
        # the cases that have each photo; None (every case) keeps the one-view pass free of any gather
        rows = [None if self.missing_view is None or bool(has.all()) else has.nonzero().squeeze(1) for has in present.T]
        grad_from_stage = len(self.config.fusion_stages) - 1 if grad_from_last_stage else None

        passes = [
            self.view_pass(view, photos[view], rows[index], field_tokens, batch, overrides, grad_from_stage)
            for index, view in enumerate(self.views)
        ]
        features = [vector for view_pass in passes for vector in view_pass.features]
        if self.pools_metadata:
            features.append(field_tokens.mean(dim=1))

        with torch.enable_grad() if grad_from_last_stage else contextlib.nullcontext():
            head = self.gm_moe(features, overrides, split_router=return_trace)
        if not return_trace:
            return head.logits
        passes = with_absent_views(passes)
        fusions = [fusion for view_pass in passes for fusion in view_pass.fusions]
        stage_maps = [stage_map for view_pass in passes for stage_map in view_pass.stage_maps]
        trace = routing_trace(fusions, head, self.views, present, self.head_input_views)
        return MHDFOutput(head.logits, trace, stage_maps, head.fused)

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ) -> "MHDFNet":
        """Weights from safetensors only: a checkpoint never gets to unpickle anything. The modules are built on the
        meta device and materialised empty, as the checkpoint overwrites every weight: a normal build would
        allocate and initialise layers that are thrown away (timm's VGG-16 builds its 102M-parameter pre-logits
        MLP before `features_only` drops it: 0.4 GB more peak memory on a 2-core Space)."""
        model = _build_empty(cls, model_kwargs, torch.device(map_location))
        if os.path.isdir(model_id):
            weights = os.path.join(model_id, WEIGHTS_NAME)
        else:
            weights = hf_hub_download(
                model_id,
                WEIGHTS_NAME,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                local_files_only=local_files_only,
                token=token,
            )
        if strict and (mismatches := weight_mismatches(model, weights)):
            shown = "; ".join(mismatches[:3]) + ("; …" if len(mismatches) > 3 else "")
            raise ValueError(
                f"{weights}: {len(mismatches)} tensors do not match the model its config describes ({shown})"
            )
        safetensors.torch.load_model(model, weights, strict=strict, device=str(map_location))
        return model.eval()


def weight_mismatches(model: nn.Module, weights: str | os.PathLike) -> list[str]:
    """How the tensors of a safetensors file differ from `model`'s state dict, one phrase per tensor: a shape that
    differs, a tensor the file lacks or one the model has no place for. Reads the file's header only."""
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    with safetensors.safe_open(weights, framework="pt") as file:
        found = {name: tuple(file.get_slice(name).get_shape()) for name in file.keys()}  # noqa: SIM118
    mismatches = [
        f"{name}: {list(found[name])} in the file, {list(shape)} in the model"
        for name, shape in expected.items()
        if name in found and found[name] != shape
    ]
    mismatches += [f"{name}: missing from the file" for name in expected if name not in found]
    return mismatches + [f"{name}: not in the model" for name in found if name not in expected]


def _build_empty(cls: type[MHDFNet], model_kwargs: dict[str, Any], device: torch.device) -> MHDFNet:
    """`cls(**model_kwargs)` with uninitialised weights on `device`, and its computed (non-persistent) buffers
    recomputed. A model with a computed buffer that its module cannot recompute is built normally instead."""
    with torch.device("meta"):
        model = cls(**model_kwargs)
    saved = set(model.state_dict())
    for name, _ in model.named_buffers():
        if name not in saved and not hasattr(model.get_submodule(name.rpartition(".")[0]), INIT_BUFFERS):
            return cls(**model_kwargs).to(device)
    model.to_empty(device=device)
    for module in model.modules():
        if hasattr(module, INIT_BUFFERS):
            getattr(module, INIT_BUFFERS)()
    return model
