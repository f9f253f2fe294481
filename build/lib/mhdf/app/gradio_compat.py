"""Work-arounds for Gradio versions this app supports, each saying which versions need it.

Gradio 6.x up to at least 6.31: native plots (`gr.BarPlot`, `gr.LinePlot`, `gr.ScatterPlot`) declare no data model,
so a lazily cached example value comes back from the cache as JSON text, which the browser cannot draw. Setting
the plot's `data_model` to Gradio's own `PlotData` makes the cache load it back as plot data. Remove `bar_plot`
when `gr.BarPlot().data_model` is set by Gradio itself (the test of this module checks that).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components.native_plot import PlotData


def bar_plot(**kwargs: Any) -> gr.BarPlot:
    """`gr.BarPlot(**kwargs)` whose cached example values load back as plot data."""
    plot = gr.BarPlot(**kwargs)
    plot.data_model = PlotData
    return plot
