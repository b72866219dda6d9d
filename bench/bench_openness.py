"""Benchmark: the openness index against one pandas groupby-sum pass (issue 4, "Speed").

Targets, measured in one run so machine drift cancels:

* 1,000 sessions × 2,000 events: openness (per-window + per-session score) ≤ 3× the time
  of a single ``groupby([...]).sum()`` over the same event frame (the floor: one pass);
* linear growth: 2,000,000 events ≤ 12× the time of 200,000 events.

The session CI (moving-block bootstrap, B = 2000 per session) is reported on its own
row for information: it is B × n work per session, independent of the event count.

Run ``python bench/bench_openness.py [--quick]``; ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import best_of, print_rows  # noqa: E402
from observe.analysis.openness import OpennessParams, openness  # noqa: E402
from observe.model import EXHAUSTIVE_CHANNELS  # noqa: E402

STATE_CUES = {
    "FACE": ["F_SMILE", "F_NEUT", "F_SAD", "F_TENSE", "F_FLAT", "F_NV"],
    "GAZE": ["G_EYE", "G_TASK", "G_DOWN", "G_AWAY", "G_CLOSED", "G_NV"],
    "TRUNK": ["T_FWD", "T_UP", "T_BACK", "T_AWAY", "T_NV"],
    "ARMS": ["A_OPEN", "A_GEST", "A_CROSS", "A_MANIP", "A_NV"],
    "SIT": ["S_RELAX", "S_CROSS_TO", "S_CROSS_AWAY", "S_RIGID", "S_NV"],
}
POINT_CUES = ["P_NOD", "P_LAUGH", "P_SHAKE", "P_SIGH", "R3_REFUSE", "R3_AVOID"]
VALUE = {"SMILE": 1, "EYE": 1, "FWD": 1, "OPEN": 1, "GEST": 1, "RELAX": 1, "NOD": 1, "LAUGH": 1}
NEG = {"TENSE", "FLAT", "DOWN", "AWAY", "BACK", "CROSS", "CROSS_AWAY", "RIGID", "REFUSE", "AVOID"}


def valences() -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for subject in ("client", "counselor"):
        for cue in [c for cues in STATE_CUES.values() for c in cues] + POINT_CUES:
            tail = cue.split("_", 1)[1]
            out[(subject, cue)] = np.nan if tail == "NV" else VALUE.get(tail, -1 if tail in NEG else 0)
    return out


def make_events(
    n_sessions: int, events_per_session: int = 2000, length_s: float = 3000.0, seed: int = 0
) -> pd.DataFrame:
    """A realistic tidy event frame: both subjects, 5 ME&E channels as contiguous states, plus points."""
    rng = np.random.default_rng(seed)
    per_subject = events_per_session // 2
    n_points = per_subject // 5
    per_channel = (per_subject - n_points) // len(EXHAUSTIVE_CHANNELS)
    parts = []
    for subject in ("client", "counselor"):
        for channel, cues in STATE_CUES.items():
            gaps = rng.exponential(1.0, size=(n_sessions, per_channel))
            bounds = np.cumsum(gaps, axis=1) / gaps.sum(axis=1, keepdims=True) * length_s
            start = np.hstack([np.zeros((n_sessions, 1)), bounds[:, :-1]])
            end = bounds.copy()
            end[:, -1] = np.nan  # the last state is still running: it closes at the session end
            parts.append(_part(subject, channel, "state", rng.choice(cues, size=start.size), start, end, rng))
        t = np.sort(rng.uniform(0, length_s, size=(n_sessions, n_points)), axis=1)
        parts.append(
            _part(subject, "POINT", "point", rng.choice(POINT_CUES, size=t.size), t, t * np.nan, rng)
        )
    ev = pd.concat(parts, ignore_index=True)
    ev["duration_s"] = length_s
    ev["session_number"] = ev["session"].str[-3:].astype(int) % 20 + 1
    ev["client"] = "K" + (ev["session"].str[-3:].astype(int) // 20).astype(str)
    ev["counselor"] = "C1"
    ev["observation_id"] = ev["session"]
    ev["scheme_version"] = "1"
    ev["event_id"] = np.arange(len(ev))
    ev["modifiers"] = ""
    ev["comment"] = ""
    ev["session_date"] = pd.Timestamp("2026-01-01")
    return ev.sort_values(["session", "start_s"], kind="stable", ignore_index=True)


def _part(
    subject: str, channel: str, kind: str, cues: np.ndarray, start: np.ndarray, end: np.ndarray, rng: Any
) -> pd.DataFrame:
    n_sessions, per = start.shape
    sessions = np.repeat(np.array([f"S{i:05d}" for i in range(n_sessions)], dtype=object), per)
    return pd.DataFrame(
        {
            "session": pd.array(sessions, dtype="str"),
            "observer": "obs1",
            "subject": subject,
            "channel": channel,
            "cue": pd.array(cues, dtype="str"),
            "kind": kind,
            "start_s": start.ravel(),
            "end_s": end.ravel(),
        }
    )


def _floor(ev: pd.DataFrame) -> object:
    # one pass over the frame grouped by the keys the index needs (observation, subject, channel)
    return ev.groupby(["session", "observer", "subject", "channel"], observed=True)[
        ["start_s", "end_s"]
    ].sum()


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measure the ratios; ``quick`` uses 10× fewer sessions (for smoke tests)."""
    big_n = 100 if quick else 1000
    repeat = 2 if quick else 3
    no_ci = OpennessParams(n_boot=0)
    val = valences()
    big = make_events(big_n)
    small = make_events(big_n // 10, seed=1)

    ours_big = best_of(lambda: openness(big, val, params=no_ci), repeat)
    floor_big = best_of(lambda: _floor(big), repeat)
    ours_small = best_of(lambda: openness(small, val, params=no_ci), repeat)
    with_ci = best_of(lambda: openness(big, val, params=OpennessParams()), 1)
    n_big, n_small = len(big), len(small)
    return [
        {
            "name": f"openness index, {n_big:,} events vs groupby-sum",
            "ours_s": ours_big,
            "floor_s": floor_big,
            "ratio": ours_big / floor_big,
            "target": 3.0,
        },
        {
            "name": f"openness growth, {n_big:,} vs {n_small:,} events",
            "ours_s": ours_big,
            "floor_s": ours_small,
            "ratio": ours_big / ours_small,
            "target": 12.0,
        },
        {
            "name": f"openness + bootstrap CI (B=2000) for {big_n} sessions vs groupby-sum (info)",
            "ours_s": with_ci,
            "floor_s": floor_big,
            "ratio": with_ci / floor_big,
            "target": None,
        },
    ]


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
