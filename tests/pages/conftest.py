"""Shared AppTest set-up for the page tests: the demo workspace and app.py opened on a database."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from observe.store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_template(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace as the app offers it (``demo_offered``): the test process's one demo
    build (``demo_workspace``, without videos: these pages play none), copied."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(demo_workspace, path)
    store = Store.open(str(path))
    store.set_setting("demo_offered", True)
    store.close()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo workspace per test: tests write (observations, events, references)."""
    path = tmp_path / "observe.db"
    shutil.copy(demo_template, path)
    return path


def _clear_caches() -> None:
    # the page guard caches the store (cache_resource) and the pages cache results (cache_data):
    # cleared so that no test sees another test's database
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """``open_app(db, page=None, *, timeout=60, **env) -> AppTest``: app.py run in AppTest on
    ``db`` in local mode (more environment variables from ``env``), then switched to ``page``
    (a path relative to the repository) if given; each run is checked for exceptions.
    Streamlit's caches are cleared before opening and again after the test."""

    def open_(db: Path, page: str | None = None, *, timeout: float = 60, **env: str) -> AppTest:
        for name, value in {"OBSERVE_DB": str(db), "OBSERVE_MODE": "local", **env}.items():
            monkeypatch.setenv(name, value)
        _clear_caches()
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=timeout).run()
        assert not at.exception, [e.message for e in at.exception]
        if page is not None:
            at.switch_page(page).run()
            assert not at.exception, [e.message for e in at.exception]
        return at

    yield open_
    _clear_caches()
