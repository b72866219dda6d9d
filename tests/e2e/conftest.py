"""Shared fixtures for the real-browser tests: the app on a free port with a temporary workspace,
Debian's Chromium through Playwright, a generated test video.

Any page's browser test can use them::

    @pytest.mark.e2e
    def test_something(app, page, e2e_store):
        e2e_store.add_client("K09")               # seed through the store API
        open_page(page, app, "Sessions")          # then drive the page

The browser is never downloaded: Playwright launches ``/usr/bin/chromium`` (``apt-get install
chromium``). Tests skip with the reason when Chromium or Playwright is missing (ffmpeg comes with
imageio-ffmpeg).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, App, serve

from observe.store import Store
from observe.video.library import ffmpeg_exe


@pytest.fixture(scope="session")
def e2e_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A new database (no demo: tests seed what they need) and an empty media folder."""
    root = tmp_path_factory.mktemp("e2e")
    db_path, media_dir = root / "observe.db", root / "media"
    media_dir.mkdir()
    store = Store.open(str(db_path))
    store.set_setting("demo_offered", True)  # a deterministic, empty workspace
    store.close()
    return db_path, media_dir


@pytest.fixture(scope="session")
def app(e2e_workspace: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """``streamlit run app.py`` (local mode) on a free localhost port against the temporary workspace."""
    db_path, media_dir = e2e_workspace
    log = tmp_path_factory.mktemp("e2e-log") / "streamlit.log"
    with serve(db_path, media_dir, log) as app:
        yield app


@pytest.fixture
def e2e_store(app: App) -> Iterator[Store]:
    """The store on the app's database (the test's own connection; SQLite WAL lets both work)."""
    store = Store.open(str(app.db_path))
    yield store
    store.close()


#: How long a browser test waits for what it asserts, and for what it drives (``page``):
#: Playwright's ``expect`` waits 5 s by default, too little for a rerun on a loaded 2-core machine.
WAIT_MS = 20_000


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_api.expect.set_options(timeout=WAIT_MS)
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (own storage) and page, 1280×900."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test reports what its page showed: CI keeps only the log of a failed run."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or page is None:
        return
    try:
        shown = page.locator("[data-testid='stMain']").inner_text(timeout=2_000)
    except Exception as error:  # noqa: BLE001 - the page may be gone; say so instead of failing again
        shown = f"(page text not readable: {error})"
    report.sections.append(("page shown at the failure", f"{page.url}\n{shown[-4000:]}"))


@pytest.fixture(scope="session")
def test_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60 s, 25 fps H.264 MP4 with a running clock drawn on it (ffmpeg's testsrc2)."""
    path = tmp_path_factory.mktemp("video") / "test.mp4"
    subprocess.run(  # noqa: S603
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25:duration=60",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "25",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path
