"""Session and client reports: self-contained (plotly inlined once, no network), all sections,
both languages; research export de-identified."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from observe.errors import InvalidInput, NotFound
from observe.interop.exports import EXPORTS, Selection, export_file
from observe.interop.report import client_report_html, session_report_html
from observe.store import Store
from tests.conftest import open_demo_copy


@pytest.fixture(scope="module")
def demo(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo workspace (the session-wide copy without videos: reports never read a video)."""
    store = open_demo_copy(demo_workspace, tmp_path_factory.mktemp("report"))
    yield store
    store.close()


def test_session_report_is_self_contained(demo: Store) -> None:
    page = session_report_html(demo, "K01-S06")
    assert page.count("plotly.js v") == 1  # the library once, however many charts
    assert page.count('class="plotly-graph-div"') == 3  # timeline, curves, time budget
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)  # nothing fetched
    for heading in (
        "Timeline",
        "Openness and attending",
        "Time budget",
        "Resistance episodes",
        "Observer notes",
        "Limitations",
    ):
        assert heading in page
    assert "@media print" in page
    assert demo.session("K01-S06").notes in page


def test_session_report_in_indonesian_and_errors(demo: Store) -> None:
    assert "Keterbatasan" in session_report_html(demo, "K01-S06", lang="id")
    with pytest.raises(NotFound):
        session_report_html(demo, "K99-S01")


def test_client_report(demo: Store) -> None:
    page = client_report_html(demo, "K02", lang="id")
    assert "K02" in page and page.count("plotly.js v") == 1 and "<table" in page


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_every_export_kind_and_format(demo: Store, kind: str) -> None:
    for fmt in EXPORTS[kind]:
        made = export_file(demo, kind, fmt, selection=Selection(session="K01-S06"), seed=1)
        assert made.data and made.filename.endswith(("." + fmt, ".zip"))


def test_export_errors(demo: Store) -> None:
    with pytest.raises(InvalidInput):
        export_file(demo, "nope")
    with pytest.raises(InvalidInput):
        export_file(demo, "events", "docx")


def test_research_export_is_deidentified(demo: Store) -> None:
    sel = Selection(client="K01")
    one = zipfile.ZipFile(io.BytesIO(export_file(demo, "research", selection=sel, seed=1).data))
    two = zipfile.ZipFile(io.BytesIO(export_file(demo, "research", selection=sel, seed=2).data))
    events = pd.read_csv(one.open("events.csv"), keep_default_na=False)
    sessions = pd.read_csv(one.open("sessions.csv"))
    openness = pd.read_csv(one.open("openness.csv"))
    text = b"".join(one.read(n) for n in one.namelist())
    tables = b"".join(one.read(n) for n in one.namelist() if n.endswith(".csv"))
    for identity in [b"K01", b"C01", b"obs."]:
        assert identity not in text  # no client, counselor or observer
    assert not re.search(rb"\d{4}-\d\d-\d\d", tables)  # no dates (session numbers instead)
    assert set(events["comment"]) == {""} and "notes" not in sessions
    # the same client has the same code in every file of one export, another code in another export
    assert set(events["client"]) == set(sessions["client"]) == set(openness["client"])
    assert set(pd.read_csv(two.open("events.csv"))["client"]).isdisjoint(events["client"])
    meta = json.loads(one.read("metadata.json"))
    assert meta["analysis_parameters"]["openness"]["window_s"] == 60.0
    assert meta["schemes"] and meta["free_text_included"] is False
    with_notes = zipfile.ZipFile(
        io.BytesIO(export_file(demo, "research", selection=sel, include_notes=True, seed=1).data)
    )
    assert "notes" in pd.read_csv(with_notes.open("sessions.csv"))
