"""Openness / attending index (DOMAIN §3): golden worked example, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.analysis.intervals import sample_states_at_midpoints
from observe.analysis.openness import (
    LIMITATIONS_KEY,
    OpennessParams,
    block_bootstrap_ci,
    openness,
    openness_relative,
    openness_sessions,
    openness_trend,
    openness_windows,
    swap_valences,
)
from observe.errors import InvalidInput
from observe.i18n import catalog
from tests.analysis._events import (
    client_valences,
    counselor_valences,
    frame,
    point,
    state,
    worked_example,
)

# --------------------------------------------------------------------------- golden: DOMAIN §3 worked example


def test_worked_example_state_only() -> None:
    w = openness_windows(worked_example(points=False), client_valences())
    assert len(w) == 1
    row = w.iloc[0]
    # the table in DOMAIN §3, printed to 3 decimals
    assert round(row["O_GAZE"], 3) == 0.200 and round(row["c_GAZE"], 3) == 0.833
    assert round(row["O_TRUNK"], 3) == 0.250 and row["c_TRUNK"] == 1
    assert round(row["O_ARMS"], 3) == -1.000
    assert round(row["O_FACE"], 3) == 0.167
    assert round(row["O_SIT"], 3) == 0.000
    assert round(row["oi"], 3) == -0.086


def test_worked_example_with_points() -> None:
    row = openness_windows(worked_example(), client_valences()).iloc[0]
    assert (row["n_pos"], row["n_neg"]) == (3, 1)  # P_SELFTOUCH (valence 0) ignored
    assert round(row["P"], 2) == 0.40 and round(row["c_P"], 2) == 0.8
    assert round(row["oi"], 3) == -0.017


def test_attending_index_is_same_machinery_for_counselor() -> None:
    ev = worked_example()
    ev["subject"] = "counselor"
    ev = ev[~ev["cue"].str.startswith("R3")]
    row = openness_windows(ev, counselor_valences(), subject="counselor").iloc[0]
    # state part as in the worked example; points: 3 nods → P = 3/4, c_P = 0.6
    assert row["oi"] == pytest.approx((-5 / 12 + 0.6 * 0.75) / (29 / 6 + 0.6))
    # the client index of a counselor-only frame has no data
    assert openness_windows(ev, client_valences())["oi"].isna().all()


def test_params_are_exported_with_results() -> None:
    p = OpennessParams(window_s=30, weights={"GAZE": 2, "FACE": 1, "TRUNK": 1, "ARMS": 1, "SIT": 1})
    r = openness(worked_example(), client_valences(), params=p)
    assert r.params["window_s"] == 30 and r.params["weights"]["GAZE"] == 2
    assert r.sessions.attrs["params"] == p.as_dict()
    assert len(r.valence_hash) == 12
    assert LIMITATIONS_KEY in catalog()


def test_weights_change_the_score() -> None:
    p = OpennessParams(weights={"FACE": 1, "GAZE": 1, "TRUNK": 1, "ARMS": 0, "SIT": 1})
    row = openness_windows(worked_example(points=False), client_valences(), params=p).iloc[0]
    assert row["oi"] == pytest.approx((0.2 * 5 / 6 + 0.25 + 1 / 6) / (5 / 6 + 3))


# --------------------------------------------------------------------------- windows mechanics


def test_states_spanning_windows_and_running_state() -> None:
    ev = frame([state("G_EYE", 0, 90), {**state("G_AWAY", 90, 0), "end_s": np.nan}], duration=180)
    w = openness_windows(ev, client_valences())
    assert w["D_GAZE"].tolist() == [60, 60, 60]
    assert w["O_GAZE"].tolist() == [1, 0, -1]
    assert w["oi"].isna().all()  # one channel: Σ ω c = 1 < 2
    assert set(w["reason"]) == {"analysis.openness.low_coverage"}


def test_overlapping_plot_windows() -> None:
    ev = frame([state("G_EYE", 0, 60), state("G_AWAY", 60, 120)], duration=120)
    p = OpennessParams(step_s=30)
    w = openness_windows(ev, client_valences(), params=p)
    assert w["start_s"].tolist() == [0, 30, 60, 90]
    assert w["O_GAZE"].tolist()[:3] == [1, 0, -1]
    assert w["end_s"].iloc[-1] == 120  # partial trailing window clipped to the session


def test_coverage_below_c_min_makes_channel_missing() -> None:
    ev = frame([state("G_EYE", 0, 20), state("G_NV", 20, 60)] + [state(c, 0, 60) for c in ("T_UP", "A_OPEN")])
    row = openness_windows(ev, client_valences()).iloc[0]
    assert math.isnan(row["O_GAZE"]) and row["c_GAZE"] == pytest.approx(1 / 3)
    assert row["oi"] == pytest.approx(0.5)  # only TRUNK (0) and ARMS (+1) count


# --------------------------------------------------------------------------- properties

CUES = {
    "FACE": ["F_SMILE", "F_NEUT", "F_TENSE", "F_NV"],
    "GAZE": ["G_EYE", "G_DOWN", "G_AWAY", "G_NV"],
    "TRUNK": ["T_FWD", "T_UP", "T_BACK", "T_NV"],
    "ARMS": ["A_OPEN", "A_CROSS", "A_MANIP", "A_NV"],
    "SIT": ["S_RELAX", "S_CROSS_TO", "S_RIGID", "S_NV"],
}


@st.composite
def sessions_strategy(draw: st.DrawFn, whole_windows: bool = False) -> pd.DataFrame:
    length = 60 * draw(st.integers(1, 6)) if whole_windows else draw(st.integers(60, 400))
    rows = []
    for cues in CUES.values():
        t = float(draw(st.integers(0, 30)))
        while t < length:
            d = float(draw(st.integers(1, 120)))
            rows.append(state(draw(st.sampled_from(cues)), t, min(t + d, length)))
            t += d
    for _ in range(draw(st.integers(0, 15))):
        cue = draw(st.sampled_from(["P_NOD", "P_LAUGH", "R3_REFUSE", "P_SIGH", "P_LOOKAWAY_Q"]))
        rows.append(point(cue, draw(st.floats(0, length - 0.001))))
    return frame(rows, duration=length)


@settings(max_examples=60, deadline=None)
@given(sessions_strategy())
def test_oi_in_range_and_negates_when_valences_swap(ev: pd.DataFrame) -> None:
    val = client_valences()
    w = openness_windows(ev, val)
    w_swapped = openness_windows(ev, swap_valences(val))
    oi = w["oi"].dropna()
    assert ((oi >= -1 - 1e-12) & (oi <= 1 + 1e-12)).all()
    np.testing.assert_allclose(w_swapped["oi"], -w["oi"], atol=1e-12)
    s = openness_sessions(ev, val, params=OpennessParams(n_boot=0))
    s2 = openness_sessions(ev, swap_valences(val), params=OpennessParams(n_boot=0))
    np.testing.assert_allclose(s2["oi"], -s["oi"], atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(sessions_strategy(whole_windows=True), st.integers(1, 5))
def test_adding_not_visible_time_changes_coverage_not_score(ev: pd.DataFrame, extra_windows: int) -> None:
    # whole windows: a partial trailing window would be re-cut by the padding and legitimately change
    length = ev["duration_s"].iloc[0]
    p = OpennessParams(n_boot=0)
    before = openness_sessions(ev, client_valences(), params=p).iloc[0]
    # every channel not visible for extra whole windows appended at the end
    pad = ev.copy()
    pad["duration_s"] = length + 60 * extra_windows
    nv = frame([state(f"{c[0]}_NV", length, length + 60 * extra_windows) for c in CUES], duration=0)
    pad = pd.concat([pad, nv.assign(duration_s=pad["duration_s"].iloc[0])], ignore_index=True)
    after = openness_sessions(pad, client_valences(), params=p).iloc[0]
    if np.isnan(before["oi"]):
        assert np.isnan(after["oi"])
    else:
        assert after["oi"] == pytest.approx(before["oi"], abs=1e-12)
        assert after["share_defined"] < before["share_defined"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CUES["GAZE"][:3]), st.integers(1, 20)), min_size=1, max_size=6),
       st.floats(0.5, 1.0))  # fmt: skip
def test_nv_inside_channel_changes_coverage_not_channel_score(segs: list[tuple[str, int]], f: float) -> None:
    total = sum(d for _, d in segs)
    scale = 60.0 / total
    rows, rows_nv, t = [], [], 0.0
    for cue, d in segs:
        rows.append(state(cue, t * scale, (t + d) * scale))
        rows_nv.append(state(cue, t * scale * f, (t + d) * scale * f))  # squeezed into [0, 60 f)
        t += d
    if f < 1:  # at f = 1 there is no NV time (a zero-length state is refused, DOMAIN §9.2)
        rows_nv.append(state("G_NV", 60 * f, 60))
    a = openness_windows(frame(rows), client_valences()).iloc[0]
    b = openness_windows(frame(rows_nv), client_valences()).iloc[0]
    assert b["c_GAZE"] == pytest.approx(f * a["c_GAZE"])
    if not math.isnan(b["O_GAZE"]):
        assert b["O_GAZE"] == pytest.approx(a["O_GAZE"])


# --------------------------------------------------------------------------- sessions and bootstrap


def _long_session(n_windows: int, session: str = "S1", rng_seed: int = 0, **meta: object) -> pd.DataFrame:
    rng = np.random.default_rng(rng_seed)
    rows = []
    for cues in CUES.values():
        for w in range(n_windows):
            cue = cues[rng.integers(0, 3)]
            rows.append(state(cue, 60 * w, 60 * w + 60))
    return frame(rows, session=session, duration=60 * n_windows, **meta)


def test_session_score_is_weighted_mean_of_windows() -> None:
    ev = _long_session(12)
    r = openness(ev, client_valences(), params=OpennessParams(n_boot=200))
    w = r.windows
    expected = np.average(w["oi"], weights=w["D"])
    s = r.sessions.iloc[0]
    assert s["oi"] == pytest.approx(expected)
    assert s["ci_low"] <= s["oi"] <= s["ci_high"]
    assert s["n_windows"] == 12 and s["share_defined"] == 1


def test_bootstrap_is_reproducible_and_needs_two_blocks() -> None:
    ev = _long_session(12)
    p = OpennessParams(n_boot=300, seed=7)
    a = openness_sessions(ev, client_valences(), params=p)
    b = openness_sessions(ev, client_valences(), params=p)
    assert a["ci_low"].iloc[0] == b["ci_low"].iloc[0]
    short = openness_sessions(_long_session(9), client_valences(), params=p).iloc[0]
    assert math.isnan(short["ci_low"]) and short["ci_reason"] == "analysis.openness.too_few_windows_for_ci"
    assert not math.isnan(short["oi"])


def test_bootstrap_width_matches_iid_theory() -> None:
    # for independent values a block bootstrap CI is about ±1.96·sd/√n wide
    x = np.random.default_rng(3).normal(size=400)
    lo, hi = block_bootstrap_ci(x, np.ones_like(x), block=5, n_boot=2000, seed=1)
    assert (hi - lo) == pytest.approx(2 * 1.96 * x.std(ddof=1) / 20, rel=0.2)
    assert lo < x.mean() < hi


def test_bootstrap_constant_series_has_zero_width() -> None:
    assert block_bootstrap_ci(np.full(10, 0.3), np.arange(1.0, 11), seed=0) == pytest.approx((0.3, 0.3))


def test_session_ci_independent_of_other_sessions_in_frame() -> None:
    p = OpennessParams(n_boot=200)
    one = openness_sessions(_long_session(12, "A"), client_valences(), params=p)
    both = openness_sessions(
        pd.concat([_long_session(12, "B", rng_seed=5), _long_session(12, "A")]), client_valences(), params=p
    )
    assert both.set_index("session").loc["A", "ci_low"] == one["ci_low"].iloc[0]


# --------------------------------------------------------------------------- across sessions


def _sessions_frame(values: list[float], client: str = "K1") -> pd.DataFrame:
    return pd.DataFrame({"client": client, "session_number": range(1, len(values) + 1), "oi": values})


def test_trend_matches_pingouin_regression() -> None:
    y = [0.05, 0.12, 0.08, 0.25, 0.31, 0.22]
    t = openness_trend(_sessions_frame(y)).iloc[0]
    ref = pg.linear_regression(np.arange(1, 7), np.array(y)).iloc[1]
    assert t["slope"] == pytest.approx(ref["coef"])
    assert t["slope_se"] == pytest.approx(ref["se"])
    assert t["ci_low"] == pytest.approx(ref["CI2.5"]) and t["ci_high"] == pytest.approx(ref["CI97.5"])


def test_trend_needs_three_sessions() -> None:
    t = openness_trend(
        pd.concat([_sessions_frame([0.1, 0.2]), _sessions_frame([0.1, np.nan, 0.3, 0.2], "K2")])
    )
    assert t.set_index("client")["reason"].to_dict() == {"K1": "analysis.openness.too_few_sessions", "K2": ""}
    assert t.set_index("client").loc["K2", "n_sessions"] == 3


def test_trend_rejects_two_observations_of_one_session() -> None:
    with pytest.raises(InvalidInput) as err:
        openness_trend(pd.concat([_sessions_frame([0.1, 0.2, 0.3]), _sessions_frame([0.1])]))
    assert err.value.key == "analysis.openness.duplicate_session"


def test_relative_view() -> None:
    s = _sessions_frame([np.nan, 0.2, 0.4, 0.0])
    r = openness_relative(s, m=2).set_index("session_number")
    assert r.loc[3, "delta_first"] == pytest.approx(0.2)  # first defined session is number 2
    assert r.loc[4, "delta_baseline"] == pytest.approx(-0.3)
    assert r.loc[3, "z_within"] == pytest.approx((0.4 - 0.2) / 0.2)
    one = openness_relative(_sessions_frame([0.3], "K9"))
    assert (
        math.isnan(one["z_within"].iloc[0])
        and one["z_reason"].iloc[0] == "analysis.openness.too_few_sessions"
    )


def test_end_to_end_trend_from_events() -> None:
    ev = pd.concat(
        [_long_session(12, f"S{i}", rng_seed=i, client="K1", session_number=i) for i in range(1, 5)]
    )
    s = openness_sessions(ev, client_valences(), params=OpennessParams(n_boot=0))
    assert s["session_number"].tolist() == [1, 2, 3, 4]
    t = openness_trend(s).iloc[0]
    ref = np.polyfit(s["session_number"], s["oi"], 1)[0]
    assert t["slope"] == pytest.approx(ref)


# --------------------------------------------------------------------------- bad input


def test_window_longer_than_session() -> None:
    r = openness(frame([state("G_EYE", 0, 30)], duration=30), client_valences())
    assert r.windows.empty
    s = r.sessions.iloc[0]
    assert math.isnan(s["oi"]) and s["reason"] == "analysis.openness.window_longer_than_session"


def test_channels_never_observable() -> None:
    ev = frame([state(f"{c[0]}_NV", 0, 300) for c in CUES], duration=300)
    s = openness_sessions(ev, client_valences()).iloc[0]
    assert math.isnan(s["oi"]) and s["reason"] == "analysis.openness.no_defined_windows"
    assert s["share_defined"] == 0


def test_unknown_cue_counts_as_missing_and_is_reported() -> None:
    ev = frame([state("G_EYE", 0, 60), state("T_UP", 0, 60), {**state("A_OPEN", 0, 60), "cue": "A_OLDCODE"}])
    r = openness(ev, client_valences())
    assert r.unknown_cues == ("A_OLDCODE",)
    assert math.isnan(r.windows["O_ARMS"].iloc[0]) and r.windows["oi"].iloc[0] == pytest.approx(0.5)


def test_zero_length_and_inverted_states_are_refused() -> None:
    # DOMAIN §9.2: refused where events enter the analysis, never silently dropped
    base = [state(c, 0, 60) for c in ("G_EYE", "T_UP")]
    for bad, key in ((state("A_CROSS", 10, 10), "analysis.zero_length_state"),
                     (state("S_RIGID", 30, 20), "analysis.end_before_start")):  # fmt: skip
        with pytest.raises(InvalidInput) as err:
            openness_windows(frame([*base, bad]), client_valences())
        assert err.value.key == key


def test_empty_frame_and_bad_params() -> None:
    with pytest.raises(InvalidInput):
        openness(frame([state("G_EYE", 0, 60)]).iloc[0:0], client_valences())
    with pytest.raises(InvalidInput):
        OpennessParams(window_s=0)
    with pytest.raises(InvalidInput):
        OpennessParams(c_min=1.5)
    with pytest.raises(InvalidInput):
        openness(frame([state("G_EYE", 0, 60)]).drop(columns=["kind"]), client_valences())


def test_midpoint_sampler_matches_openness_coverage() -> None:
    # the shared unit sampler and the window integrals agree on 1 s units of integer-second codes
    ev = _long_session(3)
    units = sample_states_at_midpoints(ev, unit_s=1.0)
    gaze = units[units["channel"] == "GAZE"]
    w = openness_windows(ev, client_valences())
    assert len(gaze) == 180
    first_window = gaze[gaze["unit"] < 60]["cue"].map(lambda c: client_valences()[("client", c)]).mean()
    assert first_window == pytest.approx(w["O_GAZE"].iloc[0])
