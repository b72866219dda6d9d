"""The demo video is generated once into the media folder, under its fixed token, and plays in a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from observe.video import demo_video
from observe.video import library as media


def test_demo_video_is_made_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_video, "DEMO_DURATION_S", 2.0)  # the real one is two minutes
    path = demo_video.ensure_demo_video(tmp_path)
    assert path.name == demo_video.DEMO_TOKEN and media.is_token(path.name)
    info = media.probe(path)
    assert info.playable and info.duration_s == pytest.approx(2.0, abs=0.2)
    stamp = path.stat().st_mtime_ns
    assert demo_video.ensure_demo_video(tmp_path) == path and path.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left
