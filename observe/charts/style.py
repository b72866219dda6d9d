"""The house style of every chart: one valence colour map, used everywhere (DESIGN.md), and the
plotly template every figure is built with.

Okabe-Ito blue for open, grey for neutral, vermillion for closed — distinguishable with the
common colour-vision deficiencies (Okabe & Ito 2008) — and a light grey for not visible / no
valence (NA, never neutral).

The template (:data:`TEMPLATE`, put on every figure by :func:`house` as it is shown or
downloaded) gives the charts the app's own look — its font and text colours, no background,
horizontal grid lines only, margins that grow to fit the axis labels. Not through plotly's global
default: Streamlit sets that default to a template of its own when it draws a plotly chart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observe.charts.margins import fit

#: valence class → colour (Okabe-Ito)
VALENCE_COLOURS: dict[str, str] = {
    "open": "#0072B2",
    "neutral": "#999999",
    "closed": "#D55E00",
    "na": "#D9D9D9",
}
_CLASS_OF = {1.0: "open", 0.0: "neutral", -1.0: "closed"}


def valence_class(value: float | None) -> str:
    """``open`` / ``neutral`` / ``closed`` for +1 / 0 / −1; ``na`` for a missing valence.

    >>> valence_class(-1), valence_class(float("nan"))
    ('closed', 'na')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "na"
    return _CLASS_OF.get(float(value), "na")


def session_end(frame: pd.DataFrame) -> float:
    """Where a still running state is drawn to when the frame has no session duration."""
    times = pd.concat([frame["start_s"], frame["end_s"]]).astype(float)
    return float(times.max()) if times.notna().any() else 0.0


def score_class(value: float | None, band: float = 0.1) -> str:
    """Valence class of a continuous score in [−1, 1], for colouring only (not a finding).

    Scores within ±``band`` of 0 are neutral.

    >>> score_class(0.4), score_class(-0.05), score_class(-0.3), score_class(float("nan"))
    ('open', 'neutral', 'closed', 'na')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "na"
    return "open" if value > band else "closed" if value < -band else "neutral"


def score_colours(values: pd.Series | np.ndarray) -> list[str]:
    """The valence colour of each score (see :func:`score_class`)."""
    return [VALENCE_COLOURS[score_class(float(v))] for v in np.asarray(values, dtype=float)]


#: Diverging scale for residuals/Q: closed colour (negative) → white → open colour (positive).
DIVERGING_SCALE = [[0.0, VALENCE_COLOURS["closed"]], [0.5, "#FFFFFF"], [1.0, VALENCE_COLOURS["open"]]]


_FONT = '"Source Sans", "Source Sans Pro", sans-serif'  # the app's font (Streamlit's)
_TEXT, _FADED, _GRID, _LINE = "#31333F", "#808495", "#E6EAF1", "#D5DAE5"
_AXIS = {
    "automargin": True,
    # plotly's default for numeric axes ("hide past div") measures every tick label again as each
    # label is placed: a third of a chart's first drawing; our margins hold the labels anyway
    "ticklabeloverflow": "allow",
    "gridcolor": _GRID,
    "zerolinecolor": _LINE,
    "linecolor": _LINE,
    "tickfont": {"color": _FADED, "size": 12},
    "title": {"font": {"color": _FADED}},
}
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": _FONT, "size": 14, "color": _TEXT},
        "colorway": ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"],
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {**_AXIS, "showgrid": False},
        "yaxis": {**_AXIS, "showgrid": True},
        "hoverlabel": {"font": {"family": _FONT}},
        "legend": {"font": {"color": _TEXT}},
        "margin": {"t": 30, "b": 40, "l": 10, "r": 10},
    }
)
_TEMPLATE_JSON = TEMPLATE.to_plotly_json()


def house(fig: go.Figure) -> dict[str, Any]:
    """``fig`` as plotly JSON (a dict) in the house template; ``fig`` itself is not changed.

    >>> fig = go.Figure(go.Scatter(x=[1], y=[2]), layout={"template": "plotly_dark"})
    >>> house(fig)["layout"]["template"]["layout"]["font"]["family"].startswith('"Source Sans"')
    True
    >>> fig.layout.template.layout.paper_bgcolor  # the figure keeps its own
    'rgb(17,17,17)'
    """
    payload = fig.to_plotly_json()
    layout = {**payload.get("layout", {}), "template": _TEMPLATE_JSON}
    asked = {**_TEMPLATE_JSON["layout"]["margin"], **layout.get("margin", {})}
    # margins that already hold the labels, so that plotly draws the chart once (charts/margins.py)
    layout["margin"] = {**asked, **fit({**payload, "layout": {**layout, "margin": asked}})}
    return {**payload, "layout": layout}
