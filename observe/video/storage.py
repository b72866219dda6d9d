"""Where session videos live: one storage interface (fsspec) over a local folder or object storage.

``OBSERVE_MEDIA`` (or the ``folder`` argument of :mod:`observe.video.library`) is either a folder
(default ``data/media``) or a URL such as ``s3://bucket/prefix`` for S3-compatible object
storage, so several app processes (replicas behind a proxy) share the same videos. For S3 the
endpoint and keys come from the standard variables ``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (s3fs, through botocore).

Everything that touches a video goes through :class:`MediaStore`: upload and attach
(:mod:`observe.video.library`), the video route's range reads (:mod:`observe.ui.routes`) and
motion energy, which needs a local file for OpenCV: :meth:`MediaStore.local_file` gives the
file itself for a folder and a temporary copy for a remote object.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import fsspec

from observe.governance.files import private_dir

DEFAULT_MEDIA_DIR = Path("data") / "media"
_CHUNK = 1 << 20


def is_url(location: str | os.PathLike[str]) -> bool:
    """True for a storage URL (``s3://...``, ``memory://...``), False for a local path.

    >>> is_url("s3://bucket/media"), is_url("data/media"), is_url("file:///srv/media")
    (True, False, False)
    """
    text = os.fspath(location)
    return "://" in text and not text.startswith("file://")


def media_location(folder: str | os.PathLike[str] | None = None) -> str:
    """``folder``, else ``OBSERVE_MEDIA``, else ``data/media`` (as text: a path or a URL)."""
    return os.fspath(folder or os.environ.get("OBSERVE_MEDIA") or DEFAULT_MEDIA_DIR)


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of ``url`` and the path inside it.

    S3 URLs get the endpoint of ``AWS_ENDPOINT_URL`` explicitly (an S3-compatible server such
    as MinIO or Ceph); the keys are found by botocore in the usual variables.
    """
    protocol = url.split("://", 1)[0]
    options: dict[str, Any] = {}
    if protocol in ("s3", "s3a"):
        # another replica may add a video at any time: never answer from a stale listing
        options["use_listings_cache"] = False
        if os.environ.get("AWS_ENDPOINT_URL"):
            options["client_kwargs"] = {"endpoint_url": os.environ["AWS_ENDPOINT_URL"]}
    fs, path = fsspec.core.url_to_fs(url, **options)
    return fs, str(path).rstrip("/")


class MediaStore:
    """The media folder or bucket prefix: files by name, read, written, listed, copied locally."""

    def __init__(self, location: str | os.PathLike[str] | None = None) -> None:
        self.location = media_location(location)
        self.remote = is_url(self.location)
        if self.remote:
            self.fs, self.root = filesystem(self.location)
        else:
            self.fs = fsspec.filesystem("file")
            self.root = str(Path(self.location.removeprefix("file://")).expanduser().absolute())

    def __repr__(self) -> str:
        return f"MediaStore({self.location!r})"

    def path(self, name: str) -> str:
        """The full path of ``name`` inside the store (a local path or ``bucket/prefix/name``)."""
        return f"{self.root}/{name}"

    def url(self, name: str) -> str:
        """What a worker elsewhere opens: the local path, or the storage URL of ``name``."""
        return f"{self.location.rstrip('/')}/{name}" if self.remote else self.path(name)

    def local_path(self, name: str) -> Path | None:
        """The local file of ``name`` (None for object storage)."""
        return None if self.remote else Path(self.path(name))

    def exists(self, name: str) -> bool:
        """True if ``name`` is a file (a link is followed: a dangling link does not exist)."""
        if not self.remote:
            return Path(self.path(name)).is_file()
        return bool(self.fs.isfile(self.path(name)))

    def size(self, name: str) -> int:
        """Size in bytes."""
        return int(self.fs.size(self.path(name)))

    def modified_ns(self, name: str) -> int:
        """Modification time in nanoseconds (0 when the store does not say), for cache keys."""
        if not self.remote:
            return Path(self.path(name)).stat().st_mtime_ns
        try:
            stamp = self.fs.modified(self.path(name))
        except (NotImplementedError, OSError):
            return 0
        return int(stamp.timestamp() * 1e9)

    def names(self) -> list[str]:
        """File names directly in the store, sorted."""
        if not self.remote:
            root = Path(self.root)
            return sorted(p.name for p in root.iterdir()) if root.is_dir() else []
        try:
            listed = self.fs.ls(self.root, detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(str(p).rsplit("/", 1)[-1] for p in listed)

    def open(self, name: str, mode: str = "rb") -> IO[Any]:
        """A file object of ``name`` (``rb`` seeks and reads ranges, also on S3)."""
        if "w" in mode and not self.remote:
            private_dir(self.root)  # owner-only (observe.governance.files)
        return self.fs.open(self.path(name), mode)  # type: ignore[no-any-return]

    def read_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) of ``name``."""
        return bytes(self.fs.cat_file(self.path(name), start=start, end=end))

    def iter_range(self, name: str, start: int, end: int, chunk: int = _CHUNK) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive) in chunks, for streaming a response."""
        with self.open(name) as fh:
            fh.seek(start)
            left = end - start
            while left > 0:
                data = fh.read(min(chunk, left))
                if not data:
                    return
                left -= len(data)
                yield data

    def put_file(self, local: str | os.PathLike[str], name: str) -> None:
        """Copy a local file into the store as ``name`` (one object; a rename on a folder)."""
        if not self.remote:
            private_dir(self.root)  # owner-only (observe.governance.files)
            shutil.copyfile(local, self.path(name))
        else:
            self.fs.put_file(os.fspath(local), self.path(name))

    def move_in(self, local: str | os.PathLike[str], name: str) -> None:
        """Move a finished local file into the store as ``name``: complete or absent."""
        if not self.remote:
            private_dir(self.root)  # owner-only (observe.governance.files)
            os.replace(local, self.path(name))
        else:
            self.fs.put_file(os.fspath(local), self.path(name))
            Path(local).unlink(missing_ok=True)

    def link(self, source: Path, name: str) -> None:
        """Make ``name`` stand for a file already on this server: a symbolic link, or an upload."""
        if not self.remote:
            private_dir(self.root)  # owner-only (observe.governance.files)
            Path(self.path(name)).symlink_to(source)
        else:
            self.fs.put_file(str(source), self.path(name))

    def remove(self, name: str) -> None:
        """Delete ``name`` if present."""
        if self.exists(name) or (not self.remote and Path(self.path(name)).is_symlink()):
            self.fs.rm_file(self.path(name))

    def read_text(self, name: str) -> str:
        """The text of ``name`` (UTF-8)."""
        with self.open(name, "rb") as fh:
            return bytes(fh.read()).decode("utf-8")

    def write_text(self, name: str, text: str) -> None:
        """Write ``name`` whole: a temporary file renamed on a folder, one object on S3."""
        if not self.remote:
            target = Path(self.path(name))
            private_dir(target.parent)
            atomic_write(target, text)
        else:
            self.fs.pipe_file(self.path(name), text.encode("utf-8"))

    @contextmanager
    def local_file(self, name: str) -> Iterator[Path]:
        """A local file with the content of ``name``: the file itself, or a temporary copy (removed after)."""
        local = self.local_path(name)
        if local is not None:
            yield local
            return
        with tempfile.TemporaryDirectory(prefix="observe-media-") as tmp:
            target = Path(tmp) / name.rsplit("/", 1)[-1]
            self.fs.get_file(self.path(name), str(target))
            stamp = self.modified_ns(name)
            if stamp:  # the object's time, so a cache key of the copy is the same on every machine
                os.utime(target, ns=(stamp, stamp))
            yield target


@contextmanager
def local_copy(url: str) -> Iterator[Path]:
    """A local file with the content of a storage URL (a temporary copy, removed afterwards)."""
    parent, _, name = url.rstrip("/").rpartition("/")
    with MediaStore(parent).local_file(name) as path:
        yield path


def expand(pattern: str, suffixes: Sequence[str]) -> list[str]:
    """The URLs a storage URL names: every file with one of ``suffixes`` under a prefix, or a glob's matches."""
    fs, path = filesystem(pattern)
    protocol = pattern.split("://", 1)[0]
    if any(ch in path for ch in "*?["):
        found = fs.glob(path)
    elif fs.isdir(path):
        found = [p for p in fs.ls(path, detail=False) if str(p).lower().endswith(tuple(suffixes))]
    else:
        found = [path] if fs.isfile(path) else []
    return sorted(f"{protocol}://{p}" for p in found)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary name beside ``path``, then rename: complete or absent."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
