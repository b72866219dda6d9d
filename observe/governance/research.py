"""The research export: de-identified coded events of consenting clients, for researchers.

What leaves (``export.research``, observe.governance.access): only clients whose consent record allows
research use, only finished observations; clients, counselors and observers under random
codes drawn anew for every export (so two exports cannot be joined on them, and the codes
say nothing about the workspace's own codes or their order); sessions by their number within
the client; no display names, no notes, no comments, no dates, no internal ids, no video.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from observe import __name__ as _package

if TYPE_CHECKING:
    from observe.store import Store

EVENT_COLUMNS = (
    "client",
    "session_number",
    "counselor",
    "observer",
    "subject",
    "channel",
    "cue",
    "kind",
    "start_s",
    "end_s",
    "modifiers",
    "duration_s",
    "scheme_version",
)
SESSION_COLUMNS = ("client", "session_number", "counselor", "duration_s", "observers", "events")


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed


def pseudonyms(values: Iterable[str], prefix: str, rng: random.Random, *, length: int = 6) -> dict[str, str]:
    """A distinct random code per distinct value, e.g. ``{"K01": "P-7QX2MA"}``: nothing about
    the workspace's own codes or their order survives.

    >>> codes = pseudonyms(["K01", "K02", "K01"], "P", random.Random(1))
    >>> sorted(codes) == ["K01", "K02"], len(set(codes.values())), codes["K01"].startswith("P-")
    (True, 2, True)
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for value in sorted(dict.fromkeys(str(v) for v in values)):
        code = ""
        while not code or code in used:
            code = f"{prefix}-" + "".join(rng.choice(_ALPHABET) for _ in range(length))
        used.add(code)
        out[value] = code
    return out


def research_events(store: Store) -> pd.DataFrame:
    """The events that may enter a research export: consenting clients, finished observations.
    Refused for a role without ``export.research``; recorded in the audit trail first."""
    return store.research_events()


def research_export(store: Store, *, rng: random.Random | None = None) -> dict[str, pd.DataFrame]:
    """The de-identified export as tables: ``events``, ``sessions`` and ``metadata`` (key, value).

    Refused (:class:`observe.errors.PermissionDenied`) for a role without ``export.research``;
    the export is recorded in the audit trail before any data is read.
    """
    source = research_events(store)
    draw = rng or random.SystemRandom()
    clients = pseudonyms(source["client"].astype(str), "P", draw)
    counselors = pseudonyms(source["counselor"].astype(str), "T", draw)
    observers = pseudonyms(source["observer"].astype(str), "O", draw)
    events = pd.DataFrame(
        {
            "client": source["client"].map(clients),
            "session_number": source["session_number"].astype("int64"),
            "counselor": source["counselor"].map(counselors),
            "observer": source["observer"].map(observers),
            **{c: source[c] for c in EVENT_COLUMNS[4:]},
        },
        columns=list(EVENT_COLUMNS),
    )
    events = events.sort_values(["client", "session_number", "observer", "start_s"], ignore_index=True)
    sessions = (
        events.groupby(["client", "session_number", "counselor"], as_index=False)
        .agg(
            duration_s=("duration_s", "first"),
            observers=("observer", "nunique"),
            events=("cue", "size"),
        )
        .reindex(columns=list(SESSION_COLUMNS))
    )
    metadata = {
        "producer": _package,
        "clients": len(clients),
        "sessions": len(sessions),
        "events": len(events),
        "consent": "only clients who consented to research use; finished observations only",
        "codes": "client P-*, counselor T-*, observer O-* codes are random and new in every export",
        "removed": "names, notes, comments, dates, session codes, internal ids, video",
        "times": "seconds from the start of the session",
    }
    meta = pd.DataFrame({"key": list(metadata), "value": [str(v) for v in metadata.values()]})
    return {"events": events, "sessions": sessions, "metadata": meta}


def to_zip(export: dict[str, pd.DataFrame]) -> bytes:
    """The export as a ZIP of CSV files (``events.csv``, ``sessions.csv``) and ``metadata.json``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in export.items():
            if name == "metadata":
                pairs = dict(zip(frame["key"], frame["value"], strict=True))
                archive.writestr("metadata.json", json.dumps(pairs, indent=1, ensure_ascii=False))
            else:
                archive.writestr(f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
    return buffer.getvalue()
