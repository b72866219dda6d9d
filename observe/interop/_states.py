"""START/STOP records → intervals, shared by the BORIS importers (FORMATS.md §1.3).

BORIS stores a state as two records; these helpers pair them per
(subject, code, modifier string) in time order, close what is left open at the
observation end, and snap BORIS's ``t − 0.001 s`` exclusion stops to contiguity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observe.interop.bundle import ImportWarning, summarize_rows

#: BORIS stops an excluded state 1 ms before the next one starts (FORMATS §1.3).
SNAP_TOLERANCE_S = 0.001


@dataclass(frozen=True)
class Record:
    """One BORIS event record with its status already known."""

    row: int
    time: float
    subject: str
    code: str
    modifiers: str  # tidy "k=v;k=v"
    status: str  # "START", "STOP" or "POINT"
    comment: str = ""
    channel: str = ""
    pair_key: str = ""  # the raw modifier text BORIS pairs on (stripped)


@dataclass
class PairingResult:
    """Tidy event rows and what was fixed."""

    rows: list[dict[str, object]] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    #: rows of STOP records that close a state at its own start (refused by the callers)
    zero_length: list[int] = field(default_factory=list)
    zero_length_times: list[float] = field(default_factory=list)


def pair_records(
    records: Iterable[Record], *, session: str, end_s: float | None, unit: str = "row"
) -> PairingResult:
    """Pair START/STOP records into states and keep POINT records as points.

    ``records`` must be in time order (stable). A STOP without an open START is
    skipped, a START while the same state is open closes the earlier one there,
    and a state still open at the end closes at ``end_s`` (left open, ``end_s`` NaN,
    when the end is unknown or not after its start). Every fix is reported, naming the
    record by ``unit``: the ``"row"`` of a table, or the ``"event"`` of a BORIS project.

    Examples
    --------
    >>> recs = [Record(2, 1.0, "a", "s", "", "START"), Record(3, 4.0, "a", "s", "", "STOP")]
    >>> pair_records(recs, session="o1", end_s=None).rows[0]["end_s"]
    4.0
    """
    result = PairingResult()
    open_states: dict[tuple[str, str, str], Record] = {}
    orphan_stops: list[int] = []
    for rec in records:
        key = (rec.subject, rec.code, rec.pair_key)
        if rec.status == "POINT":
            result.rows.append(_row(session, rec, "point", math.nan))
        elif rec.status == "START":
            earlier = open_states.pop(key, None)
            if earlier is not None:
                result.rows.append(_row(session, earlier, "state", rec.time))
                result.warnings.append(
                    ImportWarning(
                        earlier.row, "interop.warn.restarted", {"code": rec.code, "session": session}, unit
                    )
                )
            open_states[key] = rec
        else:
            start = open_states.pop(key, None)
            if start is None:
                orphan_stops.append(rec.row)
            else:
                if rec.time == start.time:
                    result.zero_length.append(rec.row)
                    result.zero_length_times.append(rec.time)
                comment = " ".join(c for c in (start.comment, rec.comment) if c)
                result.rows.append(_row(session, start, "state", rec.time, comment))
    if orphan_stops:
        result.warnings.append(
            ImportWarning(
                None,
                "interop.warn.stop_without_start" + ("_events" if unit == "event" else ""),
                {"rows": summarize_rows(orphan_stops), "n": len(orphan_stops), "session": session},
            )
        )
    for rec in open_states.values():
        close = end_s if end_s is not None and end_s > rec.time else math.nan
        result.rows.append(_row(session, rec, "state", close))
        result.warnings.append(
            ImportWarning(
                rec.row,
                "interop.warn.unpaired_closed",
                {"code": rec.code, "subject": rec.subject, "time": f"{rec.time:.3f}", "session": session},
                unit,
            )
        )
    result.rows.sort(key=lambda r: (float(r["start_s"]), str(r["subject"]), str(r["cue"])))  # type: ignore[arg-type]
    return result


def _row(session: str, rec: Record, kind: str, end: float, comment: str | None = None) -> dict[str, object]:
    return {
        "session": session,
        "subject": rec.subject,
        "channel": rec.channel,
        "cue": rec.code,
        "kind": kind,
        "start_s": round(rec.time, 3),
        "end_s": round(end, 3) if not math.isnan(end) else math.nan,
        "modifiers": rec.modifiers,
        "comment": rec.comment if comment is None else comment,
    }


def snap_exclusion_gaps(events: pd.DataFrame, *, session: str) -> tuple[pd.DataFrame, list[ImportWarning]]:
    """Close 1 ms gaps between consecutive states of one subject's channel.

    BORIS writes the STOP of an excluded state at ``t − 0.001`` when the next one
    starts at ``t`` (FORMATS §1.3); in our model such states are contiguous. Only
    states with a channel (behavioural category) and a different cue are touched.
    """
    states = events[(events["kind"] == "state") & (events["channel"] != "")]
    if len(states) < 2:
        return events, []
    ordered = states.sort_values(["subject", "channel", "start_s"], kind="stable")
    same = (ordered["subject"].to_numpy()[1:] == ordered["subject"].to_numpy()[:-1]) & (
        ordered["channel"].to_numpy()[1:] == ordered["channel"].to_numpy()[:-1]
    )
    next_start = ordered["start_s"].to_numpy()[1:]
    end = ordered["end_s"].to_numpy()[:-1]
    gap = np.round(next_start - end, 6)
    snap = (
        same
        & (gap > 0)
        & (gap <= SNAP_TOLERANCE_S + 1e-9)
        & (ordered["cue"].to_numpy()[1:] != ordered["cue"].to_numpy()[:-1])
    )
    if not snap.any():
        return events, []
    events = events.copy()
    events.loc[ordered.index[:-1][snap], "end_s"] = next_start[snap]
    return events, [ImportWarning(None, "interop.warn.snapped", {"n": int(snap.sum()), "session": session})]
