"""Compare two observations of one session: the agreement tables behind the page and the CLI.

:func:`compare` runs, per subject and channel (DOMAIN §6, app version):

* a time-unit Cohen's kappa for every ME&E channel (each unit takes the state
  at its midpoint, NV included) and a present/absent kappa with PABAK and F1
  for every other cue (points under the half-unit rule, process-tier states at
  the midpoint), optionally with the boundary tolerance τ;
* event-based agreement (one-to-one matching, nil category, precision, recall,
  F1, timing errors);
* optionally BORIS's composite-category kappa for cross-checks.

:func:`~observe.analysis.agreement.alpha.alpha_by_channel` gives Krippendorff's
alpha on the same unit series when more than two observers coded a session.

Both run over the coded extent (DOMAIN §9.3): the span compared is [0, E] with E
the shorter of the two observations' coded extents; a state still running at E
ends there, and a point at exactly E counts in the last unit and in event matching
alike (DOMAIN §9.1). The result reports ``coverage`` = E/T.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from observe.analysis.agreement import units as U
from observe.analysis.agreement.boris import boris_kappa
from observe.analysis.agreement.events import Events, Matching, Tolerances, event_table, match_events
from observe.analysis.agreement.result import (
    AgreementResult,
    Note,
    _concat_columns,
    _frame,
    _matrix,
)
from observe.analysis.agreement.stats import (
    _prf,
    binary_scores,
    contingency,
    kappa_from_table,
    verdict,
)
from observe.analysis.intervals import (
    check_events,
    close_states,
    coded_extents,
    session_lengths,
    unit_midpoints,
)
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS

#: Label of the nil category in event-based tables (DOMAIN §6 "∅").
NIL = "∅"
#: ``cue`` value of a row that covers a whole ME&E channel.
WHOLE_CHANNEL = ""

_REQUIRED = ("subject", "channel", "cue", "kind", "start_s", "end_s")

TIME_UNIT_COLUMNS: tuple[str, ...] = (
    "subject", "channel", "cue", "level", "n_units", "n_codes", "kappa", "p_o", "p_e", "kappa_max",
    "pabak", "precision", "recall", "f1", "rate_a", "rate_b", "events_a", "events_b", "verdict", "reason",
)  # fmt: skip
EVENT_COLUMNS: tuple[str, ...] = (
    "subject", "channel", "events_a", "events_b", "matches", "confusions", "only_a", "only_b", "n_codes",
    "kappa", "p_o", "precision", "recall", "f1", "onset_mean", "onset_median", "offset_mean",
    "offset_median", "verdict", "reason",
)  # fmt: skip
PAIR_COLUMNS: tuple[str, ...] = (
    "subject", "channel", "outcome", "cue_a", "cue_b", "onset_a", "onset_b", "offset_a", "offset_b",
)  # fmt: skip
RUN_COLUMNS: tuple[str, ...] = ("subject", "channel", "start_s", "end_s", "duration_s", "cue_a", "cue_b")
RATE_COLUMNS: tuple[str, ...] = ("subject", "channel", "code", "rate_a", "rate_b")


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class _Group:
    """One observer's events of one (subject, channel), sorted by start."""

    cue: np.ndarray
    is_point: np.ndarray
    start: np.ndarray
    end: np.ndarray


_EMPTY_GROUP = _Group(np.array([], dtype=object), np.array([], dtype=bool), np.array([]), np.array([]))


@dataclass(frozen=True)
class _Observation:
    name: str
    session: str
    observation: str
    length: float
    coded: float
    versions: frozenset[str]
    groups: dict[tuple[str, str], _Group]


