"""AppTest of the Synchrony page: regions on the frame, run, result, import, bad input, language."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from observe.i18n import t
from observe.reports.synchrony import ROI_ATTRIBUTE
from observe.store import Store
from observe.video.synthetic import SyntheticVideo, make_synthetic_video
from tests.conftest import charts

TIMEOUT = 60
PAGE = "pages/10_Synchrony.py"
TOKEN = "ab" * 16 + ".mp4"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> SyntheticVideo:
    folder = tmp_path_factory.mktemp("sync_media_src")
    return make_synthetic_video(folder / TOKEN, duration_s=16, size=(192, 108), seed=1)


@pytest.fixture
def workspace(tmp_path: Path, video: SyntheticVideo) -> Store:
    """K01-S01 with a tiny synthetic video (no regions yet); K01-S02 without a video."""
    media = tmp_path / "media"
    media.mkdir()
    (media / TOKEN).write_bytes(video.path.read_bytes())
    db = tmp_path / "observe.db"
    store = Store.open(str(db))
    store.set_setting("demo_offered", True)
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=dt.date(2026, 1, 5), video_ref=TOKEN)
    store.add_session("K01", "C01", date=dt.date(2026, 1, 12))
    return store


@pytest.fixture
def app(workspace: Store, tmp_path: Path, open_app: Callable[..., AppTest]) -> AppTest:
    """The Synchrony page on the workspace above (its database and media folder)."""
    return open_app(tmp_path / "observe.db", PAGE, timeout=TIMEOUT, OBSERVE_MEDIA=str(tmp_path / "media"))


def short_settings(at: AppTest) -> None:
    """Windows that fit a 16 s video."""
    for key, value in (("sync_lag", 1.0), ("sync_window", 4.0), ("sync_step", 2.0), ("sync_segment", 2.0)):
        at.number_input(key=key).set_value(value)


def set_regions(at: AppTest, video: SyntheticVideo) -> None:
    at.checkbox(key="sync_use_K01-S01_background").check()
    for name, roi in video.rois.items():
        for field in "xywh":
            at.number_input(key=f"sync_K01-S01_{name}_{field}").set_value(getattr(roi, field))


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def test_caveat_and_frame_with_default_regions(app: AppTest) -> None:
    assert t("syncpage.caveat", "en") in texts(app)
    assert app.selectbox(key="sync_session").value == "K01-S01"  # the first session with a video
    # the default layout: four person regions in use, background off
    assert app.checkbox(key="sync_use_K01-S01_client_head").value
    assert not app.checkbox(key="sync_use_K01-S01_background").value
    assert app.number_input(key="sync_K01-S01_client_head_w").value > 0


def test_the_frame_goes_to_the_browser_as_a_compressed_picture(app: AppTest, video: SyntheticVideo) -> None:
    """Not as a JSON array of every pixel's three numbers (about 1 MB for the demo's 640×360 frame)."""
    spec = next(c for c in charts(app) if c["data"][0]["type"] == "image")
    image = spec["data"][0]
    assert "z" not in image and image["source"].startswith("data:image/jpeg;base64,")
    picture = base64.b64decode(image["source"].split(",", 1)[1])
    decoded = cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[:2] == (108, 192)  # the frame's size: the regions' coordinates still fit
    assert len(json.dumps(spec)) < 192 * 108  # smaller than one byte a pixel
    shapes = spec["layout"]["shapes"]
    assert len(shapes) == 4  # the regions are drawn over it


def test_run_stores_regions_and_shows_the_delay(
    app: AppTest, workspace: Store, video: SyntheticVideo
) -> None:
    short_settings(app)
    set_regions(app, video)
    app.button(key="sync_run").click().run(timeout=TIMEOUT)
    assert not app.exception, [e.message for e in app.exception]
    stored = workspace.session("K01-S01").attributes[ROI_ATTRIBUTE]
    assert stored["client_head"] == [video.rois["client_head"].x, video.rois["client_head"].y,
                                     video.rois["client_head"].w, video.rois["client_head"].h]  # fmt: skip
    assert set(stored) == set(video.rois)
    shown = texts(app)
    assert t("syncpage.lead.counselor", "en", lag="0.4") in shown  # the client follows 10 frames later
    assert t("syncpage.no_partners", "en") in shown  # no other session with a video: said, not hidden
    assert t("syncpage.not_coded", "en", session="K01-S01") in shown
    metrics = {m.label: m.value for m in app.metric}
    assert metrics[t("syncpage.metric.best_lag", "en")] == "-0.4 s"
    assert len(app.get("download_button")) == 4
    # run again: the motion energy comes from the cache
    app.button(key="sync_run").click().run(timeout=TIMEOUT)
    assert t("syncpage.cache_hit", "en") in texts(app)


def test_regions_of_both_persons_overlapping_are_refused(app: AppTest, workspace: Store) -> None:
    short_settings(app)
    # move the client's head onto the counselor's head
    for field in "xy":
        value = app.number_input(key=f"sync_K01-S01_counselor_head_{field}").value
        app.number_input(key=f"sync_K01-S01_client_head_{field}").set_value(value)
    app.button(key="sync_run").click().run(timeout=TIMEOUT)
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("overlap" in e for e in errors), errors
    assert ROI_ATTRIBUTE not in workspace.session("K01-S01").attributes  # nothing stored


def test_too_short_for_the_window_says_so(app: AppTest, video: SyntheticVideo) -> None:
    set_regions(app, video)  # default window 30 s + lag 5 s > the 16 s video
    app.button(key="sync_run").click().run(timeout=TIMEOUT)
    errors = [e.value for e in app.error]
    assert any("needs 35.0 s" in e for e in errors), errors
    assert not app.metric  # no result shown, only the message


def test_session_without_video_points_to_record_or_import(app: AppTest) -> None:
    app.selectbox(key="sync_session").set_value("K01-S02").run()
    assert t("syncpage.no_video", "en", session="K01-S02") in [e.value for e in app.error]


def rmea_text(shift: int = 5) -> bytes:
    """rMEA format: client (patient) in column 1 doing what the counselor does ``shift`` samples later."""
    rng = np.random.default_rng(0)
    a = np.abs(rng.normal(size=600)).cumsum() % 5
    rows = (f"{x:.4f} {y:.4f}" for x, y in zip(a[shift:], a[:-shift], strict=True))
    return ('"pat" "th"\n' + "\n".join(rows)).encode()


def test_imported_rmea_text_in_indonesian(app: AppTest) -> None:
    app.selectbox(key="ui_language").set_value("id").run()
    app.radio(key="sync_source").set_value("import").run()
    assert t("syncpage.caveat", "id") in texts(app)
    short_settings(app)
    app.selectbox(key="sync_session").set_value("K01-S02")
    app.file_uploader(key="sync_upload").set_value(("dyad.txt", rmea_text(), "text/plain")).run()
    app.button(key="sync_run_import").click().run(timeout=TIMEOUT)
    assert not app.exception, [e.message for e in app.exception]
    shown = texts(app)
    # the client moves first here: a positive best lag of 5 samples at 25 fps
    assert t("syncpage.lead.client", "id", lag="0,2") in shown
    assert t("syncpage.recombination_needs_video", "id") in shown
    assert t("syncpage.not_coded", "id", session="K01-S02") in shown
    assert not any(key in shown for key in ("syncpage.", "chart.sync."))  # every text translated


def test_malformed_import_is_one_clear_error(app: AppTest) -> None:
    app.radio(key="sync_source").set_value("import").run()
    app.file_uploader(key="sync_upload").set_value(("bad.txt", b"1 2\n3 x\n", "text/plain")).run()
    app.button(key="sync_run_import").click().run(timeout=TIMEOUT)
    assert not app.exception
    assert [e.value for e in app.error] == [t("synchrony.bad_line", "en", path="upload.txt", line=2)]
