"""Synchrony of a stored session: regions kept with the session, motion energy cached on disk.

What the Synchrony page (and notebooks) call; no Streamlit here. The science is in
:mod:`observe.video.motion` (motion energy, DOMAIN §7) and
:mod:`observe.analysis.synchrony` (preprocessing, WLCC, surrogates); this module ties
them to the workspace:

* **Regions of interest** are stored in the session's ``attributes`` JSON under
  :data:`ROI_ATTRIBUTE` as ``{"client_head": [x, y, w, h], ...}``, validated against
  the video frame (inside the frame, no overlap between persons) before they are saved.
* **Motion energy** is cached under ``<media folder>/cache/motion/<settings_hash>.csv`` (through
  :class:`observe.video.storage.MediaStore`, so also on object storage)
  with its attributes beside it (``.json``). The key covers the video file (name, size,
  modification time), the regions and the settings, so a video is processed once per
  setting and a changed region or threshold computes afresh.
* :func:`session_synchrony` runs the whole analysis of one session: motion energy,
  synchrony, segment-shuffle surrogates, recombination with the same counselor's other
  sessions (those with a video and stored regions), and the coded openness index on the
  synchrony windows, so both can be read on one time axis.

Synchrony is exploratory (DOMAIN §7 caveat: meta-analytic r ≈ .03 with alliance and
outcome, Jennissen et al. 2025): results are descriptions, never a quality score.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from observe.analysis.openness import OpennessParams, openness_windows
from observe.analysis.synchrony import (
    SurrogateTest,
    SynchronyParams,
    SynchronyResult,
    json_floats,
    json_records,
    recombination_surrogates,
    shuffle_surrogates,
    surrogate_test,
    synchrony,
)
from observe.errors import InvalidInput, ObserveError
from observe.interop.mea import person_series, read_series
from observe.model import Session
from observe.store import Store
from observe.video import library as media
from observe.video.motion import MotionParams, Roi, motion_energy, settings_hash, validate_rois, video_info
from observe.video.storage import MediaStore

log = logging.getLogger(__name__)

#: Key in the session attributes JSON that holds the regions of interest.
ROI_ATTRIBUTE = "motion_rois"
#: The regions the page offers, in display order (background is optional: it sets θ).
ROI_NAMES: tuple[str, ...] = ("client_head", "client_body", "counselor_head", "counselor_body", "background")
PERSONS: tuple[str, str] = ("client", "counselor")

#: ``on_progress(share 0..1 of the whole job, session code, frames done, frames of its video)``
#: while videos are processed (the page shows the bar and the count).
Progress = Callable[[float, str, int, int], None]

#: Window reasons of :func:`observe.analysis.synchrony.wlcc` → translation keys.
WINDOW_REASON_KEYS = {
    "too_many_na": "syncpage.window_reason.too_many_na",
    "no_variance": "syncpage.window_reason.no_variance",
}


# --------------------------------------------------------------------------- regions with the session


def session_rois(session: Session) -> list[Roi]:
    """The regions stored with ``session`` (empty if none are stored).

    Examples
    --------
    >>> import datetime as dt
    >>> s = Session(1, "K01-S01", "K01", "C01", 1, dt.date(2026, 1, 1), None, None, False, "",
    ...             {"motion_rois": {"client_head": [1, 2, 3, 4]}}, False)
    >>> session_rois(s)
    [Roi(name='client_head', x=1, y=2, w=3, h=4)]
    """
    stored = session.attributes.get(ROI_ATTRIBUTE) or {}
    if not isinstance(stored, Mapping):
        raise InvalidInput("syncpage.bad_stored_rois", session=session.code)
    rois = []
    for name, box in stored.items():
        if not (isinstance(box, Sequence) and len(box) == 4 and all(isinstance(v, int) for v in box)):
            raise InvalidInput("syncpage.bad_stored_rois", session=session.code)
        rois.append(Roi(str(name), *box))
    return sorted(rois, key=lambda r: _roi_order(r.name))


def _roi_order(name: str) -> tuple[int, str]:
    return (ROI_NAMES.index(name) if name in ROI_NAMES else len(ROI_NAMES), name)


def check_rois(rois: Sequence[Roi], width: int, height: int) -> None:
    """Refuse regions a synchrony analysis cannot use.

    Both persons need at least one region (``client_*`` and ``counselor_*``); the
    regions must lie inside the ``width`` × ``height`` frame, and regions of different
    persons (or a person and the background) must not overlap (light leaking from one
    person into the other's region creates false synchrony, DOMAIN §7).

    Examples
    --------
    >>> check_rois([Roi("client_head", 0, 0, 10, 10)], 100, 100)
    Traceback (most recent call last):
    observe.errors.InvalidInput: Draw at least one region for the client and one for the counselor (names starting with client_ and counselor_).
    """
    validate_rois(rois, width, height)
    present = {r.person for r in rois}
    if not set(PERSONS) <= present:
        raise InvalidInput("syncpage.need_both_persons")


def session_video(session: Session, folder: str | os.PathLike[str] | None = None) -> Path:
    """The session's video file; a clear error if it has none or the file is gone."""
    if not session.video_ref:
        raise InvalidInput("syncpage.no_video", session=session.code)
    return media.video_path(session.video_ref, folder)


def save_rois(
    store: Store, session: str, rois: Sequence[Roi], *, folder: str | os.PathLike[str] | None = None
) -> Session:
    """Validate ``rois`` against the session's video frame and store them with the session.

    Other session attributes are kept; the previous regions are replaced.
    """
    info = store.session(session)
    frame = video_info(session_video(info, folder))
    check_rois(rois, frame.width, frame.height)
    stored = {r.name: [r.x, r.y, r.w, r.h] for r in sorted(rois, key=lambda r: _roi_order(r.name))}
    return store.update_session(info.code, attributes={**info.attributes, ROI_ATTRIBUTE: stored})


def default_rois(width: int, height: int) -> list[Roi]:
    """A starting layout to adjust: counselor on the left half, client on the right, background between.

    Examples
    --------
    >>> [r.name for r in default_rois(640, 360)]
    ['client_head', 'client_body', 'counselor_head', 'counselor_body', 'background']
    >>> check_rois(default_rois(640, 360), 640, 360)
    """

    def box(name: str, x: float, y: float, w: float, h: float) -> Roi:
        return Roi(name, int(x * width), int(y * height), max(1, int(w * width)), max(1, int(h * height)))

    return [
        box("client_head", 0.64, 0.10, 0.22, 0.30),
        box("client_body", 0.62, 0.42, 0.26, 0.50),
        box("counselor_head", 0.14, 0.10, 0.22, 0.30),
        box("counselor_body", 0.12, 0.42, 0.26, 0.50),
        box("background", 0.44, 0.04, 0.12, 0.20),
    ]


def video_frame(path: str | Path, at_s: float = 1.0) -> np.ndarray:
    """One RGB frame (height × width × 3, uint8) near ``at_s`` seconds, to draw regions on.

    A frame a second in avoids the black first frame of many recordings; a video
    shorter than that gives its first frame.
    """
    info = video_info(path)  # refuses what OpenCV cannot read
    cap = cv2.VideoCapture(str(path))
    try:
        if at_s * info.fps < max(info.n_frames - 1, 0):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(at_s * info.fps))
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise InvalidInput("motion.unreadable_video", path=Path(path).name)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- motion energy cache