def _prepare(events: pd.DataFrame, fallback_name: str, coded_s: float | None = None) -> _Observation:
    missing = [c for c in _REQUIRED if c not in events.columns]
    if missing:
        raise InvalidInput("agreement.missing_columns", what=fallback_name, columns=", ".join(missing))
    check_events(events)
    name = _single(events, "observer", fallback_name)
    if len(events) == 0:
        raise InvalidInput("agreement.no_events_observation", observer=name)
    for col in ("session", "observation_id"):
        if col in events.columns and events[col].dropna().nunique() > 1:
            raise InvalidInput(
                "agreement.several_observations", observer=name, count=int(events[col].dropna().nunique())
            )
    one = np.zeros(len(events), dtype=np.int64)
    lengths = session_lengths(events, one, 1)
    length = float(lengths[0])
    coded = float(coded_extents(events, one, lengths, coded_s)[0])
    is_point = (events["kind"] == "point").to_numpy()
    start = events["start_s"].to_numpy(dtype=float)
    end = events["end_s"].to_numpy(dtype=float)
    # only the coded extent [0, E] is compared: a running state ends at E, and what starts
    # after E (or a state starting at E, which has no coded time) is left out (DOMAIN §9.3)
    inside = np.where(is_point, start <= coded, start < coded)
    events, is_point, start, end = events[inside], is_point[inside], start[inside], end[inside]
    s_closed, e_closed = close_states(start, end, np.full(len(start), coded))
    start = np.where(is_point, start, s_closed)
    end = np.where(is_point, np.nan, e_closed)
    subject = events["subject"].astype(str).to_numpy(dtype=object)
    channel = events["channel"].astype(str).to_numpy(dtype=object)
    cue = events["cue"].astype(str).to_numpy(dtype=object)
    order = np.lexsort((start, channel, subject))
    subject, channel, cue, is_point, start, end = (
        x[order] for x in (subject, channel, cue, is_point, start, end)
    )
    cuts = np.flatnonzero((subject[1:] != subject[:-1]) | (channel[1:] != channel[:-1])) + 1
    groups: dict[tuple[str, str], _Group] = {}
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(order)], strict=True):
        groups[(str(subject[lo]), str(channel[lo]))] = _Group(
            cue[lo:hi], is_point[lo:hi], start[lo:hi], end[lo:hi]
        )
    versions = (
        frozenset(events["scheme_version"].dropna().astype(str))
        if "scheme_version" in events
        else frozenset()
    )
    return _Observation(
        name=name,
        session=_single(events, "session", ""),
        observation=_single(events, "observation_id", ""),
        length=length,
        coded=coded,
        versions=versions,
        groups=groups,
    )


def _single(events: pd.DataFrame, column: str, fallback: str) -> str:
    if column not in events.columns:
        return fallback
    values = events[column].dropna().unique()
    return str(values[0]) if len(values) == 1 else fallback


def _restrict(
    obs: _Observation, allowed: frozenset[str] | None, exhaustive: frozenset[str]
) -> tuple[_Observation, set[str]]:
    """Drop cues outside ``allowed`` from the non-ME&E groups; report the dropped cue names.

    ME&E channels keep them: their units are removed later so the neighbouring
    states do not silently stretch over the gap.
    """
    if allowed is None:
        return obs, set()
    dropped: set[str] = set()
    groups = {}
    for key, g in obs.groups.items():
        keep = np.isin(g.cue, list(allowed))
        dropped.update(g.cue[~keep].tolist())
        if key[1] in exhaustive or keep.all():
            groups[key] = g
        else:
            groups[key] = _Group(g.cue[keep], g.is_point[keep], g.start[keep], g.end[keep])
    return _Observation(
        obs.name, obs.session, obs.observation, obs.length, obs.coded, obs.versions, groups
    ), dropped


# --------------------------------------------------------------------------- compare


