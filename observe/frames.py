"""The tidy event frame: the one table shape that storage, analysis, charts and
interop exchange.

One row per event. A state is an interval ``[start_s, end_s)``; a point has
``end_s`` = NaN. Times are seconds with millisecond precision.
"""

from __future__ import annotations

import pandas as pd

#: The leading columns of every events export, in this order (a public contract:
#: scripts and other tools rely on it).
EXPORT_COLUMNS: tuple[str, ...] = (
    "session",  # session code, e.g. "K01-S03"
    "client",  # client pseudonymous code
    "observer",  # observer username
    "subject",  # "counselor", "client" or another scheme subject (e.g. "parent")
    "channel",  # FACE, GAZE, TRUNK, ARMS, SIT, POINT, PROCESS (or a custom scheme's)
    "cue",  # cue code, e.g. "G_EYE"
    "kind",  # "state" or "point"
    "start_s",
    "end_s",  # NaN for points
    "modifiers",  # "intensity=2;context=K", "" when none
    "comment",
)

#: Columns the store adds after the export columns (useful for analysis, joins).
EXTRA_COLUMNS: tuple[str, ...] = (
    "counselor",  # counselor code
    "session_number",  # 1, 2, ... within the client
    "session_date",  # datetime.date
    "duration_s",  # session length in seconds (states still open close here)
    "observation_id",
    "scheme_version",
    "event_id",
)

EVENT_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS + EXTRA_COLUMNS

#: The ME&E channels of the default scheme: exactly one state at any time per subject.
EXHAUSTIVE_CHANNELS: tuple[str, ...] = ("FACE", "GAZE", "TRUNK", "ARMS", "SIT")


def empty_events() -> pd.DataFrame:
    """An event frame with no rows and the right columns."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="float64" if c in ("start_s", "end_s", "duration_s") else "object")
            for c in EVENT_COLUMNS
        }
    )
