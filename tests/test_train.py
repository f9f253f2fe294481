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
from sklearn.utils.class_weight import compute_class_weight

from mhdf import MHDFConfig, MHDFNet
from tests.helpers import TRAIN_TINY, train_tiny, write_derm7pt
from training import train
from training.data.pad_ufes_20 import PadUfes20
from training.engine import Runtime, class_weights, freeze_backbone_through
from training.frozen_cache import placeholder_photos, prefix_maps, reading_cached_maps

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


REQUIRED = ["--data", "d", "--dataset", "pad-ufes-20", "--out", "o"]


def test_the_paper_preset_sets_the_papers_model_and_optimisation(synthetic_data):
    args = train.get_args_parser().parse_args([*REQUIRED, "--preset", "paper"])
    optimisation = (args.lr, args.batch_size, args.epochs, args.weight_decay, args.class_weighted, args.early_stopping)
    assert optimisation == (1e-3, 32, 150, 0.0, False, 0)
    assert args.label_smoothing == 0.0 and args.field_dropout == 0.0
    assert args.gate_anneal is None and args.balance_loss == 0.0
    # every optimisation knob is the preset's own, whatever the parser's defaults are
    parser = train.get_args_parser()
    parser.set_defaults(weight_decay=0.05, epochs=60, class_weighted=True)
    assert parser.parse_args([*REQUIRED, "--preset", "paper"]).weight_decay == 0.0
    config = train.build_config(args, PadUfes20(synthetic_data))
    assert config == MHDFConfig.from_preset("paper", training_data=config.training_data)


def test_explicit_flags_override_the_preset(synthetic_data):
    argv = [*REQUIRED, "--preset=paper", "--lr", "3e-4", "--backbone", "resnet50", "--top-k", "4", "--hard-gate"]
    args = train.get_args_parser().parse_args(argv)
    assert (args.lr, args.batch_size) == (3e-4, 32)
    config = train.build_config(args, PadUfes20(synthetic_data))
    assert (config.backbone, config.top_k, config.num_heads, config.hard_gate) == ("resnet50", 4, 8, True)
    assert config.fusion_stages == [-4, -3, -2, -1]  # VGG-16's blocks mean nothing to a ResNet
    fast = train.build_config(train.get_args_parser().parse_args(REQUIRED), PadUfes20(synthetic_data))
    assert (fast.backbone, fast.token_dim, fast.num_heads, fast.top_k) == ("resnet18", 64, 2, 8)


def test_gate_annealing_reaches_its_target_halfway_and_holds():
    args = train.get_args_parser().parse_args([*REQUIRED, "--epochs", "10", "--gate-anneal", "0.25"])
    temperatures = [train.gate_temperature_at(epoch, args, 1.0) for epoch in range(10)]
    assert temperatures[0] == 1.0 and temperatures[5:] == [0.25] * 5
    assert all(a > b for a, b in zip(temperatures[:6], temperatures[1:6], strict=False))
    assert train.anneal_length(args) == 5
    off = train.get_args_parser().parse_args(REQUIRED)
    assert train.gate_temperature_at(7, off, 1.0) == 1.0 and train.anneal_length(off) == 0


def test_an_annealed_balanced_run_saves_the_final_temperature_and_selects_after_the_anneal(synthetic_data, tmp_path):
    out = tmp_path / "annealed"
    train_tiny(synthetic_data, out, "--epochs", "4", "--gate-anneal", "0.5", "--balance-loss", "0.1")
    log = pd.read_csv(out / "log.csv")
    assert log["epoch"].tolist() == [1, 2, 3, 4] and np.isfinite(log["train_loss"]).all()
    best = MHDFNet.from_pretrained(out / "best")
    assert best.config.gate_temperature == pytest.approx(0.5)
    assert best.gm_moe.temperature == pytest.approx(0.5)
    # epochs 1 and 2 still anneal, so the best epoch is 3 or 4: it scored the best BACC among those
    selectable = log[log["epoch"] >= 3]
    best_row = selectable.loc[selectable["val_balanced_accuracy"].idxmax()]
    assert torch.load(out / train.CHECKPOINT_NAME, weights_only=True)["best_epoch"] + 1 == best_row["epoch"]


def test_importance_loss_is_zero_for_balanced_experts_and_grows_with_imbalance():
    balanced = torch.tensor([[0.9, 0.1], [0.1, 0.9]])
    lopsided = torch.tensor([[0.9, 0.1], [0.8, 0.2]])
    assert train.importance_loss(balanced).item() == pytest.approx(0.0, abs=1e-7)
    assert train.importance_loss(lopsided).item() == pytest.approx(((1.7 - 1.0) ** 2) / 1.0**2)


