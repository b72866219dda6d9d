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


def _new_workspace_rows() -> dict[str, list[tuple[object, ...]]]:
    with fresh_postgres_database() as url:
        store = Store.open(url)
        try:
            rows = dump_tables(store)
        finally:
            store.close()
    rows.pop("workspace_secrets")  # the signing key is random per database
    return rows


def test_a_used_workspace_comes_back_as_a_new_one() -> None:
    with pooled_postgres_database() as first:
        store = Store.open(first)
        store.add_client("K01")
        store.add_counselor("C01")
        store.add_session("K01", "C01", date=dt.date(2026, 9, 1))
        store.set_setting("demo_offered", True)
        store.close()
    with pooled_postgres_database() as second:
        assert second == first  # the same database, wiped
        store = Store.open(second)
        try:
            rows = dump_tables(store)
            rows.pop("workspace_secrets")
            assert rows == _new_workspace_rows()
            assert store.setting("demo_offered") is None
            store.add_client("K02")  # sequences start again as in a new database
        finally:
            store.close()


def test_a_workspace_whose_schema_changed_is_dropped() -> None:
    with pooled_postgres_database() as first:
        store = Store.open(first)
        with store.engine.begin() as conn:
            conn.execute(text("CREATE TABLE stray (id integer)"))
        store.close()
    with pooled_postgres_database() as second:
        assert second != first
