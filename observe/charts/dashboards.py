"""The analysis dashboards' charts (issue 4): openness curves and trends, time budget, cue patterns.

Series lines are black (client openness) and dark grey dashed (counselor attending); the
markers on them carry the valence colours, so "open/neutral/closed" reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observe.i18n import t
from observe.scheme import CodingScheme

if TYPE_CHECKING:
    pass

from observe.charts.style import DIVERGING_SCALE, VALENCE_COLOURS, score_colours, valence_class

_CLIENT_LINE = {"color": "#000000", "width": 1.5}
_COUNSELOR_LINE = {"color": "#555555", "width": 1.5, "dash": "dash"}
_TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}


def _series(x: np.ndarray, y: pd.Series, name: str, line: dict[str, object], hover: str) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=np.asarray(y, dtype=float),
        name=name,
        mode="lines+markers",
        line=line,
        marker={"color": score_colours(y), "size": 8, "line": {"width": 0.5, "color": "#333333"}},
        hovertemplate=hover,
        connectgaps=False,
    )


def openness_curve_figure(
    windows: pd.DataFrame,
    attending: pd.DataFrame | None,
    lang: str = "en",
    *,
    playhead_s: float | None = None,
) -> go.Figure:
    """Openness per window with the counselor's attending curve under it (shared time axis).

    Parameters
    ----------
    windows, attending
        ``OpennessResult.windows`` of the client and of the counselor (``start_s``,
        ``end_s``, ``oi``); points sit at the window centre, gaps where the index is missing.
    lang
        Language of titles and hovers.
    playhead_s
        Optional vertical line (e.g. the moment picked in the timeline).

    Examples
    --------
    >>> w = pd.DataFrame({"start_s": [0.0, 60.0], "end_s": [60.0, 120.0], "oi": [0.5, -0.4]})
    >>> fig = openness_curve_figure(w, w.assign(oi=[0.2, 0.0]))
    >>> fig.data[0].marker.color
    ('#0072B2', '#D55E00')
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    hover = "%{x:.0f} s<br>%{y:.2f}<extra>%{fullData.name}</extra>"
    for row, (frame, key, line) in enumerate(
        (
            (windows, "dash.chart.openness", _CLIENT_LINE),
            (attending, "dash.chart.attending", _COUNSELOR_LINE),
        ),
        start=1,
    ):
        if frame is None:
            continue
        mid = ((frame["start_s"] + frame["end_s"]) / 2).to_numpy(float)
        fig.add_trace(_series(mid, frame["oi"], t(key, lang), line, hover), row=row, col=1)
        fig.add_hline(y=0, line_color="#999999", line_width=1, row=row, col=1)
        fig.update_yaxes(title_text=t(key, lang), range=[-1.05, 1.05], row=row, col=1)
    if playhead_s is not None:
        fig.add_vline(x=float(playhead_s), line_color="#B00020", line_width=2)
    fig.update_xaxes(title_text=t("chart.time_s", lang), rangemode="tozero", row=2, col=1)
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend=_TOP_LEGEND)
    return fig


