"""Chart builders of the analysis pages: axis titles in the chosen language, valence colours, content."""

from __future__ import annotations

import pandas as pd
import pytest

from observe import charts
from observe.charts import VALENCE_COLOURS
from observe.scheme import default_scheme

OPEN, NEUTRAL, CLOSED, NA = (VALENCE_COLOURS[k] for k in ("open", "neutral", "closed", "na"))


def _windows(values: list[float]) -> pd.DataFrame:
    start = [60.0 * i for i in range(len(values))]
    return pd.DataFrame({"start_s": start, "end_s": [s + 60 for s in start], "oi": values})


def _sessions() -> pd.DataFrame:
    return pd.DataFrame({
        "client": ["K1"] * 4 + ["K2"] * 3,
        "session_number": [1, 2, 3, 4, 1, 2, 3],
        "oi": [-0.4, -0.1, 0.05, 0.3, 0.2, float("nan"), 0.1],
        "ci_low": [-0.5, -0.2, -0.05, 0.2, 0.1, float("nan"), 0.0],
        "ci_high": [-0.3, 0.0, 0.15, 0.4, 0.3, float("nan"), 0.2],
        "attending": [0.5, 0.4, 0.6, 0.5, 0.3, 0.2, 0.4],
        "rr_per_10min": [5.0, 4.0, 2.0, 1.0, 0.5, 0.0, 0.0],
    })  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "x", "y1", "y2"),
    [
        ("en", "Time in session (s)", "Openness index", "Attending index (counselor)"),
        ("id", "Waktu dalam sesi (dtk)", "Indeks keterbukaan", "Indeks attending (konselor)"),
    ],
)
def test_openness_curve_titles_and_colours(lang: str, x: str, y1: str, y2: str) -> None:
    fig = charts.openness_curve_figure(_windows([0.5, 0.0, -0.5, float("nan")]), _windows([0.3, 0.2]), lang)
    assert fig.layout.xaxis2.title.text == x
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text) == (y1, y2)
    client, counselor = fig.data
    assert list(client.marker.color) == [OPEN, NEUTRAL, CLOSED, NA]
    assert list(client.x) == [30.0, 90.0, 150.0, 210.0]  # window centres
    assert client.yaxis == "y" and counselor.yaxis == "y2"  # attending under the openness curve
    assert counselor.line.dash == "dash"


def test_openness_trend_band_trend_and_threshold() -> None:
    s = _sessions()[lambda f: f["client"] == "K1"]
    fig = charts.openness_trend_figure(s, "en", trend={"slope": 0.23, "intercept": -0.6}, rho=3.0, last_n=3)
    band, oi, attending, trend, rr = fig.data
    assert band.fill == "toself" and list(band.y) == [-0.3, 0.0, 0.15, 0.4, 0.2, -0.05, -0.2, -0.5]
    assert list(oi.marker.color) == [CLOSED, NEUTRAL, NEUTRAL, OPEN]
    assert trend.y[0] == pytest.approx(-0.37) and "+0.230" in trend.name
    assert rr.type == "bar" and rr.marker.color == CLOSED and rr.yaxis == "y2"
    thresholds = [sh for sh in fig.layout.shapes if sh.y0 == 3.0 and sh.y1 == 3.0]
    assert len(thresholds) == 1 and thresholds[0].yref.startswith("y2")
    shaded = [sh for sh in fig.layout.shapes if sh.type == "rect"]
    assert (shaded[0].x0, shaded[0].x1) == (1.5, 4.5)  # the last N = 3 sessions the flag examines
    assert fig.layout.xaxis2.title.text == "Session number"
    assert fig.layout.yaxis2.title.text == "Resistance per 10 min"


def test_trend_baseline_view_and_undefined_trend() -> None:
    s = _sessions()[lambda f: f["client"] == "K1"].assign(delta_first=[0.0, 0.3, 0.45, 0.7])
    fig = charts.openness_trend_figure(s, "id", trend={"slope": float("nan"), "intercept": float("nan")},
                                       value="delta_first")  # fmt: skip
    assert fig.layout.yaxis.title.text == "Perubahan dari sesi 1"
    assert [tr.type for tr in fig.data] == ["scatter", "bar"]  # no CI band, no trend line


