"""Opening a database: the URL setting, migrations from empty, SQLite pragmas, and clear
errors for a corrupt file, a foreign database and an unreachable server."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from observe.errors import DatabaseError
from observe.store import Store, resolve_url
from observe.store import tables as T
from observe.store.api import MIGRATIONS
from tests.conftest import forked_processes

# -- migrations -------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (no table at all) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'observe.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_migrations_from_empty_reach_head(empty_db_url: str) -> None:
    store = Store.open(empty_db_url)
    try:
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert head is not None
        assert store.schema_revision() == head
    finally:
        store.close()


def _sqlite_contents(path: Path) -> dict[str, object]:
    """Everything in an SQLite file a schema or its seeded rows can differ in."""
    with sqlite3.connect(path) as raw:
        master = sorted(raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        tables = [name for kind, name, _, _ in master if kind == "table"]
        rows = {t: sorted(raw.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}  # noqa: S608
        pragmas = {p: raw.execute(f"PRAGMA {p}").fetchone() for p in ("user_version", "application_id")}
    return {"master": master, "rows": rows, "pragmas": pragmas}


def test_a_new_sqlite_database_is_what_the_migrations_make(tmp_path: Path) -> None:
    """A new SQLite file is made at head from a dump of the migrations' result (60 ms → 4 ms):
    schema, seeded rows and header equal the migrations run on the file itself."""
    from alembic import command
    from alembic.config import Config

    made = tmp_path / "made.db"
    Store.open(str(made)).close()
    migrated = tmp_path / "migrated.db"
    store = Store.open(str(migrated), migrate=False)
    with store.engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    store.close()
    contents, expected = _sqlite_contents(made), _sqlite_contents(migrated)
    assert len(contents["master"]) > len(T.metadata.tables) and contents["rows"]["alembic_version"]
    # each workspace draws its own signing secret (migration 0007), a second new file too
    secrets = [c["rows"].pop("workspace_secrets") for c in (contents, expected)]
    Store.open(str(tmp_path / "another.db")).close()
    secrets.append(_sqlite_contents(tmp_path / "another.db")["rows"]["workspace_secrets"])
    assert [[name for name, _ in rows] for rows in secrets] == [["signing"]] * 3
    assert len({rows[0][1] for rows in secrets}) == 3 and all(len(rows[0][1]) == 64 for rows in secrets)
    assert contents == expected


def test_two_processes_making_one_new_sqlite_file_make_it_once(tmp_path: Path) -> None:
    """The new file is written under SQLite's write lock: the second opener finds it at head."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with ProcessPoolExecutor(2, mp_context=forked_processes("observe.store", __name__)) as pool:
        revisions = list(pool.map(_open_and_add_client, [(url, "K01"), (url, "K02")]))
    store = Store.open(url)
    try:
        assert revisions[0] == revisions[1] == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert sorted(c.code for c in store.clients()) == ["K01", "K02"]
    finally:
        store.close()


def _open_and_add_client(args: tuple[str, str]) -> str | None:
    url, code = args
    store = Store.open(url)
    try:
        store.add_client(code)
        return store.schema_revision()
    finally:
        store.close()


def test_migrated_schema_matches_tables_module(store: Store) -> None:
    """The migrations and observe/store/tables.py describe the same tables and columns."""
    with store.engine.connect() as conn:
        inspector = inspect(conn)
        migrated = {
            name: sorted(c["name"] for c in inspector.get_columns(name))
            for name in inspector.get_table_names()
            if name != "alembic_version"
        }
        declared = {name: sorted(c.name for c in table.columns) for name, table in T.metadata.tables.items()}
        assert migrated == declared
        for name, table in T.metadata.tables.items():
            nullable = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
            assert nullable == {c.name: c.nullable for c in table.columns}, name
        # Alembic's own comparison (types, indexes, constraints) finds nothing to change.
        diffs = compare_metadata(MigrationContext.configure(conn), T.metadata)
        assert diffs == []


def test_opening_again_keeps_data(db_url: str) -> None:
    first = Store.open(db_url)
    first.add_client("K01")
    first.close()
    second = Store.open(db_url)
    try:
        assert [c.code for c in second.clients()] == ["K01"]
    finally:
        second.close()


