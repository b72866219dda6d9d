"""The store's core: the engine, transactions, the acting user and the one unit of work.

Every change goes through :meth:`StoreCore.acting`: it checks the acting user's permission
for the action and its target, runs the change in one transaction, writes the audit row
(who, what, which object, when, a before/after summary) in that same transaction and bumps
the workspace's data version. A refused check changes nothing and leaves an audit row of
the refusal. SQL is built by SQLAlchemy Core with bound parameters only.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NamedTuple, Self

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, bindparam, exists, insert, inspect, select, text, union_all, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from observe.errors import DatabaseError, PermissionDenied
from observe.governance.access import ADMIN, RESEARCHER, Principal, Target, allows
from observe.scheme import CodingScheme
from observe.store import tables as T
from observe.store.engine import describe, make_engine, resolve_url
from observe.store.prepared import Prepared
from observe.store.rows import _first_line, _now

MIGRATIONS = Path(__file__).with_name("migrations")
LOCAL_ADMIN = "local-admin"  # the acting user in local (single-user) mode
STARTUP = "(startup)"  # the import of app.py by `streamlit run` (no browser session): a researcher's rights

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


# Blind coding: the sessions whose other coding a user may see are those where the user's own
# observation is finished and so is every other one, with no assigned coder still to start.
_STILL_CODING = union_all(
    select(T.observations.c.session_id).where(T.observations.c.status != "finished"),
    select(T.session_observers.c.session_id).where(
        ~exists().where(
            T.observations.c.session_id == T.session_observers.c.session_id,
            T.observations.c.observer_id == T.session_observers.c.user_id,
        )
    ),
)
_Q_UNBLINDED = select(T.observations.c.session_id).where(
    T.observations.c.observer_id == bindparam("user"),
    T.observations.c.status == "finished",
    T.observations.c.session_id.not_in(select(_STILL_CODING.subquery())),
)

# The data version: one row, bumped in every committed change of data (dashboard caches key on it).
_BUMP = Prepared(
    update(T.data_version).where(T.data_version.c.id == 1).values(version=T.data_version.c.version + 1)
)
_Q_VERSION = select(T.data_version.c.version).where(T.data_version.c.id == 1)

# Refusals met inside a transaction wait here until it has rolled back, then are audited in
# their own transaction (SQLite allows one writer: writing them inside would wait on ourselves).
_REFUSALS: ContextVar[list[tuple[str, str, str]] | None] = ContextVar("observe_store_refusals", default=None)


class Work:
    """One unit of work (:meth:`StoreCore.acting`): the transaction's connection and what its
    audit row will say. The body may add ``detail`` (a before/after summary: names of changed
    fields, counts, ids; never personal values), change ``entity_id`` or ``client_id`` once
    they are known, ask further permissions with :meth:`check`, set ``audited = False``
    when it wrote its own audit rows (one per sub-action), or ``data_changed = False`` when
    it changed only bookkeeping no view draws (sign-in records, failure counts): the data
    version then stays, and so do the caches keyed on it."""

    def __init__(
        self, store: StoreCore, conn: Connection, action: str, entity: str, entity_id: object, client_id: Any
    ) -> None:
        self.store = store
        self.conn = conn
        self.action = action
        self.entity = entity
        self.entity_id = entity_id
        self.client_id = client_id
        self.detail: dict[str, Any] = {}
        self.audited = True
        self.data_changed = True

    def record(self, entity_id: object = None, *, client_id: Any = None, **detail: Any) -> None:
        """Say which object the change was about (once it is known) and summarise it."""
        if entity_id is not None:
            self.entity_id = entity_id
        if client_id is not None:
            self.client_id = client_id
        self.detail.update(detail)

    def check(self, action: str, target: Target | None = None) -> None:
        """Refuse (and, after the rollback, audit the refusal) what the acting user may not do."""
        self.store._allow(action, target)

    def audit(
        self, action: str, entity: str, entity_id: object = None, *, client_id: Any = None, **detail: Any
    ) -> None:
        """One more audit row in this transaction (for a unit that is several actions)."""
        self.store._audit(self.conn, action, entity, entity_id, client_id=client_id, **detail)


#: PostgreSQL advisory lock key held while migrating ("observe" in ASCII)
_MIGRATION_LOCK = 0x6F6273657276


def _alembic_config(connection: Connection) -> Config:
    """Alembic's settings for running the migrations on ``connection`` (migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _sqlite_at_head() -> tuple[str, ...]:
    """The statements that make a new SQLite database what the migrations make of it: they run
    once per process on an in-memory database, which is then dumped (tables, the rows the
    migrations seed, indexes, triggers). Running all of them on every new database took
    60 ms of Alembic (the tests open a few thousand)."""
    engine = make_engine("sqlite://")
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
        with engine.connect() as conn:
            dump = conn.connection.dbapi_connection.iterdump()  # type: ignore[union-attr]
            return tuple(s for s in dump if s not in ("BEGIN TRANSACTION;", "COMMIT;"))
    finally:
        engine.dispose()


