"""Row conversion and small checks shared by the store's domain modules."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from typing import Any

from observe import model
from observe.errors import InvalidInput
from observe.model import Change, Client, Event, Session, User


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _check_duration(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        duration = float(value)
    except (TypeError, ValueError):
        raise InvalidInput("record.bad_duration", value=value) from None
    if not math.isfinite(duration) or duration <= 0:
        raise InvalidInput("record.bad_duration", value=value)
    return round(duration, 3)


def _refuse_overlaps(lane: list[Event]) -> None:
    ordered = sorted(lane, key=lambda e: e.start_s)
    for prev, nxt in zip(ordered, ordered[1:], strict=False):
        prev_end = math.inf if prev.end_s is None else prev.end_s
        if nxt.start_s < prev_end:
            raise InvalidInput("event.overlaps", cue=prev.cue, start=prev.start_s)


def _client(row: Any) -> Client:
    return Client(
        row.id,
        row.code,
        row.display_name,
        bool(row.special_needs),
        row.valence_profile,
        json.loads(row.valence_overrides or "{}"),
        bool(row.archived),
        bool(row.is_demo),
    )


def _user(row: Any) -> User:
    return User(row.id, row.username, row.display_name, row.role, bool(row.active), bool(row.is_demo))


def _session(row: Any) -> Session:
    date = row.date if isinstance(row.date, dt.date) else dt.date.fromisoformat(str(row.date))
    return Session(
        id=row.id,
        code=row.code,
        client=row.client_code,
        counselor=row.counselor_code,
        number=int(row.number),
        date=date,
        duration_s=row.duration_s,
        video_ref=row.video_ref,
        parent_present=bool(row.parent_present),
        notes=row.notes or "",
        attributes=json.loads(row.attributes or "{}"),
        archived=bool(row.archived),
    )


def _event_row(row: Any) -> Event:
    return Event(
        subject=row.subject,
        cue=row.cue,
        channel=row.channel,
        kind=row.kind,
        start_s=float(row.start_s),
        end_s=None if row.end_s is None else float(row.end_s),
        modifiers=model.parse_modifiers(row.modifiers),
        comment=row.comment or "",
        id=int(row.id),
    )


def _event_dict(event: Event | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "id": event.id,
        "subject": event.subject,
        "cue": event.cue,
        "channel": event.channel,
        "kind": event.kind,
        "start_s": event.start_s,
        "end_s": event.end_s,
        "modifiers": dict(event.modifiers),
        "comment": event.comment,
    }


def _event_ids(changes: Iterable[Change]) -> list[int]:
    """The ids of the events a plan touched (for the audit trail)."""
    return sorted({e.id for c in changes for e in (c.before, c.after) if e is not None and e.id is not None})


def _event_from_dict(data: dict[str, Any] | None) -> Event | None:
    return None if data is None else Event(**data)
