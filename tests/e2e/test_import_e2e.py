"""Issue 6 "done when", in a real browser: upload BORIS's test.boris, preview, import, see its
observations as sessions with the right event counts, download them back as BORIS tabular events."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from _browser import App, open_page, pick, wait_idle

from observe.store import Store
from tests.conftest import shared_fixtures

pytestmark = pytest.mark.e2e
CLIENT = "BE2E"


def _tab(page: object, name: str) -> None:
    page.get_by_role("tab", name=name).click()  # type: ignore[attr-defined]
    wait_idle(page)


def test_boris_project_round_trip_in_the_browser(app: App, page, e2e_store: Store) -> None:  # type: ignore[no-untyped-def]
    project = shared_fixtures() / "boris" / "test.boris"
    summary = json.loads((shared_fixtures() / "boris" / "summaries" / "test.summary.json").read_text())
    expected = {
        o["id"]: o["n_point_events"]
        + sum(b["n_bouts"] for b in o["state_bouts"].values())
        + len(o["unpaired_state_events"])
        for o in summary["observations"]
    }
    open_page(page, app, "Import_export")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(project))
    page.get_by_text("Preview: nothing is written").wait_for(timeout=30_000)
    wait_idle(page)
    client = page.get_by_label("Client code of the imported sessions")
    client.fill(CLIENT)
    client.press("Enter")
    wait_idle(page)
    # the preview names the sessions (table cells live in the data grid's hidden accessibility layer)
    page.get_by_text(f"{CLIENT}-S12").first.wait_for(state="attached", timeout=20_000)
    page.get_by_role("button", name="Import now").click()
    page.get_by_text(f"Imported {sum(expected.values())} events in 12 observations").wait_for(timeout=30_000)

    sessions = {s.attributes["source_observation"]: s.code for s in e2e_store.sessions(client=CLIENT)}
    assert set(sessions) == set(expected)
    counts = {o.session: o.n_events for o in e2e_store.observations() if o.session.startswith(CLIENT)}
    assert {source: counts[code] for source, code in sessions.items()} == expected

    # the same file again is refused, as its preview says, unless a new copy is asked for (DOMAIN §9.7)
    from playwright.sync_api import expect

    open_page(page, app, "Import_export")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(project))
    refusal = page.get_by_text(
        re.compile(rf"^test\.boris was already imported as {CLIENT}-S01, {CLIENT}-S02")
    )
    expect(refusal).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Import now")).to_be_disabled()
    page.get_by_text("Import as a new copy").click()
    expect(refusal).to_have_count(0)
    expect(page.get_by_role("button", name="Import now")).to_be_enabled()

    # the sessions are there for everyone to see, with the BORIS observation they came from
    open_page(page, app, "Sessions")
    page.get_by_text(f"{CLIENT}-S04").first.wait_for(state="attached", timeout=20_000)
    source = "BORIS test.boris, observation observation #2: Description of observation #2"
    page.get_by_text(source).first.wait_for(state="attached", timeout=20_000)

    # and go back out as BORIS tabular events
    open_page(page, app, "Import_export")
    _tab(page, "Export")
    pick(page, "What", "BORIS tabular events", exact=True)
    pick(page, "Which sessions", sessions["observation #1"], exact=True)
    prepare = page.get_by_role("button", name="Prepare file")
    expect(prepare).to_be_enabled()
    prepare.click()
    download = page.get_by_role("button", name=re.compile(r"^Download .*boris\.tsv$"))
    expect(download).to_be_enabled(timeout=30_000)
    with page.expect_download() as info:
        download.click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8")), delimiter="\t"))
    header = rows[0]
    assert header[:3] == ["Observation id", "Observation date", "Description"] and "Behavior type" in header
    kinds = [r[header.index("Behavior type")] for r in rows[1:]]
    assert kinds == ["START", "STOP"] * 4  # observation #1: 4 state bouts (EXPECTED.md §5)
