"""Every page a researcher opens (team mode, signed in) shows either what the role may use or one
friendly sentence: never an exception, a traceback or a server path (issue 12)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([REPO_ROOT / "app.py", *(REPO_ROOT / "pages").glob("*.py")])


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("researcher") / "team.db"
    store = Store.open(str(path))
    store.add_counselor("C77")
    store.add_client("K77", display_name="Ayu Lestari", counselor="C77")
    session = store.add_session("K77", "C77", date=dt.date(2026, 9, 1), duration_s=600.0)
    observation = store.open_observation(session.code, "obs.x")
    store.add_event(observation.id, "client", "P_NOD", 3.0)
    store.finish_observation(observation.id)
    store.set_consent("K77", recording=True, research_use=True)
    store.add_user("res", role="researcher")
    store.set_setting("demo_offered", True)
    store.close()
    return path


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_a_researcher_sees_no_traceback_on_any_page(team: None, path: Path) -> None:
    at = AppTest.from_file(str(path), default_timeout=90)
    at.session_state["access_user"] = "res"
    at.session_state["access_last_seen"] = time.time()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info])
    assert "Traceback" not in shown and str(REPO_ROOT) not in shown
    assert "Ayu Lestari" not in shown