def compare(
    events_a: pd.DataFrame | None,
    events_b: pd.DataFrame | None,
    *,
    unit: float = 1.0,
    tolerance: float = 0.0,
    state_tolerance: float = 2.0,
    point_tolerance: float = 1.0,
    min_overlap: float | None = None,
    cues: Collection[str] | None = None,
    exhaustive_channels: Sequence[str] = EXHAUSTIVE_CHANNELS,
    nv_codes: Mapping[str, str] | None = None,
    span: tuple[float, float] | None = None,
    boris: bool = False,
    coded_s: tuple[float | None, float | None] | None = None,
) -> AgreementResult:
    """Inter-observer agreement of two observations of one session, per subject and channel.

    Parameters
    ----------
    events_a, events_b : DataFrame
        Tidy event frames (``observe.model``), one observation each; A is the
        reference (e.g. the supervisor's gold standard) for precision and recall.
    unit : float
        Time unit Δ in seconds (default 1 s).
    tolerance : float
        Boundary tolerance τ in seconds for the time-unit kappa (Bakeman, Quera
        & Gnisci 2009; DOMAIN §6 asks to report τ = 0 and τ = 2 s).
    state_tolerance, point_tolerance : float
        Onset tolerance of event matching for states (2 s) and points (1 s).
    min_overlap : float, optional
        Also require matched states to overlap by this share of the shorter one (e.g. 0.5).
    cues : collection of str, optional
        Compare only these cues, e.g. the cues two scheme versions share; the
        others are listed in ``cues_left_out`` and units of an ME&E channel where
        either observer coded one of them are left out of that channel's table.
    exhaustive_channels : sequence of str
        Channels that are mutually exclusive and exhaustive (one kappa per channel).
    nv_codes : mapping, optional
        Not-visible code per ME&E channel; default: the ``*_NV`` cue seen in the
        data, else the channel's initial + ``_NV`` (F_NV, G_NV, T_NV, A_NV, S_NV).
    span : (float, float), optional
        Time span to compare; default [0, E], E the shorter of the two coded extents.
    boris : bool
        Also compute BORIS's composite-category kappa (``result.boris``).
    coded_s : (float or None, float or None), optional
        Coded extent E of A and of B (DOMAIN §9.3); default: each frame's ``coded_s``
        column, else the whole session.

    Returns
    -------
    AgreementResult

    Raises
    ------
    InvalidInput
        Only one observation, an observation without events, frames holding
        several observations or two different sessions, bad parameters.

    Examples
    --------
    >>> a = pd.DataFrame({"subject": "client", "channel": "GAZE", "cue": ["G_EYE", "G_AWAY", "G_EYE"],
    ...                   "kind": "state", "start_s": [0.0, 4.0, 8.0], "end_s": [4.0, 8.0, 12.0]})
    >>> b = a.assign(start_s=[0.0, 5.0, 8.0], end_s=[5.0, 8.0, 12.0])
    >>> r = compare(a, b)
    >>> r.time_unit[["channel", "kappa", "p_o"]].round(3).values.tolist()
    [['GAZE', 0.8, 0.917]]
    >>> float(compare(a, b, tolerance=2.0).time_unit["kappa"].iloc[0])
    1.0
    >>> int(r.events["matches"].iloc[0]), float(r.events["f1"].iloc[0])
    (3, 1.0)
    """
    _check_number("agreement.bad_unit", unit, positive=True)
    _check_number("agreement.bad_tolerance", tolerance, positive=False)
    _check_number("agreement.bad_tolerance", state_tolerance, positive=False)
    _check_number("agreement.bad_tolerance", point_tolerance, positive=False)
    if events_a is None or events_b is None:
        raise InvalidInput("agreement.one_observer")
    coded_a, coded_b = coded_s if coded_s is not None else (None, None)
    obs_a, obs_b = _prepare(events_a, "A", coded_a), _prepare(events_b, "B", coded_b)
    notes: list[Note] = []
    if obs_a.session and obs_b.session and obs_a.session != obs_b.session:
        raise InvalidInput("agreement.different_sessions", a=obs_a.session, b=obs_b.session)
    if obs_a.observation and obs_a.observation == obs_b.observation:
        notes.append(Note("agreement.same_observation", {"observation": obs_a.observation}))
    exhaustive = frozenset(exhaustive_channels)
    allowed = frozenset(cues) if cues is not None else None
    obs_a, dropped_a = _restrict(obs_a, allowed, exhaustive)
    obs_b, dropped_b = _restrict(obs_b, allowed, exhaustive)
    left_out = tuple(sorted(dropped_a | dropped_b))
    if obs_a.versions and obs_b.versions and obs_a.versions != obs_b.versions:
        va, vb = ", ".join(sorted(obs_a.versions)), ", ".join(sorted(obs_b.versions))
        if allowed is None:
            notes.append(Note("agreement.scheme_mismatch_unchecked", {"a": va, "b": vb}))
        else:
            notes.append(
                Note("agreement.scheme_mismatch", {"a": va, "b": vb, "cues": ", ".join(left_out) or "-"})
            )
    elif left_out:
        notes.append(Note("agreement.cues_left_out", {"cues": ", ".join(left_out)}))

    if span is None:
        if not math.isclose(obs_a.coded, obs_b.coded, abs_tol=1e-6):
            notes.append(
                Note(
                    "agreement.unequal_lengths",
                    {
                        "a": round(obs_a.coded, 3),
                        "b": round(obs_b.coded, 3),
                        "span": round(min(obs_a.coded, obs_b.coded), 3),
                    },
                )  # fmt: skip
            )
        span = (0.0, min(obs_a.coded, obs_b.coded))
    mids = unit_midpoints(span[1], unit, span[0])
    if len(mids) == 0:
        raise InvalidInput("agreement.span_too_short", span=round(span[1] - span[0], 3), unit=unit)
    window = int(math.floor(tolerance / unit + 1e-9))

    keys = sorted(set(obs_a.groups) | set(obs_b.groups))
    unit_rows: list[dict[str, Any]] = []
    rate_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    unit_matrices: dict[tuple[str, str, str], pd.DataFrame] = {}
    for subject, channel in keys:
        ga = obs_a.groups.get((subject, channel), _EMPTY_GROUP)
        gb = obs_b.groups.get((subject, channel), _EMPTY_GROUP)
        if channel in exhaustive:
            nv = (nv_codes or {}).get(channel) or _nv_code(channel, ga, gb)
            row, matrix, rates, runs = _channel_units(ga, gb, nv, allowed, mids, unit, window)
            row.update(subject=subject, channel=channel)
            unit_rows.append(row)
            unit_matrices[(subject, channel, WHOLE_CHANNEL)] = matrix
            rate_rows += [dict(r, subject=subject, channel=channel) for r in rates]
            run_rows += [dict(r, subject=subject, channel=channel) for r in runs]
            ga, gb = _points_only(ga), _points_only(gb)
        for cue in sorted(set(ga.cue.tolist()) | set(gb.cue.tolist())):
            row, matrix = _cue_units(ga, gb, cue, mids, unit, span[0], window)
            row.update(subject=subject, channel=channel, cue=cue)
            unit_rows.append(row)
            unit_matrices[(subject, channel, cue)] = matrix
    for row in unit_rows:
        if row["events_a"] == 0 or row["events_b"] == 0:
            who = obs_a.name if row["events_a"] == 0 else obs_b.name
            notes.append(
                Note("agreement.no_events_series", {"observer": who, "subject": row["subject"],
                                                    "channel": row["channel"], "cue": row["cue"] or row["channel"]})
            )  # fmt: skip

    tol = Tolerances(state_tolerance, point_tolerance, min_overlap)
    event_rows, event_matrices, pair_frames = [], {}, []
    for subject, channel in keys:
        ga = _in_span(obs_a.groups.get((subject, channel), _EMPTY_GROUP), span)
        gb = _in_span(obs_b.groups.get((subject, channel), _EMPTY_GROUP), span)
        if len(ga.cue) == 0 and len(gb.cue) == 0:
            continue
        row, matrix, pairs = _channel_events(ga, gb, tol)
        row.update(subject=subject, channel=channel)
        event_rows.append(row)
        event_matrices[(subject, channel)] = matrix
        pair_frames.append(dict(pairs, subject=np.full(len(pairs["outcome"]), subject, dtype=object),
                                channel=np.full(len(pairs["outcome"]), channel, dtype=object)))  # fmt: skip

    boris_result = None
    if boris:
        boris_result = boris_kappa(events_a, events_b, unit=unit, cues=sorted(allowed) if allowed else None)
    disagreements = _frame(run_rows, RUN_COLUMNS).sort_values(
        ["duration_s", "start_s"], ascending=[False, True], ignore_index=True
    )
    return AgreementResult(
        session=obs_a.session or obs_b.session,
        observer_a=obs_a.name,
        observer_b=obs_b.name,
        unit=unit,
        tolerance=tolerance,
        span=(float(span[0]), float(span[1])),
        n_units=len(mids),
        time_unit=_frame(unit_rows, TIME_UNIT_COLUMNS),
        base_rates=_frame(rate_rows, RATE_COLUMNS),
        unit_matrices=unit_matrices,
        events=_frame(event_rows, EVENT_COLUMNS),
        event_matrices=event_matrices,
        event_pairs=_concat_columns(pair_frames, PAIR_COLUMNS),
        disagreements=disagreements,
        notes=tuple(notes),
        cues_left_out=left_out,
        boris=boris_result,
        coded_s=(obs_a.coded, obs_b.coded),
        length_s=min(obs_a.length, obs_b.length),
    )


