"""Blind double coding in a real browser (issue 5): two observers code the same demo session on the
Record page; the agreement page hides the other's coding until both have finished, then shows the
per-channel table and the matrices.

The test runs its own server on a demo workspace (the shared ``app`` fixture is an empty
workspace that other tests seed; the demo's clients would change what they see).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import App, open_page, serve, wait_idle
from playwright.sync_api import expect

from observe.governance.demo import create_demo
from observe.store import Store

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SESSION = "K02-S01"  # a demo session coded so far by obs.ani only
CODERS = {"obs.budi": 20.0, "obs.citra": 23.0}  # both look away; citra a little later


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory, test_video: Path) -> Iterator[App]:
    """``streamlit run app.py`` on a demo workspace whose session K02-S01 has the test video."""
    root = tmp_path_factory.mktemp("agreement-e2e")
    db_path, media_dir, log = root / "observe.db", root / "media", root / "streamlit.log"
    media_dir.mkdir()
    store = Store.open(str(db_path))
    create_demo(store, videos=False)  # the session gets the test video below
    store.set_setting("demo_offered", True)
    token = f"{'a' * 32}.mp4"
    shutil.copy(test_video, media_dir / token)
    store.update_session(SESSION, video_ref=token)
    store.close()
    with serve(db_path, media_dir, log) as app:
        yield app


def code_in_recorder(page, app: App, observer: str, away_at: float) -> None:  # type: ignore[no-untyped-def]
    """The observer starts an observation on the Record page and codes the client's gaze with
    hotkeys at chosen video times: eye contact, looks away at ``away_at``, eye contact again."""
    open_page(page, app, "Record", session=SESSION, observer=observer)
    page.get_by_role("button", name="Start coding").click()
    page.wait_for_selector(".coder[data-ready='1']")
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.locator("h1").first.click()  # the focus on the page, not on a widget
    for t, key in ((1.0, "e"), (away_at, "a"), (40.0, "e")):
        page.locator("video").evaluate(f"v => {{ v.currentTime = {t}; }}")
        page.keyboard.press(key)
        page.locator(".coder[data-pending='0']").wait_for(timeout=15_000)  # stored


def agreement_text(page, app: App, a: str, b: str, shown: str) -> str:  # type: ignore[no-untyped-def]
    """The agreement page's main text once ``shown`` is shown (the script may still be running)."""
    open_page(page, app, "Agreement", session=SESSION, a=a, b=b)
    page.locator("[data-testid='stMain']").get_by_text(shown).first.wait_for()
    wait_idle(page)  # the script has run to its end: what is not drawn now is not shown at all
    return page.locator("[data-testid='stMain']").inner_text()


def finish(app: App, observer: str) -> None:
    store = Store.open(str(app.db_path))
    try:
        # coded to the session end: the last key started a state, so E must be said (DOMAIN §9.3)
        store.finish_observation(
            store.observations(session=SESSION, observer=observer)[0].id,
            coded_s=store.session(SESSION).duration_s,
        )
    finally:
        store.close()


def test_blind_double_coding_then_agreement(demo_app: App, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for observer, away_at in CODERS.items():
        code_in_recorder(page, demo_app, observer, away_at)
    store = Store.open(str(demo_app.db_path))
    coded = {o: [(e.cue, e.start_s) for e in store.events(store.observations(session=SESSION, observer=o)[0].id)]
             for o in CODERS}  # fmt: skip
    store.close()
    for observer, away_at in CODERS.items():
        assert [cue for cue, _ in sorted(coded[observer], key=lambda c: c[1])] == ["G_EYE", "G_AWAY", "G_EYE"]
        assert any(cue == "G_AWAY" and abs(t - away_at) < 0.2 for cue, t in coded[observer])

    # blind: budi still codes, so nothing of citra's (or ani's) coding is shown to him
    text = agreement_text(
        page, demo_app, "obs.budi", "obs.citra", f"Your observation of {SESSION} is not finished"
    )
    assert "Per-channel kappa" not in text
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    finish(demo_app, "obs.budi")
    text = agreement_text(
        page, demo_app, "obs.budi", "obs.citra", f"Not everyone has finished coding {SESSION}"
    )
    assert "(obs.citra)" in text
    assert page.locator("[data-testid='stDataFrame']").count() == 0

    finish(demo_app, "obs.citra")
    text = agreement_text(page, demo_app, "obs.budi", "obs.citra", "Observer training against the reference")
    assert "Per-channel kappa (time units)" in text
    assert "Event-based agreement" in text and "Largest disagreements" in text
    assert "Krippendorff's alpha over all observers" in text  # ani, budi and citra coded it
    # channels (the first tolerance), events, ICC, alpha, training: the frames are drawn after the
    # text, so wait for the fifth
    expect(page.locator("[data-testid='stDataFrame']").nth(4)).to_be_attached()
    # the confusion-matrix heatmap, labelled with both observers, and the twin timeline
    charts = page.locator(".js-plotly-plot")
    expect(charts.nth(1)).to_be_attached()
    svg = " ".join(charts.nth(i).inner_text() for i in range(charts.count()))
    assert "Observer A: obs.budi" in page.content() or "Observer A: obs.budi" in svg
    expect(page.get_by_text("Disagreement").first).to_be_attached()  # the outlined spans of the twin timeline
    # the other tolerance's tab draws its table when opened (closed tabs draw nothing: issue 16)
    tables = page.locator("[data-testid='stDataFrame']")
    before = tables.count()
    page.get_by_role("tab", name="τ = 2 s").click()
    expect(page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']")).to_have_count(1)
    expect(tables).to_have_count(before)  # its table instead of the first tab's, not beside it
    page.screenshot(path=str(tmp_path / "agreement.png"), full_page=True)
    shot = os.environ.get("OBSERVE_SCREENSHOT_DIR")
    if shot:
        page.screenshot(path=str(Path(shot) / "agreement_e2e.png"), full_page=True)


def test_a_largest_disagreement_opens_the_recorder_at_its_moment(demo_app: App, page) -> None:  # type: ignore[no-untyped-def]
    """Each of the largest disagreements is a link: its sentence opens the Record page at its start."""
    open_page(page, demo_app, "Agreement", session="K01-S03")
    main = page.locator("[data-testid='stMain']")
    first = main.locator("a[data-testid='stPageLink-NavLink']").first
    expect(first).to_contain_text(" coded ")  # the sentence: who coded what, and when
    when = first.locator("strong").first.inner_text()  # **mm:ss–mm:ss**
    first.click()
    expect(page).to_have_url(re.compile(r"/Record\?.*session=K01-S03.*t=\d+\.\d"))
    expect(main.locator("h1")).to_contain_text("Record")
    minutes, seconds = when.split("–")[0].split(":")
    assert f"t={int(minutes) * 60 + int(seconds)}." in page.url
