"""The demo as a server to measure or test: `python app.py` on a free loopback port in a subprocess, its uploads
and cached examples in a folder of the caller's, stopped on exit. The benchmarks, the tests (`tests/helpers.py`)
and `docs/screenshot.py` launch the app through `running_app`.
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

from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunningApp:
    url: str
    checkpoint: Path
    process: subprocess.Popen
    log: Path
    started: float  # time.monotonic() when the process was started
    startup_seconds: float  # from then until the page answers
    startup_cpu_seconds: float  # the server's CPU time (user + system) until then: steadier on a shared machine

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a Linux process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15


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
    checkpoint: Path = DEFAULT_CHECKPOINT,
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
        startup, startup_cpu = time.monotonic() - started, cpu_seconds(process.pid)
        yield RunningApp(url, Path(checkpoint), process, log, started, startup, startup_cpu)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
