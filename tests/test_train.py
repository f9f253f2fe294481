"""training.train end to end on tiny synthetic data: run folder, honest splits, --resume, DDP on gloo."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TRAIN_TINY, train_tiny
from sklearn.utils.class_weight import compute_class_weight
from test_datasets import write_derm7pt

from mhdf import MHDFNet
from training import train
from training.engine import class_weights

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_writes_args_log_splits_and_the_best_checkpoint(trained_run):
    args = json.loads((trained_run / "args.json").read_text())
    assert args["epochs"] == 1 and args["variant"] == "mhdf" and args["lr"] == 1e-3
    log = pd.read_csv(trained_run / "log.csv")
    assert list(log.columns) == list(train.LOG_COLUMNS) and log["epoch"].tolist() == [1]
    assert 0 <= log["val_balanced_accuracy"][0] <= 1 and np.isfinite(log["train_loss"][0])
    model = MHDFNet.from_pretrained(trained_run / "best")
    assert model.config.synthetic_data is True and model.config.field_dropout == args["field_dropout"] == 0.2
    assert model.config.training_data == "synthetic PAD-UFES-20-format data (training.synthetic) fold 0 train"
    assert model.config.backbone == "mobilenetv3_small_050" and model.config.image_size == 32


def test_the_test_fold_is_never_used_for_training_or_model_selection(trained_run, synthetic_data):
    splits = pd.read_csv(trained_run / "splits.csv")
    assert set(splits["split"]) == {"train", "val", "test"} and len(splits) == 120
    assert (splits.loc[splits["split"] == "test", "fold"] == 0).all()
    assert (splits.loc[splits["split"] != "test", "fold"] != 0).all()
    patients = {name: set(group["patient_id"]) for name, group in splits.groupby("split")}
    assert not patients["train"] & patients["val"] and not patients["test"] & (patients["train"] | patients["val"])


def test_the_optimiser_is_the_papers_and_the_regularisation_can_be_turned_off():
    parse = train.get_args_parser().parse_args
    args = parse(["--data", "d", "--dataset", "pad-ufes-20", "--out", "o"])
    assert (args.lr, args.batch_size, args.epochs, args.image_size, args.variant) == (1e-3, 32, 150, 224, "mhdf")
    # chosen on validation data (README, "Real data: the clinical pathway on PAD-UFES-20's metadata"); the paper
    # has none of them
    regularisation = ("weight_decay", "field_dropout", "label_smoothing", "class_weighted", "early_stopping")
    assert [getattr(args, name) for name in regularisation] == [1e-3, 0.2, 0.1, True, 20]
    paper = parse(["--data", "d", "--dataset", "pad-ufes-20", "--out", "o", "--weight-decay", "0", "--field-dropout",
                   "0", "--label-smoothing", "0", "--no-class-weighted", "--early-stopping", "0"])  # fmt: skip
    assert [getattr(paper, name) for name in regularisation] == [0, 0, 0, False, 0]


def test_resume_continues_exactly_where_an_uninterrupted_run_would_be(synthetic_data, tmp_path):
    train_tiny(synthetic_data, tmp_path / "straight", "--epochs", "2")
    train_tiny(synthetic_data, tmp_path / "resumed", "--epochs", "1")
    train_tiny(synthetic_data, tmp_path / "resumed", "--epochs", "2", "--resume")
    straight = torch.load(tmp_path / "straight" / train.CHECKPOINT_NAME, weights_only=True)
    resumed = torch.load(tmp_path / "resumed" / train.CHECKPOINT_NAME, weights_only=True)
    assert straight["epoch"] == resumed["epoch"] == 1
    for name, tensor in straight["model"].items():
        torch.testing.assert_close(resumed["model"][name], tensor, msg=name)
    logs = [pd.read_csv(tmp_path / run / "log.csv").drop(columns="seconds") for run in ("straight", "resumed")]
    pd.testing.assert_frame_equal(*logs)


def test_a_used_run_folder_needs_resume_and_resume_keeps_the_arguments(trained_run, synthetic_data, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    with pytest.raises(ValueError, match="already holds a training run"):
        train_tiny(synthetic_data, run, "--epochs", "1", "--synthetic")
    with pytest.raises(ValueError, match="--lr 0.001 -> 0.1"):
        train_tiny(synthetic_data, run, "--epochs", "2", "--synthetic", "--lr", "0.1", "--resume")
    with pytest.raises(ValueError, match="no checkpoint.pth"):
        train_tiny(synthetic_data, tmp_path / "empty", "--epochs", "1", "--resume")


def test_early_stopping_ends_the_run_after_patience_epochs_without_improvement(synthetic_data, tmp_path):
    # lr 0 never improves on the first epoch's validation BACC: epoch 1 is the one epoch of patience
    train_tiny(synthetic_data, tmp_path / "run", "--epochs", "5", "--lr", "0", "--early-stopping", "1")
    assert pd.read_csv(tmp_path / "run" / "log.csv")["epoch"].tolist() == [1, 2]


def test_meta_only_never_opens_an_image(synthetic_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_data, data)
    for image in (data / "images").rglob("*.png"):
        image.write_bytes(b"not a png")
    train_tiny(data, tmp_path / "meta", "--epochs", "1", "--variant", "meta-only", "--class-weighted")
    assert MHDFNet.from_pretrained(tmp_path / "meta" / "best").config.variant == "meta-only"
    with pytest.raises(ValueError, match="corrupt|not an image|cannot"):
        train_tiny(data, tmp_path / "image", "--epochs", "1", "--variant", "image-only")


def test_derm7pt_trains_on_its_official_split(tmp_path):
    release = write_derm7pt(tmp_path / "release_v0")
    train_tiny(release, tmp_path / "run", "--epochs", "1", dataset="derm7pt")
    splits = pd.read_csv(tmp_path / "run" / "splits.csv")
    assert splits["split"].tolist() == ["train", "train", "train", "val", "test", "test"]
    config = MHDFNet.from_pretrained(tmp_path / "run" / "best").config
    assert config.schema_name == "derm7pt" and config.class_names == ["BCC", "NEV", "MEL", "MISC", "SK"]
    assert config.training_data == "Derm7pt official train split" and config.synthetic_data is False


def test_class_weights_are_scikit_learns_balanced_weights():
    labels = np.array([0, 0, 0, 1, 2, 2, 3, 3, 3, 3])
    expected = compute_class_weight("balanced", classes=np.arange(4), y=labels)
    np.testing.assert_allclose(class_weights(labels, 4).numpy(), expected, rtol=1e-6)
    assert class_weights(np.array([0, 0, 1]), 3)[2] == pytest.approx(1.0)  # an absent class: weight of one sample


def test_two_cpu_processes_train_with_ddp_on_gloo(synthetic_data, tmp_path):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "training.train", "--data", str(synthetic_data), "--dataset", "pad-ufes-20", "--out", str(out),
               "--epochs", "1", *TRAIN_TINY]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 process(es) on cpu" in result.stdout
    assert pd.read_csv(out / "log.csv")["epoch"].tolist() == [1]  # written once, by rank 0
    assert MHDFNet.from_pretrained(out / "best").config.variant == "mhdf"
