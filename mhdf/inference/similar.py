"""Similar held-out cases: which evaluated cases a checkpoint routes like the current one.

`training.evaluate` writes one index per evaluated split (`SIMILAR_CASES_NAME` in `mhdf.inference.checkpoint`), one
row per case with

    lc_gate     (N, S, 2) float32   LC-Gate weights [image path, fused path] per fused stage
    gm_gate     (N, E)    float32   GM-Gate weights
    features    (N, H)    float32   the head's fused feature vector (`MHDFOutput.fused`)
    labels      (N,)      int64     true class index
    predicted   (N,)      int64     predicted class index
    thumbnails  (T,)      uint8     the cases' photos as JPEG, at most `THUMBNAIL_SIZE` px a side, end to end;
    thumbnail_offsets (N + 1,) int64  case i is thumbnails[offsets[i]:offsets[i + 1]]

and, in the safetensors header, the case ids, the class names and where the photos come from (`IndexSource`).

A query ranks every case by its distance to the current case, exactly (no approximate search: a query over the
bundled 460 cases takes well under a millisecond, `benchmarks/similar_cases.py`):

* by "routing": the Euclidean distance between routing signatures, the LC-Gate weights of every stage followed by
  the GM-Gate weights (each in [0, 1], so no feature dominates by scale);
* by "features": the cosine distance (1 - cosine similarity, in [0, 2]) between fused feature vectors, whose
  scale says little.

Ties go to the case listed first. Retrieval explains how the model sees a case; it is not a diagnosis (Tschandl
et al. 2020 found it less useful than the probabilities as a diagnostic aid).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from PIL import Image

from mhdf.inference.images import ImageSource, load_image

SIMILARITY = ("routing", "features")  # what a query compares
DEFAULT_NEIGHBOURS = 6
MAX_NEIGHBOURS = 50  # a query asks for at most this many (the app and /similar show a handful)
THUMBNAIL_SIZE = 96
THUMBNAIL_QUALITY = 85  # JPEG: 460 synthetic 96 px photos take 1.1 MB (docs/similar-cases.md)
FORMAT = "mhdf-similar-cases/1"
ARRAYS = ("lc_gate", "gm_gate", "features", "labels", "predicted", "thumbnails", "thumbnail_offsets")


@dataclass(frozen=True)
class IndexSource:
    """Where the indexed cases come from; `training.publish` reads `synthetic` and `dataset` to decide whether
    the thumbnails may be published (the licence rule of the example photos)."""

    dataset: str  # e.g. "pad-ufes-20"
    split: str  # "test", "val" or "train"
    checkpoint: str  # the evaluated checkpoint folder
    training_data: str
    synthetic: bool  # the photos (and so the thumbnails) are synthetic


@dataclass(frozen=True)
class CaseSignature:
    """What a query compares of one case: its routing signature and the head's fused feature vector."""

    routing: np.ndarray  # (S * 2 + E,) LC-Gate weights per stage, then GM-Gate weights
    features: np.ndarray  # (H,)

    def to_dict(self) -> dict[str, list[float]]:
        return {"routing": self.routing.tolist(), "features": self.features.tolist()}


