"""`python -m training.make_demo` end to end on a small PAD-UFES-20 folder: rows without a photo and hidden patients
as in the shared folder, one epoch each, the checkpoint folder complete and its card honest about the data."""

import json
import shutil

import pandas as pd
import pytest

from mhdf.inference import Predictor
from mhdf.inference.checkpoint import MODEL_FILES, TRUST_FILES, read_examples
from training import make_demo


@pytest.mark.slow
def test_make_demo_builds_a_real_photo_checkpoint_from_a_photo_folder(synthetic_data, tmp_path):
    photos = tmp_path / "photos"
    shutil.copytree(synthetic_data, photos)
    table = pd.read_csv(photos / "metadata.csv", dtype=str, keep_default_na=False)
    hidden = sorted(set(table["patient_id"]))[:3]
    (photos / "heldout_patients.txt").write_text("\n".join(hidden) + "\n")
    without_photo = table[~table["patient_id"].isin(hidden)]["img_id"].iloc[::6].tolist()  # every sixth row
    for img_id in without_photo:
        next(photos.rglob(img_id)).unlink()
    out = tmp_path / "demo"
    argv = ["--photos", str(photos), "--out", str(out), "--epochs", "1", "--threads", "1"]
    make_demo.main(make_demo.get_args_parser().parse_args(argv))

    for name in (*MODEL_FILES, *TRUST_FILES, "model_card.json", "routing_atlas.json", "similar_cases.safetensors"):
        assert (out / name).is_file(), name
    card = json.loads((out / "model_card.json").read_text())
    kept = table[~table["patient_id"].isin(hidden)]
    assert card["data"]["photos"] == len(kept) - len(without_photo)
    assert card["data"]["clinical_only_records"] == len(without_photo)
    assert card["data"]["heldout_patients_dropped"] == len(hidden) and card["synthetic_data"] is False
    assert set(card["metrics"]) == {"mhdf", "image-only", "meta-only", make_demo.BASELINE}
    predictor = Predictor.from_pretrained(out, device="cpu")
    for case in read_examples(out, predictor.schema):
        img_id = json.loads((out / "examples" / f"{case.name}.json").read_text())["img_id"]
        assert img_id in set(kept["img_id"]) and img_id not in without_photo
