"""MHDFConfig: the one dataclass every MHDF-Net module is built from (saved as a checkpoint's config.json)."""

from __future__ import annotations

from dataclasses import dataclass

import timm

from mhdf.metadata import MetadataSchema, get_schema

# The paper's model and the baselines / ablations of its Table 4, selected by `variant`.
VARIANTS = ("mhdf", "image-only", "meta-only", "concat", "no-topk", "no-lcgate", "no-gmmoe")


@dataclass
class MHDFConfig:
    backbone: str = "resnet18"
    num_classes: int = 6
    class_names: list[str] | None = None
    schema_name: str = "pad-ufes-20"
    metadata_schema: dict | None = None  # the full schema, so a checkpoint describes its own input form
    variant: str = "mhdf"
    num_stages: int = 4  # LC-MoE blocks after the last `num_stages` backbone stages
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
        if self.top_k < 1 or self.num_experts < 1 or self.num_stages < 1:
            raise ValueError("top_k, num_experts and num_stages must be >= 1")
        if self.token_dim % self.num_heads:
            raise ValueError(f"token_dim={self.token_dim} is not divisible by num_heads={self.num_heads}")
        if not 0 <= self.field_dropout < 1:
            raise ValueError(f"field_dropout must lie in [0, 1), got {self.field_dropout}")
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
    def fuses_stages(self) -> bool:
        """Whether LC-MoE blocks fuse metadata into the backbone stage by stage."""
        return self.variant in ("mhdf", "no-topk", "no-lcgate", "no-gmmoe")

    @property
    def attention_top_k(self) -> int | None:
        """k for TKCA; None means dense attention (the `no-topk` ablation)."""
        return None if self.variant == "no-topk" else self.top_k

    @property
    def experts(self) -> int:
        return 1 if self.variant == "no-gmmoe" else self.num_experts
