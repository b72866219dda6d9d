"""Media on S3-compatible object storage (issue 16): upload, serve with range requests, motion energy.

The S3 stand-in is moto's server mode on 127.0.0.1 (tests/s3.py); the app reaches it through
``OBSERVE_MEDIA=s3://bucket/media`` and the standard ``AWS_*`` variables, as in production.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd
import pytest
from starlette.applications import Starlette

from observe.analysis.synchrony import SynchronyParams
from observe.cli import main
from observe.errors import InvalidInput, NotFound
from observe.reports import synchrony as sync
from observe.store import Store
from observe.store import signin_records as records
from observe.store.secret import signing_key
from observe.ui.routes import ROUTES
from observe.video import library as media
from observe.video.motion import motion_energy
from observe.video.synthetic import make_synthetic_video
from tests.s3 import S3_ENV, make_bucket, moto_server
from tests.test_media import _encode, _get, secret_key


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; the media store is ``s3://<bucket>/media`` for this test."""
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    name = make_bucket(endpoint)
    monkeypatch.setenv("OBSERVE_MEDIA", f"s3://{name}/media")
    monkeypatch.setenv("OBSERVE_MEDIA_CACHE", str(tmp_path / "local-copies"))
    return name


def objects(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name=S3_ENV["AWS_DEFAULT_REGION"])
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture(scope="module")
def h264(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _encode(
        tmp_path_factory.mktemp("v") / "session one.mp4", "-c:v", "libx264", "-preset", "ultrafast"
    )


def test_upload_goes_to_the_bucket_and_a_refused_one_leaves_nothing(
    h264: Path, bucket: str, endpoint: str
) -> None:
    with pytest.raises(InvalidInput):
        media.store_upload(io.BytesIO(b"not a video at all"), "notes.mp4", max_bytes=10 << 20)
    assert objects(endpoint, bucket) == []
    token, info = media.store_upload(io.BytesIO(h264.read_bytes()), h264.name, max_bytes=10 << 20)
    assert info.codec == "h264" and media.is_token(token)
    assert objects(endpoint, bucket) == [f"media/{token}"]  # no partial object, nothing else
    assert list(media.tokens()) == [token]
    local = media.video_path(token)  # a local copy for OpenCV/ffmpeg, fetched once
    assert local.read_bytes() == h264.read_bytes()
    assert media.video_path(token) == local
    assert media.remove_video(token) and objects(endpoint, bucket) == []
    with pytest.raises(NotFound):
        media.video_path(token)


def _session_store() -> tuple[Store, str]:
    store = Store.open("sqlite://")
    store.add_client("K01")
    store.add_counselor("C01")
    return store, store.add_session("K01", "C01", date=dt.date(2026, 1, 5)).code


def test_a_server_path_is_refused_with_media_in_the_bucket(
    h264: Path, bucket: str, endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No local media folder to confine a server path to: every one is refused, the same way,
    and nothing reaches the bucket (a server file is never copied into object storage)."""
    store, session = _session_store()
    monkeypatch.chdir(tmp_path)  # a local data/media folder exists, but it is not the media store
    local = tmp_path / "data" / "media"
    local.mkdir(parents=True)
    shutil.copy(h264, local / "inside.mp4")
    answers = set()
    for path in (h264, local / "inside.mp4", "inside.mp4", "/etc/hostname", "../x.mp4", ""):
        with pytest.raises(InvalidInput) as refused:
            media.attach_server_file(store, session, path)
        answers.add((refused.value.key, refused.value.message("en")))
    assert answers == {
        (
            "record.video.server_path_remote",
            InvalidInput("record.video.server_path_remote", folder=f"s3://{bucket}/media").message("en"),
        )
    }
    assert objects(endpoint, bucket) == []
    assert store.session(session).video_ref is None


def test_an_upload_refused_after_it_reached_the_bucket_is_removed_from_it(
    h264: Path, bucket: str, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, session = _session_store()
    attach_anyway = store.set_video

    def refuse(session: str, token: str | None) -> None:
        raise InvalidInput("access.bad_video_token")

    monkeypatch.setattr(store, "set_video", refuse)  # e.g. the session was archived meanwhile
    with pytest.raises(InvalidInput):
        media.attach_upload(store, session, io.BytesIO(h264.read_bytes()), "a.mp4", max_bytes=10 << 20)
    assert objects(endpoint, bucket) == []
    monkeypatch.setattr(store, "set_video", attach_anyway)
    token = media.attach_upload(store, session, io.BytesIO(h264.read_bytes()), "a.mp4", max_bytes=10 << 20)
    assert store.session(session).video_ref == token and objects(endpoint, bucket) == [f"media/{token}"]


def test_video_route_answers_ranges_from_the_bucket(
    h264: Path, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = secret_key(monkeypatch)
    token, _ = media.store_upload(io.BytesIO(h264.read_bytes()), "a.mp4", max_bytes=10 << 20)
    data, size = h264.read_bytes(), h264.stat().st_size
    app = Starlette(routes=ROUTES)
    url = media.video_url(token, key=key)
    whole = _get(app, url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and "private" in whole.headers["cache-control"]
    part = _get(app, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.headers["content-length"] == "100" and part.headers["content-type"] == "video/mp4"
    seek = _get(app, url, headers={"Range": f"bytes={size - 1000}-"})  # a seek near the end
    assert seek.status_code == 206 and seek.content == data[-1000:]
    tail = _get(app, url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    beyond = _get(app, url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert _get(app, media.video_url("0" * 32 + ".mp4", key=key)).status_code == 404
    assert _get(app, url.replace("sig=", "sig=0")).status_code == 403


def test_a_link_from_the_bucket_dies_with_its_sign_in(
    h264: Path, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route checks the link's sign-in before it reads anything from the bucket."""
    db = tmp_path / "observe.db"
    monkeypatch.setenv("OBSERVE_DB", str(db))
    store = Store.open(str(db))
    store.add_user("boss", role="administrator")
    token, _ = media.store_upload(io.BytesIO(h264.read_bytes()), "a.mp4", max_bytes=10 << 20)
    _secret, record = records.create_record(store, "boss")
    app = Starlette(routes=ROUTES)
    link = media.video_url(token, key=signing_key(store), sign_in=record.id)  # the database's key
    part = _get(app, link, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == h264.read_bytes()[:100]
    records.revoke(store, record.id)
    assert _get(app, link, headers={"Range": "bytes=0-99"}).status_code == 403
    store.close()


def test_motion_energy_of_a_session_video_in_the_bucket_is_cached_there(
    bucket: str, endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_synthetic_video(tmp_path / "src.mp4", duration_s=8, size=(160, 90), seed=3)
    token, _ = media.store_upload(io.BytesIO(video.path.read_bytes()), "s.mp4", max_bytes=10 << 20)
    db = f"sqlite:///{tmp_path / 's3.db'}"
    store = Store.open(db)
    store.add_client("K01")
    store.add_counselor("C01")
    code = store.add_session("K01", "C01", date=dt.date(2026, 1, 5), video_ref=token).code
    rois = [r for r in video.rois.values() if not r.is_background]
    sync.save_rois(store, code, rois)
    store.close()

    # the batch reads the object by URL on a worker and stores the series in the bucket's cache
    assert main(["motion", "--batch", f"s3://{bucket}/media", "--workers", "1", "--db", db, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["videos"]
    assert (row["session"], row["status"]) == (code, "computed")
    cached = [k for k in objects(endpoint, bucket) if k.startswith("media/cache/motion/")]
    assert sorted(cached) == [f"media/cache/motion/{row['settings_hash']}.{ext}" for ext in ("csv", "json")]

    # the Synchrony page (another process, a fresh local copy) finds it: same cache key
    shutil.rmtree(media.local_cache_dir(), ignore_errors=True)
    store = Store.open(db)
    try:
        params = SynchronyParams(lag_s=1, win_s=4, inc_s=2, n_surrogates=0)
        result = sync.session_synchrony(store, code, sync_params=params, partners=False)
        stored_rois = sync.session_rois(store.session(code))
    finally:
        store.close()
    assert result.cache_hit and result.motion is not None
    serial = motion_energy(video.path, stored_rois)
    pd.testing.assert_frame_equal(result.motion, serial, check_exact=False, rtol=1e-12)

    # a second batch finds the series in the bucket from the object's metadata alone
    assert main(["motion", "--batch", f"s3://{bucket}/media", "--workers", "1", "--db", db, "--json"]) == 0
    (again,) = json.loads(capsys.readouterr().out)["videos"]
    assert (again["status"], again["settings_hash"]) == ("cached", row["settings_hash"])
