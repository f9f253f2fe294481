"""The Gradio work-around is still needed by the installed Gradio, and does what it says."""

import gradio as gr
from gradio.components.native_plot import PlotData

from mhdf.app.gradio_compat import bar_plot


def test_gradio_native_plots_still_declare_no_data_model():
    # when this fails, Gradio fixed it: delete mhdf/app/gradio_compat.py and use gr.BarPlot directly
    assert gr.BarPlot().data_model is None


def test_bar_plot_loads_cached_values_back_as_plot_data():
    plot = bar_plot(x="field", y="weight")
    assert plot.data_model is PlotData and plot.x == "field"