def compare_observers(
    events: pd.DataFrame, observer_a: str, observer_b: str, **options: Any
) -> AgreementResult:
    """:func:`compare` two observers' observations taken from one session's event frame.

    This is what ``python -m observe agreement --session S --observers A B`` and
    the agreement page need: the store returns one frame for the session, and
    the two observers are picked by their ``observer`` column.

    Parameters
    ----------
    events : DataFrame
        Tidy event frame of one session, several observers.
    observer_a, observer_b : str
        Usernames; A is the reference for precision and recall.
    **options
        Passed on to :func:`compare` (``unit``, ``tolerance``, ``cues``...).

    Raises
    ------
    InvalidInput
        ``agreement.observer_not_found`` naming the observers that did code the session.

    Examples
    --------
    >>> ev = pd.DataFrame({"observer": ["ana", "budi"], "subject": "client", "channel": "GAZE",
    ...                    "cue": "G_EYE", "kind": "state", "start_s": 0.0, "end_s": 5.0})
    >>> compare_observers(ev, "ana", "budi").observer_b
    'budi'
    """
    if "observer" not in events.columns:
        raise InvalidInput("agreement.missing_columns", what="events", columns="observer")
    available = sorted(events["observer"].dropna().astype(str).unique())
    for name in (observer_a, observer_b):
        if name not in available:
            raise InvalidInput(
                "agreement.observer_not_found", observer=name, available=", ".join(available) or "-"
            )
    if observer_a == observer_b:
        raise InvalidInput("agreement.one_observer")
    by = events["observer"].astype(str)
    return compare(events[by == observer_a], events[by == observer_b], **options)


