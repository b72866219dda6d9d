"""Shared test helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import multiprocessing.context

    import psycopg
    from streamlit.testing.v1 import AppTest

    from observe.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_fixtures() -> Path:
    """``../shared/fixtures`` beside the checkout (real files from other tools, see its README).

    Tests that need it skip with a clear reason when the folder is absent.
    """
    path = REPO_ROOT.parent / "shared" / "fixtures"
    if not path.is_dir():
        pytest.skip(f"shared fixtures not found at {path} (clone ../shared beside the repo)")
    return path


# -- PostgreSQL: a fresh database per test (tests/store, tests/test_cli.py) -------------------------

from contextlib import contextmanager  # noqa: E402

PG_BASE_ENV = "OBSERVE_TEST_PG"
PG_BASE_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_base_url() -> str:
    """The maintenance database tests create their own databases from (env ``OBSERVE_TEST_PG``)."""
    import os

    return os.environ.get(PG_BASE_ENV) or PG_BASE_DEFAULT


def _pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg_base_url()).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(*, keep: bool = False) -> Iterator[str]:
    """Create ``observe_test_<random>`` and yield its URL; drop it afterwards (``keep``: only if
    the block fails).

    An unreachable server FAILS the test with a clear message (CI starts PostgreSQL;
    deselect locally with ``-m "not postgres"``), it never skips silently.
    """
    import secrets

    import psycopg
    from psycopg import sql

    admin_url = _pg_url(make_url_database(pg_base_url()))
    name = f"observe_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {pg_base_url()} ({str(exc).strip().splitlines()[0]}). "
            f"Start the server, set {PG_BASE_ENV} to a reachable maintenance database URL, "
            'or deselect these tests with -m "not postgres".',
            pytrace=False,
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    drop = not keep
    try:
        yield _pg_url(name)
    except BaseException:
        drop = True
        raise
    finally:
        if drop:
            _drop_database(name)


def _drop_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    _terminate(name)
    with psycopg.connect(_pg_url(make_url_database(pg_base_url())), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def make_url_database(url: str) -> str:
    """The database name in a URL (``postgres`` when the URL names none)."""
    from sqlalchemy.engine import make_url

    return make_url(url).database or "postgres"


# A workspace database for tests that open a store on it: creating and migrating a PostgreSQL
# database costs half a second (more on a loaded machine), so each test process keeps the ones it
# made and wipes them back to the migrations' own rows after each test, in milliseconds.
_POOL: list[str] = []
_BASELINE: dict[str, tuple[object, dict[str, bytes], dict[str, tuple[int, bool]]]] = {}  # per URL

_FINGERPRINT = """
SELECT 'column', table_name || '.' || column_name || ':' || data_type FROM information_schema.columns
 WHERE table_schema = 'public'
UNION ALL SELECT 'index', indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'constraint', conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
 WHERE connamespace = 'public'::regnamespace
UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal
UNION ALL SELECT 'function', proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
ORDER BY 1, 2"""


def _snapshot(conn: psycopg.Connection) -> tuple[object, dict[str, bytes], dict[str, tuple[int, bool]]]:
    """The schema's fingerprint, every table's rows (COPY text) and every sequence's position."""
    from psycopg import sql

    fingerprint = conn.execute(_FINGERPRINT).fetchall()
    rows = {}
    for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall():
        with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))) as copy:
            rows[table] = b"".join(bytes(block) for block in copy)
    sequences = {}
    for (name,) in conn.execute(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
    ).fetchall():
        query = sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(name))
        sequences[name] = conn.execute(query).fetchone()
    return fingerprint, rows, sequences


def _terminate(database: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url(make_url_database(pg_base_url())), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )


def _wipe(url: str) -> bool:
    """Back to the rows and sequences the migrations left; False when the test changed the schema."""
    import psycopg
    from psycopg import sql

    _terminate(make_url_database(url))
    fingerprint, rows, sequences = _BASELINE[url]
    with psycopg.connect(url) as conn:
        if conn.execute(_FINGERPRINT).fetchall() != fingerprint:
            return False
        conn.execute("SET LOCAL session_replication_role = replica")  # no triggers, no key checks
        for table, data in rows.items():
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            if data:
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))) as copy:
                    copy.write(data)
        for name, (value, called) in sequences.items():
            conn.execute(
                "SELECT setval(%s::regclass, %s, %s)", (sql.Identifier(name).as_string(conn), value, called)
            )
    return True


@contextmanager
def pooled_postgres_database() -> Iterator[str]:
    """The URL of a PostgreSQL database at the schema head holding only the migrations' own rows,
    as a new workspace is: this process's own, wiped after the test (dropped if the test changed
    its schema). For tests that open a store on it; :func:`fresh_postgres_database` is empty."""
    import atexit

    import psycopg

    from observe.store import Store

    if _POOL:
        url = _POOL.pop()
    else:
        with fresh_postgres_database(keep=True) as url:
            Store.open(url).close()
            with psycopg.connect(url) as conn:
                _BASELINE[url] = _snapshot(conn)
        atexit.register(_drop, url)
    try:
        yield url
    finally:
        if _wipe(url):
            _POOL.append(url)
        else:
            _drop(url)


