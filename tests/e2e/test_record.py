"""The Record page in a real browser: every keypress stored once, at the video's time (issue 3)."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest
from _browser import App, open_page

from observe.store import Store

pytestmark = pytest.mark.e2e

OBSERVER = "obs.e2e"
_numbers = itertools.count(1)

# Records video.currentTime at every keydown *before* the coder sees it: registered at document
# start on window in the capture phase, so it runs first (the coder stops the event afterwards).
PROBE = """
window.__keyTimes = [];
window.addEventListener('keydown', (e) => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'VIDEO') return el;
      if (el.shadowRoot) { const v = find(el.shadowRoot); if (v) return v; }
    }
    return null;
  };
  if (!/^(Key|Digit)/.test(e.code)) return;  // cue keys only (not Shift, Space, arrows)
  const v = find(document);
  window.__keyTimes.push({code: e.code, shift: e.shiftKey, t: v ? v.currentTime : null});
}, true);
"""


def _session(store: Store, video: Path, media_dir: Path) -> str:
    """A new session with the test video attached and an observation for OBSERVER."""
    if not store.clients():
        store.add_client("K90")
        store.add_counselor("C90")
    session = store.add_session("K90", "C90", date=dt.date(2026, 1, 1) + dt.timedelta(days=next(_numbers)))
    token = f"{next(_numbers):032x}.mp4"
    shutil.copy(video, media_dir / token)
    store.update_session(session.code, video_ref=token, duration_s=60.0)
    store.open_observation(session.code, OBSERVER)
    return session.code


def _observation(store: Store, session: str) -> int:
    return store.observations(session=session, observer=OBSERVER)[0].id


def _open_coder(page, app: App, session: str) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(PROBE)
    open_page(page, app, "Record", session=session, observer=OBSERVER)
    page.wait_for_selector(".coder[data-ready='1']")
    page.wait_for_function("() => window.__observeCoder && document.querySelector('*') !== null")
    # the video must have loaded its metadata before currentTime means anything
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.locator("h1").first.click()  # focus on the page, not on a widget


def _wait_saved(page) -> None:  # type: ignore[no-untyped-def]
    """Until the outbox is empty: every key acknowledged, i.e. stored."""
    page.locator(".coder[data-pending='0']").wait_for(timeout=15_000)


def _play(page) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("Space")
    page.locator("video").evaluate(
        "v => new Promise(r => v.paused ? v.addEventListener('playing', () => r(), {once: true}) : r())"
    )


def test_keypress_time_is_video_current_time(app: App, page, e2e_store: Store, test_video: Path) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    _open_coder(page, app, session)
    _play(page)
    keys = ["6", "Shift+7", "8", "Shift+9", "0"]
    for key in keys:
        page.wait_for_timeout(400)
        page.keyboard.press(key)
    page.locator("video").evaluate("v => v.pause()")
    _wait_saved(page)
    pressed = page.evaluate("window.__keyTimes")
    assert len(pressed) == len(keys)
    events = sorted(e2e_store.events(_observation(e2e_store, session)), key=lambda e: e.start_s)
    assert [e.cue for e in events] == ["P_NOD", "P_LAUGH", "P_SHAKE", "P_SIGH", "P_SELFTOUCH"]
    assert [e.subject for e in events] == ["client", "counselor", "client", "counselor", "client"]
    times = [p["t"] for p in pressed]
    assert times == sorted(times) and times[-1] - times[0] > 1.0  # the video really played
    for event, t in zip(events, times, strict=True):
        assert abs(event.start_s - t) <= 0.1


def test_burst_of_20_keys_gives_20_events(app: App, page, e2e_store: Store, test_video: Path) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    _open_coder(page, app, session)
    _play(page)
    keys = [k for digit in "67890" for k in (digit, f"Shift+{digit}")] * 2
    for key in keys:  # 20 keys in about a second
        page.keyboard.press(key)
        page.wait_for_timeout(40)
    _wait_saved(page)
    obs = _observation(e2e_store, session)
    events = e2e_store.events(obs)
    assert len(events) == 20
    assert len({(e.subject, e.cue, e.start_s) for e in events}) == 20
    with e2e_store.engine.connect() as conn:
        seqs = (
            conn.exec_driver_sql(
                "SELECT client_seq FROM actions WHERE observation_id = ? ORDER BY client_seq", (obs,)
            )
            .scalars()
            .all()
        )
    assert seqs == list(range(1, 21))
