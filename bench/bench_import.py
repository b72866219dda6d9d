"""Import/export speed against the floor (issue 6, "Speed").

* parse a 100,000-row BORIS tabular TSV (current layout) vs a bare ``pandas.read_csv``
  of the same file (the full target adds the bulk insert on both sides; this measures
  the parse part);
* write 1,000,000 tidy events to Parquet vs ``DataFrame.to_parquet`` of the loaded frame.

Ratios are measured in one run (best of ``repeat``), since absolute times drift on
shared machines. ``python -m bench.bench_import [--quick]`` prints a table and JSON.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from observe.interop.boris_tabular import parse_boris_tabular, write_boris_tabular
from observe.interop.bundle import events_frame
from observe.interop.tidy import write_tidy_parquet


def _events(n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` tidy events: half states, half points, over 10 sessions."""
    rng = np.random.default_rng(seed)
    kinds = np.where(np.arange(n) % 2 == 0, "state", "point")
    start = np.round(np.sort(rng.uniform(0, 3600, n)), 3)
    end = np.where(kinds == "state", np.round(start + rng.uniform(0.1, 5, n), 3), np.nan)
    cues = np.array(["G_EYE", "G_DOWN", "F_SMILE", "T_FWD", "P_NOD"])[rng.integers(0, 5, n)]
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


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _tabular_tsv(rows: int) -> bytes:
    """A BORIS tabular TSV with ``rows`` records (states count twice)."""
    n_states = rows // 3
    events = _events(rows - n_states)  # half states → (rows - n/3) events ≈ rows records
    return write_boris_tabular(events_frame(events))


def run(quick: bool = False) -> list[dict[str, object]]:
    """Measure and return rows ``{"name", "ours_s", "floor_s", "ratio", "target"}``."""
    repeat = 2 if quick else 3
    rows = 10_000 if quick else 100_000
    n_parquet = 100_000 if quick else 1_000_000
    results = []

    tsv = _tabular_tsv(rows)
    floor = _best(lambda: pd.read_csv(io.BytesIO(tsv), sep="\t"), repeat)
    ours = _best(lambda: parse_boris_tabular(tsv, filename="events.tsv"), repeat)
    n_rows = tsv.count(b"\n") - 1
    results.append(
        {
            "name": f"parse BORIS tabular TSV ({n_rows:,} rows)",
            "ours_s": ours,
            "floor_s": floor,
            "ratio": ours / floor,
            "target": 3.0,
        }
    )

    frame = _events(n_parquet)
    floor = _best(lambda: frame.to_parquet(io.BytesIO(), index=False), repeat)
    ours = _best(lambda: write_tidy_parquet(frame), repeat)
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


def _table(results: list[dict[str, object]]) -> str:
    lines = [f"{'benchmark':<44} {'ours s':>9} {'floor s':>9} {'ratio':>7} {'target':>7}"]
    for r in results:
        ok = "ok" if float(r["ratio"]) <= float(r["target"]) else "SLOW"  # type: ignore[arg-type]
        lines.append(
            f"{r['name']:<44} {r['ours_s']:>9.3f} {r['floor_s']:>9.3f} {r['ratio']:>7.2f} {r['target']:>6.1f}x {ok}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    measured = run(quick="--quick" in sys.argv)
    print(_table(measured))
    print(json.dumps(measured, indent=1))
