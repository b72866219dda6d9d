"""Sequential analysis of time units (Bakeman & Quera 2011), DOMAIN.md §5.

Question form: "is the target more likely in the units after the given cue?".
Time is cut into units of Δ seconds; a unit is *given* when it starts within the
window after an onset of the given cue, *target* when it contains an onset of the
target cue (ongoing states are not credited). The 2×2 tally of units gives
P(T|G), P(T|¬G), the adjusted residual z, Yule's Q and the odds ratio.

Q is computed per session and then pooled (mean Q with a t-based CI). The circular
time-shift test rotates the target stream against the given stream, which keeps each
stream's own autocorrelation and breaks only the timing between them.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from observe.analysis.intervals import OBSERVATION_KEYS, close_states, group_codes, observation_spans
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS

Code = tuple[str, str]  # (subject, cue)

R_FEW_UNITS = "analysis.sequence.too_few_units"
R_NO_UNITS = "analysis.sequence.no_units"


@dataclass(frozen=True)
class SequenceStats:
    """Statistics of one 2×2 tally (DOMAIN §5); NaN where undefined.

    ``interpretable`` is False when a+b < 5 or a+c < 5 ("don't interpret Q");
    ``corrected`` says 0.5 was added to every cell (a zero cell) for Q, OR and the SE
    alike, so Q = (OR − 1)/(OR + 1) always holds (DOMAIN §9.5).
    """

    a: int
    b: int
    c: int
    d: int
    n: int
    p_target_given: float
    p_target_not_given: float
    expected: float
    z: float
    yules_q: float
    odds_ratio: float
    ln_or: float
    se_ln_or: float
    corrected: bool
    interpretable: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (one table row)."""
        return asdict(self)


def contingency_stats(a: int, b: int, c: int, d: int, *, min_margin: int = 5) -> SequenceStats:
    """P(T|G), P(T|¬G), adjusted residual, Yule's Q and OR of a 2×2 unit tally.

    Q and OR come from one table (DOMAIN §9.5): when any cell is 0, 0.5 is added to
    all four cells for both, so Q = (OR − 1)/(OR + 1) and they never disagree in sign.

    Parameters
    ----------
    a, b, c, d
        Units G∧T, G∧¬T, ¬G∧T, ¬G∧¬T.
    min_margin
        Q is flagged not interpretable if a+b or a+c is below this (DOMAIN: 5).

    Examples
    --------
    DOMAIN §5 worked example:

    >>> s = contingency_stats(25, 175, 35, 1565)
    >>> round(s.z, 2), round(s.yules_q, 2), round(s.odds_ratio, 2), round(s.ln_or, 2), round(s.se_ln_or, 2)
    (7.66, 0.73, 6.39, 1.85, 0.27)

    A zero cell: Q and OR from the same corrected table (uncorrected, Q would be −1
    beside an OR above 1).

    >>> s = contingency_stats(0, 10, 7, 343)
    >>> round(s.odds_ratio, 3), round(s.yules_q, 3), s.corrected, s.interpretable
    (2.181, 0.371, True, True)
    """
    n = a + b + c + d
    nan = math.nan
    if n == 0:
        return SequenceStats(a, b, c, d, 0, nan, nan, nan, nan, nan, nan, nan, nan, False, False, R_NO_UNITS)
    p_tg = a / (a + b) if a + b else nan
    p_tng = c / (c + d) if c + d else nan
    expected = (a + b) * (a + c) / n
    p_row, p_col = (a + b) / n, (a + c) / n
    var = expected * (1 - p_row) * (1 - p_col)
    z = (a - expected) / math.sqrt(var) if var > 0 else nan
    corrected = min(a, b, c, d) == 0
    # Haldane–Anscombe: add 0.5 to all cells when any is zero, for Q and OR alike (DOMAIN §9.5)
    fa, fb, fc, fd = (x + 0.5 for x in (a, b, c, d)) if corrected else (a, b, c, d)
    odds = fa * fd / (fb * fc)
    q = yules_q(a, b, c, d)
    se = math.sqrt(1 / fa + 1 / fb + 1 / fc + 1 / fd)
    ok = a + b >= min_margin and a + c >= min_margin
    return SequenceStats(
        a,
        b,
        c,
        d,
        n,
        p_tg,
        p_tng,
        expected,
        z,
        q,
        odds,
        math.log(odds),
        se,
        corrected,
        ok,
        "" if ok else R_FEW_UNITS,
    )


