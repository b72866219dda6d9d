"""Coding: events (the keypress hot path, edits, deletes), undo/redo, finishing an observation."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from observe import model
from observe.errors import InvalidInput, NotFound, ObservationFinished
from observe.governance.access import Target, allows
from observe.model import Change, Event, Recorded, make_event
from observe.store import tables as T
from observe.store.prepared import Prepared
from observe.store.rows import (
    _event_dict,
    _event_from_dict,
    _event_ids,
    _event_row,
    _now,
    _refuse_overlaps,
)
from observe.store.sessions import SessionsMixin

# The hot path of coding (one keypress = one call) uses statements built once with
# bound parameters: building SQLAlchemy expressions per call costs more than the commit.
_Q_DONE_KEY = select(T.actions.c.id).where(
    T.actions.c.observation_id == bindparam("obs"),
    T.actions.c.client_key == bindparam("key"),
    T.actions.c.client_seq == bindparam("seq"),
)
# A lane holds no overlapping states, so the state on at t is the last one starting at or
# before t, and the next is the first starting after it: two index seeks, whatever the lane's size.
_LANE = (
    T.events.c.observation_id == bindparam("obs"),
    T.events.c.subject == bindparam("subject"),
    T.events.c.channel == bindparam("channel"),
    T.events.c.kind == "state",
)
_Q_LANE_AT = (
    select(T.events)
    .where(
        *_LANE,
        T.events.c.start_s <= bindparam("t"),
        # a zero-length state [t0, t0) is on nowhere: it must not hide the state on at t0
        or_(T.events.c.end_s.is_(None), T.events.c.end_s > T.events.c.start_s),
    )
    .order_by(T.events.c.start_s.desc())
    .limit(1)
)
_Q_LANE_NEXT = (
    select(T.events).where(*_LANE, T.events.c.start_s > bindparam("t")).order_by(T.events.c.start_s).limit(1)
)
# both in one round trip (each side keeps its own ORDER BY ... LIMIT 1)
_Q_LANE = select(union_all(_Q_LANE_AT.subquery().select(), _Q_LANE_NEXT.subquery().select()).subquery())
_REDOABLE = (T.actions.c.undone.is_(True), T.actions.c.discarded.is_(False))
# A new action makes the undone ones unredoable; they stay, with their idempotency keys.
_D_REDO = (
    update(T.actions).where(T.actions.c.observation_id == bindparam("obs"), *_REDOABLE).values(discarded=True)
)
_I_EVENT = insert(T.events)
_EVENT_FIELDS = ("subject", "cue", "channel", "kind", "start_s", "end_s", "modifiers", "comment")
_NEW_EVENT = ("observation_id", *_EVENT_FIELDS, "created_at", "created_by")
_P_EVENT = Prepared(
    insert(T.events).values({name: bindparam(name) for name in _NEW_EVENT}).returning(T.events.c.id)
)
_U_EVENT = Prepared(
    update(T.events)
    .where(T.events.c.id == bindparam("event_id"))
    .values({name: bindparam(f"new_{name}") for name in _EVENT_FIELDS})
)
_D_EVENT = Prepared(delete(T.events).where(T.events.c.id == bindparam("event_id")))
_P_LANE = Prepared(_Q_LANE)
# A finish seals the undo log: nothing before it can be undone or redone, even after a reopen.
_SEAL = (
    update(T.actions)
    .where(T.actions.c.observation_id == bindparam("obs"), T.actions.c.discarded.is_(False))
    .values(discarded=True)
)
_I_ACTION = insert(T.actions)
_ACTION_FIELDS = (
    "observation_id",
    "label",
    "undone",
    "discarded",
    "client_key",
    "client_seq",
    "created_at",
    "created_by",
    "changes",
)
_P_ACTION = Prepared(
    insert(T.actions).values({name: bindparam(name) for name in _ACTION_FIELDS}).returning(T.actions.c.id)
)
_P_HAS_REDO = Prepared(
    update(T.observations).where(T.observations.c.id == bindparam("obs")).values(has_redo=bindparam("value"))
)
_P_D_REDO = Prepared(_D_REDO)


class _AlreadyStored(Exception):
    """A re-sent keypress hit the idempotency key: roll back and report the stored action."""


class CodingMixin(SessionsMixin):
    """Events and their undo log."""

    @contextmanager
    def _coding(self, action: str) -> Iterator[Connection]:
        """The unit of work of a change to an observation's events: the permission is asked
        on the observation itself (:meth:`_observation_context`, under its row lock) and the
        audit row is written by :meth:`_apply` (one per action, naming the events it changed)."""
        with self.acting(action, entity="observation", checked=True) as work:
            work.audited = False
            yield work.conn

    def finish_observation(self, observation_id: int, coded_s: float | None = None) -> Recorded:
        """Mark coding finished at E = ``coded_s`` (DOMAIN §9.3; default: the latest event
        time or the video position reached (:meth:`note_reached`), whichever is later): states still running end at E, and E is kept (:attr:`Observation.coded_s`).
        Refused (nothing changes) for E beyond the session, before a coded event, or on the
        onset of a running state, and for an observation already finished (reopen it first)."""
        from observe.coding.extent import summarize

        with self._coding("observation.finish") as conn:
            _scheme, duration, status, _redo = self._observation_context(
                conn, observation_id, "observation.finish", coding=False
            )
            if status == "finished":
                raise InvalidInput("finish.already_finished")
            reached = conn.execute(
                select(T.observations.c.reached_s).where(T.observations.c.id == observation_id)
            ).scalar()
            summary = summarize(
                self._lane_events(conn, observation_id, kinds=("state", "point")),
                duration,
                coded_s=coded_s,
                position_s=reached,
            )
            if summary.problem is not None:
                raise summary.problem
            changes = summary.changes()
            recorded = self._apply(conn, observation_id, "finish", changes) if changes else Recorded(None, ())
            conn.execute(_SEAL, {"obs": observation_id})
            conn.execute(
                update(T.observations)
                .where(T.observations.c.id == observation_id)
                .values(status="finished", finished_at=_now(), coded_s=summary.coded_s, has_redo=False)
            )
            unblinded = self._mark_unblinded(conn, observation_id)
            self._audit_observation(
                conn, observation_id, "observation.finish", coded_s=summary.coded_s, unblinded=unblinded
            )
        self.refresh()  # an observer may now read the others' coding of this session
        return recorded

    def reopen_observation(self, observation_id: int) -> None:
        """Open a finished observation for coding again. Once every coder of its session had
        finished (each could see the others' coding), that is a supervisor's action
        (``observation.reopen_unblinded``) and the observation keeps the mark
        "reopened after unblinding" (:meth:`reopened_after_unblinding`)."""
        with self._coding("observation.reopen") as conn:
            self._observation_context(conn, observation_id, None, coding=False)
            session = conn.execute(
                select(
                    T.sessions.c.id, T.sessions.c.counselor_id, T.sessions.c.unblinded_at, T.sessions.c.code
                )
                .join(T.observations, T.observations.c.session_id == T.sessions.c.id)
                .where(T.observations.c.id == observation_id)
            ).one()
            after = session.unblinded_at is not None
            target = Target.of(counselors=[session.counselor_id], sessions=[session.id])
            if after and not allows(self.principal, "observation.reopen_unblinded", target):
                self._deny("observation.reopen_unblinded", "blind.reopen_unblinded", session=session.code)
            if not after:
                self._observation_context(conn, observation_id, "observation.finish", coding=False)
            # back to "in progress": the coded extent is forgotten until the next finish
            values: dict[str, Any] = {"status": "open", "finished_at": None, "coded_s": None}
            if after:
                values["reopened_unblinded"] = True
            conn.execute(update(T.observations).where(T.observations.c.id == observation_id).values(**values))
            self._audit_observation(conn, observation_id, "observation.reopen", after_unblinding=after)
        self.refresh()

    def note_reached(self, observation_id: int, reached_s: float) -> float:
        """Keep the furthest video position (or live-clock time) the coder has reached, for
        the default coded extent E (DOMAIN §9.3); returns the position kept (it only grows).

        Asked as a write of the observation's events (only who may code it may move it). Not
        audited: it is where the coder's video was, not coded data, and the browser reports it
        every few seconds while the video plays; finishing audits the E it leads to."""
        value = model.check_time(reached_s)
        with self._coding("observation.reached") as conn:
            self._observation_context(conn, observation_id, "event.write")
            column = T.observations.c.reached_s
            conn.execute(
                update(T.observations)
                .where(T.observations.c.id == observation_id, or_(column.is_(None), column < value))
                .values(reached_s=value)
            )
            kept = conn.execute(select(column).where(T.observations.c.id == observation_id)).scalar()
        return float(kept if kept is not None else value)

    def _mark_unblinded(self, conn: Connection, observation_id: int) -> bool:
        """Note when a session's coding became visible to its coders: every observation (two or
        more) finished and no assigned coder still to start. True if that happened now."""
        session_id = conn.execute(
            select(T.observations.c.session_id).where(T.observations.c.id == observation_id)
        ).scalar_one()
        statuses = list(
            conn.execute(
                select(T.observations.c.status).where(T.observations.c.session_id == session_id)
            ).scalars()
        )
        waiting = conn.execute(
            select(T.session_observers.c.user_id).where(
                T.session_observers.c.session_id == session_id,
                T.session_observers.c.user_id.not_in(
                    select(T.observations.c.observer_id).where(T.observations.c.session_id == session_id)
                ),
            )
        ).first()
        if len(statuses) < 2 or any(s != "finished" for s in statuses) or waiting is not None:
            return False
        done = conn.execute(
            update(T.sessions)
            .where(T.sessions.c.id == session_id, T.sessions.c.unblinded_at.is_(None))
            .values(unblinded_at=_now())
        )
        return bool(done.rowcount)

    def reopened_after_unblinding(self, session: str) -> list[str]:
        """Observers of ``session`` whose observation was reopened after every coder had finished
        (they may have seen the others' coding): agreement views mark them."""
        self.session(session)
        with self._read() as conn:
            return list(
                conn.execute(
                    select(T.users.c.username)
                    .join(T.observations, T.observations.c.observer_id == T.users.c.id)
                    .join(T.sessions, T.sessions.c.id == T.observations.c.session_id)
                    .where(T.sessions.c.code == session, T.observations.c.reopened_unblinded.is_(True))
                    .order_by(T.users.c.username)
                ).scalars()
            )

    def record(
        self,
        observation_id: int,
        subject: str,
        cue: str,
        t: float,
        *,
        modifiers: Mapping[str, str] | None = None,
        comment: str = "",
        client_key: str | None = None,
        client_seq: int | None = None,
    ) -> Recorded:
        """Code ``cue`` for ``subject`` at time ``t`` (a hotkey press), with the state rules.

        With ``client_key``/``client_seq`` the write is idempotent: a keypress the
        browser re-sends is stored once (the recorder's outbox relies on this).
        """
        try:
            with self._coding("event.write") as conn:
                return self._record(
                    conn, observation_id, subject, cue, t, modifiers, comment, client_key, client_seq
                )
        except _AlreadyStored:
            done = self._stored_key(observation_id, client_key, client_seq)
            return Recorded(done, (), duplicate=True)
        except ObservationFinished:
            # a keypress stored before the finish, re-sent because its acknowledgement was lost
            done = self._stored_key(observation_id, client_key, client_seq)
            if done is None:
                raise
            return Recorded(done, (), duplicate=True)

    def _stored_key(self, observation_id: int, client_key: str | None, client_seq: int | None) -> int | None:
        """The action stored under a keypress's idempotency key, if any."""
        if client_key is None or client_seq is None:
            return None
        with self._read() as conn:
            done = conn.execute(
                _Q_DONE_KEY, {"obs": observation_id, "key": client_key, "seq": client_seq}
            ).scalar()
        return None if done is None else int(done)

    def _record(
        self,
        conn: Connection,
        observation_id: int,
        subject: str,
        cue: str,
        t: float,
        modifiers: Mapping[str, str] | None,
        comment: str,
        client_key: str | None,
        client_seq: int | None,
    ) -> Recorded:
        """Plan from the stored lane, apply and log: the body of :meth:`record`'s transaction."""
        scheme, duration, _status, has_redo = self._observation_context(conn, observation_id)
        new = make_event(scheme, subject, cue, t, modifiers=modifiers, comment=comment, duration_s=duration)
        lane: list[Event] = []
        if new.kind == "state":  # a point needs no look at its lane
            params = {
                "obs": observation_id,
                "subject": new.subject,
                "channel": new.channel,
                "t": new.start_s,
            }
            lane = [_event_row(r) for r in _P_LANE.all(conn, params)]
        changes = model.plan_cue(lane, new)
        return self._apply(
            conn,
            observation_id,
            f"{subject}:{cue}@{new.start_s}",
            changes,
            client_key,
            client_seq,
            clear_redo=has_redo,
        )

    def add_event(
        self,
        observation_id: int,
        subject: str,
        cue: str,
        start_s: float,
        end_s: float | None = None,
        *,
        modifiers: Mapping[str, str] | None = None,
        comment: str = "",
    ) -> Recorded:
        """Add one complete event (a state with its end, or a point) without the toggle rules;
        refused if the state would overlap another in its lane."""
        with self._coding("event.write") as conn:
            scheme, duration, _status, _redo = self._observation_context(conn, observation_id)
            new = make_event(
                scheme,
                subject,
                cue,
                start_s,
                end_s,
                modifiers=modifiers,
                comment=comment,
                duration_s=duration,
            )
            lane = self._lane_events(conn, observation_id, subject=subject, channel=new.channel)
            model.plan_edit(lane, replace(new, id=-1), new)  # overlap check only
            return self._apply(conn, observation_id, f"add {subject}:{cue}", (Change(None, new),))

    def edit_event(self, event_id: int, **changes: Any) -> Recorded:
        """Change an event's time, end, cue, subject, modifiers or comment (validated)."""
        with self._coding("event.edit") as conn:
            old, observation_id = self._event(conn, event_id)
            scheme, duration, _status, _redo = self._observation_context(conn, observation_id, "event.edit")
            allowed = {"start_s", "end_s", "cue", "subject", "modifiers", "comment"}
            unknown = set(changes) - allowed
            if unknown:
                raise InvalidInput("record.unknown_fields", fields=", ".join(sorted(unknown)))
            merged: dict[str, Any] = {
                "subject": old.subject,
                "cue": old.cue,
                "start_s": old.start_s,
                "end_s": old.end_s,
                "modifiers": old.modifiers,
                "comment": old.comment,
            } | changes
            if isinstance(merged["modifiers"], str):
                merged["modifiers"] = model.parse_modifiers(merged["modifiers"])
            new = make_event(
                scheme,
                merged["subject"],
                merged["cue"],
                merged["start_s"],
                merged["end_s"],
                modifiers=merged["modifiers"],
                comment=merged["comment"],
                duration_s=duration,
                id=old.id,
            )
            lane = self._lane_events(conn, observation_id, subject=new.subject, channel=new.channel)
            return self._apply(conn, observation_id, f"edit #{event_id}", model.plan_edit(lane, old, new))

    def delete_event(self, event_id: int) -> Recorded:
        with self._coding("event.delete") as conn:
            old, observation_id = self._event(conn, event_id)
            self._observation_context(conn, observation_id, "event.delete")
            return self._apply(conn, observation_id, f"delete #{event_id}", model.plan_delete(old))

    def undo(
        self, observation_id: int, *, client_key: str | None = None, client_seq: int | None = None
    ) -> Recorded:
        """Undo the observation's last action (keypress, edit, delete); nothing if none is left.

        With ``client_key``/``client_seq`` (the recorder's outbox) a re-sent undo is done once."""
        return self._step(observation_id, undo=True, client_key=client_key, client_seq=client_seq)

    def redo(
        self, observation_id: int, *, client_key: str | None = None, client_seq: int | None = None
    ) -> Recorded:
        """Redo the action undone last; nothing if there is none (a new action clears redo)."""
        return self._step(observation_id, undo=False, client_key=client_key, client_seq=client_seq)

    def _step(
        self, observation_id: int, *, undo: bool, client_key: str | None, client_seq: int | None
    ) -> Recorded:
        name = "event.undo" if undo else "event.redo"
        try:
            with self._coding("event.undo") as conn:
                self._observation_context(conn, observation_id, "event.undo")
                if client_key is not None and client_seq is not None:
                    self._mark_done(conn, observation_id, name, client_key, client_seq)
                if undo:
                    found = select(func.max(T.actions.c.id)).where(
                        T.actions.c.observation_id == observation_id,
                        T.actions.c.undone.is_(False),
                        T.actions.c.discarded.is_(False),
                    )
                else:
                    found = select(func.min(T.actions.c.id)).where(
                        T.actions.c.observation_id == observation_id, *_REDOABLE
                    )
                action_id = conn.execute(found).scalar()
                if action_id is None:
                    return Recorded(None, ())
                stored = self._action_changes(conn, int(action_id))
                changes = model.Action("", stored).inverse() if undo else stored
                for change in changes:
                    self._apply_change(conn, observation_id, change)
                conn.execute(update(T.actions).where(T.actions.c.id == action_id).values(undone=undo))
                left = conn.execute(
                    select(T.actions.c.id)
                    .where(T.actions.c.observation_id == observation_id, *_REDOABLE)
                    .limit(1)
                ).first()
                self._set_has_redo(conn, observation_id, left is not None)
                self._audit_observation(
                    conn, observation_id, name, action_id=int(action_id), events=_event_ids(changes)
                )
                return Recorded(int(action_id), changes)
        except _AlreadyStored:
            return Recorded(None, (), duplicate=True)
        except ObservationFinished:
            if self._stored_key(observation_id, client_key, client_seq) is None:
                raise
            return Recorded(None, (), duplicate=True)

    def _mark_done(
        self, conn: Connection, observation_id: int, label: str, client_key: str, client_seq: int
    ) -> None:
        """Keep the idempotency key of an undo/redo keypress: a marker action that is never
        undone or redone itself; a re-sent one hits the unique key and is not done twice."""
        try:
            with conn.begin_nested():
                conn.execute(
                    _I_ACTION,
                    {
                        "observation_id": observation_id,
                        "label": label,
                        "undone": True,
                        "discarded": True,
                        "client_key": client_key,
                        "client_seq": client_seq,
                        "created_at": _now(),
                        "created_by": self.actor,
                        "changes": "[]",
                    },
                )
        except IntegrityError:
            raise _AlreadyStored() from None

    @staticmethod
    def _set_has_redo(conn: Connection, observation_id: int, value: bool) -> None:
        """Keep the observation's redo flag, so a keypress need not search the action log."""
        _P_HAS_REDO.execute(conn, {"obs": observation_id, "value": value})

    def can_undo_redo(self, observation_id: int) -> tuple[bool, bool]:
        self._check_observation_read(observation_id)
        with self._read() as conn:
            rows = conn.execute(
                select(T.actions.c.undone, func.count())
                .where(T.actions.c.observation_id == observation_id, T.actions.c.discarded.is_(False))
                .group_by(T.actions.c.undone)
            ).all()
        counts = {bool(undone): int(n) for undone, n in rows}
        return counts.get(False, 0) > 0, counts.get(True, 0) > 0

    def events(self, observation_id: int) -> list[Event]:
        """The observation's events in time order."""
        self._check_observation_read(observation_id)
        with self._read() as conn:
            return self._lane_events(conn, observation_id, kinds=("state", "point"))

    def import_events(
        self, observation_id: int, events: Iterable[Event], *, label: str = "import"
    ) -> Recorded:
        """Write many complete events in one transaction (all or nothing), as one undoable action.
        Events must be validated (:func:`observe.model.make_event`) and must not overlap in a lane."""
        batch = list(events)
        with self._coding("event.write") as conn:
            self._observation_context(conn, observation_id)
            existing = self._lane_events(conn, observation_id)
            lanes: dict[tuple[str, str], list[Event]] = {}
            for e in existing + batch:
                if e.kind == "state":
                    lanes.setdefault((e.subject, e.channel), []).append(e)
            for lane in lanes.values():
                _refuse_overlaps(lane)
            return self._apply(conn, observation_id, label, tuple(Change(None, e) for e in batch))

    def _apply(
        self,
        conn: Connection,
        observation_id: int,
        label: str,
        changes: Iterable[Change],
        client_key: str | None = None,
        client_seq: int | None = None,
        *,
        clear_redo: bool = True,
    ) -> Recorded:
        """Apply a plan and log it as one action; a new action clears the redo stack."""
        if clear_redo:
            _P_D_REDO.execute(conn, {"obs": observation_id})
            self._set_has_redo(conn, observation_id, False)
        applied = tuple(self._apply_change(conn, observation_id, c) for c in changes)
        values = {
            "observation_id": observation_id,
            "label": label[:200],
            "undone": False,
            "discarded": False,
            "client_key": client_key,
            "client_seq": client_seq,
            "created_at": _now(),
            "created_by": self.actor,
            "changes": json.dumps(
                [[_event_dict(c.before), _event_dict(c.after)] for c in applied], ensure_ascii=False
            ),
        }
        try:
            # the idempotency check is the unique key itself: no extra query per keypress
            action_id = _P_ACTION.all(conn, values)[0].id
        except IntegrityError:
            if client_key is None:
                raise
            raise _AlreadyStored() from None
        # The action row just written IS the audit row of this change (who, when, which
        # observation, the events before and after): Store.audit_log reads it as "event.change".
        # One row less per keypress, and the trail goes with the observation on an erasure.
        return Recorded(int(action_id), applied)

    def _apply_change(self, conn: Connection, observation_id: int, change: Change) -> Change:
        after = change.after
        if after is None:
            assert (
                change.before is not None and change.before.id is not None
            )  # plans delete stored events only
            _D_EVENT.execute(conn, {"event_id": change.before.id})
            return change
        values = {
            "observation_id": observation_id,
            "subject": after.subject,
            "cue": after.cue,
            "channel": after.channel,
            "kind": after.kind,
            "start_s": after.start_s,
            "end_s": after.end_s,
            "modifiers": model.format_modifiers(after.modifiers),
            "comment": after.comment,
        }
        if change.before is None:
            values |= {"created_at": _now(), "created_by": self.actor}
            if after.id is not None:  # redo of an insert keeps the event's id
                conn.execute(_I_EVENT, values | {"id": after.id})
                return change
            new_id = _P_EVENT.all(conn, values)[0].id
            return Change(None, replace(after, id=int(new_id)))
        _U_EVENT.execute(
            conn, {"event_id": change.before.id} | {f"new_{k}": values[k] for k in _EVENT_FIELDS}
        )
        return change

    def _action_changes(self, conn: Connection, action_id: int) -> tuple[Change, ...]:
        text = conn.execute(select(T.actions.c.changes).where(T.actions.c.id == action_id)).scalar_one()
        return tuple(
            Change(_event_from_dict(before), _event_from_dict(after)) for before, after in json.loads(text)
        )

    def _event(self, conn: Connection, event_id: int) -> tuple[Event, int]:
        row = conn.execute(select(T.events).where(T.events.c.id == event_id)).first()
        if row is None:
            raise NotFound("record.no_event", id=event_id)
        return _event_row(row), int(row.observation_id)

    def _lane_events(
        self,
        conn: Connection,
        observation_id: int,
        *,
        subject: str | None = None,
        channel: str | None = None,
        after: float | None = None,
        kinds: tuple[str, ...] = ("state",),
    ) -> list[Event]:
        """Events of an observation, narrowed to one lane and to states still on at or after ``after``."""
        query = select(T.events).where(
            T.events.c.observation_id == observation_id, T.events.c.kind.in_(kinds)
        )
        if subject is not None:
            query = query.where(T.events.c.subject == subject)
        if channel is not None:
            query = query.where(T.events.c.channel == channel)
        if after is not None:
            query = query.where(
                or_(T.events.c.end_s.is_(None), T.events.c.end_s > after, T.events.c.start_s >= after)
            )
        return [_event_row(r) for r in conn.execute(query.order_by(T.events.c.start_s, T.events.c.id))]

    # -- reading for analysis and export ----------------------------------------------------------------------------------
    def events_frame(
        self,
        *,
        session: str | None = None,
        observation_id: int | None = None,
        observer: str | None = None,
        client: str | None = None,
    ) -> pd.DataFrame:
        """The tidy event frame (``observe.model.EVENT_COLUMNS``) of the chosen events: only the
        observations the acting user may read (:meth:`observations`)."""
        from observe.store.frames import read_events_frame

        self._allow("event.read")
        frame = read_events_frame(
            self, session=session, observation_id=observation_id, observer=observer, client=client
        )
        if self.principal.is_admin:
            return frame
        visible = {o.id for o in self._observation_list(checked=True)}
        return frame[frame["observation_id"].isin(visible)].reset_index(drop=True)
