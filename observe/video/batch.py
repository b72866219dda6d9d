"""Motion energy of many videos at once on Dask: one task per video (issue 16).

A semester of sessions (hundreds of 50-minute videos) is hours of motion energy on one
core. :func:`run_batch` hands each video to a Dask worker (``dask.distributed``): a
:class:`~distributed.LocalCluster` of ``workers`` processes on this machine by default,
or the workers of a running scheduler (``scheduler="tcp://host:8786"``) to use a cluster.
Each task runs the same :func:`observe.video.motion.motion_energy` as a single video, so
the series are identical to a serial run; a video that fails is reported with its reason
and the others finish.

Each worker is one process with one thread that owns one core: one Dask thread, OpenCV's
and the BLAS/OpenMP pools at one thread (:data:`SINGLE_THREAD_ENV`, :func:`single_threaded`),
and the video decoded in the task's own thread (``motion_energy(single_thread=True)``), so
two workers do not fight over cores that a single worker's helper threads already use. Each
worker reads its video itself: only the path goes to it and only the series comes back.

Workers only compute. Storing a result (the synchrony page's cache, a CSV) happens in
this process through ``on_result``, as each task finishes, so a run stopped half-way
keeps what it finished. On a cluster, the workers must reach the videos: a shared folder,
or object storage by URL (``s3://...``, :mod:`observe.video.storage`).
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from observe.errors import InvalidInput, ObserveError
from observe.video.motion import MotionParams, Roi, motion_energy

#: File name endings taken from a folder given to ``--batch``.
VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".webm", ".mov", ".avi", ".mkv")

Progress = Callable[[int, int], None]

#: Environment of each local worker process: every numeric thread pool at one thread.
SINGLE_THREAD_ENV: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}


@dataclass(frozen=True)
class BatchJob:
    """One video to analyse: its path (or storage URL), the regions, and the session it belongs to."""

    video: str
    rois: tuple[Roi, ...]
    session: str | None = None
    #: why the job cannot run (e.g. no regions), reported without computing
    error: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one task gave: the series (with its ``attrs``) or the error, and its wall time."""

    job: BatchJob
    series: pd.DataFrame | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        """True if the series was computed."""
        return self.series is not None


def expand_videos(pattern: str) -> list[str]:
    """The videos named by ``pattern``: every video file in a folder, or the files a glob matches.

    Storage URLs (``s3://bucket/prefix`` or a glob in one) are listed through fsspec.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("b.mp4", "a.MOV", "notes.txt"):
    ...     _ = (d / name).write_bytes(b"x")
    >>> [Path(p).name for p in expand_videos(str(d))]
    ['a.MOV', 'b.mp4']
    >>> [Path(p).name for p in expand_videos(str(d / "*.txt"))]
    ['notes.txt']
    """
    if "://" in pattern:
        from observe.video import storage

        found = storage.expand(pattern, VIDEO_SUFFIXES)
    elif Path(pattern).expanduser().is_dir():
        root = Path(pattern).expanduser()
        found = [str(p) for p in root.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
    else:
        found = [p for p in glob.glob(os.path.expanduser(pattern)) if Path(p).is_file()]
    if not found:
        raise InvalidInput("motion.batch_empty", pattern=pattern)
    return sorted(found)


def analyse_one(
    video: str, rois: Sequence[Roi], params: MotionParams
) -> tuple[pd.DataFrame | None, str | None]:
    """The task a worker runs: ``(series, None)`` or ``(None, error message)``; never raises.

    Errors travel back as text: the worker's exception classes need not unpickle on the client.
    A storage URL is copied to a temporary file first (OpenCV reads local files). The task
    runs :func:`single_threaded`: a worker owns one core.
    """
    try:
        single_threaded()
        if "://" in video:
            from observe.video import storage

            with storage.local_copy(video) as path:
                return motion_energy(path, rois, params, single_thread=True), None
        return motion_energy(video, rois, params, single_thread=True), None
    except ObserveError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one broken video must not stop the batch
        return None, f"{type(exc).__name__}: {exc}"


def single_threaded() -> None:
    """Make this (worker) process compute on one core: OpenCV's thread pool at one thread."""
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)


def worker_threads() -> dict[str, object]:
    """What a worker process computes with (for tests and the benchmark's report)."""
    import threading

    import cv2

    return {
        "opencv_threads": cv2.getNumThreads(),
        **{name: os.environ.get(name) for name in SINGLE_THREAD_ENV},
        "threads": threading.active_count(),
    }


def local_cluster(workers: int | None = None) -> Any:
    """A :class:`~distributed.LocalCluster` of ``workers`` single-threaded processes (default: one per core)."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=max(1, workers or os.cpu_count() or 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env=SINGLE_THREAD_ENV,
    )


def _timed(
    video: str, rois: Sequence[Roi], params: MotionParams
) -> tuple[pd.DataFrame | None, str | None, float]:
    start = time.perf_counter()
    series, error = analyse_one(video, rois, params)
    return series, error, time.perf_counter() - start


def run_batch(
    jobs: Sequence[BatchJob],
    params: MotionParams | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    """Motion energy of every job, one Dask task per video; results in the order of ``jobs``.

    Parameters
    ----------
    jobs : sequence of BatchJob
        A job with ``error`` set is reported as failed without running.
    params : MotionParams
        The same settings for every video.
    scheduler : str, optional
        Address of a running Dask scheduler; default: a local cluster for this run.
    workers : int, optional
        Worker processes of the local cluster (default: the number of cores).
    progress : callable, optional
        ``progress(done, total)`` after each finished video (and ``(0, total)`` first).
    on_result : callable, optional
        Called with each :class:`BatchResult` as it finishes (to store it).

    Examples
    --------
    >>> import tempfile
    >>> from observe.video.synthetic import make_synthetic_video
    >>> v = make_synthetic_video(Path(tempfile.mkdtemp()) / "s.mp4", duration_s=3, size=(160, 90))
    >>> jobs = [BatchJob(str(v.path), tuple(v.rois.values())), BatchJob("/nonexistent.mp4", ())]
    >>> [r.ok for r in run_batch(jobs, workers=1)]
    [True, False]
    """
    from distributed import Client, as_completed

    params = params or MotionParams()
    total = len(jobs)
    results: list[BatchResult | None] = [None] * total
    done = 0

    def finish(index: int, result: BatchResult) -> None:
        nonlocal done
        results[index] = result
        done += 1
        if on_result is not None:
            on_result(result)
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    runnable = []
    for i, job in enumerate(jobs):
        if job.error is not None:
            finish(i, BatchResult(job, None, job.error, 0.0))
        else:
            runnable.append(i)
    if runnable:
        cluster: Any = None
        if scheduler is None:
            cluster = local_cluster(workers)
        try:
            with Client(cluster if cluster is not None else scheduler) as client:
                submitted = [
                    client.submit(_timed, jobs[i].video, jobs[i].rois, params, pure=False) for i in runnable
                ]
                index = {future.key: i for future, i in zip(submitted, runnable, strict=True)}
                for future in as_completed(submitted):
                    i = index[future.key]
                    try:
                        series, error, seconds = future.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died: report this video, go on
                        series, error, seconds = None, f"{type(exc).__name__}: {exc}", 0.0
                    finish(i, BatchResult(jobs[i], series, error, seconds))
        finally:
            if cluster is not None:
                cluster.close()
    return [r for r in results if r is not None]
