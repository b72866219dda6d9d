"""Event-based agreement: one-to-one matching of two observers' events.

DOMAIN §6 (after Bakeman, Quera & Gnisci 2009): within one channel and
subject, an event of A and one of B are candidates when they are of the same
kind and their onsets lie within τ (2 s for states, 1 s for points; optionally
the two states also overlap by ≥ a share of the shorter one). The matching
first maximises same-code matches, then minimises Σ|Δonset|; among the events
left over, different-code candidate pairs are matched the same way and count
as confusions; everything else pairs with ∅ (nil).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Events:
    """One observer's events of one channel and subject as parallel arrays.

    ``offset`` is NaN for points; running states are already closed.
    """

    onset: np.ndarray
    offset: np.ndarray
    code: np.ndarray
    is_point: np.ndarray

    def __len__(self) -> int:
        return len(self.onset)


@dataclass(frozen=True)
class Tolerances:
    """Onset tolerances (s) and the optional overlap rule of the candidate pairs."""

    state: float = 2.0
    point: float = 1.0
    min_overlap: float | None = None


@dataclass(frozen=True)
class Matching:
    """Indices into A and B of the same-code matches and of the confusions."""

    match_a: np.ndarray
    match_b: np.ndarray
    confusion_a: np.ndarray
    confusion_b: np.ndarray


def match_events(a: Events, b: Events, tol: Tolerances) -> Matching:
    """Match A's and B's events one to one (same code first, then confusions).

    Examples
    --------
    >>> a = Events(np.array([0.0, 10.0]), np.array([5.0, 12.0]), np.array([0, 1]), np.array([False, False]))
    >>> b = Events(np.array([1.5, 10.5]), np.array([5.0, 12.0]), np.array([0, 0]), np.array([False, False]))
    >>> m = match_events(a, b, Tolerances())
    >>> m.match_a.tolist(), m.match_b.tolist(), m.confusion_a.tolist(), m.confusion_b.tolist()
    ([0], [0], [1], [1])
    """
    empty = np.array([], dtype=np.int64)
    if len(a) == 0 or len(b) == 0:
        return Matching(empty, empty, empty, empty)
    match_a, match_b = [], []
    # Stage 1: same code. A maximum matching per code is a maximum same-code matching overall.
    for code in np.intersect1d(a.code, b.code):
        ia, ib = np.flatnonzero(a.code == code), np.flatnonzero(b.code == code)
        ra, rb = _assign(a, b, ia, ib, tol)
        match_a.append(ra)
        match_b.append(rb)
    ma = np.concatenate(match_a) if match_a else empty
    mb = np.concatenate(match_b) if match_b else empty
    # Stage 2: leftover events, any code (a same-code candidate pair cannot be left over,
    # it would extend the maximum matching of stage 1).
    left_a = np.setdiff1d(np.arange(len(a)), ma)
    left_b = np.setdiff1d(np.arange(len(b)), mb)
    ca, cb = _assign(a, b, left_a, left_b, tol)
    return Matching(ma, mb, ca, cb)


def _assign(
    a: Events, b: Events, ia: np.ndarray, ib: np.ndarray, tol: Tolerances
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-cardinality, minimum-Σ|Δonset| matching of candidates between A[ia] and B[ib].

    Candidate pairs are never further apart than the largest tolerance, so the
    events split into independent blocks wherever consecutive onsets (of both
    coders together) are further apart than that; each block is solved alone.
    """
    empty = np.array([], dtype=np.int64)
    if len(ia) == 0 or len(ib) == 0:
        return empty, empty
    reach = max(tol.state, tol.point)
    onsets = np.concatenate((a.onset[ia], b.onset[ib]))
    owner = np.concatenate((ia, ib))
    from_a = np.concatenate((np.ones(len(ia), dtype=bool), np.zeros(len(ib), dtype=bool)))
    order = np.argsort(onsets, kind="stable")
    onsets, owner, from_a = onsets[order], owner[order], from_a[order]
    cuts = np.flatnonzero(np.diff(onsets) > reach + 1e-9) + 1
    lows, highs = np.r_[0, cuts], np.r_[cuts, len(onsets)]
    n_from_a = np.add.reduceat(from_a.astype(np.int64), lows)
    sizes = highs - lows
    # Most blocks hold one event of each coder: decide those in one vectorised pass.
    pair = (sizes == 2) & (n_from_a == 1)
    first, second = owner[lows[pair]], owner[lows[pair] + 1]
    first_is_a = from_a[lows[pair]]
    pa, pb = np.where(first_is_a, first, second), np.where(first_is_a, second, first)
    ok = _candidate_pairs(a, b, pa, pb, tol)
    out_a: list[np.ndarray] = [pa[ok]]
    out_b: list[np.ndarray] = [pb[ok]]
    mixed = (n_from_a > 0) & (n_from_a < sizes) & ~pair
    for lo, hi in zip(lows[mixed], highs[mixed], strict=True):
        block_a = owner[lo:hi][from_a[lo:hi]]
        block_b = owner[lo:hi][~from_a[lo:hi]]
        ra, rb = _assign_block(a, b, block_a, block_b, tol)
        out_a.append(ra)
        out_b.append(rb)
    return np.concatenate(out_a), np.concatenate(out_b)


