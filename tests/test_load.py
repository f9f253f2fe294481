"""The launched demo under load (benchmarks/load.py): 100 simultaneous /predict clients are all served; past the
queue's capacity clients are refused at once with a busy message, never left hanging, and the server keeps serving."""

import pytest

from benchmarks.app_server import running_app
from benchmarks.load import hammer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("load")) as app:
        yield app


def test_one_hundred_simultaneous_clients_are_all_served(server):
    result = hammer(server.url, 100, timeout=60, checkpoint=server.checkpoint)
    assert result["served"] == 100 and result["failed"] == 0, result
    assert result["max_s"] <= 30 and result["serving_afterwards"]


def test_past_capacity_clients_get_a_busy_error_and_the_server_keeps_serving(server):
    result = hammer(server.url, 260, timeout=60, checkpoint=server.checkpoint)
    assert result["refused_busy"] > 0 and result["failed"] == 0, result
    assert result["served"] + result["refused_busy"] == 260 and result["serving_afterwards"]