def openness_trend_figure(
    sessions: pd.DataFrame,
    lang: str = "en",
    *,
    trend: Mapping[str, float] | None = None,
    rho: float | None = None,
    last_n: int | None = None,
    value: str = "oi",
) -> go.Figure:
    """OI(σ) across sessions with its CI band and trend, and the resistance rate with the referral threshold.

    Parameters
    ----------
    sessions
        One row per session: ``session_number``, ``value`` (``oi`` or a baseline-relative
        column such as ``delta_first``), ``ci_low``/``ci_high`` (drawn for ``oi`` only),
        optional ``attending``, ``rr_per_10min`` and ``partial`` (partially coded sessions
        get an open ring: they are left out of the trend).
    trend
        ``slope``/``intercept`` of the OLS trend (drawn when defined and ``value == "oi"``).
    rho, last_n
        Referral threshold ρ (per 10 min) drawn on the resistance panel; the last N
        sessions the flag examines are shaded.

    Examples
    --------
    >>> s = pd.DataFrame({"session_number": [1, 2, 3], "oi": [0.1, 0.2, 0.4], "ci_low": [0.0, 0.1, 0.3],
    ...                   "ci_high": [0.2, 0.3, 0.5], "rr_per_10min": [4.0, 3.0, 1.0]})
    >>> fig = openness_trend_figure(s, rho=3.0, trend={"slope": 0.15, "intercept": -0.07})
    >>> fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text
    ('Openness index', 'Resistance per 10 min')
    """
    from plotly.subplots import make_subplots

    s = sessions.sort_values("session_number")
    x = s["session_number"].to_numpy(float)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.65, 0.35])
    if value == "oi" and {"ci_low", "ci_high"} <= set(s.columns):
        fig.add_trace(
            go.Scatter(
                x=np.r_[x, x[::-1]],
                y=np.r_[s["ci_high"].to_numpy(float), s["ci_low"].to_numpy(float)[::-1]],
                mode="lines",
                fill="toself",
                fillcolor="rgba(0,114,178,0.15)",
                line={"width": 0},
                name=t("dash.chart.ci", lang),
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    name = t("dash.chart.openness" if value == "oi" else f"dash.chart.{value}", lang)
    hover = "%{x}: %{y:.2f}<extra>%{fullData.name}</extra>"
    fig.add_trace(_series(x, s[value], name, _CLIENT_LINE, hover), row=1, col=1)
    if "attending" in s and value == "oi":
        fig.add_trace(
            _series(x, s["attending"], t("dash.chart.attending", lang), _COUNSELOR_LINE, hover), 1, 1
        )
    if value == "oi" and trend and not math.isnan(float(trend.get("slope", math.nan))):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=float(trend["intercept"]) + float(trend["slope"]) * x,
                mode="lines",
                line={"color": "#000000", "width": 1, "dash": "dot"},
                name=t("dash.chart.trend", lang, slope=f"{float(trend['slope']):+.3f}"),
            ),
            row=1,
            col=1,
        )
    if "partial" in s and s["partial"].astype(bool).any():  # DOMAIN §9.3: shown, but not in the trend
        part = s[s["partial"].astype(bool)]
        fig.add_trace(go.Scatter(x=part["session_number"].to_numpy(float), y=part[value].to_numpy(float),
                                 mode="markers", marker={"symbol": "circle-open", "size": 14, "color": "#000000"},
                                 name=t("dash.chart.partial", lang)), row=1, col=1)  # fmt: skip
    fig.add_hline(y=0, line_color="#999999", line_width=1, row=1, col=1)
    if "rr_per_10min" in s:
        fig.add_trace(
            go.Bar(
                x=x,
                y=s["rr_per_10min"].to_numpy(float),
                marker_color=VALENCE_COLOURS["closed"],
                name=t("dash.chart.rr", lang),
                hovertemplate="%{x}: %{y:.1f}<extra>%{fullData.name}</extra>",
            ),
            row=2,
            col=1,
        )
    if rho is not None:
        fig.add_hline(y=float(rho), line_color="#000000", line_dash="dash", row=2, col=1,
                      annotation_text=t("dash.chart.threshold", lang, rho=f"{rho:g}"),
                      annotation_position="top right",
            annotation_bgcolor="rgba(255,255,255,0.8)")  # fmt: skip
    if last_n and len(x) >= last_n:
        fig.add_vrect(x0=x[-last_n] - 0.5, x1=x[-1] + 0.5, fillcolor="#999999", opacity=0.12, line_width=0)
    fig.update_yaxes(title_text=name, row=1, col=1)
    fig.update_yaxes(title_text=t("dash.chart.rr", lang), rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text=t("dash.chart.session_number", lang), dtick=1, row=2, col=1)
    fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend=_TOP_LEGEND)
    return fig


def time_budget_figure(
    budget: pd.DataFrame,
    scheme: CodingScheme,
    lang: str = "en",
    *,
    valences: Mapping[tuple[str, str], float] | None = None,
    value: str = "share_observable",
) -> go.Figure:
    """Horizontal bars per cue (share of observable time, total seconds or count), one panel per subject.

    Bars take the valence colour of the cue for its subject (with the client's profile if
    ``valences`` is given).

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> tb = pd.DataFrame({"subject": ["client", "client"], "channel": "GAZE", "cue": ["G_EYE", "G_AWAY"],
    ...                    "kind": "state", "count": [2, 1], "total_s": [30.0, 10.0],
    ...                    "share_observable": [0.75, 0.25]})
    >>> fig = time_budget_figure(tb, default_scheme())
    >>> fig.data[0].y, fig.data[0].marker.color, fig.layout.xaxis.title.text
    (('Looks away', 'Eye contact'), ('#D55E00', '#0072B2'), 'Share of observable time (%)')
    """
    from plotly.subplots import make_subplots

    vals = dict(valences) if valences is not None else scheme.valences()
    rows = budget.dropna(subset=[value]) if value in budget else budget.iloc[0:0]
    subjects = [s.code for s in scheme.subjects if s.code in set(rows["subject"])] or ["client"]
    titles = [
        next((s.labels.get(lang) or s.labels["en"] for s in scheme.subjects if s.code == c), c)
        for c in subjects
    ]
    counts = [int((rows["subject"] == s).sum()) for s in subjects]
    fig = make_subplots(rows=len(subjects), cols=1, subplot_titles=titles, vertical_spacing=0.12 / len(subjects),
                        row_heights=[max(c, 1) for c in counts])  # fmt: skip
    labels = {c.code: c.label(lang) for c in scheme.cues}
    scale = 100.0 if value.startswith("share") else 1.0
    for i, subject in enumerate(subjects, start=1):
        sub = rows[rows["subject"] == subject].sort_values(value)
        colours = [VALENCE_COLOURS[valence_class(vals.get((subject, c), math.nan))] for c in sub["cue"]]
        fig.add_trace(
            go.Bar(
                x=sub[value].to_numpy(float) * scale,
                y=[labels.get(c, c) for c in sub["cue"]],
                orientation="h",
                marker_color=colours,
                name=titles[i - 1],
                showlegend=False,
                hovertemplate="%{y}: %{x:.1f}<extra></extra>",
            ),
            row=i,
            col=1,
        )
        fig.update_xaxes(title_text=t(f"dash.chart.{value}", lang), row=i, col=1)
    fig.update_layout(
        height=max(300, 20 * len(rows) + 90 * len(subjects)), margin={"l": 10, "r": 10, "t": 40, "b": 40}
    )
    return fig


