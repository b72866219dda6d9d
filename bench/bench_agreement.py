"""Agreement speed against the floor: sampling both observations onto the unit grid (issue 5).

Targets, for two 60-minute observations with about 2,000 events each and a 0.1 s unit:

* :func:`observe.analysis.agreement.compare` (every time-unit kappa, matrices,
  event matching, notes) takes at most 5× the time of merely sampling the two
  observations onto the grid — the unavoidable part: a bare pandas groupby per
  subject × channel with ``np.searchsorted`` for states and the half-unit marks
  for points (``ratio = ours_s / floor_s``);
* and at most 1 second (``ratio = ours_s / 1 s``).

The tolerance (τ = 2 s) and BORIS-compatible modes are reported for information.
Each timing is the best of a few alternating runs, because the machine is shared.

Run: ``python -m bench.bench_agreement`` (``--quick`` for a 10-minute session).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from bench._common import print_rows, time_pair
from observe.analysis.agreement import boris_kappa, compare
from observe.analysis.agreement.simulate import second_observer, simulate_observation

UNIT = 0.1


def sample_floor(events: pd.DataFrame, unit: float) -> dict[tuple[int, int], np.ndarray]:
    """The floor: the leanest sampling of one observation onto the unit grid.

    Integer-coded cues, one sort by (subject, channel, start), then per subject ×
    channel ``np.searchsorted`` of the unit midpoints for the states and the
    half-unit marks for the points. No validation, no labels, no tables.
    """
    length = float(events["duration_s"].max())
    mids = (np.arange(int(length / unit)) + 0.5) * unit
    group, _ = pd.factorize(events["subject"].astype(str) + "|" + events["channel"].astype(str))
    cue, _ = pd.factorize(events["cue"])
    start = events["start_s"].to_numpy(dtype=float)
    end = events["end_s"].to_numpy(dtype=float)
    point = (events["kind"] == "point").to_numpy()
    order = np.lexsort((start, group))
    group, cue, start, end, point = group[order], cue[order], start[order], end[order], point[order]
    cuts = np.flatnonzero(np.diff(group)) + 1
    out: dict[tuple[int, int], np.ndarray] = {}
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(group)], strict=True):
        s = ~point[lo:hi]
        st, en, cu = start[lo:hi][s], end[lo:hi][s], cue[lo:hi][s]
        idx = np.searchsorted(st, mids, side="right") - 1
        safe = np.maximum(idx, 0)
        out[(int(group[lo]), -1)] = (
            np.where((idx >= 0) & (mids < en[safe]), cu[safe], -1) if len(st) else mids
        )
        x, pc = start[lo:hi][~s] / unit, cue[lo:hi][~s]
        for c in np.unique(pc):
            present = np.zeros(len(mids), dtype=bool)
            for i in (np.floor(x[pc == c]).astype(int), np.ceil(x[pc == c] - 1).astype(int)):
                present[i[(i >= 0) & (i < len(mids))]] = True
            out[(int(group[lo]), int(c))] = present
    return out


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time compare() and the sampling floor on one simulated double-coded session."""
    minutes = 10 if quick else 60
    n_events = 400 if quick else 2000
    repeats = 3 if quick else 5
    a = simulate_observation(duration_s=minutes * 60.0, n_events=n_events, seed=0)
    b = second_observer(a, seed=1)
    label = f"{minutes} min, {len(a)}+{len(b)} events, unit {UNIT:g} s"

    def floor() -> None:
        sample_floor(a, UNIT)
        sample_floor(b, UNIT)

    rows: list[dict[str, object]] = []
    ours_s, floor_s = time_pair(lambda: compare(a, b, unit=UNIT), floor, repeats)
    rows.append(
        {
            "name": f"compare vs sampling floor ({label})",
            "ours_s": round(ours_s, 4),
            "floor_s": round(floor_s, 4),
            "ratio": round(ours_s / floor_s, 2),
            "target": "<= 5 (times the sampling floor)",
        }
    )
    rows.append(
        {
            "name": f"compare wall time ({label})",
            "ours_s": round(ours_s, 4),
            "floor_s": 1.0,
            "ratio": round(ours_s / 1.0, 3),
            "target": "<= 1 (fraction of 1 second)",
        }
    )
    tol_s, floor_s = time_pair(lambda: compare(a, b, unit=UNIT, tolerance=2.0), floor, repeats)
    rows.append(
        {
            "name": f"compare with tolerance 2 s vs sampling floor ({label})",
            "ours_s": round(tol_s, 4),
            "floor_s": round(floor_s, 4),
            "ratio": round(tol_s / floor_s, 2),
            "target": "info",
        }
    )
    boris_s, floor_s = time_pair(lambda: boris_kappa(a, b, unit=UNIT), floor, max(1, repeats // 2))
    rows.append(
        {
            "name": f"BORIS-compatible kappa vs sampling floor ({label})",
            "ours_s": round(boris_s, 4),
            "floor_s": round(floor_s, 4),
            "ratio": round(boris_s / floor_s, 2),
            "target": "info",
        }
    )
    return rows


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
