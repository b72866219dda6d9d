"""The house colours of every chart: one valence colour map, used everywhere (DESIGN.md).

Okabe-Ito blue for open, grey for neutral, vermillion for closed — distinguishable with the
common colour-vision deficiencies (Okabe & Ito 2008) — and a light grey for not visible / no
valence (NA, never neutral).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    pass

#: valence class → colour (Okabe-Ito)
VALENCE_COLOURS: dict[str, str] = {
    "open": "#0072B2",
    "neutral": "#999999",
    "closed": "#D55E00",
    "na": "#D9D9D9",
}
_CLASS_OF = {1.0: "open", 0.0: "neutral", -1.0: "closed"}


def valence_class(value: float | None) -> str:
    """``open`` / ``neutral`` / ``closed`` for +1 / 0 / −1; ``na`` for a missing valence.

    >>> valence_class(-1), valence_class(float("nan"))
    ('closed', 'na')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "na"
    return _CLASS_OF.get(float(value), "na")


def session_end(frame: pd.DataFrame) -> float:
    """Where a still running state is drawn to when the frame has no session duration."""
    times = pd.concat([frame["start_s"], frame["end_s"]]).astype(float)
    return float(times.max()) if times.notna().any() else 0.0


def score_class(value: float | None, band: float = 0.1) -> str:
    """Valence class of a continuous score in [−1, 1], for colouring only (not a finding).

    Scores within ±``band`` of 0 are neutral.

    >>> score_class(0.4), score_class(-0.05), score_class(-0.3), score_class(float("nan"))
    ('open', 'neutral', 'closed', 'na')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "na"
    return "open" if value > band else "closed" if value < -band else "neutral"


def score_colours(values: pd.Series | np.ndarray) -> list[str]:
    """The valence colour of each score (see :func:`score_class`)."""
    return [VALENCE_COLOURS[score_class(float(v))] for v in np.asarray(values, dtype=float)]


#: Diverging scale for residuals/Q: closed colour (negative) → white → open colour (positive).
DIVERGING_SCALE = [[0.0, VALENCE_COLOURS["closed"]], [0.5, "#FFFFFF"], [1.0, VALENCE_COLOURS["open"]]]
