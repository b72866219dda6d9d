"""Session videos: checked, stored outside the database under a random name, found again by token.

A session's ``video_ref`` is a *token*: the file name of the video inside the media folder,
``<32 hex digits>.<ext>``. The name is random (never the user's file name), so it can be used
in a URL without revealing anything and cannot point outside the folder. A video already on
the server is linked into the folder (a symbolic link under a random name) instead of copied:
session recordings are large.

The folder is ``OBSERVE_MEDIA`` if set, else ``data/media`` (DESIGN.md: data/ holds media).
``OBSERVE_MEDIA`` may also be an object-storage URL (``s3://bucket/prefix``): every read and
write goes through :class:`observe.storage.MediaStore` (fsspec), so replicas share the videos.

Browsers play only some codecs: Debian's Chromium plays H.264 in MP4 and VP8/VP9/AV1 in WebM
(verified in the recorder spike); HEVC and MPEG-4 part 2 do not play, so they are refused
with a message that says how to convert.
"""

from __future__ import annotations

import hashlib
import hmac
import json
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
from observe.storage import MediaStore

DEFAULT_MEDIA_DIR = Path("data") / "media"
EXTENSIONS: tuple[str, ...] = (".mp4", ".webm", ".mov")
#: Codecs Chromium plays in a <video> element (ffprobe ``codec_name``).
PLAYABLE_CODECS: frozenset[str] = frozenset({"h264", "vp8", "vp9", "av1"})
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(mp4|webm|mov)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class VideoInfo:
    """What ffprobe says about a video file."""

    codec: str
    duration_s: float | None
    fps: float | None
    width: int
    height: int

    @property
    def playable(self) -> bool:
        """True if a browser can play it (see :data:`PLAYABLE_CODECS`)."""
        return self.codec in PLAYABLE_CODECS


#: Video links are signed with a key that lives only in this server process and expire:
#: a page hands out a link only after the store's permission check (``Store.video_token``),
#: so a copied link is useless to others after a while and after a restart.
_URL_KEY = secrets.token_bytes(32)
URL_TTL_S = 8 * 3600


def video_url(token: str, *, ttl_s: int = URL_TTL_S, now: float | None = None) -> str:
    """The signed, expiring URL of a video for the browser (``/api/video/<token>?exp=…&sig=…``)."""
    expires = int((time.time() if now is None else now) + ttl_s)
    return f"/api/video/{token}?exp={expires}&sig={_signature(token, expires)}"


def check_video_link(
    token: str, expires: str | None, signature: str | None, *, now: float | None = None
) -> None:
    """Refuse a video link that was not signed by this server or has expired."""
    try:
        deadline = int(expires or "")
    except ValueError:
        raise PermissionDenied("media.link_invalid") from None
    if not signature or not hmac.compare_digest(signature, _signature(token, deadline)):
        raise PermissionDenied("media.link_invalid")
    if deadline < (time.time() if now is None else now):
        raise PermissionDenied("media.link_expired")


def _signature(token: str, expires: int) -> str:
    return hmac.new(_URL_KEY, f"{token}|{expires}".encode(), hashlib.sha256).hexdigest()


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
    root.mkdir(parents=True, exist_ok=True)
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


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read the first video stream of ``path`` with ffprobe; :class:`InvalidInput` if it has none.

    >>> probe("/etc/hostname")  # doctest: +SKIP
    Traceback (most recent call last):
    observe.errors.InvalidInput: ...
    """
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise InvalidInput("record.video.no_ffprobe")
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, the path is an argument, no shell
            [ffprobe, "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput("record.video.not_video", name=Path(path).name) from exc
    try:
        info = json.loads(result.stdout or b"{}")
    except json.JSONDecodeError:
        info = {}
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    # A still image (one-frame "video", e.g. a PNG renamed .mp4) is not a session recording.
    if result.returncode != 0 or not streams or streams[0].get("disposition", {}).get("attached_pic"):
        raise InvalidInput("record.video.not_video", name=Path(path).name)
    stream = streams[0]
    return VideoInfo(
        codec=str(stream.get("codec_name", "unknown")),
        duration_s=_float(stream.get("duration")) or _float(info.get("format", {}).get("duration")),
        fps=_rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate")),
        width=int(stream.get("width") or 0),
        height=int(stream.get("height") or 0),
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

    The file is written to a temporary name first, checked with ffprobe (a video, a playable
    codec), then renamed: a refused upload leaves nothing behind.
    """
    ext = _extension(filename)
    store = media_store(folder)
    token = secrets.token_hex(16) + ext
    # the partial file is local (beside the target in a folder, so the rename is atomic);
    # ffprobe checks it before anything reaches the media store
    local_root = _ensure_dir(folder) if not store.remote else Path(tempfile.mkdtemp(prefix="observe-upload-"))
    partial = local_root / f".{token}.part"
    size = 0
    try:
        with partial.open("wb") as out:
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


def link_server_file(
    path: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None
) -> tuple[str, VideoInfo]:
    """Use a video already on the server: checked, then linked into the media folder under a random name."""
    source = Path(path).expanduser()
    if not source.is_absolute():
        source = source.resolve()
    if not source.is_file():
        raise NotFound("record.video.no_server_file", path=str(path))
    ext = _extension(source.name)
    info = check_playable(probe(source), source.name)
    token = secrets.token_hex(16) + ext
    media_store(folder).link(source, token)  # a symbolic link in a folder, an upload to object storage
    return token, info


class SessionUpdater(Protocol):
    """The part of :class:`observe.store.Store` that attaching a video uses."""

    def session(self, ref: str | int) -> Any: ...

    def update_session(self, code: str, **changes: Any) -> Any: ...


def attach(store: SessionUpdater, session: str, token: str, info: VideoInfo) -> str:
    """Make ``token`` the session's video; the session's length, if unknown, becomes the video's."""
    changes: dict[str, Any] = {"video_ref": token}
    current = store.session(session)
    if current.duration_s is None and info.duration_s:
        changes["duration_s"] = info.duration_s
    store.update_session(session, **changes)
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
    root = media_dir(folder)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _rate(value: object) -> float | None:
    """ffprobe writes frame rates as fractions, e.g. ``30000/1001``."""
    if not isinstance(value, str) or "/" not in value:
        return _float(value)
    num, _, den = value.partition("/")
    try:
        return float(num) / float(den) if float(den) and float(num) else None
    except ValueError:
        return None
