"""Import/export speed against the floor (issue 6, "Speed").

* import a 100,000-row BORIS tabular TSV (current layout) through the store — parse,
  subject mapping, new scheme, validation, one transaction — vs a bare ``pandas.read_csv``
  of the same file plus one bulk INSERT (executemany) of the same number of event rows
  into an empty workspace (target ≤ 3×); the parse alone is reported too;
* write 1,000,000 tidy events to Parquet vs ``DataFrame.to_parquet`` of the loaded frame.

Ratios are measured in one run (best of ``repeat``), since absolute times drift on
shared machines. ``python -m bench.bench_import [--quick]`` prints a table and JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert

from bench._common import best_of, print_rows
from observe.interop.boris_tabular import parse_boris_tabular, write_boris_tabular
from observe.interop.bundle import events_frame
from observe.interop.preview import apply_import
from observe.interop.tidy import write_tidy_parquet
from observe.store import Store
from observe.store import tables as T


def _events(n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` tidy events: half states, half points, over 10 sessions."""
    rng = np.random.default_rng(seed)
    kinds = np.where(np.arange(n) % 2 == 0, "state", "point")
    start = np.round(np.sort(rng.uniform(0, 3600, n)), 3)
    end = np.where(kinds == "state", np.round(start + rng.uniform(0.1, 5, n), 3), np.nan)
    # a code is a state or a point, never both (as in a BORIS ethogram)
    states = np.array(["G_EYE", "G_DOWN", "F_SMILE", "T_FWD"])[rng.integers(0, 4, n)]
    cues = np.where(kinds == "state", states, np.array(["P_NOD", "P_LAUGH"])[rng.integers(0, 2, n)])
    frame = pd.DataFrame(
        {
            "session": np.array([f"K{i:02d}-S01" for i in range(10)])[np.arange(n) * 10 // max(n, 1)],
            "client": "K01",
            "observer": "ana",
            "subject": np.where(rng.integers(0, 2, n) == 0, "client", "counselor"),
            "channel": "GAZE",
            "cue": cues,
            "kind": kinds,
            "start_s": start,
            "end_s": end,
            "modifiers": np.where(rng.integers(0, 4, n) == 0, "intensity=2", ""),
            "comment": "",
        }
    )
    # like real codings, a state ends before the same subject's next bout of the same cue starts
    states = frame[frame["kind"] == "state"]
    following = states.groupby(["session", "subject", "cue", "modifiers"])["start_s"].shift(-1)
    frame.loc[states.index, "end_s"] = np.minimum(states["end_s"], following.fillna(np.inf))
    return frame[(frame["kind"] == "point") | (frame["end_s"] > frame["start_s"])].reset_index(drop=True)


def _tabular_tsv(rows: int) -> bytes:
    """A BORIS tabular TSV with ``rows`` records (states count twice)."""
    n_states = rows // 3
    events = _events(rows - n_states)  # half states → (rows - n/3) events ≈ rows records
    return write_boris_tabular(events_frame(events))


_COUNTER = iter(range(1_000_000))


def _fresh_store(folder: Path) -> Store:
    store = Store.open(f"sqlite:///{folder / f'bench{next(_COUNTER)}.db'}")
    store.scheme()
    return store


def _bulk_insert(folder: Path, n: int) -> float:
    """The floor's write half: one executemany of ``n`` event rows in one transaction (seconds)."""
    store = _fresh_store(folder)
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 1, 1))
    observation = store.open_observation(session.code, "ana")
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "observation_id": observation.id,
            "subject": "client",
            "cue": "G_EYE",
            "channel": "GAZE",
            "kind": "state",
            "start_s": float(i),
            "end_s": float(i) + 0.5,
            "modifiers": "",
            "comment": "",
            "created_at": now,
            "created_by": "bench",
        }
        for i in range(n)
    ]
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(insert(T.events), rows)
    elapsed = time.perf_counter() - t0
    store.close()
    return elapsed


def _full_import(folder: Path, tsv: bytes) -> float:
    """Parse, preview-equivalent planning and the one-transaction write (seconds)."""
    store = _fresh_store(folder)
    t0 = time.perf_counter()
    apply_import(store, parse_boris_tabular(tsv, filename="events.tsv"))
    elapsed = time.perf_counter() - t0
    store.close()
    return elapsed


def run(quick: bool = False) -> list[dict[str, object]]:
    """Measure and return rows ``{"name", "ours_s", "floor_s", "ratio", "target"}``."""
    repeat = 2 if quick else 3
    rows = 10_000 if quick else 100_000
    n_parquet = 100_000 if quick else 1_000_000
    results = []

    tsv = _tabular_tsv(rows)
    n_rows = tsv.count(b"\n") - 1
    read = best_of(lambda: pd.read_csv(io.BytesIO(tsv), sep="\t"), repeat)
    ours = best_of(lambda: parse_boris_tabular(tsv, filename="events.tsv"), repeat)
    results.append(
        {
            "name": f"parse BORIS TSV ({n_rows:,} rows)",
            "ours_s": ours,
            "floor_s": read,
            "ratio": ours / read,
            "target": None,
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        # the workspace is created (and migrated) outside the timed part on both sides
        insert_s = min(_bulk_insert(Path(folder), n_rows) for _ in range(repeat))
        full = min(_full_import(Path(folder), tsv) for _ in range(repeat))
    results.append(
        {
            "name": f"import BORIS TSV into store ({n_rows:,} rows)",
            "ours_s": full,
            "floor_s": read + insert_s,
            "ratio": full / (read + insert_s),
            "target": 3.0,
        }
    )

    frame = _events(n_parquet)
    floor = best_of(lambda: frame.to_parquet(io.BytesIO(), index=False), repeat)
    ours = best_of(lambda: write_tidy_parquet(frame), repeat)
    results.append(
        {
            "name": f"write Parquet ({n_parquet:,} events)",
            "ours_s": ours,
            "floor_s": floor,
            "ratio": ours / floor,
            "target": 2.0,
        }
    )
    return results


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
