"""The Record page renders and wires its widgets (AppTest; keys and video need the browser tests)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from observe.store import Store
from observe.video.library import ffmpeg_exe
from tests.conftest import charts

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "1_Record.py")
TOKEN = "f" * 32 + ".mp4"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """An empty workspace (no demo) in a temporary database and media folder."""
    db = tmp_path / "observe.db"
    monkeypatch.setenv("OBSERVE_DB", str(db))
    monkeypatch.setenv("OBSERVE_MEDIA", str(tmp_path / "media"))
    store = Store.open(str(db))
    store.set_setting("demo_offered", True)
    return store


def _seed(store: Store, media_dir: Path, *, video: bool = True) -> str:
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 1, 5), duration_s=120.0)
    if video:
        media_dir.mkdir(exist_ok=True)
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(media_dir / TOKEN)],
            check=True,
        )  # fmt: skip
        store.update_session(session.code, video_ref=TOKEN)
    return session.code


def _run(lang: str = "en", **query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def test_empty_workspace_says_what_to_do(workspace: Store) -> None:
    at = _run()
    assert not at.exception
    assert at.title[0].value == "Record"
    assert "add one on the Sessions page" in at.info[0].value


def test_new_observer_starts_an_observation(workspace: Store, tmp_path: Path) -> None:
    code = _seed(workspace, tmp_path / "media")
    at = _run(observer="obs.new")
    assert at.selectbox(key="rec_session").value == code
    assert at.selectbox(key="rec_observer").value == "obs.new"
    assert not workspace.observations(session=code)
    at.button(key="rec_start").click().run()
    assert not at.exception
    assert [o.observer for o in workspace.observations(session=code)] == ["obs.new"]


def test_coder_event_list_and_undo_are_wired(workspace: Store, tmp_path: Path) -> None:
    code = _seed(workspace, tmp_path / "media")
    obs = workspace.open_observation(code, "ani").id
    workspace.record(obs, "client", "G_EYE", 1.0)
    workspace.record(obs, "counselor", "P_NOD", 2.0)
    at = _run(session=code, observer="ani")
    assert not at.exception
    assert not at.error  # the video is there and playable
    assert any("2 events coded" in c.value for c in at.caption)
    assert at.button(key="rec_undo").disabled is False
    assert at.button(key="rec_redo").disabled is True
    assert at.get("segmented_control")  # mode and list scope
    at.button(key="rec_undo").click().run()
    assert [e.cue for e in workspace.events(obs)] == ["G_EYE"]
    assert any("1 events coded" in c.value for c in at.caption)


def test_missing_video_file_is_reported(workspace: Store, tmp_path: Path) -> None:
    code = _seed(workspace, tmp_path / "media", video=False)
    workspace.update_session(code, video_ref=TOKEN)  # the file is not in the media folder
    workspace.open_observation(code, "ani")
    at = _run(session=code, observer="ani")
    assert not at.exception
    assert "missing from the media folder" in at.error[0].value


def test_page_in_indonesian(workspace: Store, tmp_path: Path) -> None:
    code = _seed(workspace, tmp_path / "media", video=False)
    workspace.open_observation(code, "ani")
    at = _run("id", session=code, observer="ani")
    assert not at.exception
    assert at.title[0].value == "Rekam"
    assert at.selectbox(key="rec_session").label == "Sesi"
    assert at.toggle(key="rec_overview").label == "Tampilkan seluruh sesi sebagai linimasa"


def test_the_whole_session_overview_is_a_chart_of_the_coded_events(workspace: Store, tmp_path: Path) -> None:
    code = _seed(workspace, tmp_path / "media", video=False)
    obs = workspace.open_observation(code, "ani")
    workspace.add_event(obs.id, "client", "G_EYE", 10.0, 30.0)
    at = _run(session=code, observer="ani")
    assert not charts(at)  # drawn on request only
    at.toggle(key="rec_overview").set_value(True).run()
    assert not at.exception
    (figure,) = charts(at)
    bars = [trace for trace in figure["data"] if trace["type"] == "bar"]
    assert any(trace.get("base") for trace in bars)  # the state from 10 s, as a bar
