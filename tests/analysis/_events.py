"""Helpers to build small tidy event frames and the DOMAIN.md valence tables for analysis tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

NA = math.nan

# DOMAIN.md §1.1/§1.2 "Val" column, default profile (client K) and counselor column of §2.
CLIENT_DEFAULT: dict[str, float] = {
    "F_SMILE": 1, "F_NEUT": 0, "F_SAD": 0, "F_TENSE": -1, "F_FLAT": -1, "F_CONTEMPT": -1, "F_NV": NA,
    "G_EYE": 1, "G_TASK": 0, "G_DOWN": -1, "G_AWAY": -1, "G_CLOSED": 0, "G_NV": NA,
    "T_FWD": 1, "T_UP": 0, "T_BACK": -1, "T_AWAY": -1, "T_SLUMP": 0, "T_NV": NA,
    "A_OPEN": 1, "A_GEST": 1, "A_CROSS": -1, "A_SHIELD": -1, "A_MANIP": 0, "A_NV": NA,
    "S_RELAX": 1, "S_CROSS_TO": 0, "S_CROSS_AWAY": -1, "S_RIGID": -1, "S_RESTLESS": 0, "S_NV": NA,
    "P_NOD": 1, "P_LAUGH": 1, "P_SHAKE": 0, "P_SIGH": 0, "P_SELFTOUCH": 0, "P_TEARS": 0, "P_LOOKAWAY_Q": -1,
    "R3_WITHHOLD": -1, "R3_AVOID": -1, "R3_REFUSE": -1, "R3_ARGUE": -1,
}  # fmt: skip


def client_valences() -> dict[tuple[str, str], float]:
    return {("client", c): v for c, v in CLIENT_DEFAULT.items()}


def counselor_valences() -> dict[tuple[str, str], float]:
    out = {
        ("counselor", c): v
        for c, v in CLIENT_DEFAULT.items()
        if not c.startswith(("R3", "P_LOOK", "P_TEARS"))
    }
    out[("counselor", "S_RESTLESS")] = -1  # DOMAIN §2 counselor column
    out[("counselor", "G_STARE")] = -1
    return out


CHANNEL_OF = {"F": "FACE", "G": "GAZE", "T": "TRUNK", "A": "ARMS", "S": "SIT"}


def state(cue: str, start: float, end: float, subject: str = "client", **kw: object) -> dict[str, object]:
    return {"subject": subject, "channel": CHANNEL_OF[cue[0]], "cue": cue, "kind": "state",
            "start_s": float(start), "end_s": float(end), **kw}  # fmt: skip


def point(cue: str, t: float, subject: str = "client", **kw: object) -> dict[str, object]:
    return {"subject": subject, "channel": "POINT", "cue": cue, "kind": "point", "start_s": float(t),
            "end_s": np.nan, **kw}  # fmt: skip


def process(cue: str, start: float, end: float, subject: str = "client") -> dict[str, object]:
    return {"subject": subject, "channel": "PROCESS", "cue": cue, "kind": "state",
            "start_s": float(start), "end_s": float(end)}  # fmt: skip


def frame(
    rows: list[dict[str, object]], *, session: str = "S1", duration: float = 60.0, **meta: object
) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.insert(0, "session", session)
    df.insert(1, "observer", meta.pop("observer", "obs1"))
    df["duration_s"] = float(duration)
    for k, v in meta.items():
        df[k] = v
    return df


def worked_example(points: bool = True) -> pd.DataFrame:
    """DOMAIN §3 worked example: one 60 s client window."""
    rows = [
        state("G_EYE", 0, 30), state("G_DOWN", 30, 50), state("G_NV", 50, 60),
        state("T_FWD", 0, 15), state("T_UP", 15, 60),
        state("A_CROSS", 0, 60),
        state("F_SMILE", 0, 10), state("F_NEUT", 10, 60),
        state("S_CROSS_TO", 0, 60),
    ]  # fmt: skip
    if points:
        rows += [point("P_NOD", t) for t in (5, 20, 40)] + [point("R3_REFUSE", 33)]
        rows += [point("P_SELFTOUCH", t) for t in (12, 44)]
    return frame(rows, duration=60.0)
