"""The Synchrony page's charts (DOMAIN §7): regions of interest, motion energy, windowed synchrony."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observe.i18n import t

if TYPE_CHECKING:
    from observe.video.motion import Roi

from observe.charts.style import VALENCE_COLOURS

#: person → colour on the Synchrony page (Okabe-Ito, apart from the valence colours)
PERSON_COLOURS: dict[str, str] = {"client": "#CC79A7", "counselor": "#009E73", "background": "#56B4E9"}
#: more points than this are averaged in bins before plotting (a 50-min video has 75 000 samples)
MAX_CURVE_POINTS = 4000


def thin_series(frame: pd.DataFrame, max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """Means over equal bins of rows so at most ``max_points`` rows remain (NaN left out per bin).

    >>> thin_series(pd.DataFrame({"time_s": range(10), "v": range(10)}), 5)["v"].tolist()
    [0.5, 2.5, 4.5, 6.5, 8.5]
    """
    if len(frame) <= max_points:
        return frame
    size = math.ceil(len(frame) / max_points)
    return frame.groupby(np.arange(len(frame)) // size).mean(numeric_only=True).reset_index(drop=True)


def roi_figure(frame: np.ndarray, rois: Sequence[Roi], lang: str = "en") -> go.Figure:
    """A video frame (RGB array) with the regions of interest drawn as labelled rectangles.

    Labels come from ``syncpage.roi.<name>`` where translated, else the region's name.

    >>> from observe.video.motion import Roi
    >>> fig = roi_figure(np.zeros((90, 160, 3), np.uint8), [Roi("client_head", 100, 10, 30, 30)])
    >>> [s.x0 for s in fig.layout.shapes], fig.layout.annotations[0].text
    ([100], 'Client · head')
    """
    height, width = frame.shape[:2]
    fig = go.Figure(go.Image(z=frame, hoverinfo="x+y"))
    for roi in rois:
        colour = PERSON_COLOURS.get(roi.person, "#E69F00")
        label = t(f"syncpage.roi.{roi.name}", lang)
        fig.add_shape(
            type="rect",
            x0=roi.x,
            y0=roi.y,
            x1=roi.x + roi.w,
            y1=roi.y + roi.h,
            line={"color": colour, "width": 3, "dash": "dash" if roi.person == "background" else "solid"},
        )
        fig.add_annotation(
            x=roi.x,
            y=roi.y,
            text=roi.name if label.startswith("syncpage.") else label,
            showarrow=False,
            xanchor="left",
            # above the box, or inside it when the box touches the top of the frame
            yanchor="bottom" if roi.y >= 0.06 * height else "top",
            font={"color": "white", "size": 12},
            bgcolor=colour,
        )
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        # about the height the picture takes in a half-width page column: no blank band below it
        height=int(min(max(460 * height / width, 160), 480)),
        xaxis={"visible": False, "range": [0, width]},
        yaxis={"visible": False, "range": [height, 0], "scaleanchor": "x"},
    )
    return fig


def synchrony_timeline_figure(
    series: pd.DataFrame,
    windows: pd.DataFrame,
    openness: pd.DataFrame,
    lang: str = "en",
    *,
    openness_note: str | None = None,
) -> go.Figure:
    """Four rows on one time axis: client and counselor motion energy, synchrony per window, coded openness.

    The two persons get a row each (on one scale): drawn over each other, one hides the other.

    Parameters
    ----------
    series : DataFrame
        ``time_s``, ``client``, ``counselor`` (raw motion energy, %).
    windows : DataFrame
        Per-window synchrony (``start_s``, ``end_s``, ``all_lags``, ``lag_zero``),
        drawn at the window centre; an NA window is a gap (the page says why).
    openness : DataFrame
        ``observer``, ``start_s``, ``end_s``, ``oi`` (may be empty).
    openness_note : str, optional
        Shown in the last row when ``openness`` is empty (why there is no curve).

    >>> s = pd.DataFrame({"time_s": [0.0, 1.0], "client": [1.0, 2.0], "counselor": [2.0, 1.0]})
    >>> w = pd.DataFrame({"start_s": [0.0], "end_s": [1.0], "all_lags": [0.5], "lag_zero": [0.7]})
    >>> o = pd.DataFrame({"observer": ["ani"], "start_s": [0.0], "end_s": [1.0], "oi": [0.2]})
    >>> [tr.name for tr in synchrony_timeline_figure(s, w, o).data]
    ['client', 'counselor', 'synchrony, all lags', 'synchrony at lag zero', 'client openness (ani)']
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=[0.22, 0.22, 0.3, 0.26]
    )
    thin = thin_series(series[["time_s", "client", "counselor"]])
    top = float(np.nanmax(thin[["client", "counselor"]].to_numpy(float))) if len(thin) else 1.0
    for row, person in enumerate(("client", "counselor"), start=1):
        fig.add_trace(
            go.Scatter(
                x=thin["time_s"],
                y=thin[person],
                name=t(f"chart.sync.{person}", lang),
                mode="lines",
                line={"color": PERSON_COLOURS[person], "width": 1},
                hovertemplate="%{x:.1f} s: %{y:.2f} %<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(
            title_text=t(f"chart.sync.motion_{person}", lang), range=[0, top * 1.05], row=row, col=1
        )
    centre = (windows["start_s"] + windows["end_s"]) / 2
    for column, dash in (("all_lags", "solid"), ("lag_zero", "dot")):
        fig.add_trace(
            go.Scatter(
                x=centre,
                y=windows[column],
                name=t(f"chart.sync.{column}", lang),
                mode="lines+markers",
                line={"color": "#333333", "dash": dash},
                hovertemplate="%{x:.0f} s: %{y:.3f}<extra></extra>",
            ),
            row=3,
            col=1,
        )
    for observer, rows in openness.groupby("observer", sort=False):
        fig.add_trace(
            go.Scatter(
                x=(rows["start_s"] + rows["end_s"]) / 2,
                y=rows["oi"],
                name=t("chart.sync.oi", lang, observer=observer),
                mode="lines+markers",
                line={"color": VALENCE_COLOURS["open"]},
                hovertemplate="%{x:.0f} s: %{y:.2f}<extra></extra>",
            ),
            row=4,
            col=1,
        )
    if openness.empty and openness_note:
        fig.add_annotation(
            text=openness_note, xref="x4 domain", yref="y4 domain", x=0.5, y=0.5, showarrow=False
        )
    end = float(series["time_s"].max()) if len(series) else 0.0
    fig.update_xaxes(range=[0, end])
    fig.update_xaxes(title_text=t("chart.time_s", lang), row=4, col=1)
    fig.update_yaxes(title_text=t("chart.sync.synchrony", lang), rangemode="tozero", row=3, col=1)
    fig.update_yaxes(title_text=t("chart.sync.openness", lang), range=[-1.05, 1.05], row=4, col=1)
    fig.update_layout(
        height=720,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def synchrony_heatmap_figure(ccf: pd.DataFrame, windows: pd.DataFrame, lang: str = "en") -> go.Figure:
    """The window × lag table (|z|) as a heatmap: lag across, window start down; NA cells stay blank.

    >>> ccf = pd.DataFrame([[0.1, 0.5, 0.2]], columns=[-0.04, 0.0, 0.04], index=[1])
    >>> fig = synchrony_heatmap_figure(ccf, pd.DataFrame({"start_s": [0.0]}))
    >>> list(fig.data[0].x), fig.layout.xaxis.title.text
    ([-0.04, 0.0, 0.04], 'Lag (s): − counselor leads, + client leads')
    """
    fig = go.Figure(
        go.Heatmap(
            z=ccf.to_numpy(dtype=float),
            x=[float(c) for c in ccf.columns],
            y=windows["start_s"].to_numpy(dtype=float),
            colorscale="Viridis",  # perceptually uniform and colour-blind safe
            colorbar={"title": {"text": t("chart.sync.z", lang)}},
            hovertemplate="%{x:.2f} s · %{y:.0f} s: %{z:.3f}<extra></extra>",
        )
    )
    fig.add_vline(x=0.0, line_color="white", line_dash="dot")
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={"title": t("chart.sync.lag", lang)},
        yaxis={"title": t("chart.sync.window_start", lang), "autorange": "reversed"},
    )
    return fig


def surrogate_figure(
    real: float,
    shuffle: Sequence[float] = (),
    recombination: Sequence[float] = (),
    lang: str = "en",
) -> go.Figure:
    """Histograms of surrogate grand averages with the real session's value as a vertical line.

    >>> fig = surrogate_figure(0.4, [0.1, 0.2, 0.15], [0.2, 0.25])
    >>> [tr.name for tr in fig.data], fig.layout.shapes[0].x0
    (['segment-shuffled', 'recombined partners'], 0.4)
    """
    fig = go.Figure()
    for name, values, colour in (
        ("shuffle", shuffle, VALENCE_COLOURS["neutral"]),
        ("recombination", recombination, PERSON_COLOURS["background"]),
    ):
        if len(values):
            fig.add_trace(
                go.Histogram(
                    x=list(values), name=t(f"chart.sync.{name}", lang), marker_color=colour, opacity=0.75
                )
            )
    fig.add_vline(
        x=float(real),
        line_color="#000000",
        line_width=3,
        annotation_text=t("chart.sync.real", lang),
        annotation_position="top",
    )
    fig.update_layout(
        barmode="overlay",
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        xaxis={"title": t("chart.sync.grand_aver", lang)},
        yaxis={"title": t("chart.sync.count", lang)},
        legend={"orientation": "h", "y": 1.08, "yanchor": "bottom"},
    )
    return fig