def _candidate_pairs(a: Events, b: Events, ia: np.ndarray, ib: np.ndarray, tol: Tolerances) -> np.ndarray:
    """Whether each pair (A[ia[j]], B[ib[j]]) is a candidate (elementwise form of :func:`_candidates`)."""
    if len(ia) == 0:
        return np.zeros(0, dtype=bool)
    gap = np.abs(a.onset[ia] - b.onset[ib])[:, None]
    return _candidates(a, b, ia, ib, gap, tol, paired=True)[:, 0]


def _assign_block(
    a: Events, b: Events, ia: np.ndarray, ib: np.ndarray, tol: Tolerances
) -> tuple[np.ndarray, np.ndarray]:
    gap = np.abs(a.onset[ia][:, None] - b.onset[ib][None, :])
    candidate = _candidates(a, b, ia, ib, gap, tol)
    if len(ia) == 1 or len(ib) == 1:
        # one row or column: the best single candidate is optimal; skip the solver
        flat = np.where(candidate, gap, np.inf)
        k = int(np.argmin(flat))
        if not np.isfinite(flat.flat[k]):
            return ia[:0], ib[:0]
        r, c = np.unravel_index(k, flat.shape)
        return ia[[r]], ib[[c]]
    # Each candidate pair is worth −big, more than any possible Σ|Δonset| in the
    # block, so the solver first maximises the number of pairs, then minimises
    # the summed onset error; non-candidates cost 0 and are dropped afterwards.
    big = float(gap[candidate].sum()) + 1.0
    cost = np.where(candidate, gap - big, 0.0)
    rows, cols = linear_sum_assignment(cost)
    keep = candidate[rows, cols]
    return ia[rows[keep]], ib[cols[keep]]


def _candidates(
    a: Events,
    b: Events,
    ia: np.ndarray,
    ib: np.ndarray,
    gap: np.ndarray,
    tol: Tolerances,
    paired: bool = False,
) -> np.ndarray:
    """Candidate mask: every A[ia] × B[ib] (a matrix), or elementwise pairs as one column if ``paired``."""
    shape_b = (slice(None), None) if paired else (None, slice(None))
    point_a, point_b = a.is_point[ia][:, None], b.is_point[ib][shape_b]
    same_kind = point_a == point_b
    limit = np.where(point_a, tol.point, tol.state)
    ok = same_kind & (gap <= limit + 1e-9)
    if tol.min_overlap is not None:
        # states must also overlap by ≥ min_overlap of the shorter one (DOMAIN §6, optional)
        sa, ea = a.onset[ia][:, None], a.offset[ia][:, None]
        sb, eb = b.onset[ib][shape_b], b.offset[ib][shape_b]
        overlap = np.minimum(ea, eb) - np.maximum(sa, sb)
        shorter = np.minimum(ea - sa, eb - sb)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(shorter > 0, overlap / shorter, np.where(overlap >= 0, 1.0, 0.0))
        ok &= point_a | (share >= tol.min_overlap)
    return ok


def event_table(a: Events, b: Events, m: Matching, n_codes: int) -> np.ndarray:
    """The (K+1)×(K+1) table: rows A's code or nil (last), columns B's; nil–nil is a structural zero.

    Examples
    --------
    >>> a = Events(np.array([0.0, 9.0]), np.full(2, np.nan), np.array([0, 1]), np.array([True, True]))
    >>> b = Events(np.array([0.5]), np.full(1, np.nan), np.array([0]), np.array([True]))
    >>> event_table(a, b, match_events(a, b, Tolerances()), 2).tolist()
    [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    """
    nil = n_codes
    paired_a = np.concatenate((m.match_a, m.confusion_a))
    paired_b = np.concatenate((m.match_b, m.confusion_b))
    rows = [a.code[paired_a], a.code[np.setdiff1d(np.arange(len(a)), paired_a)], np.empty(0, dtype=np.int64)]
    cols = [b.code[paired_b], np.full(len(a) - len(paired_a), nil), np.empty(0, dtype=np.int64)]
    only_b = np.setdiff1d(np.arange(len(b)), paired_b)
    rows[2] = np.full(len(only_b), nil)
    cols[2] = b.code[only_b]
    r = np.concatenate(rows).astype(np.int64)
    c = np.concatenate(cols).astype(np.int64)
    size = n_codes + 1
    return np.bincount(r * size + c, minlength=size * size).reshape(size, size)
