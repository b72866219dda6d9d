"""The Agreement page's charts (issue 5): confusion-matrix heatmap, twin timeline, training curve."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from observe.i18n import t
from observe.scheme import CodingScheme

if TYPE_CHECKING:
    pass

from observe.charts.style import VALENCE_COLOURS, session_end, valence_class
from observe.charts.timeline import timeline_lanes

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
    end_all = session_end(both)
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
