"""Time-unit kappa: sampling rules of DOMAIN §6 and golden checks against scikit-learn.

The reference sampler below is a plain loop over the events written from the
DOMAIN text, independent of the vectorised code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from observe.analysis.agreement import compare
from observe.analysis.agreement.simulate import second_observer, simulate_observation
from observe.analysis.agreement.units import apply_tolerance, interval_presence, point_presence


def _ev(rows: list[tuple], duration: float = 10.0, subject: str = "client") -> pd.DataFrame:
    """Rows (channel, cue, kind, start, end) → tidy events of one observation."""
    frame = pd.DataFrame(rows, columns=["channel", "cue", "kind", "start_s", "end_s"])
    return frame.assign(subject=subject, duration_s=duration)


def _row(result, channel: str, cue: str = "", subject: str = "client") -> pd.Series:
    t = result.time_unit
    hit = t[(t["subject"] == subject) & (t["channel"] == channel) & (t["cue"] == cue)]
    assert len(hit) == 1, t
    return hit.iloc[0]


# --------------------------------------------------------------------------- reference sampler


def naive_channel(events: pd.DataFrame, subject: str, channel: str, mids: np.ndarray, nv: str) -> list[str]:
    """The state at each midpoint: the last one started at or before it and not yet ended; NV otherwise."""
    duration = float(events["duration_s"].max())
    rows = events[
        (events["subject"] == subject) & (events["channel"] == channel) & (events["kind"] == "state")
    ]
    states = [
        (float(s), duration if math.isnan(e) else float(e), str(c))
        for s, e, c in zip(rows["start_s"], rows["end_s"], rows["cue"], strict=True)
    ]
    out = []
    for t in mids.tolist():
        best, best_start = nv, -math.inf
        for start, end, cue in states:
            if start <= t < end and start >= best_start:
                best, best_start = cue, start
        out.append(best)
    return out


def naive_points(events: pd.DataFrame, subject: str, cue: str, mids: np.ndarray, unit: float) -> list[int]:
    times = events[(events["subject"] == subject) & (events["cue"] == cue)]["start_s"].tolist()
    return [int(any(abs(p - t) <= unit / 2 + 1e-9 for p in times)) for t in mids.tolist()]


def naive_tolerance(a: list, b: list, window: int) -> list:
    """DOMAIN §6: a_i ≠ b_i counts as agreement on a_i if a_i occurs in B within ±τ and b_i in A within ±τ."""
    out = list(b)
    for i in range(len(a)):
        if a[i] != b[i]:
            lo, hi = max(0, i - window), min(len(a), i + window + 1)
            if a[i] in b[lo:hi] and b[i] in a[lo:hi]:
                out[i] = a[i]
    return out


# --------------------------------------------------------------------------- rules


def test_channel_is_nv_before_first_code_and_running_state_closes_at_duration() -> None:
    a = _ev([("GAZE", "G_EYE", "state", 2.0, math.nan)], duration=6.0)
    b = _ev([("GAZE", "G_EYE", "state", 0.0, math.nan)], duration=6.0)
    r = compare(a, b)
    m = r.unit_matrices[("client", "GAZE", "")]
    # units 0 and 1 are NV for A (nothing coded yet), EYE for B; units 2..5 agree on EYE
    assert m.loc["G_NV", "G_EYE"] == 2 and m.loc["G_EYE", "G_EYE"] == 4
    assert _row(r, "GAZE")["n_units"] == 6


def test_explicit_nv_code_agrees_with_uncoded_start() -> None:
    a = _ev([("FACE", "F_NV", "state", 0.0, 3.0), ("FACE", "F_SMILE", "state", 3.0, 6.0)], duration=6.0)
    b = _ev([("FACE", "F_SMILE", "state", 3.0, 6.0)], duration=6.0)
    r = compare(a, b)
    assert _row(r, "FACE")["p_o"] == 1.0


def test_half_unit_rule_for_points() -> None:
    # a point exactly on a unit boundary (2.0) is within Δ/2 of both neighbouring midpoints
    assert point_presence(np.array([2.0]), 0.0, 4, 1.0).tolist() == [False, True, True, False]
    assert point_presence(np.array([2.3]), 0.0, 4, 1.0).tolist() == [False, False, True, False]
    assert point_presence(np.array([-5.0, 99.0]), 0.0, 4, 1.0).tolist() == [False] * 4
    # a state covers the units whose midpoint lies in [start, end)
    assert interval_presence(np.array([0.5]), np.array([2.5]), 0.0, 4, 1.0).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_point_cue_row_has_pabak_and_f1() -> None:
    a = _ev([("POINT", "P_NOD", "point", t, math.nan) for t in (1.2, 5.5, 8.1)], duration=10.0)
    b = _ev([("POINT", "P_NOD", "point", t, math.nan) for t in (1.4, 8.9)], duration=10.0)
    row = _row(compare(a, b), "POINT", "P_NOD")
    # units: A present {1, 5, 8}; B present {1, 8}; both in 2 of 10 units
    assert (row["rate_a"], row["rate_b"]) == (pytest.approx(0.3), pytest.approx(0.2))
    assert row["precision"] == 1.0 and row["recall"] == pytest.approx(2 / 3)
    assert row["f1"] == pytest.approx(2 * 2 / 5)
    assert row["pabak"] == pytest.approx(2 * 0.9 - 1) and row["n_codes"] == 2
    a_units = [0, 1, 0, 0, 0, 1, 0, 0, 1, 0]
    b_units = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert row["kappa"] == pytest.approx(cohen_kappa_score(a_units, b_units))


def test_tolerance_forgives_a_boundary_shift_but_not_a_confusion() -> None:
    a = _ev([("GAZE", "G_EYE", "state", 0.0, 5.0), ("GAZE", "G_AWAY", "state", 5.0, 10.0)])
    shifted = _ev([("GAZE", "G_EYE", "state", 0.0, 6.0), ("GAZE", "G_AWAY", "state", 6.0, 10.0)])
    assert _row(compare(a, shifted), "GAZE")["p_o"] == pytest.approx(0.9)
    assert _row(compare(a, shifted, tolerance=1.0), "GAZE")["p_o"] == 1.0
    # B codes DOWN for one unit inside A's EYE: DOWN never occurs in A, so no tolerance applies
    confused = _ev(
        [
            ("GAZE", "G_EYE", "state", 0.0, 2.0),
            ("GAZE", "G_DOWN", "state", 2.0, 3.0),
            ("GAZE", "G_EYE", "state", 3.0, 5.0),
            ("GAZE", "G_AWAY", "state", 5.0, 10.0),
        ]
    )
    assert _row(compare(a, confused, tolerance=2.0), "GAZE")["p_o"] == pytest.approx(0.9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=60).flatmap(
        lambda a: st.tuples(st.just(a), st.lists(st.integers(0, 3), min_size=len(a), max_size=len(a)))
    ),
    st.integers(0, 4),
)
def test_tolerance_equals_the_naive_rule(series: tuple[list[int], list[int]], window: int) -> None:
    a, b = series
    got = apply_tolerance(np.array(a), np.array(b), 4, window).tolist()
    assert got == naive_tolerance(a, b, window)


# --------------------------------------------------------------------------- golden: scikit-learn


@pytest.mark.parametrize(("seed", "unit"), [(0, 1.0), (1, 0.5), (2, 2.0)])
def test_time_unit_kappa_equals_sklearn_on_naively_sampled_units(seed: int, unit: float) -> None:
    a = simulate_observation(duration_s=150.0, n_events=100, seed=seed)
    b = second_observer(a, jitter_s=0.8, confusion=0.15, seed=seed + 100)
    result = compare(a, b, unit=unit)
    mids = (np.arange(int(150.0 / unit)) + 0.5) * unit
    checked = 0
    for row in result.time_unit.itertuples():
        if row.level == "channel":
            nv = f"{row.channel[0]}_NV"
            sa = naive_channel(a, row.subject, row.channel, mids, nv)
            sb = naive_channel(b, row.subject, row.channel, mids, nv)
        else:
            sa = naive_points(a, row.subject, row.cue, mids, unit)
            sb = naive_points(b, row.subject, row.cue, mids, unit)
        assert row.n_units == len(mids)
        assert row.p_o == pytest.approx(np.mean(np.array(sa) == np.array(sb)))
        assert row.kappa == pytest.approx(cohen_kappa_score(sa, sb), abs=1e-9)
        checked += 1
    assert checked == len(result.time_unit) > 10


def test_tolerance_kappa_equals_sklearn_on_naively_forgiven_units() -> None:
    a = simulate_observation(duration_s=200.0, n_events=80, seed=7)
    b = second_observer(a, jitter_s=1.0, seed=8)
    result = compare(a, b, unit=1.0, tolerance=2.0)
    mids = np.arange(200) + 0.5
    for channel in ("GAZE", "TRUNK"):
        sa = naive_channel(a, "client", channel, mids, f"{channel[0]}_NV")
        sb = naive_tolerance(sa, naive_channel(b, "client", channel, mids, f"{channel[0]}_NV"), 2)
        row = _row(result, channel)
        assert row["kappa"] == pytest.approx(cohen_kappa_score(sa, sb), abs=1e-9)