def yules_q(a: Any, b: Any, c: Any, d: Any) -> Any:
    """Yule's Q of 2×2 tallies (scalars or arrays) with the shared zero-cell rule (DOMAIN §9.5).

    Where any cell is 0, 0.5 is added to all four; Q = (ad − bc)/(ad + bc), which equals
    (OR − 1)/(OR + 1) for the same table.

    Examples
    --------
    >>> round(yules_q(25, 175, 35, 1565), 2), round(yules_q(0, 0, 0, 359), 4)
    (0.73, 0.9972)
    """
    cells = [np.asarray(x, dtype=float) for x in (a, b, c, d)]
    zero = np.minimum.reduce(cells) == 0
    fa, fb, fc, fd = (np.where(zero, x + 0.5, x) for x in cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (fa * fd - fb * fc) / (fa * fd + fb * fc)
    return float(q) if np.ndim(q) == 0 else q


# --------------------------------------------------------------------------- unit series


def onset_times(events: pd.DataFrame, code: Code) -> np.ndarray:
    """Onsets of a cue of one subject: state starts and point times, sorted.

    Examples
    --------
    >>> ev = pd.DataFrame({"subject": ["client"] * 2, "cue": ["G_EYE", "G_EYE"], "start_s": [9.0, 2.0]})
    >>> onset_times(ev, ("client", "G_EYE")).tolist()
    [2.0, 9.0]
    """
    subject, cue = code
    sel = (events["subject"] == subject) & (events["cue"] == cue)
    return np.sort(events.loc[sel, "start_s"].dropna().to_numpy(float))


def given_units(
    onsets: np.ndarray, n_units: int, *, window_s: float = 5.0, unit_s: float = 1.0, offset_s: float = 0.0
) -> np.ndarray:
    """Units starting in ``[onset + offset, onset + offset + window)``, union over onsets.

    ``offset_s = -window_s`` gives the pre-window control; ``window_s = unit_s`` with
    offset 0 gives lag 0 (the unit holding the onset when onsets fall on unit starts).

    Examples
    --------
    >>> given_units(np.array([2.0, 3.5]), 10, window_s=3).nonzero()[0].tolist()
    [2, 3, 4, 5, 6]
    """
    out = np.zeros(n_units, dtype=bool)
    lo = np.ceil((onsets + offset_s) / unit_s - 1e-9).astype(np.int64)
    hi = np.ceil((onsets + offset_s + window_s) / unit_s - 1e-9).astype(np.int64)  # exclusive
    lo, hi = np.clip(lo, 0, n_units), np.clip(hi, 0, n_units)
    # difference array: +1 at each window start, −1 after it; cumulative sum > 0 = inside a window
    diff = np.zeros(n_units + 1, dtype=np.int64)
    np.add.at(diff, lo, 1)
    np.add.at(diff, hi, -1)
    out[:] = np.cumsum(diff)[:n_units] > 0
    return out


def target_units(
    onsets: np.ndarray, n_units: int, *, unit_s: float = 1.0, end_s: float | None = None
) -> np.ndarray:
    """Units ``[iΔ, (i+1)Δ)`` containing at least one onset.

    The last unit is closed at ``end_s`` (the coded extent, DOMAIN §9.1): an onset at
    exactly the end of the last unit counts in it.

    Examples
    --------
    >>> target_units(np.array([0.2, 0.9, 3.0]), 5).nonzero()[0].tolist()
    [0, 3]
    >>> target_units(np.array([5.0]), 5, end_s=5.0).nonzero()[0].tolist()
    [4]
    """
    out = np.zeros(n_units, dtype=bool)
    idx = np.floor(onsets / unit_s + 1e-9).astype(np.int64)
    if end_s is not None and n_units > 0:
        at_end = (idx == n_units) & np.isclose(onsets, end_s, rtol=0, atol=1e-9)
        at_end &= np.isclose(n_units * unit_s, end_s, rtol=0, atol=1e-9)
        idx[at_end] = n_units - 1
    out[idx[(idx >= 0) & (idx < n_units)]] = True
    return out


def active_units(
    events: pd.DataFrame, codes: Sequence[Code], n_units: int, length_s: float, *, unit_s: float = 1.0
) -> np.ndarray:
    """Units whose midpoint lies inside a state of any of ``codes`` (for sensitivity exclusions).

    A not-visible code of a ME&E channel (``G_NV`` …) is also active wherever that subject's
    channel has no state: before its first code and in gaps (DOMAIN §9.4), as in the time
    budget, the openness coverage and the time-unit kappa.

    Examples
    --------
    >>> ev = pd.DataFrame({"subject": "client", "channel": "GAZE", "cue": ["G_EYE"], "kind": "state",
    ...     "start_s": [2.0], "end_s": [4.0]})
    >>> active_units(ev, [("client", "G_NV")], 5, 5.0).nonzero()[0].tolist()
    [0, 1, 4]
    """
    mids = (np.arange(n_units) + 0.5) * unit_s
    out = np.zeros(n_units, dtype=bool)
    is_state = events["kind"] == "state"
    for subject, cue in codes:
        sel = (events["subject"] == subject) & (events["cue"] == cue) & is_state
        out |= _covered(events[sel], mids, length_s)
        channel = _nv_channel(events, cue)
        if channel is not None:
            lane = (events["subject"] == subject) & (events["channel"] == channel) & is_state
            out |= ~_covered(events[lane], mids, length_s)
    return out


def _covered(states: pd.DataFrame, mids: np.ndarray, length_s: float) -> np.ndarray:
    s, e = close_states(
        states["start_s"].to_numpy(float), states["end_s"].to_numpy(float), np.full(len(states), length_s)
    )
    out = np.zeros(len(mids), dtype=bool)
    for a, b in zip(s, e, strict=True):
        out |= (mids >= a) & (mids < b)
    return out


def _nv_channel(events: pd.DataFrame, cue: str) -> str | None:
    """The ME&E channel of a not-visible cue (from the data, else the default scheme's prefix)."""
    if not cue.endswith("_NV") or "channel" not in events.columns:
        return None
    seen = events.loc[events["cue"] == cue, "channel"]
    channel = str(seen.iloc[0]) if len(seen) else {c[:1]: c for c in EXHAUSTIVE_CHANNELS}.get(cue[:1])
    return channel if channel in EXHAUSTIVE_CHANNELS else None


def _streams(
    events: pd.DataFrame, length: float, given: Code, target: Code, window_s: float, unit_s: float,
    offset_s: float, exclude: Sequence[Code],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    n_units = int(np.floor(length / unit_s + 1e-9))
    g_on, t_on = onset_times(events, given), onset_times(events, target)
    g = given_units(g_on[g_on <= length], n_units, window_s=window_s, unit_s=unit_s, offset_s=offset_s)
    t = target_units(t_on[t_on <= length], n_units, unit_s=unit_s, end_s=length)
    keep = (
        ~active_units(events, exclude, n_units, length, unit_s=unit_s) if exclude else np.ones(n_units, bool)
    )
    return g, t, keep


def tally(given: np.ndarray, target: np.ndarray, keep: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """Cells a, b, c, d of two boolean unit series (only units where ``keep``).

    Examples
    --------
    >>> tally(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool))
    (1, 1, 1, 1)
    """
    if keep is not None:
        given, target = given[keep], target[keep]
    a = int(np.sum(given & target))
    b = int(np.sum(given & ~target))
    c = int(np.sum(~given & target))
    return a, b, c, int(len(given) - a - b - c)


def sequence_table(
    events: pd.DataFrame,
    *,
    given: Code,
    target: Code,
    window_s: float = 5.0,
    unit_s: float = 1.0,
    offset_s: float = 0.0,
    exclude: Sequence[Code] = (),
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """2×2 tally and statistics per observation for "does ``given`` precede ``target``".

    Units cut the coded extent [0, E] (DOMAIN §9.3; a trailing part shorter than a unit
    is dropped); the last unit is closed, so a target onset at exactly E counts.

    Parameters
    ----------
    events
        Tidy event frame (one or many sessions).
    given, target
        ``(subject, cue)`` of the given and target codes, e.g.
        ``("counselor", "T_FWD")`` and ``("client", "G_EYE")``.
    window_s, unit_s, offset_s
        Window after each given onset, unit length Δ, and a shift of the window
        (``-window_s`` = pre-window control).
    exclude
        ``(subject, cue)`` states whose units are dropped (sensitivity analysis,
        e.g. ``[("client", "G_EYE"), ("client", "G_NV"), ("counselor", "T_NV")]``).
    by
        Columns identifying one observation.
    coded_s
        Coded extent E; default: the frame's ``coded_s`` column, else the whole session.

    Returns
    -------
    DataFrame
        The ``by`` columns, the fields of :class:`SequenceStats`, ``coded_s``,
        ``coverage`` (E/T) and ``partial`` (coverage below 0.5).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": ["counselor", "client"],
    ...     "cue": ["T_FWD", "G_EYE"], "kind": "state", "start_s": [10.0, 12.0], "end_s": [20.0, 15.0],
    ...     "duration_s": 60.0})
    >>> sequence_table(ev, given=("counselor", "T_FWD"), target=("client", "G_EYE"))[["a", "b", "c", "d"]].values.tolist()
    [[1, 4, 0, 55]]
    """
    _check(events, by, window_s, unit_s)
    spans = observation_spans(events, by, coded_s)
    codes, keys, lengths = spans.codes, spans.keys, spans.coded
    coverage = spans.columns()
    rows = []
    for gi, sub in events.groupby(codes, sort=True):
        g, t, keep = _streams(sub, lengths[gi], given, target, window_s, unit_s, offset_s, exclude)
        rows.append({**{c: keys[c].iloc[gi] for c in by}, **contingency_stats(*tally(g, t, keep)).as_dict(),
                     **{k: v[gi] for k, v in coverage.items()}})  # fmt: skip
    return pd.DataFrame(rows)


def _check(events: pd.DataFrame, by: Sequence[str], window_s: float, unit_s: float) -> None:
    missing = [c for c in (*by, "subject", "cue", "kind", "start_s", "end_s") if c not in events]
    if missing:
        raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    if events.empty:
        raise InvalidInput("analysis.no_events")
    for name, value in (("window_s", window_s), ("unit_s", unit_s)):
        if not value > 0:
            raise InvalidInput("analysis.params.must_be_positive", name=name, value=value)


def pooled_q(table: pd.DataFrame, *, level: float = 0.95, interpretable_only: bool = True) -> dict[str, Any]:
    """Mean Yule's Q over sessions with a t-based CI (DOMAIN §5 "Compute Q per session, then aggregate").

    Returns
    -------
    dict
        ``mean_q``, ``ci_low``, ``ci_high``, ``n_sessions`` (used), ``n_excluded``
        and ``reason`` ("" or a translation key when fewer than 2 sessions remain).

    Examples
    --------
    >>> r = pooled_q(pd.DataFrame({"yules_q": [0.5, 0.7, 0.6], "interpretable": True}))
    >>> round(r["mean_q"], 2), r["n_sessions"]
    (0.6, 3)
    """
    ok = table["yules_q"].notna()
    if interpretable_only:
        ok &= table["interpretable"].astype(bool)
    q = table.loc[ok, "yules_q"].to_numpy(float)
    out: dict[str, Any] = {"mean_q": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                           "n_sessions": len(q), "n_excluded": int((~ok).sum()), "reason": ""}  # fmt: skip
    if len(q) == 0:
        out["reason"] = "analysis.sequence.no_sessions"
        return out
    out["mean_q"] = float(q.mean())
    if len(q) < 2:
        out["reason"] = "analysis.sequence.one_session"
        return out
    half = stats.t.ppf(0.5 + level / 2, len(q) - 1) * q.std(ddof=1) / math.sqrt(len(q))
    out["ci_low"], out["ci_high"] = out["mean_q"] - half, out["mean_q"] + half
    return out


# --------------------------------------------------------------------------- circular time-shift test


def _circular_overlap(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``out[u] = Σ_i x[i]·y[(i − u) mod N]`` for every shift u (i.e. x against ``np.roll(y, u)``)."""
    n = len(x)
    f = np.fft.irfft(np.fft.rfft(x.astype(float)) * np.conj(np.fft.rfft(y.astype(float))), n)
    return np.rint(f).astype(np.int64)


def shift_test(
    events: pd.DataFrame,
    *,
    given: Code,
    target: Code,
    window_s: float = 5.0,
    unit_s: float = 1.0,
    offset_s: float = 0.0,
    exclude: Sequence[Code] = (),
    n_perm: int = 1000,
    min_shift_s: float = 30.0,
    seed: int = 0,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Circular time-shift permutation test of Yule's Q per observation (DOMAIN §5 step 5).

    The target stream is rotated by u ~ U[min_shift, L − min_shift] (wrapping); Q is
    recomputed for ``n_perm`` shifts (with the same zero-cell rule as Q_obs, DOMAIN §9.5);
    p = (1 + #{Q_u ≥ Q_obs}) / (n_perm + 1). L is the coded extent E (``coded_s``).
    Each session's shifts come from its own seeded generator, so a session's p does
    not depend on the other sessions in the frame.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``q_obs``, ``p_value``, ``n_perm``, ``q_perm_mean`` and
        ``reason`` (session too short for the shift range, or Q undefined).

    Examples
    --------
    >>> onsets = np.array([5, 31, 70, 98, 150, 171, 230, 262, 301, 355, 380, 433, 470, 512, 560.0])
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a",
    ...     "subject": ["counselor"] * 15 + ["client"] * 15, "cue": ["T_FWD"] * 15 + ["G_EYE"] * 15,
    ...     "kind": "point", "start_s": np.r_[onsets, onsets + 2], "end_s": np.nan, "duration_s": 600.0})
    >>> r = shift_test(ev, given=("counselor", "T_FWD"), target=("client", "G_EYE"), n_perm=200, seed=1)
    >>> bool(r["p_value"].iloc[0] < 0.05)
    True
    """
    _check(events, by, window_s, unit_s)
    if n_perm < 1:
        raise InvalidInput("analysis.params.must_be_positive", name="n_perm", value=n_perm)
    spans = observation_spans(events, by, coded_s)
    codes, keys, lengths = spans.codes, spans.keys, spans.coded
    rows = []
    for gi, sub in events.groupby(codes, sort=True):
        g, t, keep = _streams(sub, lengths[gi], given, target, window_s, unit_s, offset_s, exclude)
        n_units = len(g)
        row: dict[str, Any] = {c: keys[c].iloc[gi] for c in by}
        q_obs = contingency_stats(*tally(g, t, keep)).yules_q
        lo, hi = int(math.ceil(min_shift_s / unit_s)), n_units - int(math.ceil(min_shift_s / unit_s))
        if hi < lo or math.isnan(q_obs):
            reason = "analysis.sequence.too_short_to_shift" if hi < lo else "analysis.sequence.q_undefined"
            rows.append(
                {
                    **row,
                    "q_obs": q_obs,
                    "p_value": math.nan,
                    "n_perm": 0,
                    "q_perm_mean": math.nan,
                    "reason": reason,
                }
            )
            continue
        key = "|".join(str(keys[c].iloc[gi]) for c in by)
        shifts = np.random.default_rng([seed, zlib.crc32(key.encode())]).integers(lo, hi + 1, size=n_perm)
        gk = g & keep
        a = _circular_overlap(gk, t)[shifts]  # G∧T after rotating the target stream by u
        n_t = _circular_overlap(keep, t)[shifts]  # target units that land on kept units
        n_g, n = int(gk.sum()), int(keep.sum())
        b, c = n_g - a, n_t - a
        d = n - a - b - c
        q = yules_q(a, b, c, d)
        p = (1 + np.sum(q >= q_obs - 1e-12)) / (n_perm + 1)
        rows.append(
            {
                **row,
                "q_obs": q_obs,
                "p_value": float(p),
                "n_perm": n_perm,
                "q_perm_mean": float(np.nanmean(q)),
                "reason": "",
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- transitions


def transition_matrix(
    events: pd.DataFrame,
    *,
    subjects: Sequence[str] | None = None,
    cues: Sequence[str] | None = None,
    lag: int = 1,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Lag-``lag`` transitions between codes in the onset sequence, with adjusted residuals.

    Onsets (state starts and points) of the chosen subjects are put in time order within
    each observation; each onset is paired with the one ``lag`` places later. Counts
    are pooled over observations. Codes are labelled ``"<subject>:<cue>"``.
    Adjusted residual z = (x − e)/√(e(1 − r/N)(1 − c/N)), e = r·c/N (Bakeman & Quera 2011).

    Returns
    -------
    DataFrame
        Long table: ``from``, ``to``, ``count``, ``expected``, ``z``, ``p_to_given_from``.

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "cue": ["A", "B", "A", "B"], "kind": "point", "start_s": [1.0, 2.0, 3.0, 4.0], "end_s": np.nan})
    >>> m = transition_matrix(ev)
    >>> m.loc[m["count"] > 0, ["from", "to", "count"]].values.tolist()
    [['client:A', 'client:B', 2], ['client:B', 'client:A', 1]]
    """
    if lag < 1:
        raise InvalidInput("analysis.params.must_be_positive", name="lag", value=lag)
    _check(events, by, 1.0, 1.0)
    spans = observation_spans(events, by, coded_s)
    # onsets after the coded extent are not part of the sequence (DOMAIN §9.3)
    ev = events[events["start_s"].to_numpy(float) <= spans.coded[spans.codes]]
    if subjects is not None:
        ev = ev[ev["subject"].isin(list(subjects))]
    if cues is not None:
        ev = ev[ev["cue"].isin(list(cues))]
    ev = ev.dropna(subset=["start_s"])
    if ev.empty:
        raise InvalidInput("analysis.no_events")
    codes, _ = group_codes(ev, by)
    label = (ev["subject"].astype(str) + ":" + ev["cue"].astype(str)).to_numpy()
    order = np.lexsort((ev["start_s"].to_numpy(float), codes))
    label, codes = label[order], codes[order]
    same = codes[lag:] == codes[:-lag] if len(codes) > lag else np.zeros(0, bool)
    pairs = (
        pd.DataFrame({"from": label[:-lag][same], "to": label[lag:][same]})
        if len(same)
        else pd.DataFrame(columns=["from", "to"])
    )
    labels = sorted(set(label))
    table = pd.crosstab(pairs["from"], pairs["to"]).reindex(index=labels, columns=labels, fill_value=0)
    x = table.to_numpy(float)
    n = x.sum()
    r, c = x.sum(axis=1, keepdims=True), x.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = r * c / n
        z = (x - e) / np.sqrt(e * (1 - r / n) * (1 - c / n))
        p = x / r
    out = pd.DataFrame({
        "from": np.repeat(labels, len(labels)),
        "to": np.tile(labels, len(labels)),
        "count": x.ravel().astype(np.int64),
        "expected": e.ravel(),
        "z": z.ravel(),
        "p_to_given_from": p.ravel(),
    })  # fmt: skip
    return out