def check_query(by: Any, k: Any) -> None:
    """ValueError unless `by` is one of `SIMILARITY` and `k` a whole number from 1 to `MAX_NEIGHBOURS`."""
    if not isinstance(by, str) or by not in SIMILARITY:
        raise ValueError(f"similar cases are found by {' or '.join(SIMILARITY)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_NEIGHBOURS:
        raise ValueError(f"the number of similar cases must be a whole number from 1 to {MAX_NEIGHBOURS}")


def routing_signature(lc_gate: np.ndarray, gm_gate: np.ndarray) -> np.ndarray:
    """(..., S, 2) LC-Gate and (..., E) GM-Gate weights -> (..., S * 2 + E) float64."""
    lc_gate, gm_gate = np.asarray(lc_gate, dtype=np.float64), np.asarray(gm_gate, dtype=np.float64)
    return np.concatenate([lc_gate.reshape(*lc_gate.shape[:-2], -1), gm_gate], axis=-1)


def thumbnail(image: ImageSource, size: int = THUMBNAIL_SIZE) -> bytes:
    """A photo as a JPEG at most `size` px a side, aspect kept."""
    rgb = load_image(image, decode_size=size).convert("RGB")
    rgb.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class Neighbour:
    """One indexed case near the query."""

    index: int  # row in the index
    case: str  # the image id
    true_class: str
    prediction: str
    distance: float
    gm_gate: list[float]
    thumbnail: bytes  # JPEG; empty when the case had no photo

    @property
    def correct(self) -> bool:
        return self.true_class == self.prediction


@dataclass
class SimilarCases:
    """The answer to one query: its neighbours, nearest first."""

    by: str
    neighbours: list[Neighbour]

    def majority(self) -> tuple[str, int, int] | None:
        """(the most common true class among the neighbours, how many have it, how many of those the model got
        right); None without neighbours. A tie goes to the class of the nearer neighbour."""
        if not self.neighbours:
            return None
        counts: dict[str, int] = {}
        for neighbour in self.neighbours:
            counts[neighbour.true_class] = counts.get(neighbour.true_class, 0) + 1
        top = max(counts, key=counts.get)  # dicts keep insertion order: the first maximum is the nearest class
        right = sum(n.correct for n in self.neighbours if n.true_class == top)
        return top, counts[top], right


@dataclass
class SimilarCaseIndex:
    """The evaluated cases of one checkpoint, searchable by routing signature or fused features."""

    cases: list[str]
    classes: list[str]
    lc_gate: np.ndarray  # (N, S, 2)
    gm_gate: np.ndarray  # (N, E)
    features: np.ndarray  # (N, H)
    labels: np.ndarray  # (N,)
    predicted: np.ndarray  # (N,)
    thumbnails: list[bytes]
    source: IndexSource
    _unit_features: np.ndarray = field(init=False, repr=False)
    _routing: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.cases)
        shapes = {
            "lc_gate": (self.lc_gate.ndim == 3 and self.lc_gate.shape[0] == n and self.lc_gate.shape[2] == 2),
            "gm_gate": self.gm_gate.ndim == 2 and len(self.gm_gate) == n,
            "features": self.features.ndim == 2 and len(self.features) == n,
            "labels": self.labels.shape == (n,),
            "predicted": self.predicted.shape == (n,),
            "thumbnails": len(self.thumbnails) == n,
        }
        if bad := [name for name, ok in shapes.items() if not ok]:
            raise ValueError(f"similar-case index: {', '.join(bad)} do not hold one row per case ({n} cases)")
        for name in ("labels", "predicted"):
            values = getattr(self, name)
            if n and (values.min() < 0 or values.max() >= len(self.classes)):
                raise ValueError(f"similar-case index: {name} outside the {len(self.classes)} classes")
        self._routing = routing_signature(self.lc_gate, self.gm_gate)
        features = self.features.astype(np.float64)
        norms = np.linalg.norm(features, axis=1, keepdims=True)
        self._unit_features = features / np.where(norms > 0, norms, 1.0)

    def __len__(self) -> int:
        return len(self.cases)

    @property
    def num_stages(self) -> int:
        return self.lc_gate.shape[1]

    @property
    def num_experts(self) -> int:
        return self.gm_gate.shape[1]

    @property
    def feature_dim(self) -> int:
        return self.features.shape[1]

    def check_model(self, num_stages: int, num_experts: int, feature_dim: int) -> None:
        """ValueError unless the index was made by a model of this shape (a stale index from another model)."""
        made = (self.num_stages, self.num_experts, self.feature_dim)
        if made != (num_stages, num_experts, feature_dim):
            raise ValueError(
                f"the similar-case index was made by a model with {made[0]} fused stages, {made[1]} experts and "
                f"{made[2]} features, this one has {num_stages}, {num_experts} and {feature_dim}: "
                "rebuild it with training.evaluate"
            )

    def distances(self, signature: CaseSignature, by: str = "routing") -> np.ndarray:
        """(N,) float64 distance of every case to `signature` (see the module docstring)."""
        if by == "routing":
            query = self._checked(signature.routing, self._routing.shape[1], "routing signature")
            return np.sqrt(np.square(self._routing - query).sum(axis=1))
        if by == "features":
            query = self._checked(signature.features, self.feature_dim, "feature vector")
            norm = np.linalg.norm(query)
            return 1.0 - self._unit_features @ (query / norm if norm > 0 else query)
        raise ValueError(f"similar cases are found by {' or '.join(SIMILARITY)}")

    def query(self, signature: CaseSignature, by: str = "routing", k: int = DEFAULT_NEIGHBOURS) -> SimilarCases:
        """The `k` cases nearest `signature`, nearest first (ties: the case listed first)."""
        check_query(by, k)
        distances = self.distances(signature, by)
        if len(distances) > k:  # the k smallest, then sorted: a full sort of a large index is not needed
            nearest = np.argpartition(distances, k - 1)[:k]
            # every case at the k-th distance competes, so that the tie-break below sees them all
            nearest = np.flatnonzero(distances <= distances[nearest].max())
        else:
            nearest = np.arange(len(distances))
        order = nearest[np.lexsort((nearest, distances[nearest]))][:k]
        return SimilarCases(by, [self.neighbour(int(i), float(distances[i])) for i in order])

    def neighbour(self, index: int, distance: float) -> Neighbour:
        return Neighbour(
            index=index,
            case=self.cases[index],
            true_class=self.classes[int(self.labels[index])],
            prediction=self.classes[int(self.predicted[index])],
            distance=max(distance, 0.0),  # 1 - cos of two equal vectors can round to -1e-16
            gm_gate=self.gm_gate[index].astype(float).tolist(),
            thumbnail=self.thumbnails[index],
        )

    @staticmethod
    def _checked(query: np.ndarray, size: int, what: str) -> np.ndarray:
        query = np.asarray(query, dtype=np.float64)
        if query.shape != (size,) or not np.isfinite(query).all():
            raise ValueError(f"the {what} must be {size} finite numbers")
        return query

    def save(self, path: str | Path) -> None:
        thumbnails = np.frombuffer(b"".join(self.thumbnails), dtype=np.uint8)
        offsets = np.cumsum([0, *(len(t) for t in self.thumbnails)], dtype=np.int64)
        arrays = {
            "lc_gate": self.lc_gate.astype(np.float32),
            "gm_gate": self.gm_gate.astype(np.float32),
            "features": self.features.astype(np.float32),
            "labels": self.labels.astype(np.int64),
            "predicted": self.predicted.astype(np.int64),
            "thumbnails": thumbnails.copy(),
            "thumbnail_offsets": offsets,
        }
        header = {
            "format": FORMAT,
            "cases": json.dumps(self.cases),
            "classes": json.dumps(self.classes),
            "source": json.dumps(self.source.__dict__),
        }
        safetensors.numpy.save_file(arrays, Path(path), metadata=header)

    @classmethod
    def load(cls, path: str | Path) -> SimilarCaseIndex:
        """Read an index file; ValueError naming the file when it is not one."""
        path = Path(path)
        try:
            with safetensors.safe_open(path, framework="numpy") as file:
                header = file.metadata() or {}
                arrays = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118 (not a dict)
            if header.get("format") != FORMAT or set(ARRAYS) - set(arrays):
                raise ValueError(f"not a {FORMAT} file")
            offsets, data = arrays["thumbnail_offsets"], arrays["thumbnails"].tobytes()
            if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != len(data) or (np.diff(offsets) < 0).any():
                raise ValueError("its thumbnail offsets do not match its thumbnails")
            return cls(
                cases=json.loads(header["cases"]),
                classes=json.loads(header["classes"]),
                lc_gate=arrays["lc_gate"],
                gm_gate=arrays["gm_gate"],
                features=arrays["features"],
                labels=arrays["labels"],
                predicted=arrays["predicted"],
                thumbnails=[data[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)],
                source=IndexSource(**json.loads(header["source"])),
            )
        except (ValueError, KeyError, TypeError, OSError, json.JSONDecodeError, safetensors.SafetensorError) as error:
            raise ValueError(f"{path}: not a readable similar-case index ({error})") from None


def build_index(
    cases: Sequence[str],
    classes: Sequence[str],
    lc_gate: np.ndarray,
    gm_gate: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    predicted: np.ndarray,
    photos: Sequence[ImageSource | None],
    source: IndexSource,
) -> SimilarCaseIndex:
    """An index of evaluated cases, each photo made a thumbnail (an empty one for a case without a photo)."""
    return SimilarCaseIndex(
        cases=[str(case) for case in cases],
        classes=list(classes),
        lc_gate=np.asarray(lc_gate, dtype=np.float32),
        gm_gate=np.asarray(gm_gate, dtype=np.float32),
        features=np.asarray(features, dtype=np.float32),
        labels=np.asarray(labels, dtype=np.int64),
        predicted=np.asarray(predicted, dtype=np.int64),
        thumbnails=[b"" if photo is None else thumbnail(photo) for photo in photos],
        source=source,
    )
