"""The time-unit grid: sampling observations onto units of Δ seconds.

Each unit i covers [t0 + iΔ, t0 + (i+1)Δ) and is represented by its midpoint
(DOMAIN §6, app version): an ME&E channel takes the one state active at the
midpoint (NV before the first code and in any uncoded gap), a point cue is
present in every unit whose midpoint lies within Δ/2 of the point (the
half-unit rule), and a non-exhaustive state cue (process tier) is present when
it covers the midpoint.

The grid itself (midpoints, trailing partial unit dropped) comes from
:func:`observe.analysis.intervals.unit_midpoints`. These helpers work on integer
code arrays (not the object arrays of ``intervals.state_at``) so that tables are
one ``bincount`` and the whole comparison costs a small multiple of the sampling
itself (see ``bench/bench_agreement.py``).
"""

from __future__ import annotations

import numpy as np

# Times are stored with millisecond precision; this slack keeps a point that
# lies exactly on a unit boundary (|t_p − t| = Δ/2) inside both units despite
# binary floating point.
_EPS = 1e-9


def sample_exclusive(
    starts: np.ndarray, ends: np.ndarray, codes: np.ndarray, mids: np.ndarray, fill: int
) -> np.ndarray:
    """Code of the state active at each midpoint of an ME&E channel.

    The state that started last at or before the midpoint wins (a new state
    closes the previous one, DOMAIN data model); if it has already ended, or
    nothing has started yet, the unit gets ``fill`` (the channel's NV code).

    Parameters
    ----------
    starts, ends, codes : arrays
        The channel's states sorted by start; ``ends`` already has running states closed.
    mids : array
        Unit midpoints.
    fill : int
        Code for "not visible".

    Examples
    --------
    >>> sample_exclusive(np.array([1.0, 3.0]), np.array([3.0, 4.0]), np.array([0, 1]),
    ...                  np.array([0.5, 1.5, 3.5, 4.5]), fill=9).tolist()
    [9, 0, 1, 9]
    """
    idx = np.searchsorted(starts, mids, side="right") - 1
    safe = np.maximum(idx, 0)
    active = (idx >= 0) & (mids < ends[safe]) if len(starts) else np.zeros(len(mids), dtype=bool)
    out = np.full(len(mids), fill, dtype=np.int64)
    if len(starts):
        out[active] = codes[safe[active]]
    return out


def point_presence(times: np.ndarray, start: float, count: int, unit: float) -> np.ndarray:
    """Units in which a point cue is present under the half-unit rule |t_p − t| ≤ Δ/2.

    A point exactly on a unit boundary counts in both neighbouring units, as
    in BORIS's tick rule (DOMAIN §6).

    Examples
    --------
    >>> point_presence(np.array([0.2, 2.0]), 0.0, 4, 1.0).tolist()
    [True, True, True, False]
    """
    present = np.zeros(count, dtype=bool)
    if count == 0 or len(times) == 0:
        return present
    x = (np.asarray(times, dtype=float) - start) / unit
    # |t_p − (i+½)Δ| ≤ Δ/2  ⇔  x − 1 ≤ i ≤ x
    hi = np.floor(x + _EPS).astype(np.int64)
    lo = np.ceil(x - 1.0 - _EPS).astype(np.int64)
    for idx in (lo, hi):
        ok = (idx >= 0) & (idx < count)
        present[idx[ok]] = True
    return present


def interval_presence(
    starts: np.ndarray, ends: np.ndarray, start: float, count: int, unit: float
) -> np.ndarray:
    """Units whose midpoint lies in any of the half-open intervals [start_j, end_j).

    Examples
    --------
    >>> interval_presence(np.array([0.6]), np.array([2.6]), 0.0, 4, 1.0).tolist()
    [False, True, True, False]
    """
    if count == 0 or len(starts) == 0:
        return np.zeros(count, dtype=bool)
    # first unit with midpoint ≥ s is ceil((s − t0)/Δ − ½); the last one with midpoint < e is one before that of e
    first = np.clip(np.ceil((starts - start) / unit - 0.5 - _EPS).astype(np.int64), 0, count)
    stop = np.clip(np.ceil((ends - start) / unit - 0.5 - _EPS).astype(np.int64), 0, count)
    delta = np.zeros(count + 1, dtype=np.int64)
    np.add.at(delta, first, 1)
    np.add.at(delta, stop, -1)
    return np.cumsum(delta[:-1]) > 0


def apply_tolerance(a: np.ndarray, b: np.ndarray, n_codes: int, window: int) -> np.ndarray:
    """Coder B's series with boundary shifts of up to ``window`` units forgiven.

    After Bakeman, Quera & Gnisci (2009), as DOMAIN §6 defines it: a unit with
    a_i ≠ b_i counts as agreement on a_i if a_i occurs in B within ±τ **and**
    b_i occurs in A within ±τ. The returned copy of ``b`` carries a_i there, so
    the ordinary table then tallies it on the diagonal.

    Parameters
    ----------
    a, b : integer arrays
        The two coders' unit series (codes 0..n_codes−1).
    n_codes : int
        Number of codes.
    window : int
        τ in units (units j with |j − i| ≤ window are "within ±τ").

    Examples
    --------
    >>> apply_tolerance(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2, 1).tolist()
    [0, 0, 1, 1]
    """
    b = np.asarray(b)
    if window <= 0:
        return b
    diff = np.flatnonzero(a != b)
    if len(diff) == 0:
        return b
    n = len(a)
    lo = np.maximum(diff - window, 0)
    hi = np.minimum(diff + window, n - 1) + 1
    a_i, b_i = a[diff], b[diff]
    in_b = _occurs_within(b, a_i, lo, hi, n_codes)
    in_a = _occurs_within(a, b_i, lo, hi, n_codes)
    out = b.copy()
    shifted = in_b & in_a
    out[diff[shifted]] = a_i[shifted]
    return out


def _occurs_within(
    series: np.ndarray, codes: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_codes: int
) -> np.ndarray:
    """Whether ``codes[j]`` occurs in ``series[lo[j]:hi[j]]``, for every j, by per-code running counts."""
    found = np.zeros(len(codes), dtype=bool)
    for code in np.unique(codes):
        sel = codes == code
        running = np.concatenate(([0], np.cumsum(series == code)))
        found[sel] = running[hi[sel]] > running[lo[sel]]
    return found


def disagreement_runs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of maximal runs where a ≠ b with the same (a, b) pair.

    Examples
    --------
    >>> [x.tolist() for x in disagreement_runs(np.array([0, 1, 1, 0, 2]), np.array([0, 0, 0, 1, 1]))]
    [[1, 3, 4], [2, 1, 1]]
    """
    differ = a != b
    if not differ.any():
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    n = len(a)
    # a run breaks where agreement status or either code changes
    change = np.ones(n, dtype=bool)
    change[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (differ[1:] != differ[:-1])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, n))
    keep = differ[starts]
    return starts[keep], lengths[keep]
