"""The coding workflow end to end in a real browser (issue 14): code a few events on the Record
page, finish the observation there (where coding stopped, with its coverage), and once a second
observer's finished coding is in the store the Agreement page shows the agreement tables."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from _browser import App, open_page

from observe.store import Store

pytestmark = pytest.mark.e2e

FIRST, SECOND = "obs.fin", "obs.two"


def _session(store: Store, video: Path, media_dir: Path) -> str:
    """A 60 s session of a client of its own, with the test video attached."""
    store.add_client("K91")
    store.add_counselor("C91")
    session = store.add_session("K91", "C91", date=dt.date(2026, 2, 1), duration_s=60.0)
    token = f"{'9' * 32}.mp4"
    shutil.copy(video, media_dir / token)
    store.update_session(session.code, video_ref=token)
    return session.code


def test_code_finish_then_agreement(app: App, page, e2e_store: Store, test_video: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    code = _session(e2e_store, test_video, app.media_dir)
    open_page(page, app, "Record", session=code, observer=FIRST)
    page.get_by_role("button", name="Start coding").click()
    page.wait_for_selector(".coder[data-ready='1']")
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.locator("h1").first.click()  # the focus on the page, not on a widget
    for t, key in ((2.0, "e"), (6.0, "a"), (9.0, "6")):  # eye contact, looks away, a nod
        page.locator("video").evaluate(f"v => {{ v.currentTime = {t}; }}")
        page.keyboard.press(key)
        page.locator(".coder[data-pending='0']").wait_for(timeout=15_000)  # stored

    main = page.locator("[data-testid='stMain']")
    page.get_by_role("button", name="Finish observation…").click()
    at = page.get_by_role("spinbutton", name="Coded up to (seconds)")
    expect(at).to_have_value("9.000")  # the latest event time
    expect(main.get_by_text("Still running, will end at 9 s: Client G_AWAY")).to_be_visible()
    at.fill("30")
    at.press("Enter")
    expect(main.get_by_text("Still running, will end at 30 s")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Coverage (E/T)")).to_contain_text("50 %")
    expect(page.get_by_test_id("stMetric").filter(has_text="Open states")).to_contain_text("1")
    page.get_by_role("button", name="Confirm: finish").click()
    expect(main.get_by_text("Finished: coded up to 30 s (50 % of the session).")).to_be_visible()
    expect(page.get_by_role("button", name="Reopen to code more")).to_be_visible()

    mine = e2e_store.observations(session=code, observer=FIRST)[0]
    assert (mine.status, mine.coded_s) == ("finished", 30.0)
    events = sorted(e2e_store.events(mine.id), key=lambda e: e.start_s)
    assert [(e.cue, e.end_s) for e in events] == [
        ("G_EYE", events[1].start_s),
        ("G_AWAY", 30.0),
        ("P_NOD", None),
    ]
    assert abs(events[1].start_s - 6.0) < 0.2

    # a second observer's finished coding of the same session, seeded through the store
    theirs = e2e_store.open_observation(code, SECOND)
    e2e_store.add_event(theirs.id, "client", "G_EYE", 2.5, 6.5)
    e2e_store.add_event(theirs.id, "client", "G_AWAY", 6.5, 30.0)
    e2e_store.add_event(theirs.id, "client", "P_NOD", 9.2)
    e2e_store.finish_observation(theirs.id, coded_s=30.0)

    open_page(page, app, "Agreement", session=code, a=FIRST, b=SECOND)
    # the page computes the agreement first: allow it the time the other page tests do
    expect(main.get_by_text("Per-channel kappa (time units)").first).to_be_visible(timeout=30_000)
    expect(main.get_by_text("Event-based agreement").first).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    assert page.get_by_test_id("stDataFrame").count() >= 2
