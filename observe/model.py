"""Events and the rules of coding them (DOMAIN "Data model").

Everything here is pure: functions look at the events an observation has and
*plan* the changes a keypress or an edit makes (a list of :class:`Change`). The
store applies a plan in one transaction and keeps it as an undoable action; the
in-memory :class:`Coding` applies the same plans for tests and previews. So the
state rules and undo/redo exist once, for both.

State rules:
- within one channel a subject has at most one running state; starting a state
  ends the one running in that channel at the same instant;
- pressing a running state's key again ends it;
- states still open when coding ends close at the session end; points have no end.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from observe.errors import InvalidInput
from observe.scheme import CodingScheme

if TYPE_CHECKING:
    import pandas as pd

MS = 3  # times are kept to the millisecond


def ms(t: float) -> float:
    """Round a time in seconds to whole milliseconds (the stored precision)."""
    return round(float(t), MS)


@dataclass(frozen=True)
class Event:
    """One coded cue: a state ``[start_s, end_s)`` (``end_s`` None while running) or a point."""

    subject: str
    cue: str
    channel: str
    kind: str
    start_s: float
    end_s: float | None = None
    modifiers: Mapping[str, str] = field(default_factory=dict)
    comment: str = ""
    id: int | None = None

    @property
    def running(self) -> bool:
        return self.kind == "state" and self.end_s is None

    def covers(self, t: float) -> bool:
        """True if this state is on at ``t`` (half-open; a running state is on from its start)."""
        return self.kind == "state" and self.start_s <= t and (self.end_s is None or t < self.end_s)


@dataclass(frozen=True)
class Change:
    """One row change: insert (``before`` None), delete (``after`` None) or update."""

    before: Event | None
    after: Event | None

    def inverse(self) -> Change:
        return Change(self.after, self.before)


@dataclass(frozen=True)
class Action:
    """What one user action did, undoable as a whole."""

    label: str
    changes: tuple[Change, ...]

    def inverse(self) -> tuple[Change, ...]:
        return tuple(c.inverse() for c in reversed(self.changes))


# -- modifiers -------------------------------------------------------------------------


def format_modifiers(modifiers: Mapping[str, str]) -> str:
    """``{"intensity": "2"}`` → ``"intensity=2"`` (``;`` between pairs, as exported)."""
    return ";".join(f"{k}={v}" for k, v in modifiers.items())


def parse_modifiers(text: str | None) -> dict[str, str]:
    """The inverse of :func:`format_modifiers`; empty or missing text gives ``{}``."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return {}
    pairs: dict[str, str] = {}
    for part in str(text).split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise InvalidInput("event.bad_modifiers", text=text)
        pairs[name.strip()] = value.strip()
    return pairs


def check_modifiers(scheme: CodingScheme, modifiers: Mapping[str, str]) -> dict[str, str]:
    """Modifiers must be the scheme's, with one of their allowed values."""
    allowed = {m.code: m.values for m in scheme.modifiers}
    for name, value in modifiers.items():
        if name not in allowed:
            raise InvalidInput("event.unknown_modifier", modifier=name, allowed=", ".join(allowed) or "-")
        if str(value) not in allowed[name]:
            raise InvalidInput(
                "event.bad_modifier_value", modifier=name, value=value, allowed=", ".join(allowed[name])
            )
    return {k: str(v) for k, v in modifiers.items()}


# -- validation ----------------------------------------------------------------------------


def check_time(t: float, duration_s: float | None = None) -> float:
    """A time must be a finite number ≥ 0 and inside the session when its length is known."""
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise InvalidInput("event.bad_time", value=t) from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInput("event.bad_time", value=t)
    if duration_s is not None and value > duration_s + 1e-9:
        raise InvalidInput("event.after_session_end", value=ms(value), duration=ms(duration_s))
    return ms(value)


