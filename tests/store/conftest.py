"""Store fixtures: every storage test runs on SQLite (a file in tmp_path) and PostgreSQL
(a fresh database on the CI server, see ``tests/conftest.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from observe.model import Observation
from observe.store import Store
from observe.store import tables as T

SESSION_S = 600.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The URL of a new workspace on each backend: an empty SQLite file; a PostgreSQL database
    with only what the migrations put there (``workspace_postgres_url``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'observe.db'}"
    return str(request.getfixturevalue("workspace_postgres_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    yield opened
    opened.close()


@pytest.fixture
def observation(store: Store) -> Observation:
    """An open observation of a 10-minute session coded with the default scheme."""
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 9, 1), duration_s=SESSION_S)
    return store.open_observation(session.code, "obs.one")


def dump_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version included), in a stable order."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        for name in names:
            if name in T.metadata.tables:
                rows = conn.execute(select(T.metadata.tables[name])).all()
            else:  # alembic_version: not in our metadata, a fixed name
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            result[name] = sorted((tuple(r) for r in rows), key=repr)
    return result


@pytest.fixture
def dump() -> Callable[[Store], dict[str, list[tuple[Any, ...]]]]:
    """``dump(store)``: a full copy of the database, to prove a refused write changed nothing."""
    return dump_tables
