"""Hypothesis strategies for tidy event frames that every interchange format can carry."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import strategies as st

from observe.interop.bundle import events_frame

#: Cue → (channel, kind): as in a coding scheme, a cue belongs to one channel and is one kind.
CUES = {
    "G_EYE": ("GAZE", "state"),
    "G_DOWN": ("GAZE", "state"),
    "F_SMILE": ("FACE", "state"),
    "D_DISCLOSE": ("PROCESS", "state"),
    "P_NOD": ("POINT", "point"),
    "R3_REFUSE": ("PROCESS", "point"),
}
_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=6
)
_SAFE_TEXT = st.text(alphabet="abcdefghij XYZ0123456789_.!?éü", max_size=12).map(str.strip)


@st.composite
def modifiers(draw: st.DrawFn) -> str:
    keys = draw(
        st.lists(st.sampled_from(["intensity", "context", "Modifier #1", "side"]), unique=True, max_size=3)
    )
    values = [draw(_WORD.filter(lambda v: v not in ("None", "NA", "nan"))) for _ in keys]
    return ";".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))


@st.composite
def event_rows(draw: st.DrawFn, *, sessions: tuple[str, ...] = ("S1", "S2")) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        cue = draw(st.sampled_from(sorted(CUES)))
        channel, kind = CUES[cue]
        start_ms = draw(st.integers(0, 3_600_000))
        length_ms = draw(st.integers(1, 600_000))
        rows.append(
            {
                "session": draw(st.sampled_from(sessions)),
                "subject": draw(st.sampled_from(["client", "counselor", "parent"])),
                "channel": channel,
                "cue": cue,
                "kind": kind,
                "start_s": start_ms / 1000,
                "end_s": (start_ms + length_ms) / 1000 if kind == "state" else math.nan,
                "modifiers": draw(modifiers()),
                "comment": draw(_SAFE_TEXT),
            }
        )
    return _representable(events_frame(rows))


def _representable(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop what BORIS's toggle model cannot hold: overlapping states of one key, duplicates,
    and 1 ms gaps that the importer deliberately snaps (FORMATS §1.3)."""
    frame = frame.drop_duplicates(subset=["session", "subject", "cue", "kind", "start_s", "modifiers"])
    keep = []
    last_end: dict[tuple, float] = {}
    for idx, row in frame.sort_values("start_s", kind="stable").iterrows():
        if row["kind"] == "state":
            key = (row["session"], row["subject"], row["cue"], row["modifiers"])
            if row["start_s"] < last_end.get(key, -1.0):
                continue
            last_end[key] = row["end_s"]
        keep.append(idx)
    frame = frame.loc[sorted(keep)]
    states = frame[frame["kind"] == "state"]
    bad = set()
    for _, a in states.iterrows():
        near = states[
            (states["session"] == a["session"])
            & (states["subject"] == a["subject"])
            & (states["channel"] == a["channel"])
            & (states["cue"] != a["cue"])
            & ((states["start_s"] - a["end_s"]).round(3) > 0)
            & ((states["start_s"] - a["end_s"]).round(3) <= 0.001)
        ]
        if len(near):
            bad.add(a.name)
    return frame.drop(index=list(bad)).reset_index(drop=True)


def canonical(
    frame: pd.DataFrame, columns: tuple[str, ...] | None = None, *, sort_modifiers: bool = False
) -> list[tuple]:
    """Events as sorted tuples for order-free comparison (times to the millisecond).

    ``sort_modifiers`` compares modifier pairs as a set (BORIS projects store them in
    the behaviour's set order, not the order an event listed them).
    """
    cols = list(
        columns
        or ("session", "subject", "channel", "cue", "kind", "start_s", "end_s", "modifiers", "comment")
    )
    out = []
    for row in frame[cols].to_dict("records"):
        if sort_modifiers and "modifiers" in row:
            row["modifiers"] = ";".join(sorted(p for p in row["modifiers"].split(";") if p))
        out.append(
            tuple(
                ("NaN" if math.isnan(v) else round(v, 3)) if isinstance(v, float) else v for v in row.values()
            )
        )
    return sorted(out, key=repr)
