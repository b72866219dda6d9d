"""The research export: de-identified coded events of consenting clients, for researchers.

What leaves (``export.research``, observe.access): only clients whose consent record allows
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


def random_codes(values: Iterable[str], prefix: str, rng: random.Random) -> dict[str, str]:
    """Map each distinct value to ``prefix`` + a number, numbers handed out in random order.

    >>> codes = random_codes(["K01", "K02", "K01"], "P", random.Random(1))
    >>> sorted(codes.values()), sorted(codes)
    (['P1', 'P2'], ['K01', 'K02'])
    """
    distinct = sorted(set(values))
    numbers = list(range(1, len(distinct) + 1))
    rng.shuffle(numbers)
    width = len(str(len(distinct)))
    return {v: f"{prefix}{n:0{width}d}" for v, n in zip(distinct, numbers, strict=True)}


def research_export(store: Store, *, rng: random.Random | None = None) -> dict[str, pd.DataFrame]:
    """The de-identified export as tables: ``events``, ``sessions`` and ``metadata`` (key, value).

    Refused (:class:`observe.errors.PermissionDenied`) for a role without ``export.research``;
    the export is recorded in the audit trail before any data is read.
    """
    store.log_export("export.research", what="research")
    source = store._research_events()
    draw = rng or random.SystemRandom()
    clients = random_codes(source["client"].astype(str), "P", draw)
    counselors = random_codes(source["counselor"].astype(str), "CN", draw)
    observers = random_codes(source["observer"].astype(str), "O", draw)
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
        "codes": "client P*, counselor CN*, observer O* codes are random and new in every export",
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
