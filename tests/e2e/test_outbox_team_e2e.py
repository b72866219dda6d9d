"""In a real browser, team mode: the coder's keys are acknowledged by the outbox route under the
signed-in observer's token, and that token dies with the sign-in (issue 16)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from _browser import serve, wait_idle
from playwright.sync_api import expect

from observe.store import Store

pytestmark = pytest.mark.e2e
PASSWORD = "observer pass phrase 1"
VIDEO = "0badc0de0badc0de0badc0de0badc0de.mp4"


def _workspace(root: Path, video: Path) -> Path:
    db_path, media = root / "observe.db", root / "media"
    media.mkdir()
    shutil.copy(video, media / VIDEO)
    store = Store.open(str(db_path))
    store.set_setting("demo_offered", True)
    store.add_counselor("C78")
    store.add_client("K78", counselor="C78")
    session = store.add_session("K78", "C78", date=dt.date(2026, 9, 2))
    store.update_session(session.code, video_ref=VIDEO, duration_s=60.0)
    store.add_user("ani", role="observer")
    store.set_password("ani", PASSWORD)
    store.assign_observer(session.code, "ani")
    store.open_observation(session.code, "ani")
    store.close()
    return db_path


def test_keys_go_through_the_route_and_its_token_dies_with_the_sign_in(
    tmp_path: Path, browser: object, test_video: Path
) -> None:
    db_path = _workspace(tmp_path, test_video)
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        with serve(db_path, tmp_path / "media", tmp_path / "app.log", mode="team") as app:
            page.goto(f"{app.url}/Record?lang=en&session=K78-S01&observer=ani")
            wait_idle(page)
            page.get_by_label("User name").fill("ani")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_selector(".coder[data-ready='1']")
            page.locator("video").evaluate(
                "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
            )
            page.locator("h1").first.click()
            page.keyboard.press("6")
            first = page.locator("[data-testid='coder-marks'] li").first
            expect(first).to_have_attribute("data-status", "saved")
            expect(first).to_have_attribute("data-via", "route")
            post = page.evaluate("window.__observeCoder.data.post")
            item = {"client": "replay", "seq": 1, "op": "cue", "subject": "client", "cue": "P_NOD", "t": 2.0}
            page.get_by_role("button", name="Sign out").click()
            expect(page.locator("input[type='password']")).to_be_visible()
            refused = page.request.post(app.url + post["url"], data={"token": post["token"], "items": [item]})
            assert refused.status == 403  # the token died with the sign-in
        store = Store.open(str(db_path))
        try:
            (obs,) = store.observations(observer="ani")
            assert [e.cue for e in store.events(obs.id)] == ["P_NOD"]  # the key, not the replay
        finally:
            store.close()
    finally:
        context.close()
