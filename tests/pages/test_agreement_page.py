"""AppTest of the agreement page on the demo workspace: tables, blind gate, reference, language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from observe.analysis.agreement import compare
from observe.store import Store
from tests.conftest import charts

TIMEOUT = 60
PAGE = "pages/8_Agreement.py"


@pytest.fixture
def at(demo_db: Path, open_app: Callable[..., AppTest]) -> AppTest:
    """The agreement page on a fresh copy of the demo workspace."""
    return open_app(demo_db, PAGE, timeout=TIMEOUT)


def frame(at: AppTest, column: str, *, tab: str | None = None) -> pd.DataFrame:
    """The first table with ``column`` (in the tab labelled ``tab``): AppTest keeps no dataframe
    keys, so tables are found by what they show, never by position."""
    root = at if tab is None else next(t for t in at.tabs if t.label == tab)
    found = [d.value for d in root.dataframe if column in d.value.columns]
    assert found, f"no table with a column {column!r}"
    return found[0]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [w.label for w in at.selectbox] + [w.label for w in at.radio] + [w.label for w in at.button]
    parts += [w.label for w in at.number_input] + [e.label for e in at.expander] + [t.label for t in at.tabs]
    return "\n".join(str(p) for p in parts)


def test_demo_session_shows_the_per_channel_tables(at: AppTest, demo_db: Path) -> None:
    assert at.selectbox(key="agreement_session").value == "K01-S03"
    assert at.selectbox(key="agreement_a").value == "obs.ani"
    assert at.selectbox(key="agreement_b").value == "obs.budi"
    store = Store.open(str(demo_db))
    events = store.events_frame(session="K01-S03")
    store.close()
    a, b = events[events["observer"] == "obs.ani"], events[events["observer"] == "obs.budi"]
    for tau in (0, 2):
        at.session_state["agreement_tau"] = f"τ = {tau} s"  # the tab the user picks
        at.run()
        shown = frame(at, "Base rates A/B", tab=f"τ = {tau} s")
        expected = compare(a, b, tolerance=float(tau)).time_unit
        expected = expected[expected["level"] == "channel"]
        assert len(shown) == len(expected) == 10
        assert shown["κ"].tolist() == expected["kappa"].round(3).tolist()
        assert shown["PABAK"].tolist() == expected["pabak"].round(3).tolist()
        assert {"p_o", "κ_max", "Codes", "Base rates A/B", "Verdict"} <= set(shown.columns)
        assert set(shown["Subject"]) == {"Client", "Counselor"}  # scheme labels, not codes
    events_table = frame(at, "Matches")
    assert {"F1", "Precision", "Recall", "Matches"} <= set(events_table.columns)
    icc = frame(at, "ICC(2,1)")
    assert len(icc) == 2 and icc["ICC(2,1)"].notna().all()
    assert len(charts(at)) >= 2  # the matrix heatmap and the twin timeline
    assert "Largest disagreements" in texts(at)
    # the demo designates obs.ani's coding of K01-S03 as the training reference
    assert frame(at, "Channels passed")["Reference by"].tolist() == ["obs.ani"]


def test_only_the_open_tolerance_and_an_opened_cue_table_are_drawn(at: AppTest) -> None:
    """A closed tab or expander still costs its tables' drawing in the browser unless its content
    is left out (issue 16): the other tolerances' tables and the per-cue table come when opened."""
    assert [t.label for t in at.tabs] == ["τ = 0 s", "τ = 2 s"]
    assert [t.label for t in at.tabs if t.children] == ["τ = 0 s"]  # the first tab is open
    kappa_tables = [d.value for d in at.dataframe if "PABAK" in d.value.columns]
    assert len(kappa_tables) == 1  # the channels of τ = 0 s; the per-cue table is closed
    at.session_state["agreement_cues_open_0"] = True  # the user opens the per-cue table
    at.run()
    kappa_tables = [d.value for d in at.dataframe if "PABAK" in d.value.columns]
    assert len(kappa_tables) == 2 and len(kappa_tables[1]) > len(kappa_tables[0])  # cues outnumber channels


def test_matrix_switches_to_events_with_the_nil_category(at: AppTest) -> None:
    at.radio(key="agreement_matrix_kind").set_value("events").run()
    assert not at.exception
    options = at.selectbox(key="agreement_matrix_which").options
    assert "Client · Gaze" in options
    heatmap = next(c for c in charts(at) if c["data"][0]["type"] == "heatmap")
    assert "∅" in json.dumps(heatmap, ensure_ascii=False)


def test_blind_while_the_second_observer_codes(demo_db: Path, open_app: Callable[..., AppTest]) -> None:
    at = open_app(demo_db, timeout=TIMEOUT)
    store = Store.open(str(demo_db))
    budi = store.open_observation("K01-S01", "obs.budi")
    store.add_event(budi.id, "client", "G_EYE", 0.0, 100.0)
    store.close()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="agreement_session").set_value("K01-S01").run()
    at.selectbox(key="agreement_a").set_value("obs.budi").run()
    assert not at.exception
    assert any("Your observation of K01-S01 is not finished" in i.value for i in at.info)
    assert not at.dataframe and not charts(at)  # nothing of obs.ani's coding
    at.selectbox(key="agreement_a").set_value("obs.ani").run()
    assert any("Not everyone has finished coding K01-S01" in i.value for i in at.info)
    assert not at.dataframe
    # once both have finished, each sees the other
    store = Store.open(str(demo_db))
    store.finish_observation(budi.id)
    store.close()
    at.run()
    assert len(frame(at, "Base rates A/B")) == 10


def test_reference_feeds_the_training_summary(at: AppTest) -> None:
    assert not at.button  # the reference panel is closed: drawn when opened (issue 16)
    at.session_state["agreement_reference_open"] = True
    at.run()
    at.selectbox(key="agreement_reference_pick").set_value("obs.ani").run()
    at.button(key="agreement_reference_set").click().run()
    assert not at.exception
    summary = frame(at, "Channels passed")
    assert summary["Observer"].tolist() == ["obs.budi"]
    assert summary["Reference by"].tolist() == ["obs.ani"]
    assert re.fullmatch(r"\d+/10", summary["Channels passed"].iloc[0])
    assert "reference" in at.selectbox(key="agreement_a").format_func("obs.ani")
    at.button(key="agreement_reference_clear").click().run()
    assert "No finished reference observation yet" in texts(at)


def test_indonesian_page_has_no_untranslated_keys(at: AppTest) -> None:
    at.selectbox(key="ui_language").set_value("id").run()
    assert not at.exception
    shown = texts(at)
    assert "Kappa per kanal (unit waktu)" in shown
    assert not re.search(r"\bagreement(_page)?\.[a-z_.]+", shown), re.findall(r"agreement\S+", shown)
    table = frame(at, "Laju dasar A/B")
    assert {"Subjek", "Kanal", "Penilaian", "Laju dasar A/B"} <= set(table.columns)
    assert set(table["Subjek"]) == {"Klien", "Konselor"}