def _drop(url: str) -> None:
    if _BASELINE.pop(url, None) is not None:
        _drop_database(make_url_database(url))


@pytest.fixture
def workspace_postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL workspace with nothing in it yet (see :func:`pooled_postgres_database`)."""
    with pooled_postgres_database() as url:
        yield url


def forked_processes(*preload: str) -> multiprocessing.context.ForkServerContext:
    """A multiprocessing context for tests that start several processes: each forks from a server
    that imported ``preload`` once (a spawned process imports observe anew: two seconds of CPU)."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    with fresh_postgres_database() as url:
        yield url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the real-browser tests last: they keep a browser (with Playwright's event loop) and
    Streamlit servers alive for the rest of the session, which other tests should not share.
    The xdist groups go first: a group is one worker's long unit of work (the fresh virtual
    environment's is a minute and a half), and started last it would end the run alone."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("e2e") is not None,
            item.get_closest_marker("xdist_group") is None,
        )
    )


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Streamlit's script runner (AppTest too) makes the page script ``sys.modules["__main__"]``
    and leaves it there; a process spawned later would re-run that page first. Put it back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def team(team_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Team mode on the requesting module's ``team_db`` workspace (pages read it from the environment)."""
    import streamlit as st

    monkeypatch.setenv("OBSERVE_DB", str(team_db))
    monkeypatch.setenv("OBSERVE_MODE", "team")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def open_demo_copy(template: Path, folder: Path) -> Store:
    """A writable copy of the demo workspace in ``folder``, opened."""
    import shutil

    from observe.store import Store

    path = folder / "demo.db"
    shutil.copy(template, path)
    return Store.open(str(path))


@pytest.fixture
def demo_copy(demo_workspace: Path, tmp_path: Path) -> Iterator[Store]:
    """A demo workspace of the test's own, for tests that write."""
    store = open_demo_copy(demo_workspace, tmp_path)
    yield store
    store.close()


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters for tests (the real ones cost ~1 s of a loaded shared CPU per hash)."""
    from argon2 import PasswordHasher

    from observe.governance import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth.dummy_hash.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_on_each_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new workspace on SQLite, then on a fresh PostgreSQL database."""
    from observe.store import Store

    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'observe.db'}")
        yield opened
        opened.close()
    else:
        with pooled_postgres_database() as url:
            opened = Store.open(url)
            yield opened
            opened.close()


def chart_data(at: AppTest) -> list[dict[str, Any]]:
    """The ``data`` of each chart an AppTest page drew with :func:`observe.ui.plot.plot`: AppTest
    sees a custom component as an unknown element with its ``data`` as JSON."""
    import json

    return [
        json.loads(element.proto.json)
        for element in at.get("bidi_component")
        if element.proto.component_name == "observe_plot"
    ]


def charts(at: AppTest) -> list[dict[str, Any]]:
    """The figures (plotly JSON) of the charts an AppTest page drew."""
    import json

    return [json.loads(data["figure"]) for data in chart_data(at)]


def asgi_call(
    path: str, *, method: str = "GET", body: bytes = b"", content_type: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI interface of our own routes (observe.ui.routes): status,
    headers, body. (starlette's TestClient needs an extra package.) Run in a thread of its own:
    the caller may be inside an event loop."""
    import asyncio
    import concurrent.futures

    from starlette.applications import Starlette

    from observe.ui.routes import ROUTES

    path, _, query = path.partition("?")
    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": path,
        "raw_path": path.encode(), "root_path": "", "query_string": query.encode(), "server": ("test", 80),
        "client": ("test", 1), "headers": [(b"content-type", content_type.encode())] if content_type else [],
    }  # fmt: skip
    sent: list[dict[str, object]] = []
    done = False

    async def receive() -> dict[str, object]:  # the request, then no disconnect while the answer goes
        nonlocal done
        if done:
            await asyncio.Event().wait()
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def run() -> None:
        app = Starlette(routes=ROUTES)
        task = asyncio.ensure_future(app(scope, receive, send))
        while not task.done() and not any(
            m["type"] == "http.response.body" and not m.get("more_body") for m in sent
        ):
            await asyncio.sleep(0.01)
        # the route's work after its answer (a write, a background task) finishes; a response that
        # waits for the client to go away is let go
        await asyncio.wait({task}, timeout=5)
        task.cancel()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers: dict[str, str] = {}
    for k, v in start["headers"]:  # type: ignore[attr-defined]
        headers[k.decode()] = (headers[k.decode()] + "\n" if k.decode() in headers else "") + v.decode()
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    return int(start["status"]), headers, answer  # type: ignore[call-overload]