def make_event(
    scheme: CodingScheme,
    subject: str,
    cue: str,
    start_s: float,
    end_s: float | None = None,
    *,
    modifiers: Mapping[str, str] | None = None,
    comment: str = "",
    duration_s: float | None = None,
    id: int | None = None,
) -> Event:
    """A validated event: the cue exists for the subject, times are sane, end ≥ start."""
    definition = scheme.cue(cue)
    if subject not in definition.subjects:
        raise InvalidInput("event.cue_not_for_subject", cue=cue, subject=subject)
    start = check_time(start_s, duration_s)
    end: float | None = None
    if definition.kind == "state" and end_s is not None and not _isnan(end_s):
        end = check_time(end_s, duration_s)
        if end < start:
            raise InvalidInput("event.end_before_start", start=start, end=end)
    return Event(
        subject=subject,
        cue=cue,
        channel=definition.channel,
        kind=definition.kind,
        start_s=start,
        end_s=end,
        modifiers=check_modifiers(scheme, modifiers or {}),
        comment=comment or "",
        id=id,
    )


def _isnan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- planning ---------------------------------------------------------------------------------


def _same_lane(events: Iterable[Event], subject: str, channel: str, kind: str = "state") -> list[Event]:
    return sorted(
        (e for e in events if e.subject == subject and e.channel == channel and e.kind == kind),
        key=lambda e: e.start_s,
    )


def plan_cue(events: Iterable[Event], new: Event) -> tuple[Change, ...]:
    """The changes that coding ``new`` at ``new.start_s`` makes (a hotkey press).

    A point is inserted. A state toggles: if the same cue is on at that time it ends
    there; otherwise the state on in that channel ends at that instant and the new
    state starts — running, or up to the next state already coded later in the lane
    (coding after a seek back never overlaps later codes).
    """
    if new.kind == "point":
        return (Change(None, new),)
    t = new.start_s
    lane = _same_lane(events, new.subject, new.channel)
    on = next((e for e in lane if e.covers(t)), None)
    changes: list[Change] = []
    if on is not None:
        if on.start_s == t:
            changes.append(Change(on, None))  # replaced at its own onset: no zero-length state
        else:
            changes.append(Change(on, replace(on, end_s=t)))
        if on.cue == new.cue:
            return tuple(changes)  # the key of the state that is on: end it
    later = [e.start_s for e in lane if e.start_s > t]
    end = min(later) if later else None
    if on is not None and on.end_s is not None and end is None:
        end = on.end_s  # a closed state split by the new one keeps the lane's end
    changes.append(Change(None, replace(new, end_s=end)))
    return tuple(changes)


def plan_edit(events: Iterable[Event], old: Event, new: Event) -> tuple[Change, ...]:
    """Replace ``old`` by ``new`` (same id); a state may not overlap another in its lane."""
    if new.kind == "state":
        end = math.inf if new.end_s is None else new.end_s
        for other in _same_lane(events, new.subject, new.channel):
            if other.id == old.id:
                continue
            other_end = math.inf if other.end_s is None else other.end_s
            if other.start_s < end and new.start_s < other_end:
                raise InvalidInput("event.overlaps", cue=other.cue, start=other.start_s)
    return (Change(old, replace(new, id=old.id)),)


def plan_delete(event: Event) -> tuple[Change, ...]:
    return (Change(event, None),)


def plan_close(events: Iterable[Event], end_s: float) -> tuple[Change, ...]:
    """Close every running state at ``end_s`` (the session end) when coding finishes."""
    return tuple(Change(e, replace(e, end_s=max(e.start_s, ms(end_s)))) for e in events if e.running)


# -- the in-memory coding ---------------------------------------------------------------------


@dataclass
class Coding:
    """An observation's events with undo/redo, in memory: the reference the store must match."""

    events: dict[int, Event] = field(default_factory=dict)
    done: list[Action] = field(default_factory=list)
    undone: list[Action] = field(default_factory=list)
    _next_id: int = 1

    def apply(self, label: str, changes: Iterable[Change]) -> Action:
        """Apply a plan as one new action (this clears the redo stack)."""
        applied = tuple(self._apply_one(c) for c in changes)
        action = Action(label, applied)
        self.done.append(action)
        self.undone.clear()
        return action

    def undo(self) -> Action | None:
        if not self.done:
            return None
        action = self.done.pop()
        for change in action.inverse():
            self._apply_one(change)
        self.undone.append(action)
        return action

    def redo(self) -> Action | None:
        if not self.undone:
            return None
        action = self.undone.pop()
        for change in action.changes:
            self._apply_one(change)
        self.done.append(action)
        return action

    def _apply_one(self, change: Change) -> Change:
        if change.after is None:
            assert change.before is not None and change.before.id is not None
            del self.events[change.before.id]
            return change
        after = change.after
        if after.id is None:
            after = replace(after, id=self._next_id)
        self._next_id = max(self._next_id, after.id + 1)  # type: ignore[operator]
        self.events[after.id] = after  # type: ignore[index]
        return Change(change.before, after)


