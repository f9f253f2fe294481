"""What a traced forward pass returns: logits beside an exact record of how each sample was routed."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class RoutingTrace:
    """Per-sample routing of one batch (B samples, V photo views, S fused stages, E experts, C classes, F fields).

    The LC-MoE entries run over V * S blocks, view by view (view v's stage s is block v * S + s; V = 1 for the
    paper's one-photo model). A case without a view's photo has NaN in that view's blocks: no block saw it.
    """

    lc_gate: torch.Tensor  # (B, V * S, 2) LC-Gate weights [image path, fused path] per view and stage
    gm_gate: torch.Tensor  # (B, E) GM-Gate weights
    expert_logits: torch.Tensor  # (B, E, C) each expert's gated contribution to the logits
    logit_bias: torch.Tensor  # (C,) classifier bias: expert_logits.sum(1) + logit_bias == logits
    # one dict per stage: "meta_to_image" (B, heads, F, N), "image_to_meta" (B, heads, N, F), "grid" (h, w)
    tkca: list[dict]
    channel_attention: list[torch.Tensor]  # per block (B, C_i); the stage map is scaled by 2 * attention
    views: tuple[str, ...] = ()  # the model's view names, in block order
    view_present: torch.Tensor | None = None  # (B, V) bool: which photos each case had
    # (B, K, E) each GM-MoE head input's exact term in the GM-Gate's router logits (`GMMoEOutput.router_terms`);
    # the head inputs run view by view, the pooled record last when the variant has it; None with one expert
    gm_router_terms: torch.Tensor | None = None
    gm_input_views: tuple[str, ...] = ()  # the view each head input comes from ("record": the pooled record), K names

    @property
    def stages_per_view(self) -> int:
        return len(self.tkca) // max(len(self.views), 1)

    def block(self, view: int, stage: int) -> int:
        """Index into lc_gate's second axis, tkca and channel_attention of one view's stage."""
        return view * self.stages_per_view + stage


@dataclass
class MHDFOutput:
    logits: torch.Tensor  # (B, C)
    trace: RoutingTrace
    # per block (B, C_i, H_i, W_i) as fed onwards (Grad-CAM reads the last); NaN rows for a missing photo
    stage_maps: list[torch.Tensor]
    fused: torch.Tensor  # (B, H) the head's fused feature vector (`GMMoEOutput.fused`)
