"""AppTest of the four analysis pages on the demo workspace (widgets found by key)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.model import Observation
from observe.store import Store
from tests.conftest import charts

TIMEOUT = 60


@pytest.fixture
def open_page(demo_db: Path, open_app: Callable[..., AppTest]) -> Callable[[str], AppTest]:
    """``open_page(page)``: that page on a fresh copy of the demo workspace."""
    return functools.partial(open_app, demo_db, timeout=TIMEOUT)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_session_review_shows_indices_and_charts(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/4_Session_review.py")
    at.selectbox(key="review_session").set_value("K01-S06").run()
    labels = {m.label: m.value for m in at.metric}
    assert labels["Openness index (session)"].startswith("+")
    assert labels["Attending index (counselor)"].startswith("+")
    assert len(charts(at)) == 3  # timeline, openness curve, time budget
    assert "descriptive supervision aid" in _texts(at)  # the limitations note beside the index
    assert "window_s" in _texts(at)  # the parameters beside the result


def test_session_review_parameter_change_changes_the_result(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/4_Session_review.py")
    at.selectbox(key="review_session").set_value("K02-S01").run()
    assert "15 of 15 windows" in _texts(at)  # 900 s in 60 s windows
    assert not at.number_input  # the parameter panel is closed: its fields are not drawn (issue 16)
    at.session_state["review_open"] = True  # the user opens it
    at.run()
    at.number_input(key="review_window").set_value(120.0).run()
    assert not at.exception
    assert "**window_s** = 120" in _texts(at)
    assert "8 of 8 windows" in _texts(at)  # 7 full windows and a last one of 60 s (≥ half of W)
    at.session_state["review_open"] = False  # closed again: what the user set still holds
    at.run()
    assert not at.number_input and "**window_s** = 120" in _texts(at)


def test_new_event_shows_at_once(open_page: Callable[[str], AppTest], demo_db: Path) -> None:
    at = open_page("pages/4_Session_review.py")
    at.selectbox(key="review_session").set_value("K01-S01").run()
    before = {m.label: m.value for m in at.metric}["Resistance per 10 min"]
    store = Store.open(str(demo_db))
    obs = next(o for o in store.observations(session="K01-S01") if o.observer == "obs.ani")
    store.reopen_observation(obs.id)
    scheme = store.observation_scheme(obs.id)
    from observe.model import make_event

    added = store.import_events(
        obs.id, [make_event(scheme, "client", "R3_REFUSE", 400.0 + i) for i in range(20)]
    )
    store.close()
    at.run()
    after = {m.label: m.value for m in at.metric}["Resistance per 10 min"]
    assert after != before, added


def test_client_progress_flags_k02(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/5_Client_progress.py")
    at.selectbox(key="progress_client").set_value("K02").run()
    assert any("alih tangan kasus" in e.value for e in at.error)
    assert len(charts(at)) == 1
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download chart (HTML)", "Download table (CSV)", "Printable summary (HTML)"]


def test_client_progress_in_indonesian_and_not_enough_data(
    open_page: Callable[[str], AppTest], demo_db: Path
) -> None:
    store = Store.open(str(demo_db))
    if "K99" not in [c.code for c in store.clients()]:
        store.add_client("K99")
    store.close()
    at = open_page("pages/5_Client_progress.py")
    at.selectbox(key="ui_language").set_value("id").run()
    at.selectbox(key="progress_client").set_value("K99").run()
    assert not at.exception
    assert any("Data belum cukup" in i.value for i in at.info)


def test_counselor_view(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/6_Counselor.py")
    at.selectbox(key="counselor_pick").set_value("C01").run()
    assert len(charts(at)) == 1
    assert {m.label for m in at.metric} >= {"Mean attending index", "Median r, same window"}


def test_cue_patterns_filters(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/7_Cue_patterns.py")
    at.number_input(key="cues_perm").set_value(100).run()
    assert len(charts(at)) == 1
    assert "Pooled over 15 sessions" in _texts(at)
    assert [m.key for m in at.multiselect] == ["cues_given", "cues_target"]  # the filters: closed, not drawn
    at.session_state["cues_filters_open"] = True  # the user opens them
    at.run()
    at.multiselect(key="cues_clients").set_value(["K01"]).run()
    assert "Pooled over 6 sessions" in _texts(at)
    at.selectbox(key="cues_special").set_value(True).run()
    assert any("Not enough data" in i.value for i in at.info)
    at.session_state["cues_filters_open"] = False  # closed again, the filters still hold
    at.run()
    assert [m.key for m in at.multiselect] == ["cues_given", "cues_target"]
    assert any("Not enough data" in i.value for i in at.info)


def test_cue_patterns_empty_choices_speak_indonesian(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("pages/7_Cue_patterns.py")
    at.selectbox(key="ui_language").set_value("id").run()
    at.session_state["cues_filters_open"] = True
    at.run()
    shown = {m.key: m.proto.placeholder for m in at.multiselect}
    assert shown == {
        "cues_given": "Pilih isyarat",
        "cues_target": "Pilih isyarat",
        "cues_clients": "Semua klien",  # none chosen: every client is pooled
        "cues_counselors": "Semua konselor",
    }


def test_partially_coded_sessions_say_so_on_the_pages(
    open_page: Callable[[str], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # K02-S05 coded for 30% of its length (what the store's finish step records as coded_s)
    real = Store.observations

    def observations(self: Store, *args: object, **kwargs: object) -> list[Observation]:
        return [
            replace(o, coded_s=270.0) if o.session == "K02-S05" else o for o in real(self, *args, **kwargs)
        ]

    monkeypatch.setattr(Store, "observations", observations)
    at = open_page("pages/5_Client_progress.py")
    at.selectbox(key="progress_client").set_value("K02").run()
    assert any("K02-S05: partially coded (30%)" in w.value for w in at.warning)
    at.switch_page("pages/4_Session_review.py").run()
    at.selectbox(key="review_session").set_value("K02-S05").run()
    assert any("Only 30% of this session was coded" in w.value for w in at.warning)
    at.switch_page("pages/6_Counselor.py").run()
    at.selectbox(key="counselor_pick").set_value("C02").run()
    assert any("K02-S05: partially coded (30%)" in w.value for w in at.warning)
