"""Plotly figure builders: a tidy DataFrame in, a ``go.Figure`` out (no Streamlit here).

One valence colour map is used everywhere (DESIGN.md): Okabe-Ito blue for open, grey for
neutral, vermillion for closed — distinguishable with the common colour-vision deficiencies
(Okabe & Ito 2008) — and a light grey for not visible / no valence (NA, never neutral).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from observe.i18n import t
from observe.scheme import CodingScheme

if TYPE_CHECKING:
    from observe.video.motion import Roi

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


def timeline_lanes(scheme: CodingScheme, lang: str = "en") -> list[tuple[str, str, str]]:
    """``(subject, channel, label)`` for every lane, in scheme order (subjects, then channels)."""
    lanes = []
    for subject in scheme.subjects:
        used = {c.channel for c in scheme.cues_for(subject.code)}
        for channel in scheme.channels:
            if channel.code in used:
                label = (
                    f"{subject.labels.get(lang) or subject.labels['en']} · "
                    f"{channel.labels.get(lang) or channel.labels['en']}"
                )
                lanes.append((subject.code, channel.code, label))
    return lanes


def timeline_figure(
    events: pd.DataFrame,
    scheme: CodingScheme,
    lang: str = "en",
    playhead_s: float | None = None,
    *,
    valences: Mapping[tuple[str, str], float] | None = None,
) -> go.Figure:
    """One lane per subject × channel: states as bars, points as markers, coloured by valence.

    Parameters
    ----------
    events : DataFrame
        Tidy events (``observe.frames``): ``subject, channel, cue, kind, start_s, end_s`` and
        optionally ``duration_s`` (a running state, ``end_s`` NaN, closes there, else at the
        last time in the frame).
    scheme : CodingScheme
        Gives lanes, cue labels in ``lang`` and, unless ``valences`` is given, the default valences.
    lang : str
        Language of labels and hover texts.
    playhead_s : float, optional
        Draw the playhead (a vertical line) at this time.
    valences : mapping, optional
        ``{(subject, cue): value}`` (e.g. with the client's profile); default: the scheme's.

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> ev = pd.DataFrame({"subject": ["client"], "channel": ["GAZE"], "cue": ["G_EYE"],
    ...                    "kind": ["state"], "start_s": [1.0], "end_s": [4.0]})
    >>> fig = timeline_figure(ev, default_scheme())
    >>> [tr.name for tr in fig.data if len(tr.x)]
    ['open']
    """
    vals = dict(valences) if valences is not None else scheme.valences()
    lanes = timeline_lanes(scheme, lang)
    label_of = {(s, c): label for s, c, label in lanes}
    frame = events.loc[
        [(s, c) in label_of for s, c in zip(events["subject"], events["channel"], strict=True)]
    ]
    end_all = _session_end(frame)
    cue_labels = {c.code: c.label(lang) for c in scheme.cues}
    fig = go.Figure()
    for cls in VALENCE_COLOURS:
        rows = frame.loc[
            [
                valence_class(vals.get((s, c), math.nan)) == cls
                for s, c in zip(frame["subject"], frame["cue"], strict=True)
            ]
        ]
        states = rows.loc[rows["kind"] == "state"]
        points = rows.loc[rows["kind"] == "point"]
        end = states["end_s"].astype(float)
        if "duration_s" in states:
            end = end.fillna(states["duration_s"].astype(float))
        end = end.fillna(end_all)
        name = t(f"chart.valence.{'none' if cls == 'na' else cls}", lang)
        hover = "%{customdata[0]}<br>%{customdata[1]:.3f}–%{customdata[2]:.3f} s<extra></extra>"
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=[label_of[(s, c)] for s, c in zip(states["subject"], states["channel"], strict=True)],
                base=states["start_s"].astype(float).to_numpy(),
                x=(end - states["start_s"].astype(float)).to_numpy(),
                marker_color=VALENCE_COLOURS[cls],
                customdata=np.column_stack(
                    [[cue_labels.get(c, c) for c in states["cue"]], states["start_s"], end]
                )
                if len(states)
                else None,
                hovertemplate=hover,
                legendgroup=cls,
            )
        )
        fig.add_trace(
            go.Scatter(
                name=name,
                mode="markers",
                y=[label_of[(s, c)] for s, c in zip(points["subject"], points["channel"], strict=True)],
                x=points["start_s"].astype(float).to_numpy(),
                marker={"symbol": "diamond", "size": 9, "color": VALENCE_COLOURS[cls]},
                text=[cue_labels.get(c, c) for c in points["cue"]],
                hovertemplate="%{text}<br>%{x:.3f} s<extra></extra>",
                legendgroup=cls,
                showlegend=False,
            )
        )
    if playhead_s is not None:
        fig.add_vline(x=float(playhead_s), line_color="#B00020", line_width=2)
    fig.update_layout(
        barmode="overlay",
        height=40 + 22 * len(lanes),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"title": t("chart.time_s", lang), "rangemode": "tozero"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": [label for *_, label in reversed(lanes)],
            "type": "category",
            "range": [-0.5, len(lanes) - 0.5],
        },
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        bargap=0.25,
    )
    return fig


def _session_end(frame: pd.DataFrame) -> float:
    """Where a still running state is drawn to when the frame has no session duration."""
    times = pd.concat([frame["start_s"], frame["end_s"]]).astype(float)
    return float(times.max()) if times.notna().any() else 0.0


# --------------------------------------------------------------------------- dashboard charts (issue 4)
# Series lines are black (client openness) and dark grey dashed (counselor attending); the
# markers on them carry the valence colours, so "open/neutral/closed" reads the same everywhere.

_CLIENT_LINE = {"color": "#000000", "width": 1.5}
_COUNSELOR_LINE = {"color": "#555555", "width": 1.5, "dash": "dash"}
#: Diverging scale for residuals/Q: closed colour (negative) → white → open colour (positive).
_TOP_LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}
DIVERGING_SCALE = [[0.0, VALENCE_COLOURS["closed"]], [0.5, "#FFFFFF"], [1.0, VALENCE_COLOURS["open"]]]


def score_class(value: float | None, band: float = 0.1) -> str:
    """Valence class of a continuous score in [−1, 1], for colouring only (not a finding).

    Scores within ±``band`` of 0 are neutral.

    >>> score_class(0.4), score_class(-0.05), score_class(-0.3), score_class(float("nan"))
    ('open', 'neutral', 'closed', 'na')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "na"
    return "open" if value > band else "closed" if value < -band else "neutral"


def _score_colours(values: pd.Series | np.ndarray) -> list[str]:
    return [VALENCE_COLOURS[score_class(float(v))] for v in np.asarray(values, dtype=float)]


def _series(x: np.ndarray, y: pd.Series, name: str, line: dict[str, object], hover: str) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=np.asarray(y, dtype=float),
        name=name,
        mode="lines+markers",
        line=line,
        marker={"color": _score_colours(y), "size": 8, "line": {"width": 0.5, "color": "#333333"}},
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
    fig.update_layout(height=80 + 240 * nrows, margin={"l": 10, "r": 10, "t": 40, "b": 40},
                      legend=_TOP_LEGEND)  # fmt: skip
    return fig


def timeline_point_time(fig: go.Figure, point: Mapping[str, object]) -> float | None:
    """The session time of a clicked timeline element (a Streamlit/plotly selection point).

    A state bar gives its start (bars are drawn from ``base``), a point marker its time.

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> ev = pd.DataFrame({"subject": ["client", "client"], "channel": ["GAZE", "POINT"],
    ...     "cue": ["G_EYE", "P_NOD"], "kind": ["state", "point"], "start_s": [12.5, 30.0],
    ...     "end_s": [20.0, float("nan")]})
    >>> fig = timeline_figure(ev, default_scheme())
    >>> timeline_point_time(fig, {"curve_number": 0, "point_index": 0})
    12.5
    >>> timeline_point_time(fig, {"curve_number": 1, "point_index": 0})
    30.0
    """
    try:
        curve = fig.data[int(point["curve_number"])]  # type: ignore[call-overload]
        index = int(point.get("point_index", point.get("point_number")))  # type: ignore[call-overload]
        values = curve.base if isinstance(curve, go.Bar) else curve.x
        return float(values[index])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


# -- agreement (issue 5): confusion-matrix heatmap, twin timeline, training curve -------------------------------

#: Okabe-Ito reddish purple: the outline of a disagreement, apart from the valence colours.
DISAGREEMENT_COLOUR = "#CC79A7"


def confusion_heatmap(
    matrix: pd.DataFrame,
    lang: str = "en",
    *,
    observer_a: str = "A",
    observer_b: str = "B",
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """An agreement matrix as a heatmap: rows observer A, columns observer B, counts in the cells.

    Parameters
    ----------
    matrix : DataFrame
        Square table of counts (``AgreementResult.unit_matrices`` or ``event_matrices``).
    lang : str
        Language of the axis titles.
    observer_a, observer_b : str
        Names for the axis titles.
    labels : mapping, optional
        Code → label shown on hover (e.g. the scheme's cue labels).

    Examples
    --------
    >>> m = pd.DataFrame([[47, 3], [1, 39]], index=["G_EYE", "G_AWAY"], columns=["G_EYE", "G_AWAY"])
    >>> fig = confusion_heatmap(m, observer_a="ani", observer_b="budi")
    >>> fig.data[0].z.tolist(), fig.layout.yaxis.autorange
    ([[47, 3], [1, 39]], 'reversed')
    """
    names = dict(labels or {})
    rows = [str(r) for r in matrix.index]
    cols = [str(c) for c in matrix.columns]
    hover = [[f"{names.get(r, r)} / {names.get(c, c)}" for c in cols] for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=cols,
            y=rows,
            colorscale="Blues",
            texttemplate="%{z}",
            customdata=hover,
            hovertemplate="%{customdata}: %{z}<extra></extra>",
            showscale=False,
        )
    )
    side = 60 + 36 * max(len(rows), 2)
    fig.update_layout(
        height=side + 80,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={
            "title": t("agreement_page.chart.observer_b", lang, observer=observer_b),
            "side": "top",
            "type": "category",
        },
        yaxis={
            "title": t("agreement_page.chart.observer_a", lang, observer=observer_a),
            "autorange": "reversed",
            "type": "category",
        },
    )
    return fig


def twin_timeline_figure(
    events_a: pd.DataFrame,
    events_b: pd.DataFrame,
    scheme: CodingScheme,
    lang: str = "en",
    *,
    observer_a: str = "A",
    observer_b: str = "B",
    disagreements: pd.DataFrame | None = None,
    subjects: tuple[str, ...] | None = None,
    valences: Mapping[tuple[str, str], float] | None = None,
) -> go.Figure:
    """Both observers' codings lane by lane (A above B), disagreements outlined across the pair.

    Parameters
    ----------
    events_a, events_b : DataFrame
        Tidy events of the two observations (as for :func:`timeline_figure`).
    scheme : CodingScheme
        Lanes, cue labels and (unless ``valences`` is given) the colours.
    lang : str
        Language of labels and hover texts.
    observer_a, observer_b : str
        Names on the row labels.
    disagreements : DataFrame, optional
        ``subject, channel, start_s, end_s`` spans to outline (``AgreementResult.disagreements``).
    subjects : tuple of str, optional
        Only these subjects' lanes.
    valences : mapping, optional
        ``{(subject, cue): value}``; default: the scheme's.

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> ev = pd.DataFrame({"subject": ["client"], "channel": ["GAZE"], "cue": ["G_EYE"],
    ...                    "kind": ["state"], "start_s": [0.0], "end_s": [4.0]})
    >>> runs = pd.DataFrame({"subject": ["client"], "channel": ["GAZE"], "start_s": [2.0], "end_s": [4.0]})
    >>> fig = twin_timeline_figure(ev, ev.assign(end_s=2.0), default_scheme(), disagreements=runs,
    ...                            subjects=("client",))
    >>> fig.data[-1].name, [float(b) for tr in fig.data[:-1] if tr.type == "bar" for b in tr.x]
    ('Disagreement', [4.0, 2.0])
    """
    vals = dict(valences) if valences is not None else scheme.valences()
    lanes = [lane for lane in timeline_lanes(scheme, lang) if subjects is None or lane[0] in subjects]
    rows = [(s, c, side) for s, c, _ in lanes for side in ("A", "B")]
    y_of = {row: len(rows) - 1 - i for i, row in enumerate(rows)}  # the first lane at the top
    names = {"A": observer_a, "B": observer_b}
    both = pd.concat([events_a.assign(_side="A"), events_b.assign(_side="B")], ignore_index=True)
    both["_y"] = [y_of.get(key) for key in zip(both["subject"], both["channel"], both["_side"], strict=True)]
    both = both.loc[both["_y"].notna()]
    cue_labels = {c.code: c.label(lang) for c in scheme.cues}
    both["_text"] = [
        f"{cue_labels.get(c, c)} · {names[d]}" for c, d in zip(both["cue"], both["_side"], strict=True)
    ]
    both["_class"] = [
        valence_class(vals.get(key, math.nan)) for key in zip(both["subject"], both["cue"], strict=True)
    ]
    end_all = _session_end(both)
    fig = go.Figure()
    for cls, colour in VALENCE_COLOURS.items():
        part = both.loc[both["_class"] == cls]
        name = t(f"chart.valence.{'none' if cls == 'na' else cls}", lang)
        fig.add_trace(_twin_bars(part.loc[part["kind"] == "state"], end_all, name, colour, cls))
        fig.add_trace(_twin_points(part.loc[part["kind"] == "point"], name, colour, cls))
    if disagreements is not None and len(disagreements):
        fig.add_trace(_disagreement_outline(disagreements, y_of, lang))
    fig.update_layout(
        barmode="overlay",
        height=60 + 18 * len(rows),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"title": t("chart.time_s", lang), "rangemode": "tozero"},
        yaxis={
            "tickvals": [y_of[r] for r in rows],
            "ticktext": [f"{label} · {names[side]}" for *_, label in lanes for side in ("A", "B")],
            "range": [-0.6, len(rows) - 0.4],
            "zeroline": False,
        },
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _twin_bars(states: pd.DataFrame, end_all: float, name: str, colour: str, group: str) -> go.Bar:
    start = states["start_s"].astype(float)
    end = states["end_s"].astype(float)
    if "duration_s" in states:
        end = end.fillna(states["duration_s"].astype(float))
    end = end.fillna(end_all)
    return go.Bar(
        name=name,
        orientation="h",
        y=states["_y"].to_numpy(dtype=float),
        base=start.to_numpy(),
        x=(end - start).to_numpy(),
        width=0.8,
        marker_color=colour,
        text=states["_text"].tolist(),
        textposition="none",
        hovertemplate="%{text}<br>%{base:.1f} s<extra></extra>",
        legendgroup=group,
    )


def _twin_points(points: pd.DataFrame, name: str, colour: str, group: str) -> go.Scatter:
    return go.Scatter(
        name=name,
        mode="markers",
        y=points["_y"].to_numpy(dtype=float),
        x=points["start_s"].astype(float).to_numpy(),
        marker={"symbol": "diamond", "size": 8, "color": colour},
        text=points["_text"].tolist(),
        hovertemplate="%{text}<br>%{x:.1f} s<extra></extra>",
        legendgroup=group,
        showlegend=False,
    )


def _disagreement_outline(
    runs: pd.DataFrame, y_of: Mapping[tuple[str, str, str], int], lang: str
) -> go.Scatter:
    """One filled trace of rectangles (None-separated) covering the A and B rows of each run."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for s, c, x0, x1 in zip(runs["subject"], runs["channel"], runs["start_s"], runs["end_s"], strict=True):
        if (s, c, "A") not in y_of:
            continue
        top, bottom = y_of[(s, c, "A")] + 0.5, y_of[(s, c, "B")] - 0.5
        xs += [x0, x1, x1, x0, x0, None]
        ys += [bottom, bottom, top, top, bottom, None]
    return go.Scatter(
        name=t("agreement_page.chart.disagreement", lang),
        x=xs,
        y=ys,
        mode="lines",
        fill="toself",
        fillcolor="rgba(204, 121, 167, 0.25)",
        line={"color": DISAGREEMENT_COLOUR, "width": 1.5},
        hoverinfo="skip",
    )


def training_figure(summary: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Each observer's lowest channel kappa against the reference, by session date, with the
    policy lines at .60, .70 and .80 (DOMAIN §6).

    Examples
    --------
    >>> s = pd.DataFrame({"observer": ["budi", "budi"], "session_date": ["2026-08-03", "2026-08-10"],
    ...                   "lowest_kappa": [0.55, 0.74]})
    >>> [tr.name for tr in training_figure(s).data]
    ['budi']
    """
    fig = go.Figure()
    for name, rows in summary.groupby("observer", sort=True):
        fig.add_trace(
            go.Scatter(name=str(name), x=rows["session_date"], y=rows["lowest_kappa"], mode="lines+markers")
        )
    # DOMAIN §6 policy: below .60 insufficient, .70 training criterion, .80 research use
    # each label on the side of its line where the verdict holds
    for level, key, side in (
        (0.6, "insufficient", "bottom"),
        (0.7, "training", "top"),
        (0.8, "research", "top"),
    ):
        fig.add_hline(
            y=level,
            line_dash="dot",
            line_color="#999999",
            annotation_text=t(f"agreement.verdict.{key}", lang),
            annotation_position=f"{side} left",
            annotation_font_color="#666666",
        )
    dates = pd.to_datetime(summary["session_date"])
    # a week either side, so that a single session is not stretched over milliseconds
    span = [dates.min() - pd.Timedelta(days=7), dates.max() + pd.Timedelta(days=7)] if len(dates) else None
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        yaxis={"title": t("agreement_page.chart.lowest_kappa", lang), "range": [0, 1.05]},
        xaxis={"title": t("agreement_page.chart.session_date", lang), "type": "date", "range": span,
               "tickformat": "%Y-%m-%d"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )  # fmt: skip
    return fig


# --------------------------------------------------------------------------- synchrony (DOMAIN §7)

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
