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
running and closes at the end of the coded extent (DOMAIN §9.3), so it is counted,
and ``n_running`` says how many were. The analysed interval is the coded extent
[0, E], closed at its end; a ME&E channel is not visible (NV) until its first code and
in uncoded gaps (DOMAIN §9.4), so its rows' ``share_session`` add up to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observe.analysis.intervals import OBSERVATION_KEYS, close_states, observation_spans
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS

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
    "filled_s",
    "n_running",
    "coded_s",
    "coverage",
    "partial",
)


def time_budget(
    events: pd.DataFrame,
    *,
    by: Sequence[str] = OBSERVATION_KEYS,
    start_s: float | None = None,
    end_s: float | None = None,
    cues: Sequence[tuple[str, str]] | None = None,
    modifiers: bool = False,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Time budget of each (subject, cue) per observation, over the coded extent.

    Parameters
    ----------
    events
        Tidy event frame.
    by
        Columns identifying one observation.
    start_s, end_s
        Interval analysed (default: 0 to each observation's coded extent E); it never
        reaches past E.
    cues
        ``[(subject, cue), ...]`` to report even when never coded (count 0, NA
        elsewhere), as BORIS lists the selected behaviours; others are dropped.
        ``None`` reports every coded (subject, cue).
    modifiers
        Split each cue by its ``modifiers`` value (BORIS "include modifiers").
    coded_s
        Coded extent E in seconds (DOMAIN §9.3); default: the frame's ``coded_s``
        column, else the whole session.

    Returns
    -------
    DataFrame
        The ``by`` columns (+ ``modifiers``), then ``subject``, ``channel``, ``cue``,
        ``kind``, ``count``, ``total_s``, ``mean_s``, ``sd_s`` (NaN for points),
        ``share_observable`` (a ME&E state's share of the time its channel was
        visible; NaN for not-visible codes, process states and points),
        ``share_session`` (share of the interval: a ME&E channel's shares sum to 1),
        ``rate_per_min``, ``iei_mean_s``, ``iei_sd_s``, ``interval_s``, ``filled_s``
        (seconds of a not-visible code that nobody coded: a ME&E channel is NV before
        its first code and in gaps, DOMAIN §9.4), ``n_running`` (states still running
        at the end of the interval, closed there), ``coded_s`` (E), ``coverage`` (E/T)
        and ``partial`` (coverage below 0.5).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client", "channel": "GAZE",
    ...     "cue": ["G_EYE", "G_AWAY", "G_EYE"], "kind": "state",
    ...     "start_s": [5.0, 10.0, 15.0], "end_s": [10.0, 15.0, 20.0], "duration_s": 20.0})
    >>> tb = time_budget(ev)
    >>> tb[["cue", "count", "total_s", "share_session", "filled_s"]].values.tolist()
    [['G_AWAY', 1, 5.0, 0.25, 0.0], ['G_EYE', 2, 10.0, 0.5, 0.0], ['G_NV', 1, 5.0, 0.25, 5.0]]
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

    spans = observation_spans(events, by, coded_s)
    codes, keys = spans.codes, spans.keys
    t0 = np.full(len(keys), 0.0 if start_s is None else float(start_s))
    t1 = spans.coded.copy() if end_s is None else np.fmin(spans.coded, float(end_s))
    if (start_s is not None or end_s is not None) and not (t1 > t0).all():
        # an asked interval that lies outside the coded extent [0, E]
        raise InvalidInput("analysis.timebudget.bad_interval", start=start_s, end=end_s)
    ev = events.assign(_g=codes, _mod=events["modifiers"].fillna("").astype(str) if modifiers else "")
    ev = ev.reset_index(drop=True)
    occ = _occurrences(ev, spans.coded, t0, t1)
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
            filled_s=("filled", "sum"),
            n_running=("running", "sum"),
        )
        .reset_index()
    )
    agg.loc[agg["kind"] != "state", ["total_s", "mean_s", "sd_s"]] = np.nan
    agg = _add_requested(agg, cues, len(keys)) if cues is not None else agg
    agg["count"] = agg["count"].fillna(0).astype(np.int64)
    agg["n_running"] = agg["n_running"].fillna(0).astype(np.int64)
    agg["filled_s"] = agg["filled_s"].fillna(0.0)
    g = agg["_g"].to_numpy(np.int64)
    agg["interval_s"] = (t1 - t0)[g]
    interval = agg["interval_s"].where(agg["interval_s"] > 0)  # nothing coded (E = 0): no shares, no rates
    agg["share_session"] = agg["total_s"].astype(float) / interval
    agg["rate_per_min"] = agg["count"] / (interval / 60.0)
    agg["share_observable"] = agg["total_s"] / _observable(agg)
    for col, values in spans.columns(g).items():
        agg[col] = values

    out = pd.concat([keys.iloc[g].reset_index(drop=True), agg], axis=1)
    if modifiers:
        out = out.rename(columns={"_mod": "modifiers"})
    cols = [*by, *(["modifiers"] if modifiers else []), *COLUMNS]
    return out[cols].reset_index(drop=True)


