"""Margins worked out before plotly draws (observe.charts.margins): never less than asked, grown
with the labels, and left to plotly where they cannot be foreseen. Held against plotly itself in
tests/e2e/test_chart_margins_e2e.py."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.charts.margins import fit, legend_rows, text_width
from observe.charts.style import house

SIDES = ("l", "r", "t", "b")
labels = st.lists(st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=40),
                  min_size=1, max_size=12, unique=True)  # fmt: skip
asked = st.fixed_dictionaries({side: st.integers(0, 120) for side in SIDES})


def bars(names: list[str], margin: dict[str, int], title: str = "") -> dict:
    fig = go.Figure(go.Bar(y=names, x=np.arange(len(names)) + 1.0, orientation="h"))
    fig.update_layout(margin=margin, yaxis={"type": "category", "title": title}, height=300)
    return fig.to_plotly_json()


@settings(max_examples=60, deadline=None)
@given(names=labels, margin=asked, start=st.floats(-1e4, 1e4), span=st.floats(1e-3, 1e5))
def test_never_less_than_asked(names: list[str], margin: dict[str, int], start: float, span: float) -> None:
    figure = bars(names, margin)
    figure["layout"]["xaxis"] = {"range": [start, start + span], "title": {"text": "Time"}}
    fitted = fit(figure)
    assert all(fitted[side] >= margin[side] for side in SIDES)


@settings(max_examples=60, deadline=None)
@given(names=labels, longer=st.text(min_size=41, max_size=60))
def test_a_longer_label_never_shrinks_the_left_margin(names: list[str], longer: str) -> None:
    small = {side: 10 for side in SIDES}
    before = fit(bars(names, small))["l"]
    after = fit(bars([*names, longer], small))["l"]
    assert after >= before
    assert after >= text_width(longer, 12)


def test_the_left_margin_holds_the_widest_label_and_the_title() -> None:
    small = {side: 10 for side in SIDES}
    bare = fit(bars(["Gaze", "Client · Point events"], small))["l"]
    assert bare == 10 + round(text_width("Client · Point events", 12) + 1) + 1  # pad, label, standoff, slack
    assert fit(bars(["Gaze", "Client · Point events"], small, title="Lane"))["l"] == bare + 17


def test_typed_arrays_as_plotly_sends_them_give_the_same_margins() -> None:
    values = np.array([0.5, 12.0, 980.0])
    typed = go.Figure(go.Bar(x=values, y=["a", "b", "c"], orientation="h", base=values / 2)).to_plotly_json()
    plain = go.Figure(
        go.Bar(x=values.tolist(), y=["a", "b", "c"], orientation="h", base=(values / 2).tolist())
    )
    assert isinstance(typed["data"][0]["x"], dict)  # plotly's base64 ("bdata") arrays
    assert fit(typed) == fit(plain.to_plotly_json())


def test_what_cannot_be_foreseen_is_left_to_plotly() -> None:
    small = {side: 10 for side in SIDES}
    colour_bar = go.Figure(
        go.Heatmap(z=[[1, 2], [3, 4]], x=["a", "b"], y=["c", "d"]), layout={"margin": small}
    )
    assert fit(colour_bar.to_plotly_json())["r"] == 10  # its width: plotly grows the right margin
    bare_x = {"margin": small, "xaxis": {"showticklabels": False}}  # the y axis alone
    normalised = go.Figure(go.Histogram(x=[1, 2, 2, 3], histnorm="probability"), layout=bare_x)
    assert fit(normalised.to_plotly_json())["l"] == 10  # its heights are plotly's to compute
    counted = go.Figure(go.Histogram(x=list(range(1000))), layout=bare_x)
    assert fit(counted.to_plotly_json())["l"] >= 10 + text_width("1000", 12)  # at most every value in a bin
    hidden = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"margin": small, "yaxis": {"visible": False}})
    # no y labels: the left margin holds only half the first x label
    assert fit(hidden.to_plotly_json())["l"] <= 10 + 1 + text_width("0.95", 12) / 2 + 1


def test_a_legend_above_the_plot_takes_one_row_and_the_browser_the_others() -> None:
    traces = [go.Scatter(x=[0, 1], y=[0, 1], name=name, legendgroup=name) for name in ("open", "closed")]
    above = go.Figure(traces, layout={"margin": {"t": 10}, "height": 300,
                                      "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"}})  # fmt: skip
    figure = above.to_plotly_json()
    plan = legend_rows(figure["data"], figure["layout"])
    assert plan is not None and plan["grouped"] and plan["at"] == 1.02
    assert plan["items"] == [round(text_width(n, 14) + 0.5) + 46 for n in ("open", "closed")]
    assert fit(figure)["t"] > 10 + 32  # one row, above the plot
    beside = go.Figure(traces, layout={"margin": {"t": 10}}).to_plotly_json()  # plotly's, on the right
    alone = go.Figure(traces, layout={"margin": {"t": 10}, "showlegend": False}).to_plotly_json()
    assert legend_rows(beside["data"], beside["layout"]) is None and fit(beside) == fit(alone)


def test_house_keeps_what_was_asked_beside_the_margins() -> None:
    fig = go.Figure(go.Bar(y=["a long category label"], x=[1], orientation="h"))
    fig.update_layout(margin={"l": 5, "t": 70, "pad": 4})
    margin = house(fig)["layout"]["margin"]
    assert (
        margin["pad"] == 4 and margin["t"] == 70 and margin["l"] > 5 + text_width("a long category label", 12)
    )
    assert fig.layout.margin.l == 5  # the figure itself is not changed


ends = st.lists(st.one_of(st.floats(), st.text(max_size=10), st.none()), max_size=3)
values = st.lists(st.one_of(st.floats(), st.integers(-(10**9), 10**9), st.text(max_size=20)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(x=values, y=values, x_range=ends, y_range=ends, kind=st.sampled_from(["scatter", "bar", "heatmap"]),
       margin=asked)  # fmt: skip
def test_any_figure_gets_margins_and_never_an_error(
    x: list, y: list, x_range: list, y_range: list, kind: str, margin: dict[str, int]
) -> None:
    """Whatever a chart holds (NaN, infinities, mixed types, empty or odd ranges), the estimate
    returns margins no smaller than asked: at worst it leaves them to plotly."""
    trace = {"type": kind, "x": x, "y": y, **({"z": [[1.0] * len(x)] * len(y)} if kind == "heatmap" else {})}
    figure = {
        "data": [trace],
        "layout": {"margin": margin, "xaxis": {"range": x_range}, "yaxis": {"range": y_range}},
    }
    fitted = fit(figure)
    assert set(fitted) == set(SIDES) and all(fitted[side] >= margin[side] for side in SIDES)
