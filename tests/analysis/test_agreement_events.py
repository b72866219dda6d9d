"""Event-based agreement: one-to-one matching (DOMAIN §6) checked by hand and by brute force."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.analysis.agreement import kappa_from_table
from observe.analysis.agreement.events import Events, Tolerances, event_table, match_events


def _events(onsets: list[float], codes: list[int], points: bool = False, length: float = 1.0) -> Events:
    on = np.array(onsets, dtype=float)
    off = np.full(len(on), np.nan) if points else on + length
    return Events(on, off, np.array(codes, dtype=np.int64), np.full(len(on), points))


def _pairs(ia: np.ndarray, ib: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(ia.tolist(), ib.tolist(), strict=True))


def test_same_code_beats_a_closer_different_code() -> None:
    a = _events([0.0], [0])
    b = _events([0.1, 1.5], [1, 0])
    m = match_events(a, b, Tolerances())
    assert _pairs(m.match_a, m.match_b) == {(0, 1)}
    assert len(m.confusion_a) == 0


def test_more_matches_beat_smaller_onset_error() -> None:
    # a greedy nearest-first pairing would take (1, 0) with |Δ| = 0.1 and leave two events unmatched
    a = _events([0.0, 1.9], [0, 0])
    b = _events([1.8, 3.8], [0, 0])
    m = match_events(a, b, Tolerances(state=2.0))
    assert _pairs(m.match_a, m.match_b) == {(0, 0), (1, 1)}


def test_among_maximum_matchings_the_smallest_total_error_wins() -> None:
    a = _events([0.0, 1.0], [0, 0])
    b = _events([0.2, 1.1], [0, 0])
    m = match_events(a, b, Tolerances())
    assert _pairs(m.match_a, m.match_b) == {(0, 0), (1, 1)}


def test_leftover_different_codes_within_tolerance_are_confusions() -> None:
    a = _events([0.0, 10.0, 20.0], [0, 1, 2])
    b = _events([0.5, 10.5, 25.0], [0, 0, 2])
    m = match_events(a, b, Tolerances())
    assert _pairs(m.match_a, m.match_b) == {(0, 0)}
    assert _pairs(m.confusion_a, m.confusion_b) == {(1, 1)}
    table = event_table(a, b, m, 3)
    # rows A codes 0,1,2 + nil; columns B; A's code 2 at 20 s and B's at 25 s are 5 s apart: both nil
    expected = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    assert (table == expected).all()
    assert table[3, 3] == 0  # nil–nil is a structural zero


def test_kappa_on_table_with_nil_by_hand() -> None:
    table = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    # N = 4, p_o = 1/4, rows (1,1,1,1), cols (2,0,1,1): p_e = (2+0+1+1)/16 = 1/4 → κ = 0
    s = kappa_from_table(table)
    assert s.p_o == pytest.approx(0.25) and s.p_e == pytest.approx(0.25) and s.kappa == pytest.approx(0.0)


def test_points_use_their_own_tolerance_and_never_pair_with_states() -> None:
    a = Events(np.array([0.0, 10.0]), np.array([np.nan, 12.0]), np.array([0, 0]), np.array([True, False]))
    b = Events(np.array([1.5, 10.2]), np.array([np.nan, np.nan]), np.array([0, 0]), np.array([True, True]))
    m = match_events(a, b, Tolerances(state=2.0, point=1.0))
    # the point pair is 1.5 s apart (> 1 s); the state at 10 s may not pair with the point at 10.2 s
    assert len(m.match_a) == 0 and len(m.confusion_a) == 0
    m2 = match_events(a, b, Tolerances(state=2.0, point=2.0))
    assert _pairs(m2.match_a, m2.match_b) == {(0, 0)}


def test_optional_overlap_rule() -> None:
    a = Events(np.array([0.0]), np.array([1.0]), np.array([0]), np.array([False]))
    b = Events(np.array([1.5]), np.array([10.0]), np.array([0]), np.array([False]))
    assert len(match_events(a, b, Tolerances()).match_a) == 1
    assert len(match_events(a, b, Tolerances(min_overlap=0.5)).match_a) == 0


def test_empty_sides() -> None:
    a = _events([0.0, 3.0], [0, 1])
    empty = _events([], [])
    m = match_events(a, empty, Tolerances())
    assert len(m.match_a) == len(m.confusion_a) == 0
    assert (event_table(a, empty, m, 2) == np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])).all()


# --------------------------------------------------------------------------- brute-force reference


def _matchings(
    na: int, nb: int, ok: np.ndarray, used: frozenset[int] = frozenset(), i: int = 0
) -> Iterator[list]:
    """Every matching (list of (i, j)) of the bipartite candidate graph ``ok``."""
    if i == na:
        yield []
        return
    yield from _matchings(na, nb, ok, used, i + 1)
    for j in range(nb):
        if ok[i, j] and j not in used:
            for rest in _matchings(na, nb, ok, used | {j}, i + 1):
                yield [(i, j), *rest]


def _best(na: int, nb: int, ok: np.ndarray, gap: np.ndarray) -> tuple[int, float]:
    """(max number of pairs, min Σ|Δonset| among those) by enumeration."""
    best = (0, 0.0)
    for m in _matchings(na, nb, ok):
        total = sum(gap[i, j] for i, j in m)
        if len(m) > best[0] or (len(m) == best[0] and total < best[1] - 1e-12):
            best = (len(m), total)
    return best


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 8).map(lambda x: round(x, 1)), st.integers(0, 1)), max_size=5),
    st.lists(st.tuples(st.floats(0, 8).map(lambda x: round(x, 1)), st.integers(0, 1)), max_size=5),
)
def test_matching_is_optimal_by_brute_force(
    raw_a: list[tuple[float, int]], raw_b: list[tuple[float, int]]
) -> None:
    a = _events([x[0] for x in raw_a], [x[1] for x in raw_a])
    b = _events([x[0] for x in raw_b], [x[1] for x in raw_b])
    tol = Tolerances(state=2.0)
    m = match_events(a, b, tol)
    gap = np.abs(a.onset[:, None] - b.onset[None, :])
    within = gap <= 2.0 + 1e-9
    same = a.code[:, None] == b.code[None, :]
    # stage 1: our same-code matching has the maximum size and then the minimum Σ|Δonset|
    n_best, sum_best = _best(len(a), len(b), within & same, gap)
    assert len(m.match_a) == n_best
    assert gap[m.match_a, m.match_b].sum() == pytest.approx(sum_best, abs=1e-9)
    assert (a.code[m.match_a] == b.code[m.match_b]).all()
    # stage 2 on our leftovers: confusions are a maximum, minimum-error matching of different codes
    left_a = np.setdiff1d(np.arange(len(a)), m.match_a)
    left_b = np.setdiff1d(np.arange(len(b)), m.match_b)
    ok2 = (within & ~same)[np.ix_(left_a, left_b)]
    n2, sum2 = _best(len(left_a), len(left_b), ok2, gap[np.ix_(left_a, left_b)])
    assert len(m.confusion_a) == n2
    assert gap[m.confusion_a, m.confusion_b].sum() == pytest.approx(sum2, abs=1e-9)
    # one-to-one
    paired_a = np.concatenate((m.match_a, m.confusion_a))
    paired_b = np.concatenate((m.match_b, m.confusion_b))
    assert len(set(paired_a.tolist())) == len(paired_a) and len(set(paired_b.tolist())) == len(paired_b)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 300).map(lambda x: round(x, 3)), st.integers(0, 3)), min_size=1, max_size=40
    ),
    st.floats(-0.99, 0.99),
)
def test_shifting_within_tolerance_keeps_every_event_matched(
    raw: list[tuple[float, int]], shift: float
) -> None:
    a = _events([x[0] for x in raw], [x[1] for x in raw], points=True)
    b = Events(a.onset + shift, a.offset, a.code, a.is_point)
    m = match_events(a, b, Tolerances(point=1.0))
    assert len(m.match_a) == len(a)
    table = event_table(a, b, m, 4)
    assert table[:4, :4].trace() == len(a) and table[4].sum() == 0 and table[:, 4].sum() == 0
    s = kappa_from_table(table)
    assert s.kappa == pytest.approx(1.0) or (math.isnan(s.kappa) and s.p_o == 1.0)
