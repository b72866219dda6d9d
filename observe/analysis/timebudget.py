"""Time budget per subject and cue, as BORIS reports it (Friard & Gamba 2016).

For every (subject, cue): number of occurrences, total/mean/SD duration of the
states, share of observable time, rate, and the inter-event interval. Conventions
follow BORIS's ``time_budget_analysis`` so numbers can be cross-checked with it:

* states are clipped to the analysed interval; a point counts if ``start ≤ t ≤ end``;
* durations of points are NA (not 0);
* SD is the sample SD (n − 1), NA with fewer than two values;
* the inter-event interval is the gap between consecutive occurrences:
  stop → next start for states, start → start for points.

BORIS marks unpaired states "UNPAIRED"; here a state without an end is still
running and closes at the session end (DOMAIN data model), so it is counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observe.analysis.intervals import OBSERVATION_KEYS, close_states, group_codes, session_lengths
from observe.errors import InvalidInput
from observe.frames import EXHAUSTIVE_CHANNELS

COLUMNS: tuple[str, ...] = (
    "subject",
    "channel",
    "cue",
    "kind",
    "count",
    "total_s",
    "mean_s",
    "sd_s",
    "share_observable",
    "share_session",
    "rate_per_min",
    "iei_mean_s",
    "iei_sd_s",
    "interval_s",
    "n_zero_length",
)


def time_budget(
    events: pd.DataFrame,
    *,
    by: Sequence[str] = OBSERVATION_KEYS,
    start_s: float | None = None,
    end_s: float | None = None,
    cues: Sequence[tuple[str, str]] | None = None,
    modifiers: bool = False,
) -> pd.DataFrame:
    """Time budget of each (subject, cue) per observation.

    Parameters
    ----------
    events
        Tidy event frame.
    by
        Columns identifying one observation.
    start_s, end_s
        Interval analysed (default: 0 to each session's length).
    cues
        ``[(subject, cue), ...]`` to report even when never coded (count 0, NA
        elsewhere), as BORIS lists the selected behaviours; others are dropped.
        ``None`` reports every coded (subject, cue).
    modifiers
        Split each cue by its ``modifiers`` value (BORIS "include modifiers").

    Returns
    -------
    DataFrame
        The ``by`` columns (+ ``modifiers``), then ``subject``, ``channel``, ``cue``,
        ``kind``, ``count``, ``total_s``, ``mean_s``, ``sd_s`` (NaN for points),
        ``share_observable`` (a ME&E state's share of the time its channel was
        visible; NaN for not-visible codes, process states and points),
        ``share_session`` (share of the interval), ``rate_per_min``,
        ``iei_mean_s``, ``iei_sd_s``, ``interval_s`` and ``n_zero_length``
        (zero-length states left out: they carry no time).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client", "channel": "GAZE",
    ...     "cue": ["G_EYE", "G_AWAY", "G_EYE"], "kind": "state",
    ...     "start_s": [0.0, 10.0, 15.0], "end_s": [10.0, 15.0, 20.0], "duration_s": 20.0})
    >>> tb = time_budget(ev)
    >>> tb[["cue", "count", "total_s", "share_observable", "iei_mean_s"]].values.tolist()
    [['G_AWAY', 1, 5.0, 0.25, nan], ['G_EYE', 2, 15.0, 0.75, 5.0]]
    """
    missing = [c for c in (*by, "subject", "channel", "cue", "kind", "start_s", "end_s") if c not in events]
    if modifiers and "modifiers" not in events:
        missing.append("modifiers")
    if missing:
        raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    if events.empty:
        raise InvalidInput("analysis.no_events")
    if start_s is not None and end_s is not None and not end_s > start_s:
        raise InvalidInput("analysis.timebudget.bad_interval", start=start_s, end=end_s)

    codes, keys = group_codes(events, by)
    lengths = session_lengths(events, codes, len(keys))
    t0 = np.full(len(keys), 0.0 if start_s is None else float(start_s))
    t1 = lengths.copy() if end_s is None else np.full(len(keys), float(end_s))
    ev = events.assign(_g=codes, _mod=events["modifiers"].fillna("").astype(str) if modifiers else "")
    ev = ev.reset_index(drop=True)
    occ, zero = _occurrences(ev, lengths, t0, t1)
    key = ["_g", "subject", "channel", "cue", "kind", "_mod"]

    occ = occ.sort_values([*key, "start"], kind="stable")
    nxt = occ.groupby(key, sort=False)["start"].shift(-1)
    occ["iei"] = nxt - np.where(occ["kind"] == "state", occ["end"], occ["start"])
    occ["dur"] = np.where(occ["kind"] == "state", occ["end"] - occ["start"], np.nan)
    agg = (
        occ.groupby(key, sort=True)
        .agg(
            count=("start", "size"),
            total_s=("dur", "sum"),
            mean_s=("dur", "mean"),
            sd_s=("dur", "std"),
            iei_mean_s=("iei", "mean"),
            iei_sd_s=("iei", "std"),
        )
        .reset_index()
    )
    zeros = zero.groupby(key).size().rename("n_zero_length").reset_index()
    agg = agg.merge(zeros, on=key, how="outer").sort_values(key, ignore_index=True)
    agg["count"] = agg["count"].fillna(0).astype(np.int64)
    agg["n_zero_length"] = agg["n_zero_length"].fillna(0).astype(np.int64)
    agg.loc[agg["kind"] != "state", ["total_s", "mean_s", "sd_s"]] = np.nan
    agg = _add_requested(agg, cues, len(keys)) if cues is not None else agg
    agg["interval_s"] = (t1 - t0)[agg["_g"].to_numpy(np.int64)]
    agg["share_session"] = agg["total_s"] / agg["interval_s"]
    agg["rate_per_min"] = agg["count"] / (agg["interval_s"] / 60.0)
    agg["share_observable"] = agg["total_s"] / _observable(agg)

    out = pd.concat([keys.iloc[agg["_g"].to_numpy(np.int64)].reset_index(drop=True), agg], axis=1)
    if modifiers:
        out = out.rename(columns={"_mod": "modifiers"})
    cols = [*by, *(["modifiers"] if modifiers else []), *COLUMNS]
    return out[cols].reset_index(drop=True)


def _occurrences(
    ev: pd.DataFrame, lengths: np.ndarray, t0: np.ndarray, t1: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """State bouts clipped to the interval and points inside it; and the zero-length states apart."""
    g = ev["_g"].to_numpy(np.int64)
    start = ev["start_s"].to_numpy(float)
    is_state = (ev["kind"] == "state").to_numpy()
    s, e = close_states(start, ev["end_s"].to_numpy(float), lengths[g])
    s, e = np.maximum(s, t0[g]), np.minimum(e, t1[g])
    # a zero-length state carries no time: it is reported in n_zero_length, not as a bout
    zero = is_state & (ev["end_s"].to_numpy(float) == start) & (start >= t0[g]) & (start <= t1[g])
    keep = (is_state & (e > s) & ~zero) | (~is_state & (start >= t0[g]) & (start <= t1[g]))
    cols = ["_g", "subject", "channel", "cue", "kind", "_mod"]
    occ = ev.loc[keep, cols].copy()
    occ["start"] = np.where(is_state, s, start)[keep]
    occ["end"] = np.where(is_state, e, start)[keep]
    return occ, ev.loc[zero, cols]


def _add_requested(agg: pd.DataFrame, cues: Sequence[tuple[str, str]], n_groups: int) -> pd.DataFrame:
    """Keep only the requested (subject, cue) and add zero rows for those never coded."""
    wanted = pd.DataFrame(list(cues), columns=["subject", "cue"]).drop_duplicates()
    agg = agg.merge(wanted, on=["subject", "cue"])
    present = set(zip(agg["_g"], agg["subject"], agg["cue"], strict=True))
    extra = [
        {
            "_g": g,
            "subject": s,
            "cue": c,
            "channel": "",
            "kind": "",
            "_mod": "",
            "count": 0,
            "n_zero_length": 0,
        }
        for g in range(n_groups)
        for s, c in wanted.itertuples(index=False)
        if (g, s, c) not in present
    ]
    if extra:
        agg = pd.concat([agg, pd.DataFrame(extra)], ignore_index=True)
    return agg.sort_values(["_g", "subject", "cue"], kind="stable", ignore_index=True)


def _observable(agg: pd.DataFrame) -> pd.Series:
    """Visible seconds of each row's (observation, subject, channel); NaN where a share makes no sense."""
    me_e = agg["channel"].isin(EXHAUSTIVE_CHANNELS) & (agg["kind"] == "state")
    visible = me_e & ~agg["cue"].astype(str).str.endswith("_NV")
    total = (
        agg["total_s"]
        .where(visible, 0.0)
        .groupby([agg["_g"], agg["subject"], agg["channel"]])
        .transform("sum")
    )
    return total.where(visible & (total > 0))
