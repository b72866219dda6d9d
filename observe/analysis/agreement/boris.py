"""BORIS-compatible time-unit kappa, for cross-checking against BORIS projects.

Re-implemented from the description of ``boris/irr.py`` (Friard & Gamba 2016;
Bakeman & Quera 2011 p. 77) in DOMAIN §6 and the fixture notes: ticks
t = t₀ + iΔ from the first onset to the last offset of both observations
(inclusive); at each tick each subject's category is the *multiset* of its
states with start ≤ t ≤ stop plus its points with |t_p − t| ≤ Δ/2, so
co-occurring codes form composite categories; "nothing coded" is one shared
category; subjects are pooled into one table. We prefer per-channel kappas
(:func:`~observe.analysis.agreement.compare`); this mode exists so numbers can be
checked against what BORIS users see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observe.analysis.agreement.stats import KappaStats, contingency, kappa_from_table
from observe.errors import InvalidInput

NOTHING = "(none)"


@dataclass(frozen=True)
class BorisKappa:
    """Result of :func:`boris_kappa`.

    Attributes
    ----------
    kappa : float
        BORIS's K, unrounded (BORIS shows it rounded to 3 decimals); 1 when
        N − Σef = 0, as BORIS does.
    stats : KappaStats
        p_o, p_e, κ_max, PABAK and N (ticks × subjects) of the same table.
    table : DataFrame
        The composite-category agreement table (rows A, columns B).
    first_s, last_s : float
        The first and last tick.
    """

    kappa: float
    stats: KappaStats
    table: pd.DataFrame
    first_s: float
    last_s: float


def boris_kappa(
    events_a: pd.DataFrame,
    events_b: pd.DataFrame,
    *,
    unit: float = 1.0,
    subjects: Sequence[str] | None = None,
    cues: Sequence[str] | None = None,
    include_modifiers: bool = False,
) -> BorisKappa:
    """Cohen's kappa the way BORIS computes it (composite categories, pooled subjects).

    Parameters
    ----------
    events_a, events_b : DataFrame
        Tidy event frames (``observe.model``) of the two observations.
    unit : float
        Tick interval Δ in seconds.
    subjects, cues : sequence of str, optional
        Restrict to these subjects and cues (BORIS's selected subjects and behaviours).
    include_modifiers : bool
        Distinguish codes by their modifiers, as BORIS's option of that name.

    Returns
    -------
    BorisKappa

    Raises
    ------
    InvalidInput
        ``agreement.no_events_observation`` when an observation has no
        selected events (BORIS returns its −100 sentinel there).

    Examples
    --------
    >>> ev = pd.DataFrame({"subject": ["s1", "s1"], "cue": ["x", "p"], "kind": ["state", "point"],
    ...                    "start_s": [0.0, 2.0], "end_s": [3.0, float("nan")], "modifiers": ["", ""]})
    >>> boris_kappa(ev, ev).kappa
    1.0
    """
    if unit <= 0 or not math.isfinite(unit):
        raise InvalidInput("agreement.bad_unit", value=unit)
    a = _select(events_a, subjects, cues, include_modifiers)
    b = _select(events_b, subjects, cues, include_modifiers)
    for name, frame in (("A", a), ("B", b)):
        if frame.empty:
            raise InvalidInput("agreement.no_events_observation", observer=_observer(frame, name))
    both = pd.concat([a, b], ignore_index=True)
    first, last = float(both["start"].min()), float(both["stop"].max())
    count = int(math.floor((last - first) / unit + 1e-9)) + 1
    # BORIS steps with Decimal(str(first)) + i·Δ; rounding to 1 ns gives the same floats.
    ticks = np.round(first + np.arange(count) * unit, 9)
    subject_list = list(subjects) if subjects is not None else sorted(both["subject"].unique())
    cue_list = sorted(both["cue"].unique())
    keys_a = _tick_keys(a, subject_list, cue_list, ticks, unit)
    keys_b = _tick_keys(b, subject_list, cue_list, ticks, unit)
    uniq, inverse = _unique_rows(np.vstack((keys_a, keys_b)))
    n = len(keys_a)
    table = contingency(inverse[:n], inverse[n:], len(uniq))
    labels = [_label(row, subject_list, cue_list) for row in uniq]
    stats = kappa_from_table(table)
    counts = table.astype(float)
    total = counts.sum()
    sum_ef = float(counts.sum(axis=1) @ counts.sum(axis=0)) / total
    kappa = 1.0 if total - sum_ef == 0 else float((np.trace(counts) - sum_ef) / (total - sum_ef))
    frame = pd.DataFrame(table, index=pd.Index(labels, name="A"), columns=pd.Index(labels, name="B"))
    return BorisKappa(kappa, stats, frame, float(ticks[0]), float(ticks[-1]))


def _select(
    events: pd.DataFrame, subjects: Sequence[str] | None, cues: Sequence[str] | None, include_modifiers: bool
) -> pd.DataFrame:
    frame = events
    if subjects is not None:
        frame = frame[frame["subject"].isin(list(subjects))]
    if cues is not None:
        frame = frame[frame["cue"].isin(list(cues))]
    cue = frame["cue"].astype(str)
    if include_modifiers and "modifiers" in frame.columns:
        cue = cue + "|" + frame["modifiers"].fillna("").astype(str)
    is_point = (frame["kind"] == "point").to_numpy()
    start = frame["start_s"].to_numpy(dtype=float)
    end = frame["end_s"].to_numpy(dtype=float)
    if "duration_s" in frame.columns:
        end = np.where(np.isnan(end), frame["duration_s"].to_numpy(dtype=float), end)
    # a point is an aggregated event with start = stop
    stop = np.where(is_point, start, end)
    out = pd.DataFrame(
        {
            "subject": frame["subject"].astype(str).to_numpy(),
            "cue": cue.to_numpy(),
            "point": is_point,
            "start": start,
            "stop": stop,
        }
    )
    if "observer" in frame.columns:
        out.attrs["observer"] = ", ".join(sorted(frame["observer"].dropna().astype(str).unique()))
    return out[~np.isnan(out["stop"].to_numpy())]


def _observer(frame: pd.DataFrame, fallback: str) -> str:
    return str(frame.attrs.get("observer") or fallback)


def _tick_keys(
    events: pd.DataFrame, subjects: list[str], cues: list[str], ticks: np.ndarray, unit: float
) -> np.ndarray:
    """Rows [subject, state counts..., point counts...] per (subject, tick); subject −1 when nothing is coded."""
    half = unit / 2
    blocks = []
    for s_idx, subject in enumerate(subjects):
        mine = events[events["subject"] == subject]
        counts = np.zeros((len(ticks), 2 * len(cues)), dtype=np.int64)
        for c_idx, cue in enumerate(cues):
            rows = mine[mine["cue"] == cue]
            states = rows[~rows["point"]]
            if len(states):
                starts = np.sort(states["start"].to_numpy())
                stops = np.sort(states["stop"].to_numpy())
                # start ≤ t ≤ stop, both ends inclusive like SQL BETWEEN
                counts[:, c_idx] = np.searchsorted(starts, ticks, "right") - np.searchsorted(
                    stops, ticks, "left"
                )
            points = np.sort(rows.loc[rows["point"], "start"].to_numpy())
            if len(points):
                counts[:, len(cues) + c_idx] = _points_near(points, ticks, half)
        subject_col = np.where(counts.any(axis=1), s_idx, -1)
        blocks.append(np.column_stack((subject_col, counts)))
    return np.vstack(blocks)


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows (sorted) and each row's index, via one byte-string view (much faster than axis=0)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(as_bytes, return_index=True, return_inverse=True)
    uniq = rows[first]
    # np.unique on bytes orders rows differently from numbers; sort the distinct rows numerically
    order = np.lexsort(uniq.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], rank[inverse.ravel()]


def _points_near(points: np.ndarray, ticks: np.ndarray, half: float) -> np.ndarray:
    """#{p : |p − t| ≤ half} per tick, testing the same float expression BORIS's SQL does."""
    lo = np.searchsorted(points, ticks - half - 1e-6, "left")
    hi = np.searchsorted(points, ticks + half + 1e-6, "right")
    out = np.zeros(len(ticks), dtype=np.int64)
    for k in range(int((hi - lo).max(initial=0))):
        idx = lo + k
        inside = idx < hi
        near = np.abs(points[np.minimum(idx, len(points) - 1)] - ticks) <= half
        out += inside & near
    return out


def _label(row: np.ndarray, subjects: list[str], cues: list[str]) -> str:
    if row[0] < 0:
        return NOTHING
    parts = [cue for cue, n in zip(cues, row[1 : 1 + len(cues)], strict=True) for _ in range(int(n))]
    parts += [cue for cue, n in zip(cues, row[1 + len(cues) :], strict=True) for _ in range(int(n))]
    return f"{subjects[int(row[0])]}: {'+'.join(parts)}"
