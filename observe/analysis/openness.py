"""Openness index (OI) and counselor attending (SOLER) index, DOMAIN.md §3.

Three levels, each a pure function of a tidy event frame (:mod:`observe.model`)
and a valence mapping ``{(subject, cue): +1 | 0 | -1 | NaN}``:

* per window: channel scores O_k with coverage c_k, point balance P with shrinkage,
  and the window score OI(w);
* per session: the observable-time-weighted mean of OI(w) with a moving-block
  bootstrap 95% CI;
* across sessions: OLS slope on the session number with a t-based CI, change from
  the first session (or the mean of the first m), and within-client z-scores.

The attending index is the same computation with ``subject="counselor"`` and the
counselor valences. All parameters live in :class:`OpennessParams` and travel with
every result (``DataFrame.attrs["params"]``), so exports print them.

The index is a descriptive supervision aid, not validated and not diagnostic:
show :data:`LIMITATIONS_KEY` next to it.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from observe.analysis.intervals import (
    OBSERVATION_KEYS,
    Spans,
    close_states,
    closed_end,
    explode_over_windows,
    observation_spans,
    window_counts,
)
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS

#: Translation key of the limitations text that must be shown next to every OI (DOMAIN §3).
LIMITATIONS_KEY = "analysis.openness.limitations"

#: Session metadata copied from the event frame to the per-session results when present.
SESSION_META: tuple[str, ...] = ("client", "counselor", "session_number", "session_date")

Valences = Mapping[tuple[str, str], float | None]

# "not enough data" reasons (translation keys in observe/i18n/catalog/analysis.json)
R_LOW_COVERAGE = "analysis.openness.low_coverage"
R_WINDOW_TOO_LONG = "analysis.openness.window_longer_than_session"
R_NO_DEFINED = "analysis.openness.no_defined_windows"
R_FEW_WINDOWS_CI = "analysis.openness.too_few_windows_for_ci"
R_FEW_SESSIONS = "analysis.openness.too_few_sessions"
R_NO_SPREAD = "analysis.openness.no_spread"
R_PARTIAL_LEFT_OUT = "analysis.openness.partially_coded"


@dataclass(frozen=True)
class OpennessParams:
    """Every parameter of the openness/attending index (DOMAIN §3 defaults).

    Parameters
    ----------
    window_s, step_s
        Window length W and step in seconds (step 30 s is for plotting only; the
        session score and its CI always use non-overlapping windows).
    c_min
        Minimum coverage c_k for a channel score to count.
    lam
        Shrinkage λ of the point balance.
    m
        Points needed for full point weight (c_P = min(1, n/m)); also the number of
        first sessions forming the baseline in :func:`openness_relative`.
    weights
        Channel weights ω_k as ``((channel, weight), ...)``; a mapping is accepted too.
    point_weight
        Weight ω_P of the point balance.
    min_weight_sum
        The window score is missing if Σ ω_k c_k is below this (DOMAIN: 2).
    block, n_boot, seed
        Moving-block bootstrap: block length b in windows, resamples B, random seed.
    min_window_fraction
        A trailing partial window is kept if at least this fraction of W long.

    Examples
    --------
    >>> p = OpennessParams(window_s=30)
    >>> p.as_dict()["window_s"], p.channels
    (30.0, ('FACE', 'GAZE', 'TRUNK', 'ARMS', 'SIT'))
    """

    window_s: float = 60.0
    step_s: float = 60.0
    c_min: float = 0.5
    lam: float = 1.0
    m: int = 5
    weights: tuple[tuple[str, float], ...] = field(default=tuple((k, 1.0) for k in EXHAUSTIVE_CHANNELS))
    point_weight: float = 1.0
    min_weight_sum: float = 2.0
    block: int = 5
    n_boot: int = 2000
    seed: int = 20260101
    min_window_fraction: float = 0.5

    def __post_init__(self) -> None:
        weights = self.weights.items() if isinstance(self.weights, Mapping) else self.weights
        object.__setattr__(self, "weights", tuple((str(k), float(v)) for k, v in weights))
        for name in ("window_s", "step_s", "c_min", "lam", "point_weight", "min_weight_sum"):
            object.__setattr__(self, name, float(getattr(self, name)))
        positive = {"window_s": self.window_s, "step_s": self.step_s, "m": self.m, "block": self.block}
        for name, value in positive.items():
            if not value > 0:
                raise InvalidInput("analysis.params.must_be_positive", name=name, value=value)
        ranges = {
            "c_min": (self.c_min, 0.0, 1.0),
            "min_window_fraction": (self.min_window_fraction, 0.0, 1.0),
        }
        for name, (value, lo, hi) in ranges.items():
            if not lo <= value <= hi:
                raise InvalidInput("analysis.params.out_of_range", name=name, value=value, low=lo, high=hi)
        nonneg = {"lam": self.lam, "point_weight": self.point_weight, "n_boot": self.n_boot}
        nonneg.update({f"weight {k}": w for k, w in self.weights})
        for name, value in nonneg.items():
            if not value >= 0:
                raise InvalidInput("analysis.params.must_not_be_negative", name=name, value=value)
        if not self.weights:
            raise InvalidInput("analysis.params.no_channels")

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels entering the index, in weight order."""
        return tuple(k for k, _ in self.weights)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the parameters (weights as ``{channel: weight}``)."""
        out = asdict(self)
        out["weights"] = dict(self.weights)
        return out

    def non_overlapping(self) -> OpennessParams:
        """The same parameters with step = W (for session scores and the bootstrap)."""
        d = self.as_dict()
        d["step_s"] = self.window_s
        return OpennessParams(**d)


@dataclass(frozen=True)
class OpennessResult:
    """Per-window and per-session index of one subject, with the settings that made it."""

    windows: pd.DataFrame
    sessions: pd.DataFrame
    params: dict[str, Any]
    subject: str
    valence_hash: str
    unknown_cues: tuple[str, ...]


def valence_hash(valences: Valences) -> str:
    """Short stable hash of a valence mapping (stored with every result, DOMAIN §2).

    Examples
    --------
    >>> valence_hash({("client", "G_EYE"): 1}) == valence_hash({("client", "G_EYE"): 1.0})
    True
    """
    items = sorted((s, c, None if v is None or _is_na(v) else float(v)) for (s, c), v in valences.items())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


def _is_na(v: object) -> bool:
    # None, float NaN, numpy NaN and pd.NA all mean "missing" (DOMAIN §1: NA is never 0)
    return v is None or bool(pd.isna(v))


def swap_valences(valences: Valences) -> dict[tuple[str, str], float]:
    """The mapping with every valence negated (NA stays NA); handy for checks.

    Examples
    --------
    >>> swap_valences({("client", "G_EYE"): 1, ("client", "G_NV"): None})
    {('client', 'G_EYE'): -1.0, ('client', 'G_NV'): nan}
    """
    return {k: (math.nan if _is_na(v) else -float(v)) for k, v in valences.items()}  # type: ignore[arg-type]


def openness(
    events: pd.DataFrame,
    valences: Valences,
    *,
    subject: str = "client",
    params: OpennessParams | None = None,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> OpennessResult:
    """Openness (or attending) index per window and per session.

    Parameters
    ----------
    events
        Tidy event frame, any number of sessions and observers.
    valences
        ``{(subject, cue): value}``; a cue missing from it counts as NA (not observable).
    subject
        ``"client"`` for the openness index, ``"counselor"`` for the attending index.
    params
        :class:`OpennessParams`; DOMAIN defaults if ``None``.
    by
        Columns identifying one observation (default: session and observer).
    coded_s
        Coded extent E in seconds for every observation (DOMAIN §9.3); default: the
        frame's ``coded_s`` column, else the whole session. Windows cover [0, E] only,
        a state still running at E ends there, and the session rows report
        ``coverage`` = E/T and ``partial`` (coverage below 0.5).

    Returns
    -------
    OpennessResult
        ``windows``: one row per window (see :func:`openness_windows`);
        ``sessions``: one row per observation (see :func:`openness_sessions`).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "channel": ["GAZE", "TRUNK"], "cue": ["G_EYE", "T_UP"], "kind": "state",
    ...     "start_s": 0.0, "end_s": float("nan"), "duration_s": 120.0})
    >>> val = {("client", "G_EYE"): 1, ("client", "T_UP"): 0}
    >>> r = openness(ev, val)
    >>> r.windows["oi"].round(3).tolist(), round(float(r.sessions["oi"].iloc[0]), 3)
    ([0.5, 0.5], 0.5)
    """
    params = params or OpennessParams()
    windows, groups, unknown = _windows(events, valences, subject, params, by, coded_s)
    if params.step_s != params.window_s:
        session_windows, groups, _ = _windows(
            events, valences, subject, params.non_overlapping(), by, coded_s
        )
    else:
        session_windows = windows
    sessions = _sessions(session_windows, groups, params, by)
    vhash = valence_hash(valences)
    meta = {"params": params.as_dict(), "subject": subject, "valence_hash": vhash}
    windows.attrs.update(meta)
    sessions.attrs.update(meta)
    return OpennessResult(windows, sessions, params.as_dict(), subject, vhash, unknown)


def openness_windows(
    events: pd.DataFrame,
    valences: Valences,
    *,
    subject: str = "client",
    params: OpennessParams | None = None,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Window scores OI(w) (DOMAIN §3 "Channel score", "Point balance", "Window score").

    Returns
    -------
    DataFrame
        One row per window: the ``by`` columns, ``subject``, ``window`` (0-based),
        ``start_s``, ``end_s`` (windows cover the coded extent [0, E]; the last one is
        closed at its end, so a point at exactly E counts in it); per channel k ``D_<k>`` (observable s), ``c_<k>``
        (coverage) and ``O_<k>`` (score, NaN if c_k < c_min); ``n_pos``, ``n_neg``,
        ``P``, ``c_P``; ``D`` (mean observable s over channels), ``oi`` and
        ``reason`` (translation key when ``oi`` is missing, else ``""``).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "channel": ["GAZE", "TRUNK", "POINT"], "cue": ["G_EYE", "T_UP", "P_NOD"],
    ...     "kind": ["state", "state", "point"], "start_s": [0.0, 0.0, 5.0],
    ...     "end_s": [60.0, 60.0, float("nan")], "duration_s": 60.0})
    >>> val = {("client", "G_EYE"): 1, ("client", "T_UP"): 0, ("client", "P_NOD"): 1}
    >>> w = openness_windows(ev, val)
    >>> float(w["P"].iloc[0]), float(w["c_P"].iloc[0]), round(float(w["oi"].iloc[0]), 3)
    (0.5, 0.2, 0.5)
    """
    params = params or OpennessParams()
    windows = _windows(events, valences, subject, params, by, coded_s)[0]
    windows.attrs.update({"params": params.as_dict(), "subject": subject})
    return windows


