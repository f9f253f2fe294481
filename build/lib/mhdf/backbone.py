"""A timm backbone whose stage outputs can be rewritten in flight (progressive fusion on any timm model)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

import timm
import torch
from torch import nn

StageRewriter = Callable[[int, torch.Tensor], torch.Tensor]

# The rewriter of the forward pass running in this thread / async task. A ContextVar rather than an attribute:
# concurrent forward passes on one model (several users of the demo at once) must not see each other's state.
_active_rewriter: ContextVar[StageRewriter | None] = ContextVar("mhdf_stage_rewriter", default=None)


class StagedBackbone(nn.Module):
    """timm `features_only` backbone whose feature stages `stages` (timm out_indices) can be rewritten.

    timm cuts the network after the last of them, so no layer runs whose output nothing reads.

    A forward hook on each stage's module hands the stage output to the active rewriter and returns what the
    rewriter returns, so the *next* stage consumes the rewritten map. Hooks work the same whether timm wraps the
    model as a module list (ResNet, VGG, ConvNeXt), a custom feature class (EfficientNet, MobileNetV3) or a
    forward_intermediates getter, which a hand-written stage loop would not.
    """

    def __init__(self, name: str, stages: list[int], pretrained: bool = False) -> None:
        super().__init__()
        try:
            self.body = timm.create_model(name, pretrained=pretrained, features_only=True, out_indices=tuple(stages))
        except IndexError as error:
            raise ValueError(f"{name} has no feature stages {stages}: {error}") from error
        info = self.body.feature_info
        self.channels: list[int] = info.channels()
        if len(self.channels) != len(stages):
            raise ValueError(f"{name} exposes {len(self.channels)} of the feature stages {stages}")
        for stage, module_name in enumerate(info.module_name()):
            # prepend: run before any hook timm itself registered to collect features
            self._stage_module(module_name).register_forward_hook(partial(_rewrite_stage, stage), prepend=True)

    def _stage_module(self, module_name: str) -> nn.Module:
        # FeatureListNet flattens "features.3" to "features_3"; getter wrappers keep the model under "model."
        for candidate in (module_name, module_name.replace(".", "_"), f"model.{module_name}"):
            try:
                return self.body.get_submodule(candidate)
            except AttributeError:
                continue
        raise ValueError(f"cannot locate stage module {module_name!r} in the timm feature wrapper")

    @contextmanager
    def rewriting(self, rewriter: StageRewriter) -> Iterator[None]:
        """Within this block, every stage output of this thread's forward passes goes through `rewriter`."""
        token = _active_rewriter.set(rewriter)
        try:
            yield
        finally:
            _active_rewriter.reset(token)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """(B, 3, H, W) -> timm's feature list. Under `rewriting`, read the maps from the rewriter instead:
        wrappers that collect features with hooks of their own may return the maps from before the rewrite."""
        return self.body(images)


def _rewrite_stage(stage: int, module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor | None:
    rewriter = _active_rewriter.get()
    return None if rewriter is None else rewriter(stage, output)
