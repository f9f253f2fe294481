"""GM-MoE: the global mixture of multi-scale experts that turns the stage features into class logits."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mhdf.config import MHDFConfig
from mhdf.routing import RoutingOverrides, gate_weights


@dataclass
class GMMoEOutput:
    logits: torch.Tensor  # (B, C) == expert_logits.sum(1) + logit_bias, bit for bit
    gm_gate: torch.Tensor  # (B, E)
    expert_logits: torch.Tensor  # (B, E, C) each expert's gated contribution to the logits
    logit_bias: torch.Tensor  # (C,)
    fused: torch.Tensor  # (B, H) the gated mix of the experts' hidden vectors: what the linear classifier reads
    # (B, K, E) each head input's term in the GM-Gate's router logits: the router is linear, so these terms plus its
    # bias sum to the logits the gate reads; None with a single expert (no router) or unless asked for
    router_terms: torch.Tensor | None = None


class ExpertBank(nn.Module):
    """E two-layer MLP experts evaluated together: (B, J) -> (B, E, H).

    One batched matmul per layer instead of E small ones, because call overhead, not arithmetic, dominates
    at batch 1 on a CPU.
    """

    def __init__(self, num_experts: int, in_dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(num_experts, in_dim, hidden))
        self.b1 = nn.Parameter(torch.zeros(num_experts, 1, hidden))
        self.w2 = nn.Parameter(torch.empty(num_experts, hidden, hidden))
        self.b2 = nn.Parameter(torch.zeros(num_experts, 1, hidden))
        self.dropout = nn.Dropout(dropout)
        for weight in (self.w1, self.w2):  # nn.Linear's default initialisation, per expert
            bound = weight.shape[1] ** -0.5
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout(nn.functional.gelu(torch.baddbmm(self.b1, x.expand(len(self.w1), -1, -1), self.w1)))
        return torch.baddbmm(self.b2, hidden, self.w2).transpose(0, 1)


class GMMoE(nn.Module):
    """GM-Gate over E experts, each reading all scales; a gated sum feeds one linear classifier.

    Because the classifier is linear, logits = sum_e g_e * W h_e + b. Computing the logits in exactly that
    form makes the per-expert decomposition in the routing trace exact rather than approximate.
    """

    def __init__(self, in_dims: list[int], config: MHDFConfig) -> None:
        super().__init__()
        dim, hidden = config.token_dim, config.expert_hidden
        self.temperature = config.gate_temperature
        self.hard = config.hard_gate
        self.scale_proj = nn.ModuleList(nn.Sequential(nn.LayerNorm(c), nn.Linear(c, dim)) for c in in_dims)
        joint = dim * len(in_dims)
        # a single expert (the `no-gmmoe` ablation) needs no router
        self.router = nn.Linear(joint, config.experts) if config.experts > 1 else None
        self.experts = ExpertBank(config.experts, joint, hidden, config.dropout)
        self.head_dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(hidden, config.num_classes)

    def forward(
        self, features: list[torch.Tensor], overrides: RoutingOverrides, split_router: bool = False
    ) -> GMMoEOutput:
        """features: one (B, C_i) vector per scale -> GMMoEOutput; `split_router`: also the router's logits term by
        term (`router_terms`, for a trace; training and plain logits skip it)."""
        projected = [proj(f) for proj, f in zip(self.scale_proj, features, strict=True)]
        joint = torch.cat(projected, dim=-1)
        router_terms = None
        if self.router is None:
            gate = joint.new_ones(joint.shape[0], 1)
        else:
            if split_router:
                weight = self.router.weight.view(len(self.router.weight), len(projected), -1)  # (E, K, D)
                router_terms = torch.einsum("bkd,ekd->bke", torch.stack(projected, 1), weight)
            temperature = overrides.gm_temperature or self.temperature
            hard = self.hard if overrides.gm_hard is None else overrides.gm_hard
            gate = gate_weights(
                self.router(joint),
                temperature,
                hard,
                overrides.gm_disabled_experts,
                overrides.gm_forced_expert,
            )
        hidden = self.experts(joint)  # (B, E, H)
        expert_logits = gate.unsqueeze(-1) * nn.functional.linear(self.head_dropout(hidden), self.classifier.weight)
        logits = expert_logits.sum(1) + self.classifier.bias
        # the classifier is linear, so logits == classifier(fused) in eval mode; similar-case search reads it
        fused = (gate.unsqueeze(-1) * hidden).sum(1)
        return GMMoEOutput(logits, gate, expert_logits, self.classifier.bias, fused, router_terms)
