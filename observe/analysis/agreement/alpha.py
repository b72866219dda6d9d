"""Krippendorff's alpha over the unit series of two or more observers (DOMAIN §6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from observe.analysis.agreement import units as U
from observe.analysis.agreement.compare import (
    _EMPTY_GROUP,
    WHOLE_CHANNEL,
    _check_number,
    _frame,
    _nv_code,
    _points_only,
    _prepare,
    _presence,
)
from observe.analysis.agreement.stats import alpha_band, krippendorff_alpha_nominal
from observe.analysis.intervals import unit_midpoints
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS


def alpha_by_channel(
    observations: Sequence[pd.DataFrame] | Mapping[str, pd.DataFrame],
    *,
    unit: float = 1.0,
    exhaustive_channels: Sequence[str] = EXHAUSTIVE_CHANNELS,
    nv_codes: Mapping[str, str] | None = None,
    span: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Krippendorff's alpha (nominal) on the unit series of two or more observers.

    Same unit series as :func:`~observe.analysis.agreement.compare.compare` (ME&E
    channels by midpoint, other cues present/absent); units past an observer's coded
    extent E count as missing (DOMAIN §9.3: uncoded is not NV).

    Parameters
    ----------
    observations : sequence or mapping of DataFrame
        One tidy event frame per observer (same session).
    unit : float
        Time unit Δ in seconds.
    exhaustive_channels, nv_codes, span
        As in :func:`~observe.analysis.agreement.compare.compare`; ``span`` defaults to
        [0, the longest coded extent].

    Returns
    -------
    DataFrame
        Columns subject, channel, cue (``""`` for a whole channel), n_observers,
        n_units, alpha, band (reliable/tentative/unreliable/undefined).

    Examples
    --------
    >>> a = pd.DataFrame({"subject": "client", "channel": "GAZE", "cue": ["G_EYE", "G_AWAY"],
    ...                   "kind": "state", "start_s": [0.0, 5.0], "end_s": [5.0, 10.0]})
    >>> alpha_by_channel([a, a, a])[["channel", "alpha"]].values.tolist()
    [['GAZE', 1.0]]
    """
    _check_number("agreement.bad_unit", unit, positive=True)
    frames = list(observations.values()) if isinstance(observations, Mapping) else list(observations)
    if len(frames) < 2:
        raise InvalidInput("agreement.alpha_two_observers", count=len(frames))
    prepared = [_prepare(f, f"#{i + 1}") for i, f in enumerate(frames)]
    if span is None:
        span = (0.0, max(o.coded for o in prepared))
    mids = unit_midpoints(span[1], unit, span[0])
    exhaustive = frozenset(exhaustive_channels)
    rows = []
    for subject, channel in sorted(set().union(*(o.groups for o in prepared))):
        groups = [o.groups.get((subject, channel), _EMPTY_GROUP) for o in prepared]
        beyond = np.vstack([mids >= o.coded for o in prepared])
        series: list[tuple[str, np.ndarray]] = []
        if channel in exhaustive:
            nv = (nv_codes or {}).get(channel) or _nv_code(channel, *groups)
            states = [~g.is_point for g in groups]
            labels = pd.Index(sorted(set().union(*(g.cue[s].tolist() for g, s in zip(groups, states, strict=True)))
                                     | {nv}))  # fmt: skip
            codes = np.vstack(
                [
                    U.sample_exclusive(
                        g.start[s], g.end[s], labels.get_indexer(g.cue[s]), mids, labels.get_loc(nv)
                    )
                    for g, s in zip(groups, states, strict=True)
                ]  # fmt: skip
            )
            series.append((WHOLE_CHANNEL, codes))
            groups = [_points_only(g) for g in groups]
        for cue in sorted(set().union(*(g.cue.tolist() for g in groups))):
            series.append((cue, np.vstack([_presence(g, cue, len(mids), unit, span[0]) for g in groups])))
        for cue, codes in series:
            codes = np.where(beyond, -1, codes)
            alpha = krippendorff_alpha_nominal(codes)
            rows.append({"subject": subject, "channel": channel, "cue": cue, "n_observers": len(prepared),
                         "n_units": len(mids), "alpha": alpha, "band": alpha_band(alpha)})  # fmt: skip
    return _frame(rows, ("subject", "channel", "cue", "n_observers", "n_units", "alpha", "band"))
