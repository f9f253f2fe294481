"""Test-wide settings: never reach the Hugging Face Hub (no network here; tests use pretrained=False)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402
import torch  # noqa: E402

from mhdf import MHDFConfig, MHDFNet  # noqa: E402

TINY = {"backbone": "resnet18", "image_size": 64, "token_dim": 32, "num_heads": 2, "expert_hidden": 48, "top_k": 4}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """An untrained, small PAD-UFES-20 checkpoint folder (config.json + model.safetensors)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny_checkpoint")
    MHDFNet(MHDFConfig(**TINY, training_data="random initialisation", synthetic_data=True)).save_pretrained(folder)
    return folder
