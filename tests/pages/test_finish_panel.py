"""The Record page's finish step (observe/ui/finish_panel.py): summary, confirm, reopen (AppTest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.store import Store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "1_Record.py")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    db = tmp_path / "observe.db"
    monkeypatch.setenv("OBSERVE_DB", str(db))
    monkeypatch.setenv("OBSERVE_MEDIA", str(tmp_path / "media"))
    store = Store.open(str(db))
    store.set_setting("demo_offered", True)
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=dt.date(2026, 1, 5), duration_s=120.0)
    return store


def _run(lang: str = "en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params.update(lang=lang, session="K01-S01", observer="ani")
    return at.run()


def _texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.metric]
        + [c.value for c in at.caption]
        + [e.value for e in at.error]
        + [s.value for s in at.success]
    )


def test_finish_shows_the_summary_then_finishes_at_the_extent(workspace: Store) -> None:
    obs = workspace.open_observation("K01-S01", "ani").id
    workspace.record(obs, "client", "G_EYE", 1.0)
    workspace.record(obs, "counselor", "T_FWD", 2.0)
    workspace.record(obs, "client", "P_NOD", 30.0)
    at = _run()
    assert not at.exception
    at.button(key=f"rec_finish_start_{obs}").click().run()
    assert not at.exception
    field = at.number_input(key=f"rec_finish_at_{obs}")
    assert field.value == 30.0  # the latest event time
    labels = {m.label: m.value for m in at.metric}
    assert labels["Coverage (E/T)"] == "25 %" and labels["Open states"] == "2"
    assert labels["Unpaired stops"] == "0" and labels["Events"] == "3"
    assert "Client G_EYE" in _texts(at) and "Counselor T_FWD" in _texts(at)
    assert workspace.observation(obs).status == "open"  # nothing happens before confirming
    field.set_value(60.0).run()
    assert {m.label: m.value for m in at.metric}["Coverage (E/T)"] == "50 %"
    at.button(key=f"rec_finish_confirm_{obs}").click().run()
    assert not at.exception
    done = workspace.observation(obs)
    assert (done.status, done.coded_s) == ("finished", 60.0)
    assert {e.cue: e.end_s for e in workspace.events(obs) if e.kind == "state"} == {
        "G_EYE": 60.0,
        "T_FWD": 60.0,
    }
    assert "coded up to 60 s (50 % of the session)" in _texts(at)
    at.button(key=f"rec_finish_reopen_{obs}").click().run()
    assert not at.exception
    assert workspace.observation(obs).status == "open" and workspace.observation(obs).coded_s is None
    assert at.button(key=f"rec_finish_start_{obs}")


def test_a_refused_extent_disables_confirm_and_says_why(workspace: Store) -> None:
    obs = workspace.open_observation("K01-S01", "ani").id
    workspace.record(obs, "client", "G_EYE", 12.0)  # the last keypress started a state
    at = _run("id")
    at.button(key=f"rec_finish_start_{obs}").click().run()
    assert not at.exception
    assert at.button(key=f"rec_finish_confirm_{obs}").disabled
    assert "G_EYE dimulai di situ" in at.error[0].value
    at.number_input(key=f"rec_finish_at_{obs}").set_value(20.0).run()
    assert not at.button(key=f"rec_finish_confirm_{obs}").disabled
    at.button(key=f"rec_finish_cancel_{obs}").click().run()
    assert at.button(key=f"rec_finish_start_{obs}") and workspace.observation(obs).status == "open"
