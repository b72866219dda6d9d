"""Motion energy of a semester's videos at once, stored for each session's Synchrony page (issue 16).

``python -m observe motion --batch FOLDER_OR_GLOB`` calls :func:`motion_batch`: every video is
mapped to the session whose video it is (:func:`batch_jobs`), analysed with that session's
stored regions on Dask (:mod:`observe.video.batch`), and written into the media folder's
motion cache under the key the Synchrony page computes (:mod:`observe.reports.synchrony`), so
opening the page afterwards reads the result instead of computing for minutes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from observe.errors import InvalidInput, ObserveError
from observe.model import Session
from observe.reports.synchrony import (
    cache_folder,
    read_cached_motion,
    session_rois,
    session_video,
    store_motion,
)
from observe.store import Store
from observe.video import library as media
from observe.video.batch import BatchJob, BatchResult, expand_videos, run_batch
from observe.video.motion import MotionParams, Roi, settings_hash, settings_key
from observe.video.storage import MediaStore, atomic_write


def batch_jobs(
    store: Store | None,
    videos: Sequence[str],
    rois: Sequence[Roi] = (),
    *,
    folder: str | os.PathLike[str] | None = None,
) -> list[BatchJob]:
    """One batch job per video, each mapped to its session when one has it as its video.

    A video is a session's when its file is the session's media file (the token name in the
    media folder) or the file that media file links to (a server file attached by path). A
    session's video is then analysed under its media path with its stored regions, so the
    cache key is the one the Synchrony page computes. ``rois`` (``--roi``), when given,
    replace the stored regions for every video; a video with neither is a failed job.
    """
    media_store = media.media_store(folder)
    sessions = [s for s in (store.sessions() if store is not None else []) if s.video_ref]
    # a local video is matched by its real file (the media file or the server file it links to);
    # a video on object storage by its token under the media prefix (without fetching it)
    by_name = {s.video_ref: s for s in sessions}
    by_file: dict[str, Session] = {}
    if not media_store.remote:
        for session in sessions:
            try:
                by_file[os.path.realpath(session_video(session, folder))] = session
            except ObserveError:
                continue
    jobs = []
    for video in videos:
        if "://" in video:
            parent, _, name = video.rpartition("/")
            found = by_name.get(name) if parent == media_store.location.rstrip("/") else None
        else:
            found = by_file.get(os.path.realpath(video))
        if found is None:
            error = None if rois else InvalidInput("motion.batch_no_rois", video=Path(video).name).message()
            jobs.append(BatchJob(video, tuple(rois), None, error))
            continue
        try:
            own = tuple(rois) or tuple(session_rois(found))
        except ObserveError as exc:
            jobs.append(BatchJob(video, (), found.code, str(exc)))
            continue
        error = None if own else InvalidInput("syncpage.no_rois", session=found.code).message()
        # analysed under the media path the Synchrony page uses, so the cache keys agree
        target = video if "://" in video else str(media_store.local_path(str(found.video_ref)))
        jobs.append(BatchJob(target, own, found.code, error))
    return jobs


def motion_batch(
    store: Store | None,
    pattern: str,
    rois: Sequence[Roi] = (),
    params: MotionParams | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    folder: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Motion energy of every video ``pattern`` names, on Dask, stored for the Synchrony page.

    Each video that belongs to a session (:func:`batch_jobs`) and was computed before with
    the same regions and settings is not computed again (``status: cached``). Every computed
    series goes into the media folder's cache, so the session's Synchrony page reads it;
    with ``out_dir`` it is also written as ``<video name>.csv`` there. A failed video is
    reported (``status: failed`` and ``error``) and the others finish.

    Returns
    -------
    list of dict
        One row per video in name order: ``video, session, status, error, samples, fps,
        threshold, settings_hash, seconds, csv``.
    """
    params = params or MotionParams()
    cache = cache_folder(folder)
    jobs = batch_jobs(store, expand_videos(pattern), rois, folder=folder)
    rows: dict[str, dict[str, Any]] = {}
    todo: list[BatchJob] = []
    for job in jobs:
        cached = None
        if job.error is None and job.session is not None:
            cached = read_cached_motion(_key(job, params), cache=cache)
        if cached is None:
            todo.append(job)
        else:
            rows[job.video] = _batch_row(job, cached, "cached", None, 0.0, None)
    out = Path(out_dir) if out_dir is not None else None

    def keep(result: BatchResult) -> None:
        csv = None
        if result.series is not None:
            store_motion(result.series, cache=cache)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                csv = out / f"{Path(result.job.video).name}.csv"
                atomic_write(csv, result.series.to_csv(index=False))
        status = "computed" if result.ok else "failed"
        rows[result.job.video] = _batch_row(
            result.job, result.series, status, result.error, result.seconds, csv
        )

    total = len(jobs)
    done_before = len(rows)
    if progress is not None and not todo:
        progress(total, total)
    shifted = None if progress is None else (lambda done, _n: progress(done_before + done, total))
    run_batch(todo, params, scheduler=scheduler, workers=workers, progress=shifted, on_result=keep)
    return [rows[job.video] for job in jobs]


def _key(job: BatchJob, params: MotionParams) -> str:
    """The cache key the Synchrony page computes for the job's video (an object: from its metadata)."""
    if "://" not in job.video:
        return settings_hash(job.video, job.rois, params)
    parent, _, name = job.video.rpartition("/")
    store = MediaStore(parent)
    return settings_key(name, store.size(name), store.modified_ns(name), job.rois, params)


def _batch_row(
    job: BatchJob,
    series: pd.DataFrame | None,
    status: str,
    error: str | None,
    seconds: float,
    csv: Path | None,
) -> dict[str, Any]:
    attrs = series.attrs if series is not None else {}
    return {
        "video": job.video,
        "session": job.session,
        "status": status,
        "error": error,
        "samples": None if series is None else len(series),
        "fps": attrs.get("fps"),
        "threshold": attrs.get("threshold"),
        "settings_hash": attrs.get("settings_hash"),
        "seconds": round(seconds, 3),
        "csv": None if csv is None else str(csv),
    }
