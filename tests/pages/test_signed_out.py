"""Every page opened directly by URL while signed out in team mode shows the sign-in and no
client data. The pages are enumerated from the folder, so a new page is covered by itself.

"No client data" is checked by scanning everything the page rendered (every element's
protobuf text, main area and sidebar) for the workspace's real values: client codes,
display names, session codes, counselor names, notes and comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from observe.store import Store
from tests.conftest import charts

TIMEOUT = 60
REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([REPO_ROOT / "app.py", *(REPO_ROOT / "pages").glob("*.py")])
PASSWORD = "a long pass phrase"
# real values of the workspace below: none may appear on a signed-out page
SECRETS = ("K77", "Ayu Lestari", "K77-S01", "Rina Wulandari", "spoke about her father", "cried at 12:40")


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signed_out") / "team.db"
    store = Store.open(str(path))
    store.add_counselor("C77", name="Rina Wulandari")
    store.add_client("K77", display_name="Ayu Lestari", counselor="C77")
    session = store.add_session(
        "K77",
        "C77",
        date=__import__("datetime").date(2026, 9, 1),
        notes="spoke about her father",
        duration_s=600.0,
    )
    observation = store.open_observation(session.code, "obs.x")
    store.add_event(observation.id, "client", "P_NOD", 3.0, comment="cried at 12:40")
    store.add_user("boss", role="administrator")
    store.set_password("boss", PASSWORD)
    store.set_setting("demo_offered", True)
    store.close()
    return path


def rendered_text(at: AppTest) -> str:
    """Everything the script rendered: the text of every element's protobuf message."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def test_the_pages_folder_is_enumerated() -> None:
    assert len(PAGES) >= 3  # app.py and at least the first pages
    assert REPO_ROOT / "pages" / "11_Administration.py" in PAGES


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_signed_out_page_shows_only_the_sign_in(team: None, path: Path) -> None:
    at = AppTest.from_file(str(path), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.text_input(key="access_username") is not None
    assert "type: PASSWORD" in str(at.text_input(key="access_password").proto)
    text = rendered_text(at)
    leaked = [value for value in SECRETS if value in text]
    assert not leaked, f"{path.name} shows {leaked} while signed out"
    # nothing but the sign-in: no tables, charts or other inputs from the page itself
    assert not at.dataframe and not charts(at) and not at.selectbox[1:]


def test_signing_in_opens_the_page_and_a_wrong_password_does_not(team: None) -> None:
    path = REPO_ROOT / "pages" / "2_Sessions.py"
    at = AppTest.from_file(str(path), default_timeout=TIMEOUT).run()
    at.text_input(key="access_username").input("boss")
    at.text_input(key="access_password").input("wrong password!")
    at.button[0].click().run()
    assert at.error and "wrong" in at.error[0].value
    assert "K77" not in rendered_text(at)
    at.text_input(key="access_username").input("boss")
    at.text_input(key="access_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["access_user"] == "boss"
    assert "K77" in rendered_text(at)  # the administrator sees the workspace
    assert "access_password" not in at.session_state  # the password is not kept


def test_local_mode_shows_the_banner(team_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVE_DB", str(team_db))
    monkeypatch.setenv("OBSERVE_MODE", "local")
    st.cache_resource.clear()
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    st.cache_resource.clear()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Local mode" in w.value for w in at.sidebar.warning)
    assert "access_username" not in [w.key for w in at.text_input]
