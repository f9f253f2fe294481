"""`Predictor`: load a checkpoint once, predict from a photo and a clinical record, explain the routing as JSON."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from mhdf.config import MHDFConfig
from mhdf.inference.checkpoint import checkpoint_folder, load_model, read_examples, read_model_card, read_trust
from mhdf.inference.images import ImageSource, load_image
from mhdf.inference.quality import PhotoQuality, assess
from mhdf.inference.similar import CaseSignature, routing_signature
from mhdf.inference.transforms import eval_transform
from mhdf.inference.uncertainty import TrustFiles, stage_features
from mhdf.metadata import Value
from mhdf.model import MHDFNet
from mhdf.routing import RoutingOverrides
from mhdf.trace import MHDFOutput, RoutingTrace


def class_display_name(code: str, class_labels: Mapping[str, str]) -> str:
    """ "Basal cell carcinoma (BCC)"; just the code when it has no longer name."""
    label = class_labels.get(code, code)
    return code if label == code else f"{label} ({code})"


def photo_digest(pixels: torch.Tensor) -> str:
    """A (3, S, S) model input -> the SHA-256 of its values: two files of the same photo (a PNG and its lossless
    copy, the file renamed or re-sent) give one digest, any change of a pixel another."""
    return hashlib.sha256(pixels.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass
class Prediction:
    """One diagnosis: class probabilities and the routing that produced them (a batch-of-one trace), and how far
    to trust them (each part None when the checkpoint lacks its file, see `mhdf.inference.checkpoint`)."""

    model: dict[str, Any]  # name, training_data, synthetic, backbone, variant, schema
    classes: list[str]
    class_labels: dict[str, str]
    probabilities: np.ndarray  # (C,) calibrated when `temperature` is set, else the plain softmax
    logits: np.ndarray  # (C,) before temperature scaling
    record: dict[str, Any]  # the validated clinical record, None = unknown
    field_names: list[str]
    trace: RoutingTrace  # tensors on the CPU, batch dimension of 1
    top_k: int
    temperature: float | None = None
    prediction_set: list[str] | None = None  # the conformal set, most probable first
    set_coverage: float | None = None
    ood: dict[str, Any] | None = None  # {"score", "threshold", "in_distribution"}
    # True: a synthetic-photo model was shown a photo that is none of its examples, so the answer says nothing about
    # it; False: the model learnt from real photos, or the photo is one of its examples; None: the card does not say
    synthetic_model_own_photo: bool | None = None
    # True: the photo is none of the checkpoint's examples (a visitor's own); None: there is no photo
    own_photo: bool | None = None
    fused: np.ndarray | None = None  # (H,) the head's fused feature vector (`MHDFOutput.fused`)
    # the photo-quality verdict (`mhdf.inference.quality`); None when the photo came as a model input already, or for
    # a model without a photo or with several photo views
    quality: PhotoQuality | None = None

    @property
    def calibrated(self) -> bool:
        return self.temperature is not None

    @property
    def in_distribution(self) -> bool | None:
        """False when the photo is unlike the training images; None when the checkpoint cannot tell."""
        return None if self.ood is None else self.ood["in_distribution"]

    @property
    def prediction(self) -> str:
        return self.classes[int(self.probabilities.argmax())]

    @property
    def photos(self) -> dict[str, bool]:
        """Each photo view of the model, and whether this case had its photo ({} for a metadata-only model)."""
        present = self.trace.view_present
        return {view: bool(present[0, i]) for i, view in enumerate(self.trace.views)} if present is not None else {}

    @property
    def missing_photos(self) -> list[str]:
        return [view for view, present in self.photos.items() if not present]

    def case_signature(self) -> CaseSignature:
        """The signature the similar-case index compares: this case's gate weights and fused features."""
        if self.fused is None:
            raise ValueError("this prediction carries no fused feature vector")
        lc_gate, gm_gate = self.trace.lc_gate[0].numpy(), self.trace.gm_gate[0].numpy()
        return CaseSignature(routing_signature(lc_gate, gm_gate), self.fused)

    def attention_map(self, stage: int) -> np.ndarray:
        """(h, w) where the metadata queries looked at this stage: meta->image attention averaged over
        heads and fields (sums to 1)."""
        attention = self.trace.tkca[stage]["meta_to_image"][0].mean(dim=(0, 1))
        return attention.view(*self.trace.tkca[stage]["grid"]).numpy()

    def field_attention(self, stage: int) -> dict[str, float]:
        """How much the image tokens attended to each clinical field at this stage (sums to 1)."""
        weights = self.trace.tkca[stage]["image_to_meta"][0].mean(dim=(0, 1))
        return dict(zip(self.field_names, weights.tolist(), strict=True))

    def top_locations(self, stage: int) -> list[dict[str, float]]:
        """The `top_k` grid cells of `attention_map(stage)`, strongest first."""
        attention = self.attention_map(stage)
        width = attention.shape[1]
        order = np.argsort(attention, axis=None)[::-1][: self.top_k]
        return [{"row": int(i // width), "col": int(i % width), "weight": float(attention.flat[i])} for i in order]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of `python -m mhdf.predict` and of the app's /predict endpoint."""
        trace = self.trace
        return {
            "model": self.model,
            "classes": self.classes,
            "probabilities": dict(zip(self.classes, self.probabilities.tolist(), strict=True)),
            "prediction": self.prediction,
            "uncertainty": {
                "calibrated": self.calibrated,
                "temperature": self.temperature,
                "prediction_set": self.prediction_set,
                "set_coverage": self.set_coverage,
                "ood": self.ood,
                "synthetic_model_own_photo": self.synthetic_model_own_photo,
                "own_photo": self.own_photo,
            },
            "quality": None if self.quality is None else self.quality.to_dict(),
            "routing": {
                "lc_gate": [[None if math.isnan(w) else w for w in stage] for stage in trace.lc_gate[0].tolist()],
                "gm_gate": trace.gm_gate[0].tolist(),
                "expert_logits": trace.expert_logits[0].tolist(),
                "logit_bias": trace.logit_bias.tolist(),
                "logits": self.logits.tolist(),
                "tkca": [self._tkca_entry(block) for block in range(len(trace.tkca))],
            },
        } | self._views_entry()

    def _tkca_entry(self, block: int) -> dict[str, Any]:
        entry = {"stage": block, "grid": list(self.trace.tkca[block]["grid"])}
        if len(self.trace.views) > 1:
            view, stage = divmod(block, self.trace.stages_per_view)
            entry |= {"view": self.trace.views[view], "stage": stage}
            if not self.photos[self.trace.views[view]]:
                return entry | {"missing": True}
        return entry | {"meta_to_image_topk": self.top_locations(block), "image_to_meta": self.field_attention(block)}

    def gm_gate_by_view(self) -> dict[str, float] | None:
        """How much each photo view steered the GM-Gate for this case, as shares that sum to 1 (None with a single
        expert, which has no gate to steer).

        The router is linear, so its logit for expert e is an exact sum of one term per head input; the terms of a
        view's inputs (its local vectors at every stage, or its learned "missing photo" vectors when the case lacks
        the photo) add up to that view's term t_ve. A softmax ignores what all experts share, so each view's term is
        centred over the experts, and the share weighs its size by the gate: sum_e g_e |t_ve - mean_e' t_ve'|. The
        shares compare the photos: the pooled record that the late-fusion `concat` variant also hands the router
        is left out.
        """
        terms = self.trace.gm_router_terms
        if terms is None:
            return None
        gate = self.trace.gm_gate[0]
        names = list(self.trace.views)
        steer = []
        for name in names:
            term = terms[0, [i for i, view in enumerate(self.trace.gm_input_views) if view == name]].sum(0)
            steer.append(float((gate * (term - term.mean()).abs()).sum()))
        total = sum(steer) or 1.0
        return {name: value / total for name, value in zip(names, steer, strict=True)}

    def _views_entry(self) -> dict[str, Any]:
        """For a multi-view model: which photos the case had, and LC-Gate weights by view (None: no photo)."""
        if len(self.trace.views) < 2:
            return {}
        stages = self.trace.stages_per_view
        lc_gate = self.trace.lc_gate[0].view(len(self.trace.views), stages, self.trace.lc_gate.shape[-1])
        gm_share = self.gm_gate_by_view()
        return {
            "photos": self.photos,
            "missing_photos": self.missing_photos,
            "routing_by_view": {
                view: {
                    "lc_gate": lc_gate[i].tolist() if self.photos[view] else None,
                    "gm_gate_share": None if gm_share is None else gm_share[view],
                }
                for i, view in enumerate(self.trace.views)
            },
        }


def _sample(trace: RoutingTrace, index: int) -> RoutingTrace:
    """Sample `index` of a batched trace, as a batch of one on the CPU."""
    one = slice(index, index + 1)
    return RoutingTrace(
        lc_gate=trace.lc_gate[one].detach().float().cpu(),
        gm_gate=trace.gm_gate[one].detach().float().cpu(),
        expert_logits=trace.expert_logits[one].detach().float().cpu(),
        logit_bias=trace.logit_bias.detach().float().cpu(),
        tkca=[
            {
                "meta_to_image": t["meta_to_image"][one].detach().float().cpu(),
                "image_to_meta": t["image_to_meta"][one].detach().float().cpu(),
                "grid": t["grid"],
            }
            for t in trace.tkca
        ],
        channel_attention=[a[one].detach().float().cpu() for a in trace.channel_attention],
        views=trace.views,
        view_present=None if trace.view_present is None else trace.view_present[one].cpu(),
        gm_router_terms=None if trace.gm_router_terms is None else trace.gm_router_terms[one].detach().float().cpu(),
        gm_input_views=trace.gm_input_views,
    )


class Predictor:
    """A loaded MHDF-Net checkpoint with its preprocessing; safe to share between threads."""

    def __init__(
        self,
        model: MHDFNet,
        name: str,
        card: Mapping[str, Any] | None = None,
        trust: TrustFiles | None = None,
        example_photos: Iterable[ImageSource] = (),
    ) -> None:
        # channels_last convolution weights: exact to float tolerance, and on 2 CPU cores 17 % faster for VGG-16,
        # 9 % for the bundled MobileNetV3, even for ResNet-50 (benchmarks/cpu_settings.py)
        self.model = model.eval().to(memory_format=torch.channels_last)
        self.trust = trust or TrustFiles()
        self.config: MHDFConfig = model.config
        self.schema = model.schema
        self.name = name
        self.card = dict(card or {})  # the checkpoint's model_card.json: its metrics are shown to users
        self.transform = eval_transform(self.config) if self.config.uses_image else None
        # the checkpoint's own example photos, by content (`photo_digest`), so that an example counts as one
        # however it arrives (clicked in the app, or sent as a file)
        self.example_digests = (
            frozenset(photo_digest(self.preprocess(photo)[1][0]) for photo in example_photos)
            if self.config.uses_image
            else frozenset()
        )

    @classmethod
    def from_pretrained(cls, path_or_hub_id: str | Path, device: str = "auto") -> Predictor:
        """Load a checkpoint folder, a training run folder or a Hub repo (see `mhdf.inference.checkpoint`). Raises
        `CheckpointError`, one line naming the file and what to do, for a checkpoint that is missing or broken."""
        folder = checkpoint_folder(path_or_hub_id)
        model = load_model(folder, map_location=str(resolve_device(device)))
        card = read_model_card(folder)
        name = card.get("name") or Path(str(path_or_hub_id).rstrip("/")).name
        views = model.config.image_views if model.config.uses_image else []
        examples = [photo for example in read_examples(folder, model.schema, views) for photo in example.photo_files]
        return cls(model, name=name, card=card, trust=read_trust(folder), example_photos=examples)

    def to(self, device: str | torch.device) -> Predictor:
        """Move the model to `device` ("auto": CUDA when available); returns self."""
        self.model.to(resolve_device(device) if isinstance(device, str) else device)
        return self

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def synthetic_photos(self) -> bool | None:
        """The model card's `synthetic_data`: whether the checkpoint learnt from synthetic photos; None if unsaid."""
        value = self.card.get("synthetic_data")
        return None if value is None else bool(value)

    def own_photo(self, pixels: torch.Tensor | Mapping[str, torch.Tensor | None] | None) -> bool | None:
        """For a (1, 3, S, S) model input (or a multi-view model's, by view): whether a photo is none of the
        checkpoint's examples; None without a photo."""
        photos = [pixels] if isinstance(pixels, torch.Tensor) else [p for p in (pixels or {}).values() if p is not None]
        if not photos:
            return None
        return any(photo_digest(photo[0]) not in self.example_digests for photo in photos)

    def synthetic_model_own_photo(self, pixels: torch.Tensor | None) -> bool | None:
        """For a (1, 3, S, S) model input: whether a synthetic-photo model is looking at a photo that is none of its
        examples (`Prediction.synthetic_model_own_photo`); None when the card does not say or there is no photo."""
        if self.synthetic_photos is None or pixels is None:
            return None
        return self.synthetic_photos and self.own_photo(pixels)

    @property
    def model_info(self) -> dict[str, Any]:
        config = self.config
        return {
            "name": self.name,
            "training_data": config.training_data,
            "synthetic": config.synthetic_data,
            "backbone": config.backbone,
            "variant": config.variant,
            "schema": self.schema.name,
        }

    @property
    def views(self) -> list[str]:
        """The photos of a case, by view name (one for the paper's model)."""
        return list(self.config.image_views) if self.config.uses_image else []

    def preprocess(self, image: ImageSource) -> tuple[Image.Image, torch.Tensor]:
        """-> the RGB image as understood, and its (1, 3, S, S) model input on the model's device."""
        rgb = load_image(image, decode_size=self.config.image_size)
        return rgb, self.transform(rgb).unsqueeze(0).to(self.device)

    def read_photo(self, image: ImageSource) -> tuple[torch.Tensor, PhotoQuality]:
        """-> the (1, 3, S, S) model input and the photo-quality verdict of the photo as decoded."""
        rgb, pixels = self.preprocess(image)
        return pixels, assess(rgb)

    def preprocess_photos(self, images: Mapping[str, ImageSource | None]) -> dict[str, torch.Tensor | None]:
        """A multi-view model's photos by view name (None or left out: the case has no such photo) -> model
        inputs. Raises ValueError for an unknown view, no photo at all, or a photo that cannot be read."""
        if unknown := sorted(set(images) - set(self.views)):
            raise ValueError(f"unknown photo view {unknown[0]!r}; this model's views are {', '.join(self.views)}")
        pixels = {}
        for view in self.views:
            try:
                pixels[view] = None if images.get(view) is None else self.preprocess(images[view])[1]
            except ValueError as error:
                raise ValueError(f"{view} photo: {error}") from error
        if all(photo is None for photo in pixels.values()):
            raise ValueError(f"no photo given: this model needs at least one of {', '.join(self.views)}")
        return pixels

    def predict(
        self,
        image: ImageSource | Mapping[str, ImageSource | None],
        record: Mapping[str, Any],
        overrides: RoutingOverrides | None = None,
    ) -> Prediction:
        """One photo (a multi-view model: a dict view name -> photo, either allowed to be missing) and one clinical
        record -> Prediction. Raises ValueError naming what is wrong."""
        return self.predict_records(image, [record], overrides)[0]

    def predict_records(
        self,
        image: ImageSource | torch.Tensor | Mapping[str, ImageSource | torch.Tensor | None],
        records: Sequence[Mapping[str, Any]],
        overrides: RoutingOverrides | None = None,
    ) -> list[Prediction]:
        """One photo (or one set of photo views) with several clinical records, in one batch (e.g. each field set to
        unknown in turn).

        `image` may be a tensor from `preprocess` (a multi-view model: a dict of them) to skip decoding again.
        Raises ValueError naming a bad field or photo."""
        validated = [self.schema.validate(record) for record in records]
        pixels, quality = None, None
        if self.config.multi_view:
            if not isinstance(image, Mapping):
                raise ValueError(f"this model reads one photo per view: give {', '.join(self.views)} by name")
            decoded = all(photo is None or isinstance(photo, torch.Tensor) for photo in image.values())
            pixels = dict(image) if decoded else self.preprocess_photos(image)
        elif self.config.uses_image:
            pixels, quality = (image, None) if isinstance(image, torch.Tensor) else self.read_photo(image)
        return self.predict_validated(pixels, validated, overrides, [quality] * len(validated))

    def forward(
        self,
        pixels: torch.Tensor | Mapping[str, torch.Tensor | None] | None,
        records: Sequence[Mapping[str, Value]],
        overrides: RoutingOverrides | None = None,
        grad_from_last_stage: bool = False,
        view_mask: torch.Tensor | None = None,
    ) -> MHDFOutput:
        """The traced forward pass of one (1, 3, S, S) photo from `preprocess` (None for a metadata-only model)
        with validated records (`schema.validate`), one batch row per record; the layers before the first fusion
        run once for the photo. `grad_from_last_stage`: see `MHDFNet.forward` (call it under `torch.no_grad()`).
        `view_mask`: (B, V) bool for B cases of a multi-view model whose photos differ (see `MHDFNet.forward`)."""
        metadata = self.model.encode_metadata(records, canonical=True)
        return self.model(
            pixels,
            metadata,
            return_trace=True,
            overrides=overrides,
            grad_from_last_stage=grad_from_last_stage,
            view_mask=view_mask,
        )

    def predict_traced(
        self, pixels: torch.Tensor | None, record: Mapping[str, Value], quality: PhotoQuality | None = None
    ) -> tuple[Prediction, MHDFOutput]:
        """One validated record with its photo (and the photo's quality verdict, see `read_photo`) -> its Prediction
        and the pass it came from, with autograd kept from the last stage map on (Grad-CAM reuses it instead of
        running a second pass). Also under inference mode."""
        with torch.inference_mode(False), torch.no_grad():
            out = self.forward(pixels, [record], grad_from_last_stage=pixels is not None)
        return self._predictions(out, [record], pixels, [quality])[0], out

    @torch.inference_mode()
    def predict_validated(
        self,
        pixels: torch.Tensor | Mapping[str, torch.Tensor | None] | None,
        records: Sequence[Mapping[str, Value]],
        overrides: RoutingOverrides | None = None,
        quality: Sequence[PhotoQuality | None] | None = None,
        view_mask: torch.Tensor | None = None,
    ) -> list[Prediction]:
        """`predict_records` for a preprocessed photo and records validated already (not validated again);
        `quality`: the photo-quality verdict of each row's photo (`read_photo`), when known; `view_mask`: see
        `forward`."""
        out = self.forward(pixels, records, overrides, view_mask=view_mask)
        return self._predictions(out, records, pixels, quality)

    def _predictions(
        self,
        out: MHDFOutput,
        records: Sequence[Mapping[str, Value]],
        pixels: torch.Tensor | None,
        quality: Sequence[PhotoQuality | None] | None,
    ) -> list[Prediction]:
        logits = out.logits.detach().float().cpu().numpy()
        synthetic_own_photo, own_photo = self.synthetic_model_own_photo(pixels), self.own_photo(pixels)
        fused = out.fused.detach().float().cpu().numpy()
        features = stage_features(out.stage_maps) if out.stage_maps else None
        assessments = self.trust.assess(logits, features)
        classes = list(self.config.class_names)
        quality = quality or [None] * len(records)
        return [
            Prediction(
                model=self.model_info,
                classes=classes,
                class_labels={c: self.schema.class_labels.get(c, c) for c in classes},
                probabilities=assessment.probabilities,
                logits=logits[i],
                record=dict(records[i]),
                field_names=self.schema.field_names,
                trace=_sample(out.trace, i),
                top_k=self.config.top_k,
                temperature=assessment.temperature,
                prediction_set=None
                if assessment.prediction_set is None
                else [classes[c] for c in assessment.prediction_set],
                set_coverage=assessment.set_coverage,
                ood=assessment.ood,
                synthetic_model_own_photo=synthetic_own_photo,
                own_photo=own_photo,
                fused=fused[i],
                quality=quality[i],
            )
            for i, assessment in enumerate(assessments)
        ]
