"""SDIS timed-event files for GSEQ (Bakeman & Quera), FORMATS.md §4.

A ``Timed;`` declaration, then one session per observation: ``<label>``, events as
``code,onset-offset`` (seconds, 3 decimals, offset exclusive) in onset order, and
``/``. Codes are the subject prefix plus the cue (``K_G_EYE``, ``C_T_FWD``), cleaned
to letters, digits and ``_``. Points last one time unit (1 ms); states still open
close at the session end; not-visible time can be written explicitly.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from observe.interop.bundle import events_frame

#: Subject → code prefix; DOMAIN.md's data model: K = client (klien), C = counselor (konselor).
DEFAULT_PREFIXES: Mapping[str, str] = {"client": "K", "counselor": "C"}
#: One time unit at millisecond precision: the length given to a point event.
TIME_UNIT_S = 0.001
_NOT_CODE = re.compile(r"[^A-Za-z0-9_]")


def sdis_code(subject: str, cue: str, prefixes: Mapping[str, str] = DEFAULT_PREFIXES) -> str:
    """The SDIS code of a cue: subject prefix + ``_`` + cue, with anything but ``[A-Za-z0-9_]`` → ``_``.

    >>> sdis_code("client", "G_EYE"), sdis_code("parent", "look-at/toy")
    ('K_G_EYE', 'parent_look_at_toy')
    """
    prefix = prefixes.get(subject, subject)
    return _NOT_CODE.sub("_", f"{prefix}_{cue}" if prefix else cue)


def write_sdis(
    events: pd.DataFrame,
    *,
    prefixes: Mapping[str, str] = DEFAULT_PREFIXES,
    nv_codes: Mapping[str, str] | None = None,
    durations: Mapping[str, float] | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    """Write tidy events as an SDIS timed-event file (one GSEQ session per ``session``).

    Parameters
    ----------
    events : DataFrame
        Tidy events.
    prefixes : mapping
        Subject → code prefix (default K = client, C = counselor).
    nv_codes : mapping, optional
        Channel → its not-visible code (e.g. ``{"GAZE": "G_NV"}``): uncovered time of
        that channel, per subject, is written explicitly as NV (FORMATS §4 "our exporter").
    durations : mapping, optional
        Session → length in seconds; default: the ``duration_s`` column, else the last event end.
    created : datetime, optional
        Timestamp in the comment line (fixed in tests).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "subject": "client", "channel": "GAZE", "cue": "G_EYE",
    ...                     "kind": "state", "start_s": 1.0, "end_s": 2.5}])
    >>> print(write_sdis(ev, created=dt.datetime(2026, 1, 1)).decode())  # doctest: +NORMALIZE_WHITESPACE
    % SDIS timed-event data written by observe at 2026-01-01T00:00:00
    % codes: subject prefix + cue; times in seconds; offsets exclusive
    Timed;
    <BLANKLINE>
    <S1>
    K_G_EYE,1.000-2.500 /
    <BLANKLINE>
    """
    frame = events_frame(events)
    ends = _session_ends(events, frame, durations or {})
    stamp = (created or dt.datetime.now()).replace(microsecond=0).isoformat()
    lines = [
        f"% SDIS timed-event data written by observe at {stamp}",
        "% codes: subject prefix + cue; times in seconds; offsets exclusive",
        "Timed;",
        "",
    ]
    for session, group in frame.groupby("session", sort=False):
        end = ends[str(session)]
        items = _intervals(group, end, prefixes)
        if nv_codes:
            items += _nv_intervals(group, end, prefixes, nv_codes)
        items.sort(key=lambda it: (it[0], it[1], it[2]))
        body = " ".join(f"{code},{on:.3f}-{off:.3f}" for on, off, code in items)
        lines += [f"<{_label(str(session))}>", f"{body} /" if body else "/", ""]
    return "\n".join(lines).encode("utf-8")


def _session_ends(raw: pd.DataFrame, frame: pd.DataFrame, durations: Mapping[str, float]) -> dict[str, float]:
    ends: dict[str, float] = {}
    last = frame[["start_s", "end_s"]].max(axis=1)
    column = pd.to_numeric(raw["duration_s"], errors="coerce").to_numpy() if "duration_s" in raw else None
    for session, idx in frame.groupby("session", sort=False).groups.items():
        end = durations.get(str(session))
        if end is None and column is not None:
            values = column[np.asarray(idx)]
            values = values[np.isfinite(values)]
            end = float(values.max()) if len(values) else None
        ends[str(session)] = float(end) if end is not None else float(last[idx].max()) + TIME_UNIT_S
    return ends


def _intervals(
    group: pd.DataFrame, end: float, prefixes: Mapping[str, str]
) -> list[tuple[float, float, str]]:
    items = []
    for row in group.itertuples(index=False):
        code = sdis_code(row.subject, row.cue, prefixes)
        if row.kind == "point":
            items.append((row.start_s, row.start_s + TIME_UNIT_S, code))
        else:
            stop = row.end_s if not math.isnan(row.end_s) else max(end, row.start_s + TIME_UNIT_S)
            if stop > row.start_s:
                items.append((row.start_s, stop, code))
    return items


def _nv_intervals(
    group: pd.DataFrame, end: float, prefixes: Mapping[str, str], nv_codes: Mapping[str, str]
) -> list[tuple[float, float, str]]:
    """Uncovered time of each NV-able channel, per subject (a channel is NV until first coded)."""
    items = []
    states = group[(group["kind"] == "state") & group["channel"].isin(list(nv_codes))]
    subjects = dict.fromkeys(group["subject"])
    for subject in subjects:
        for channel, nv in nv_codes.items():
            bouts = states[(states["subject"] == subject) & (states["channel"] == channel)]
            spans = sorted(
                (s, e if not math.isnan(e) else end)
                for s, e in zip(bouts["start_s"], bouts["end_s"], strict=True)
            )
            cursor = 0.0
            for start, stop in [*spans, (end, end)]:
                if start > cursor + 1e-9:
                    items.append((cursor, start, sdis_code(subject, nv, prefixes)))
                cursor = max(cursor, stop)
    return items


def _label(session: str) -> str:
    """A session label without SDIS's structural characters."""
    return re.sub(r"[<>/;%\r\n]", "_", session) or "session"
