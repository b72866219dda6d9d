"""Session videos: checked, stored outside the database under a random name, found again by token.

A session's ``video_ref`` is a *token*: the file name of the video inside the media folder,
``<32 hex digits>.<ext>``. The name is random (never the user's file name), so it can be used
in a URL without revealing anything and cannot point outside the folder. A video already on
the server is linked into the folder (a symbolic link under a random name) instead of copied:
session recordings are large.

The folder is ``OBSERVE_MEDIA`` if set, else ``data/media`` (DESIGN.md: data/ holds media).
``OBSERVE_MEDIA`` may also be an object-storage URL (``s3://bucket/prefix``): every read and
write goes through :class:`observe.video.storage.MediaStore` (fsspec), so replicas share the videos.

Browsers play only some codecs: Debian's Chromium plays H.264 in MP4 and VP8/VP9/AV1 in WebM
(verified in the recorder spike); HEVC and MPEG-4 part 2 do not play, so they are refused
with a message that says how to convert.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from observe.errors import InvalidInput, NotFound, PermissionDenied
from observe.governance.access import Principal, Target, allows, require
from observe.governance.files import private_dir
from observe.video.storage import MediaStore

DEFAULT_MEDIA_DIR = Path("data") / "media"
EXTENSIONS: tuple[str, ...] = (".mp4", ".webm", ".mov")
#: Codecs Chromium plays in a <video> element (ffmpeg's codec names).
PLAYABLE_CODECS: frozenset[str] = frozenset({"h264", "vp8", "vp9", "av1"})
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(mp4|webm|mov)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg says about a video file."""

    codec: str
    duration_s: float | None
    fps: float | None
    width: int
    height: int

    @property
    def playable(self) -> bool:
        """True if a browser can play it (see :data:`PLAYABLE_CODECS`)."""
        return self.codec in PLAYABLE_CODECS


#: Video links are signed with the workspace's key (observe.store.secret: kept in the database,
#: or ``OBSERVE_SECRET``), so every app server of one database accepts them, and they expire:
#: a page hands out a link only after the store's permission check (``Store.video_token``),
#: so a copied link is useless to others after a while, and at once after its sign-in ends.
URL_TTL_S = 8 * 3600


def video_url(
    token: str, *, key: bytes, ttl_s: int = URL_TTL_S, now: float | None = None, sign_in: int | None = None
) -> str:
    """The signed, expiring URL of a video for the browser (``/api/video/<token>?exp=…&sig=…``).

    ``key`` is the workspace's signing key (:func:`observe.store.secret.signing_key`).
    ``sign_in`` ties the link to a sign-in record (team mode): the link dies with it at sign-out.
    """
    expires = int((time.time() if now is None else now) + ttl_s)
    tied = "" if sign_in is None else f"&sid={int(sign_in)}"
    return f"/api/video/{token}?exp={expires}{tied}&sig={_signature(key, token, expires, sign_in)}"


def check_video_link(
    token: str,
    expires: str | None,
    signature: str | None,
    *,
    key: bytes,
    sign_in: str | None = None,
    now: float | None = None,
) -> int | None:
    """Refuse a video link that was not signed with the workspace's ``key`` or has expired;
    returns the id of the sign-in record the link is tied to (the caller checks that it is
    still live), if any."""
    try:
        deadline = int(expires or "")
        record = None if sign_in is None else int(sign_in)
    except ValueError:
        raise PermissionDenied("media.link_invalid") from None
    if not signature or not hmac.compare_digest(signature, _signature(key, token, deadline, record)):
        raise PermissionDenied("media.link_invalid")
    if deadline < (time.time() if now is None else now):
        raise PermissionDenied("media.link_expired")
    return record


