"""Batch motion energy on Dask: 2 workers against 1 worker on the same videos (issue 16).

Target: on 2 local worker processes and >= 4 videos the batch is >= 1.7× faster than on
one worker (``ratio = one_worker_s / two_workers_s``).

Both sides are measured the same way:

- *warm*: both clusters (:func:`observe.video.batch.local_cluster`: single-threaded worker
  processes) are started before the clock runs (a real deployment keeps its scheduler and
  workers up) and warmed with one short task; the runs alternate, best of ``repeats``.
- *cold*: ``run_batch(jobs, workers=n)`` as the CLI runs it, starting and closing its own
  cluster inside the clock, once each.

Each worker computes on one core (one Dask thread, OpenCV and BLAS/OpenMP at one thread, the
video decoded in the task's thread with one FFmpeg thread) and reads its video itself, so
a 1-worker run uses one core and the ceiling of the ratio on 2 cores is 2. The machine is
shared: the rows carry the 1-minute load average before and after, and the process's nice
value (``nice -n -5 python -m bench batch`` measures with priority over the others).

Run: ``python -m bench batch`` (``--quick`` for short videos).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench._common import print_rows
from observe.video.batch import BatchJob, local_cluster, run_batch
from observe.video.synthetic import make_synthetic_video

SIZE = (640, 360)
N_VIDEOS = 4
WORKERS = (1, 2)


def _check(results: list) -> None:  # type: ignore[type-arg]
    if not all(r.ok for r in results):
        raise RuntimeError([r.error for r in results if not r.ok])


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time the same 4-video batch on 1 and 2 single-threaded local workers, warm and cold."""
    duration = 20.0 if quick else 120.0
    repeats = 2 if quick else 3
    load_before = os.getloadavg()[0]
    warm: dict[int, float] = {}
    cold: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        videos = [
            make_synthetic_video(Path(tmp) / f"v{i}.mp4", duration_s=duration, size=SIZE, seed=i)
            for i in range(N_VIDEOS)
        ]
        jobs = [
            BatchJob(str(v.path), tuple(r for r in v.rois.values() if not r.is_background)) for v in videos
        ]
        clusters = {n: local_cluster(n) for n in WORKERS}
        try:
            for cluster in clusters.values():
                run_batch(jobs[:1], scheduler=cluster.scheduler_address)
            for _ in range(repeats):
                for n, cluster in clusters.items():
                    start = time.perf_counter()
                    results = run_batch(jobs, scheduler=cluster.scheduler_address)
                    warm[n] = min(warm.get(n, float("inf")), time.perf_counter() - start)
                    _check(results)
        finally:
            for cluster in clusters.values():
                cluster.close()
        for n in WORKERS:
            start = time.perf_counter()
            results = run_batch(jobs, workers=n)
            cold[n] = time.perf_counter() - start
            _check(results)
    context = {
        "load_average_1min_before": round(load_before, 1),
        "load_average_1min_after": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
        "nice": os.nice(0),
    }
    label = f"{N_VIDEOS} videos {SIZE[0]}x{SIZE[1]} {duration:g} s, {videos[0].codec}"
    rows: list[dict[str, object]] = []
    for kind, times in (("warm clusters", warm), ("cold, cluster start inside the clock", cold)):
        rows.append(
            {
                "name": f"batch motion energy, 2 workers vs 1, {kind} ({label})",
                "ours_s": round(times[2], 4),
                "floor_s": round(times[1], 4),
                "ratio": round(times[1] / times[2], 3),
                "target": ">= 1.7 (times faster on 2 workers)",
                **context,
            }
        )
    return rows


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