def _create_at_head(conn: Connection) -> None:
    """Bring an empty SQLite database to head in the caller's transaction (the dump is in
    table-name order: its seeded rows are checked against their keys at the commit)."""
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA defer_foreign_keys=ON")  # type: ignore[union-attr]
    for statement in _sqlite_at_head():
        raw.execute(statement)  # type: ignore[union-attr]
    # migration 0007 draws each workspace's signing secret at random: never the template's
    conn.execute(update(T.workspace_secrets).values(value=secrets.token_hex(32)))


class StoreCore:
    """The observation workspace in one database.

    >>> from observe.store import Store
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

    def as_user(self, username: str) -> Self:
        """A view of the same database acting as ``username`` (sharing the engine and the
        scheme cache, so it is cheap to make per request); refused for an unknown or
        disabled user."""
        view = type(self)(self.engine, self.url, username, schemes=self._schemes)
        view.principal  # noqa: B018 - look the user up now: a bad name fails here, not later
        return view

    def startup_view(self) -> Self:
        """A view with a researcher's rights (aggregates only, never one named record) for code
        that runs with no signed-in user (``streamlit run`` importing app.py once)."""
        view = type(self)(self.engine, self.url, STARTUP, schemes=self._schemes)
        view._principal = Principal(STARTUP, RESEARCHER)
        return view

    # -- the acting user and permissions (observe.governance.access) -------------------------------------------------
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
            finished = conn.execute(_Q_UNBLINDED, {"user": row.id}).scalars()
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
        """Refuse what the acting user may not do (every public method calls this first);
        the refusal is audited."""
        if not allows(self.principal, action, target):
            self._deny(action)

    def _deny(self, action: str, key: str = "access.denied", **params: Any) -> None:
        """Raise :class:`PermissionDenied` for ``action`` and leave an audit row of the refusal
        (after the surrounding transaction, if any, has rolled back)."""
        pending = _REFUSALS.get()
        refusal = (self.actor, action, self.principal.role)
        if pending is not None:
            pending.append(refusal)
        else:
            self._audit_refusals([refusal])
        raise PermissionDenied(key, **({"action": action, "role": self.principal.role} | params))

    def _audit_refusals(self, refusals: list[tuple[str, str, str]]) -> None:
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
                for username, action, role in refusals:
                    conn.execute(
                        _I_AUDIT,
                        {
                            "a_at": _now(),
                            "a_username": username,
                            "a_action": "access.refused",
                            "a_entity": "action",
                            "a_entity_id": action,
                            "a_detail": json.dumps({"role": role}),
                            "a_client_id": None,
                        },
                    )
        except SQLAlchemyError:  # the refusal stands even when the trail cannot be written
            pass

    # -- the one unit of work -------------------------------------------------------------------------
    @contextmanager
    def acting(
        self,
        action: str,
        target: Target | None = None,
        *,
        audit: str | None = None,
        entity: str = "workspace",
        entity_id: object = None,
        client_id: Any = None,
        checked: bool = False,
    ) -> Iterator[Work]:
        """Check ``action`` on ``target`` for the acting user, open one write transaction and
        yield its :class:`Work`; on success the audit row (named ``audit``, default ``action``;
        ``entity``/``entity_id``, the body's ``detail``) is written in the same transaction and
        the data version is bumped (unless the body said ``data_changed = False``). Any
        error rolls everything back; a refused check is audited as a refusal.
        ``checked=True``: the caller has just asked the permission itself (several targets)."""
        if not checked:
            self._allow(action, target)
        with self._write() as conn:
            work = Work(self, conn, audit or action, entity, entity_id, client_id)
            yield work
            if work.audited:
                self._audit(
                    conn, work.action, work.entity, work.entity_id, client_id=work.client_id, **work.detail
                )
            if work.data_changed:
                _BUMP.execute(conn, {})

    def data_version(self) -> int:
        """A counter bumped by every committed change (in the change's own transaction): a
        cache of anything drawn from the data is valid while this number stays the same."""
        with self._read() as conn:
            return int(conn.execute(_Q_VERSION).scalar() or 0)

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

    def _counselor_targets(self, conn: Connection) -> dict[int, Target]:
        """Every counselor's target in two queries (for filtering lists)."""
        sessions: dict[int, set[int]] = {
            int(cid): set() for cid in conn.execute(select(T.counselors.c.id)).scalars()
        }
        for sid, kid in conn.execute(select(T.sessions.c.id, T.sessions.c.counselor_id)):
            sessions.setdefault(int(kid), set()).add(int(sid))
        return {cid: Target.of(counselors=[cid], sessions=ids) for cid, ids in sessions.items()}

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
    def open(cls, db: str | None = None, *, actor: str = LOCAL_ADMIN, migrate: bool = True) -> Self:
        """Open (and bring up to date) the database named by ``db`` or the configuration."""
        url = resolve_url(db)
        engine = make_engine(url)
        store = cls(engine, url, actor)
        try:
            new = store._check_database()
            if migrate:
                store._migrate(new)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseError("db.unreachable", url=describe(url), detail=_first_line(exc)) from exc
        except SQLAlchemyError as exc:
            engine.dispose()
            raise DatabaseError("db.corrupt", url=describe(url), detail=_first_line(exc)) from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _check_database(self) -> bool:
        """Refuse a database that holds someone else's tables or a newer observe schema; whether
        it is new (no table at all)."""
        with self.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if not names:
                return True
            if "alembic_version" not in names:
                raise DatabaseError("db.foreign", url=describe(self.url))
            current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
            if current not in known:
                raise DatabaseError("db.newer", url=describe(self.url), revision=current)
        return False

    def _migrate(self, new: bool) -> None:
        if new and self.engine.dialect.name == "sqlite" and self._create_new_sqlite():
            return
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # several app servers starting at once on one database: one migrates, the
                # others wait here and then find the schema at head (PostgreSQL's DDL is transactional)
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            command.upgrade(_alembic_config(conn), "head")

    def _create_new_sqlite(self) -> bool:
        """Make a new SQLite file at head in one step under its write lock (BEGIN IMMEDIATE: only
        a file found empty pays for the lock); False when another process made it first."""
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
            if inspect(conn).get_table_names():
                return False
            _create_at_head(conn)
            return True

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (use :meth:`acting`; this is its engine room). SQLite takes the
        write lock up front (BEGIN IMMEDIATE) so that a read-then-write cannot deadlock with
        another writer. Refusals met inside are audited after the rollback."""
        outer = _REFUSALS.get() is None
        token = _REFUSALS.set([]) if outer else None
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
                yield conn
        except IntegrityError as exc:
            raise DatabaseError("db.refused", detail=_first_line(exc)) from exc
        except OperationalError as exc:
            raise DatabaseError("db.unreachable", url=describe(self.url), detail=_first_line(exc)) from exc
        finally:
            if token is not None:
                refusals = _REFUSALS.get() or []
                _REFUSALS.reset(token)
                if refusals:
                    self._audit_refusals(refusals)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise DatabaseError("db.unreachable", url=describe(self.url), detail=_first_line(exc)) from exc