def openness_sessions(
    events: pd.DataFrame,
    valences: Valences,
    *,
    subject: str = "client",
    params: OpennessParams | None = None,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Session scores OI(σ) with the moving-block bootstrap 95% CI (DOMAIN §3 "Session score").

    Returns
    -------
    DataFrame
        One row per observation: the ``by`` columns, session metadata present in
        ``events`` (client, counselor, session_number, session_date), ``subject``,
        ``length_s`` (T), ``coded_s`` (E), ``coverage`` (E/T), ``partial`` (coverage
        below 0.5: show "partially coded" and keep out of trends), ``n_windows``, ``n_defined``, ``share_defined``, ``observed_s``,
        ``oi``, ``ci_low``, ``ci_high``, ``reason`` (why ``oi`` is missing) and
        ``ci_reason`` (why the CI is missing).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "channel": ["GAZE", "TRUNK"], "cue": ["G_EYE", "T_UP"], "kind": "state",
    ...     "start_s": 0.0, "end_s": float("nan"), "duration_s": 600.0})
    >>> s = openness_sessions(ev, {("client", "G_EYE"): 1, ("client", "T_UP"): -1})
    >>> float(s["oi"].iloc[0]), int(s["n_windows"].iloc[0]), s["ci_reason"].iloc[0]
    (0.0, 10, '')
    """
    return openness(events, valences, subject=subject, params=params, by=by, coded_s=coded_s).sessions


# --------------------------------------------------------------------------- windows


def _valence_lookup(cues: np.ndarray, subject: str, valences: Valences) -> np.ndarray:
    """Per distinct cue its valence for ``subject``; NA and cues missing from the mapping → NaN."""
    values = [valences.get((subject, str(c))) for c in cues]
    return np.array([math.nan if v is None or _is_na(v) else float(v) for v in values], dtype=np.float64)


def _windows(
    events: pd.DataFrame,
    valences: Valences,
    subject: str,
    params: OpennessParams,
    by: Sequence[str],
    coded_s: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """The vectorised core: one pass of factorize + repeat + bincount over all sessions."""
    _check_columns(events, by)
    spans = observation_spans(events, by, coded_s)
    codes = spans.codes
    # windows cover the coded extent [0, E] only (DOMAIN §9.3)
    extent = spans.coded
    n_win = window_counts(extent, params.window_s, params.step_s, params.min_window_fraction)
    groups = _group_table(events, spans, n_win)

    subj_code, subj_uniq = pd.factorize(events["subject"])
    cue_code, cue_uniq = pd.factorize(events["cue"])
    chan_code, chan_uniq = pd.factorize(events["channel"])
    cue_val = _valence_lookup(np.asarray(cue_uniq), subject, valences)
    subj_keep = np.array([s == subject for s in subj_uniq], dtype=bool)
    mine = subj_keep[subj_code] if len(subj_keep) else np.zeros(len(events), bool)
    used_cues = np.unique(cue_code[mine])
    unknown = tuple(
        sorted(str(cue_uniq[c]) for c in used_cues if (subject, str(cue_uniq[c])) not in valences)
    )

    channels = params.channels
    chan_index = np.array([channels.index(c) if c in channels else -1 for c in chan_uniq], dtype=np.int64)
    is_state = (events["kind"] == "state").to_numpy(dtype=bool)
    is_point = (events["kind"] == "point").to_numpy(dtype=bool)
    val = cue_val[cue_code]
    k_of_row = chan_index[chan_code] if len(chan_index) else np.zeros(len(events), np.int64)
    win_offset = np.cumsum(n_win) - n_win
    total = int(n_win.sum())
    n_k = len(channels)

    # states of this subject in the index channels with a defined valence (NA = not observable)
    st = np.flatnonzero(mine & is_state & (k_of_row >= 0) & ~np.isnan(val))
    g = codes[st]
    s, e = close_states(events["start_s"].to_numpy(float)[st], events["end_s"].to_numpy(float)[st], extent[g])
    ok = e > s  # states starting at or after E carry no coded time
    st, g, s, e = st[ok], g[ok], s[ok], e[ok]
    row, j, overlap = explode_over_windows(s, e, n_win[g], params.window_s, params.step_s)
    cell = (win_offset[g[row]] + j) * n_k + k_of_row[st[row]]
    D = np.bincount(cell, weights=overlap, minlength=total * n_k).reshape(total, n_k)
    V = np.bincount(cell, weights=overlap * val[st[row]], minlength=total * n_k).reshape(total, n_k)

    # points with valence ±1 (valence 0 and NA are ignored, DOMAIN §3)
    pt = np.flatnonzero(mine & is_point & (np.abs(np.nan_to_num(val)) == 1))
    inside = events["start_s"].to_numpy(float)[pt] <= extent[codes[pt]]
    pt = pt[inside]
    gp = codes[pt]
    # a point at exactly E belongs to the last window (closed at its end, DOMAIN §9.1)
    tp = closed_end(events["start_s"].to_numpy(float)[pt], extent[gp])
    prow, pj, _ = explode_over_windows(tp, tp, n_win[gp], params.window_s, params.step_s)
    pwin = win_offset[gp[prow]] + pj
    n_pos = np.bincount(pwin, weights=val[pt[prow]] > 0, minlength=total)
    n_neg = np.bincount(pwin, weights=val[pt[prow]] < 0, minlength=total)

    return _window_frame(groups, n_win, D, V, n_pos, n_neg, params, subject, by), groups, unknown


def _check_columns(events: pd.DataFrame, by: Sequence[str]) -> None:
    needed = [*by, "subject", "channel", "cue", "kind", "start_s", "end_s"]
    missing = [c for c in needed if c not in events.columns]
    if missing:
        raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    if events.empty:
        raise InvalidInput("analysis.no_events")


def _group_table(events: pd.DataFrame, spans: Spans, n_win: np.ndarray) -> pd.DataFrame:
    """One row per observation: keys, session metadata (first row's values), length, coverage, windows."""
    codes, keys = spans.codes, spans.keys
    groups = keys.reset_index(drop=True).copy()
    first = np.full(len(keys), len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))  # first row of each group
    for col in SESSION_META:
        if col in events.columns and col not in groups.columns:
            # take before converting: turning a whole string column into numpy objects is slow
            groups[col] = events[col].iloc[first].to_numpy() if len(first) else []
    groups["length_s"] = spans.length
    for col, values in spans.columns().items():
        groups[col] = values
    groups["n_windows"] = n_win
    return groups


