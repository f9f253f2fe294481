"""Top-k Cross-Attention (TKCA): cross-attention where each query keeps only its k strongest keys."""

from __future__ import annotations

import torch
from torch import nn


def top_k_attention(q: torch.Tensor, k: torch.Tensor, top_k: int | None) -> torch.Tensor:
    """(B, heads, Q, d) queries, (B, heads, K, d) keys -> (B, heads, Q, K) attention weights.

    Only the `top_k` largest scores of each query survive the softmax (all of them when top_k is None).
    """
    scores = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
    if top_k is not None and top_k < scores.shape[-1]:
        # scatter (not a threshold) keeps exactly k keys per query, even when scores tie
        kept_scores, kept_index = scores.topk(top_k, dim=-1)
        scores = torch.full_like(scores, float("-inf")).scatter(-1, kept_index, kept_scores)
    return scores.softmax(dim=-1)


class BidirectionalTKCA(nn.Module):
    """The two parallel TKCA branches of an LC-MoE block.

    Branch A: field tokens query image tokens (which lesion regions does each clinical field look at?).
    Branch B: image tokens query field tokens (which clinical fields does each region look at?).
    Sparse attention keeps the maps readable: a field attends to a few regions, not to everything.
    Each token set is projected once for both branches (queries of one, keys/values of the other), which
    halves the small-matrix calls that dominate batch-1 latency.
    """

    def __init__(self, dim: int, num_heads: int, top_k: int | None) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.top_k = top_k
        self.meta_qkv = nn.Linear(dim, 3 * dim)
        self.image_qkv = nn.Linear(dim, 3 * dim)
        self.meta_out = nn.Linear(dim, dim)
        self.image_out = nn.Linear(dim, dim)

    def _heads(self, tokens: torch.Tensor, proj: nn.Linear) -> torch.Tensor:
        """(B, T, D) -> (3, B, heads, T, D / heads): query, key, value."""
        batch, length, dim = tokens.shape
        return proj(tokens).view(batch, length, 3, self.num_heads, dim // self.num_heads).permute(2, 0, 3, 1, 4)

    def forward(
        self, meta_tokens: torch.Tensor, image_tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, F, D) field tokens, (B, N, D) image tokens ->
        mean attended field token (B, D), mean attended image token (B, D),
        meta_to_image attention (B, heads, F, N), image_to_meta attention (B, heads, N, F).

        LC-MoE only uses the attended tokens' mean, and averaging commutes with the value product and the
        output projection, so the mean is taken first: the same result without an (N, D) x (D, D) matmul.
        """
        meta_q, meta_k, meta_v = self._heads(meta_tokens, self.meta_qkv)
        image_q, image_k, image_v = self._heads(image_tokens, self.image_qkv)
        meta_to_image = top_k_attention(meta_q, image_k, self.top_k)
        image_to_meta = top_k_attention(image_q, meta_k, self.top_k)
        fields = meta_tokens.mean(1) + self.meta_out(_pooled_values(meta_to_image, image_v))
        pixels = image_tokens.mean(1) + self.image_out(_pooled_values(image_to_meta, meta_v))
        return fields, pixels, meta_to_image, image_to_meta


def _pooled_values(attention: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(B, heads, Q, K) attention, (B, heads, K, d) values -> (B, heads * d): the queries' mean output."""
    return (attention.mean(dim=2, keepdim=True) @ values).flatten(1)