def cache_folder(folder: str | os.PathLike[str] | None = None) -> Path | str:
    """Where motion-energy series are cached: ``<media folder>/cache/motion`` (a URL on object storage)."""
    store = media.media_store(folder)
    if store.remote:
        return f"{store.location.rstrip('/')}/cache/motion"
    return media.media_dir(folder) / "cache" / "motion"


def cached_motion_energy(
    video: str | Path,
    rois: Sequence[Roi],
    params: MotionParams | None = None,
    *,
    cache: str | os.PathLike[str],
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Motion energy of ``video``, read from ``cache`` when this setting was computed before.

    Returns
    -------
    (DataFrame, bool)
        The series as :func:`observe.video.motion.motion_energy` returns it (with its
        ``attrs``) and whether it came from the cache.
    """
    params = params or MotionParams()
    series = read_cached_motion(settings_hash(video, rois, params), cache=cache)
    if series is not None:
        return series, True
    series = motion_energy(video, rois, params, on_progress=on_progress)
    series.attrs["video"] = Path(video).name  # lets an erasure find what was derived from a video
    store_motion(series, cache=cache)
    return series, False


def read_cached_motion(key: str, *, cache: str | os.PathLike[str]) -> pd.DataFrame | None:
    """The cached series under ``key`` (a :func:`settings_hash`), or None if absent or damaged."""
    store = MediaStore(cache)
    csv_name, meta_name = f"{key}.csv", f"{key}.json"
    if not (store.exists(csv_name) and store.exists(meta_name)):
        return None
    try:
        with store.open(csv_name) as fh:
            series = pd.read_csv(fh)
        series.attrs.update(json.loads(store.read_text(meta_name)))
        return series
    except (OSError, ValueError) as exc:  # a damaged cache file is recomputed, not shown
        log.warning("motion cache %s unreadable (%s); computing again", csv_name, exc)
        return None


def store_motion(series: pd.DataFrame, *, cache: str | os.PathLike[str]) -> str:
    """Write a computed series (with its ``attrs``, keyed by ``attrs["settings_hash"]``) into the cache.

    What a batch run (``python -m observe motion --batch``) calls for each finished video,
    so the session's Synchrony page reads it instead of computing. Returns the CSV's location.
    """
    store = MediaStore(cache)
    key = str(series.attrs["settings_hash"])
    # each file is written whole (renamed into place, or one object): complete or absent
    store.write_text(f"{key}.csv", series.to_csv(index=False))
    store.write_text(f"{key}.json", json.dumps(series.attrs, sort_keys=True))
    return store.path(f"{key}.csv")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class SessionSynchrony:
    """Everything the Synchrony page shows for one session (or one imported series).

    Attributes
    ----------
    session : str or None
        Session code (None for an imported series not linked to a session).
    source : str
        ``video`` (computed here) or ``import`` (a series computed elsewhere).
    series : DataFrame
        ``time_s``, ``client``, ``counselor``: raw motion energy per person (% of
        region pixels changed, regions of a person summed).
    motion : DataFrame or None
        Per-region motion energy with its ``attrs`` (threshold, settings_hash, ...).
    params : SynchronyParams
        The settings used (``fps`` is the series' own).
    result : SynchronyResult
        Window × lag table, per-window summary and grand average.
    shuffle, recombination_test : SurrogateTest or None
        Real grand average against segment-shuffle / recombined-partner surrogates;
        None with the reason in ``problems``.
    recombination : DataFrame
        ``client_session, counselor_session, grand_aver`` of every pseudo-dyad.
    openness : DataFrame
        The client's openness index (coded) on the synchrony windows: ``observer,
        start_s, end_s, oi, reason`` (empty with a reason in ``problems`` when the
        session is not coded).
    problems : dict
        Part (``shuffle``, ``recombination``, ``openness``) → the error saying why it
        is missing.
    skipped : tuple
        ``(session code, error)`` of partner sessions left out of the recombination.
    cache_hit : bool
        True if the motion energy came from the cache.
    """

    session: str | None
    source: str
    series: pd.DataFrame
    motion: pd.DataFrame | None
    params: SynchronyParams
    result: SynchronyResult
    shuffle: SurrogateTest | None
    recombination: pd.DataFrame
    recombination_test: SurrogateTest | None
    openness: pd.DataFrame
    problems: dict[str, ObserveError] = field(default_factory=dict)
    skipped: tuple[tuple[str, ObserveError], ...] = ()
    cache_hit: bool = False

    @property
    def duration_s(self) -> float:
        """Length of the analysed series in seconds."""
        return len(self.series) / self.params.fps

    @property
    def best_lag_s(self) -> float:
        """Median best lag over windows (negative: the counselor leads)."""
        return float(self.result.summary()["best_lag_median_s"])

    def windows(self) -> pd.DataFrame:
        """Per-window synchrony with the coded openness of the same window (if any) beside it."""
        out = self.result.windows.copy()
        if not self.openness.empty:
            first = self.openness["observer"].iloc[0]
            oi = self.openness.loc[self.openness["observer"] == first, ["start_s", "oi"]]
            out = out.merge(oi.rename(columns={"oi": "openness"}), on="start_s", how="left")
        return out

    def report(self) -> dict[str, Any]:
        """A JSON-ready summary (NaN as null) of settings, results and surrogate tests."""
        out: dict[str, Any] = {
            "session": self.session,
            "source": self.source,
            "n_samples": int(len(self.series)),
            "duration_s": self.duration_s,
            "params": asdict(self.params),
            "summary": self.result.summary(),
            "leader": leader(self.best_lag_s),
            "cache_hit": self.cache_hit,
            "problems": {part: err.message("en") for part, err in self.problems.items()},
        }
        if self.motion is not None:
            out["motion"] = {k: v for k, v in self.motion.attrs.items() if k != "roi_area"}
            out["rois"] = list(self.motion.attrs.get("roi_area", {}))
        for name, test in (("shuffle", self.shuffle), ("recombination", self.recombination_test)):
            if test is not None:
                out[name] = {k: v for k, v in asdict(test).items() if k != "surrogates"}
                out[name]["grand_aver"] = list(test.surrogates)
        if not self.recombination.empty:
            out["recombined_pairs"] = json_records(self.recombination)
        out["windows"] = json_records(self.windows())
        return dict(json_floats(out))


def leader(best_lag_s: float) -> str:
    """Who leads by the sign convention of DOMAIN §7 (s1 = client): ``counselor``, ``client``, ``none``.

    Examples
    --------
    >>> leader(-0.4), leader(0.2), leader(0.0), leader(float("nan"))
    ('counselor', 'client', 'none', 'none')
    """
    if not math.isfinite(best_lag_s) or best_lag_s == 0:
        return "none"
    return "counselor" if best_lag_s < 0 else "client"


# --------------------------------------------------------------------------- analysis


def analyse_series(
    series: pd.DataFrame,
    params: SynchronyParams,
    *,
    partners: Mapping[str, pd.DataFrame] | None = None,
    session: str | None = None,
    openness: tuple[pd.DataFrame, ObserveError | None] | None = None,
    motion: pd.DataFrame | None = None,
    source: str = "import",
    skipped: Sequence[tuple[str, ObserveError]] = (),
    cache_hit: bool = False,
) -> SessionSynchrony:
    """Synchrony of one series with its surrogate tests (the part shared by video and import).

    Parameters
    ----------
    series : DataFrame
        ``client`` and ``counselor`` (and ``time_s``), one row per sample at ``params.fps``.
    params : SynchronyParams
    partners : mapping, optional
        Other sessions of the same counselor, ``{code: series}`` at the same rate, for
        the recombination surrogates (the session itself is added under ``session``);
        an empty mapping is reported as "no partners", None as not asked for.
    openness : (DataFrame, error or None), optional
        The coded openness windows and why they are missing, from :func:`session_openness`;
        None: not asked for.

    Raises
    ------
    InvalidInput
        When synchrony itself cannot be computed: a series shorter than one window,
        a constant series, no usable window. Missing surrogates are not errors: they
        are reported in ``problems``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = np.abs(rng.normal(size=1500)).cumsum() % 7
    >>> df = pd.DataFrame({"client": np.r_[np.zeros(5), a[:-5]], "counselor": a})
    >>> r = analyse_series(df, SynchronyParams(fps=25, lag_s=1, win_s=10, inc_s=5, segment_s=10))
    >>> r.best_lag_s, r.shuffle.es > 3, r.problems
    (-0.2, True, {})
    """
    result = synchrony(series, params)
    problems: dict[str, ObserveError] = {}
    shuffle = None
    if params.n_surrogates >= 2:
        try:
            shuffle = surrogate_test(result.grand_aver, shuffle_surrogates(series, params))
        except InvalidInput as exc:
            problems["shuffle"] = exc
    else:
        problems["shuffle"] = InvalidInput("synchrony.no_surrogates")
    recombined = pd.DataFrame(columns=["client_session", "counselor_session", "grand_aver"])
    recombination_test = None
    if partners and session is not None:
        try:
            recombined = recombination_surrogates({session: series, **partners}, params)
            recombination_test = surrogate_test(result.grand_aver, recombined["grand_aver"])
        except InvalidInput as exc:
            problems["recombination"] = exc
    elif partners is not None:
        problems["recombination"] = InvalidInput("syncpage.no_partners")
    windows, why = openness if openness is not None else (_empty_openness(), None)
    if why is not None:
        problems["openness"] = why
    return SessionSynchrony(
        session=session,
        source=source,
        series=series,
        motion=motion,
        params=params,
        result=result,
        shuffle=shuffle,
        recombination=recombined,
        recombination_test=recombination_test,
        openness=windows,
        problems=problems,
        skipped=tuple(skipped),
        cache_hit=cache_hit,
    )


def _empty_openness() -> pd.DataFrame:
    return pd.DataFrame(columns=["observer", "start_s", "end_s", "oi", "reason"])


def session_openness(
    store: Store,
    session: str,
    *,
    window_s: float,
    step_s: float,
    until_s: float | None = None,
    observer: str | None = None,
) -> tuple[pd.DataFrame, ObserveError | None]:
    """The client's coded openness index OI(w) on synchrony-sized windows (DOMAIN §3).

    One observation is used (``observer``'s, else the reference, else the most coded,
    as on the dashboards), with the client's valence profile and overrides. Windows
    starting at or after ``until_s`` (the end of the video) are left out.

    Returns
    -------
    (DataFrame, error or None)
        ``observer, start_s, end_s, oi, reason`` (``reason``: translation key when
        ``oi`` is missing) and, if there is nothing to show, why.
    """
    from observe.reports.dashboards import client_valences, pick_observations

    info = store.session(session)
    chosen = pick_observations(store.observations(session=info.code), observer).get(info.code)
    if chosen is None or chosen.n_events == 0:
        return _empty_openness(), InvalidInput("syncpage.not_coded", session=info.code)
    events = store.events_frame(observation_id=chosen.id)
    client = store.client(info.client)
    valences = client_valences(
        [store.scheme(chosen.scheme_name, chosen.scheme_version)],
        client.valence_profile,
        client.valence_overrides,
    )
    params = OpennessParams(window_s=window_s, step_s=step_s, n_boot=0)
    windows = openness_windows(events, valences, subject="client", params=params)
    if until_s is not None:
        windows = windows.loc[windows["start_s"] < until_s]
    out = windows.assign(observer=chosen.observer)[["observer", "start_s", "end_s", "oi", "reason"]]
    return out.reset_index(drop=True), None


def partner_sessions(store: Store, session: str) -> list[Session]:
    """The same counselor's other sessions that have a video and stored regions (for recombination)."""
    info = store.session(session)
    return [
        s
        for s in store.sessions(counselor=info.counselor)
        if s.code != info.code and s.video_ref and s.attributes.get(ROI_ATTRIBUTE)
    ]


def session_synchrony(
    store: Store,
    session: str,
    rois: Sequence[Roi] | None = None,
    motion_params: MotionParams | None = None,
    sync_params: SynchronyParams | None = None,
    on_progress: Progress | None = None,
    *,
    folder: str | os.PathLike[str] | None = None,
    partners: bool = True,
    observer: str | None = None,
) -> SessionSynchrony:
    """Motion energy, synchrony, surrogates and coded openness of one session's video.

    Parameters
    ----------
    store : Store
    session : str
        Session code; the session needs a video (``video_ref``).
    rois : sequence of Roi, optional
        New regions: validated and stored with the session first. Default: the stored ones.
    motion_params, sync_params
        Settings (DOMAIN §7 defaults); ``sync_params.fps`` is replaced by the rate of
        the motion-energy series (video fps / frame step).
    on_progress : callable, optional
        ``on_progress(share, session_code, frames_done, frames_total)`` while videos are processed.
    folder : path, optional
        The media folder (default: ``OBSERVE_MEDIA`` or ``data/media``); the cache is
        in its ``cache/motion`` sub-folder.
    partners : bool
        Recombine with the counselor's other sessions that have a video and regions
        (their motion energy is computed once, then cached).
    observer : str, optional
        Whose coding gives the openness curve.

    Returns
    -------
    SessionSynchrony

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> from observe.video.synthetic import make_synthetic_video
    >>> folder = Path(tempfile.mkdtemp())
    >>> v = make_synthetic_video(folder / ("ab" * 16 + ".mp4"), duration_s=12, size=(192, 108), seed=1)
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_client("K01"), store.add_counselor("C01")
    >>> s = store.add_session("K01", "C01", date=dt.date(2026, 1, 5), video_ref=v.path.name)
    >>> p = SynchronyParams(lag_s=1, win_s=4, inc_s=2, segment_s=2)
    >>> r = session_synchrony(store, s.code, list(v.rois.values()), sync_params=p, folder=folder)
    >>> round(r.best_lag_s, 2), v.expected_lag_s, r.cache_hit
    (-0.4, -0.4, False)
    """
    info = store.session(session)
    if rois is not None:
        info = save_rois(store, info.code, rois, folder=folder)
    video = session_video(info, folder)
    own_rois = session_rois(info)
    if not own_rois:
        raise InvalidInput("syncpage.no_rois", session=info.code)
    others = partner_sessions(store, info.code) if partners else []
    stages = 1 + len(others)
    cache = cache_folder(folder)

    last = [(info.code, 1, 1)]  # the count shown with the end (1/1 when every video was cached)

    def progress(stage: int, code: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        report = on_progress

        def frames(done: int, total: int) -> None:
            last[0] = (code, done, total)
            report((stage + done / max(total, 1)) / stages, code, done, total)

        return frames

    motion, hit = cached_motion_energy(
        video,
        own_rois,
        motion_params,
        cache=cache,
        on_progress=progress(0, info.code),
    )
    series = person_series(motion)
    params = replace(sync_params or SynchronyParams(), fps=float(motion.attrs["fps"]))
    pool: dict[str, pd.DataFrame] = {}
    skipped: list[tuple[str, ObserveError]] = []
    for stage, other in enumerate(others, start=1):
        try:
            partner, _ = cached_motion_energy(
                session_video(other, folder),
                session_rois(other),
                motion_params,
                cache=cache,
                on_progress=progress(stage, other.code),
            )
            if not math.isclose(float(partner.attrs["fps"]), params.fps, rel_tol=1e-6):
                raise InvalidInput("syncpage.partner_fps", session=other.code)
            pool[other.code] = person_series(partner)
        except ObserveError as exc:  # one unusable partner does not stop the analysis
            skipped.append((other.code, exc))
    if on_progress is not None:
        on_progress(1.0, *last[0])
    coded = session_openness(
        store,
        info.code,
        window_s=params.win_s,
        step_s=params.inc_s,
        until_s=len(series) / params.fps,
        observer=observer,
    )
    return analyse_series(
        series,
        params,
        partners=pool,
        session=info.code,
        openness=coded,
        motion=motion,
        source="video",
        skipped=skipped,
        cache_hit=hit,
    )


def read_uploaded_series(data: bytes, filename: str, *, rmea_fps: float = 25.0) -> tuple[pd.DataFrame, float]:
    """Read an uploaded series from bytes; return (series, fps).

    Our CSV (a ``time_s`` header) carries its own rate; an rMEA text file does not, so
    it is read at ``rmea_fps``.

    Examples
    --------
    >>> read_uploaded_series(b'"pat" "th"\\n1 2\\n3 4\\n', "dyad.txt", rmea_fps=10)[1]
    10.0
    >>> read_uploaded_series(b"time_s,client,counselor\\n0,1,2\\n0.5,2,1\\n", "s.csv")[1]
    2.0
    """
    ours = b"time_s" in data.split(b"\n", 1)[0]
    suffix = Path(filename).suffix.lower() or ".txt"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        series, rate = read_series(path, fps=None if ours else rmea_fps)
    return series, float(rate)


def imported_synchrony(
    series: pd.DataFrame,
    fps: float,
    sync_params: SynchronyParams | None = None,
    *,
    store: Store | None = None,
    session: str | None = None,
    observer: str | None = None,
) -> SessionSynchrony:
    """Synchrony of a series computed elsewhere; with a session, its coded openness too."""
    params = replace(sync_params or SynchronyParams(), fps=float(fps))
    coded: tuple[pd.DataFrame, ObserveError | None] = (_empty_openness(), InvalidInput("syncpage.no_session"))
    if store is not None and session:
        coded = session_openness(
            store,
            session,
            window_s=params.win_s,
            step_s=params.inc_s,
            until_s=len(series) / params.fps,
            observer=observer,
        )
    res = analyse_series(series, params, session=session, openness=coded, source="import")
    # partners are recombined from video-analysed sessions only: say so rather than show nothing
    return replace(
        res, problems={**res.problems, "recombination": InvalidInput("syncpage.recombination_needs_video")}
    )
