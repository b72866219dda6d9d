"""Shared test helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
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
def fresh_postgres_database() -> Iterator[str]:
    """Create ``observe_test_<random>`` and yield its URL; drop it afterwards.

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
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield _pg_url(name)
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.close()


def make_url_database(url: str) -> str:
    """The database name in a URL (``postgres`` when the URL names none)."""
    from sqlalchemy.engine import make_url

    return make_url(url).database or "postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    with fresh_postgres_database() as url:
        yield url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the real-browser tests last: they keep a browser (with Playwright's event loop) and
    Streamlit servers alive for the rest of the session, which other tests should not share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


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
        with fresh_postgres_database() as url:
            opened = Store.open(url)
            yield opened
            opened.close()
