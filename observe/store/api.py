"""The one store API: pages, the CLI and tests all read and write through :class:`Store`.

Every write is one short transaction that is durable when the method returns.
SQL is built by SQLAlchemy Core with bound parameters only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from observe import model
from observe.access import ADMIN, Principal, Target, allows, require
from observe.errors import DatabaseError, InvalidInput, NotFound, PermissionDenied
from observe.model import (
    Change,
    Client,
    Counselor,
    Event,
    Observation,
    Recorded,
    Session,
    User,
    check_code,
    make_event,
)
from observe.scheme import CodingScheme, default_scheme
from observe.store import tables as T
from observe.store.engine import describe, make_engine, resolve_url

MIGRATIONS = Path(__file__).with_name("migrations")
LOCAL_ADMIN = "local-admin"  # the acting user in local (single-user) mode


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# The hot path of coding (one keypress = one call) uses statements built once with
# bound parameters: building SQLAlchemy expressions per call costs more than the commit.
_Q_DONE_KEY = select(T.actions.c.id).where(
    T.actions.c.observation_id == bindparam("obs"),
    T.actions.c.client_key == bindparam("key"),
    T.actions.c.client_seq == bindparam("seq"),
)
_Q_CONTEXT = (
    select(
        T.observations.c.scheme_id,
        T.observations.c.status,
        T.sessions.c.duration_s,
        T.observations.c.has_redo,
        # for the permission check (observe.access): no extra query per keypress
        T.observations.c.observer_id,
        T.observations.c.session_id,
        T.sessions.c.counselor_id,
    )
    .join(T.sessions, T.sessions.c.id == T.observations.c.session_id)
    .where(T.observations.c.id == bindparam("obs"))
)
_Q_CONTEXT_LOCKED = _Q_CONTEXT.with_for_update(
    of=T.observations
)  # serialise writes per observation (PostgreSQL)
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
_U_EVENT = (
    update(T.events)
    .where(T.events.c.id == bindparam("event_id"))
    .values({name: bindparam(f"new_{name}") for name in _EVENT_FIELDS})
)
_D_EVENT = delete(T.events).where(T.events.c.id == bindparam("event_id"))
_I_ACTION = insert(T.actions)


# Audit rows are written on the hot path too (every keypress is an audited action): built once.
_AUDIT_VALUES: dict[str, Any] = {
    name: bindparam(f"a_{name}") for name in ("at", "username", "action", "entity", "entity_id", "detail")
}
_I_AUDIT = insert(T.audit).values(_AUDIT_VALUES | {"client_id": bindparam("a_client_id")})
_I_AUDIT_OBSERVATION = insert(T.audit).values(
    _AUDIT_VALUES
    | {
        "client_id": select(T.sessions.c.client_id)
        .join(T.observations, T.observations.c.session_id == T.sessions.c.id)
        .where(T.observations.c.id == bindparam("a_observation"))
        .scalar_subquery()
    }
)


class _ObservationClient(NamedTuple):
    """An audit row's client: the one of this observation (looked up inside the insert)."""

    observation_id: int


class _Context(NamedTuple):
    scheme: CodingScheme
    duration_s: float | None
    status: str
    has_redo: bool


class _AlreadyStored(Exception):
    """A re-sent keypress hit the idempotency key: roll back and report the stored action."""