def test_database_from_a_newer_observe_is_refused(store: Store, db_url: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(DatabaseError) as info:
        Store.open(db_url)
    assert info.value.key == "db.newer"
    assert "newer version of observe" in str(info.value)


def test_writes_are_visible_to_another_connection_when_the_call_returns(store: Store, db_url: str) -> None:
    """A returned write is committed: a second, independent store sees it at once."""
    store.add_client("K01")
    other = Store.open(db_url)
    try:
        assert [c.code for c in other.clients()] == ["K01"]
    finally:
        other.close()


# -- SQLite specifics ----------------------------------------------------------------------------------------


def test_sqlite_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "w.db"))  # a plain path is an SQLite file
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()
    # WAL is a property of the file: a bare sqlite3 connection sees it too
    with sqlite3.connect(tmp_path / "w.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_file_in_a_new_folder_is_created(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'x.db'}")
    store.close()
    assert (tmp_path / "deep" / "er" / "x.db").is_file()


def test_corrupt_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    content = b"SQLite format 3\x00" + bytes(range(256)) * 20
    path.write_bytes(content)
    with pytest.raises(DatabaseError) as info:
        Store.open(str(path))
    assert info.value.key == "db.corrupt"
    message = str(info.value)
    assert "corrupt.db" in message and "cannot be read" in message
    assert "\n" not in message
    assert path.read_bytes() == content


def test_text_file_as_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database\n" * 10)
    with pytest.raises(DatabaseError) as info:
        Store.open(str(path))
    assert info.value.key == "db.corrupt"
    assert path.read_text() == "hello, this is not a database\n" * 10


def test_foreign_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        raw.execute("INSERT INTO invoices VALUES (1, 9.5)")
    with pytest.raises(DatabaseError) as info:
        Store.open(str(path))
    assert info.value.key == "db.foreign"
    assert "other.db" in str(info.value) and "not observe's" in str(info.value)
    with sqlite3.connect(path) as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables == ["invoices"]
        assert raw.execute("SELECT * FROM invoices").fetchall() == [(1, 9.5)]


# -- PostgreSQL specifics ----------------------------------------------------------------------------------------


def test_unreachable_postgres_is_a_clear_error_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(DatabaseError) as info:
        Store.open("postgresql://someone:secret@127.0.0.1:1/observe")
    assert time.perf_counter() - started < 15
    assert info.value.key == "db.unreachable"
    message = str(info.value)
    assert "127.0.0.1:1" in message and "cannot be reached" in message
    assert "secret" not in message  # the password is never shown


@pytest.mark.postgres
def test_missing_postgres_database_is_a_clear_error(postgres_url: str) -> None:
    with pytest.raises(DatabaseError) as info:
        Store.open(postgres_url.rsplit("/", 1)[0] + "/observe_no_such_database")
    assert info.value.key == "db.unreachable"
    assert "observe_no_such_database" in str(info.value)


@pytest.mark.postgres
def test_foreign_postgres_database_is_refused(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("CREATE TABLE invoices (id integer primary key)")
    with pytest.raises(DatabaseError) as info:
        Store.open(postgres_url)
    assert info.value.key == "db.foreign"
    with psycopg.connect(postgres_url) as raw:
        names = [
            r[0]
            for r in raw.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        ]
    assert names == ["invoices"]


# -- choosing the database ------------------------------------------------------------------------------------


def test_resolve_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OBSERVE_DB", raising=False)
    assert resolve_url() == "sqlite:///data/observe.db"  # the default
    assert resolve_url("x/y.db") == "sqlite:///x/y.db"
    assert resolve_url("sqlite:///abs.db") == "sqlite:///abs.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[observe]\ndb = "from-secrets.db"\n')
    assert resolve_url() == "sqlite:///from-secrets.db"
    monkeypatch.setenv("OBSERVE_DB", "from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"  # the environment wins over secrets
    assert resolve_url("explicit.db") == "sqlite:///explicit.db"  # an argument wins over both


@pytest.mark.parametrize(
    ("url", "key"),
    [("mysql://u@h/db", "db.unsupported"), ("nonsense://x", "db.unsupported"), ("://nothing", "db.bad_url")],
)
def test_unsupported_or_bad_url(url: str, key: str) -> None:
    with pytest.raises(DatabaseError) as info:
        Store.open(url)
    assert info.value.key == key