def _check_number(key: str, value: float, *, positive: bool) -> None:
    ok = isinstance(value, int | float) and math.isfinite(value) and (value > 0 if positive else value >= 0)
    if not ok:
        raise InvalidInput(key, value=value)


def _nv_code(channel: str, *groups: _Group) -> str:
    for g in groups:
        for cue in g.cue:
            if str(cue).endswith("_NV"):
                return str(cue)
    return f"{channel[:1]}_NV"


def _points_only(g: _Group) -> _Group:
    """Points coded in an ME&E channel (rare) are compared as cues of their own."""
    keep = g.is_point
    return _Group(g.cue[keep], keep[keep], g.start[keep], g.end[keep])


def _in_span(g: _Group, span: tuple[float, float]) -> _Group:
    """Events with an onset in the span; the span is closed for points (DOMAIN §9.1)."""
    keep = (g.start >= span[0]) & np.where(g.is_point, g.start <= span[1], g.start < span[1])
    if keep.all():
        return g
    return _Group(g.cue[keep], g.is_point[keep], g.start[keep], g.end[keep])


# --------------------------------------------------------------------------- time units


def _channel_units(
    ga: _Group,
    gb: _Group,
    nv: str,
    allowed: frozenset[str] | None,
    mids: np.ndarray,
    unit: float,
    window: int,
) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]], list[dict[str, Any]]]:
    """Kappa of one ME&E channel: the state at each unit midpoint, NV where nothing is coded."""
    sa, sb = ~ga.is_point, ~gb.is_point
    labels = np.array(sorted(set(ga.cue[sa].tolist()) | set(gb.cue[sb].tolist()) | {nv}), dtype=object)
    nv_idx = int(np.searchsorted(labels, nv))
    a = U.sample_exclusive(ga.start[sa], ga.end[sa], np.searchsorted(labels, ga.cue[sa]), mids, nv_idx)
    b = U.sample_exclusive(gb.start[sb], gb.end[sb], np.searchsorted(labels, gb.cue[sb]), mids, nv_idx)
    runs = _runs(a, b, labels, mids, unit)
    if allowed is not None:
        # units where either observer coded a cue outside the shared set are left out
        outside = ~np.isin(labels, list(allowed | {nv}))
        keep = ~(outside[a] | outside[b])
        a, b = a[keep], b[keep]
    k = len(labels)
    b_tol = U.apply_tolerance(a, b, k, window)
    table = contingency(a, b_tol, k)
    used = np.flatnonzero(table.sum(axis=0) + table.sum(axis=1) > 0)
    table = table[np.ix_(used, used)]
    stats = kappa_from_table(table)
    n = max(len(a), 1)
    rates = [
        {"code": labels[c], "rate_a": float(np.sum(a == c)) / n, "rate_b": float(np.sum(b == c)) / n}
        for c in used
    ]
    row = _stats_row(stats, "channel", WHOLE_CHANNEL, int(sa.sum()), int(sb.sum()))
    matrix = pd.DataFrame(
        table, index=pd.Index(labels[used], name="A"), columns=pd.Index(labels[used], name="B")
    )
    return row, matrix, rates, runs