def sign(key: bytes, text: str) -> str:
    """The HMAC-SHA256 of ``text`` under the workspace's signing key (the video links' key), for
    other short-lived links the pages hand to the browser (the coder's outbox token)."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _signature(key: bytes, token: str, expires: int, sign_in: int | None = None) -> str:
    tied = "" if sign_in is None else f"|{sign_in}"
    return hmac.new(key, f"{token}|{expires}{tied}".encode(), hashlib.sha256).hexdigest()


def media_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """The media folder: ``folder``, else ``OBSERVE_MEDIA``, else ``data/media``."""
    return Path(folder or os.environ.get("OBSERVE_MEDIA") or DEFAULT_MEDIA_DIR).expanduser()


def is_token(value: str | None) -> bool:
    """True if ``value`` is a media token (and so safe as a file name inside the media folder).

    >>> is_token("0123456789abcdef0123456789abcdef.mp4"), is_token("../secret.mp4")
    (True, False)
    """
    return bool(value) and _TOKEN.match(value or "") is not None


def media_store(folder: str | os.PathLike[str] | None = None) -> MediaStore:
    """The media folder or object-storage prefix (``folder``, else ``OBSERVE_MEDIA``, else ``data/media``)."""
    return MediaStore(folder)


def video_path(token: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """The local file behind ``token``; raises :class:`NotFound` for a bad token or a missing file.

    With media on object storage (``OBSERVE_MEDIA=s3://...``) this is a local copy, fetched once
    into :func:`local_cache_dir` (a token names one video forever: random, never rewritten) with
    the object's modification time, so motion-energy cache keys agree between replicas.
    """
    if not is_token(token):
        raise NotFound("record.video.missing", ref=str(token)[:80])
    store = media_store(folder)
    if not store.exists(token):  # follows a link: a moved server file counts as missing
        raise NotFound("record.video.missing", ref=token)
    local = store.local_path(token)
    return local if local is not None else _cached_copy(store, token)


def local_cache_dir() -> Path:
    """Where copies of remote videos are kept: ``OBSERVE_MEDIA_CACHE``, else a folder in the temp dir."""
    return Path(os.environ.get("OBSERVE_MEDIA_CACHE") or Path(tempfile.gettempdir()) / "observe-media-cache")


def _cached_copy(store: MediaStore, token: str) -> Path:
    root = local_cache_dir()
    target = root / token
    size = store.size(token)
    if target.is_file() and target.stat().st_size == size:
        return target
    private_dir(root)  # copies of confidential videos: owner-only
    fd, partial = tempfile.mkstemp(dir=root, prefix=f".{token}.", suffix=".part")
    os.close(fd)
    try:
        store.fs.get_file(store.path(token), partial)
        stamp = store.modified_ns(token)
        if stamp:
            os.utime(partial, ns=(stamp, stamp))
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


def ffmpeg_exe() -> str:
    """The ffmpeg program every video conversion and probe uses: the one ``imageio-ffmpeg`` ships.

    It comes with the Python packages (a static build inside a PyPI wheel, with libx264), so no
    system package is needed; ``IMAGEIO_FFMPEG_EXE`` names another one.

    >>> Path(ffmpeg_exe()).is_file()
    True
    """
    import imageio_ffmpeg  # imported here: only the commands and pages that handle video need it

    return str(imageio_ffmpeg.get_ffmpeg_exe())


_INPUT = re.compile(r"^Input #0, ([^,]+(?:,[^,]+)*?), from ", re.MULTILINE)
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"^\s*Stream #0:\d+\S*: Video: (\w+)(.*)$", re.MULTILINE)
_SIZE = re.compile(r"[ ,](\d{1,5})x(\d{1,5})[ ,\[]")
_FPS = re.compile(r"([\d.]+)(k?) (fps|tbr)\b")


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read the first video stream of ``path`` (ffmpeg's own description of its input);
    :class:`InvalidInput` if it has none.

    >>> probe("/etc/hostname")
    Traceback (most recent call last):
    observe.errors.InvalidInput: ...
    """
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, the path is an argument, no shell
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput("record.video.not_video", name=Path(path).name) from exc
    info = parse_ffmpeg_info(result.stderr.decode("utf-8", errors="replace"))
    if info is None:
        raise InvalidInput("record.video.not_video", name=Path(path).name)
    return info


def parse_ffmpeg_info(text: str) -> VideoInfo | None:
    """The first video stream in what ``ffmpeg -i FILE`` prints; None if there is none.

    A still image (a PNG renamed .mp4, a cover picture) is not a session recording.

    >>> text = "\\n".join([
    ...     "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':",
    ...     "  Duration: 00:01:02.50, start: 0.000000, bitrate: 280 kb/s",
    ...     "  Stream #0:0[0x1](und): Video: h264 (High), yuv420p, 640x360 [SAR 1:1], 29.97 fps, 30 tbr",
    ... ])
    >>> parse_ffmpeg_info(text)
    VideoInfo(codec='h264', duration_s=62.5, fps=29.97, width=640, height=360)
    """
    source = _INPUT.search(text)
    stream = _VIDEO.search(text)
    if source is None or stream is None:
        return None
    demuxer = source.group(1)
    details = stream.group(2)
    if demuxer.endswith("_pipe") or demuxer.startswith("image2") or "(attached pic)" in details:
        return None
    duration = _DURATION.search(text)
    size = _SIZE.search(details)
    rates = {kind: float(num) * (1000 if k else 1) for num, k, kind in _FPS.findall(details)}
    return VideoInfo(
        codec=stream.group(1),
        duration_s=_float(int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]))
        if duration
        else None,
        fps=_float(rates.get("fps") or rates.get("tbr")),
        width=int(size[1]) if size else 0,
        height=int(size[2]) if size else 0,
    )


