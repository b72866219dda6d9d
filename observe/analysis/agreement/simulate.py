"""Synthetic double-coded observations, for tests, benchmarks and demos.

:func:`simulate_observation` draws one observer's coding of a session (ME&E
channels as back-to-back bouts, point cues as a Poisson stream);
:func:`second_observer` derives another observer's coding from it with timing
jitter, code confusions and missed/extra points, so agreement is high but not
perfect, as between trained observers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observe.model import EVENT_COLUMNS

#: A few cues per channel of the default scheme (DOMAIN §1), enough to simulate.
SIM_CUES: dict[str, tuple[str, ...]] = {
    "FACE": ("F_SMILE", "F_NEUT", "F_SAD", "F_TENSE", "F_NV"),
    "GAZE": ("G_EYE", "G_TASK", "G_DOWN", "G_AWAY", "G_NV"),
    "TRUNK": ("T_FWD", "T_UP", "T_BACK", "T_AWAY", "T_NV"),
    "ARMS": ("A_OPEN", "A_GEST", "A_CROSS", "A_MANIP", "A_NV"),
    "SIT": ("S_RELAX", "S_CROSS_TO", "S_CROSS_AWAY", "S_RESTLESS", "S_NV"),
}
SIM_POINTS: tuple[str, ...] = ("P_NOD", "P_LAUGH", "P_SHAKE", "P_SIGH", "P_SELFTOUCH")


def simulate_observation(
    *,
    duration_s: float = 600.0,
    n_events: int = 200,
    point_share: float = 0.3,
    subjects: tuple[str, ...] = ("client", "counselor"),
    seed: int = 0,
    session: str = "SIM-S01",
    observer: str = "obs_a",
) -> pd.DataFrame:
    """One observer's events: ME&E bouts per subject and channel plus point cues.

    Parameters
    ----------
    duration_s : float
        Session length.
    n_events : int
        Approximate total number of events.
    point_share : float
        Share of the events that are point cues.
    subjects : tuple of str
        Subjects coded.
    seed : int
        Random seed (the result is deterministic).
    session, observer : str
        Written to the ``session`` and ``observer`` columns.

    Returns
    -------
    DataFrame
        Tidy event frame (:data:`observe.model.EVENT_COLUMNS`).

    Examples
    --------
    >>> ev = simulate_observation(n_events=50, seed=1)
    >>> sorted(ev["kind"].unique().tolist())
    ['point', 'state']
    """
    rng = np.random.default_rng(seed)
    n_points = int(round(n_events * point_share))
    per_series = max(1, (n_events - n_points) // (len(subjects) * len(SIM_CUES)))
    rows: list[dict[str, object]] = []
    for subject in subjects:
        for channel, cues in SIM_CUES.items():
            # bouts back to back: a new state closes the previous one (ME&E)
            cuts = np.sort(rng.uniform(0.0, duration_s, per_series - 1))
            starts: np.ndarray = np.round(np.concatenate(([rng.uniform(0.0, 5.0)], cuts)), 3)
            ends = np.concatenate((starts[1:], [duration_s]))
            codes = rng.choice(len(cues) - 1, size=len(starts))  # NV is coded explicitly only rarely
            for s, e, c in zip(starts, ends, codes, strict=True):
                if e > s:
                    rows.append(_row(subject, channel, cues[c], "state", s, e))
    for t in np.round(np.sort(rng.uniform(0.0, duration_s, n_points)), 3):
        rows.append(_row(str(rng.choice(subjects)), "POINT", str(rng.choice(SIM_POINTS)), "point", t, np.nan))
    return _frame(rows, session, observer, duration_s)


def second_observer(
    events: pd.DataFrame,
    *,
    jitter_s: float = 0.3,
    confusion: float = 0.05,
    miss: float = 0.05,
    seed: int = 1,
    observer: str = "obs_b",
) -> pd.DataFrame:
    """Another observer's coding of the same session, derived from ``events``.

    Boundaries move by N(0, jitter_s) (kept in order), a share ``confusion`` of
    codes switches to another cue of the channel, and a share ``miss`` of
    points is missed while as many extra points are added.

    Examples
    --------
    >>> a = simulate_observation(n_events=60, seed=2)
    >>> b = second_observer(a, seed=3)
    >>> set(b["observer"]), len(b) > 0
    ({'obs_b'}, True)
    """
    rng = np.random.default_rng(seed)
    duration = float(events["duration_s"].iloc[0])
    out = []
    states = events[events["kind"] == "state"]
    for (_, channel), g in states.groupby(["subject", "channel"], sort=False):
        g = g.sort_values("start_s")
        starts = g["start_s"].to_numpy(float) + rng.normal(0.0, jitter_s, len(g))
        starts = np.round(np.clip(np.maximum.accumulate(starts), 0.0, duration), 3)
        cues = g["cue"].to_numpy(object).copy()
        flip = rng.random(len(g)) < confusion
        pool = SIM_CUES.get(str(channel), tuple(np.unique(cues)))
        cues[flip] = rng.choice(pool, size=int(flip.sum()))
        out.append(g.assign(start_s=starts, end_s=np.r_[starts[1:], duration], cue=cues))
    points = events[events["kind"] == "point"]
    kept = points[rng.random(len(points)) >= miss]
    moved = np.clip(kept["start_s"].to_numpy(float) + rng.normal(0.0, jitter_s, len(kept)), 0.0, duration)
    out.append(kept.assign(start_s=np.round(moved, 3)))
    n_extra = len(points) - len(kept)
    if n_extra:
        extra = points.sample(n=n_extra, random_state=int(rng.integers(1 << 31)), replace=True)
        out.append(extra.assign(start_s=np.round(rng.uniform(0.0, duration, n_extra), 3)))
    frame = pd.concat(out, ignore_index=True)
    frame = frame[(frame["kind"] == "point") | (frame["end_s"] > frame["start_s"])]
    session = str(frame["session"].iloc[0]) if len(frame) else ""
    return frame.assign(
        observer=observer, observation_id=f"{session}-{observer}", event_id=np.arange(len(frame))
    ).reset_index(drop=True)


def _row(subject: str, channel: str, cue: str, kind: str, start: float, end: float) -> dict[str, object]:
    return {"subject": subject, "channel": channel, "cue": cue, "kind": kind, "start_s": float(start),
            "end_s": float(end)}  # fmt: skip


def _frame(rows: list[dict[str, object]], session: str, observer: str, duration: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame = frame.assign(
        session=session,
        client="SIM",
        observer=observer,
        modifiers="",
        comment="",
        counselor="SIMC",
        session_number=1,
        session_date=None,
        duration_s=float(duration),
        observation_id=f"{session}-{observer}",
        scheme="default",
        scheme_version="1",
        event_id=np.arange(len(frame)),
    )
    return frame[list(EVENT_COLUMNS)]
