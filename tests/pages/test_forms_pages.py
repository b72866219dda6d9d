"""AppTest of the Sessions and Administration pages on the demo workspace: their forms, found
by widget key, still make the changes they made before the pages moved their rules to the core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.store import Store

TIMEOUT = 60
SESSIONS = "pages/2_Sessions.py"
ADMIN = "pages/11_Administration.py"
PASSWORD = "a long pass phrase"


def submit(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_new_client_and_session_and_an_edited_session(
    demo_db: Path, open_app: Callable[..., AppTest]
) -> None:
    at = open_app(demo_db, SESSIONS, timeout=TIMEOUT)
    at.text_input(key="clients_new_code").input("K77")
    at.text_input(key="clients_new_name").input("Tono")
    at.checkbox(key="clients_new_special").check()
    submit(at, "Add client")
    at.run()  # the sessions tab, drawn before the clients tab, lists the new client on the next run
    at.selectbox(key="sessions_new_client").set_value("K77")
    at.number_input(key="sessions_new_minutes").set_value(30.0)
    at.checkbox(key="sessions_new_parent").check()
    submit(at, "Create session")
    store = Store.open(str(demo_db))
    try:
        tono = store.client("K77")
        assert (tono.display_name, tono.valence_profile) == ("Tono", "special_needs")
        (made,) = store.sessions(client="K77")
        assert (made.duration_s, made.parent_present) == (1800.0, True)
        at.selectbox(key="sessions_edit_pick").set_value(made.code).run()
        assert at.number_input(key="sessions_edit_minutes").value == 30.0
        at.number_input(key="sessions_edit_minutes").set_value(0.0)
        at.date_input(key="sessions_edit_date").set_value(dt.date(2026, 2, 3))
        submit(at, "Save")
        edited = store.session(made.code)
        assert (edited.duration_s, edited.date) == (None, dt.date(2026, 2, 3))
        at.selectbox(key="clients_edit_pick").set_value("K77").run()
        assert at.selectbox(key="clients_edit_profile").value == "special_needs"
        assert at.checkbox(key="clients_edit_special").value
    finally:
        store.close()


def test_admin_creates_and_edits_a_user(demo_db: Path, open_app: Callable[..., AppTest]) -> None:
    at = open_app(demo_db, ADMIN, timeout=TIMEOUT)
    at.text_input(key="admin_new_username").input("rina")
    at.selectbox(key="admin_new_role").set_value("supervisor")
    at.text_input(key="admin_new_password").input(PASSWORD)
    at.text_input(key="admin_new_password2").input("something else entirely")
    submit(at, "Create user")
    assert any("passwords differ" in e.value for e in at.error), [e.value for e in at.error]
    at.text_input(key="admin_new_password2").input(PASSWORD)
    submit(at, "Create user")
    store = Store.open(str(demo_db))
    try:
        assert store.user("rina").role == "supervisor"
        at.run()
        assert "rina" in at.selectbox(key="admin_edit_pick").options
        at.selectbox(key="admin_edit_pick").set_value("obs.budi").run()
        assert at.selectbox(key="admin_edit_role").value == "observer"
        at.selectbox(key="admin_edit_role").set_value("researcher")
        at.checkbox(key="admin_edit_active").uncheck()
        submit(at, "Save")
        budi = store.user("obs.budi")
        assert (budi.role, budi.active) == ("researcher", False)
    finally:
        store.close()


def test_the_audit_csv_is_made_only_when_downloaded(
    demo_db: Path, open_app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole audit trail grows with every change: building it on every page run took 1.4 s on
    ten times the demo. The download button builds it when clicked (Streamlit's deferred data)."""
    from observe.governance import admin_view

    made: list[int] = []
    real = admin_view.audit_csv
    monkeypatch.setattr(admin_view, "audit_csv", lambda store: made.append(1) or real(store))
    at = open_app(demo_db, ADMIN, timeout=TIMEOUT)
    at.session_state["admin_tab"] = "Audit trail"  # the tab the user opens
    at.run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the audit trail (CSV)" in labels  # the button is there
    assert made == []  # and nothing was built for it


def test_administration_draws_only_the_open_tab(
    demo_db: Path, open_app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed tab's tables are not drawn nor read (issue 16): the audit trail alone took 0.17 s of
    every Administration run on ten times the demo, and its 500 rows went to the browser too."""
    read: list[dict[str, object]] = []
    real = Store.audit_log
    monkeypatch.setattr(Store, "audit_log", lambda self, **kw: read.append(kw) or real(self, **kw))
    at = open_app(demo_db, ADMIN, timeout=TIMEOUT)
    assert read == [] and len(at.dataframe) == 1  # the users' table of the first tab
    assert not [b for b in at.get("download_button") if "audit" in b.proto.label]
    at.session_state["admin_tab"] = "Audit trail"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert read == [{"limit": 500}] and len(at.dataframe) == 1  # the trail's newest rows, its table only
    assert at.dataframe[0].value["action"].iloc[0]
    for label in ("Supervision", "Consent"):
        at.session_state["admin_tab"] = label
        at.run()
        assert not at.exception and len(at.dataframe) == 1, label
