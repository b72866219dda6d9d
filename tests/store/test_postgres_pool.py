"""The tests' PostgreSQL workspaces (tests/conftest.py): a database handed to the next test holds
exactly what a new, migrated one holds, and one whose schema a test changed is not handed on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from observe.store import Store
from tests.conftest import fresh_postgres_database, pooled_postgres_database
from tests.store.conftest import dump_tables

pytestmark = pytest.mark.postgres


def _add_a_session(store: Store) -> None:
    store.add_client("K02")
    store.add_counselor("C02")
    store.add_session("K02", "C02", date=dt.date(2026, 9, 2))


def _rows(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row, the clock's readings and the random signing key left out."""
    rows = dump_tables(store)
    rows.pop("workspace_secrets")
    return {
        table: [tuple("<time>" if isinstance(v, dt.datetime) else v for v in row) for row in found]
        for table, found in rows.items()
    }


def _new_workspace_rows() -> dict[str, list[tuple[object, ...]]]:
    """Every row of a new workspace after :func:`_add_a_session` (ids drawn from the sequences)."""
    with fresh_postgres_database() as url:
        store = Store.open(url)
        try:
            _add_a_session(store)
            return _rows(store)
        finally:
            store.close()


def test_a_used_workspace_comes_back_as_a_new_one() -> None:
    with pooled_postgres_database() as first:
        store = Store.open(first)
        with store.engine.begin() as conn:  # rows, not schema: put back as the migrations left them
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
        store.add_client("K01")
        store.add_counselor("C01")
        store.add_session("K01", "C01", date=dt.date(2026, 9, 1))
        store.set_setting("demo_offered", True)
        store.close()
    with pooled_postgres_database() as second:
        assert second == first  # the same database, wiped
        store = Store.open(second)
        try:
            assert store.setting("demo_offered") is None
            _add_a_session(store)  # the sequences start again as in a new database: the same ids
            assert _rows(store) == _new_workspace_rows()
        finally:
            store.close()


@pytest.mark.parametrize(
    "change",
    [
        "CREATE TABLE stray (id integer)",
        "ALTER TABLE events DROP CONSTRAINT events_observation_id_fkey",
        "DROP INDEX ix_events_lane",
    ],
)
def test_a_workspace_whose_schema_changed_is_dropped(change: str) -> None:
    with pooled_postgres_database() as first:
        store = Store.open(first)
        with store.engine.begin() as conn:
            conn.execute(text(change))
        store.close()
    with pooled_postgres_database() as second:
        assert second != first
