"""The Sessions page lists where imported sessions came from (AppTest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.interop.detect import parse_file
from observe.interop.preview import apply_import
from observe.store import Store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "2_Sessions.py")
TIDY = b"""session,client,observer,subject,channel,cue,kind,start_s,end_s,counselor,session_date,duration_s
K01-S01,K01,obs.a,client,GAZE,G_EYE,state,0,12.5,C01,2026-09-01,60
"""


@pytest.mark.parametrize(("lang", "header"), [("en", "Source"), ("id", "Sumber")])
def test_imported_sessions_show_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, header: str
) -> None:
    db = tmp_path / "observe.db"
    monkeypatch.setenv("OBSERVE_DB", str(db))
    store = Store.open(str(db))
    store.set_setting("demo_offered", True)
    apply_import(store, parse_file(TIDY, filename="round-trip.csv"))
    store.add_client("K02")
    store.add_counselor("C02")
    store.add_session("K02", "C02", date=dt.date(2026, 9, 2))  # coded here: no source
    store.close()
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value  # the sessions tab comes first
    sources = dict(zip(shown[{"en": "Session", "id": "Sesi"}[lang]], shown[header], strict=True))
    assert sources == {"K01-S01": "observe round-trip.csv", "K02-S01": ""}
