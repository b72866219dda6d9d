"""The home page (app.py) in Streamlit's AppTest: on a new database it shows the demo
workspace at a glance, the demo notice and the links to every page, in English or
Indonesian; the cached store never leaks from one database to the next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from observe.i18n import t
from observe.store import Store
from observe.ui.page import NAVIGATION

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
METRICS = ("clients", "sessions", "observers", "observations", "events")


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new SQLite file as the app's database (local mode); the page guard's cached store is
    cleared before and after, so no test sees another test's database."""
    path = tmp_path / "home.db"
    monkeypatch.setenv("OBSERVE_DB", str(path))
    monkeypatch.setenv("OBSERVE_MODE", "local")
    monkeypatch.chdir(REPO_ROOT)
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


def run_home(**query: str) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def stored_counts(path: Path) -> dict[str, int]:
    store = Store.open(str(path))
    try:
        return store.counts()
    finally:
        store.close()


def grouped(n: int, lang: str) -> str:
    """Thousands grouped the locale's way (CLDR): 8,096 in English, 8.096 in Indonesian."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "id" else text


def test_new_database_shows_the_demo_workspace(db_path: Path) -> None:
    at = run_home()
    counts = stored_counts(db_path)
    assert counts["clients"] >= 3 and counts["sessions"] >= 12 and counts["events"] > 1000
    shown = {m.label: m.value for m in at.metric}
    assert shown == {t(f"home.count.{name}", "en"): grouped(counts[name], "en") for name in METRICS}
    assert at.title[0].value == t("app.title", "en")
    assert "demo" in at.info[0].value.lower()
    assert at.button(key="home_remove_demo").label == t("home.remove_demo", "en")
    links = [link.proto for link in at.main.get("page_link")]
    expected = [key for path, key, _icon in NAVIGATION[1:] if (REPO_ROOT / path).exists()]
    assert len(links) == len(expected) >= 3
    for proto, key in zip(links, expected, strict=True):
        assert t(key, "en") in proto.label and proto.query_string == "lang=en"
    sidebar_links = [link.proto.label for link in at.sidebar.get("page_link")]
    assert t("nav.home", "en") in sidebar_links


def test_the_store_does_not_leak_between_databases(db_path: Path) -> None:
    """A workspace in use (one client, the demo declined) shows its own numbers, no demo."""
    store = Store.open(str(db_path))
    store.set_setting("demo_offered", True)
    store.add_client("MINE")
    store.close()
    at = run_home()
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("home.count.clients", "en")] == "1"
    assert shown[t("home.count.events", "en")] == "0"
    assert not at.info  # no demo notice
    assert not at.button  # nothing to remove


def test_indonesian_from_the_language_switch(db_path: Path) -> None:
    at = run_home()
    at.sidebar.selectbox(key="ui_language").set_value("id").run()
    assert not at.exception
    counts = stored_counts(db_path)
    assert at.title[0].value == t("app.title", "id") != t("app.title", "en")
    shown = {m.label: m.value for m in at.metric}
    assert shown == {t(f"home.count.{name}", "id"): grouped(counts[name], "id") for name in METRICS}
    assert "Klien" in shown and "Sesi" in shown
    assert at.button(key="home_remove_demo").label == t("home.remove_demo", "id")
    assert at.subheader[0].value == t("home.tasks", "id")
    assert all(link.proto.query_string == "lang=id" for link in at.main.get("page_link"))
    assert at.query_params["lang"] in ("id", ["id"])  # the URL keeps the choice


def test_indonesian_from_the_url(db_path: Path) -> None:
    at = run_home(lang="id")
    assert at.sidebar.selectbox(key="ui_language").value == "id"
    assert at.subheader[0].value == t("home.tasks", "id")
