"""Plotly figure builders: a tidy DataFrame in, a ``go.Figure`` out (no Streamlit here).

One module per page family: :mod:`~observe.charts.timeline` (the coding timeline),
:mod:`~observe.charts.dashboards` (openness, time budget, cue patterns),
:mod:`~observe.charts.agreement` and :mod:`~observe.charts.synchrony`; the house colours are in
:mod:`~observe.charts.style`. Pages and views call them as ``charts.<figure>`` through this package.
"""

from observe.charts.agreement import (
    DISAGREEMENT_COLOUR,
    confusion_heatmap,
    training_figure,
    twin_timeline_figure,
)
from observe.charts.dashboards import (
    openness_curve_figure,
    openness_trend_figure,
    residual_heatmap_figure,
    small_multiples_figure,
    time_budget_figure,
)
from observe.charts.style import DIVERGING_SCALE, VALENCE_COLOURS, score_class, valence_class
from observe.charts.synchrony import (
    MAX_CURVE_POINTS,
    PERSON_COLOURS,
    roi_figure,
    surrogate_figure,
    synchrony_heatmap_figure,
    synchrony_timeline_figure,
    thin_series,
)
from observe.charts.timeline import timeline_figure, timeline_lanes, timeline_point_time

__all__ = [
    "DISAGREEMENT_COLOUR",
    "DIVERGING_SCALE",
    "MAX_CURVE_POINTS",
    "PERSON_COLOURS",
    "VALENCE_COLOURS",
    "confusion_heatmap",
    "openness_curve_figure",
    "openness_trend_figure",
    "residual_heatmap_figure",
    "roi_figure",
    "score_class",
    "small_multiples_figure",
    "surrogate_figure",
    "synchrony_heatmap_figure",
    "synchrony_timeline_figure",
    "thin_series",
    "time_budget_figure",
    "timeline_figure",
    "timeline_lanes",
    "timeline_point_time",
    "training_figure",
    "twin_timeline_figure",
    "valence_class",
]
