"""A newcomer's first start (issue 15): ``streamlit run app.py`` on a new workspace prints no
warning and no traceback while the home page is opened, the demo is created and its video made.

``streamlit run`` imports ``app.py`` to find the App before any script run: a page body that
ran on import printed some 150 "missing ScriptRunContext" warnings.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from _browser import open_page, serve
from playwright.sync_api import expect

from observe.video.demo_video import DEMO_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: what must not be in the log: Python warnings, Streamlit's warnings and errors, tracebacks
BAD = re.compile(r"WARNING|Warning\b|warning|Traceback|ERROR|Error\b|missing ScriptRunContext")


def test_first_start_prints_no_warning(tmp_path: Path, page) -> None:  # type: ignore[no-untyped-def]
    db_path, media_dir, log = tmp_path / "observe.db", tmp_path / "media", tmp_path / "streamlit.log"
    with serve(db_path, media_dir, log) as app:  # a new workspace: the first run creates the demo
        open_page(page, app, "")
        # the first run writes the demo's coded sessions before the page is drawn
        expect(page.get_by_text("What do you want to do?")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("three invented clients")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Record")).first).to_be_visible()
        deadline = time.monotonic() + 120  # the demo video is made in the background meanwhile
        while not (media_dir / DEMO_TOKEN).is_file() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (media_dir / DEMO_TOKEN).is_file(), log.read_text()[-3000:]
        open_page(page, app, "Record")
    text = log.read_text()
    bad = [line for line in text.splitlines() if BAD.search(line)]
    assert not bad, "\n".join(bad[:20])
