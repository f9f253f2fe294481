"""Two photos per case in the data pipeline (issue 24): Derm7pt's clinic + derm pairs, synthetic paired photos,
a two-view training run and its per-view evaluation."""

import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from mhdf import MHDFConfig
from mhdf.inference.checkpoint import ROUTING_ATLAS_NAME
from mhdf.inference.predictor import Predictor
from tests.helpers import TRAIN_TINY, write_derm7pt, write_pad
from training import evaluate, train
from training.data.derm7pt import Derm7pt
from training.data.registry import load_source
from training.data.views import MultiViewDataset, loader_options, split_views, view_paths
from training.engine import model_inputs
from training.run_folder import EvalFolder
from training.synthetic.paired import generate_pairs

TWO = ["clinical", "dermoscopic"]


def to_tensor(size):
    return v2.Compose([v2.ToImage(), v2.Resize((size, size)), v2.ToDtype(torch.float32, scale=True)])


def test_derm7pt_pairs_give_both_photos_of_each_case(tmp_path):
    source = Derm7pt(write_derm7pt(tmp_path / "release_v0"))
    paths = view_paths(source, TWO)
    assert len(paths) == len(source.samples)
    assert all(case["clinical"].name.startswith("Aal") and case["clinical"] != case["dermoscopic"] for case in paths)
    # the dermoscopic path is the one the one-photo loader reads
    assert [case["dermoscopic"] for case in paths] == [sample.image_path for sample in source.samples]
    dataset = MultiViewDataset(source, [0, 2], TWO, 16, to_tensor(16))
    photos, metadata, label = dataset[1]
    assert set(photos) == set(TWO) and photos["clinical"].shape == (3, 16, 16)
    # the fixture's clinical photos are dark (50), its dermoscopic ones light (200)
    assert photos["clinical"].mean() < 0.3 < 0.7 < photos["dermoscopic"].mean()
    assert label == source.samples[2].label and torch.allclose(metadata, dataset.metadata[1], equal_nan=True)


def test_one_view_names_the_derm7pt_column_and_other_datasets_refuse_pairs(tmp_path):
    assert loader_options("derm7pt", "derm", ["clinical"]) == {"image_column": "clinic"}
    assert loader_options("derm7pt", "clinic", None) == {"image_column": "clinic"}
    assert loader_options("derm7pt", "derm", TWO) == {"image_column": "derm"}
    assert loader_options("pad-ufes-20", "derm", TWO) == {}
    pad = load_source("pad-ufes-20", write_pad(tmp_path / "pad"))
    with pytest.raises(ValueError, match="one photo per case"):
        view_paths(pad, TWO)
    with pytest.raises(ValueError, match="no 'macro' photos"):
        view_paths(Derm7pt(write_derm7pt(tmp_path / "release_v0")), ["clinical", "macro"])