def check_playable(info: VideoInfo, name: str) -> VideoInfo:
    """Refuse a codec the browser cannot play, saying which ones work."""
    if not info.playable:
        raise InvalidInput("record.video.codec", name=name, codec=info.codec)
    return info


def store_upload(
    stream: BinaryIO,
    filename: str,
    *,
    max_bytes: int,
    folder: str | os.PathLike[str] | None = None,
) -> tuple[str, VideoInfo]:
    """Copy an uploaded video into the media folder under a random name; returns (token, info).

    The file is written to a temporary name first, checked with ffmpeg (a video, a playable
    codec), then renamed: a refused upload leaves nothing behind.
    """
    ext = _extension(filename)
    store = media_store(folder)
    token = secrets.token_hex(16) + ext
    # the partial file is local (beside the target in a folder, so the rename is atomic);
    # ffmpeg checks it before anything reaches the media store
    local_root = _ensure_dir(folder) if not store.remote else Path(tempfile.mkdtemp(prefix="observe-upload-"))
    partial = local_root / f".{token}.part"
    size = 0
    try:
        with os.fdopen(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as out:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        "record.video.too_large", name=filename, limit_mb=max(1, max_bytes // (1 << 20))
                    )
                out.write(chunk)
        info = check_playable(probe(partial), filename)
        store.move_in(partial, token)
    finally:
        partial.unlink(missing_ok=True)
        if store.remote:
            shutil.rmtree(local_root, ignore_errors=True)
    return token, info


def server_file(path: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None) -> Path:
    """The video file ``path`` names, accepted only inside the media folder.

    A relative path is read inside the media folder. Refused, all with the **same** answer (so
    the answer says nothing about what exists elsewhere on the server): a ``..`` part, a path
    that resolves outside the folder (symbolic links followed, so a link cannot escape),
    anything that is not a regular file, a missing file. With media on object storage
    (``OBSERVE_MEDIA=s3://...``) there is no local media folder to confine a path to, so every
    server path is refused (one answer for all of them): such videos are uploaded instead.
    """
    store = media_store(folder)
    if store.remote:  # no local media folder to confine paths to: every server path is refused
        raise InvalidInput("record.video.server_path_remote", folder=store.location)
    root = media_dir(folder).resolve()
    refused = InvalidInput("record.video.server_path", folder=str(root))
    raw = Path(path).expanduser()
    if ".." in raw.parts or not str(path).strip():
        raise refused
    try:
        resolved = (raw if raw.is_absolute() else root / raw).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        raise refused from None
    if root not in resolved.parents or not resolved.is_file():
        raise refused
    return resolved


def link_server_file(
    path: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None
) -> tuple[str, VideoInfo]:
    """Use a video already in the media folder (see :func:`server_file`): checked, then linked
    under a random name (session recordings are large: no copy)."""
    source = server_file(path, folder=folder)
    ext = _extension(source.name)
    info = check_playable(probe(source), source.name)
    token = secrets.token_hex(16) + ext
    media_store(folder).link(source, token)  # a symbolic link in a folder, an upload to object storage
    return token, info


class SessionUpdater(Protocol):
    """The part of :class:`observe.store.Store` that attaching a video uses."""

    @property
    def principal(self) -> Principal: ...

    def session_target(self, ref: str | int) -> Target: ...

    def session(self, ref: str | int) -> Any: ...

    def set_video(self, session: str, token: str | None) -> None: ...

    def update_session(self, code: str, **changes: Any) -> Any: ...


def check_may_attach(store: SessionUpdater, session: str) -> None:
    """Refuse, before any file is touched, a user who may not attach a video to ``session``."""
    require(store.principal, "video.upload", store.session_target(session))


def attach(store: SessionUpdater, session: str, token: str, info: VideoInfo) -> str:
    """Make ``token`` the session's video (``video.upload``); the session's length, if unknown,
    becomes the video's when the user may also change the session."""
    store.set_video(session, token)
    current = store.session(session)
    if (
        current.duration_s is None
        and info.duration_s
        and allows(store.principal, "session.update", store.session_target(session))
    ):
        store.update_session(session, duration_s=info.duration_s)
    return token


def remove_video(token: str, folder: str | os.PathLike[str] | None = None) -> bool:
    """Delete the video behind ``token`` (a linked server file: only the link); True if one was there."""
    if not is_token(token):
        return False
    store = media_store(folder)
    local = store.local_path(token)
    if local is not None:
        if not (local.is_symlink() or local.exists()):
            return False
        local.unlink()
        return True
    if not store.exists(token):
        return False
    store.remove(token)
    (local_cache_dir() / token).unlink(missing_ok=True)  # this server's copy goes too
    return True


def attach_upload(
    store: SessionUpdater,
    session: str,
    stream: BinaryIO,
    filename: str,
    *,
    max_bytes: int,
    folder: str | os.PathLike[str] | None = None,
) -> str:
    """Check the permission, store the upload, attach it; a refused attempt leaves no file."""
    check_may_attach(store, session)
    token, info = store_upload(stream, filename, max_bytes=max_bytes, folder=folder)
    return _attach_or_remove(store, session, token, info, folder)


def attach_server_file(
    store: SessionUpdater,
    session: str,
    path: str | os.PathLike[str],
    *,
    folder: str | os.PathLike[str] | None = None,
) -> str:
    """Check the permission first, then the path (:func:`server_file`), then link and attach;
    a refused attempt leaves no link."""
    check_may_attach(store, session)
    token, info = link_server_file(path, folder=folder)
    return _attach_or_remove(store, session, token, info, folder)


def _attach_or_remove(
    store: SessionUpdater, session: str, token: str, info: VideoInfo, folder: str | os.PathLike[str] | None
) -> str:
    try:
        return attach(store, session, token, info)
    except BaseException:
        remove_video(token, folder)  # the file, the link or the object it stored
        raise


def tokens(folder: str | os.PathLike[str] | None = None) -> Iterable[str]:
    """The tokens of every video in the media folder."""
    return [name for name in media_store(folder).names() if is_token(name)]


def mime_type(token: str) -> str:
    """The Content-Type for a token's file (``.mov`` is served as MP4: same container family)."""
    return "video/webm" if token.endswith(".webm") else "video/mp4"


def _extension(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in EXTENSIONS:
        raise InvalidInput("record.video.extension", name=filename, allowed=", ".join(EXTENSIONS))
    return ext


def _ensure_dir(folder: str | os.PathLike[str] | None) -> Path:
    return private_dir(media_dir(folder))  # owner-only: session videos are confidential


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
