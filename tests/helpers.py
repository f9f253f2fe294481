"""Helpers the tests share: the repository's paths, the demo app in a subprocess, dataset fixtures written in the
real download formats, and a training run small enough for a test. Test modules import from here, never from each
other; benchmarks and docs/screenshot.py use `running_app` too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT as DEMO_CHECKPOINT
from training import evaluate, train
from training.datasets import PAD_UFES_20_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
# Chromium for the Playwright tests (/usr/bin/chromium, never `playwright install`): quiet, no sandbox in containers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class RunningApp:
    url: str
    checkpoint: Path
    process: subprocess.Popen
    log: Path
    startup_seconds: float  # from process start until the page answers

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def peak_rss_bytes(self) -> int:
        """The server's peak resident set size (Linux VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmHWM not reported by /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"app.py did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@contextmanager
def running_app(
    workdir: Path,
    checkpoint: Path = DEMO_CHECKPOINT,
    timeout: float = 120,
    extra_env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[RunningApp]:
    """Start the demo on `checkpoint`; uploads and cached examples go under `workdir`; stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "app.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(workdir / "uploads"),
        "GRADIO_EXAMPLES_CACHE": str(workdir / "cached_examples"),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [sys.executable, "app.py", "--checkpoint", str(checkpoint), "--port", str(port), *extra_args]
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_until_ready(url, process, log, timeout)
        yield RunningApp(url, Path(checkpoint), process, log, time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# (patient, lesion, diagnostic, biopsied, images) of the PAD-UFES-20 fixture: 16 patients, all six classes.
PAD_LESIONS = [
    ("PAT_1", 10, "BCC", True, 2), ("PAT_1", 11, "ACK", False, 1), ("PAT_2", 20, "ACK", False, 1),
    ("PAT_3", 30, "NEV", False, 2), ("PAT_4", 40, "SEK", True, 1), ("PAT_5", 50, "SCC", True, 1),
    ("PAT_6", 60, "MEL", True, 1), ("PAT_7", 70, "BCC", True, 1), ("PAT_8", 80, "ACK", True, 1),
    ("PAT_9", 90, "NEV", False, 1), ("PAT_10", 100, "SEK", False, 2), ("PAT_11", 110, "SCC", True, 1),
    ("PAT_12", 120, "MEL", True, 1), ("PAT_13", 130, "BCC", True, 1), ("PAT_14", 140, "ACK", False, 1),
    ("PAT_15", 150, "NEV", False, 1), ("PAT_16", 160, "BCC", True, 3),
]  # fmt: skip
# A biopsied row and a non-biopsied row as the real CSV spells them (the latter lacks most fields).
BIOPSIED = "False,True,POMERANIA,BRASIL,55,False,FEMALE,True,True,True,True,3.0,NECK,6.0,5.0"
NOT_BIOPSIED = ",,,,8,,,,,,,,ARM,,"
SYMPTOMS = "True,UNK,False,True,True,True"


def write_pad(root, lesions=PAD_LESIONS, extra_column=None):
    """Writes metadata.csv and one PNG per image, alternating between images/imgs_part_1 and _2."""
    lines = [",".join(PAD_UFES_20_COLUMNS) + (f",{extra_column[0]}" if extra_column else "")]
    for i, (patient, lesion, diagnostic, biopsied, photos) in enumerate(lesions):
        for photo in range(photos):
            img_id = f"{patient}_{lesion}_{100 + photo}.png"
            clinical = (BIOPSIED if biopsied else NOT_BIOPSIED).split(",")
            row = [patient, str(lesion), *clinical[:15], diagnostic, *SYMPTOMS.split(","), img_id, str(biopsied)]
            lines.append(",".join(row) + (f",{extra_column[1](i)}" if extra_column else ""))
            folder = root / "images" / f"imgs_part_{1 + (len(lines) % 2)}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (40, 30), (120 + i, 80, 60)).save(folder / img_id)
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


DERM7PT_HEADER = (
    "case_num,diagnosis,seven_point_score,pigment_network,streaks,pigmentation,regression_structures,"
    "dots_and_globules,blue_whitish_veil,vascular_structures,level_of_diagnostic_difficulty,elevation,location,"
    "sex,clinic,derm,management"
)
DERM7PT_CASES = [  # diagnosis, elevation, location, sex, management
    ("basal cell carcinoma", "palpable", "head neck", "female", "excision"),
    ("clark nevus", "flat", "back", "male", "clinical follow up"),
    ("melanoma (in situ)", "flat", "lower limbs", "female", "excision"),
    ("lentigo", "flat", "upper limbs", "male", "no further examination"),
    ("seborrheic keratosis", "nodular", "chest", "male", "clinical follow up"),
    ("blue nevus", "palpable", "acral", "female", "excision"),
]


def write_derm7pt(release):
    """A release_v0 tree: meta/meta.csv, meta/{train,valid,test}_indexes.csv, images/<folder>/<file>.jpg."""
    (release / "meta").mkdir(parents=True)
    lines = [DERM7PT_HEADER]
    for case, (diagnosis, elevation, location, sex, management) in enumerate(DERM7PT_CASES, start=1):
        clinic, derm = f"Aal{2 * case:03d}.jpg", f"Aal{2 * case + 1:03d}.jpg"
        lines.append(f"{case},{diagnosis},1,absent,absent,absent,absent,absent,absent,absent,low,{elevation},"
                     f"{location},{sex},AAL/{clinic},AAL/{derm},{management}")  # fmt: skip
        for name, shade in ((clinic, 50), (derm, 200)):
            (release / "images" / "AAL").mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (32, 32), (shade, shade, shade)).save(release / "images" / "AAL" / name)
    (release / "meta" / "meta.csv").write_text("\n".join(lines) + "\n")
    for name, rows in (("train", [0, 1, 2]), ("valid", [3]), ("test", [4, 5])):
        (release / "meta" / f"{name}_indexes.csv").write_text("indexes\n" + "\n".join(map(str, rows)) + "\n")
    return release


# training.train options for a backbone and input size small enough that an epoch over ~100 images takes about a
# second on one core.
TRAIN_TINY = ["--backbone", "mobilenetv3_small_050", "--image-size", "32", "--token-dim", "16", "--num-heads", "2",
              "--expert-hidden", "16", "--batch-size", "16", "--workers", "0", "--threads", "1",
              "--device", "cpu"]  # fmt: skip


def train_tiny(data, out, *extra, dataset="pad-ufes-20"):
    argv = ["--data", str(data), "--dataset", dataset, "--out", str(out), *TRAIN_TINY, *extra]
    train.main(train.get_args_parser().parse_args(argv))


def evaluate_tiny(checkpoint, data, out, *extra, dataset="pad-ufes-20"):
    """`training.evaluate` of a tiny run's checkpoint on its held-out fold 0, in this process."""
    argv = ["--checkpoint", str(checkpoint), "--data", str(data), "--dataset", dataset, "--out", str(out)]
    evaluate.main(evaluate.get_args_parser().parse_args([*argv, "--workers", "0", "--threads", "1", *extra]))
