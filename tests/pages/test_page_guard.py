"""The page guard (observe/ui/page.py): the menu shows only the pages the signed-in role may use,
a page outside the role stops when opened by URL, and an unexpected error shows one sentence
with an error id that matches the server log line, never a traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from observe.governance import auth
from observe.store import Store
from observe.ui.page import NAVIGATION, PAGE_ACTIONS

TIMEOUT = 60
REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long pass phrase"
ROLES = {"boss": "administrator", "ani": "observer", "eko": "researcher"}


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guard") / "team.db"
    store = Store.open(str(path))
    for name, role in ROLES.items():
        store.add_user(name, role=role)
        store.set_password(name, PASSWORD)
    store.set_setting("demo_offered", True)
    store.close()
    return path


def signed_in(path: Path, username: str) -> AppTest:
    at = AppTest.from_file(str(path), default_timeout=TIMEOUT).run()
    at.text_input(key="access_username").input(username)
    at.text_input(key="access_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["access_user"] == username
    return at


def sidebar_labels(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


def test_every_page_names_what_a_role_needs() -> None:
    files = {f"pages/{p.name}" for p in (REPO_ROOT / "pages").glob("*.py")}
    assert {path for path, _key, _icon in NAVIGATION[1:]} == set(PAGE_ACTIONS) == files
    for path, key, _icon in NAVIGATION:  # the guard finds the page by the title key it is set up with
        assert f'page.setup("{key}"' in (REPO_ROOT / path).read_text(encoding="utf-8"), path


def test_an_observer_has_no_administration_in_the_menu_and_an_administrator_has(team: None) -> None:
    observer = signed_in(REPO_ROOT / "app.py", "ani")
    labels = sidebar_labels(observer)
    assert "Record" in labels and "Sessions" in labels
    assert "Administration" not in labels
    assert not any("Administration" in link.proto.label for link in observer.main.get("page_link"))
    admin = signed_in(REPO_ROOT / "app.py", "boss")
    assert "Administration" in sidebar_labels(admin)


def test_a_researcher_sees_only_the_aggregate_pages(team: None) -> None:
    labels = sidebar_labels(signed_in(REPO_ROOT / "app.py", "eko"))
    assert labels == ["Home", "Coding scheme", "Import / export"], labels


def test_a_page_outside_the_role_stops_when_opened_by_url(team: None) -> None:
    at = signed_in(REPO_ROOT / "pages" / "11_Administration.py", "ani")
    assert any("does not use this page" in info.value for info in at.info)
    assert not at.tabs and not at.dataframe and not at.get("form")


# -- no tracebacks -------------------------------------------------------------------------------------


def _failing_page() -> None:
    from observe.ui import page

    page.setup("nav.home")
    raise RuntimeError("secret internal detail")


def _refusing_page() -> None:
    from observe.errors import NotFound
    from observe.ui import page

    page.setup("nav.home")
    raise NotFound("record.no_session", ref="K99-S01")


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    store = Store.open(str(tmp_path / "local.db"))
    store.set_setting("demo_offered", True)
    store.close()
    monkeypatch.setenv("OBSERVE_DB", str(tmp_path / "local.db"))
    monkeypatch.setenv("OBSERVE_MODE", "local")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def _error_id(at: AppTest) -> str:
    assert not at.exception, "a traceback reached the page"
    assert len(at.error) == 1
    text = at.error[0].value
    assert "secret internal detail" not in text and "Traceback" not in text
    found = re.search(r"error id:? ([0-9a-f]{8})", text)
    assert found, text
    return found.group(1)


def test_an_unexpected_error_shows_a_short_message_with_the_logged_error_id(
    local: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="observe.ui"):
        at = AppTest.from_function(_failing_page, default_timeout=TIMEOUT).run()
    error_id = _error_id(at)
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "secret internal detail" in logged[0].getMessage()


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth.dummy_hash.cache_clear()


def test_an_uncaught_observe_error_shows_its_own_sentence_with_an_error_id(
    local: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="observe.ui"):
        at = AppTest.from_function(_refusing_page, default_timeout=TIMEOUT).run()
    error_id = _error_id(at)
    assert "K99-S01" in at.error[0].value
    assert any(error_id in r.getMessage() for r in caplog.records)


def test_an_administrator_unlocks_a_name_on_the_administration_page(team: None, team_db: Path) -> None:
    store = Store.open(str(team_db))
    try:
        for _ in range(auth.FREE_ATTEMPTS):
            with pytest.raises(Exception, match="wrong"):
                store.authenticate("eko", "guess guess guess")
        assert [lock.username for lock in store.sign_in_locks()] == ["eko"]
        at = signed_in(REPO_ROOT / "pages" / "11_Administration.py", "boss")
        assert at.selectbox(key="admin_unlock_name").value == "eko"
        next(b for b in at.button if b.label == "Unlock").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert store.sign_in_locks() == []
        assert store.authenticate("eko", PASSWORD).username == "eko"
    finally:
        store.close()
