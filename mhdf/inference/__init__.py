"""Inference: the checkpoint folder, `Predictor` and `Prediction`, photos and transforms, how far to trust a
prediction, and explanations as numbers and structured findings (no sentences: those belong to `mhdf.app`).

    from mhdf.inference import Predictor
    prediction = Predictor.from_pretrained("assets/demo").predict("lesion.png", {"age": 61, "region": "FACE"})
"""

from mhdf.inference.checkpoint import CheckpointError
from mhdf.inference.predictor import Prediction, Predictor, class_display_name, resolve_device

__all__ = ["CheckpointError", "Prediction", "Predictor", "class_display_name", "resolve_device"]
