"""The demo workspace's session video, generated on first run (never committed: it is a few MB).

It is the synthetic two-person video of :mod:`observe.video.synthetic` (the counselor moves,
the client follows), so the Record page, motion energy and synchrony all have something to
show. The file gets a fixed media token: the demo is not confidential, and a second run finds
the file instead of writing another.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from observe.video.library import media_dir

DEMO_DURATION_S = 120.0  # two minutes: enough to code "a minute of it", generated in ~15 s
DEMO_TOKEN = hashlib.sha256(b"observe demo video v1").hexdigest()[:32] + ".mp4"


def ensure_demo_video(folder: str | os.PathLike[str] | None = None) -> Path:
    """The demo video in the media folder, generated if missing; its file name is the media token.

    Use the returned ``path.name`` as the demo session's ``video_ref``.

    >>> import tempfile
    >>> ensure_demo_video(tempfile.mkdtemp()).name == DEMO_TOKEN  # doctest: +SKIP
    True
    """
    root = media_dir(folder)
    root.mkdir(parents=True, exist_ok=True)
    path = root / DEMO_TOKEN
    if path.is_file():
        return path
    from observe.video.synthetic import make_synthetic_video

    partial = root / f".{DEMO_TOKEN}.{os.getpid()}.part.mp4"  # own name per process; container from .mp4
    try:
        make_synthetic_video(partial, duration_s=DEMO_DURATION_S, size=(640, 360), seed=1, codec="h264")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
