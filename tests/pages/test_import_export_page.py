"""AppTest of the Import / export page on the demo workspace: exports and the report download.

(AppTest cannot upload a file; the upload → preview → import path is driven in a real browser
by tests/e2e/test_import_e2e.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 90
PAGE = "pages/9_Import_export.py"


@pytest.fixture
def at(demo_db: Path, open_app: Callable[..., AppTest]) -> AppTest:
    """The Import / export page on a fresh copy of the demo workspace."""
    return open_app(demo_db, PAGE, timeout=TIMEOUT)


def test_page_shows_upload_and_tabs(at: AppTest) -> None:
    assert [t.label for t in at.tabs] == ["Import", "Export", "Session report"]
    assert at.selectbox(key="ie_kind").value == "events"


def test_export_boris_tabular_of_a_session(at: AppTest) -> None:
    at.selectbox(key="ie_kind").set_value("boris").run()
    at.selectbox(key="ie_scope").set_value("session:K01-S01").run()
    at.button(key="ie_prepare").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    made = at.session_state["ie_export_file"]
    assert made.filename == "K01-S01-boris.tsv" and made.data.startswith(b"Observation id\t")


def test_sdis_of_a_double_coded_session_per_observer(at: AppTest) -> None:
    """DOMAIN §9.8: the reference observation by default, one named unit per observer with "all"."""
    at.selectbox(key="ie_kind").set_value("sdis").run()
    at.selectbox(key="ie_scope").set_value("session:K01-S03").run()
    assert at.selectbox(key="ie_observer_choice").options == [
        "Reference observation",
        "All observers (one unit each)",
        "obs.ani",
        "obs.budi",
    ]
    at.button(key="ie_prepare").click().run()
    assert not at.exception and not at.error
    assert at.session_state["ie_export_file"].data.decode().count("<K01-S03") == 1
    at.selectbox(key="ie_observer_choice").set_value("all").run()
    at.button(key="ie_prepare").click().run()
    units = at.session_state["ie_export_file"].data.decode()
    assert "<K01-S03_obs.ani>" in units and "<K01-S03_obs.budi>" in units


def test_eaf_of_a_double_coded_session_has_a_tier_set_per_observer(at: AppTest) -> None:
    """DOMAIN §9.8 in ELAN: one file for the session, the observers' tiers named by observer."""
    at.selectbox(key="ie_kind").set_value("eaf").run()
    at.selectbox(key="ie_scope").set_value("session:K01-S03").run()
    at.selectbox(key="ie_observer_choice").set_value("all").run()
    at.button(key="ie_prepare").click().run()
    assert not at.exception and not at.error
    made = at.session_state["ie_export_file"]
    assert made.filename == "K01-S03.eaf"
    eaf = made.data.decode()
    assert 'TIER_ID="client-GAZE (obs.ani)"' in eaf and 'TIER_ID="client-GAZE (obs.budi)"' in eaf


def test_events_as_parquet_for_a_client(at: AppTest) -> None:
    at.selectbox(key="ie_format_events").set_value("parquet").run()
    at.selectbox(key="ie_scope").set_value("client:K02").run()
    at.button(key="ie_prepare").click().run()
    assert not at.exception and not at.error
    made = at.session_state["ie_export_file"]
    assert made.filename == "K02-events.parquet" and made.data[:4] == b"PAR1"


def test_session_report_download(at: AppTest) -> None:
    at.selectbox(key="ie_report_session").set_value("K01-S06").run()
    at.button(key="ie_report_prepare").click().run()
    assert not at.exception
    name, data = at.session_state["ie_report_file"]
    assert name == "K01-S06-report.html" and b"plotly.js v" in data


def test_export_shows_a_progress_bar_with_the_count(at: AppTest) -> None:
    at.selectbox(key="ie_kind").set_value("openness").run()
    at.button(key="ie_prepare").click().run()
    assert not at.exception and not at.error
    (bar,) = at.get("progress")
    n_sessions = 15  # the demo workspace's sessions, then one step for writing the file
    assert bar.proto.value == 100 and bar.proto.text.endswith(f" {n_sessions + 1}/{n_sessions + 1}")
