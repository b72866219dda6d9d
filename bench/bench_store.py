"""Store speed against its floor (issue 2).

- write: N events appended one call at a time through ``Store.record`` (each call one
  durable transaction) vs raw ``sqlite3`` single-row INSERTs with a COMMIT each, same rows,
  same pragmas (WAL, synchronous=FULL: both durable when the call returns). Target: ≥ 1/3 of
  the raw rate, i.e. time ratio ours/floor ≤ 3.
- read: 1,000,000 events loaded into a DataFrame through ``Store.events_frame`` vs a bare
  ``pandas.read_sql`` of the same events table. Target: ≤ 2×.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert

from observe.scheme import default_scheme
from observe.store import Store
from observe.store import tables as T


def _workspace(path: Path, duration_s: float) -> tuple[Store, int]:
    store = Store.open(f"sqlite:///{path}")
    store.add_client("B01")
    store.add_counselor("C01")
    session = store.add_session("B01", "C01", date=dt.date(2026, 1, 1), duration_s=duration_s)
    return store, store.open_observation(session.code, "bench").id


def _rows(n: int) -> list[tuple[str, str, float]]:
    """A realistic keypress mix: states in the five ME&E channels and points, both subjects."""
    rng = np.random.default_rng(7)
    scheme = default_scheme()
    cues = [
        (s, c.code) for s in ("client", "counselor") for c in scheme.cues_for(s) if c.channel != "PROCESS"
    ]
    picks = rng.integers(0, len(cues), n)
    return [(cues[i][0], cues[i][1], round(0.25 * k, 3)) for k, i in enumerate(picks)]


def bench_write(n: int) -> dict[str, object]:
    rows = _rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        store, obs = _workspace(Path(tmp) / "ours.db", duration_s=n)
        start = time.perf_counter()
        for seq, (subject, cue, t) in enumerate(rows):
            store.record(obs, subject, cue, t, client_key="bench", client_seq=seq)
        ours = time.perf_counter() - start
        store.close()

        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, subject TEXT, cue TEXT, start_s REAL)")
        start = time.perf_counter()
        for subject, cue, t in rows:
            raw.execute("BEGIN")
            raw.execute("INSERT INTO events (subject, cue, start_s) VALUES (?, ?, ?)", (subject, cue, t))
            raw.execute("COMMIT")
        floor = time.perf_counter() - start
        raw.close()
    return {
        "name": f"write {n:,} events one call each (Store.record vs raw sqlite3 insert+commit)",
        "ours_s": ours,
        "floor_s": floor,
        "ratio": ours / floor,
        "target": 3.0,
    }


def bench_read(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        store, obs = _workspace(Path(tmp) / "read.db", duration_s=n)
        rng = np.random.default_rng(3)
        now = dt.datetime.now(dt.UTC)
        starts = np.round(np.sort(rng.uniform(0, n, n)), 3)
        batch = [
            {
                "observation_id": obs,
                "subject": "client" if i % 2 else "counselor",
                "cue": "P_NOD",
                "channel": "POINT",
                "kind": "point",
                "start_s": float(starts[i]),
                "end_s": None,
                "modifiers": "",
                "comment": "",
                "created_at": now,
                "created_by": "bench",
            }
            for i in range(n)
        ]
        with store.engine.begin() as conn:
            conn.execute(insert(T.events), batch)
        del batch
        start = time.perf_counter()
        frame = store.events_frame()
        ours = time.perf_counter() - start
        start = time.perf_counter()
        bare = pd.read_sql("SELECT * FROM events", store.engine)
        floor = time.perf_counter() - start
        assert len(frame) == len(bare) == n
        store.close()
    return {
        "name": f"read {n:,} events into a DataFrame (Store.events_frame vs pandas.read_sql)",
        "ours_s": ours,
        "floor_s": floor,
        "ratio": ours / floor,
        "target": 2.0,
    }


def run(quick: bool = False) -> list[dict[str, object]]:
    return [bench_write(2_000 if quick else 20_000), bench_read(100_000 if quick else 1_000_000)]


if __name__ == "__main__":
    import sys

    from bench._common import print_rows

    print_rows(run(quick="--quick" in sys.argv))
