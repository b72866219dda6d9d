"""Margins that hold a chart's labels, worked out before plotly draws it, so that it draws once.

plotly grows a margin too small for the axis labels, titles or legend (``automargin``) only once
it has drawn the whole chart, and then draws it all again: in Chromium that second drawing was
half of a session timeline's cost, in every view of every chart (issue 16). :func:`fit` gives
each side what plotly would find, from the labels' widths in the app's font (:data:`_ADVANCE`,
measured in Chromium). ``automargin`` stays on: what this does not foresee — a colour bar, labels
plotly rotates, a legend that wraps in a narrow column — plotly still grows, at the cost of the
second drawing as before, never of a cut label. tests/e2e/test_chart_margins_e2e.py holds every
chart of the dashboards against plotly itself.

The geometry (px; plotly.js 4 with the house template: 12 px tick labels, 14 px titles and
legend). Each side needs, beyond the plot area, plus plotly's pad (``min(12, every margin)``):

- a y axis on the left or right: its widest tick label + 1; on the top and bottom, half a label's
  height where a tick may lie at the end of the axis;
- an x axis at the bottom: 17 per line of tick labels (+ 16 for each further line: plotly's dates
  put the year below the day); at the top, 15.4; its first and (numbers) last label half its width
  at the left and right;
- ticks drawn outside (plotly's default beside a heatmap): their length + 2.4 more; a title: 17;
- a horizontal legend above the plot: 32 for one row, at its ``y`` (a fraction of the plot's
  height; :func:`_top` solves for the margin as plotly does); 21 for each further row it wraps into
  (the browser adds them: :func:`legend_rows`).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

#: advance width (em) of each character of Source Sans (the app's font, Streamlit's), measured
#: with a canvas in Chromium; kerning makes a word at most ~1 % narrower than the sum
_ADVANCE_BY_WIDTH: dict[float, str] = {
    0.200: " \u00a0",
    0.241: "|¦",
    0.246: "iìíîïĩīĭį",
    0.247: "jıĵ",
    0.249: "',.:;·‘’",
    0.255: "lĺļ",
    0.263: "IÌÍÎÏĨĪĬĮİ",
    0.265: "ľ",
    0.271: "ſ",
    0.289: "!¡",
    0.292: "f",
    0.298: "ł",
    0.303: "()[]{}",
    0.311: "-",
    0.331: "°",
    0.338: "tţťŧ",
    0.345: "ª",
    0.347: "rŕŗř",
    0.350: "/\\",
    0.362: "ŀ",
    0.365: "º",
    0.367: "²³¹",
    0.418: "*",
    0.419: "sśŝşš",
    0.423: "®",
    0.425: "?z¿źżž",
    0.426: '"“”',
    0.429: "«»",
    0.446: "x",
    0.456: "cçćĉċč",
    0.458: "τ",
    0.467: "vyýÿŷ",
    0.476: "YÝŶŸ",
    0.479: "J",
    0.480: "Ĵ–",
    0.486: "LĹĻĽĿ",
    0.493: "ĳ",
    0.494: "Fκ",
    0.495: "kķĸ",
    0.496: "eèéêëēĕėęě",
    0.497: "#$+0123456789<=>^~¢£¤¥§¬±×÷−≤≥",
    0.500: "_Ł",
    0.504: "agàáâãäåāăąĝğġģ",
    0.513: "X",
    0.515: "V",
    0.526: "Ĳ",
    0.527: "EÈÉÊËĒĔĖĘĚ",
    0.534: "SŚŜŞŠ",
    0.536: "TŢŤŦ",
    0.539: "ZŹŻŽ",
    0.542: "`o¨¯´¸òóôõöøōŏő",
    0.543: "A",
    0.544: "huÀÁÂÃÄÅðùúûüĀĂĄĥũūŭůűų",
    0.547: "nñńņňŋ",
    0.549: "ρ",
    0.553: "b",
    0.555: "dpqþ",
    0.557: "ħ",
    0.560: "¶α",
    0.562: "µđ",
    0.566: "P",
    0.569: "RŔŖŘ",
    0.571: "CÇĆĈĊČ",
    0.573: "ď",
    0.576: "ß",
    0.579: "KĶ",
    0.583: "Þ",
    0.588: "B",
    0.609: "&",
    0.615: "DĎ",
    0.617: "GĜĞĠĢ",
    0.619: "←→",
    0.635: "ĐŊ",
    0.639: "Ð",
    0.645: "UÙÚÛÜŨŪŬŮŰŲ",
    0.647: "NÑŃŅŇ",
    0.652: "HĤ",
    0.664: "OQÒÓÔÕÖØŌŎŐ",
    0.692: "Ħ",
    0.718: "ŵ",
    0.719: "w",
    0.727: "M",
    0.744: "©",
    0.769: "ŉ",
    0.778: "æ",
    0.781: "¼",
    0.786: "WŴ",
    0.796: "¾",
    0.800: "—",
    0.808: "½",
    0.822: "Æ",
    0.824: "%",
    0.829: "m",
    0.839: "œ",
    0.847: "@Œ",
    0.948: "…",
}
_ADVANCE = {ch: width for width, chars in _ADVANCE_BY_WIDTH.items() for ch in chars}
_UNKNOWN_EM = 0.6  # a character not in the table (wider scripts: plotly grows the margin)
TICK_PX, TITLE_PX = 12, 14  # the house template's font sizes

_TITLE = 17  # a one-line axis title beside its tick labels
_Y_LABEL = 1  # a y tick label's standoff from the plot area
_X_LABELS = {"bottom": 17, "top": 15.4}  # one line of x tick labels
_LINE = 16  # each further line (dates: day on the first, year on the second)
_LEGEND_ROW, _LEGEND_ROW_MORE, _LEGEND_ITEM = 32, 21, 46  # item: symbol and gaps beside its text
_SLACK = 1  # px over the estimate, for plotly's rounding
_PLOTLY_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}  # plotly's own, for a side not asked


def text_width(text: str, size: float) -> float:
    """Width in px of ``text`` in the app's font at ``size`` px (an upper bound; the widest line of
    a label broken with ``<br>``).

    >>> round(text_width("Counselor · Point events", 12), 1)
    121.4
    """
    return max(size * sum(_ADVANCE.get(ch, _UNKNOWN_EM) for ch in line) for line in text.split("<br>"))


def fit(figure: Mapping[str, Any]) -> dict[str, int]:
    """The margins (``l``, ``r``, ``t``, ``b``) for plotly figure JSON ``figure``: each side as
    asked, or what its labels need if more.

    >>> fig = {"data": [{"type": "bar", "orientation": "h", "y": ["Gaze", "Posture"], "x": [3, 4]}],
    ...        "layout": {"margin": {"l": 10, "r": 10, "t": 10, "b": 30}, "yaxis": {"type": "category"},
    ...                   "xaxis": {"title": {"text": "Time in session (s)"}}}}
    >>> fit(fig)
    {'l': 52, 'r': 19, 't': 10, 'b': 45}
    """
    layout = figure.get("layout", {})
    traces = list(figure.get("data", []))
    asked = {
        side: float((layout.get("margin") or {}).get(side, dflt)) for side, dflt in _PLOTLY_MARGIN.items()
    }
    pushes = [push for axis in _axes(traces, layout) for push in axis.pushes()]
    legend = _legend_push(traces, layout)
    margins = dict(asked)
    for _ in range(3):  # plotly's pad depends on the margins: settle it (twice at most)
        need = _needs(pushes, legend, asked, pad=min(12.0, *margins.values()), height=_height(layout))
        if need == margins:
            break
        margins = need
    return {side: math.ceil(value) for side, value in margins.items()}


def _needs(
    pushes: list[tuple[str, float]],
    legend: tuple[float, float] | None,
    asked: dict[str, float],
    *,
    pad: float,
    height: float,
) -> dict[str, float]:
    need = dict(asked)
    for side, size in pushes:
        need[side] = max(need[side], math.ceil(size + pad + _SLACK))
    if legend is not None:
        at, size = legend
        need["t"] = max(need["t"], math.ceil(_top(at, size + pad + _SLACK, need["b"], height)))
    return need


def _top(at: float, size: float, bottom: float, height: float) -> float:
    """The top margin plotly gives a push of ``size`` px above the fraction ``at`` (> 1) of the plot
    area's height, with ``bottom`` px below it (plots.doAutoMargin's solution for the pair)."""
    return (size + (bottom - height) * (1 - at)) / at


def _height(layout: Mapping[str, Any]) -> float:
    return float(layout.get("height") or 450)


def _legend_push(traces: list[Mapping[str, Any]], layout: Mapping[str, Any]) -> tuple[float, float] | None:
    """(fraction of the plot's height, px) a horizontal legend above the plot needs in one row;
    None if there is none, or it is elsewhere (plotly grows the margin then, as before)."""
    plan = legend_rows(traces, layout)
    return (plan["at"], _LEGEND_ROW) if plan else None


def legend_rows(traces: list[Mapping[str, Any]], layout: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the browser needs to add the rows a legend above the plot wraps into (it knows the
    plot's width; :func:`fit` counts one row): each entry's width, whether plotly lays them out
    in groups (one after another) or in a grid (as wide as the widest), the legend's ``y`` and
    the height of a row. None if there is no legend above the plot.

    >>> legend_rows([{"name": "open"}, {"name": "closed"}], {"legend": {"orientation": "h", "y": 1.02,
    ...                                                      "yanchor": "bottom"}})["items"]
    [76, 85]
    """
    legend = layout.get("legend") or {}
    shown = [
        tr
        for tr in traces
        if tr.get("showlegend", True) is not False and tr.get("visible", True) is not False
    ]
    at = float(legend.get("y", -0.1))  # plotly puts a horizontal legend below the plot by default
    above = legend.get("orientation") == "h" and legend.get("yanchor") == "bottom" and at >= 1
    if not (shown and above and layout.get("showlegend", len(shown) > 1)):
        return None
    return {
        "items": [math.ceil(text_width(str(tr.get("name", "")), TITLE_PX)) + _LEGEND_ITEM for tr in shown],
        "grouped": any(tr.get("legendgroup") for tr in traces),
        "at": at,
        "row": _LEGEND_ROW_MORE,
    }


class _Axis:
    """One cartesian axis of a figure: where it sits and what its tick labels will say."""

    def __init__(self, name: str, traces: list[Mapping[str, Any]], layout: Mapping[str, Any]) -> None:
        self.letter = name[0]
        self.spec: Mapping[str, Any] = layout.get(name) or {}
        self.side = self.spec.get("side") or ("bottom" if self.letter == "x" else "left")
        on_axis = [tr for tr in traces if tr.get(f"{self.letter}axis", self.letter) == _axis_id(name)]
        self.data = _values(self.letter, on_axis)
        self.kind = self.spec.get("type") or _kind(self.data)
        self.at_edge = _at_edge(self.letter, self.side, self.spec, layout)
        # plotly draws ticks outside a heatmap's axes unless told otherwise, and its labels beyond them
        ticks = self.spec.get(
            "ticks", "outside" if any(tr.get("type") == "heatmap" for tr in on_axis) else ""
        )
        self.standoff = (self.spec.get("ticklen", 5) + 0.2 * TICK_PX) if ticks == "outside" else 0.0
        self.plot_px = _height(layout) - _PLOT_SHRINK  # a short guess of the plot's height: y ends

    def pushes(self) -> Iterator[tuple[str, float]]:
        """(side, px) this axis's labels and title reach beyond the plot area on the figure's edges."""
        if self.spec.get("visible", True) is False or self.spec.get("automargin", True) is False:
            return
        labels = self.labels() if self.spec.get("showticklabels", True) is not False else []
        if labels is None:  # cannot be foreseen: plotly grows the side as before
            return
        title = _TITLE if _title(self.spec) else 0
        depth = self.standoff + title
        if self.letter == "y":
            if self.at_edge and self.side in ("left", "right"):
                widest = max((text_width(label, TICK_PX) for label in labels), default=-_Y_LABEL)
                yield self.side[0], widest + _Y_LABEL + depth
            if self.kind == "linear" and labels:  # a label centred on a tick near an end of the axis
                yield from self._ends_overflow()
            return
        if self.at_edge and self.side in ("bottom", "top"):
            lines = max((label.count("<br>") + 1 for label in labels), default=0)
            yield self.side[0], (_X_LABELS[self.side] + _LINE * (lines - 1) if lines else 0) + depth
        if labels:  # the first and last labels, centred on the plot's ends, reach half their width past
            low, high = self.end_labels(labels)
            yield "l", max(text_width(label, TICK_PX) for label in low) / 2
            if self.kind == "linear":  # (a date or category axis ends past its last tick)
                yield "r", max(text_width(label, TICK_PX) for label in high) / 2

    def _ends_overflow(self) -> Iterator[tuple[str, float]]:
        """Half a label's height past the top and bottom when a tick may lie that close to the ends
        (an explicit range is checked; an automatic one may end on a tick)."""
        given = _range(self.spec)
        if not given:
            yield "t", _Y_HALF
            yield "b", _Y_HALF
            return
        lo, hi = given
        for step in _steps(lo, hi):
            px = self.plot_px / (hi - lo)
            yield "t", _Y_HALF - (hi - math.floor(hi / step + 1e-9) * step) * px
            yield "b", _Y_HALF - (math.ceil(lo / step - 1e-9) * step - lo) * px

    def labels(self) -> list[str] | None:
        """The tick labels plotly may draw (for numbers: those of every step it may choose), or
        None if they cannot be told here."""
        if "ticktext" in self.spec:
            return [str(x) for x in self.spec["ticktext"]]
        if self.kind == "category":
            order = list(self.spec.get("categoryarray") or [])
            return [str(x) for x in _unique(order + list(self.data or []))]
        if self.kind == "date":
            return _date_labels(self.spec.get("tickformat"))
        numbers = self._numbers() if self.kind == "linear" and not self.spec.get("tickformat") else None
        return numbers[0] if numbers else None

    def _numbers(self) -> tuple[list[str], list[str], list[str]] | None:
        """Every label, and the low and high end's, of a numeric axis; None if its range is unknown."""
        given = _range(self.spec)
        span = given or _span(self.data, self.spec)
        if not span or max(abs(span[0]), abs(span[1])) >= _PLAIN:  # plotly writes 10k, 1M, 1e+9 ...
            return None
        return _number_labels(*span, padded=not given)

    def end_labels(self, labels: list[str]) -> tuple[list[str], list[str]]:
        """The labels that may sit at the axis's low and high end."""
        numbers = self._numbers() if self.kind == "linear" and "ticktext" not in self.spec else None
        return (numbers[1], numbers[2]) if numbers else (labels[:1], labels[-1:])


_Y_HALF = 8  # half a tick label's height, with its standoff
_PLOT_SHRINK = 200  # figure height minus this: at most the plot's own


def _axes(traces: list[Mapping[str, Any]], layout: Mapping[str, Any]) -> Iterator[_Axis]:
    names = {key for key in layout if _AXIS_KEY.match(key)}
    for trace in traces:  # an axis a trace is on but the layout does not name
        names |= {_layout_key(trace.get("xaxis", "x")), _layout_key(trace.get("yaxis", "y"))}
    for name in sorted(names):
        yield _Axis(name, traces, layout)


_AXIS_KEY = re.compile(r"^[xy]axis\d*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _layout_key(axis_id: str) -> str:
    """``x2`` → ``xaxis2``."""
    return f"{axis_id[0]}axis{axis_id[1:]}"


def _axis_id(key: str) -> str:
    """``xaxis2`` → ``x2``."""
    return key[0] + key[5:]


def _title(spec: Mapping[str, Any]) -> str:
    title = spec.get("title")
    return str(title.get("text") or "") if isinstance(title, Mapping) else str(title or "")


def _at_edge(letter: str, side: str, spec: Mapping[str, Any], layout: Mapping[str, Any]) -> bool:
    """Whether the axis sits on the figure's edge (its labels push a margin), not between subplots."""
    end = 0 if side in ("left", "bottom") else 1
    if spec.get("anchor") == "free":
        return float(spec.get("position", 0)) == end
    other = "y" if letter == "x" else "x"
    anchor = spec.get("anchor") or other
    domain = (layout.get(_layout_key(anchor)) or {}).get("domain") or [0, 1]
    return float(domain[end]) == end


def _values(letter: str, traces: list[Mapping[str, Any]]) -> list[Any] | None:
    """Every value the traces on this axis put on it (bars: from their base, and zero), or None
    if one of them is not known before plotly computes it (a normalised histogram's)."""
    values: list[Any] = []
    for trace in traces:
        kind = trace.get("type", "scatter")
        along = trace.get(letter)
        horizontal = trace.get("orientation") == "h"
        size_axis = (kind in ("bar", "histogram")) and ((letter == "x") == horizontal)
        if kind == "histogram" and size_axis:  # counts: from none to every value in one bin
            if trace.get("histnorm") or trace.get("histfunc", "count") != "count":
                return None
            other = trace.get("y" if letter == "x" else "x")
            values += [0, len(_as_list(other)) if other is not None else 0]
            continue
        if along is None:
            if kind == "heatmap":  # cells numbered along each side
                values.extend(range(_cells(trace.get("z"), letter)))
            continue
        values.extend(_as_list(along))
        if size_axis:
            values.append(0)
            if trace.get("base") is not None:  # a bar reaches from its base to base + its value
                ends = _bar_ends(trace["base"], along)
                if ends is None:
                    return None
                values.extend(ends)
    return values


def _cells(z: Any, letter: str) -> int:
    """How many cells a heatmap's ``z`` has along x (columns) or y (rows)."""
    if isinstance(z, Mapping) and "shape" in z:
        rows, columns = (int(n) for n in str(z["shape"]).split(","))
    else:
        grid = np.asarray(z if z is not None else [], dtype=object)
        rows, columns = (grid.shape[0], grid.shape[1]) if grid.ndim == 2 else (0, 0)
    return columns if letter == "x" else rows


def _bar_ends(base: Any, sizes: Any) -> list[float] | None:
    try:
        bases, lengths = np.asarray(_as_list(base), dtype=float), np.asarray(_as_list(sizes), dtype=float)
        return [*bases.tolist(), *(bases + lengths).tolist()]
    except ValueError:  # not numbers, or not one base per bar: unknown here
        return None


def _as_list(values: Any) -> list[Any]:
    """An array of plotly figure JSON as a flat list (numbers may come base64-encoded)."""
    if isinstance(values, Mapping) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    if isinstance(values, np.ndarray):
        return list(values.ravel().tolist())
    if isinstance(values, list | tuple):
        return list(values)
    return [values]


def _kind(values: list[Any] | None) -> str:
    """plotly's guess of an axis type from its values: category, date or linear."""
    if not values:
        return "linear"
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if any(isinstance(v, np.datetime64 | pd.Timestamp | dt.date) for v in present):
        return "date"
    texts = [v for v in present if isinstance(v, str)]
    if texts and all(_ISO_DATE.match(v) for v in texts):
        return "date"
    return "category" if texts else "linear"


def _unique(values: list[Any] | None) -> list[Any]:
    return list(dict.fromkeys(values or []))


def _range(spec: Mapping[str, Any]) -> tuple[float, float] | None:
    """An axis's explicit numeric range, low end first; None if it has none, or an empty one."""
    try:
        lo, hi = sorted(float(v) for v in spec.get("range") or ())
    except (TypeError, ValueError):  # none, dates, or not two ends
        return None
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) and lo < hi else None


def _span(values: list[Any] | None, spec: Mapping[str, Any]) -> tuple[float, float] | None:
    if values is None:
        return None
    numbers = np.asarray([v for v in values if isinstance(v, int | float | np.number)], dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    if spec.get("rangemode") == "tozero":
        numbers = np.append(numbers, 0.0)
    if not len(numbers):
        return (-1.0, 6.0)  # plotly's range of an empty axis
    lo, hi = float(numbers.min()), float(numbers.max())
    return (lo - 1, hi + 1) if lo == hi else (lo, hi)


def _number_labels(lo: float, hi: float, *, padded: bool = True) -> tuple[list[str], list[str], list[str]]:
    """The tick labels of every step plotly may choose for the range (widened by the 5 % plotly
    may pad it with): all of them, and those that may sit at its low and at its high end."""
    lo, hi = min(lo, hi), max(lo, hi)
    if padded:
        lo, hi = lo - _PADDING * (hi - lo), hi + _PADDING * (hi - lo)
    every: list[str] = []
    low: list[str] = []
    high: list[str] = []
    for step in _steps(lo, hi):
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        labels = [_number(k * step, decimals) for k in range(first, last + 1)]
        every += labels
        low += labels[:2]
        high += labels[-2:]
    return list(dict.fromkeys(every)), low, high


_PLAIN = 10_000  # numbers below this plotly writes out in full; at or above, left to plotly
_PADDING = 0.05  # of the span, each side: what plotly's automatic range adds at most (markers aside)


def _steps(lo: float, hi: float) -> list[float]:
    """The tick steps plotly may choose for the range: 5 to 10 ticks (axes.autoTicks)."""
    return sorted({_nice((hi - lo) / n) for n in range(5, 11)})


def _nice(rough: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``rough`` (plotly's roundDTick)."""
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough * (1 - 1e-9))


def _number(value: float, decimals: int) -> str:
    """A tick label as plotly writes it: no trailing zeros, a true minus sign.

    >>> _number(-0.5, 1), _number(2.0, 1), _number(1200.0, 0)
    ('−0.5', '2', '1200')
    """
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "\u2212")


def _date_labels(tickformat: str | None) -> list[str]:
    """The widest labels a date axis may show: ``tickformat`` applied to every month, else
    plotly's own two-line labels (time or day above, the date or year below)."""
    if tickformat:
        return [dt.datetime(2026, month, 28, 23, 59).strftime(tickformat) for month in range(1, 13)]
    return ["00:00<br>Sep 28, 2026"]
