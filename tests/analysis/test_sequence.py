"""Sequential analysis (DOMAIN §5) and co-occurrence: worked example, brute-force cross-checks, real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.analysis.cooccurrence import cooccurrence
from observe.analysis.sequence import (
    _circular_overlap,
    contingency_stats,
    given_units,
    pooled_q,
    sequence_table,
    shift_test,
    tally,
    target_units,
    transition_matrix,
)
from observe.errors import InvalidInput
from tests.analysis._events import frame, point, state
from tests.analysis.test_timebudget import mhmm_events
from tests.conftest import shared_fixtures

LEAN, EYE = ("counselor", "T_FWD"), ("client", "G_EYE")


def test_worked_example_from_the_tally() -> None:
    s = contingency_stats(25, 175, 35, 1565)
    assert round(s.p_target_given, 3) == 0.125 and round(s.p_target_not_given, 3) == 0.022
    assert round(s.expected, 2) == 6.67
    assert round(s.z, 2) == 7.66 and round(s.yules_q, 2) == 0.73
    assert round(s.odds_ratio, 2) == 6.39 and round(s.ln_or, 2) == 1.85 and round(s.se_ln_or, 2) == 0.27
    assert s.interpretable and not s.corrected


def worked_example_events(session: str = "S1", jitter: int | None = None) -> pd.DataFrame:
    """DOMAIN §5: 30 min, 40 lean onsets (G = 200 units), 60 eye-contact onsets, 25 inside G.

    With ``jitter`` (a seed) the leans come at irregular whole-second gaps of 25-55 s instead
    of every 45 s: a periodic stream realigns with itself under rotation, which is not what
    the time-shift test is about.
    """
    leans = np.arange(40) * 45.0
    if jitter is not None:
        leans = np.cumsum(np.r_[0, np.random.default_rng(jitter).integers(25, 44, 39)]).astype(float)
    rows = [state("T_FWD", t, t + 3, subject="counselor") for t in leans]
    rows += [state("T_UP", t + 3, t + 45, subject="counselor") for t in leans]
    eyes = [t + 2 for t in leans[:25]] + [t + 20 for t in leans[:35]]
    rows += [state("G_EYE", t, t + 1) for t in eyes] + [state("G_AWAY", t + 1, t + 2) for t in eyes]
    return frame(rows, session=session, duration=1800.0)


def test_worked_example_from_events() -> None:
    row = sequence_table(worked_example_events(), given=LEAN, target=EYE, window_s=5).iloc[0]
    assert (row["a"], row["b"], row["c"], row["d"]) == (25, 175, 35, 1565)
    assert round(row["z"], 2) == 7.66 and round(row["yules_q"], 2) == 0.73


def test_zero_cell_correction_and_dont_interpret() -> None:
    s = contingency_stats(3, 0, 2, 40)
    assert s.corrected and s.odds_ratio == pytest.approx(3.5 * 40.5 / (0.5 * 2.5))
    assert s.se_ln_or == pytest.approx(math.sqrt(1 / 3.5 + 1 / 0.5 + 1 / 2.5 + 1 / 40.5))
    assert not s.interpretable and s.reason == "analysis.sequence.too_few_units"
    empty = contingency_stats(0, 0, 0, 0)
    assert math.isnan(empty.yules_q) and empty.reason == "analysis.sequence.no_units"


def test_adjusted_residual_matches_scipy_expected_frequencies() -> None:
    from scipy.stats.contingency import expected_freq

    a, b, c, d = 12, 30, 20, 140
    e = expected_freq(np.array([[a, b], [c, d]]))[0, 0]
    n = a + b + c + d
    z_ref = (a - e) / math.sqrt(e * (1 - (a + b) / n) * (1 - (a + c) / n))
    assert contingency_stats(a, b, c, d).z == pytest.approx(z_ref)


# --------------------------------------------------------------------------- unit series vs brute force


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 100_000), max_size=12), st.integers(500, 10_000), st.sampled_from([0.5, 1.0, 2.0]),
       st.integers(-10_000, 5_000))  # fmt: skip
def test_given_units_match_brute_force(ms: list[int], window_ms: int, unit: float, offset_ms: int) -> None:
    # times have millisecond precision (frames contract)
    onsets, window, offset = [m / 1000 for m in ms], window_ms / 1000, offset_ms / 1000
    n_units = int(100 / unit)
    got = given_units(np.array(onsets), n_units, window_s=window, unit_s=unit, offset_s=offset)
    starts = np.arange(n_units) * unit
    want = np.zeros(n_units, bool)
    for o in onsets:
        want |= (starts >= o + offset - 1e-9) & (starts < o + offset + window - 1e-9)
    np.testing.assert_array_equal(got, want)


def test_target_units_and_tally() -> None:
    t = target_units(np.array([0.0, 0.99, 5.5, 99.0, 120.0]), 100)
    assert t.nonzero()[0].tolist() == [0, 5, 99]
    g = np.zeros(100, bool)
    g[:10] = True
    assert tally(g, t) == (2, 8, 1, 89)
    keep = np.ones(100, bool)
    keep[0] = False
    assert tally(g, t, keep) == (1, 8, 1, 89)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=5, max_size=60), st.lists(st.booleans(), min_size=5, max_size=60))
def test_circular_overlap_matches_roll(x: list[bool], y: list[bool]) -> None:
    n = min(len(x), len(y))
    xa, ya = np.array(x[:n]), np.array(y[:n])
    got = _circular_overlap(xa, ya)
    want = [int(np.sum(xa & np.roll(ya, u))) for u in range(n)]
    assert got.tolist() == want


def test_sensitivity_exclusion_drops_units() -> None:
    ev = worked_example_events()
    row = sequence_table(ev, given=LEAN, target=EYE, exclude=[("client", "G_EYE")]).iloc[0]
    # 60 one-second eye states are removed from the units, and with them every target unit
    assert row["n"] == 1800 - 60 and row["a"] + row["c"] == 0


def test_pre_window_control_and_reverse_direction() -> None:
    ev = worked_example_events()
    pre = sequence_table(ev, given=LEAN, target=EYE, offset_s=-5).iloc[0]
    assert pre["a"] == 0  # no eye onset in the 5 s before a lean
    rev = sequence_table(ev, given=EYE, target=LEAN).iloc[0]
    assert rev["a"] + rev["c"] == 40


# --------------------------------------------------------------------------- pooled and permutation


def test_pooled_q_with_t_ci() -> None:
    table = pd.DataFrame(
        {"yules_q": [0.2, 0.5, 0.8, np.nan, 0.9], "interpretable": [True, True, True, True, False]}
    )
    r = pooled_q(table)
    assert r["n_sessions"] == 3 and r["n_excluded"] == 2 and r["mean_q"] == pytest.approx(0.5)
    from scipy import stats

    half = stats.t.ppf(0.975, 2) * np.std([0.2, 0.5, 0.8], ddof=1) / math.sqrt(3)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.5 - half, 0.5 + half))
    assert pooled_q(table.iloc[:1])["reason"] == "analysis.sequence.one_session"


def test_shift_test_detects_real_and_not_random_timing() -> None:
    ev = pd.concat([worked_example_events("S1", jitter=1), worked_example_events("S2", jitter=2)])
    r = shift_test(ev, given=LEAN, target=EYE, n_perm=300, seed=3)
    assert (r["p_value"] < 0.01).all() and r["n_perm"].eq(300).all()
    # unrelated streams: p is not small
    rng = np.random.default_rng(0)
    rows = [point("T_FWD", t, subject="counselor") for t in rng.uniform(0, 1800, 40)]
    rows += [point("G_EYE", t) for t in rng.uniform(0, 1800, 60)]
    p = shift_test(frame(rows, duration=1800.0), given=LEAN, target=EYE, n_perm=300, seed=3)["p_value"].iloc[
        0
    ]
    assert p > 0.05
    again = shift_test(ev, given=LEAN, target=EYE, n_perm=300, seed=3)
    assert again["p_value"].tolist() == r["p_value"].tolist()


def test_shift_test_with_exclusions_matches_explicit_rotation() -> None:
    ev = worked_example_events()
    excl = [("client", "G_AWAY")]
    r = shift_test(ev, given=LEAN, target=EYE, exclude=excl, n_perm=50, seed=9).iloc[0]
    base = sequence_table(ev, given=LEAN, target=EYE, exclude=excl).iloc[0]
    assert r["q_obs"] == base["yules_q"]


def test_session_too_short_to_shift() -> None:
    ev = frame([point("T_FWD", 5, subject="counselor"), point("G_EYE", 7)], duration=50.0)
    r = shift_test(ev, given=LEAN, target=EYE, n_perm=10).iloc[0]
    assert math.isnan(r["p_value"]) and r["reason"] == "analysis.sequence.too_short_to_shift"


# --------------------------------------------------------------------------- transitions


def test_transition_matrix_counts_and_residuals() -> None:
    rows = [point(c, t) for t, c in enumerate(["P_NOD", "P_LAUGH", "P_NOD", "P_LAUGH", "P_NOD", "P_SIGH"])]
    m = transition_matrix(frame(rows)).set_index(["from", "to"])
    assert m.loc[("client:P_NOD", "client:P_LAUGH"), "count"] == 2
    assert m.loc[("client:P_NOD", "client:P_SIGH"), "count"] == 1
    assert m["count"].sum() == 5
    # residuals: same formula as contingency_stats on the collapsed 2×2 for one cell
    x = m.loc[("client:P_NOD", "client:P_LAUGH")]
    s = contingency_stats(2, 1, 0, 2)
    assert x["z"] == pytest.approx(s.z)
    # lag 2 and sessions kept apart
    two = pd.concat([frame(rows[:3], session="A"), frame(rows[3:], session="B")])
    assert transition_matrix(two, lag=2)["count"].sum() == 2


# --------------------------------------------------------------------------- real data (mHMMbayes, 1 Hz)


@pytest.mark.parametrize("dyad", [1, 3, 10])
def test_mutual_gaze_seconds_match_r(dyad: int) -> None:
    counts = (
        pd.read_csv(shared_fixtures() / "mhmm" / "nonverbal_per_dyad_counts.csv")
        .set_index("dyad_id")
        .loc[dyad]
    )
    co = cooccurrence(mhmm_events(dyad), channels=["GAZE"]).set_index(["first_cue", "second_cue"])
    assert co.loc[("looking", "looking"), "overlap_s"] == counts["mutual_gaze_s"]
    assert co["overlap_s"].sum() == counts["n"]  # the two looking channels are each exhaustive
    assert co.loc[("looking", "looking"), "share_of_second"] == pytest.approx(
        counts["mutual_gaze_s"] / counts["p_look_2"]
    )


def test_mhmm_sequence_matches_per_unit_count() -> None:
    d = pd.read_csv(shared_fixtures() / "mhmm" / "nonverbal.csv")
    d = d[d["dyad_id"] == 2].reset_index(drop=True)
    ev = mhmm_events(2)
    row = sequence_table(ev, given=("counselor", "speaking"), target=("client", "speaking"), window_s=3).iloc[
        0
    ]

    # by hand from the 1 Hz rows: onsets = rows where the code turns to speaking (row k covers [k−1, k))
    def onsets(col: str) -> np.ndarray:
        s = (d[col] == 2).to_numpy()
        return np.flatnonzero(s & ~np.r_[False, s[:-1]])

    g = np.zeros(900, bool)
    for o in onsets("therapist_vocalizing"):
        g[o : o + 3] = True
    t = np.zeros(900, bool)
    t[onsets("patient_vocalizing")] = True
    assert (row["a"], row["b"], row["c"], row["d"]) == tally(g, t)


def test_cooccurrence_by_hand_and_bad_input() -> None:
    rows = [state("T_FWD", 0, 30, subject="counselor"), state("T_BACK", 30, 60, subject="counselor"),
            state("A_CROSS", 10, 40), state("A_OPEN", 40, 60), point("P_NOD", 5)]  # fmt: skip
    co = cooccurrence(frame(rows)).set_index(["first_cue", "second_cue"])
    assert co.loc[("T_FWD", "A_CROSS"), "overlap_s"] == 20
    assert co.loc[("T_BACK", "A_CROSS"), "overlap_s"] == 10
    assert co.loc[("T_BACK", "A_OPEN"), "share_of_first"] == pytest.approx(20 / 30)
    assert ("T_FWD", "A_OPEN") not in co.index
    with pytest.raises(InvalidInput):
        cooccurrence(frame(rows).iloc[0:0])
    with pytest.raises(InvalidInput):
        sequence_table(frame(rows), given=LEAN, target=EYE, window_s=0)
    assert cooccurrence(frame(rows), first="parent").empty
