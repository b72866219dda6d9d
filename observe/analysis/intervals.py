"""Interval and time-unit helpers shared by the analysis modules.

Everything here works on plain numpy arrays or on the tidy event frame
(:mod:`observe.model`), and follows the state semantics of DOMAIN.md: states are
half-open ``[start_s, end_s)``, a state with ``end_s`` = NaN is still running and
closes at the end of the coded extent, points have one time.

The rules of DOMAIN §9 that every analysis shares live here, so no analysis can
give them another meaning:

* the session is the closed interval [0, T]; a point at exactly the end belongs to
  the last window or unit (:func:`closed_end`);
* zero-length states, negative or non-finite times, times beyond the session and
  states ending before they start are refused where events enter an analysis
  (:func:`check_events`), never clamped;
* an observation covers [0, E] (its coded extent, :func:`observation_spans`): every
  analysis runs over it, reports ``coverage`` = E/T, and a state still running at E
  ends at E; below :data:`PARTIAL_BELOW` a session-level number is "partially coded".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observe.errors import InvalidInput

#: Default grouping of an event frame into observations (one observer's coding of one session).
OBSERVATION_KEYS: tuple[str, ...] = ("session", "observer")

#: DOMAIN §9.3: below this coverage E/T a session-level number is "partially coded" and is
#: kept out of trends and the referral flag.
PARTIAL_BELOW = 0.5
#: Translation key of the "partially coded (x%)" label (``{percent}`` placeholder).
R_PARTIAL = "analysis.partially_coded"
#: Column of the tidy frame holding an observation's coded extent E in seconds (optional).
CODED_COLUMN = "coded_s"


def group_codes(events: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row and the table of distinct keys.

    Parameters
    ----------
    events
        Any frame holding the ``by`` columns.
    by
        Column names forming the group key.

    Returns
    -------
    codes, keys
        ``codes[i]`` indexes ``keys`` (a frame with the ``by`` columns, one row per group).
        Groups are numbered in order of first appearance of each key value.

    Examples
    --------
    >>> codes, keys = group_codes(pd.DataFrame({"session": ["b", "a", "b"]}), ["session"])
    >>> codes.tolist(), keys["session"].tolist()
    ([0, 1, 0], ['b', 'a'])
    """
    if len(by) == 0:
        return np.zeros(len(events), dtype=np.int64), pd.DataFrame(index=[0])
    combined = np.zeros(len(events), dtype=np.int64)
    uniques: list[np.ndarray] = []
    for col in by:
        # factorize each key column once; combining integers is much cheaper than hashing tuples
        codes, uniq = pd.factorize(events[col], use_na_sentinel=False)
        combined = combined * len(uniq) + codes
        uniques.append(np.asarray(uniq, dtype=object))
    space = int(np.prod([len(u) for u in uniques], dtype=np.int64))
    if space <= 4 * len(combined) + 1024:
        # dense key space: relabel through a presence table (no hashing; groups in key order)
        present = np.bincount(combined, minlength=space) > 0
        relabel = np.cumsum(present) - 1
        codes, first = relabel[combined], np.flatnonzero(present)
    else:
        codes, first = pd.factorize(combined)
    keys = {}
    for i, col in enumerate(by):
        radix = int(np.prod([len(u) for u in uniques[i + 1 :]], dtype=np.int64))
        keys[col] = uniques[i][(first // radix) % len(uniques[i])]
    return np.asarray(codes, dtype=np.int64), pd.DataFrame(keys)


def session_lengths(events: pd.DataFrame, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Length in seconds of each group: ``duration_s`` if known, else the last event time.

    A state still running (``end_s`` NaN) closes at this length (DOMAIN data model).

    Examples
    --------
    >>> ev = pd.DataFrame({"start_s": [1.0, 5.0], "end_s": [4.0, np.nan], "duration_s": [np.nan, np.nan]})
    >>> session_lengths(ev, np.array([0, 0]), 1).tolist()
    [5.0]
    """
    out = np.full(n_groups, np.nan)
    if "duration_s" in events:
        dur = pd.Series(events["duration_s"].to_numpy(dtype=float)).groupby(codes).max()
        out[dur.index.to_numpy()] = dur.to_numpy()
    last = np.fmax(events["start_s"].to_numpy(dtype=float), events["end_s"].to_numpy(dtype=float))
    fallback = pd.Series(last).groupby(codes).max()
    missing = np.isnan(out)
    fb = np.full(n_groups, np.nan)
    fb[fallback.index.to_numpy()] = fallback.to_numpy()
    out[missing] = fb[missing]
    return out


def check_events(events: pd.DataFrame) -> None:
    """Refuse events that DOMAIN §9 refuses at input, with the row named (never clamped).

    Refused: a start that is missing, negative or not finite; a state end that is
    negative or not finite, before its start, or equal to it (a zero-length state,
    DOMAIN §9.2: a state ending where the next starts is fine); a time beyond the
    session length ``duration_s`` when the frame has it (DOMAIN §9.1). A running
    state (``end_s`` NaN) is fine.

    Raises
    ------
    InvalidInput
        ``analysis.zero_length_state``, ``analysis.bad_time``, ``analysis.end_before_start``
        or ``analysis.time_beyond_session``.

    Examples
    --------
    >>> ev = pd.DataFrame({"cue": ["G_EYE"], "kind": "state", "start_s": [5.0], "end_s": [5.0]})
    >>> try:
    ...     check_events(ev)
    ... except InvalidInput as err:
    ...     err.key
    'analysis.zero_length_state'
    """
    if events.empty:
        return
    start = pd.to_numeric(events["start_s"], errors="coerce").to_numpy(float)
    end = pd.to_numeric(events["end_s"], errors="coerce").to_numpy(float)
    is_state = (events["kind"] == "state").to_numpy()
    cue = events["cue"].astype(str).to_numpy() if "cue" in events else np.full(len(events), "")

    def refuse(key: str, bad: np.ndarray, duration: np.ndarray | None = None) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            length = math.nan if duration is None else float(duration[i])
            raise InvalidInput(key, cue=cue[i], start=float(start[i]), end=float(end[i]), duration=length)

    refuse("analysis.bad_time", ~np.isfinite(start) | (start < 0))
    has_end = is_state & ~np.isnan(end)
    refuse("analysis.bad_time", has_end & (~np.isfinite(end) | (end < 0)))
    refuse("analysis.end_before_start", has_end & (end < start))
    refuse("analysis.zero_length_state", has_end & (end == start))
    if "duration_s" in events:
        length = pd.to_numeric(events["duration_s"], errors="coerce").to_numpy(float)
        latest = np.where(has_end, end, start)
        refuse("analysis.time_beyond_session", latest > length + 1e-9, duration=length)


def coded_extents(
    events: pd.DataFrame, codes: np.ndarray, lengths: np.ndarray, coded_s: float | None = None
) -> np.ndarray:
    """The coded extent E of each group (DOMAIN §9.3), never beyond its length T.

    ``coded_s`` (one value for every group) wins; else the frame's ``coded_s`` column
    (the observation's recorded finish, per group); else E = T, the whole session
    (the behaviour before coded extents were recorded).

    Examples
    --------
    >>> ev = pd.DataFrame({"coded_s": [20.0, 20.0, np.nan]})
    >>> coded_extents(ev, np.array([0, 0, 1]), np.array([900.0, 600.0])).tolist()
    [20.0, 600.0]
    >>> coded_extents(ev, np.array([0, 0, 1]), np.array([900.0, 600.0]), coded_s=1000.0).tolist()
    [900.0, 600.0]
    """
    out = np.asarray(lengths, dtype=float).copy()
    if coded_s is not None:
        value = float(coded_s)
        if not math.isfinite(value) or value <= 0:
            raise InvalidInput("analysis.params.must_be_positive", name="coded_s", value=coded_s)
        return np.fmin(out, value)
    if CODED_COLUMN in events and len(events):
        col = pd.to_numeric(events[CODED_COLUMN], errors="coerce").to_numpy(float)
        per_group = pd.Series(col).groupby(codes).max()
        found = np.full(len(out), np.nan)
        found[per_group.index.to_numpy()] = per_group.to_numpy()
        out = np.where(np.isnan(found), out, np.fmin(out, found))
    return out


@dataclass(frozen=True)
class Spans:
    """How an event frame splits into observations and what each covers (DOMAIN §9.3).

    ``codes`` maps each event row to its group; ``keys`` holds the group keys;
    ``length`` is the session length T, ``coded`` the coded extent E ≤ T.
    """

    codes: np.ndarray
    keys: pd.DataFrame
    length: np.ndarray
    coded: np.ndarray

    @property
    def coverage(self) -> np.ndarray:
        """E/T per group (NaN when T is 0 or unknown)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.length > 0, self.coded / self.length, np.nan)

    @property
    def partial(self) -> np.ndarray:
        """True where coverage is below :data:`PARTIAL_BELOW` ("partially coded")."""
        return np.nan_to_num(self.coverage, nan=1.0) < PARTIAL_BELOW

    def columns(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``coded_s``, ``coverage`` and ``partial`` for the given groups (all if None), as result columns."""
        idx = np.arange(len(self.keys)) if rows is None else np.asarray(rows, dtype=np.int64)
        return {"coded_s": self.coded[idx], "coverage": self.coverage[idx], "partial": self.partial[idx]}


def observation_spans(
    events: pd.DataFrame, by: Sequence[str], coded_s: float | None = None, *, check: bool = True
) -> Spans:
    """Validate ``events`` (:func:`check_events`), group them and find each group's T and E.

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "cue": "G_EYE", "kind": "state",
    ...     "start_s": [0.0], "end_s": [np.nan], "duration_s": 900.0, "coded_s": 20.0})
    >>> sp = observation_spans(ev, ["session", "observer"])
    >>> sp.length.tolist(), sp.coded.tolist(), sp.coverage.round(4).tolist(), sp.partial.tolist()
    ([900.0], [20.0], [0.0222], [True])
    """
    if check:
        check_events(events)
    codes, keys = group_codes(events, by)
    lengths = session_lengths(events, codes, len(keys))
    return Spans(codes, keys, lengths, coded_extents(events, codes, lengths, coded_s))


def closed_end(t: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Times for window/unit assignment: a time at exactly ``end`` moves just inside it.

    Windows and units are half-open ``[start, stop)`` except the last, which is closed
    at the session end (DOMAIN §9.1); moving a point at the end by one ulp puts it in
    the last window or unit with the ordinary half-open arithmetic.

    Examples
    --------
    >>> closed_end(np.array([59.0, 60.0]), np.array([60.0, 60.0])) < 60.0
    array([ True,  True])
    """
    t = np.asarray(t, dtype=float)
    return np.where(t == end, np.nextafter(end, -np.inf), t)


def close_states(start: np.ndarray, end: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Close running states at the session end and clip every state to ``[0, length)``.

    Parameters
    ----------
    start, end
        State bounds in seconds; ``end`` NaN = still running.
    length
        The session length for each state's row.

    Returns
    -------
    start, end
        Clipped copies; a state that is empty after clipping has ``end <= start``.

    Examples
    --------
    >>> s, e = close_states(np.array([-1.0, 5.0]), np.array([2.0, np.nan]), np.array([10.0, 10.0]))
    >>> s.tolist(), e.tolist()
    ([0.0, 5.0], [2.0, 10.0])
    """
    end = np.where(np.isnan(end), length, end)
    return np.clip(start, 0.0, length), np.minimum(end, length)


def window_counts(length: np.ndarray, window_s: float, step_s: float, min_fraction: float) -> np.ndarray:
    """Number of analysis windows per session.

    Window ``j`` is ``[j·step, j·step + W)`` clipped to the session; it is kept while
    its clipped length is at least ``min_fraction·W``. A session shorter than one
    window gets none (not enough data, DOMAIN §3).

    Examples
    --------
    >>> window_counts(np.array([3000.0, 80.0, 100.0, 30.0]), 60.0, 60.0, 0.5).tolist()
    [50, 1, 2, 0]
    """
    length = np.nan_to_num(np.asarray(length, dtype=float), nan=0.0)
    # last start j·step with at least min_fraction·W left before the session end
    n = np.floor((length - min_fraction * window_s) / step_s + 1e-9).astype(np.int64) + 1
    n = np.maximum(n, 0)
    return np.where(length >= window_s, n, 0)


def explode_over_windows(
    start: np.ndarray,
    end: np.ndarray,
    n_windows: np.ndarray,
    window_s: float,
    step_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split intervals by analysis window, vectorised.

    Parameters
    ----------
    start, end
        Interval bounds (a point has ``end == start``).
    n_windows
        Windows available in each interval's session (see :func:`window_counts`).
    window_s, step_s
        Window length and step.

    Returns
    -------
    row, window, overlap
        For every (interval, window) pair that meet: the interval's row index, the
        window index ``j`` and the overlap in seconds (0 for a point inside the window).

    Examples
    --------
    >>> r, j, o = explode_over_windows(np.array([50.0]), np.array([130.0]), np.array([3]), 60.0, 60.0)
    >>> r.tolist(), j.tolist(), o.tolist()
    ([0, 0, 0], [0, 1, 2], [10.0, 60.0, 10.0])
    """
    # windows j with j·step < end (or ≤ for a point) and j·step + W > start
    lo = np.maximum(np.floor((start - window_s) / step_s).astype(np.int64) + 1, 0)
    is_point = end <= start
    hi = np.where(is_point, np.floor(start / step_s), np.ceil(end / step_s) - 1).astype(np.int64)
    hi = np.minimum(hi, n_windows - 1)
    count = np.maximum(hi - lo + 1, 0)
    row = np.repeat(np.arange(len(start)), count)
    first = np.cumsum(count) - count
    window = lo[row] + (np.arange(len(row)) - first[row])
    w_start = window * step_s
    overlap = np.minimum(end[row], w_start + window_s) - np.maximum(start[row], w_start)
    return row, window, np.maximum(overlap, 0.0)


def union_length(start: np.ndarray, end: np.ndarray) -> float:
    """Seconds covered by the union of intervals (overlaps counted once).

    Examples
    --------
    >>> union_length(np.array([0.0, 5.0, 20.0]), np.array([10.0, 12.0, 25.0]))
    17.0
    """
    keep = end > start
    start, end = start[keep], end[keep]
    if len(start) == 0:
        return 0.0
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    reach = np.maximum.accumulate(end)
    # a new block starts where an interval begins after everything before it has ended
    new_block = np.r_[True, start[1:] > reach[:-1]]
    first = np.flatnonzero(new_block)
    # reach never decreases, so a block ends at the reach of its last interval (pure numpy: this
    # runs once per session and group in resistance_sessions, where a pandas groupby cost 1 ms)
    block_end = reach[np.r_[first[1:] - 1, len(reach) - 1]]
    return float(np.sum(block_end - start[first]))


def unit_midpoints(length_s: float, unit_s: float = 1.0, start_s: float = 0.0) -> np.ndarray:
    """Midpoints of the time units ``[start + iΔ, start + (i+1)Δ)`` that fit in the session.

    A trailing part shorter than one unit is dropped (it cannot be a whole unit).

    Examples
    --------
    >>> unit_midpoints(3.5, 1.0).tolist()
    [0.5, 1.5, 2.5]
    """
    n = int(np.floor((length_s - start_s) / unit_s + 1e-9))
    return start_s + (np.arange(max(n, 0)) + 0.5) * unit_s


def state_at(times: np.ndarray, start: np.ndarray, end: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The code of the state active at each time (``None`` where no state covers it).

    States are half-open ``[start, end)``; if states overlap (not allowed in a ME&E
    channel, but possible in bad data) the one that started last wins.

    Examples
    --------
    >>> state_at(np.array([0.5, 1.5, 3.5]), np.array([0.0, 1.0]), np.array([1.0, 3.0]),
    ...          np.array(["A", "B"], dtype=object)).tolist()
    ['A', 'B', None]
    """
    order = np.argsort(start, kind="stable")
    start, end, codes = start[order], end[order], np.asarray(codes, dtype=object)[order]
    idx = np.searchsorted(start, times, side="right") - 1
    ok = idx >= 0
    ok[ok] = times[ok] < end[idx[ok]]
    out = np.full(len(times), None, dtype=object)
    out[ok] = codes[idx[ok]]
    return out


def sample_states_at_midpoints(
    events: pd.DataFrame,
    *,
    unit_s: float = 1.0,
    by: Sequence[str] = OBSERVATION_KEYS,
    channels: Sequence[str] | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> pd.DataFrame:
    """Sample the state of each (subject, channel) at the midpoint of every time unit.

    This is the time-unit view of DOMAIN §6 ("each unit taking the state at its
    midpoint"): units are ``[start_s + iΔ, start_s + (i+1)Δ)``, and a unit gets the one
    state covering its midpoint. Running states (``end_s`` NaN) close at ``duration_s``.
    Where no state covers the midpoint (before the first code of a ME&E channel, or a
    gap) the cue is ``None``: for a ME&E channel that means not visible (DOMAIN §9.4).
    Units cut the coded extent [0, E] (a ``coded_s`` column; default the whole session).

    Parameters
    ----------
    events
        Tidy event frame (points are ignored).
    unit_s
        Unit length Δ in seconds.
    by
        Columns identifying one observation.
    channels
        Channels to sample; all state channels if ``None``.
    start_s, end_s
        Time span to cut into units; ``end_s`` defaults to each observation's coded extent.

    Returns
    -------
    DataFrame
        Long frame with the ``by`` columns, ``subject``, ``channel``, ``unit`` (0-based),
        ``t_mid`` and ``cue`` (object, ``None`` where nothing is coded).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client", "channel": "GAZE",
    ...     "cue": ["G_EYE", "G_AWAY"], "kind": "state", "start_s": [0.0, 1.5], "end_s": [1.5, np.nan],
    ...     "duration_s": 3.0})
    >>> sample_states_at_midpoints(ev)["cue"].tolist()
    ['G_EYE', 'G_AWAY', 'G_AWAY']
    """
    mask = (events["kind"] == "state").to_numpy()
    if channels is not None:
        mask = mask & events["channel"].isin(list(channels)).to_numpy()
    columns = [*by, "subject", "channel", "unit", "t_mid", "cue"]
    if not mask.any():
        return pd.DataFrame(columns=columns)
    spans = observation_spans(events, by)
    codes, keys, lengths = spans.codes, spans.keys, spans.coded  # units cut [0, E] (DOMAIN §9.3)
    states = events[mask]
    state_codes = codes[mask]
    parts: list[pd.DataFrame] = []
    for (g, subject, channel), sub in states.assign(_g=state_codes).groupby(
        ["_g", "subject", "channel"], sort=True, observed=True
    ):
        length = lengths[int(g)] if end_s is None else end_s
        s, e = close_states(
            sub["start_s"].to_numpy(float), sub["end_s"].to_numpy(float), np.full(len(sub), length)
        )
        mids = unit_midpoints(length, unit_s, start_s)
        part = pd.DataFrame(
            {"unit": np.arange(len(mids)), "t_mid": mids, "cue": state_at(mids, s, e, sub["cue"].to_numpy())}
        )
        for col in by:
            part.insert(len(part.columns) - 3, col, keys[col].iloc[int(g)])
        part.insert(len(by), "subject", subject)
        part.insert(len(by) + 1, "channel", channel)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[columns]
