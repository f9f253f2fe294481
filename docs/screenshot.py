"""Refresh docs/screenshot.png, the picture of the app in the README: launches `python app.py` on the bundled
checkpoint, drives Chromium through an example diagnosis and saves the page after Diagnose.

    python docs/screenshot.py [--out docs/screenshot.png] [--chromium /usr/bin/chromium] [--width 1440]

Needs Playwright (requirements-dev.txt) and a Chromium (Debian: `apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the checkout's packages come first

from benchmarks.served_app import running_app  # noqa: E402
from mhdf.inference import Predictor  # noqa: E402
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_examples  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Screenshot of the demo after an example diagnosis")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium executable")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1500, help="the part of the page the picture shows")
    parser.add_argument("--example", default=None, help="example case name (default: the first)")
    return parser


def main(args: argparse.Namespace) -> Path:
    predictor = Predictor.from_pretrained(DEFAULT_CHECKPOINT, device="cpu")
    examples = read_examples(DEFAULT_CHECKPOINT, predictor.schema)
    example = next((e for e in examples if e.name == args.example), examples[0])
    with tempfile.TemporaryDirectory() as workdir, running_app(Path(workdir)) as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(app.url)
        page.get_by_text(example.title, exact=True).click()
        expect(page.locator("#gradcam img")).to_have_count(1, timeout=120_000)
        expect(page.locator("#modality-comparison img")).to_have_count(1, timeout=120_000)
        page.evaluate("window.scrollTo(0, 0)")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        browser.close()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return args.out


if __name__ == "__main__":
    main(get_args_parser().parse_args())