# -- the workspace records ------------------------------------------------------------------

ROLES: tuple[str, ...] = ("administrator", "supervisor", "counselor", "observer", "researcher")
VALENCE_PROFILES: tuple[str, ...] = ("default", "cultural", "special_needs")
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def check_code(value: str, field_name: str = "code") -> str:
    """A code (client, counselor, username): 1–40 letters, digits, ``-``, ``_`` or ``.``."""
    code = (value or "").strip()
    if not code or len(code) > 40 or not set(code) <= _CODE_CHARS:
        raise InvalidInput("record.bad_code", field=field_name, value=value)
    return code


@dataclass(frozen=True)
class Client:
    """A client, known by a pseudonymous code; the display name is optional."""

    id: int
    code: str
    display_name: str | None
    special_needs: bool
    valence_profile: str
    valence_overrides: Mapping[str, float]
    archived: bool
    is_demo: bool


@dataclass(frozen=True)
class Counselor:
    id: int
    code: str
    name: str | None
    archived: bool
    is_demo: bool


@dataclass(frozen=True)
class User:
    """A person who uses the app; observers are users with that role."""

    id: int
    username: str
    display_name: str | None
    role: str
    active: bool
    is_demo: bool


@dataclass(frozen=True)
class Session:
    """One meeting of a counselor and a client."""

    id: int
    code: str
    client: str
    counselor: str
    number: int
    date: dt.date
    duration_s: float | None
    video_ref: str | None
    parent_present: bool
    notes: str
    attributes: Mapping[str, object]
    archived: bool


@dataclass(frozen=True)
class Observation:
    """One observer's coding of one session with one coding-scheme version."""

    id: int
    session: str
    observer: str
    scheme_name: str
    scheme_version: int
    status: str
    is_reference: bool
    n_events: int = 0
    coded_s: float | None = None
    reached_s: float | None = None  # the furthest video position the coder reached (DOMAIN §9.3)


@dataclass(frozen=True)
class Recorded:
    """What a write did: the action id (for undo) and the events it changed."""

    action_id: int | None
    changes: tuple[Change, ...]
    duplicate: bool = False  # a re-sent keypress that was already stored


# The tidy event frame: the one table shape that storage, analysis, charts and interop exchange.
# One row per event. A state is an interval [start_s, end_s); a point has end_s = NaN. Times are
# seconds with millisecond precision.

#: The leading columns of every events export, in this order (a public contract:
#: scripts and other tools rely on it).
EXPORT_COLUMNS: tuple[str, ...] = (
    "session",  # session code, e.g. "K01-S03"
    "client",  # client pseudonymous code
    "observer",  # observer username
    "subject",  # "counselor", "client" or another scheme subject (e.g. "parent")
    "channel",  # FACE, GAZE, TRUNK, ARMS, SIT, POINT, PROCESS (or a custom scheme's)
    "cue",  # cue code, e.g. "G_EYE"
    "kind",  # "state" or "point"
    "start_s",
    "end_s",  # NaN for points
    "modifiers",  # "intensity=2;context=K", "" when none
    "comment",
)

#: Columns the store adds after the export columns (useful for analysis, joins).
EXTRA_COLUMNS: tuple[str, ...] = (
    "counselor",  # counselor code
    "session_number",  # 1, 2, ... within the client
    "session_date",  # datetime.date
    "duration_s",  # session length in seconds (states still open close here)
    "observation_id",
    "scheme",  # coding scheme name ("default", "boris-b01"): with scheme_version, what a cue means
    "scheme_version",
    "event_id",
)

EVENT_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS + EXTRA_COLUMNS

#: The ME&E channels of the default scheme: exactly one state at any time per subject.
EXHAUSTIVE_CHANNELS: tuple[str, ...] = ("FACE", "GAZE", "TRUNK", "ARMS", "SIT")


def empty_events() -> pd.DataFrame:
    """An event frame with no rows and the right columns."""
    import pandas as pd  # lazily: the model is imported by every CLI command

    return pd.DataFrame(
        {
            c: pd.Series(dtype="float64" if c in ("start_s", "end_s", "duration_s") else "object")
            for c in EVENT_COLUMNS
        }
    )
