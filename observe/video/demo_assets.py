"""Videos and regions of interest for the demo workspace's Synchrony page (generated, never committed).

The main demo session gets the Record page's demo video (:mod:`observe.video.demo_video`:
the synthetic two-person video in which the client copies the counselor 0.4 s later)
and the regions of interest that fit it, so the Synchrony page shows a clear result at
once: best lag −0.4 s (the counselor leads) and real synchrony above the surrogates.
``partners`` more sessions of the same counselor get their own synthetic videos (other
seeds: movements unrelated to the main session's), so the recombination surrogates have
pseudo-dyads to compare with.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from observe.reports.synchrony import ROI_ATTRIBUTE
from observe.store import Store
from observe.video import demo_video
from observe.video.library import media_dir
from observe.video.motion import Roi
from observe.video.synthetic import make_synthetic_video

#: the demo session whose video the Synchrony page opens with, and its counselor's other sessions
DEMO_SESSION = "K01-S04"
PARTNER_SESSIONS: tuple[str, ...] = ("K01-S05", "K01-S06")
DEMO_SIZE = (640, 360)  # demo_video's size; the regions below are for this frame
#: as long as the main video: recombined pairs are cut to the shorter one, and with 60 s partners
#: (three windows) two unrelated partners reached the real dyad's synchrony by chance
PARTNER_SECONDS = demo_video.DEMO_DURATION_S


def demo_rois() -> dict[str, Roi]:
    """The regions of the synthetic demo video (head and body per person, background between).

    They are the generator's own regions (``SyntheticVideo.rois``), which depend only on
    the frame size.

    >>> sorted(demo_rois())
    ['background', 'client_body', 'client_head', 'counselor_body', 'counselor_head']
    """
    from observe.video.synthetic import _rois  # the generator knows where it draws the persons

    return _rois(*DEMO_SIZE)


def _partner_video(folder: Path, seed: int) -> Path:
    """A partner session's synthetic video under a fixed token (a second run finds it)."""
    token = (
        hashlib.sha256(f"observe demo partner video {seed} {PARTNER_SECONDS:g}".encode()).hexdigest()[:32]
        + ".mp4"
    )
    path = folder / token
    if not path.is_file():
        partial = folder / f".{token}.{os.getpid()}.part.mp4"  # own name per process; container from .mp4
        try:
            make_synthetic_video(partial, duration_s=PARTNER_SECONDS, size=DEMO_SIZE, seed=seed)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def _attach(store: Store, session: str, token: str) -> None:
    info = store.session(session)
    stored = {name: [r.x, r.y, r.w, r.h] for name, r in demo_rois().items()}
    store.update_session(info.code, video_ref=token, attributes={**info.attributes, ROI_ATTRIBUTE: stored})


def ensure_demo_video(
    store: Store, media_folder: str | os.PathLike[str] | None = None, *, partners: int = 2
) -> None:
    """Give the demo sessions their synthetic videos and regions of interest (idempotent).

    Parameters
    ----------
    store : Store
        A workspace holding the demo (``observe.governance.demo.create_demo``); without the demo
        sessions nothing happens.
    media_folder : path, optional
        The media folder (default ``OBSERVE_MEDIA``, else ``data/media``).
    partners : int
        How many of :data:`PARTNER_SESSIONS` get a video too (0–2); each takes about
        10 s to generate and about 550 kB, like the main video.

    Examples
    --------
    >>> import tempfile
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> ensure_demo_video(store, tempfile.mkdtemp(), partners=0)  # doctest: +SKIP
    >>> store.session(DEMO_SESSION).attributes["motion_rois"]["client_head"]  # doctest: +SKIP
    [427, 62, 105, 105]
    """
    codes = {s.code for s in store.sessions()}
    if DEMO_SESSION not in codes:
        return
    folder = media_dir(media_folder)
    main = demo_video.ensure_demo_video(folder)
    _attach(store, DEMO_SESSION, main.name)
    for seed, session in enumerate(PARTNER_SESSIONS[: max(0, partners)], start=2):
        if session in codes:
            _attach(store, session, _partner_video(folder, seed).name)