def test_time_budget_colours_follow_the_profile() -> None:
    scheme = default_scheme()
    tb = pd.DataFrame({"subject": ["client"] * 3 + ["counselor"], "channel": "GAZE",
                       "cue": ["G_EYE", "G_AWAY", "G_NV", "G_AWAY"], "kind": "state",
                       "count": [3, 2, 1, 1], "total_s": [30.0, 20.0, 5.0, 4.0],
                       "share_observable": [0.6, 0.4, float("nan"), 0.1]})  # fmt: skip
    fig = charts.time_budget_figure(tb, scheme, "en", valences=scheme.valences("special_needs"))
    client, counselor = fig.data
    assert dict(zip(client.y, client.marker.color, strict=True)) == {
        "Looks away": NEUTRAL,
        "Eye contact": OPEN,
    }
    assert list(counselor.marker.color) == [CLOSED]  # the counselor keeps the default valences
    assert list(client.x) == [40.0, 60.0]  # percent
    assert fig.layout.xaxis.title.text == "Share of observable time (%)"
    fig = charts.time_budget_figure(tb, scheme, "id", value="total_s")
    assert fig.layout.xaxis.title.text == "Durasi total (dtk)"
    colours = dict(zip(fig.data[0].y, fig.data[0].marker.color, strict=True))
    assert colours == {"Kontak mata": OPEN, "Mengalihkan pandangan": CLOSED, "Tidak terlihat": NA}


def test_residual_heatmap() -> None:
    pooled = pd.DataFrame({"given": ["counselor:T_FWD"] * 2 + ["counselor:P_NOD"] * 2,
                           "target": ["client:G_EYE", "client:P_NOD"] * 2,
                           "pooled_z": [7.66, -1.0, 0.5, float("nan")], "pooled_q": [0.73, -0.2, 0.1, float("nan")]})  # fmt: skip
    fig = charts.residual_heatmap_figure(pooled, "id")
    heat = fig.data[0]
    assert list(heat.y) == ["counselor:T_FWD", "counselor:P_NOD"]
    assert heat.z[0][0] == 7.66 and heat.text[1][1] == "–" and "Q = 0.73" in heat.text[0][0]
    assert heat.colorscale[0][1] == CLOSED and heat.colorscale[-1][1] == OPEN
    assert (heat.zmin, heat.zmax) == (-4.0, 4.0)
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("Isyarat sasaran", "Isyarat pemicu")
    q = charts.residual_heatmap_figure(pooled, "en", value="pooled_q").data[0]
    assert (q.zmin, q.zmax) == (-1.0, 1.0)


def test_small_multiples_one_panel_per_client() -> None:
    fig = charts.small_multiples_figure(_sessions(), "en", columns=3)
    assert [a.text for a in fig.layout.annotations] == ["K1", "K2"]
    assert len(fig.data) == 4 and sum(tr.showlegend for tr in fig.data) == 2
    assert {tr.xaxis for tr in fig.data} == {"x", "x2"}
    assert fig.layout.yaxis.title.text == "Index" and fig.layout.xaxis2.title.text == "Session number"
    assert list(fig.data[0].marker.color) == [CLOSED, NEUTRAL, NEUTRAL, OPEN]


def test_score_class_band() -> None:
    assert [charts.score_class(v) for v in (0.11, 0.1, -0.1, -0.11)] == [
        "open",
        "neutral",
        "neutral",
        "closed",
    ]
    assert charts.score_class(0.3, band=0.5) == "neutral"


def test_timeline_point_time_bad_points() -> None:
    ev = pd.DataFrame({"subject": ["client"], "channel": ["GAZE"], "cue": ["G_EYE"], "kind": ["state"],
                       "start_s": [3.0], "end_s": [9.0]})  # fmt: skip
    fig = charts.timeline_figure(ev, default_scheme())
    assert charts.timeline_point_time(fig, {"curve_number": 0, "point_index": 0}) == 3.0
    assert charts.timeline_point_time(fig, {"curve_number": 99, "point_index": 0}) is None
    assert charts.timeline_point_time(fig, {}) is None