def _cue_units(
    ga: _Group, gb: _Group, cue: str, mids: np.ndarray, unit: float, origin: float, window: int
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Present/absent kappa, PABAK and F1 of one non-exhaustive cue (DOMAIN §6)."""
    a = _presence(ga, cue, len(mids), unit, origin)
    b = _presence(gb, cue, len(mids), unit, origin)
    b_tol = U.apply_tolerance(a, b, 2, window)
    table = contingency(a, b_tol, 2)
    stats = kappa_from_table(table)
    precision, recall, f1 = binary_scores(table)
    row = _stats_row(stats, "cue", cue, int(np.sum(ga.cue == cue)), int(np.sum(gb.cue == cue)))
    n = max(len(a), 1)
    # K = 2 categories (absent/present) whatever was observed, so PABAK = 2p_o − 1
    row.update(
        n_codes=2,
        pabak=2 * stats.p_o - 1 if stats.n else math.nan,
        precision=precision,
        recall=recall,
        f1=f1,
        rate_a=float(a.sum()) / n,
        rate_b=float(b.sum()) / n,
    )
    labels = np.array(["absent", "present"], dtype=object)
    matrix = _matrix(table, labels, labels)
    return row, matrix


def _presence(g: _Group, cue: str, count: int, unit: float, origin: float) -> np.ndarray:
    mine = g.cue == cue
    points = mine & g.is_point
    states = mine & ~g.is_point
    present = U.point_presence(g.start[points], origin, count, unit)
    if states.any():
        present |= U.interval_presence(g.start[states], g.end[states], origin, count, unit)
    return present.astype(np.int64)


def _stats_row(stats: Any, level: str, cue: str, events_a: int, events_b: int) -> dict[str, Any]:
    reason = stats.reason
    if events_a == 0 and events_b == 0:
        reason = "agreement.reason.no_events"
    elif events_a == 0:
        reason = "agreement.reason.no_events_a"
    elif events_b == 0:
        reason = "agreement.reason.no_events_b"
    return {
        "cue": cue,
        "level": level,
        "n_units": stats.n,
        "n_codes": stats.n_codes,
        "kappa": stats.kappa,
        "p_o": stats.p_o,
        "p_e": stats.p_e,
        "kappa_max": stats.kappa_max,
        "pabak": stats.pabak,
        "precision": math.nan,
        "recall": math.nan,
        "f1": math.nan,
        "rate_a": math.nan,
        "rate_b": math.nan,
        "events_a": events_a,
        "events_b": events_b,
        "verdict": verdict(stats.kappa, "kappa"),
        "reason": reason,
    }


def _runs(
    a: np.ndarray, b: np.ndarray, labels: np.ndarray, mids: np.ndarray, unit: float
) -> list[dict[str, Any]]:
    starts, lengths = U.disagreement_runs(a, b)
    t0 = mids[starts] - unit / 2
    return [
        {"start_s": float(s), "end_s": float(s + n * unit), "duration_s": float(n * unit),
         "cue_a": labels[a[i]], "cue_b": labels[b[i]]}
        for i, s, n in zip(starts, t0, lengths, strict=True)
    ]  # fmt: skip


# --------------------------------------------------------------------------- events


def _channel_events(
    ga: _Group, gb: _Group, tol: Tolerances
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    labels = np.array(sorted(set(ga.cue.tolist()) | set(gb.cue.tolist())), dtype=object)
    ea = Events(ga.start, ga.end, np.searchsorted(labels, ga.cue), ga.is_point)
    eb = Events(gb.start, gb.end, np.searchsorted(labels, gb.cue), gb.is_point)
    m = match_events(ea, eb, tol)
    table = event_table(ea, eb, m, len(labels))
    stats = kappa_from_table(table)
    matches = len(m.match_a)
    precision, recall, f1 = _prf(float(matches), float(len(ea)), float(len(eb)))
    d_on = np.abs(ea.onset[m.match_a] - eb.onset[m.match_b])
    d_off = np.abs(ea.offset[m.match_a] - eb.offset[m.match_b])
    d_off = d_off[~np.isnan(d_off)]
    reason = stats.reason
    if len(ea) == 0:
        reason = "agreement.reason.no_events_a"
    elif len(eb) == 0:
        reason = "agreement.reason.no_events_b"
    row = {
        "events_a": len(ea),
        "events_b": len(eb),
        "matches": matches,
        "confusions": len(m.confusion_a),
        "only_a": len(ea) - matches - len(m.confusion_a),
        "only_b": len(eb) - matches - len(m.confusion_b),
        "n_codes": len(labels) + 1,
        "kappa": stats.kappa,
        "p_o": stats.p_o,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "onset_mean": float(d_on.mean()) if len(d_on) else math.nan,
        "onset_median": float(np.median(d_on)) if len(d_on) else math.nan,
        "offset_mean": float(d_off.mean()) if len(d_off) else math.nan,
        "offset_median": float(np.median(d_off)) if len(d_off) else math.nan,
        "verdict": verdict(f1, "f1"),
        "reason": reason,
    }
    full = np.append(labels, NIL)
    matrix = _matrix(table, full, full)
    return row, matrix, _pairs(ga, gb, m)


def _pairs(ga: _Group, gb: _Group, m: Matching) -> dict[str, np.ndarray]:
    only_a = np.setdiff1d(np.arange(len(ga.cue)), np.concatenate((m.match_a, m.confusion_a)))
    only_b = np.setdiff1d(np.arange(len(gb.cue)), np.concatenate((m.match_b, m.confusion_b)))
    ia = np.concatenate((m.match_a, m.confusion_a, only_a, np.full(len(only_b), -1)))
    ib = np.concatenate((m.match_b, m.confusion_b, np.full(len(only_a), -1), only_b))
    outcome = np.repeat(
        np.array(["match", "confusion", "only_a", "only_b"], dtype=object),
        [len(m.match_a), len(m.confusion_a), len(only_a), len(only_b)],
    )

    def pick(values: np.ndarray, idx: np.ndarray, missing: Any) -> np.ndarray:
        out = np.full(len(idx), missing, dtype=values.dtype if values.dtype != bool else object)
        out[idx >= 0] = values[idx[idx >= 0]]
        return out

    return {
        "outcome": outcome,
        "cue_a": pick(ga.cue, ia, None),
        "cue_b": pick(gb.cue, ib, None),
        "onset_a": pick(ga.start, ia, np.nan),
        "onset_b": pick(gb.start, ib, np.nan),
        "offset_a": pick(ga.end, ia, np.nan),
        "offset_b": pick(gb.end, ib, np.nan),
    }
