"""Test-wide settings: never reach the Hugging Face Hub (no network here; tests use pretrained=False)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