def _window_frame(
    groups: pd.DataFrame,
    n_win: np.ndarray,
    D: np.ndarray,
    V: np.ndarray,
    n_pos: np.ndarray,
    n_neg: np.ndarray,
    params: OpennessParams,
    subject: str,
    by: Sequence[str],
) -> pd.DataFrame:
    """Turn the per-window sums into scores (DOMAIN §3 formulas, vectorised over windows)."""
    gi = np.repeat(np.arange(len(groups)), n_win)
    j = np.arange(len(gi)) - np.repeat(np.cumsum(n_win) - n_win, n_win)
    start = j * params.step_s
    end = np.minimum(start + params.window_s, groups["coded_s"].to_numpy(float)[gi])
    length = end - start
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.minimum(D / length[:, None], 1.0) if len(length) else D
        score = np.where(c >= params.c_min, V / D, np.nan)
        n_pm = n_pos + n_neg
        P = (n_pos - n_neg) / (n_pm + params.lam)
        c_P = np.minimum(1.0, n_pm / params.m)
        w = np.array([wk for _, wk in params.weights])
        wc = np.where(np.isnan(score), 0.0, w * c)
        state_w = wc.sum(axis=1)
        num = np.nansum(wc * np.nan_to_num(score), axis=1) + params.point_weight * c_P * np.nan_to_num(P)
        den = state_w + params.point_weight * c_P
        defined = state_w >= params.min_weight_sum
        oi = np.where(defined, num / den, np.nan)

    out: dict[str, Any] = {col: groups[col].to_numpy()[gi] for col in by}
    out.update({"subject": subject, "window": j, "start_s": start, "end_s": end})
    for k, ch in enumerate(params.channels):
        out[f"D_{ch}"] = D[:, k]
        out[f"c_{ch}"] = c[:, k]
        out[f"O_{ch}"] = score[:, k]
    out.update({"n_pos": n_pos.astype(np.int64), "n_neg": n_neg.astype(np.int64), "P": P, "c_P": c_P})
    out.update({"D": D.mean(axis=1), "oi": oi, "reason": np.where(defined, "", R_LOW_COVERAGE)})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- sessions


