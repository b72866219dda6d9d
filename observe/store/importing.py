"""Checking a tidy event frame before it is written: every row validated against the
coding scheme, every session and observer resolved. Nothing is written here."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from observe.errors import InvalidInput, ObserveError
from observe.frames import EXPORT_COLUMNS
from observe.model import Event, check_code, make_event, parse_modifiers

if TYPE_CHECKING:
    from observe.store.api import Store

_SESSION_NUMBER = re.compile(r"-S(\d+)$")
MAX_REPORTED = 5  # row errors listed in one message


@dataclass
class ImportPlan:
    """What an import will write: events per (session, observer) and the sessions to create."""

    scheme_id: int
    events: dict[tuple[str, str], list[Event]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_sessions: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {
            "events": sum(len(v) for v in self.events.values()),
            "observations": len(self.events),
            "new_sessions": len(self.new_sessions),
        }


def plan_import(store: Store, frame: pd.DataFrame) -> ImportPlan:
    """Validate every row of ``frame``; raise one clear error listing the bad rows (row 2 = the
    first data row of a CSV file, as a spreadsheet shows it)."""
    missing = [
        c for c in ("session", "client", "observer", "subject", "cue", "start_s") if c not in frame.columns
    ]
    if missing:
        raise InvalidInput(
            "import.missing_columns", columns=", ".join(missing), expected=", ".join(EXPORT_COLUMNS)
        )
    if frame.empty:
        raise InvalidInput("import.empty")
    scheme = store.scheme()
    plan = ImportPlan(scheme_id=store._latest_scheme_id(scheme.name))
    known = {s.code: s for s in store.sessions(include_archived=True)}
    errors: list[str] = []
    for position, row in enumerate(frame.to_dict("records")):
        try:
            session = check_code(str(row["session"]), "session")
            observer = check_code(str(row["observer"]), "observer")
            facts = plan.sessions.get(session) or _session_facts(session, row, known)
            plan.sessions[session] = facts
            if session not in known:
                plan.new_sessions.add(session)
            event = make_event(
                scheme,
                str(row["subject"]),
                str(row["cue"]),
                row["start_s"],
                None if _blank(row.get("end_s")) else row.get("end_s"),
                modifiers=parse_modifiers(row.get("modifiers")),
                comment="" if _blank(row.get("comment")) else str(row["comment"]),
                duration_s=facts["duration_s"],
            )
        except ObserveError as exc:
            errors.append(f"row {position + 2}: {exc.message('en')}")
            continue
        plan.events.setdefault((session, observer), []).append(event)
    if errors:
        more = len(errors) - MAX_REPORTED
        raise InvalidInput(
            "import.bad_rows",
            count=len(errors),
            rows="; ".join(errors[:MAX_REPORTED]) + (f"; … {more} more" if more > 0 else ""),
        )
    return plan


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _session_facts(code: str, row: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Client, counselor, number, date and length of a session: the stored ones, else from the row."""
    if code in known:
        s = known[code]
        return {
            "client": s.client,
            "counselor": s.counselor,
            "number": s.number,
            "date": s.date,
            "duration_s": s.duration_s,
        }
    client = check_code(str(row["client"]), "client")
    counselor = "" if _blank(row.get("counselor")) else str(row["counselor"])
    number = row.get("session_number")
    if _blank(number):
        match = _SESSION_NUMBER.search(code)
        number = int(match.group(1)) if match else 1
    date = row.get("session_date")
    try:
        day = dt.date.today() if _blank(date) else pd.Timestamp(date).date()
    except (ValueError, TypeError):
        raise InvalidInput("record.bad_date", value=date) from None
    duration = row.get("duration_s")
    return {
        "client": client,
        "counselor": check_code(counselor or "unknown", "counselor"),
        "number": int(number),  # type: ignore[arg-type]  # checked by _blank above
        "date": day,
        "duration_s": None if _blank(duration) else float(duration),  # type: ignore[arg-type]
    }


def frame_from_bundle(bundle: Any) -> pd.DataFrame:
    """One tidy frame from an :class:`observe.interop.bundle.ImportBundle`: the events of
    every observation with the session facts the file gave (date, length, counselor, number)."""
    parts = []
    for obs in bundle.observations:
        part = obs.events.copy()
        part["session_date"] = obs.date or None
        part["duration_s"] = obs.duration_s
        for name in ("counselor", "session_number"):
            part[name] = obs.attributes.get(name)
        parts.append(part)
    if not parts:
        raise InvalidInput("import.empty")
    return pd.concat(parts, ignore_index=True)
