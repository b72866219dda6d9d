"""Store speed against its floor (issue 2).

- write: N events appended one call at a time through ``Store.record`` (each call one
  durable transaction) vs raw ``sqlite3`` single-row INSERTs with a COMMIT each, same rows,
  same pragmas read from the store's own connection (WAL, synchronous=FULL: both durable when
  the call returns; the row says which), timed in alternating blocks of 100 calls so that both
  sides see the same machine load. Target: time ratio ours/floor ≤ 3.
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


_SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
BLOCK = 100  # keypresses per timed block; ours and the floor alternate so both see the same load


def _pragmas(conn: sqlite3.Connection | object) -> tuple[str, str]:
    """(journal_mode, synchronous) of an SQLite connection: what "durable" means on each side."""
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]  # type: ignore[attr-defined]
    level = conn.execute("PRAGMA synchronous").fetchone()[0]  # type: ignore[attr-defined]
    return str(journal).upper(), _SYNCHRONOUS.get(int(level), str(level))


def bench_write(n: int) -> dict[str, object]:
    """One keypress = one ``Store.record`` (the guarded unit of work: permission, event, its
    undo/audit row, data-version bump, one transaction) against one raw ``sqlite3`` INSERT +
    COMMIT of the same (subject, cue, time) row; both WAL with the same ``synchronous`` level,
    so an acknowledged write is on disk on both sides."""
    rows = _rows(n)
    with tempfile.TemporaryDirectory() as tmp:
        store, obs = _workspace(Path(tmp) / "ours.db", duration_s=n)
        with store.engine.connect() as conn:
            ours_pragmas = _pragmas(conn.connection.dbapi_connection)
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute(f"PRAGMA journal_mode={ours_pragmas[0]}")
        raw.execute(f"PRAGMA synchronous={ours_pragmas[1]}")
        floor_pragmas = _pragmas(raw)
        assert floor_pragmas == ours_pragmas, (floor_pragmas, ours_pragmas)  # like with like
        raw.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, subject TEXT, cue TEXT, start_s REAL)")
        ours = floor = 0.0
        for first in range(0, n, BLOCK):
            block = list(enumerate(rows[first : first + BLOCK], start=first))
            start = time.perf_counter()
            for seq, (subject, cue, t) in block:
                store.record(obs, subject, cue, t, client_key="bench", client_seq=seq)
            ours += time.perf_counter() - start
            start = time.perf_counter()
            for _seq, (subject, cue, t) in block:
                raw.execute("BEGIN")
                raw.execute("INSERT INTO events (subject, cue, start_s) VALUES (?, ?, ?)", (subject, cue, t))
                raw.execute("COMMIT")
            floor += time.perf_counter() - start
        store.close()
        raw.close()
    journal, synchronous = ours_pragmas
    return {
        "name": f"write {n:,} events one call each (Store.record vs raw sqlite3 insert+commit)",
        "ours_s": ours,
        "floor_s": floor,
        "ratio": ours / floor,
        "target": 3.0,
        "ours_ms_per_call": 1e3 * ours / n,
        "floor_ms_per_call": 1e3 * floor / n,
        "durability": f"both sides journal_mode={journal}, synchronous={synchronous}",
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
