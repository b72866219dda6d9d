"""Session videos: checked before storing, stored under random names, served with range requests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette

from observe.errors import InvalidInput, NotFound
from observe.store import Store
from observe.store.secret import env_key
from observe.ui.routes import ROUTES
from observe.video import library as media


def secret_key(
    monkeypatch: pytest.MonkeyPatch, value: str = "a workspace secret of at least 32 chars"
) -> bytes:
    """Sign video links with ``OBSERVE_SECRET`` (no database needed); the key the route checks with."""
    monkeypatch.setenv("OBSERVE_SECRET", value)
    key = env_key()
    assert key is not None
    return key


def _encode(path: Path, *codec: str, seconds: int = 2) -> Path:
    subprocess.run(
        [media.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=25:duration={seconds}",
         *codec, "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()


def _get(app: Starlette, path: str, headers: dict[str, str] | None = None) -> Reply:
    """One GET through the ASGI interface (starlette's TestClient needs an extra package)."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
        "raw_path": path.encode(), "root_path": "", "query_string": query.encode(), "server": ("test", 80),
        "client": ("test", 1), "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }  # fmt: skip
    sent: list[dict[str, object]] = []

    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if requested:  # the client stays connected until the response is complete
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    # a loop of its own in a thread: the caller's thread may already run one (e.g. Playwright's)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    head = {k.decode(): v.decode() for k, v in start["headers"]}  # type: ignore[attr-defined]
    return Reply(int(start["status"]), head, body)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def h264(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _encode(
        tmp_path_factory.mktemp("v") / "session one.mp4", "-c:v", "libx264", "-preset", "ultrafast"
    )


def test_probe_reads_codec_duration_and_rate(h264: Path) -> None:
    info = media.probe(h264)
    assert (info.codec, info.width, info.height) == ("h264", 160, 90)
    assert info.duration_s == pytest.approx(2.0, abs=0.1) and info.fps == pytest.approx(25.0)
    assert info.playable


def test_upload_is_stored_under_a_random_name(h264: Path, tmp_path: Path) -> None:
    token, info = media.store_upload(
        io.BytesIO(h264.read_bytes()), h264.name, max_bytes=10 << 20, folder=tmp_path
    )
    assert media.is_token(token) and "session" not in token and token.endswith(".mp4")
    assert media.video_path(token, tmp_path).read_bytes() == h264.read_bytes()
    assert info.codec == "h264"
    assert [p.name for p in tmp_path.iterdir()] == [token]  # no partial file left


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("notes.mp4", b"not a video at all", "record.video.not_video"),
        ("clip.avi", b"whatever", "record.video.extension"),
    ],
)
def test_upload_that_is_not_a_video_is_refused(name: str, content: bytes, key: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        media.store_upload(io.BytesIO(content), name, max_bytes=10 << 20, folder=tmp_path)
    assert err.value.key == key
    assert list(tmp_path.iterdir()) == []


def test_upload_over_the_limit_is_refused(h264: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        media.store_upload(io.BytesIO(h264.read_bytes()), "big.mp4", max_bytes=1000, folder=tmp_path)
    assert err.value.key == "record.video.too_large"
    assert list(tmp_path.iterdir()) == []


def test_unplayable_codec_says_which_codecs_work(tmp_path: Path) -> None:
    mpeg4 = _encode(tmp_path / "old.mp4", "-c:v", "mpeg4")
    with pytest.raises(InvalidInput) as err:
        media.store_upload(
            io.BytesIO(mpeg4.read_bytes()), "old.mp4", max_bytes=10 << 20, folder=tmp_path / "m"
        )
    assert err.value.key == "record.video.codec" and err.value.params["codec"] == "mpeg4"
    assert "H.264" in err.value.message("en") and "VP9" in err.value.message("id")


def _inside(video: Path, media_folder: Path) -> Path:
    """A copy of ``video`` inside the media folder: only such files can be linked."""
    (media_folder / "incoming").mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(video, media_folder / "incoming" / video.name))


def test_server_file_is_linked_not_copied(h264: Path, tmp_path: Path) -> None:
    source = _inside(h264, tmp_path)
    token, _ = media.link_server_file(source, folder=tmp_path)
    assert (tmp_path / token).is_symlink() and media.video_path(token, tmp_path).samefile(source)
    with pytest.raises(InvalidInput) as err:
        media.link_server_file(tmp_path / "nope.mp4", folder=tmp_path)
    assert err.value.key == "record.video.server_path"


@pytest.mark.parametrize("token", ["../etc/passwd", "a.mp4", "0" * 32 + ".exe", "0" * 32 + ".mp4/x", ""])
def test_tokens_cannot_name_other_files(token: str, tmp_path: Path) -> None:
    assert not media.is_token(token)
    with pytest.raises(NotFound):
        media.video_path(token, tmp_path)


def test_attach_sets_video_and_unknown_duration(h264: Path, tmp_path: Path) -> None:
    store = Store.open("sqlite://")
    store.add_client("K01")
    store.add_counselor("C01")
    s = store.add_session("K01", "C01", date=dt.date(2026, 1, 5))
    token, info = media.link_server_file(_inside(h264, tmp_path), folder=tmp_path)
    media.attach(store, s.code, token, info)
    attached = store.session(s.code)
    assert attached.video_ref == token and attached.duration_s == pytest.approx(2.0, abs=0.1)


def test_video_route_answers_ranges(h264: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVE_MEDIA", str(tmp_path))
    key = secret_key(monkeypatch)
    token, _ = media.link_server_file(_inside(h264, tmp_path), folder=tmp_path)
    app = Starlette(routes=ROUTES)
    url = media.video_url(token, key=key)
    whole = _get(app, url)
    assert whole.status_code == 200 and whole.content == h264.read_bytes()
    assert whole.headers["content-type"] == "video/mp4" and "private" in whole.headers["cache-control"]
    part = _get(app, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == h264.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{h264.stat().st_size}"
    (tmp_path / token).unlink()
    missing = _get(app, url)
    assert missing.status_code == 404 and "missing" in missing.text
    traversal = "..%2F..%2Fetc%2Fpasswd"
    assert _get(app, media.video_url(traversal, key=key)).status_code == 404


def test_video_route_refuses_unsigned_forged_and_expired_links(
    h264: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link works only as the page handed it out (after the store's permission check)."""
    monkeypatch.setenv("OBSERVE_MEDIA", str(tmp_path))
    key = secret_key(monkeypatch)
    token, _ = media.link_server_file(_inside(h264, tmp_path), folder=tmp_path)
    app = Starlette(routes=ROUTES)
    good = media.video_url(token, key=key)
    other, _ = media.link_server_file(_inside(h264, tmp_path), folder=tmp_path)
    forged = good.replace(token, other)  # a valid signature, but for another video
    expired = media.video_url(token, key=key, ttl_s=-1)
    foreign = media.video_url(token, key=b"another workspace's key".ljust(32))
    for url in (f"/api/video/{token}", forged, expired, foreign, good.replace("sig=", "sig=0")):
        assert _get(app, url).status_code == 403, url
    assert _get(app, good).status_code == 200


def test_videos_are_written_and_probed_without_a_system_ffmpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No system package: the ffmpeg of imageio-ffmpeg writes H.264 and reads what a file holds."""
    from observe.video.synthetic import make_synthetic_video

    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no ffmpeg, no ffprobe on the PATH
    video = make_synthetic_video(tmp_path / "s.mp4", duration_s=1, size=(160, 90))
    info = media.probe(video.path)
    assert (video.codec, info.codec, info.width, info.height) == ("h264", "h264", 160, 90)
    assert info.duration_s == pytest.approx(1.0, abs=0.1) and info.fps == pytest.approx(25.0)
    assert Path(media.ffmpeg_exe()).is_file()


def test_a_still_image_is_not_a_video(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    png = tmp_path / "photo.png"
    cv2.imwrite(str(png), np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(InvalidInput) as err:
        media.store_upload(
            io.BytesIO(png.read_bytes()), "photo.mp4", max_bytes=1 << 20, folder=tmp_path / "m"
        )
    assert err.value.key == "record.video.not_video"
