"""The Gradio work-arounds are still needed by the installed Gradio, and do what they say."""

import gradio as gr
import pytest
from gradio.components.native_plot import PlotData
from gradio.routes import App
from starlette.testclient import TestClient

from mhdf.app.gradio_compat import MAX_ANSWERS, bar_plot, first_fetch_cache


def test_gradio_native_plots_still_declare_no_data_model():
    # when this fails, Gradio fixed it: delete bar_plot and use gr.BarPlot directly
    assert gr.BarPlot().data_model is None


def test_bar_plot_loads_cached_values_back_as_plot_data():
    plot = bar_plot(x="field", y="weight")
    assert plot.data_model is PlotData and plot.x == "field"


@pytest.fixture
def config_copies(monkeypatch):
    """How many times Gradio has deep-copied a config (its /config route does, per request) since the test began."""
    copies = []
    deepcopy = gr.utils.safe_deepcopy

    def counted(value):
        copies.append(1)
        return deepcopy(value)

    monkeypatch.setattr(gr.utils, "safe_deepcopy", counted)
    return copies


def echo(name: str) -> str:
    return name


def served(middleware=()):
    """A small app as Gradio serves it, with `middleware`, for requests in this process."""
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
        gr.api(echo, api_name="echo")
    return TestClient(App.create_app(demo, app_kwargs={"middleware": list(middleware)}))


def test_gradio_still_builds_the_config_anew_for_every_request(config_copies):
    # when this fails, Gradio keeps the answer itself: delete FirstFetchCache
    client = served()
    for _ in range(3):
        client.get("/config").raise_for_status()
    assert len(config_copies) == 3


def test_first_fetches_are_answered_from_the_first_answer_per_origin(config_copies):
    client = served([first_fetch_cache()])
    first, again = (client.get("/config") for _ in range(2))
    assert again.content == first.content and len(config_copies) == 1
    proxied = client.get("/config", headers={"x-forwarded-host": "example.org", "x-forwarded-proto": "https"})
    assert proxied.json()["root"] == "https://example.org" and first.json()["root"] != proxied.json()["root"]
    assert len(config_copies) == 2
    client.get("/config", params={"deep_link": "x"})  # a query goes to Gradio
    assert len(config_copies) == 3

    for origin in ("http://a.example", "http://b.example", None):  # each answer allows its own origin only
        answer = client.get("/config", headers={"origin": origin} if origin else {})
        assert answer.headers.get("access-control-allow-origin") == origin and answer.content == first.content

    info = [client.get("/gradio_api/info") for _ in range(2)]
    assert info[1].content == info[0].content and "/echo" in info[0].json()["named_endpoints"]


def test_clients_cannot_make_the_cache_grow(config_copies):
    client = served([first_fetch_cache()])
    hosts = [f"h{index}.example" for index in range(MAX_ANSWERS + 1)]  # /config only: one answer per host
    for host in hosts:
        assert client.get("/config", headers={"host": host}).json()["root"] == f"http://{host}"
    client.get("/config", headers={"host": hosts[-1]})  # past the cap: answered by Gradio again, not kept
    client.get("/config", headers={"host": hosts[0]})  # kept
    assert len(config_copies) == MAX_ANSWERS + 2
