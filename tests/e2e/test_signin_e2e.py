"""In a real browser, team mode: a sign-in survives a reload, a new tab and a server restart (an
HttpOnly, SameSite=Strict cookie backed by a server-side record), and signing out ends it and
every video link issued under it at once."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from _browser import App, serve, wait_idle

from observe.store import Store

pytestmark = pytest.mark.e2e
PASSWORD = "administrator pass phrase"
TOKEN = "feedfacefeedfacefeedfacefeedface.mp4"


def _workspace(root: Path, video: Path) -> tuple[Path, Path]:
    db_path, media = root / "observe.db", root / "media"
    media.mkdir()
    shutil.copy(video, media / TOKEN)
    store = Store.open(str(db_path))
    store.set_setting("demo_offered", True)
    store.add_counselor("C77")
    store.add_client("K77", counselor="C77")
    session = store.add_session("K77", "C77", date=dt.date(2026, 9, 1))
    store.update_session(session.code, video_ref=TOKEN, duration_s=60.0)
    store.add_user("boss", role="administrator")
    store.set_password("boss", PASSWORD)
    store.open_observation(session.code, "boss")
    store.close()
    return db_path, media


def _signed_in(page: object) -> None:
    from playwright.sync_api import expect

    wait_idle(page)
    expect(page.get_by_text("Signed in as")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("input[type='password']")).to_have_count(0)  # type: ignore[attr-defined]


def _video_link(page: object, app: App) -> str:
    page.goto(f"{app.url}/Record?lang=en&session=K77-S01&observer=boss")  # type: ignore[attr-defined]
    _signed_in(page)
    video = page.locator("video")  # type: ignore[attr-defined]
    video.wait_for(state="attached")
    src = str(video.get_attribute("src"))
    assert src.startswith("/api/video/") and "sid=" in src, src
    return src


def test_reload_new_tab_and_restart_keep_the_sign_in_and_sign_out_ends_it_and_its_video_links(
    tmp_path: Path, browser: object, test_video: Path
) -> None:
    from playwright.sync_api import expect

    db_path, media = _workspace(tmp_path, test_video)
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        with serve(db_path, media, tmp_path / "first.log", mode="team") as app:
            page.goto(f"{app.url}/?lang=en")
            wait_idle(page)
            page.get_by_label("User name").fill("boss")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            with page.expect_response(lambda r: "/api/signin/cookie" in r.url) as fetched:
                page.get_by_role("button", name="Sign in").click()
            assert fetched.value.status == 200
            _signed_in(page)
            cookie = next(c for c in context.cookies() if c["name"] == "observe_signin")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            assert page.evaluate("document.cookie").find("observe_signin") < 0  # not readable by scripts

            page.reload()
            _signed_in(page)
            tab = context.new_page()
            tab.goto(f"{app.url}/Sessions?lang=en")
            _signed_in(tab)
            tab.close()

        with serve(db_path, media, tmp_path / "second.log", mode="team") as app:  # a restart
            link = _video_link(page, app)
            assert page.request.get(app.url + link).status == 200
            page.get_by_role("button", name="Sign out").click()
            expect(page.locator("input[type='password']")).to_be_visible()
            assert page.request.get(app.url + link).status == 403  # the link died with the sign-in
            page.reload()
            wait_idle(page)
            expect(page.locator("input[type='password']")).to_be_visible()  # the cookie no longer signs in
    finally:
        context.close()
