"""The Record page in a real browser: a keypress is drawn at once, pending → saved or failed,
acknowledged by the outbox route without a rerun, or by the trigger when the route is down
(issue 16); the position reached sets E's default (issue 14); the note after an undo, Esc back
to the coder and the layout at 1440×900 (issues 14, 15)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from _browser import App, open_page
from playwright.sync_api import expect
from test_record import OBSERVER, _observation, _open_coder, _play, _session, _wait_saved, wait_until

from observe.store import Store

pytestmark = pytest.mark.e2e

# Press a key and read the coder's DOM in the same task, before the browser could draw a frame
# or hear from the server: what is there now was drawn by the keypress itself.
PRESS_AND_LOOK = """([code, key, lane]) => {
  const root = window.__observeCoder.root;
  window.dispatchEvent(new KeyboardEvent('keydown', {code, key, bubbles: true, cancelable: true}));
  const mark = root.querySelector('.marks li');
  const cell = root.querySelector(`.states td[data-lane="${lane}"]`);
  return {mark: mark && mark.dataset.status, text: mark && mark.textContent,
          cell: cell && cell.textContent, cellStatus: cell && cell.dataset.status};
}"""

REFUSE = "CREATE TRIGGER e2e_refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'read-only for this test'); END"


def _marks(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid='coder-marks'] li")


def _seek(page, t: float) -> None:  # type: ignore[no-untyped-def]
    page.locator("video").evaluate(
        f"v => new Promise(r => {{ v.addEventListener('seeked', () => r(), {{once: true}}); v.currentTime = {t}; }})"
    )


def test_a_key_is_drawn_at_once_pending_then_saved_then_failed_with_the_reason(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    _open_coder(page, app, session)
    _seek(page, 5.0)
    # client eye contact: in the list and in the state table before any answer from the server
    now = page.evaluate(PRESS_AND_LOOK, ["KeyE", "e", "client-GAZE"])
    assert now["mark"] == "pending" and "@ 0:05.000" in now["text"]
    assert now["cellStatus"] == "pending" and now["cell"] == "Eye contact"
    renders = page.evaluate("window.__observeCoder.renders")
    expect(_marks(page).first).to_have_attribute("data-status", "saved")
    # acknowledged by the outbox route's answer, not by a rerun of the page
    expect(_marks(page).first).to_have_attribute("data-via", "route")
    # the acknowledgement's latency is noted in the frame that shows it (one frame after the mark)
    page.wait_for_function("() => window.__observeCoder.ackLat.length === 1")
    assert page.evaluate("window.__observeCoder.renders") <= renders + 1  # at most the later sync
    expect(page.locator("[data-testid='coder-states'] td[data-lane='client-GAZE']")).to_have_attribute(
        "data-status", "saved"
    )
    assert [(e.cue, e.start_s) for e in e2e_store.events(obs)] == [("G_EYE", 5.0)]

    # the database refuses writes: the mark turns red with the reason and stays in the outbox
    with sqlite3.connect(app.db_path) as conn:
        conn.execute(REFUSE)
    try:
        _seek(page, 8.0)
        page.keyboard.press("6")
        first = _marks(page).first
        expect(first).to_have_attribute("data-status", "failed", timeout=10_000)
        expect(first).to_contain_text("not saved")
        expect(first).to_contain_text("read-only for this test")
        expect(page.locator(".coder")).to_have_attribute("data-pending", "1")
        assert page.evaluate("window.__observeCoder.outbox.map(i => i.cue)") == ["P_NOD"]
        assert [e.cue for e in e2e_store.events(obs)] == ["G_EYE"]
    finally:
        with sqlite3.connect(app.db_path) as conn:
            conn.execute("DROP TRIGGER IF EXISTS e2e_refuse")
    # the outbox sends it again: once the database takes writes again, it is saved
    expect(_marks(page).first).to_have_attribute("data-status", "saved", timeout=10_000)
    _wait_saved(page)
    assert sorted((e.cue, e.start_s) for e in e2e_store.events(obs)) == [("G_EYE", 5.0), ("P_NOD", 8.0)]


def test_a_refused_key_stays_red_until_dismissed(app: App, page, e2e_store: Store, test_video: Path) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    e2e_store.update_session(session, duration_s=3.0)  # a key at 5 s is after the session end
    _open_coder(page, app, session)
    _seek(page, 5.0)
    page.keyboard.press("6")
    first = _marks(page).first
    expect(first).to_have_attribute("data-status", "failed")
    expect(first).to_contain_text("after the end of the session")
    expect(page.locator(".coder")).to_have_attribute("data-failed", "1")
    assert page.evaluate("window.__observeCoder.outbox.length") == 1  # kept, not sent again
    first.locator("button.dismiss").click()
    expect(_marks(page)).to_have_count(0)
    expect(page.locator(".coder")).to_have_attribute("data-failed", "0")


def test_a_note_after_an_undo_goes_to_the_event_still_coded(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    _open_coder(page, app, session)
    _seek(page, 5.0)
    page.keyboard.press("6")  # client nod at 5 s
    _seek(page, 8.0)
    page.keyboard.press("7")  # client laugh at 8 s ...
    _wait_saved(page)
    page.keyboard.press("Backspace")  # ... undone
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("coder-note-what")).to_contain_text("0:05.000")
    page.get_by_test_id("coder-comment").fill("nod after the question")
    page.get_by_test_id("coder-comment").press("Enter")
    _wait_saved(page)
    wait_until(
        lambda: [(e.cue, e.comment) for e in e2e_store.events(obs)] == [("P_NOD", "nod after the question")]
    )


def _deep_active(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => { let a = document.activeElement;"
        " while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;"
        " return a ? (a.classList.contains('coder') ? 'coder' : a.tagName) : null; }"
    )


@pytest.mark.parametrize("widget", ["session select box", "observer select box", "text input"])
def test_escape_gives_the_keys_back_to_the_coder(
    app: App, page, e2e_store: Store, test_video: Path, widget: str
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    _open_coder(page, app, session)
    if widget == "text input":
        page.get_by_text("Session video").click()
        page.get_by_role("tab", name="File on the server").click()
        field = page.get_by_label("Full path of the video on the server")
    else:
        label = "Session" if widget.startswith("session") else "Observer"
        field = page.get_by_label(label, exact=True)
    field.click()
    assert _deep_active(page) == "INPUT"
    page.keyboard.press("Escape")
    assert _deep_active(page) == "coder"
    page.keyboard.press("6")  # a cue key now codes, it is not typed into the widget
    _wait_saved(page)
    assert [e.cue for e in e2e_store.events(obs)] == ["P_NOD"]


def test_at_1440x900_video_lanes_and_last_keys_are_in_view(
    app: App, browser, e2e_store: Store, test_video: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        _open_coder(page, app, session)
        for t, key in ((2.0, "e"), (4.0, "6"), (6.0, "Shift+7"), (9.0, "a")):
            _seek(page, t)
            page.keyboard.press(key)
        _wait_saved(page)
        expect(_marks(page)).to_have_count(4)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(Path("/tmp") / "record_1440x900.png"))
        for test_id in ("coder-video", "coder-timeline", "coder-marks", "coder-states"):
            box = page.get_by_test_id(test_id).bounding_box()
            assert box is not None and box["height"] > 0, test_id
            assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (test_id, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1440, (test_id, box)
        page.keyboard.press("Escape")  # the cheat-sheet says a running state's key ends it
        expect(page.get_by_test_id("coder-sheet-state-end")).to_contain_text("again ends it")
    finally:
        context.close()


def test_the_cheat_sheet_says_a_state_key_ends_the_state_in_indonesian(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    open_page(page, app, "Record", session=session, observer=OBSERVER, lang="id")
    page.wait_for_selector(".coder[data-ready='1']")
    page.locator("h1").first.click()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("coder-sheet-state-end")).to_contain_text("mengakhirinya")


def test_one_key_listener_and_one_redraw_chain_however_many_updates(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    """Streamlit runs the component's function on every data update but its cleanup only on
    unmount: each run must retire the previous run's listeners, redraws and timer itself."""
    session = _session(e2e_store, test_video, app.media_dir)
    _open_coder(page, app, session)
    for key in ("6", "7", "8", "9", "0"):
        page.keyboard.press(key)
        _wait_saved(page)
    # the sync trigger reruns the fragment once the keys pause: the event list catches up
    expect(page.get_by_text("5 events coded")).to_be_visible()
    page.wait_for_function("() => window.__observeCoder.renders >= 2")
    runs = page.evaluate("[window.__observeCoder.renders, window.__observeCoder.cleanups || 0]")
    assert runs[0] - runs[1] == 1, runs