def _sessions(
    windows: pd.DataFrame, groups: pd.DataFrame, params: OpennessParams, by: Sequence[str]
) -> pd.DataFrame:
    n_win = groups["n_windows"].to_numpy()
    gi = np.repeat(np.arange(len(groups)), n_win)
    oi = windows["oi"].to_numpy(float)
    d = windows["D"].to_numpy(float)
    defined = ~np.isnan(oi)
    n_def = np.bincount(gi[defined], minlength=len(groups))
    weight = np.bincount(gi[defined], weights=d[defined], minlength=len(groups))
    num = np.bincount(gi[defined], weights=(d * np.nan_to_num(oi))[defined], minlength=len(groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(weight > 0, num / weight, np.nan)
        share = np.where(n_win > 0, n_def / n_win, np.nan)
    reason = np.where(n_win == 0, R_WINDOW_TOO_LONG, np.where(np.isnan(score), R_NO_DEFINED, ""))

    ci_low = np.full(len(groups), np.nan)
    ci_high = np.full(len(groups), np.nan)
    ci_reason = np.full(len(groups), "", dtype=object)
    starts = np.cumsum(n_win) - n_win
    # the group keys as plain lists: .iloc per session and column is slow on Arrow-backed strings
    key_values = [groups[c].astype(str).tolist() for c in by]
    for i in range(len(groups)):
        sl = slice(starts[i], starts[i] + n_win[i])
        x, wts = oi[sl][defined[sl]], d[sl][defined[sl]]
        if params.n_boot == 0:
            ci_reason[i] = "analysis.openness.ci_off"
        elif len(x) < 2 * params.block:
            ci_reason[i] = R_FEW_WINDOWS_CI
        else:
            key = "|".join(values[i] for values in key_values)
            ci_low[i], ci_high[i] = block_bootstrap_ci(
                x, wts, block=params.block, n_boot=params.n_boot, seed=(params.seed, zlib.crc32(key.encode()))
            )

    out = groups.drop(columns=["n_windows"]).copy()
    out["subject"] = windows.attrs.get("subject", windows["subject"].iloc[0] if len(windows) else "")
    out["n_windows"] = n_win
    out["n_defined"] = n_def
    out["share_defined"] = share
    out["observed_s"] = np.bincount(gi, weights=d, minlength=len(groups))
    out["oi"] = score
    out["ci_low"] = ci_low
    out["ci_high"] = ci_high
    out["reason"] = reason
    out["ci_reason"] = ci_reason
    return out


def block_bootstrap_ci(
    x: np.ndarray,
    weights: np.ndarray,
    *,
    block: int = 5,
    n_boot: int = 2000,
    seed: int | Sequence[int] | np.random.Generator = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Moving-block bootstrap CI of a weighted mean over a time-ordered series (DOMAIN §3).

    Blocks of ``block`` consecutive values start at random positions and are
    concatenated up to the series length; each resample gives Σw·x/Σw; the CI is the
    (1−level)/2 and (1+level)/2 percentiles of the ``n_boot`` resamples. Blocks keep
    the autocorrelation between neighbouring windows.

    Parameters
    ----------
    x, weights
        Values in time order and their weights (observable seconds).
    block, n_boot
        Block length b and number of resamples B.
    seed
        Seed (or a ``numpy.random.Generator``) so results are reproducible.
    level
        Confidence level.

    Returns
    -------
    (low, high)
        NaN, NaN when the series has fewer than ``2·block`` values.

    Examples
    --------
    >>> lo, hi = block_bootstrap_ci(np.linspace(-1, 1, 20), np.ones(20), seed=1)
    >>> bool(lo < 0 < hi)
    True
    """
    n = len(x)
    if n < 2 * block:
        return math.nan, math.nan
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_blocks = -(-n // block)
    first = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    idx = (first[:, :, None] + np.arange(block)).reshape(n_boot, -1)[:, :n]
    w = weights[idx]
    est = (w * x[idx]).sum(axis=1) / w.sum(axis=1)
    lo, hi = np.nanpercentile(est, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- across sessions


def openness_trend(
    sessions: pd.DataFrame,
    *,
    client_col: str = "client",
    order_col: str = "session_number",
    level: float = 0.95,
) -> pd.DataFrame:
    """OLS slope of OI(σ) on the session number with a t-based CI, per client (DOMAIN §3 "Trend").

    Sessions whose OI is missing are left out, and so are partially coded sessions
    (a ``partial`` column that is True, DOMAIN §9.3); a client needs at least 3 sessions
    with an OI (otherwise the slope is NaN with ``reason`` = too few sessions).

    Parameters
    ----------
    sessions
        Output of :func:`openness_sessions` (one observation per session).
    client_col, order_col
        Client column and session order column.
    level
        Confidence level of the slope CI.

    Returns
    -------
    DataFrame
        One row per client: ``n_sessions`` (with an OI), ``slope``, ``slope_se``,
        ``ci_low``, ``ci_high``, ``intercept``, ``reason``, ``n_partial`` (sessions
        left out as partially coded).

    Examples
    --------
    >>> s = pd.DataFrame({"client": "K1", "session_number": [1, 2, 3, 4], "oi": [0.1, 0.2, 0.2, 0.4]})
    >>> round(float(openness_trend(s)["slope"].iloc[0]), 3)
    0.09
    """
    _check_one_per_session(sessions, client_col, order_col)
    rows = []
    for client, sub in sessions.groupby(client_col, sort=True):
        partial = _partial(sub)
        sub = sub[~sub["oi"].isna() & ~partial]
        x = sub[order_col].to_numpy(float)
        y = sub["oi"].to_numpy(float)
        row: dict[str, Any] = {client_col: client, "n_sessions": len(sub)}
        row.update(_ols_slope(x, y, level))
        row["n_partial"] = int(partial.sum())
        rows.append(row)
    cols = [client_col, "n_sessions", "slope", "slope_se", "ci_low", "ci_high", "intercept", "reason",
            "n_partial"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _partial(sessions: pd.DataFrame) -> pd.Series:
    """The ``partial`` column as booleans (all False when the frame has none)."""
    if "partial" not in sessions.columns:
        return pd.Series(False, index=sessions.index)
    return sessions["partial"].astype("boolean").fillna(False).astype(bool)


def _ols_slope(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Slope, SE, t-based CI and intercept; NaN + reason with < 3 points or no spread in x."""
    nan = {"slope": math.nan, "slope_se": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if len(x) < 3:
        return {**nan, "intercept": math.nan, "reason": R_FEW_SESSIONS}
    if np.ptp(x) == 0:
        return {**nan, "intercept": math.nan, "reason": R_NO_SPREAD}
    fit = stats.linregress(x, y)
    half = stats.t.ppf(0.5 + level / 2, len(x) - 2) * fit.stderr
    return {
        "slope": float(fit.slope),
        "slope_se": float(fit.stderr),
        "ci_low": float(fit.slope - half),
        "ci_high": float(fit.slope + half),
        "intercept": float(fit.intercept),
        "reason": "",
    }


def _check_one_per_session(sessions: pd.DataFrame, client_col: str, order_col: str) -> None:
    for col in (client_col, order_col, "oi"):
        if col not in sessions.columns:
            raise InvalidInput("analysis.missing_columns", columns=col)
    dup = sessions.duplicated([client_col, order_col])
    if dup.any():
        first = sessions[dup].iloc[0]
        raise InvalidInput(
            "analysis.openness.duplicate_session", client=first[client_col], session=first[order_col]
        )


def openness_relative(
    sessions: pd.DataFrame,
    *,
    m: int = 5,
    client_col: str = "client",
    order_col: str = "session_number",
) -> pd.DataFrame:
    """Baseline-relative view of OI(σ): each client compared with themselves (DOMAIN §3).

    Adds ``delta_first`` = OI − OI of the client's first session with an OI,
    ``delta_baseline`` = OI − mean OI of the first ``m`` sessions with an OI, and
    ``z_within`` = (OI − client mean) / client SD (ddof 1; NaN with fewer than two
    sessions or no spread, ``z_reason`` says which). Partially coded sessions (a
    ``partial`` column that is True) neither enter the baseline nor get a value.

    Examples
    --------
    >>> s = pd.DataFrame({"client": "K1", "session_number": [1, 2, 3], "oi": [0.1, 0.3, 0.5]})
    >>> openness_relative(s, m=2)[["delta_first", "delta_baseline", "z_within"]].round(2).values.tolist()
    [[0.0, -0.1, -1.0], [0.2, 0.1, 0.0], [0.4, 0.3, 1.0]]
    """
    _check_one_per_session(sessions, client_col, order_col)
    if m <= 0:
        raise InvalidInput("analysis.params.must_be_positive", name="m", value=m)
    out = sessions.sort_values([client_col, order_col]).copy()
    partial = _partial(out)
    oi = out["oi"].astype(float).where(~partial)  # partially coded: kept out (DOMAIN §9.3)
    grouped = oi.groupby(out[client_col], sort=False)
    defined = oi.notna()
    rank = defined.groupby(out[client_col]).cumsum().where(defined)
    first = oi.where(rank == 1).groupby(out[client_col]).transform("max")
    base = oi.where(rank <= m).groupby(out[client_col]).transform("mean")
    mean = grouped.transform("mean")
    sd = grouped.transform("std")
    n = grouped.transform("count")
    out["delta_first"] = oi - first
    out["delta_baseline"] = oi - base
    with np.errstate(invalid="ignore", divide="ignore"):
        out["z_within"] = np.where((n >= 2) & (sd > 0), (oi - mean) / sd, np.nan)
    reason = np.where(n < 2, R_FEW_SESSIONS, np.where(~(sd > 0), R_NO_SPREAD, ""))
    out["z_reason"] = np.where(partial, R_PARTIAL_LEFT_OUT, reason)
    return out