def test_a_missing_photo_travels_as_nan_and_comes_back_as_a_mask(tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    meta = release / "meta" / "meta.csv"
    lines = meta.read_text().splitlines()
    fields = lines[2].split(",")
    fields[-3] = ""  # case 2 has no clinical photo
    meta.write_text("\n".join([*lines[:2], ",".join(fields), *lines[3:]]) + "\n")
    source = Derm7pt(release)
    dataset = MultiViewDataset(source, None, TWO, 16, to_tensor(16))
    batch = torch.utils.data.default_collate([dataset[i] for i in range(3)])
    config = MHDFConfig(image_views=TWO, image_size=16)
    photos, metadata, mask = model_inputs(config, batch[0], batch[1], torch.device("cpu"))
    assert mask.tolist() == [[True, True], [False, True], [True, True]]
    assert torch.isfinite(photos["clinical"]).all() and photos["clinical"][1].abs().sum() == 0
    only_derm, mask = split_views({"clinical": batch[0]["clinical"][1:2], "dermoscopic": batch[0]["dermoscopic"][1:2]},
                                  torch.device("cpu"))  # fmt: skip
    assert only_derm["clinical"] is None and mask.tolist() == [[False, True]]


def test_paired_photos_are_reproducible_and_read_as_derm7pt(tmp_path):
    tables = [generate_pairs(tmp_path / f"pairs{i}", 20, seed=3, image_size=48) for i in (0, 1)]
    assert tables[0].equals(tables[1])
    digests = [
        hashlib.sha256((tmp_path / f"pairs{i}" / "images" / tables[0]["clinic"][4]).read_bytes()).hexdigest()
        for i in (0, 1)
    ]
    assert digests[0] == digests[1]
    source = Derm7pt(tmp_path / "pairs0")
    assert len(source.samples) == 20 and set(source.labels.tolist()) == set(range(5))
    split = source.split()
    assert len(split.train) + len(split.val) + len(split.test) == 20 and len(split.test) >= 5
    with pytest.raises(ValueError, match="already holds"):
        generate_pairs(tmp_path / "pairs0", 20, seed=3)


def lesion_share(path) -> float:
    """Share of the photo darker than the skin around it: how large the lesion looks."""
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    border = np.concatenate([pixels[:3].ravel(), pixels[-3:].ravel()])
    return float((pixels < border.mean() - 25).mean())


def test_size_shows_in_the_clinical_photo_only(tmp_path):
    """A melanoma is a nevus grown large: the close-up shows the difference, the dermoscope frames it away."""
    table = generate_pairs(tmp_path / "pairs", 60, seed=0, image_size=64)
    images = tmp_path / "pairs" / "images"
    ratio = {}
    for column in ("clinic", "derm"):
        sizes = {
            diagnosis: np.median([lesion_share(images / name) for name in table[table.diagnosis == diagnosis][column]])
            for diagnosis in ("melanoma", "clark nevus")
        }
        ratio[column] = sizes["melanoma"] / sizes["clark nevus"]
    assert ratio["clinic"] > 1.8 and 0.7 < ratio["derm"] < 1.3


@pytest.mark.slow
def test_a_two_view_training_run_and_its_per_view_evaluation(tmp_path):
    data = tmp_path / "pairs"
    generate_pairs(data, 30, seed=0, image_size=32)
    run = tmp_path / "run"
    train.main(
        train.get_args_parser().parse_args(
            [
                "--data",
                str(data),
                "--dataset",
                "derm7pt",
                "--out",
                str(run),
                *TRAIN_TINY,
                "--epochs",
                "1",
                "--image-views",
                *TWO,
                "--view-dropout",
                "0.3",
                "--synthetic",
            ]  # fmt: skip
        )
    )
    args = json.loads((run / "args.json").read_text())
    assert args["image_views"] == TWO and args["view_dropout"] == 0.3
    predictor = Predictor.from_pretrained(run, device="cpu")
    assert predictor.views == TWO and predictor.config.view_dropout == 0.3
    out = tmp_path / "eval"
    evaluate.main(
        evaluate.get_args_parser().parse_args(
            [
                "--checkpoint",
                str(run),
                "--data",
                str(data),
                "--dataset",
                "derm7pt",
                "--out",
                str(out),
                "--workers",
                "0",
                "--device",
                "cpu",
                "--threads",
                "1",
            ]  # fmt: skip
        )
    )
    views = json.loads(EvalFolder(out).metrics.read_text())["photo_views"]
    assert set(views) == {"clinical+dermoscopic", "clinical", "dermoscopic"}
    assert all(0 <= scores["balanced_accuracy"] <= 1 for scores in views.values())
    atlas = json.loads((out / ROUTING_ATLAS_NAME).read_text())["photo_views"]
    assert atlas["runs"] == ["clinical+dermoscopic", "clinical", "dermoscopic"]
    counted = [entry for entry in atlas["per_true_class"].values() if entry["count"]]
    assert counted and all(0 <= p <= 1 for entry in counted for p in entry["true_class_probability"].values())
