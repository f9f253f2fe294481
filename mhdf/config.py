"""MHDFConfig: the one dataclass every MHDF-Net module is built from (saved as a checkpoint's config.json)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import timm

from mhdf.metadata import MetadataSchema, get_schema

# The paper's model and the baselines / ablations of its Table 4, selected by `variant`. What each one hands the
# GM-MoE head (S = len(fusion_stages), D = token_dim):
#   mhdf       S gated LC-MoE vectors (D each), the paper's local -> global hierarchy
#   no-topk    the same, with dense instead of top-k cross-attention in every LC-MoE
#   no-lcgate  the same, with the LC-Gate fixed at 0.5 / 0.5 instead of routed
#   no-gmmoe   the same, read by one expert without a GM-Gate
#   concat     S globally pooled backbone stage maps and the mean field token (late fusion, no LC-MoE)
#   image-only S globally pooled backbone stage maps
#   meta-only  the mean field token
VARIANTS = ("mhdf", "image-only", "meta-only", "concat", "no-topk", "no-lcgate", "no-gmmoe")
FUSING_VARIANTS = ("mhdf", "no-topk", "no-lcgate", "no-gmmoe")

# The photos of a case. One view is the paper's model; two views pair a clinical close-up with a dermoscopic image
# (Derm7pt, MILK10k), which goes beyond the paper (docs/two-views.md). A view name is also a form label, a CLI
# `--image VIEW=PATH` key and a batch-table column suffix (`image_<view>`), hence the narrow spelling.
DEFAULT_VIEW = "image"
TWO_VIEWS = ("clinical", "dermoscopic")
VIEW_NAME = re.compile(r"[a-z][a-z0-9_]*")

# Model settings of each preset; `fast` is MHDFConfig's own defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {},
    # The published model as the authors' code builds it: VGG-16 with LC-MoE fusion after blocks 2-5, TKCA
    # with k=12 and 8 heads at width 128, four GM experts, DiffSoftmax gates (softmax with a temperature and
    # a straight-through hard option, soft at temperature 1 in training), 224-pixel inputs.
    "paper": {
        "backbone": "vgg16",
        # timm's VGG-16 features 1-4 are the last ReLU of blocks 2-5 (128/256/512/512 channels), just before
        # each block's max-pool. Channel gains in (0, 2) commute with a max-pool, so the map the next block
        # reads is the one the authors' fusion after the pool gives.
        "fusion_stages": [1, 2, 3, 4],
        "image_size": 224,
        "top_k": 12,
        "num_heads": 8,
        "token_dim": 128,
        "num_experts": 4,
        "expert_hidden": 128,  # the width of each expert's output, which the authors' classifier reads
        "gate_temperature": 1.0,
        "hard_gate": False,
    },
}

# The settings that shape the weights: a checkpoint's config.json must state them, since a default would build
# another network than the one its weights belong to. Every other field may be left out (older checkpoints lack
# later ones) and takes its default.
ARCHITECTURE_KEYS = (
    "backbone",
    "variant",
    "num_classes",
    "fusion_stages",
    "token_dim",
    "num_heads",
    "num_experts",
    "expert_hidden",
)


@dataclass
class MHDFConfig:
    backbone: str = "resnet18"
    num_classes: int = 6
    class_names: list[str] | None = None
    schema_name: str = "pad-ufes-20"
    metadata_schema: dict | None = None  # the full schema, so a checkpoint describes its own input form
    variant: str = "mhdf"
    # timm feature indices (`features_only` out_indices, negative counts from the end) that get an LC-MoE, or
    # whose pooled maps the non-fusing variants read; the backbone is cut after the last one
    fusion_stages: list[int] = field(default_factory=lambda: [-4, -3, -2, -1])
    gm_reads_stage_maps: bool = False  # also hand the GM-MoE each fused stage's pooled map (not the paper's)
    token_dim: int = 64
    num_heads: int = 2
    top_k: int = 8  # TKCA k: scores kept per query before the softmax
    max_grid: int = 14  # image tokens per side; larger maps are average-pooled to this grid first
    num_experts: int = 4
    expert_hidden: int = 256
    gate_temperature: float = 1.0
    hard_gate: bool = False  # straight-through top-1 routing in both gates
    image_size: int | None = None  # None: the backbone's timm default
    mean: list[float] | None = None
    std: list[float] | None = None
    interpolation: str | None = None
    crop_pct: float | None = None
    dropout: float = 0.1
    field_dropout: float = 0.0  # training only: each field token becomes its field's "missing" token with this rate
    # the photos each case has, by name; more than one: the model reads a dict of photos (see MHDFNet.forward)
    image_views: list[str] = field(default_factory=lambda: [DEFAULT_VIEW])
    separate_view_backbones: bool = False  # one backbone and LC-MoE blocks per view instead of shared ones
    view_dropout: float = 0.0  # training only: each photo of a case is marked missing with this rate (one is kept)
    training_data: str = "untrained"  # shown next to every prediction
    synthetic_data: bool = False

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.metadata_schema is None:
            self.metadata_schema = get_schema(self.schema_name).to_dict()
        if self.class_names is None:
            classes = list(self.schema.classes)
            self.class_names = classes if len(classes) == self.num_classes else None
        if self.class_names is None:
            self.class_names = [f"class_{i}" for i in range(self.num_classes)]
        if len(self.class_names) != self.num_classes:
            raise ValueError(f"{len(self.class_names)} class_names given for num_classes={self.num_classes}")
        if self.top_k < 1 or self.num_experts < 1 or not self.fusion_stages:
            raise ValueError("top_k and num_experts must be >= 1 and fusion_stages must name at least one stage")
        if len(set(self.fusion_stages)) != len(self.fusion_stages):
            raise ValueError(f"fusion_stages must not repeat a stage, got {self.fusion_stages}")
        if self.token_dim % self.num_heads:
            raise ValueError(f"token_dim={self.token_dim} is not divisible by num_heads={self.num_heads}")
        if not 0 <= self.field_dropout < 1:
            raise ValueError(f"field_dropout must lie in [0, 1), got {self.field_dropout}")
        self._check_views()
        if self.gate_temperature <= 0:
            raise ValueError(f"gate_temperature must be > 0, got {self.gate_temperature}")
        if self.uses_image:
            data_cfg = timm.get_pretrained_cfg(self.backbone)
            if data_cfg is None:
                raise ValueError(f"timm does not know the backbone {self.backbone!r}")
            self.image_size = self.image_size or data_cfg.input_size[-1]
            self.mean = list(self.mean or data_cfg.mean)
            self.std = list(self.std or data_cfg.std)
            self.interpolation = self.interpolation or data_cfg.interpolation or "bilinear"
            self.crop_pct = self.crop_pct or data_cfg.crop_pct or 1.0

    def _check_views(self) -> None:
        self.image_views = list(self.image_views)
        if not self.image_views or len(set(self.image_views)) != len(self.image_views):
            raise ValueError(f"image_views must name at least one view, none twice, got {self.image_views}")
        if bad := [view for view in self.image_views if not VIEW_NAME.fullmatch(view)]:
            raise ValueError(f"view name {bad[0]!r}: use lower-case letters, digits and _, starting with a letter")
        if not 0 <= self.view_dropout < 1:
            raise ValueError(f"view_dropout must lie in [0, 1), got {self.view_dropout}")
        if self.multi_view and not self.uses_image:
            raise ValueError(f"the {self.variant} variant reads no photo, so it cannot have several image_views")

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> MHDFConfig:
        """A preset's model settings, with `overrides` on top: `from_preset("paper", backbone="resnet50")`.

        The paper preset's fusion stages are VGG-16 blocks; with another backbone (and no fusion_stages given)
        its last four stages are fused, as for any other model.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        settings = dict(PRESETS[name])
        if "backbone" in overrides and "fusion_stages" not in overrides:
            settings.pop("fusion_stages", None)
        return cls(**{**settings, **overrides})

    @property
    def schema(self) -> MetadataSchema:
        return MetadataSchema.from_dict(self.metadata_schema)

    @property
    def uses_image(self) -> bool:
        return self.variant != "meta-only"

    @property
    def uses_metadata(self) -> bool:
        return self.variant != "image-only"

    @property
    def multi_view(self) -> bool:
        """Whether a case has several photos (a dict of views in, a learned "missing photo" vector per view)."""
        return len(self.image_views) > 1

    @property
    def fuses_stages(self) -> bool:
        """Whether LC-MoE blocks fuse metadata into the backbone stage by stage."""
        return self.variant in FUSING_VARIANTS

    @property
    def num_fused_stages(self) -> int:
        """LC-MoE blocks in the model: one per fusion stage, none for concat, image-only and meta-only."""
        return len(self.fusion_stages) if self.fuses_stages else 0

    @property
    def attention_top_k(self) -> int | None:
        """k for TKCA; None means dense attention (the `no-topk` ablation)."""
        return None if self.variant == "no-topk" else self.top_k

    @property
    def experts(self) -> int:
        return 1 if self.variant == "no-gmmoe" else self.num_experts
