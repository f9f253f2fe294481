"""LC-MoE: the local fusion block run after a backbone stage (two TKCA branches, LC-Gate, channel recalibration).

Each block has two outputs, as in the paper: the recalibrated stage map, which the next backbone stage reads, and
the gated local vector, which the GM-MoE reads (the local -> global hierarchy).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mhdf.config import MHDFConfig
from mhdf.routing import LC_PATHS, gate_weights
from mhdf.tkca import BidirectionalTKCA


@dataclass
class LCMoEOutput:
    feature_map: torch.Tensor  # (B, C, H, W) recalibrated map, fed to the next backbone stage
    local_vector: torch.Tensor  # (B, D) LC-Gate-weighted sum of the two paths, fed to the GM-MoE
    lc_gate: torch.Tensor  # (B, 2) weights of [image path, fused path]
    channel_attention: torch.Tensor  # (B, C) sigmoid attention; the map is scaled by 2 * attention
    meta_to_image: torch.Tensor  # (B, heads, F, N) field queries over image tokens
    image_to_meta: torch.Tensor  # (B, heads, N, F) image-token queries over fields
    grid: tuple[int, int]  # (h, w) of the N image tokens


class LCGate(nn.Module):
    """Softmax over [image path, fused path] from both paths' pooled vectors.

    The `no-lcgate` ablation replaces the router with fixed equal weights.
    """

    def __init__(self, config: MHDFConfig) -> None:
        super().__init__()
        self.temperature = config.gate_temperature
        self.hard = config.hard_gate
        self.router = nn.Linear(2 * config.token_dim, 2) if config.variant != "no-lcgate" else None

    def forward(self, image_path: torch.Tensor, fused_path: torch.Tensor, forced_path: str | None) -> torch.Tensor:
        """(B, D), (B, D) -> (B, 2)."""
        forced = LC_PATHS.index(forced_path) if forced_path is not None else None
        if self.router is None:
            logits = torch.zeros(image_path.shape[0], 2, device=image_path.device, dtype=image_path.dtype)
            return gate_weights(logits, 1.0, hard=False, forced=forced)
        logits = self.router(torch.cat([image_path, fused_path], dim=-1))
        return gate_weights(logits, self.temperature, self.hard, forced=forced)


class LCMoE(nn.Module):
    """Fuse one stage's feature map with the field tokens and recalibrate the map's channels.

    The fused path is the cross-attended image + field vector; it sets the channel gains, as the concatenated
    TKCA outputs do in the authors' code, so the gains do not depend on the LC-Gate. The image path is the
    recalibrated map itself, pooled and projected: the stage's own features, on which the clinical data act
    only through the gains. The LC-Gate mixes the two paths into the local vector the GM-MoE reads.
    """

    def __init__(self, in_channels: int, config: MHDFConfig) -> None:
        super().__init__()
        dim = config.token_dim
        self.max_grid = config.max_grid
        self.image_proj = nn.Linear(in_channels, dim)  # a 1x1 convolution, as a matmul over the pixel tokens
        self.image_norm = nn.LayerNorm(dim)
        self.tkca = BidirectionalTKCA(dim, config.num_heads, config.attention_top_k)
        self.fuse = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU())
        self.gate = LCGate(config)
        self.channel_attention = nn.Linear(dim, in_channels)

    def forward(
        self, feature_map: torch.Tensor, field_tokens: torch.Tensor, forced_path: str | None = None
    ) -> LCMoEOutput:
        """(B, C, H, W) map, (B, F, D) field tokens -> LCMoEOutput."""
        height, width = feature_map.shape[-2:]
        grid = (min(height, self.max_grid), min(width, self.max_grid))
        # pooling before the 1x1 projection is the same linear map on fewer pixels: early, large stages stay cheap
        pooled = F.adaptive_avg_pool2d(feature_map, grid) if grid != (height, width) else feature_map
        image_tokens = self.image_norm(self.image_proj(pooled.flatten(2).transpose(1, 2)))  # (B, N, D)
        fields_attended, pixels_attended, meta_to_image, image_to_meta = self.tkca(field_tokens, image_tokens)
        fused_path = self.fuse(torch.cat([fields_attended, pixels_attended], dim=-1))
        attention = torch.sigmoid(self.channel_attention(fused_path))
        # 2 * sigmoid is ~1 for an untrained block, so a pretrained backbone's activations survive the insertion
        gains = 2.0 * attention
        recalibrated = feature_map * gains[:, :, None, None].to(feature_map.dtype)
        # pooled from the recalibrated tensor itself, so Grad-CAM on the map the next stage reads sees the head
        image_path = self.image_norm(self.image_proj(recalibrated.mean(dim=(2, 3))))
        weights = self.gate(image_path, fused_path, forced_path)
        local_vector = weights[:, :1] * image_path + weights[:, 1:] * fused_path
        return LCMoEOutput(recalibrated, local_vector, weights, attention, meta_to_image, image_to_meta, grid)
