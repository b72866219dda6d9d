"""Co-occurrence of two subjects' cues: seconds both were active, per cue pair.

Answers questions such as "how long was there mutual eye contact?" or "how much of
the client's crossed-arms time fell in the counselor's forward lean?". Only states
co-occur in time; points are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from observe.analysis.intervals import OBSERVATION_KEYS, close_states, observation_spans
from observe.errors import InvalidInput


def cooccurrence(
    events: pd.DataFrame,
    *,
    first: str = "counselor",
    second: str = "client",
    channels: Sequence[str] | None = None,
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Seconds of overlap between every state cue of ``first`` and every state cue of ``second``.

    Parameters
    ----------
    events
        Tidy event frame.
    first, second
        The two subjects (default counselor, client).
    channels
        Restrict to these channels (both subjects); all state channels if ``None``.
    by
        Columns identifying one observation.
    coded_s
        Coded extent E (DOMAIN §9.3); default: the frame's ``coded_s`` column, else the
        whole session. States are clipped to [0, E]; a state running at E ends there.

    Returns
    -------
    DataFrame
        One row per observation and cue pair that overlap at all: the ``by`` columns,
        ``first_cue``, ``second_cue``, ``overlap_s``, ``share_of_first`` (overlap /
        total time of the first cue), ``share_of_second``, ``share_of_session`` (of
        the coded extent E), ``coded_s``, ``coverage`` (E/T) and ``partial``.

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": ["counselor", "client"],
    ...     "channel": "GAZE", "cue": ["G_EYE", "G_EYE"], "kind": "state",
    ...     "start_s": [0.0, 5.0], "end_s": [10.0, 20.0], "duration_s": 20.0})
    >>> cooccurrence(ev)[["first_cue", "second_cue", "overlap_s", "share_of_second"]].values.tolist()
    [['G_EYE', 'G_EYE', 5.0, 0.3333333333333333]]
    """
    missing = [c for c in (*by, "subject", "channel", "cue", "kind", "start_s", "end_s") if c not in events]
    if missing:
        raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    if events.empty:
        raise InvalidInput("analysis.no_events")
    spans = observation_spans(events, by, coded_s)
    codes, keys, lengths = spans.codes, spans.keys, spans.coded
    states = (events["kind"] == "state").to_numpy()
    if channels is not None:
        states = states & events["channel"].isin(list(channels)).to_numpy()
    s, e = close_states(events["start_s"].to_numpy(float), events["end_s"].to_numpy(float), lengths[codes])
    frame = pd.DataFrame({"g": codes, "cue": events["cue"].astype(str).to_numpy(), "s": s, "e": e})
    a = frame[states & (events["subject"] == first).to_numpy() & (e > s)]
    b = frame[states & (events["subject"] == second).to_numpy() & (e > s)]
    pairs = _overlaps(a, b)

    cols = [
        *by,
        "first_cue",
        "second_cue",
        "overlap_s",
        "share_of_first",
        "share_of_second",
        "share_of_session",
        "coded_s",
        "coverage",
        "partial",
    ]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    out = pairs.groupby(["g", "cue_a", "cue_b"], sort=True)["overlap"].sum().reset_index()
    tot_a = (a["e"] - a["s"]).groupby([a["g"], a["cue"]]).sum()
    tot_b = (b["e"] - b["s"]).groupby([b["g"], b["cue"]]).sum()
    out["share_of_first"] = (
        out["overlap"] / tot_a.reindex(pd.MultiIndex.from_frame(out[["g", "cue_a"]])).to_numpy()
    )
    out["share_of_second"] = (
        out["overlap"] / tot_b.reindex(pd.MultiIndex.from_frame(out[["g", "cue_b"]])).to_numpy()
    )
    out["share_of_session"] = out["overlap"] / lengths[out["g"].to_numpy()]
    for col in by:
        out[col] = keys[col].to_numpy()[out["g"].to_numpy()]
    for col, values in spans.columns(out["g"].to_numpy()).items():
        out[col] = values
    out = out.rename(columns={"cue_a": "first_cue", "cue_b": "second_cue", "overlap": "overlap_s"})
    return out[cols]


def _overlaps(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """All (a, b) state pairs of the same observation that overlap, with the overlap in seconds.

    Vectorised with sorted starts: for each a, candidate b's start before a ends and
    after a.start − (longest b) — the only b's that can still reach a.
    """
    if a.empty or b.empty:
        return pd.DataFrame(columns=["g", "cue_a", "cue_b", "overlap"])
    b = b.sort_values(["g", "s"], kind="stable")
    # one time axis across observations: offset each observation so none can overlap another
    span = float(max(a["e"].max(), b["e"].max())) + 1.0
    b_start = b["s"].to_numpy() + b["g"].to_numpy() * span
    longest = float((b["e"] - b["s"]).max())
    a_s = a["s"].to_numpy() + a["g"].to_numpy() * span
    a_e = a["e"].to_numpy() + a["g"].to_numpy() * span
    lo = np.searchsorted(b_start, a_s - longest, side="left")
    hi = np.searchsorted(b_start, a_e, side="left")
    count = hi - lo
    ia = np.repeat(np.arange(len(a)), count)
    ib = lo[ia] + (np.arange(len(ia)) - np.repeat(np.cumsum(count) - count, count))
    b_s, b_e = b["s"].to_numpy()[ib], b["e"].to_numpy()[ib]
    same = a["g"].to_numpy()[ia] == b["g"].to_numpy()[ib]
    overlap = np.minimum(a["e"].to_numpy()[ia], b_e) - np.maximum(a["s"].to_numpy()[ia], b_s)
    keep = same & (overlap > 0)
    return pd.DataFrame({
        "g": a["g"].to_numpy()[ia][keep],
        "cue_a": a["cue"].to_numpy()[ia][keep],
        "cue_b": b["cue"].to_numpy()[ib][keep],
        "overlap": overlap[keep],
    })  # fmt: skip