def test_the_balance_loss_reads_only_the_lc_gates_of_photos_a_case_had():
    from mhdf.trace import RoutingTrace

    gm_gate = torch.tensor([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    seen = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    lc_gate = torch.stack([seen, seen.flip(-1)], dim=1)  # (B, 2 blocks, 2 paths)
    lc_gate[2, 1] = float("nan")  # the third case lacks the second view's photo

    def trace(lc):
        return RoutingTrace(lc, gm_gate, torch.zeros(3, 2, 5), torch.zeros(5), [], [])

    loss = train.routing_balance_loss(trace(lc_gate))
    expected = (
        train.importance_loss(gm_gate) + (train.importance_loss(seen) + train.importance_loss(seen.flip(-1)[:2])) / 2
    )
    assert torch.isfinite(loss) and torch.allclose(loss, expected)
    lc_gate[:, 1] = float("nan")  # no case had the second photo: only the first view's gate counts
    expected = train.importance_loss(gm_gate) + train.importance_loss(seen)
    assert torch.allclose(train.routing_balance_loss(trace(lc_gate)), expected)


def test_the_optimiser_is_the_papers_and_the_regularisation_can_be_turned_off():
    parse = train.get_args_parser().parse_args
    args = parse(["--data", "d", "--dataset", "pad-ufes-20", "--out", "o"])
    assert (args.lr, args.batch_size, args.epochs, args.image_size, args.variant) == (1e-3, 32, 150, None, "mhdf")
    assert MHDFConfig.from_preset(args.preset).image_size == 224  # no --image-size: the preset's, 224 pixels
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


def test_freezing_keeps_the_backbone_fixed_through_the_stage_and_trains_the_rest():
    model = MHDFNet(MHDFConfig(backbone="tf_efficientnet_lite0", fusion_stages=[3, 4], image_size=64, token_dim=16))
    frozen = freeze_backbone_through(model, 3)
    body = model.backbone.body
    assert frozen == [body.conv_stem, body.bn1, *body.blocks[:5]]  # feature stage 3 ends with blocks.4
    before = {name: value.clone() for name, value in model.state_dict().items()}
    images, metadata = torch.randn(8, 3, 64, 64), torch.zeros(8, len(model.schema.fields))
    loader = [(images, metadata, torch.arange(8) % 6)]
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    runtime = Runtime(device=torch.device("cpu"), rank=0, local_rank=0, world_size=1)
    train.train_one_epoch(
        model, torch.nn.CrossEntropyLoss(), optimizer, scaler, loader, model.config, runtime, "", 0.0, frozen
    )
    after = model.state_dict()
    fixed = {name for name in before if name.startswith(("backbone.body.conv_stem", "backbone.body.bn1"))}
    fixed |= {name for name in before if any(name.startswith(f"backbone.body.blocks.{i}.") for i in range(5))}
    assert fixed and all(torch.equal(before[name], after[name]) for name in fixed)  # weights and BN statistics
    assert not torch.equal(
        before["backbone.body.blocks.5.0.conv_pw.weight"], after["backbone.body.blocks.5.0.conv_pw.weight"]
    )
    with pytest.raises(ValueError, match="feature stages 0-4"):
        freeze_backbone_through(model, 5)


def test_the_model_on_cached_frozen_maps_gives_the_logits_of_the_photos():
    model = MHDFNet(MHDFConfig(backbone="tf_efficientnet_lite0", fusion_stages=[3, 4], image_size=64, token_dim=16))
    frozen = freeze_backbone_through(model, 3)
    model.eval()
    images, metadata = torch.randn(4, 3, 64, 64), torch.zeros(4, len(model.schema.fields))
    maps = prefix_maps(model, frozen, images)
    assert maps.shape == (4, 112, 4, 4)  # blocks.4's output, before the stage's LC-MoE
    with torch.no_grad(), reading_cached_maps(frozen, maps):
        cached = model(placeholder_photos(maps), metadata)
    with torch.no_grad():
        torch.testing.assert_close(cached, model(images, metadata))
        assert not torch.allclose(model(images.flip(0), metadata), model(images, metadata))  # the maps matter
    assert "forward" not in vars(frozen[-1])  # the modules run their own forward again


@pytest.mark.slow
def test_a_run_on_cached_maps_trains_and_is_refused_without_frozen_stages(synthetic_data, tmp_path):
    with pytest.raises(ValueError, match="--cache-views needs --freeze-stages"):
        train_tiny(synthetic_data, tmp_path / "refused", "--epochs", "1", "--cache-views", "2")
    train_tiny(synthetic_data, tmp_path / "run", "--epochs", "2", "--freeze-stages", "1", "--cache-views", "2")
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert len(log) == 2 and log["train_loss"].notna().all()
    assert (tmp_path / "run" / "best" / "model.safetensors").is_file()
