"""The workspace's signing secret (issue 16): one per database, the same for every app server on
it, made once, and overridden by ``OBSERVE_SECRET``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from observe.errors import InvalidInput
from observe.store import Store
from observe.store import tables as T
from observe.store.secret import signing_key
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("OBSERVE_SECRET", raising=False)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'observe.db'}"
    else:
        with fresh_postgres_database() as made:
            yield made


def test_every_server_of_one_database_signs_with_the_same_key(url: str, tmp_path: Path) -> None:
    first, second = Store.open(url), Store.open(url)
    try:
        with first.engine.connect() as conn:  # made by the migration, once
            assert len(conn.execute(select(T.workspace_secrets)).all()) == 1
        key = signing_key(first)
        assert len(key) == 32 and signing_key(second) == key
        other = Store.open(f"sqlite:///{tmp_path / 'another.db'}")
        assert signing_key(other) != key  # another workspace, another key
        other.close()
    finally:
        first.close()
        second.close()


def test_a_missing_secret_is_made_once_by_servers_asking_at_the_same_time(url: str) -> None:
    setup = Store.open(url)
    with setup.engine.begin() as conn:
        conn.execute(delete(T.workspace_secrets))
    setup.close()
    servers = [Store.open(url) for _ in range(4)]
    start = threading.Barrier(len(servers))
    keys: list[bytes] = []

    def ask(server: Store) -> None:
        start.wait()
        keys.append(signing_key(server))

    threads = [threading.Thread(target=ask, args=(s,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 4 and len(set(keys)) == 1
    for server in servers:
        server.close()


def test_observe_secret_overrides_the_database(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(url)
    stored = signing_key(store)
    monkeypatch.setenv("OBSERVE_SECRET", "x" * 40)
    assert signing_key(store) not in (stored, b"x" * 40)
    assert signing_key(store) == signing_key(Store.open("sqlite://"))  # the same on every server
    monkeypatch.setenv("OBSERVE_SECRET", "short")
    with pytest.raises(InvalidInput, match="OBSERVE_SECRET"):
        signing_key(store)
    store.close()
