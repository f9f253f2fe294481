"""Run `python app.py` in a subprocess on a free port (used by benchmarks/app_latency.py and the app tests)."""

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

ROOT = Path(__file__).resolve().parent.parent
DEMO_CHECKPOINT = ROOT / "assets" / "demo"


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
