"""Clinical metadata as field tokens: one embedding per field, with a learned "missing" embedding."""

from __future__ import annotations

import torch
from torch import nn

from mhdf.metadata import MetadataSchema


def field_rows(schema: MetadataSchema) -> tuple[list[bool], list[int]]:
    """Per field: whether it is numeric, and its embedding rows (categorical: its values + "missing"; numeric:
    "present" + "missing")."""
    numeric = [spec.kind == "numeric" for spec in schema.fields]
    rows = [2 if is_num else len(spec.values) + 1 for spec, is_num in zip(schema.fields, numeric, strict=True)]
    return numeric, rows


class FieldTokenizer(nn.Module):
    """(B, F) encoded metadata -> (B, F, D) tokens, one per clinical field.

    Input follows `MetadataSchema.encode`: a category index for boolean/categorical fields, the raw value for
    numeric ones, NaN for missing. Each field owns its embedding rows, so attention over tokens is attention
    over fields. Numeric fields add their standardised value along a learned per-field direction.

    `field_dropout`: in training mode, each field of each record is read as missing with this probability, a
    dropout whose "zero" is the field's learned missing token, so the model cannot lean on any one field.
    """

    def __init__(self, schema: MetadataSchema, dim: int, field_dropout: float = 0.0) -> None:
        super().__init__()
        self.schema = schema
        self.field_dropout = field_dropout
        numeric, rows = field_rows(schema)
        for name in ("offsets", "missing_row", "is_numeric", "numeric_index", "center", "scale"):
            self.register_buffer(name, torch.empty(0), persistent=False)
        self.init_non_persistent_buffers()
        self.embedding = nn.Embedding(sum(rows), dim)
        # Derm7pt has no numeric field; a zero-row parameter would be a dead one
        self.numeric_direction = nn.Parameter(torch.randn(sum(numeric), dim) * 0.02) if any(numeric) else None
        self.norm = nn.LayerNorm(dim)

    def init_non_persistent_buffers(self) -> None:
        """(Re)computes the lookup buffers from the schema, on the module's current device. They are derived, not
        learned, so checkpoints leave them out; a model built on the meta device calls this after `to_empty`
        (timm's `reinit_non_persistent_buffers` convention)."""
        device = self.offsets.device
        numeric, rows = field_rows(self.schema)
        self.offsets = torch.tensor([0, *rows[:-1]], device=device).cumsum(0)
        self.missing_row = torch.tensor(rows, device=device) - 1
        self.is_numeric = torch.tensor(numeric, device=device)
        self.numeric_index = torch.tensor([i for i, n in enumerate(numeric) if n], device=device, dtype=torch.long)
        self.center = torch.tensor([s.center for s in self.schema.fields], device=device)
        self.scale = torch.tensor([s.scale for s in self.schema.fields], device=device)

    @property
    def num_fields(self) -> int:
        return len(self.offsets)

    def forward(self, metadata: torch.Tensor) -> torch.Tensor:
        if metadata.ndim != 2 or metadata.shape[1] != self.num_fields:
            raise ValueError(f"metadata must have shape (B, {self.num_fields}), got {tuple(metadata.shape)}")
        missing = metadata.isnan()
        if self.training and self.field_dropout > 0:
            missing = missing | (torch.rand(metadata.shape, device=metadata.device) < self.field_dropout)
        values = metadata.nan_to_num(0.0)  # before any arithmetic, so NaN never reaches a gradient
        row = torch.where(missing, self.missing_row, torch.where(self.is_numeric, 0, values.long()))
        tokens = self.embedding(self.offsets + row)
        if self.numeric_direction is not None:
            standardised = torch.where(missing, 0.0, (values - self.center) / self.scale)[:, self.numeric_index]
            tokens = tokens.index_add(1, self.numeric_index, standardised.unsqueeze(-1) * self.numeric_direction)
        return self.norm(tokens)
