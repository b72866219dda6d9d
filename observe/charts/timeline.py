"""The coding timeline: one lane per subject and channel, states as bars, points as markers."""

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

from observe.charts.style import VALENCE_COLOURS, session_end, valence_class


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
        Tidy events (``observe.model``): ``subject, channel, cue, kind, start_s, end_s`` and
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
    end_all = session_end(frame)
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


def timeline_point_time(fig: go.Figure, point: Mapping[str, object]) -> float | None:
    """The session time of a clicked timeline element (a point from :func:`observe.ui.plot.plot`).

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
