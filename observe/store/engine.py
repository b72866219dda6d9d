"""The database behind a URL: SQLite by default, PostgreSQL for teams.

One setting chooses it (first match wins): an explicit ``--db`` / argument, the
``OBSERVE_DB`` environment variable, ``[observe] db`` in ``.streamlit/secrets.toml``,
then ``data/observe.db``. A plain file path is read as an SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import tomllib
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from observe.errors import DatabaseError
from observe.governance.files import private_dir, private_file

DEFAULT_DB = Path("data") / "observe.db"
SECRETS = Path(".streamlit") / "secrets.toml"


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL for ``db`` or, if None, for the configured database."""
    value = str(db) if db else os.environ.get("OBSERVE_DB") or _secrets_db() or str(DEFAULT_DB)
    if "://" in value:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; name it so SQLAlchemy does not look for psycopg2
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _secrets_db() -> str | None:
    try:
        secrets = tomllib.loads(SECRETS.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    db = secrets.get("observe", {}).get("db")
    return str(db) if db else None


def make_engine(url: str) -> Engine:
    """An engine with the settings observe relies on (WAL, foreign keys, durable commits)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError("db.bad_url", url=url) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    raise DatabaseError("db.unsupported", backend=parsed.get_backend_name())


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).expanduser().resolve().parent
        try:
            private_dir(folder)  # owner-only (observe.governance.files); SQLite gives WAL/SHM the file's mode
            private_file(Path(database).expanduser())
        except OSError as exc:
            raise DatabaseError(
                "db.cannot_create", path=str(folder), detail=exc.strerror or str(exc)
            ) from exc
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is too lazy
        # for read-then-write transactions, which must take the write lock up front).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL may wait for a lock
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")  # a returned write survives a power cut
        # every write zeroes the bytes it frees: an erased client's rows leave nothing behind
        # in free space, so an erasure need not rebuild the file (observe.store.governance)
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # straight to the driver: one statement less through SQLAlchemy on every keypress
        immediate = conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE"
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]

    return engine


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