def _occurrences(ev: pd.DataFrame, coded: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> pd.DataFrame:
    """State bouts clipped to the interval, points inside it, and the uncoded NV bouts of ME&E channels."""
    g = ev["_g"].to_numpy(np.int64)
    start = ev["start_s"].to_numpy(float)
    end = ev["end_s"].to_numpy(float)
    is_state = (ev["kind"] == "state").to_numpy()
    # a state still running at E ends at E (DOMAIN §9.3); it is counted in n_running
    s, e = close_states(start, end, coded[g])
    running = is_state & (np.isnan(end) | (end > t1[g]))
    s, e = np.maximum(s, t0[g]), np.minimum(e, t1[g])
    # the interval is closed: a point at exactly its end counts (DOMAIN §9.1)
    keep = (is_state & (e > s)) | (~is_state & (start >= t0[g]) & (start <= t1[g]))
    cols = ["_g", "subject", "channel", "cue", "kind", "_mod"]
    occ = ev.loc[keep, cols].copy()
    occ["start"] = np.where(is_state, s, start)[keep]
    occ["end"] = np.where(is_state, e, start)[keep]
    occ["running"] = running[keep]
    occ["filled"] = 0.0
    gaps = _uncoded(ev, occ, t0, t1)
    out = pd.concat([occ, gaps], ignore_index=True) if len(gaps) else occ.reset_index(drop=True)
    return out.astype({"start": float, "end": float, "filled": float, "running": bool})


def _uncoded(ev: pd.DataFrame, occ: pd.DataFrame, t0: np.ndarray, t1: np.ndarray) -> pd.DataFrame:
    """NV bouts where a ME&E channel that the subject coded has no state (DOMAIN §9.4).

    A channel is not visible until its first code and wherever no state covers it, so
    the channel's shares of the interval add up to 1.
    """
    lane = ["_g", "subject", "channel"]
    cols = ["_g", "subject", "channel", "cue", "kind", "_mod", "start", "end", "running", "filled"]
    me_e = (ev["kind"] == "state") & ev["channel"].isin(EXHAUSTIVE_CHANNELS)
    lanes = ev.loc[me_e, lane].drop_duplicates()
    if lanes.empty:
        return pd.DataFrame(columns=cols)
    bouts = occ[(occ["kind"] == "state") & occ["channel"].isin(EXHAUSTIVE_CHANNELS)]
    bouts = bouts.sort_values([*lane, "start"], kind="stable")
    reach = bouts.groupby(lane, sort=False)["end"].cummax()
    before = reach.groupby([bouts[c] for c in lane], sort=False).shift(1)
    lo_first = t0[bouts["_g"].to_numpy(np.int64)]
    gap_lo = before.fillna(pd.Series(lo_first, index=bouts.index))
    inner = bouts.loc[bouts["start"] > gap_lo, lane].assign(start=gap_lo, end=bouts["start"])
    inner = inner[inner["end"] > inner["start"]]
    last = reach.groupby([bouts[c] for c in lane], sort=False).max().rename("start").reset_index()
    tail = lanes.merge(last, on=lane, how="left")
    gi = tail["_g"].to_numpy(np.int64)
    tail["start"] = tail["start"].fillna(pd.Series(t0[gi], index=tail.index))
    tail["end"] = t1[gi]
    gaps = pd.concat([inner, tail[tail["end"] > tail["start"]]], ignore_index=True)
    if gaps.empty:
        return pd.DataFrame(columns=cols)
    nv = _nv_codes(ev)
    gaps["cue"] = [
        nv.get((s, c), f"{c[:1]}_NV") for s, c in zip(gaps["subject"], gaps["channel"], strict=True)
    ]
    gaps["kind"], gaps["_mod"], gaps["running"] = "state", "", False
    gaps["filled"] = gaps["end"] - gaps["start"]
    return gaps[cols]


def _nv_codes(ev: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The not-visible cue each (subject, channel) uses in the data, where one was coded."""
    nv = ev[ev["cue"].astype(str).str.endswith("_NV")]
    return {(s, c): q for s, c, q in zip(nv["subject"], nv["channel"], nv["cue"], strict=True)}


def _add_requested(agg: pd.DataFrame, cues: Sequence[tuple[str, str]], n_groups: int) -> pd.DataFrame:
    """Keep only the requested (subject, cue) and add zero rows for those never coded."""
    wanted = pd.DataFrame(list(cues), columns=["subject", "cue"]).drop_duplicates()
    agg = agg.merge(wanted, on=["subject", "cue"])
    present = set(zip(agg["_g"], agg["subject"], agg["cue"], strict=True))
    extra = [
        {"_g": g, "subject": s, "cue": c, "channel": "", "kind": "", "_mod": "", "count": 0}
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
