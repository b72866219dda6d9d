"""Sessions and observations: who met whom when, who codes which session."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from observe.errors import InvalidInput, NotFound, ObservationFinished, PermissionDenied
from observe.governance.access import Target, allows
from observe.model import Observation, Session
from observe.scheme import CodingScheme
from observe.store import tables as T
from observe.store.core import _ObservationClient
from observe.store.people import PeopleMixin
from observe.store.prepared import Prepared
from observe.store.rows import (
    _check_duration,
    _client,
    _now,
    _session,
    _user,
)

_Q_CONTEXT = (
    select(
        T.observations.c.scheme_id,
        T.observations.c.status,
        T.sessions.c.duration_s,
        T.observations.c.has_redo,
        # for the permission check (observe.governance.access): no extra query per keypress
        T.observations.c.observer_id,
        T.observations.c.session_id,
        T.sessions.c.counselor_id,
    )
    .join(T.sessions, T.sessions.c.id == T.observations.c.session_id)
    .where(T.observations.c.id == bindparam("obs"))
)
# serialise writes per observation (PostgreSQL); on the keypress hot path: prepared
_Q_CONTEXT_LOCKED = Prepared(_Q_CONTEXT.with_for_update(of=T.observations))


class _Context(NamedTuple):
    scheme: CodingScheme
    duration_s: float | None
    status: str
    has_redo: bool


class SessionsMixin(PeopleMixin):
    """Sessions, observer assignments and observations (reading and opening)."""

    def add_session(
        self,
        client: str,
        counselor: str,
        *,
        date: dt.date,
        number: int | None = None,
        duration_s: float | None = None,
        video_ref: str | None = None,
        parent_present: bool = False,
        notes: str = "",
        attributes: Mapping[str, object] | None = None,
    ) -> Session:
        """A new session of ``client`` with ``counselor``; numbered next for the client unless given."""
        c = _client(self._client_row(client))
        k = self._counselor_out(self._counselor_row(counselor))
        with self._read() as conn:
            client_target = self._client_target(conn, c.id)
        self._allow("session.create", Target.of(counselors=[k.id]))
        if client_target.counselors:  # a client already someone's: the user must reach it too
            self._allow("client.update", client_target)
        if notes:
            self._allow("client.identity", Target.of(counselors=[k.id]))
        duration = _check_duration(duration_s)
        if not isinstance(date, dt.date):
            raise InvalidInput("record.bad_date", value=date)
        with self.acting("session.create", entity="session", checked=True) as work:
            conn = work.conn
            if number is None:
                last = conn.execute(
                    select(func.max(T.sessions.c.number)).where(T.sessions.c.client_id == c.id)
                ).scalar()
                number = int(last or 0) + 1
            if number < 1:
                raise InvalidInput("record.bad_number", value=number)
            code = f"{c.code}-S{number:02d}"
            if conn.execute(select(T.sessions.c.id).where(T.sessions.c.code == code)).first() is not None:
                raise InvalidInput("record.session_exists", code=code)
            conn.execute(
                insert(T.sessions).values(
                    code=code,
                    client_id=c.id,
                    counselor_id=k.id,
                    number=number,
                    date=date,
                    duration_s=duration,
                    video_ref=video_ref,
                    parent_present=bool(parent_present),
                    notes=notes or "",
                    attributes=json.dumps(
                        dict(attributes or {}), ensure_ascii=False, sort_keys=True, default=str
                    ),
                    archived=False,
                    created_at=_now(),
                )
            )
            work.record(code, client_id=c.id)
        return self._session_out(self._session_row(code))

    def update_session(self, code: str, **changes: Any) -> Session:
        """Change a session's counselor, date, duration, video, parent flag, notes, attributes or archived flag."""
        row = self._session_row(code)
        old = _session(row)
        target = self._session_target(row)
        changed = sorted(k for k in changes if changes[k] != getattr(old, k, None))
        self._allow("session.archive" if changed == ["archived"] else "session.update", target)
        if "notes" in changed:
            self._allow("client.identity", target)
        if "video_ref" in changed:
            self._allow("video.upload", target)
        values: dict[str, Any] = {}
        if "counselor" in changes:
            values["counselor_id"] = self._counselor_row(changes.pop("counselor")).id
            self._allow("session.update", Target.of(counselors=[values["counselor_id"]]))
        if "duration_s" in changes:
            values["duration_s"] = _check_duration(changes.pop("duration_s"))
        if "date" in changes:
            if not isinstance(changes["date"], dt.date):
                raise InvalidInput("record.bad_date", value=changes["date"])
            values["date"] = changes.pop("date")
        if "attributes" in changes:
            values["attributes"] = json.dumps(
                dict(changes.pop("attributes")), ensure_ascii=False, sort_keys=True, default=str
            )
        for name in ("video_ref", "parent_present", "notes", "archived"):
            if name in changes:
                values[name] = changes.pop(name)
        if changes:
            raise InvalidInput("record.unknown_fields", fields=", ".join(changes))
        with self.acting("session.update", entity="session", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.sessions).where(T.sessions.c.id == old.id).values(**values))
            work.record(old.code, client_id=row.client_id, fields=changed)
        return self._session_out(self._session_row(code))

    def _session_query(self) -> Any:
        return (
            select(
                T.sessions,
                T.clients.c.code.label("client_code"),
                T.counselors.c.code.label("counselor_code"),
            )
            .join(T.clients, T.clients.c.id == T.sessions.c.client_id)
            .join(T.counselors, T.counselors.c.id == T.sessions.c.counselor_id)
        )

    def _session_row(self, ref: str | int) -> Any:
        """The session's row, unchecked (internal look-ups only)."""
        query = self._session_query()
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdecimal()):  # "²".isdigit(), yet no int
            query = query.where(T.sessions.c.id == int(ref))
        else:
            query = query.where(T.sessions.c.code == ref)
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound("record.no_session", ref=ref)
        return row

    def _session_out(self, row: Any) -> Session:
        """The session as the acting user may see it: notes only with ``client.identity``."""
        session = _session(row)
        if self.principal.is_admin or allows(self.principal, "client.identity", self._session_target(row)):
            return session
        return replace(session, notes="")

    def session(self, ref: str | int) -> Session:
        """A session by code (``K01-S03``) or numeric id."""
        row = self._session_row(ref)
        self._allow("session.read", self._session_target(row))
        return self._session_out(row)

    def session_target(self, ref: str | int) -> Target:
        """What permissions about this session are asked about (for pages and helpers: ``store.may``)."""
        return self._session_target(self._session_row(ref))

    def session_client_id(self, ref: str | int) -> int:
        """The internal id of the session's client (for audit rows that must go with an erasure)."""
        return int(self._session_row(ref).client_id)

    def observation_session(self, observation_id: int) -> int:
        """The id of the session an observation (that the acting user may read) belongs to."""
        self._check_observation_read(observation_id)
        with self._read() as conn:
            found = conn.execute(
                select(T.observations.c.session_id).where(T.observations.c.id == observation_id)
            ).scalar()
        if found is None:
            raise NotFound("record.no_observation", id=observation_id)
        return int(found)

    def sessions(
        self, *, client: str | None = None, counselor: str | None = None, include_archived: bool = False
    ) -> list[Session]:
        """The sessions the acting user may see."""
        self._allow("session.read")
        query = self._session_query().order_by(T.clients.c.code, T.sessions.c.number)
        if client:
            query = query.where(T.clients.c.code == client)
        if counselor:
            query = query.where(T.counselors.c.code == counselor)
        if not include_archived:
            query = query.where(T.sessions.c.archived.is_(False))
        with self._read() as conn:
            rows = conn.execute(query).all()
        me = self.principal
        return [
            self._session_out(r)
            for r in rows
            if me.is_admin or allows(me, "session.read", self._session_target(r))
        ]

    def assign_observer(self, session: str, username: str) -> None:
        """Attach an observer (a user) to a session: they may code it."""
        row = self._session_row(session)
        s = _session(row)
        u = _user(self._user_row(username))
        with self.acting(
            "session.assign",
            self._session_target(row),
            entity="session",
            entity_id=s.code,
            client_id=row.client_id,
        ) as work:
            conn = work.conn
            work.record(observer=username)
            exists = conn.execute(
                select(T.session_observers).where(
                    T.session_observers.c.session_id == s.id, T.session_observers.c.user_id == u.id
                )
            ).first()
            if exists is None:
                conn.execute(insert(T.session_observers).values(session_id=s.id, user_id=u.id))
            else:
                work.audited = False  # nothing changed

    def unassign_observer(self, session: str, username: str) -> None:
        row = self._session_row(session)
        self._allow("session.assign", self._session_target(row))
        s = _session(row)
        u = _user(self._user_row(username))
        with self.acting("session.unassign", entity="session", checked=True) as work:
            conn = work.conn
            conn.execute(
                delete(T.session_observers).where(
                    T.session_observers.c.session_id == s.id, T.session_observers.c.user_id == u.id
                )
            )
            work.record(s.code, client_id=row.client_id, observer=username)

    def observers_of(self, session: str) -> list[str]:
        s = self.session(session)
        with self._read() as conn:
            rows = conn.execute(
                select(T.users.c.username)
                .join(T.session_observers, T.session_observers.c.user_id == T.users.c.id)
                .where(T.session_observers.c.session_id == s.id)
                .order_by(T.users.c.username)
            )
            return [r.username for r in rows]

    # -- observations -------------------------------------------------------------------------------------------
    def open_observation(
        self, session: str | int, observer: str, *, scheme: CodingScheme | None = None
    ) -> Observation:
        """The observer's observation of the session, created (with the latest default scheme
        unless ``scheme`` is given) on first use. Opening one for someone else is assigning them."""
        row = self._session_row(session)
        target = self._session_target(row)
        s = _session(row)
        scheme_id = self._save_scheme(scheme) if scheme else self._latest_scheme_id("default")
        with self.acting(
            "observation.open" if observer == self.actor else "session.assign",
            target,
            audit="observation.open",
            entity="session",
            entity_id=s.code,
            client_id=row.client_id,
        ) as work:
            conn = work.conn
            work.record(observer=observer)
            user_id = self._ensure_user(work, observer)
            found = conn.execute(
                select(T.observations.c.id).where(
                    T.observations.c.session_id == s.id, T.observations.c.observer_id == user_id
                )
            ).scalar()
            if found is None:
                conn.execute(
                    insert(T.observations).values(
                        session_id=s.id,
                        observer_id=user_id,
                        scheme_id=scheme_id,
                        status="open",
                        is_reference=False,
                        has_redo=False,
                        created_at=_now(),
                    )
                )
                if (
                    conn.execute(
                        select(T.session_observers).where(
                            T.session_observers.c.session_id == s.id, T.session_observers.c.user_id == user_id
                        )
                    ).first()
                    is None
                ):
                    conn.execute(insert(T.session_observers).values(session_id=s.id, user_id=user_id))
            else:
                work.audited = False  # opened before: nothing changed
        self.refresh()  # the acting user may now be assigned to this session
        return next(o for o in self._observation_list(session=s.code) if o.observer == observer)

    def observations(self, *, session: str | None = None, observer: str | None = None) -> list[Observation]:
        """The observations the acting user may read: their own, and others' where their role
        allows (an observer's peers only after finishing their own: ``observation.read_others``)."""
        self._allow("event.read")
        return self._observation_list(session=session, observer=observer, checked=True)

    def _observation_list(
        self, *, session: str | None = None, observer: str | None = None, checked: bool = False
    ) -> list[Observation]:
        counts = (
            select(T.events.c.observation_id, func.count().label("n"))
            .group_by(T.events.c.observation_id)
            .subquery()
        )
        query = (
            select(
                T.observations,
                T.sessions.c.code.label("session_code"),
                T.users.c.username,
                T.schemes.c.name.label("scheme_name"),
                T.schemes.c.version.label("scheme_version"),
                func.coalesce(counts.c.n, 0).label("n_events"),
                T.sessions.c.counselor_id,
            )
            .join(T.sessions, T.sessions.c.id == T.observations.c.session_id)
            .join(T.users, T.users.c.id == T.observations.c.observer_id)
            .join(T.schemes, T.schemes.c.id == T.observations.c.scheme_id)
            .outerjoin(counts, counts.c.observation_id == T.observations.c.id)
            .order_by(T.sessions.c.code, T.users.c.username)
        )
        if session:
            query = query.where(T.sessions.c.code == session)
        if observer:
            query = query.where(T.users.c.username == observer)
        with self._read() as conn:
            rows = conn.execute(query).all()
        admin = self.principal.is_admin
        return [
            Observation(
                r.id,
                r.session_code,
                r.username,
                r.scheme_name,
                int(r.scheme_version),
                r.status,
                bool(r.is_reference),
                int(r.n_events),
                coded_s=None if r.coded_s is None else float(r.coded_s),
                reached_s=None if r.reached_s is None else float(r.reached_s),
            )
            for r in rows
            if admin
            or not checked
            or self._may_read_observation(int(r.observer_id), int(r.session_id), int(r.counselor_id))
        ]

    def observation(self, observation_id: int) -> Observation:
        self._check_observation_read(observation_id)
        for obs in self._observation_list():
            if obs.id == observation_id:
                return obs
        raise NotFound("record.no_observation", id=observation_id)

    def observer_of(self, observation_id: int) -> str:
        """The username of the observation's observer (refused if the acting user may not read it)."""
        self._check_observation_read(observation_id)
        query = (
            select(T.users.c.username)
            .join(T.observations, T.observations.c.observer_id == T.users.c.id)
            .where(T.observations.c.id == observation_id)
        )
        with self._read() as conn:
            return str(conn.execute(query).scalar_one())

    def _check_observation_read(self, observation_id: int) -> None:
        """Refuse reading an observation the acting user may not see (NotFound if there is none)."""
        with self._read() as conn:
            row = conn.execute(_Q_CONTEXT, {"obs": observation_id}).first()
        if row is None:
            raise NotFound("record.no_observation", id=observation_id)
        if self.principal.is_admin:
            return
        if not self._may_read_observation(int(row.observer_id), int(row.session_id), int(row.counselor_id)):
            mine = self.principal.user_id == row.observer_id
            raise PermissionDenied(
                "access.denied",
                action="event.read" if mine else "observation.read_others",
                role=self.principal.role,
            )

    def _observation_context(
        self,
        conn: Connection,
        observation_id: int,
        action: str | None = "event.write",
        *,
        coding: bool = True,
    ) -> _Context:
        """What a write needs to know about an observation; locks it for writing on PostgreSQL.
        Refuses ``action`` (None: asked elsewhere) if the acting user may not do it on this
        observation, and a ``coding`` write (event, undo, redo, note) once it is finished: only
        reopening (:meth:`reopen_observation`) opens it again."""
        row = _Q_CONTEXT_LOCKED.first(conn, {"obs": observation_id})
        if row is None:
            raise NotFound("record.no_observation", id=observation_id)
        if action is not None and not self.principal.is_admin:
            self._allow(
                action,
                self._observation_target(int(row.observer_id), int(row.session_id), int(row.counselor_id)),
            )
        if coding and row.status == "finished":
            raise ObservationFinished("record.finished")
        return _Context(
            self._scheme_by_id(int(row.scheme_id), conn), row.duration_s, row.status, bool(row.has_redo)
        )

    def observation_scheme(self, observation_id: int) -> CodingScheme:
        self._check_observation_read(observation_id)
        with self._read() as conn:
            scheme_id = conn.execute(
                select(T.observations.c.scheme_id).where(T.observations.c.id == observation_id)
            ).scalar()
        if scheme_id is None:
            raise NotFound("record.no_observation", id=observation_id)
        return self._scheme_by_id(int(scheme_id))

    def _audit_observation(self, conn: Connection, observation_id: int, action: str, **detail: Any) -> None:
        """An audit row about an observation, tagged with its client (found in the same statement)."""
        self._audit(
            conn,
            action,
            "observation",
            observation_id,
            client_id=_ObservationClient(observation_id),
            **detail,
        )