class Store:
    """The observation workspace in one database.

    >>> store = Store.open("sqlite://")  # an in-memory database, migrated
    >>> store.add_client("K01").code
    'K01'
    """

    def __init__(
        self,
        engine: Engine,
        url: str,
        actor: str = LOCAL_ADMIN,
        *,
        schemes: dict[int, CodingScheme] | None = None,
    ) -> None:
        self.engine = engine
        self.url = url
        self.actor = actor  # the acting user's name, recorded as created_by and in the audit trail
        self._schemes: dict[int, CodingScheme] = {} if schemes is None else schemes
        self._principal: Principal | None = None

    def as_user(self, username: str) -> Store:
        """A view of the same database acting as ``username`` (sharing the engine and the
        scheme cache, so it is cheap to make per request); refused for an unknown or
        disabled user."""
        view = Store(self.engine, self.url, username, schemes=self._schemes)
        view.principal  # noqa: B018 - look the user up now: a bad name fails here, not later
        return view

    # -- the acting user and permissions (observe.access) -------------------------------------------------
    @property
    def principal(self) -> Principal:
        """The acting user with what their role reaches, looked up once per store view."""
        if self._principal is None:
            self._principal = self._load_principal()
        return self._principal

    def refresh(self) -> None:
        """Look the acting user's links (supervisions, assignments) up again on next use."""
        self._principal = None

    def _load_principal(self) -> Principal:
        if self.actor == LOCAL_ADMIN:
            return Principal(LOCAL_ADMIN, ADMIN)
        with self._read() as conn:
            row = conn.execute(select(T.users).where(T.users.c.username == self.actor)).first()
            if row is None or not row.active:
                raise PermissionDenied("access.unknown_user", username=self.actor)
            supervised = conn.execute(
                select(T.supervisions.c.counselor_id).where(T.supervisions.c.supervisor_id == row.id)
            ).scalars()
            assigned = conn.execute(
                select(T.session_observers.c.session_id).where(T.session_observers.c.user_id == row.id)
            ).scalars()
            finished = conn.execute(
                select(T.observations.c.session_id).where(
                    T.observations.c.observer_id == row.id, T.observations.c.status == "finished"
                )
            ).scalars()
            return Principal(
                row.username,
                row.role,
                user_id=int(row.id),
                counselor_id=row.counselor_id,
                supervised=frozenset(int(i) for i in supervised),
                assigned=frozenset(int(i) for i in assigned),
                finished=frozenset(int(i) for i in finished),
                is_demo=bool(row.is_demo),
            )

    def _allow(self, action: str, target: Target | None = None) -> None:
        """Refuse what the acting user may not do (every public method calls this first)."""
        require(self.principal, action, target)

    def may(self, action: str, target: Target | None = None) -> bool:
        """True if the acting user may do ``action`` (pages use it to hide what would be refused)."""
        return allows(self.principal, action, target)

    def _audit(
        self,
        conn: Connection,
        action: str,
        entity: str,
        entity_id: object = None,
        *,
        client_id: Any = None,
        **detail: Any,
    ) -> None:
        """Append one audit row in the caller's transaction (it commits or rolls back with the change).
        ``detail`` names what changed, never personal values (names, notes)."""
        values = {
            "a_at": _now(),
            "a_username": self.actor,
            "a_action": action,
            "a_entity": entity,
            "a_entity_id": None if entity_id is None else str(entity_id)[:80],
            "a_detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        }
        if isinstance(client_id, _ObservationClient):  # the client found in the same statement
            conn.execute(_I_AUDIT_OBSERVATION, values | {"a_observation": client_id.observation_id})
        else:
            conn.execute(_I_AUDIT, values | {"a_client_id": client_id})

    def _client_target(self, conn: Connection, client_id: int) -> Target:
        """A client belongs to its responsible counselor and to the counselors of its sessions."""
        own = conn.execute(select(T.clients.c.counselor_id).where(T.clients.c.id == client_id)).scalar()
        rows = conn.execute(
            select(T.sessions.c.id, T.sessions.c.counselor_id).where(T.sessions.c.client_id == client_id)
        ).all()
        return Target.of(counselors=[own, *(r.counselor_id for r in rows)], sessions=[r.id for r in rows])

    def _client_targets(self, conn: Connection) -> dict[int, Target]:
        """Every client's target in two queries (for filtering lists)."""
        counselors: dict[int, set[int]] = {}
        sessions: dict[int, set[int]] = {}
        for cid, own in conn.execute(select(T.clients.c.id, T.clients.c.counselor_id)):
            counselors[cid] = {own} if own is not None else set()
            sessions[cid] = set()
        for sid, cid, kid in conn.execute(
            select(T.sessions.c.id, T.sessions.c.client_id, T.sessions.c.counselor_id)
        ):
            counselors.setdefault(cid, set()).add(kid)
            sessions.setdefault(cid, set()).add(sid)
        return {cid: Target.of(counselors=counselors[cid], sessions=sessions[cid]) for cid in counselors}

    def _counselor_target(self, conn: Connection, counselor_id: int) -> Target:
        sessions = conn.execute(
            select(T.sessions.c.id).where(T.sessions.c.counselor_id == counselor_id)
        ).scalars()
        return Target.of(counselors=[counselor_id], sessions=sessions)

    @staticmethod
    def _session_target(row: Any) -> Target:
        return Target.of(counselors=[row.counselor_id], sessions=[row.id])

    def _observation_target(self, observer_id: int, session_id: int, counselor_id: int) -> Target:
        return Target.of(counselors=[counselor_id], sessions=[session_id], observer=observer_id)

    def _may_read_observation(self, observer_id: int, session_id: int, counselor_id: int) -> bool:
        """One's own coding needs ``event.read``; another observer's, ``observation.read_others``."""
        me = self.principal
        if me.user_id is not None and observer_id == me.user_id:
            return allows(me, "event.read", self._observation_target(observer_id, session_id, counselor_id))
        return allows(
            me, "observation.read_others", Target.of(counselors=[counselor_id], sessions=[session_id])
        )

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def open(cls, db: str | None = None, *, actor: str = LOCAL_ADMIN, migrate: bool = True) -> Store:
        """Open (and bring up to date) the database named by ``db`` or the configuration."""
        url = resolve_url(db)
        engine = make_engine(url)
        store = cls(engine, url, actor)
        try:
            store._check_database()
            if migrate:
                store._migrate()
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseError("db.unreachable", url=describe(url), detail=_first_line(exc)) from exc
        except SQLAlchemyError as exc:
            engine.dispose()
            raise DatabaseError("db.corrupt", url=describe(url), detail=_first_line(exc)) from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _alembic_config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def _check_database(self) -> None:
        """Refuse a database that holds someone else's tables or a newer observe schema."""
        with self.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if not names:
                return
            if "alembic_version" not in names:
                raise DatabaseError("db.foreign", url=describe(self.url))
            current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
            if current not in known:
                raise DatabaseError("db.newer", url=describe(self.url), revision=current)

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            command.upgrade(self._alembic_config(conn), "head")

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; SQLite takes the write lock up front (BEGIN IMMEDIATE)
        so that a read-then-write cannot deadlock with another writer."""
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
                yield conn
        except IntegrityError as exc:
            raise DatabaseError("db.refused", detail=_first_line(exc)) from exc
        except OperationalError as exc:
            raise DatabaseError("db.unreachable", url=describe(self.url), detail=_first_line(exc)) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseError("db.unreachable", url=describe(self.url), detail=_first_line(exc)) from exc

    # -- coding schemes ---------------------------------------------------------------------------------
    def save_scheme(self, scheme: CodingScheme) -> int:
        """Store a scheme version (validated); an existing identical version is reused."""
        self._allow("scheme.save")
        return self._save_scheme(scheme)

    def _save_scheme(self, scheme: CodingScheme) -> int:
        scheme.validate()
        definition = json.dumps(scheme.to_dict(), ensure_ascii=False, sort_keys=True)
        with self._write() as conn:
            row = conn.execute(
                select(T.schemes.c.id, T.schemes.c.definition).where(
                    T.schemes.c.name == scheme.name, T.schemes.c.version == scheme.version
                )
            ).first()
            if row is not None:
                if json.loads(row.definition) != json.loads(definition):
                    raise InvalidInput("scheme.version_exists", name=scheme.name, version=scheme.version)
                return int(row.id)
            new_id = int(
                conn.execute(
                    insert(T.schemes).values(
                        name=scheme.name, version=scheme.version, definition=definition, created_at=_now()
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            self._audit(conn, "scheme.save", "scheme", f"{scheme.name} v{scheme.version}")
            return new_id

    def scheme(self, name: str = "default", version: int | None = None) -> CodingScheme:
        """A stored scheme (the latest version unless ``version`` is given)."""
        self._allow("scheme.read")
        query = select(T.schemes.c.id).where(T.schemes.c.name == name)
        query = (
            query.where(T.schemes.c.version == version)
            if version
            else query.order_by(T.schemes.c.version.desc())
        )
        with self._read() as conn:
            scheme_id = conn.execute(query.limit(1)).scalar()
        if scheme_id is None:
            if name == "default" and version in (None, default_scheme().version):
                return self._scheme_by_id(self._save_scheme(default_scheme()))
            raise NotFound("scheme.not_found", name=name, version=version or "-")
        return self._scheme_by_id(int(scheme_id))

    def schemes(self) -> list[tuple[str, int]]:
        """All stored (name, version) pairs, newest version first within a name."""
        self._allow("scheme.read")
        with self._read() as conn:
            rows = conn.execute(
                select(T.schemes.c.name, T.schemes.c.version).order_by(
                    T.schemes.c.name, T.schemes.c.version.desc()
                )
            )
            return [(r.name, int(r.version)) for r in rows]

    def _scheme_by_id(self, scheme_id: int, conn: Connection | None = None) -> CodingScheme:
        """A stored scheme version (immutable, so cached); reads on ``conn`` when inside a transaction."""
        if scheme_id not in self._schemes:
            query = select(T.schemes.c.definition).where(T.schemes.c.id == scheme_id)
            if conn is None:
                with self._read() as own:
                    definition = own.execute(query).scalar_one()
            else:
                definition = conn.execute(query).scalar_one()
            self._schemes[scheme_id] = CodingScheme.from_dict(json.loads(definition))
        return self._schemes[scheme_id]

    # -- clients, counselors, users -----------------------------------------------------------------------
    def add_client(
        self,
        code: str,
        *,
        display_name: str | None = None,
        special_needs: bool = False,
        valence_profile: str | None = None,
        valence_overrides: Mapping[str, float] | None = None,
        is_demo: bool = False,
        counselor: str | None = None,
    ) -> Client:
        """A new client. The valence profile defaults to special_needs for ABK clients (DOMAIN §2).
        ``counselor`` (the responsible counselor) defaults to the acting counselor user's own."""
        self._allow("client.create")
        profile = valence_profile or ("special_needs" if special_needs else "default")
        values = self._client_values(code, display_name, special_needs, profile, valence_overrides)
        counselor_id = self._counselor_row(counselor).id if counselor else self.principal.counselor_id
        with self._write() as conn:
            self._refuse_duplicate(conn, T.clients, T.clients.c.code, values["code"], "record.client_exists")
            new_id = conn.execute(
                insert(T.clients).values(
                    **values, archived=False, is_demo=is_demo, counselor_id=counselor_id, created_at=_now()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            self._audit(conn, "client.create", "client", values["code"], client_id=new_id)
        return self._client_out(self._client_row(values["code"]))

    def update_client(self, code: str, **changes: Any) -> Client:
        """Change a client's display name, special-needs flag, profile, overrides, archived flag
        or responsible ``counselor``."""
        old = _client(self._client_row(code))
        with self._read() as conn:
            target = self._client_target(conn, old.id)
        changed = sorted(k for k in changes if changes[k] != getattr(old, k, None))
        self._allow("client.archive" if changed == ["archived"] else "client.update", target)
        if "display_name" in changed:
            self._allow("client.identity", target)
        counselor_id: Any = None
        if "counselor" in changes:
            counselor_id = self._counselor_row(changes["counselor"]).id if changes["counselor"] else None
            self._allow("client.update", Target.of(counselors=[counselor_id]))
        values = self._client_values(
            old.code,
            changes.get("display_name", old.display_name),
            changes.get("special_needs", old.special_needs),
            changes.get("valence_profile", old.valence_profile),
            changes.get("valence_overrides", old.valence_overrides),
        )
        values["archived"] = bool(changes.get("archived", old.archived))
        if "counselor" in changes:
            values["counselor_id"] = counselor_id
        with self._write() as conn:
            conn.execute(update(T.clients).where(T.clients.c.id == old.id).values(**values))
            self._audit(conn, "client.update", "client", old.code, client_id=old.id, fields=changed)
        return self._client_out(self._client_row(code))

    def _client_values(
        self,
        code: str,
        display_name: str | None,
        special_needs: bool,
        profile: str,
        overrides: Mapping[str, float] | None,
    ) -> dict[str, Any]:
        if profile not in model.VALENCE_PROFILES:
            raise InvalidInput(
                "record.bad_profile", profile=profile, allowed=", ".join(model.VALENCE_PROFILES)
            )
        checked = dict(overrides or {})
        default_scheme().valences(profile, checked)  # refuses unknown cues
        return {
            "code": check_code(code),
            "display_name": (display_name or "").strip() or None,
            "special_needs": bool(special_needs),
            "valence_profile": profile,
            "valence_overrides": json.dumps(checked, sort_keys=True),
        }

    def _client_row(self, code: str) -> Any:
        """The client's row, unchecked (internal look-ups only)."""
        with self._read() as conn:
            row = conn.execute(select(T.clients).where(T.clients.c.code == code)).first()
        if row is None:
            raise NotFound("record.no_client", code=code)
        return row

    def _client_out(self, row: Any, target: Target | None = None) -> Client:
        """The client as the acting user may see it: without the display name unless allowed."""
        if target is None and not self.principal.is_admin:
            with self._read() as conn:
                target = self._client_target(conn, int(row.id))
        client = _client(row)
        if self.principal.is_admin or allows(self.principal, "client.identity", target):
            return client
        return replace(client, display_name=None)

    def client(self, code: str) -> Client:
        row = self._client_row(code)
        with self._read() as conn:
            target = self._client_target(conn, int(row.id))
        self._allow("client.read", target)
        return self._client_out(row, target)

    def clients(self, *, include_archived: bool = False) -> list[Client]:
        """The clients the acting user may see (codes; display names only where allowed)."""
        self._allow("client.read")
        query = select(T.clients).order_by(T.clients.c.code)
        if not include_archived:
            query = query.where(T.clients.c.archived.is_(False))
        with self._read() as conn:
            rows = conn.execute(query).all()
            if self.principal.is_admin:
                return [_client(r) for r in rows]
            targets = self._client_targets(conn)
        me = self.principal
        return [self._client_out(r, targets[r.id]) for r in rows if allows(me, "client.read", targets[r.id])]

    def client_counselor(self, code: str) -> str | None:
        """The code of the client's responsible counselor, if any."""
        self.client(code)
        with self._read() as conn:
            return conn.execute(
                select(T.counselors.c.code)
                .join(T.clients, T.clients.c.counselor_id == T.counselors.c.id)
                .where(T.clients.c.code == code)
            ).scalar()

    def add_counselor(self, code: str, *, name: str | None = None, is_demo: bool = False) -> Counselor:
        self._allow("counselor.create")
        code = check_code(code)
        with self._write() as conn:
            self._refuse_duplicate(conn, T.counselors, T.counselors.c.code, code, "record.counselor_exists")
            self._audit(conn, "counselor.create", "counselor", code)
            conn.execute(
                insert(T.counselors).values(
                    code=code,
                    name=(name or "").strip() or None,
                    archived=False,
                    is_demo=is_demo,
                    created_at=_now(),
                )
            )
        return self._counselor_out(self._counselor_row(code))

    def update_counselor(
        self, code: str, *, name: str | None = None, archived: bool | None = None
    ) -> Counselor:
        old = self._counselor_out(self._counselor_row(code))
        action = "counselor.archive" if name is None and archived is not None else "counselor.update"
        self._allow(action, Target.of(counselors=[old.id]))
        with self._write() as conn:
            self._audit(conn, action, "counselor", code)
            conn.execute(
                update(T.counselors)
                .where(T.counselors.c.id == old.id)
                .values(
                    name=(name if name is not None else old.name) or None,
                    archived=old.archived if archived is None else archived,
                )
            )
        return self._counselor_out(self._counselor_row(code))

    def _counselor_row(self, code: str) -> Any:
        with self._read() as conn:
            row = conn.execute(select(T.counselors).where(T.counselors.c.code == code)).first()
        if row is None:
            raise NotFound("record.no_counselor", code=code)
        return row

    @staticmethod
    def _counselor_out(row: Any) -> Counselor:
        return Counselor(row.id, row.code, row.name, bool(row.archived), bool(row.is_demo))

    def counselor(self, code: str) -> Counselor:
        row = self._counselor_row(code)
        if not self.principal.is_admin:
            with self._read() as conn:
                self._allow("counselor.read", self._counselor_target(conn, int(row.id)))
        return self._counselor_out(row)

    def counselors(self, *, include_archived: bool = False) -> list[Counselor]:
        """The counselors the acting user may see."""
        self._allow("counselor.read")
        query = select(T.counselors).order_by(T.counselors.c.code)
        if not include_archived:
            query = query.where(T.counselors.c.archived.is_(False))
        with self._read() as conn:
            rows = conn.execute(query).all()
            if self.principal.is_admin:
                return [self._counselor_out(r) for r in rows]
            targets = {int(r.id): self._counselor_target(conn, int(r.id)) for r in rows}
        return [
            self._counselor_out(r)
            for r in rows
            if allows(self.principal, "counselor.read", targets[int(r.id)])
        ]

    def add_user(
        self, username: str, *, role: str = "observer", display_name: str | None = None, is_demo: bool = False
    ) -> User:
        self._allow("users.manage")
        username = check_code(username, "username")
        if role not in model.ROLES:
            raise InvalidInput("record.bad_role", role=role, allowed=", ".join(model.ROLES))
        with self._write() as conn:
            self._refuse_duplicate(conn, T.users, T.users.c.username, username, "record.user_exists")
            self._audit(conn, "user.create", "user", username, role=role)
            conn.execute(
                insert(T.users).values(
                    username=username,
                    display_name=(display_name or "").strip() or None,
                    role=role,
                    active=True,
                    is_demo=is_demo,
                    created_at=_now(),
                )
            )
        return self.user(username)

    def _user_row(self, username: str) -> Any:
        with self._read() as conn:
            row = conn.execute(select(T.users).where(T.users.c.username == username)).first()
        if row is None:
            raise NotFound("record.no_user", username=username)
        return row

    def user(self, username: str) -> User:
        """A user; anyone may look themselves up, others need ``users.read``."""
        if username != self.actor:
            self._allow("users.read")
        return _user(self._user_row(username))

    def users(self, *, role: str | None = None) -> list[User]:
        """All users (``users.read``); without it, only the acting user."""
        query = select(T.users).order_by(T.users.c.username)
        if role:
            query = query.where(T.users.c.role == role)
        if not self.may("users.read"):
            query = query.where(T.users.c.username == self.actor)
        with self._read() as conn:
            return [_user(r) for r in conn.execute(query)]

    # -- accounts (team mode): passwords, roles, links, supervisions ------------------------------------------
    def set_password(self, username: str, password: str) -> None:
        """Store an argon2 hash of ``password`` (never the password); users may change their own."""
        from observe.auth import hash_password

        if username != self.actor:
            self._allow("users.manage")
        row = self._user_row(username)
        hashed = hash_password(password, username)
        from observe.store.signin_records import end_sign_ins

        with self._write() as conn:
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(password_hash=hashed))
            end_sign_ins(conn, row.id)  # a new password signs every browser out (a stolen cookie too)
            self._audit(conn, "user.password", "user", username)

    def set_role(self, username: str, role: str) -> User:
        self._allow("users.manage")
        if role not in model.ROLES:
            raise InvalidInput("record.bad_role", role=role, allowed=", ".join(model.ROLES))
        row = self._user_row(username)
        with self._write() as conn:
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(role=role))
            self._audit(conn, "user.role", "user", username, role=role)
        return _user(self._user_row(username))

    def set_active(self, username: str, active: bool) -> User:
        """Enable or disable an account (a disabled user cannot sign in; their coding stays)."""
        self._allow("users.manage")
        row = self._user_row(username)
        with self._write() as conn:
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(active=bool(active)))
            self._audit(conn, "user.active", "user", username, active=bool(active))
        return _user(self._user_row(username))

    def link_counselor(self, username: str, counselor: str | None) -> None:
        """Make a counselor user *be* a counselor record (None removes the link)."""
        self._allow("users.manage")
        row = self._user_row(username)
        counselor_id = self._counselor_row(counselor).id if counselor else None
        with self._write() as conn:
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(counselor_id=counselor_id))
            self._audit(conn, "user.counselor", "user", username, counselor=counselor)

    def linked_counselor(self, username: str) -> str | None:
        """The counselor code a user is linked to, if any."""
        if username != self.actor:
            self._allow("users.read")
        with self._read() as conn:
            return conn.execute(
                select(T.counselors.c.code)
                .join(T.users, T.users.c.counselor_id == T.counselors.c.id)
                .where(T.users.c.username == username)
            ).scalar()

    def supervise(self, supervisor: str, counselor: str) -> None:
        """Let ``supervisor`` (a supervisor user) see the sessions of ``counselor``."""
        self._allow("users.manage")
        user_row, counselor_row = self._user_row(supervisor), self._counselor_row(counselor)
        with self._write() as conn:
            found = conn.execute(
                select(T.supervisions).where(
                    T.supervisions.c.supervisor_id == user_row.id,
                    T.supervisions.c.counselor_id == counselor_row.id,
                )
            ).first()
            if found is None:
                conn.execute(
                    insert(T.supervisions).values(supervisor_id=user_row.id, counselor_id=counselor_row.id)
                )
                self._audit(conn, "supervision.add", "user", supervisor, counselor=counselor)

    def unsupervise(self, supervisor: str, counselor: str) -> None:
        self._allow("users.manage")
        user_row, counselor_row = self._user_row(supervisor), self._counselor_row(counselor)
        with self._write() as conn:
            conn.execute(
                delete(T.supervisions).where(
                    T.supervisions.c.supervisor_id == user_row.id,
                    T.supervisions.c.counselor_id == counselor_row.id,
                )
            )
            self._audit(conn, "supervision.remove", "user", supervisor, counselor=counselor)

    def supervisions(self) -> list[tuple[str, str]]:
        """(supervisor username, counselor code) pairs."""
        self._allow("users.read")
        with self._read() as conn:
            rows = conn.execute(
                select(T.users.c.username, T.counselors.c.code)
                .join(T.supervisions, T.supervisions.c.supervisor_id == T.users.c.id)
                .join(T.counselors, T.counselors.c.id == T.supervisions.c.counselor_id)
                .order_by(T.users.c.username, T.counselors.c.code)
            )
            return [(r.username, r.code) for r in rows]

    def authenticate(self, username: str, password: str, *, now: dt.datetime | None = None) -> User:
        """Sign-in: the user if the password is right; failed attempts per username are counted
        in the database and a locked-out name is refused without checking the password."""
        from observe.store import signin_records

        return signin_records.authenticate(self, username, password, now=now)

    def unlock(self, username: str) -> bool:
        """Lift a sign-in lock (administrators; observe.store.signin_records)."""
        from observe.store import signin_records

        return signin_records.unlock(self, username)

    def sign_in_locks(self) -> list[Any]:
        """The names locked now after failed sign-ins (observe.store.signin_records.Lock)."""
        from observe.store import signin_records

        return signin_records.locks(self)

    def _ensure_user(self, conn: Connection, username: str, role: str = "observer") -> int:
        found = conn.execute(select(T.users.c.id).where(T.users.c.username == username)).scalar()
        if found is not None:
            return int(found)
        return int(
            conn.execute(
                insert(T.users).values(
                    username=check_code(username, "username"),
                    role=role,
                    active=True,
                    is_demo=False,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )

    @staticmethod
    def _refuse_duplicate(conn: Connection, table: Any, column: Any, value: str, key: str) -> None:
        if conn.execute(select(table.c.id).where(column == value)).first() is not None:
            raise InvalidInput(key, code=value)

    # -- sessions --------------------------------------------------------------------------------------------
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
        with self._write() as conn:
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
            self._audit(conn, "session.create", "session", code, client_id=c.id)
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
        with self._write() as conn:
            conn.execute(update(T.sessions).where(T.sessions.c.id == old.id).values(**values))
            self._audit(conn, "session.update", "session", old.code, client_id=row.client_id, fields=changed)
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
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
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
        self._allow("session.assign", self._session_target(row))
        s = _session(row)
        u = _user(self._user_row(username))
        with self._write() as conn:
            exists = conn.execute(
                select(T.session_observers).where(
                    T.session_observers.c.session_id == s.id, T.session_observers.c.user_id == u.id
                )
            ).first()
            if exists is None:
                conn.execute(insert(T.session_observers).values(session_id=s.id, user_id=u.id))
                self._audit(
                    conn, "session.assign", "session", s.code, client_id=row.client_id, observer=username
                )

    def unassign_observer(self, session: str, username: str) -> None:
        row = self._session_row(session)
        self._allow("session.assign", self._session_target(row))
        s = _session(row)
        u = _user(self._user_row(username))
        with self._write() as conn:
            conn.execute(
                delete(T.session_observers).where(
                    T.session_observers.c.session_id == s.id, T.session_observers.c.user_id == u.id
                )
            )
            self._audit(
                conn, "session.unassign", "session", s.code, client_id=row.client_id, observer=username
            )

    def video_token(self, session: str) -> str | None:
        """The session's video token (``observe.media``) for a user allowed to watch it (``video.read``);
        the video route serves a file only by a token obtained here."""
        row = self._session_row(session)
        self._allow("video.read", self._session_target(row))
        return row.video_ref

    def set_video(self, session: str, token: str | None) -> None:
        """Attach a stored video (a token from ``observe.media``, never a file name) to the session."""
        from observe import media

        row = self._session_row(session)
        self._allow("video.upload", self._session_target(row))
        if token is not None and not media.is_token(token):
            raise InvalidInput("access.bad_video_token")
        with self._write() as conn:
            conn.execute(update(T.sessions).where(T.sessions.c.id == row.id).values(video_ref=token))
            self._audit(conn, "session.video", "session", row.code, client_id=row.client_id)

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
        self._allow("observation.open" if observer == self.actor else "session.assign", target)
        s = _session(row)
        scheme_id = self._save_scheme(scheme) if scheme else self._latest_scheme_id("default")
        with self._write() as conn:
            user_id = self._ensure_user(conn, observer)
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
                self._audit(
                    conn, "observation.open", "session", s.code, client_id=row.client_id, observer=observer
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
        self.refresh()  # the acting user may now be assigned to this session
        return next(o for o in self._observation_list(session=s.code) if o.observer == observer)

    def _latest_scheme_id(self, name: str) -> int:
        with self._read() as conn:
            found = conn.execute(
                select(T.schemes.c.id)
                .where(T.schemes.c.name == name)
                .order_by(T.schemes.c.version.desc())
                .limit(1)
            ).scalar()
        return int(found) if found is not None else self._save_scheme(default_scheme())

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
        self, conn: Connection, observation_id: int, action: str = "event.write"
    ) -> _Context:
        """What a write needs to know about an observation; locks it for writing on PostgreSQL.
        Refuses ``action`` if the acting user may not do it on this observation."""
        row = conn.execute(_Q_CONTEXT_LOCKED, {"obs": observation_id}).first()
        if row is None:
            raise NotFound("record.no_observation", id=observation_id)
        if not self.principal.is_admin:
            self._allow(
                action,
                self._observation_target(int(row.observer_id), int(row.session_id), int(row.counselor_id)),
            )
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

    def finish_observation(self, observation_id: int, coded_s: float | None = None) -> Recorded:
        """Mark coding finished at E = ``coded_s`` (DOMAIN §9.3; default: the latest event
        time): states still running end at E, and E is kept (:attr:`Observation.coded_s`).
        Refused (nothing changes) for E beyond the session, before a coded event, or on the
        onset of a running state, and for an observation already finished (reopen it first)."""
        from observe.extent import summarize

        with self._write() as conn:
            _scheme, duration, status, _redo = self._observation_context(
                conn, observation_id, "observation.finish"
            )
            if status == "finished":
                raise InvalidInput("finish.already_finished")
            summary = summarize(
                self._lane_events(conn, observation_id, kinds=("state", "point")), duration, coded_s=coded_s
            )
            if summary.problem is not None:
                raise summary.problem
            changes = summary.changes()
            recorded = self._apply(conn, observation_id, "finish", changes) if changes else Recorded(None, ())
            conn.execute(
                update(T.observations)
                .where(T.observations.c.id == observation_id)
                .values(status="finished", finished_at=_now(), coded_s=summary.coded_s)
            )
            self._audit_observation(conn, observation_id, "observation.finish", coded_s=summary.coded_s)
        self.refresh()  # an observer may now read the others' coding of this session
        return recorded

    def reopen_observation(self, observation_id: int) -> None:
        """Back to "in progress": the coded extent is forgotten until the next finish."""
        with self._write() as conn:
            self._observation_context(conn, observation_id, "observation.finish")
            conn.execute(
                update(T.observations)
                .where(T.observations.c.id == observation_id)
                .values(status="open", finished_at=None, coded_s=None)
            )
            self._audit_observation(conn, observation_id, "observation.reopen")
        self.refresh()

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

    # -- events ------------------------------------------------------------------------------------------------------
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
            with self._write() as conn:
                return self._record(
                    conn, observation_id, subject, cue, t, modifiers, comment, client_key, client_seq
                )
        except _AlreadyStored:
            with self._read() as conn:
                done = conn.execute(
                    _Q_DONE_KEY, {"obs": observation_id, "key": client_key, "seq": client_seq}
                ).scalar()
            return Recorded(None if done is None else int(done), (), duplicate=True)

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
            lane = [_event_row(r) for r in conn.execute(_Q_LANE, params)]
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
        with self._write() as conn:
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
        with self._write() as conn:
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
        with self._write() as conn:
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
            with self._write() as conn:
                self._observation_context(conn, observation_id, "event.undo")
                if client_key is not None and client_seq is not None:
                    self._mark_done(conn, observation_id, name, client_key, client_seq)
                if undo:
                    found = select(func.max(T.actions.c.id)).where(
                        T.actions.c.observation_id == observation_id, T.actions.c.undone.is_(False)
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
        conn.execute(
            update(T.observations).where(T.observations.c.id == observation_id).values(has_redo=value)
        )

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
        with self._write() as conn:
            self._observation_context(conn, observation_id)
            existing = self._lane_events(conn, observation_id)
            lanes: dict[tuple[str, str], list[Event]] = {}
            for e in existing + batch:
                if e.kind == "state":
                    lanes.setdefault((e.subject, e.channel), []).append(e)
            for lane in lanes.values():
                _refuse_overlaps(lane)
            return self._apply(conn, observation_id, label, tuple(Change(None, e) for e in batch))

    def import_frame(self, frame: pd.DataFrame, *, dry_run: bool = False) -> dict[str, int]:
        """Write a tidy event frame (``observe.frames``) in ONE transaction: sessions, clients,
        counselors, observers and observations named in it are created when missing; the
        events of each (session, observer) become one undoable action. Any invalid row refuses
        the whole import (the database is left as it was); ``dry_run`` checks without writing.
        Returns counts of what was (or would be) created."""
        from observe.store.importing import plan_import

        self._allow("data.import")
        plan = plan_import(self, frame)
        if not self.principal.is_admin:  # every session must be of a counselor the user reaches
            for facts in plan.sessions.values():
                try:
                    counselor_id = self._counselor_row(facts["counselor"]).id
                except NotFound:
                    counselor_id = None
                self._allow("data.import", Target.of(counselors=[counselor_id]))
        if dry_run:
            return plan.counts()
        with self._write() as conn:
            for observation_key, events in plan.events.items():
                observation_id = self._ensure_observation(conn, plan, observation_key)
                existing = self._lane_events(conn, observation_id)
                lanes: dict[tuple[str, str], list[Event]] = {}
                for e in existing + events:
                    if e.kind == "state":
                        lanes.setdefault((e.subject, e.channel), []).append(e)
                try:
                    for lane in lanes.values():
                        _refuse_overlaps(lane)
                except InvalidInput as exc:
                    raise exc.at(f"{observation_key[0]} / {observation_key[1]}") from exc
                self._apply(conn, observation_id, "import", tuple(Change(None, e) for e in events))
        return plan.counts()

    def _ensure_observation(self, conn: Connection, plan: Any, key: tuple[str, str]) -> int:
        session_code, observer = key
        facts = plan.sessions[session_code]
        session_id = conn.execute(select(T.sessions.c.id).where(T.sessions.c.code == session_code)).scalar()
        if session_id is None:
            client_id = conn.execute(
                select(T.clients.c.id).where(T.clients.c.code == facts["client"])
            ).scalar()
            if client_id is None:
                client_id = conn.execute(
                    insert(T.clients).values(
                        code=facts["client"],
                        special_needs=False,
                        valence_profile="default",
                        valence_overrides="{}",
                        archived=False,
                        is_demo=False,
                        created_at=_now(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            counselor_id = conn.execute(
                select(T.counselors.c.id).where(T.counselors.c.code == facts["counselor"])
            ).scalar()
            if counselor_id is None:
                counselor_id = conn.execute(
                    insert(T.counselors).values(
                        code=facts["counselor"], archived=False, is_demo=False, created_at=_now()
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            session_id = conn.execute(
                insert(T.sessions).values(
                    code=session_code,
                    client_id=client_id,
                    counselor_id=counselor_id,
                    number=facts["number"],
                    date=facts["date"],
                    duration_s=facts["duration_s"],
                    parent_present=False,
                    notes="",
                    attributes="{}",
                    archived=False,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        user_id = self._ensure_user(conn, observer)
        observation_id = conn.execute(
            select(T.observations.c.id).where(
                T.observations.c.session_id == session_id, T.observations.c.observer_id == user_id
            )
        ).scalar()
        if observation_id is None:
            observation_id = conn.execute(
                insert(T.observations).values(
                    session_id=session_id,
                    observer_id=user_id,
                    scheme_id=plan.scheme_id,
                    status="open",
                    is_reference=False,
                    has_redo=False,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            conn.execute(insert(T.session_observers).values(session_id=session_id, user_id=user_id))
        return int(observation_id)

    # -- event internals --------------------------------------------------------------------------------------------------
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
            conn.execute(_D_REDO, {"obs": observation_id})
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
            action_id = conn.execute(_I_ACTION, values).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            if client_key is None:
                raise
            raise _AlreadyStored() from None
        # one audit row per action (a keypress, an edit, an import), naming the events it changed
        self._audit_observation(
            conn,
            observation_id,
            "event.change",
            action_id=int(action_id),
            label=label[:80],
            events=_event_ids(applied),
        )
        return Recorded(int(action_id), applied)

    def _apply_change(self, conn: Connection, observation_id: int, change: Change) -> Change:
        after = change.after
        if after is None:
            assert (
                change.before is not None and change.before.id is not None
            )  # plans delete stored events only
            conn.execute(_D_EVENT, {"event_id": change.before.id})
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
            if after.id is not None:
                values["id"] = after.id  # redo of an insert keeps the event's id
            new_id = conn.execute(
                _I_EVENT, values | {"created_at": _now(), "created_by": self.actor}
            ).inserted_primary_key[0]  # type: ignore[index]
            return Change(None, replace(after, id=int(new_id)))
        conn.execute(
            _U_EVENT, {"event_id": change.before.id} | {f"new_{k}": values[k] for k in _EVENT_FIELDS}
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
        """The tidy event frame (``observe.frames.EVENT_COLUMNS``) of the chosen events: only the
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

    def counts(self) -> dict[str, int]:
        """How much the workspace holds, for the home page (counts only: ``workspace.summary``)."""
        self._allow("workspace.summary")
        tables = {
            "clients": T.clients,
            "counselors": T.counselors,
            "sessions": T.sessions,
            "observers": T.users,
            "observations": T.observations,
            "events": T.events,
        }
        with self._read() as conn:
            result = {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
                for name, table in tables.items()
            }
            result["observers"] = int(
                conn.execute(select(func.count(func.distinct(T.observations.c.observer_id)))).scalar() or 0
            )
        return result

    def setting(self, key: str, default: Any = None) -> Any:
        """A workspace setting (JSON value), or ``default``."""
        with self._read() as conn:
            value = conn.execute(select(T.settings.c.value).where(T.settings.c.key == key)).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any) -> None:
        self._allow("settings")
        with self._write() as conn:
            conn.execute(delete(T.settings).where(T.settings.c.key == key))
            conn.execute(insert(T.settings).values(key=key, value=json.dumps(value)))
            self._audit(conn, "settings", "setting", key)

    def has_demo(self) -> bool:
        with self._read() as conn:
            return (
                conn.execute(select(T.clients.c.id).where(T.clients.c.is_demo.is_(True)).limit(1)).first()
                is not None
            )

    def remove_demo(self) -> None:
        """Delete the demo workspace (demo clients with their sessions and events, demo counselors
        and demo users); what users created themselves stays."""
        self._allow("settings")
        with self._write() as conn:
            demo_clients = select(T.clients.c.id).where(T.clients.c.is_demo.is_(True))
            conn.execute(delete(T.audit).where(T.audit.c.client_id.in_(demo_clients)))
            conn.execute(delete(T.consents).where(T.consents.c.client_id.in_(demo_clients)))
            demo_sessions = select(T.sessions.c.id).where(T.sessions.c.client_id.in_(demo_clients))
            demo_observations = select(T.observations.c.id).where(
                T.observations.c.session_id.in_(demo_sessions)
            )
            # explicit child-first deletes: no reliance on ON DELETE CASCADE being honoured
            conn.execute(delete(T.actions).where(T.actions.c.observation_id.in_(demo_observations)))
            conn.execute(delete(T.events).where(T.events.c.observation_id.in_(demo_observations)))
            conn.execute(delete(T.observations).where(T.observations.c.id.in_(demo_observations)))
            conn.execute(
                delete(T.session_observers).where(T.session_observers.c.session_id.in_(demo_sessions))
            )
            conn.execute(delete(T.sessions).where(T.sessions.c.id.in_(demo_sessions)))
            conn.execute(delete(T.clients).where(T.clients.c.is_demo.is_(True)))
            used = select(T.sessions.c.counselor_id)
            gone = select(T.counselors.c.id).where(
                and_(T.counselors.c.is_demo.is_(True), T.counselors.c.id.not_in(used))
            )
            # links to a counselor about to go are cleared (no ON DELETE action on them)
            conn.execute(update(T.users).where(T.users.c.counselor_id.in_(gone)).values(counselor_id=None))
            conn.execute(
                update(T.clients).where(T.clients.c.counselor_id.in_(gone)).values(counselor_id=None)
            )
            conn.execute(delete(T.supervisions).where(T.supervisions.c.counselor_id.in_(gone)))
            conn.execute(delete(T.counselors).where(T.counselors.c.id.in_(gone)))
            in_use = select(T.observations.c.observer_id)
            demo_users = select(T.users.c.id).where(T.users.c.is_demo.is_(True), T.users.c.id.not_in(in_use))
            conn.execute(delete(T.session_observers).where(T.session_observers.c.user_id.in_(demo_users)))
            conn.execute(delete(T.supervisions).where(T.supervisions.c.supervisor_id.in_(demo_users)))
            conn.execute(delete(T.users).where(T.users.c.id.in_(demo_users)))
            self._audit(conn, "demo.remove", "workspace")

    # -- consent, audit, exports, erasure (observe.access) -----------------------------------------------------
    def set_consent(
        self, client: str, *, recording: bool, research_use: bool, date: dt.date | None = None
    ) -> None:
        """Record the client's consent (to being recorded, to research use of their sessions)."""
        row = self._client_row(client)
        with self._read() as conn:
            self._allow("consent.manage", self._client_target(conn, int(row.id)))
        if date is not None and not isinstance(date, dt.date):
            raise InvalidInput("record.bad_date", value=date)
        with self._write() as conn:
            conn.execute(delete(T.consents).where(T.consents.c.client_id == row.id))
            conn.execute(
                insert(T.consents).values(
                    client_id=row.id,
                    recording=bool(recording),
                    research_use=bool(research_use),
                    date=date,
                    updated_at=_now(),
                    updated_by=self.actor,
                )
            )
            self._audit(
                conn,
                "consent.set",
                "client",
                row.code,
                client_id=row.id,
                recording=bool(recording),
                research_use=bool(research_use),
            )

    def consent(self, client: str) -> dict[str, Any]:
        """The client's consent: ``recording``, ``research_use`` (False when none was recorded), ``date``."""
        code = self.client(client).code
        with self._read() as conn:
            row = conn.execute(
                select(T.consents)
                .join(T.clients, T.clients.c.id == T.consents.c.client_id)
                .where(T.clients.c.code == code)
            ).first()
        if row is None:
            return {"recording": False, "research_use": False, "date": None}
        return {"recording": bool(row.recording), "research_use": bool(row.research_use), "date": row.date}

    def log_export(self, action: str, **detail: Any) -> None:
        """Check and record an export (``export.tidy``, ``export.research``, ``audit.export``, ``report``):
        call it before the data leaves; it refuses a role that may not export."""
        if action not in ("export.tidy", "export.research", "audit.export", "report"):
            raise ValueError(f"not an export action: {action}")  # a bug in the caller
        self._allow(action)
        with self._write() as conn:
            self._audit(conn, action, "export", detail.pop("what", None), **detail)

    def audit_log(self, *, limit: int | None = None) -> pd.DataFrame:
        """The audit trail, newest first (``audit.read``): at, username, action, entity, entity_id, detail."""
        self._allow("audit.read")
        query = select(
            T.audit.c.id,
            T.audit.c.at,
            T.audit.c.username,
            T.audit.c.action,
            T.audit.c.entity,
            T.audit.c.entity_id,
            T.audit.c.detail,
        ).order_by(T.audit.c.id.desc())
        if limit:
            query = query.limit(int(limit))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame.from_records(
            rows, columns=["id", "at", "username", "action", "entity", "entity_id", "detail"]
        )

    def erase_client(
        self, code: str, *, confirm: str, media_folder: str | Path | None = None
    ) -> dict[str, int]:
        """Erase a client completely: sessions, observations, events, actions, consent, audit rows
        about them, their videos in the media folder and the client record. ``confirm`` must
        repeat the client's code. One audit row remains, naming a keyed hash of the code only.
        Returns counts of what was erased."""
        from observe import media

        self._allow("erasure")
        row = self._client_row(code)
        if confirm != row.code:
            raise InvalidInput("access.erase_confirm", code=row.code)
        client_id = int(row.id)
        sessions = select(T.sessions.c.id).where(T.sessions.c.client_id == client_id)
        observations = select(T.observations.c.id).where(T.observations.c.session_id.in_(sessions))
        with self._read() as conn:
            videos = [
                v
                for v in conn.execute(
                    select(T.sessions.c.video_ref).where(T.sessions.c.client_id == client_id)
                ).scalars()
                if v
            ]
        counts: dict[str, int] = {}
        with self._write() as conn:
            # explicit child-first deletes, as in remove_demo: no reliance on ON DELETE CASCADE
            for name, table, where in (
                ("actions", T.actions, T.actions.c.observation_id.in_(observations)),
                ("events", T.events, T.events.c.observation_id.in_(observations)),
                ("observations", T.observations, T.observations.c.id.in_(observations)),
                ("session_observers", T.session_observers, T.session_observers.c.session_id.in_(sessions)),
                ("sessions", T.sessions, T.sessions.c.client_id == client_id),
                ("consents", T.consents, T.consents.c.client_id == client_id),
                ("audit", T.audit, T.audit.c.client_id == client_id),
                ("clients", T.clients, T.clients.c.id == client_id),
            ):
                counts[name] = int(conn.execute(delete(table).where(where)).rowcount or 0)
            self._audit(conn, "client.erase", "client", self._erasure_hash(conn, row.code), **counts)
        removed = 0
        for token in videos:  # after the commit: a failed transaction must not lose the videos
            if media.is_token(token):
                path = media.media_dir(media_folder) / token
                if path.is_symlink() or path.exists():
                    path.unlink()  # a linked server file: the link goes, the original is the institution's
                    removed += 1
        counts["videos"] = removed
        return counts

    def _erasure_hash(self, conn: Connection, code: str) -> str:
        """A keyed hash of an erased client's code: proves which erasure a request was about
        (given the code) without storing it; the key is a random workspace secret."""
        import hashlib
        import hmac
        import secrets

        key = conn.execute(
            select(T.settings.c.value).where(T.settings.c.key == "access.erasure_key")
        ).scalar()
        if key is None:
            key = json.dumps(secrets.token_hex(32))
            conn.execute(insert(T.settings).values(key="access.erasure_key", value=key))
        return hmac.new(json.loads(key).encode(), code.encode(), hashlib.sha256).hexdigest()[:32]

    def _research_events(self) -> pd.DataFrame:
        """Events of clients who consented to research use (finished observations only), for
        :func:`observe.research.research_export` which de-identifies them; ``export.research`` only."""
        from observe.store.frames import read_events_frame

        self._allow("export.research")
        with self._read() as conn:
            consenting = set(
                conn.execute(
                    select(T.clients.c.code)
                    .join(T.consents, T.consents.c.client_id == T.clients.c.id)
                    .where(T.consents.c.research_use.is_(True))
                ).scalars()
            )
            finished = set(
                conn.execute(
                    select(T.observations.c.id).where(T.observations.c.status == "finished")
                ).scalars()
            )
        frame = read_events_frame(self)
        keep = frame["client"].isin(consenting) & frame["observation_id"].isin(finished)
        return frame[keep].reset_index(drop=True)


# -- row conversion -------------------------------------------------------------------------------------------------------------


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