def residual_heatmap_figure(pooled: pd.DataFrame, lang: str = "en", *, value: str = "pooled_z") -> go.Figure:
    """Given cues (rows) × target cues (columns) coloured by the adjusted residual, with z and Q written in.

    Colours run from the closed colour (z ≤ −4) through white to the open colour (z ≥ 4);
    ``value="pooled_q"`` or ``"mean_q"`` shows Yule's Q on [−1, 1] instead.

    Examples
    --------
    >>> p = pd.DataFrame({"given": ["counselor:T_FWD"], "target": ["client:G_EYE"],
    ...                   "pooled_z": [7.66], "pooled_q": [0.73]})
    >>> fig = residual_heatmap_figure(p)
    >>> fig.data[0].z.tolist(), fig.layout.xaxis.title.text
    ([[7.66]], 'Target cue')
    """
    grid = pooled.pivot_table(index="given", columns="target", values=value, aggfunc="first", sort=False)
    q = pooled.pivot_table(index="given", columns="target", values="pooled_q", aggfunc="first", sort=False)
    q = q.reindex(index=grid.index, columns=grid.columns)
    z = grid.to_numpy(float)
    text = [
        [
            f"{value.split('_')[-1]} = {a:.2f}<br>Q = {b:.2f}" if not math.isnan(a) else "–"
            for a, b in zip(ra, rb, strict=True)
        ]
        for ra, rb in zip(z, q.to_numpy(float), strict=True)
    ]
    bound = 1.0 if value.endswith("q") else 4.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(grid.columns),
            y=list(grid.index),
            text=text,
            texttemplate="%{text}",
            colorscale=DIVERGING_SCALE,
            zmin=-bound,
            zmax=bound,
            colorbar={"title": {"text": t(f"dash.chart.{value}", lang)}},
            hovertemplate="%{y} → %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": t("dash.chart.target", lang), "type": "category"},
        yaxis={"title": t("dash.chart.given", lang), "type": "category", "autorange": "reversed"},
        height=140 + 60 * len(grid.index),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )
    return fig


def small_multiples_figure(
    sessions: pd.DataFrame,
    lang: str = "en",
    *,
    facet: str = "client",
    columns: int = 3,
) -> go.Figure:
    """One small panel per client (same axes): openness per session and, if present, attending.

    Examples
    --------
    >>> s = pd.DataFrame({"client": ["K1", "K1", "K2"], "session_number": [1, 2, 1], "oi": [0.1, 0.3, -0.2],
    ...                   "attending": [0.5, 0.5, 0.4]})
    >>> fig = small_multiples_figure(s)
    >>> len(fig.data), fig.layout.yaxis.title.text
    (4, 'Index')
    """
    from plotly.subplots import make_subplots

    groups = list(sessions.groupby(facet, sort=True))
    n = max(1, len(groups))
    ncols = min(columns, n)
    nrows = -(-n // ncols)
    fig = make_subplots(rows=nrows, cols=ncols, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[str(k) for k, _ in groups] or [""])  # fmt: skip
    hover = "%{x}: %{y:.2f}<extra>%{fullData.name}</extra>"
    for i, (_, sub) in enumerate(groups):
        r, c = divmod(i, ncols)
        sub = sub.sort_values("session_number")
        x = sub["session_number"].to_numpy(float)
        first = i == 0
        tr = _series(x, sub["oi"], t("dash.chart.openness", lang), _CLIENT_LINE, hover)
        tr.update(legendgroup="oi", showlegend=first)
        fig.add_trace(tr, row=r + 1, col=c + 1)
        if "attending" in sub:
            tr = _series(x, sub["attending"], t("dash.chart.attending", lang), _COUNSELOR_LINE, hover)
            tr.update(legendgroup="att", showlegend=first)
            fig.add_trace(tr, row=r + 1, col=c + 1)
    fig.update_yaxes(range=[-1.05, 1.05])
    for r in range(1, nrows + 1):
        fig.update_yaxes(title_text=t("dash.chart.index", lang), row=r, col=1)
    for c in range(1, ncols + 1):
        fig.update_xaxes(title_text=t("dash.chart.session_number", lang), dtick=1, row=nrows, col=c)
    # the legend at the top of the figure, above the panels' titles (not over them)
    fig.update_layout(height=110 + 240 * nrows, margin={"l": 10, "r": 10, "t": 70, "b": 40},
                      legend={**_TOP_LEGEND, "yref": "container", "y": 1, "yanchor": "top"})  # fmt: skip
    return fig
