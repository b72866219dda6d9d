"""Attaching a video checks first: the permission before any file is touched, server paths only
inside the media folder (no ``..``, no escape through a symbolic link), and a refused attempt
leaves nothing behind and answers the same whether or not the path exists."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from observe.errors import InvalidInput, ObserveError, PermissionDenied
from observe.store import Store
from observe.video import library as media


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outside") / "recording.mp4"
    subprocess.run(  # noqa: S603
        [media.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture
def world(tmp_path: Path, video: Path) -> tuple[Store, Path]:
    """A session of counselor C01 (user ``rina``), a media folder holding one video, and users
    who may not attach to it: ``res`` (researcher) and ``ani`` (an observer not assigned)."""
    store = Store.open(f"sqlite:///{tmp_path / 'observe.db'}")
    store.add_counselor("C01")
    store.add_client("K01", counselor="C01")
    store.add_session("K01", "C01", date=dt.date(2026, 9, 1))
    store.add_user("rina", role="counselor")
    store.link_counselor("rina", "C01")
    store.add_user("res", role="researcher")
    store.add_user("ani", role="observer")
    folder = tmp_path / "media"
    (folder / "incoming").mkdir(parents=True)
    shutil.copy(video, folder / "incoming" / "session.mp4")
    return store, folder


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _answer(call: object) -> tuple[str, str, str]:
    try:
        call()  # type: ignore[operator]
    except ObserveError as exc:
        return type(exc).__name__, exc.key, exc.message("en")
    return "ok", "", ""


def test_a_server_path_must_be_inside_the_media_folder(world: tuple[Store, Path], video: Path) -> None:
    store, folder = world
    rina = store.as_user("rina")
    escape = folder / "incoming" / "escape.mp4"
    escape.symlink_to(video)  # a link inside the folder to a file outside it
    before = _listing(folder)
    attempts = {
        "outside, exists": video,
        "outside, missing": video.with_name("missing.mp4"),
        "system file": Path("/etc/hostname"),
        "dot-dot": f"incoming/../../{video.parent.name}/{video.name}",
        "dot-dot inside": "incoming/../incoming/session.mp4",
        "symlink escape": escape,
        "the folder itself": folder,
        "empty": "",
    }
    answers = {name: _answer(lambda p=path: media.attach_server_file(rina, "K01-S01", p, folder=folder))
               for name, path in attempts.items()}  # fmt: skip
    assert {answer[1] for answer in answers.values()} == {"record.video.server_path"}, answers
    assert len(set(answers.values())) == 1  # one answer: nothing about what exists elsewhere
    assert _listing(folder) == before  # no link left behind
    assert store.session("K01-S01").video_ref is None


def test_a_video_inside_the_media_folder_is_linked_by_relative_or_absolute_path(
    world: tuple[Store, Path],
) -> None:
    store, folder = world
    rina = store.as_user("rina")
    token = media.attach_server_file(rina, "K01-S01", "incoming/session.mp4", folder=folder)
    assert store.session("K01-S01").video_ref == token
    assert (folder / token).resolve() == (folder / "incoming" / "session.mp4").resolve()
    again = media.attach_server_file(rina, "K01-S01", folder / "incoming" / "session.mp4", folder=folder)
    assert store.session("K01-S01").video_ref == again != token


@pytest.mark.parametrize("who", ["res", "ani"])
def test_permission_is_checked_before_any_file_is_touched(
    world: tuple[Store, Path], video: Path, who: str
) -> None:
    store, folder = world
    user = store.as_user(who)
    before = _listing(folder)
    answers = [
        _answer(lambda p=path: media.attach_server_file(user, "K01-S01", p, folder=folder))
        for path in ("incoming/session.mp4", video, video.with_name("missing.mp4"), "../../etc/passwd")
    ]
    assert {a[0] for a in answers} == {PermissionDenied.__name__}
    assert len(set(answers)) == 1  # the same answer whatever the path
    stream = io.BytesIO(video.read_bytes())
    with pytest.raises(PermissionDenied):
        media.attach_upload(user, "K01-S01", stream, "clip.mp4", max_bytes=10 << 20, folder=folder)
    assert stream.tell() == 0  # the upload was not even read
    assert _listing(folder) == before
    assert store.session("K01-S01").video_ref is None


def test_an_upload_refused_after_it_was_stored_leaves_no_file(
    world: tuple[Store, Path], video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = world
    rina = store.as_user("rina")
    before = _listing(folder)

    def refuse(session: str, token: str | None) -> None:
        raise InvalidInput("access.bad_video_token")

    monkeypatch.setattr(rina, "set_video", refuse)  # e.g. the session was archived meanwhile
    with pytest.raises(InvalidInput):
        media.attach_upload(rina, "K01-S01", io.BytesIO(video.read_bytes()), "clip.mp4",
                            max_bytes=10 << 20, folder=folder)  # fmt: skip
    with pytest.raises(InvalidInput):
        media.attach_server_file(rina, "K01-S01", "incoming/session.mp4", folder=folder)
    assert _listing(folder) == before
