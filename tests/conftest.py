"""Test-wide settings: never reach the Hugging Face Hub (no network here; tests use pretrained=False)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402
import torch  # noqa: E402

from mhdf import MHDFConfig, MHDFNet  # noqa: E402
from mhdf.inference import Predictor  # noqa: E402
from mhdf.inference.checkpoint import read_examples  # noqa: E402
from tests.helpers import (  # noqa: E402
    CHROMIUM_ARGS,
    SYNTHETIC_CHECKPOINT,
    running_app,
    train_tiny,
    write_two_view_checkpoint,
)
from training.synthetic.photos import generate  # noqa: E402

TINY = {"backbone": "resnet18", "image_size": 64, "token_dim": 32, "num_heads": 2, "expert_hidden": 48, "top_k": 4}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """An untrained, small PAD-UFES-20 checkpoint folder (config.json + model.safetensors)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny_checkpoint")
    MHDFNet(MHDFConfig(**TINY, training_data="random initialisation", synthetic_data=True)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_two_view_checkpoint(tmp_path_factory):
    """An untrained two-photo (clinical + dermoscopic) Derm7pt checkpoint with a model card and two example cases."""
    return write_two_view_checkpoint(tmp_path_factory.mktemp("two_view_checkpoint"))


@pytest.fixture(scope="session")
def predictor():
    """The bundled demo checkpoint on the CPU, shared by every test module that does not define its own."""
    return Predictor.from_pretrained(SYNTHETIC_CHECKPOINT, device="cpu")


@pytest.fixture(scope="session")
def examples(predictor):
    """The bundled demo checkpoint's example cases."""
    return read_examples(SYNTHETIC_CHECKPOINT, predictor.schema)


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory):
    """120 synthetic 32x32 images in the PAD-UFES-20 layout (training.synthetic, seed 3)."""
    root = tmp_path_factory.mktemp("synthetic") / "data"
    generate(root, 120, seed=3, image_size=32)
    return root


@pytest.fixture(scope="session")
def trained_run(synthetic_data, tmp_path_factory):
    """A run folder after one epoch of the full model on `synthetic_data`, fold 0 held out."""
    out = tmp_path_factory.mktemp("runs") / "fold0"
    train_tiny(synthetic_data, out, "--epochs", "1", "--synthetic")
    return out


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    """`python app.py` on the bundled checkpoint, launched once for every test that talks to a running app."""
    with running_app(tmp_path_factory.mktemp("app")) as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    """Chromium for a browser test module (/usr/bin/chromium, never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()