#: Over 3 s of a playing video: the frames it presented and the coder's timeline draws.
FRAMES_AND_DRAWS = """() => new Promise((resolve) => {
  const S = window.__observeCoder, video = S.root.querySelector('video'), draws = S.draws;
  let frames = 0;
  const count = () => { frames += 1; video.requestVideoFrameCallback(count); };
  video.requestVideoFrameCallback(count);
  setTimeout(() => resolve({frames, draws: S.draws - draws}), 3000);
})"""


def test_a_playing_video_moves_the_timeline_with_its_own_frames(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    """While the video plays, the timeline and clock are redrawn with one of its own frames at most
    ten times a second (every redraw costs the browser a paint and a commit: at the video's 25
    frames a second four playing pages took a third of a core more); a seek while paused is drawn too."""
    session = _session(e2e_store, test_video, app.media_dir)
    _open_coder(page, app, session)
    _play(page)
    seen = page.evaluate(FRAMES_AND_DRAWS)
    # at 25 frames a second: 75 frames, 30 draws at most (a loaded machine presents fewer frames)
    assert seen["frames"] >= 10 and 5 <= seen["draws"] <= 3 * 10 + 2, seen
    page.locator("video").evaluate("v => v.pause()")
    drawn = page.evaluate("window.__observeCoder.draws")
    _seek(page, 20.0)
    page.wait_for_function(f"() => window.__observeCoder.draws > {drawn}")


def test_when_the_route_is_down_the_trigger_carries_the_keys(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    page.route("**/api/outbox/**", lambda route: route.abort())
    _open_coder(page, app, session)
    _seek(page, 4.0)
    page.keyboard.press("6")
    first = _marks(page).first
    expect(first).to_have_attribute("data-status", "saved")
    expect(first).to_have_attribute("data-via", "rerun")
    assert [(e.cue, e.start_s) for e in e2e_store.events(obs)] == [("P_NOD", 4.0)]
    _seek(page, 30.0)  # the position reached goes with the sync trigger instead
    wait_until(lambda: e2e_store.observation(obs).reached_s == 30.0)


def test_the_route_refuses_a_forged_token_and_the_keys_still_arrive(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    """A token the server did not sign is refused (403): nothing written by the route; the coder
    falls back to the trigger (the page's own signed-in run), so the key is stored once."""
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    _open_coder(page, app, session)
    page.evaluate("window.__observeCoder.data.post.token = 'forged.' + '0'.repeat(64)")
    _seek(page, 3.0)
    page.keyboard.press("7")
    expect(_marks(page).first).to_have_attribute("data-via", "rerun")
    assert [(e.cue, e.start_s) for e in e2e_store.events(obs)] == [("P_LAUGH", 3.0)]


def test_the_position_reached_is_the_default_coded_extent(
    app: App, page, e2e_store: Store, test_video: Path
) -> None:  # type: ignore[no-untyped-def]
    session = _session(e2e_store, test_video, app.media_dir)
    obs = _observation(e2e_store, session)
    _open_coder(page, app, session)
    _seek(page, 5.0)
    page.keyboard.press("6")  # the last code at 5 s ...
    _seek(page, 21.5)  # ... but the observer watched on to 21.5 s
    page.wait_for_function("() => window.__observeCoder.reached >= 21.5")
    _seek(page, 12.0)
    wait_until(lambda: e2e_store.observation(obs).reached_s == 21.5)
    page.get_by_role("button", name="Finish observation…").click()
    expect(page.get_by_role("spinbutton", name="Coded up to (seconds)")).to_have_value("21.500")
