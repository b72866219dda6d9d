"""In a real browser, team mode: every page opened by URL while signed out shows the sign-in
and no client data; signing in as a counselor shows their own clients and not the others'.

A server of its own (the shared ``app`` fixture runs in local mode): ``OBSERVE_MODE=team``
on a workspace seeded through the store with recognisable names and notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from _browser import REPO_ROOT, App, serve, wait_idle

from observe.store import Store
from observe.ui.page_document import url_name

pytestmark = pytest.mark.e2e
PAGES = sorted((REPO_ROOT / "pages").glob("*.py"))
SECRETS = ("K77", "Ayu Lestari", "spoke about her father", "K88", "Bima Sakti")
PASSWORD = "counselor pass phrase"


@pytest.fixture(scope="module")
def team_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("team")
    db_path, media = root / "observe.db", root / "media"
    media.mkdir()
    store = Store.open(str(db_path))
    store.set_setting("demo_offered", True)
    store.add_counselor("C77")
    store.add_counselor("C88")
    store.add_client("K77", display_name="Ayu Lestari", counselor="C77")
    store.add_client("K88", display_name="Bima Sakti", counselor="C88")
    store.add_session("K77", "C77", date=dt.date(2026, 9, 1), notes="spoke about her father")
    store.add_session("K88", "C88", date=dt.date(2026, 9, 2))
    store.add_user("rina", role="counselor")
    store.set_password("rina", PASSWORD)
    store.link_counselor("rina", "C77")
    store.add_user("ani", role="observer")
    store.set_password("ani", PASSWORD)
    store.close()
    with serve(db_path, media, root / "streamlit.log", mode="team") as app:
        yield app


def _goto(page: object, url: str) -> str:
    page.goto(url)  # type: ignore[attr-defined]
    wait_idle(page)
    page.wait_for_selector("input[type='password']")  # type: ignore[attr-defined]
    return str(page.content())  # type: ignore[attr-defined]


def test_every_page_signed_out_shows_only_the_sign_in(team_app: App, page: object) -> None:
    for path in [REPO_ROOT / "app.py", *PAGES]:
        target = team_app.url if path.name == "app.py" else f"{team_app.url}/{url_name(str(path))}"
        html = _goto(page, target + "?lang=en")
        assert "Sign in" in html, path.name
        leaked = [value for value in SECRETS if value in html]
        assert not leaked, f"{path.name} shows {leaked} while signed out"


def _sign_in(page: object, username: str) -> None:
    page.get_by_label("User name").fill(username)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_text("Signed in as").wait_for()  # type: ignore[attr-defined]
    wait_idle(page)


def test_a_counselor_sees_their_own_client_only(team_app: App, page: object) -> None:
    _goto(page, f"{team_app.url}/Sessions?lang=en")
    _sign_in(page, "rina")
    page.get_by_text("K77-S01").first.wait_for(state="attached")  # a data grid cell: drawn on a canvas
    html = str(page.content())  # type: ignore[attr-defined]
    assert "K88" not in html and "Bima Sakti" not in html


def test_an_observers_sidebar_has_no_administration_entry(team_app: App, page: object) -> None:
    from playwright.sync_api import expect

    _goto(page, f"{team_app.url}/?lang=en")
    _sign_in(page, "ani")
    sidebar = page.get_by_test_id("stSidebar")  # type: ignore[attr-defined]
    expect(sidebar.get_by_role("link", name="Record")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Administration")).to_have_count(0)
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)  # nor among the tasks
