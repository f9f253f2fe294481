"""The launched demo under load (`python -m benchmarks.load --url`, run as the command it is): 100 simultaneous
/predict clients are all served, raw HTTP ones and new gradio_client ones (which fetch /config and
/gradio_api/info first, 5 seconds allowed each); past the queue's capacity clients are refused at once with a busy
message, never left hanging, and the server keeps serving."""

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def load(app, clients: int, *options: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.load", "--url", app.url, "--clients", str(clients), "--json"]
    command += ["--checkpoint", str(app.checkpoint), "--timeout", "60", *options]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("options", [(), ("--gradio-client",)], ids=["raw-http", "new-gradio-clients"])
def test_one_hundred_simultaneous_clients_are_all_served(demo_app, options):
    result = load(demo_app, 100, *options)
    assert result["served"] == 100 and result["failed"] == 0, result
    assert result["max_s"] <= 30 and result["serving_afterwards"]


def test_past_capacity_clients_get_a_busy_error_and_the_server_keeps_serving(demo_app):
    result = load(demo_app, 260)
    assert result["refused_busy"] > 0 and result["failed"] == 0, result
    assert result["served"] + result["refused_busy"] == 260 and result["serving_afterwards"]
