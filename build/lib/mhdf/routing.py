"""Gate arithmetic shared by the LC-Gate and the GM-Gate, and the per-call routing overrides.

Both gates turn router logits into a softmax over a handful of paths/experts. The overrides let the demo's
teaching tab knock out, force or sharpen a gate for one forward pass without touching the weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

LC_PATHS = ("image", "fused")


@dataclass(frozen=True)
class RoutingOverrides:
    """Interventions applied to one forward pass (never stored on the model, so calls stay independent)."""

    gm_temperature: float | None = None  # replaces config.gate_temperature for the GM-Gate
    gm_hard: bool | None = None  # replaces config.hard_gate for the GM-Gate
    gm_disabled_experts: tuple[int, ...] = ()  # knocked out: weight 0, the others renormalised
    gm_forced_expert: int | None = None  # all weight on one expert
    lc_forced_paths: Mapping[int, str] = field(default_factory=dict)  # stage index -> "image" | "fused"

    def check(self, num_experts: int, num_stages: int) -> None:
        """Raise ValueError when an override cannot apply to a model with these gates."""
        if self.gm_temperature is not None and self.gm_temperature <= 0:
            raise ValueError(f"gm_temperature must be > 0, got {self.gm_temperature}")
        bad = [e for e in self.gm_disabled_experts if not 0 <= e < num_experts]
        if bad:
            raise ValueError(f"expert index {bad[0]} out of range: the model has experts 0..{num_experts - 1}")
        if len(set(self.gm_disabled_experts)) >= num_experts:
            raise ValueError("cannot disable every expert: at least one must stay active")
        if self.gm_forced_expert is not None:
            if not 0 <= self.gm_forced_expert < num_experts:
                raise ValueError(
                    f"forced expert {self.gm_forced_expert} out of range: the model has experts 0..{num_experts - 1}"
                )
            if self.gm_forced_expert in self.gm_disabled_experts:
                raise ValueError(f"expert {self.gm_forced_expert} is both forced and disabled")
        for stage, path in self.lc_forced_paths.items():
            if not 0 <= stage < num_stages:
                raise ValueError(f"stage {stage} out of range: the model has LC-MoE stages 0..{num_stages - 1}")
            if path not in LC_PATHS:
                raise ValueError(f"unknown LC-Gate path {path!r}; choose one of {', '.join(LC_PATHS)}")


def gate_weights(
    logits: torch.Tensor,
    temperature: float,
    hard: bool,
    disabled: tuple[int, ...] = (),
    forced: int | None = None,
) -> torch.Tensor:
    """(B, E) router logits -> (B, E) weights that sum to 1 over E.

    `hard` routes everything to the top expert with a straight-through gradient: the forward value is exactly
    one-hot, the backward pass is the softmax's, so the router keeps learning.
    """
    if forced is not None:
        return F.one_hot(torch.full_like(logits[:, 0], forced, dtype=torch.long), logits.shape[-1]).to(logits)
    logits = logits / temperature
    if disabled:
        knocked_out = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        knocked_out[list(disabled)] = True
        logits = logits.masked_fill(knocked_out, float("-inf"))
    soft = logits.softmax(dim=-1)
    if not hard:
        return soft
    top1 = F.one_hot(soft.argmax(dim=-1), soft.shape[-1]).to(soft)
    return top1 + (soft - soft.detach())  # grouped so the forward value is exactly one-hot
