"""Eight processes code the same observation at once through ``Store.record``: every one of
their 800 keypresses arrives exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections import Counter
from typing import Any

import pytest

from observe.store import Store
from tests.conftest import forked_processes

WORKERS = 8
PER_WORKER = 100  # the writers start together at a barrier and still interleave many times over; 1,000 took minutes on 2 cores
STEP_S = 0.5
# Workers 0-3 code points; workers 4-7 each code states in their own lane (subject, channel),
# alternating two cues so that every press ends the running state and starts the next.
POINTS = [("client", "P_NOD"), ("client", "P_LAUGH"), ("counselor", "P_NOD"), ("counselor", "P_SIGH")]
LANES = [
    ("client", "FACE", ("F_SMILE", "F_NEUT")),
    ("client", "GAZE", ("G_EYE", "G_DOWN")),
    ("counselor", "FACE", ("F_SMILE", "F_NEUT")),
    ("counselor", "GAZE", ("G_EYE", "G_DOWN")),
]


def _append(url: str, observation_id: int, worker: int, start: Any, results: Any) -> None:
    """One coder: open the store, wait for the others, press ``PER_WORKER`` keys."""
    try:
        store = Store.open(url, migrate=False)
        start.wait(timeout=120)  # a worker that failed to start breaks the barrier, not the run
        began = time.perf_counter()
        for j in range(PER_WORKER):
            t = (j + 1) * STEP_S
            if worker < 4:
                subject, cue = POINTS[worker]
            else:
                subject, _channel, cues = LANES[worker - 4]
                cue = cues[j % 2]
            recorded = store.record(observation_id, subject, cue, t, client_key=f"w{worker}", client_seq=j)
            assert not recorded.duplicate
        store.close()
        results.put((worker, None, time.perf_counter() - began))
    except BaseException:  # report any failure to the parent, which asserts there were none
        results.put((worker, traceback.format_exc(), 0.0))


@pytest.mark.slow
def test_eight_processes_append_800_events(db_url: str) -> None:
    store = Store.open(db_url)
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=dt.date(2026, 9, 1), duration_s=3600)
    observation = store.open_observation("K01-S01", "obs.one")

    ctx = forked_processes("observe.store", __name__)
    start = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_append, args=(db_url, observation.id, w, start, results)) for w in range(WORKERS)
    ]
    for p in processes:
        p.start()
    reports = [results.get(timeout=240) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    errors = [f"worker {w}:\n{error}" for w, error, _ in reports if error]
    assert not errors, "\n".join(errors)
    assert all(p.exitcode == 0 for p in processes)

    events = store.events(observation.id)
    assert len(events) == WORKERS * PER_WORKER
    assert store.observation(observation.id).n_events == WORKERS * PER_WORKER
    times = [round((j + 1) * STEP_S, 3) for j in range(PER_WORKER)]

    # points: each worker's presses, once each
    for subject, cue in POINTS:
        starts = sorted(
            e.start_s for e in events if e.subject == subject and e.cue == cue and e.kind == "point"
        )
        assert starts == times, (subject, cue)

    # states: each lane is a contiguous chain, no overlap, the last one still running
    for subject, channel, cues in LANES:
        states = sorted(
            (e for e in events if e.subject == subject and e.channel == channel), key=lambda e: e.start_s
        )
        assert [e.start_s for e in states] == times
        assert [e.cue for e in states] == [cues[j % 2] for j in range(PER_WORKER)]
        assert [e.end_s for e in states] == times[1:] + [None]

    ids = Counter(e.id for e in events)
    assert max(ids.values()) == 1
    assert store.can_undo_redo(observation.id) == (True, False)
    store.close()
