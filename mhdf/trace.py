"""What a traced forward pass returns: logits beside an exact record of how each sample was routed."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class RoutingTrace:
    """Per-sample routing of one batch (B samples, S fused stages, E experts, C classes, F fields)."""

    lc_gate: torch.Tensor  # (B, S, 2) LC-Gate weights [image path, fused path] per stage
    gm_gate: torch.Tensor  # (B, E) GM-Gate weights
    expert_logits: torch.Tensor  # (B, E, C) each expert's gated contribution to the logits
    logit_bias: torch.Tensor  # (C,) classifier bias: expert_logits.sum(1) + logit_bias == logits
    # one dict per stage: "meta_to_image" (B, heads, F, N), "image_to_meta" (B, heads, N, F), "grid" (h, w)
    tkca: list[dict]
    channel_attention: list[torch.Tensor]  # per stage (B, C_i); the stage map is scaled by 2 * attention


@dataclass
class MHDFOutput:
    logits: torch.Tensor  # (B, C)
    trace: RoutingTrace
    stage_maps: list[torch.Tensor]  # per stage (B, C_i, H_i, W_i) as fed onwards (Grad-CAM reads the last)
    fused: torch.Tensor  # (B, H) the head's fused feature vector (`GMMoEOutput.fused`)
