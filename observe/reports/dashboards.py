"""What the four analysis pages show, computed from the store (no Streamlit here).

Each page turns its widgets into parameters and makes one call:

* :func:`session_review` — one observation of one session: events, openness and
  attending curves, session indices with CI, time budget, resistance episodes, notes;
* :func:`client_progress` — all sessions of one client: OI(σ) with CI, trend, the
  baseline-relative view, resistance rates and the referral flag (DOMAIN §3–§4);
* :func:`counselor_view` — attending index over sessions and clients, and how the
  client's openness follows it in the same (and the next) window;
* :func:`cue_patterns` — sequential analysis of chosen given/target cues over a
  filtered set of sessions (DOMAIN §5).

Valences always come from the client's profile and overrides (DOMAIN §2) applied to
the coding-scheme version(s) the observations used; the counselor valences are the
scheme's. One observation per session is analysed: the chosen observer's, else the
reference observation, else the one with most events (:func:`pick_observations`).

Every analysis runs over each observation's coded extent (``Observation.coded_s``,
DOMAIN §9.3) and reports its coverage; a session coded below half its length is shown
as "partially coded (x%)" and kept out of trends and the referral flag. Cue patterns
pool only sessions whose coding scheme shares the asked cues and valences (§9.6).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from observe.analysis.openness import (
    OpennessParams,
    OpennessResult,
    openness,
    openness_relative,
    openness_trend,
    valence_hash,
)
from observe.analysis.resistance import (
    RESPONSE_CUES,
    ReferralFlag,
    ReferralParams,
    referral_flag,
    resistance_episodes,
    resistance_sessions,
)
from observe.analysis.timebudget import time_budget
from observe.model import Client, Observation, Session
from observe.reports.cue_patterns import CuePatterns as CuePatterns
from observe.reports.cue_patterns import SessionFilter as SessionFilter
from observe.reports.cue_patterns import cue_patterns as cue_patterns
from observe.reports.selection import (
    FEW_PAIRS,
    NO_EVENTS,
    NO_OBSERVATION,
    NO_SESSIONS,
    Valences,
    chosen_events,
    schemes_of,
    with_coded_extent,
)
from observe.reports.selection import client_valences as client_valences
from observe.reports.selection import data_version as data_version
from observe.reports.selection import format_code as format_code
from observe.reports.selection import parse_code as parse_code
from observe.reports.selection import partial_notes as partial_notes
from observe.reports.selection import pick_observations as pick_observations
from observe.reports.summary import SUMMARY_COLUMNS
from observe.reports.summary import progress_summary_html as progress_summary_html
from observe.scheme import CodingScheme
from observe.store import Store

INDEX_FIELDS = ("oi", "ci_low", "ci_high", "n_windows", "n_defined", "share_defined", "reason", "ci_reason",
                "coded_s", "coverage", "partial")  # fmt: skip
_SUMMARY_COLUMNS = SUMMARY_COLUMNS  # the name observe.interop.report imports


# --------------------------------------------------------------------------- shared helpers


def _index_row(result: OpennessResult | None) -> dict[str, Any]:
    """The session index (OI with CI and reasons, coverage) of a one-observation result."""
    if result is None or result.sessions.empty:
        row = {k: (math.nan if k not in ("reason", "ci_reason") else NO_EVENTS) for k in INDEX_FIELDS}
        return {**row, "partial": False}
    first = result.sessions.iloc[0]
    return {k: first[k] for k in INDEX_FIELDS}


def _pearson(x: np.ndarray, y: np.ndarray, min_pairs: int = 3) -> tuple[float, int, str]:
    """Pearson r over pairs where both are defined; NaN + reason with too few pairs or no spread."""
    ok = ~(np.isnan(x) | np.isnan(y))
    n = int(ok.sum())
    if n < min_pairs:
        return math.nan, n, FEW_PAIRS
    if np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return math.nan, n, "analysis.openness.no_spread"
    return float(stats.pearsonr(x[ok], y[ok]).statistic), n, ""


# --------------------------------------------------------------------------- session review


@dataclass(frozen=True)
class SessionReview:
    """Everything the session-review page shows for one observation of one session.

    ``problems`` holds translation keys of parts that have not enough data (the page says
    so instead of drawing an empty chart); ``index``/``attending_index`` are dicts with
    ``oi, ci_low, ci_high, n_windows, n_defined, share_defined, reason, ci_reason, coded_s,
    coverage, partial``. ``coverage`` is E/T of the observation (DOMAIN §9.3): every number
    on the page describes [0, E]; :meth:`coverage_note` says so when it is below half.
    """

    session: Session
    observer: str | None
    observers: tuple[str, ...]
    scheme: CodingScheme
    events: pd.DataFrame
    valences: Valences
    profile: str
    overrides: Mapping[str, float]
    openness: OpennessResult | None
    attending: OpennessResult | None
    index: dict[str, Any]
    attending_index: dict[str, Any]
    time_budget: pd.DataFrame
    episodes: pd.DataFrame
    resistance: dict[str, Any]
    params: dict[str, Any]
    problems: tuple[str, ...] = ()
    coverage: float = math.nan
    partial: bool = False

    def coverage_note(self, lang: str = "en") -> str | None:
        """ "Only 20% of this session was coded …" when partially coded, else None."""
        if not self.partial:
            return None
        from observe.i18n import t

        return t("analysis.partially_coded.note", lang, percent=f"{100 * self.coverage:.0f}")


def session_review(
    store: Store, session: str, observer: str | None = None, params: OpennessParams | None = None
) -> SessionReview:
    """Review of one session as coded by one observer.

    Parameters
    ----------
    store
        The workspace.
    session
        Session code (e.g. ``K01-S03``); an unknown code raises ``NotFound``.
    observer
        Whose coding; default: the reference observation, else the most coded one.
    params
        Openness parameters; ``step_s`` < ``window_s`` gives a smoother curve (plotting
        only — the session index always uses non-overlapping windows).

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> r = session_review(store, "K01-S06")
    >>> r.observer, bool(r.index["oi"] > 0), r.problems
    ('obs.ani', True, ())
    """
    params = params or OpennessParams()
    info = store.session(session)
    client = store.client(info.client)
    observations = store.observations(session=info.code)
    chosen = pick_observations(observations, observer).get(info.code)
    schemes = schemes_of(store, [chosen] if chosen else observations)
    valences = client_valences(schemes, client.valence_profile, client.valence_overrides)
    empty = pd.DataFrame()
    base: dict[str, Any] = {
        "session": info,
        "observer": chosen.observer if chosen else observer,
        "observers": tuple(sorted({o.observer for o in observations})),
        "scheme": schemes[-1],
        "valences": valences,
        "profile": client.valence_profile,
        "overrides": dict(client.valence_overrides),
        "params": params.as_dict(),
    }
    events = with_coded_extent(store.events_frame(observation_id=chosen.id), [chosen]) if chosen else empty
    if chosen is None or events.empty:
        problem = NO_OBSERVATION if chosen is None else NO_EVENTS
        return SessionReview(
            **base, events=events, openness=None, attending=None, index=_index_row(None),
            attending_index=_index_row(None), time_budget=empty, episodes=empty, resistance={},
            problems=(problem,),
        )  # fmt: skip
    oi = openness(events, valences, subject="client", params=params)
    att = openness(events, valences, subject="counselor", params=params)
    resistance = resistance_sessions(events).iloc[0].to_dict()
    problems = tuple(dict.fromkeys(r for r in (_index_row(oi)["reason"], _index_row(att)["reason"]) if r))
    return SessionReview(
        **base,
        events=events,
        openness=oi,
        attending=att,
        index=_index_row(oi),
        attending_index=_index_row(att),
        time_budget=time_budget(events),
        episodes=resistance_episodes(events, valences=valences),
        resistance=resistance,
        problems=problems,
        coverage=float(resistance["coverage"]),
        partial=bool(resistance["partial"]),
    )


# --------------------------------------------------------------------------- client progress


@dataclass(frozen=True)
class ClientProgress:
    """All sessions of one client (one row per session in ``sessions``), trend and referral flag.

    ``sessions`` columns: ``session, session_number, session_date, counselor, observer,
    n_events, oi, ci_low, ci_high, share_defined, reason, ci_reason, attending,
    attending_ci_low, attending_ci_high, delta_first, delta_baseline, z_within,
    rr_per_10min, n_r3, r12_min, disclosure_min, strengths_min, responses_tried``, the
    CR_* counts, and ``coded_s, coverage, partial`` (DOMAIN §9.3: partially coded sessions
    stay in the table but out of the trend, the baseline view and the referral flag).
    ``trend``/``attending_trend``: ``n_sessions, slope, slope_se, ci_low, ci_high,
    intercept, reason, n_partial``.
    """

    client: Client
    sessions: pd.DataFrame
    trend: dict[str, Any]
    attending_trend: dict[str, Any]
    referral: ReferralFlag
    params: dict[str, Any]
    referral_params: dict[str, Any]
    valence_hash: str
    problems: tuple[str, ...] = ()


def _per_session(
    sessions: Sequence[Session], chosen: Mapping[str, Observation], events: pd.DataFrame, valences: Valences,
    params: OpennessParams,
) -> pd.DataFrame:  # fmt: skip
    """One row per session (also those without events): indices, resistance rate and responses."""
    out = pd.DataFrame({
        "session": [s.code for s in sessions],
        "client": [s.client for s in sessions],
        "session_number": [s.number for s in sessions],
        "session_date": [s.date for s in sessions],
        "counselor": [s.counselor for s in sessions],
        "observer": [chosen[s.code].observer if s.code in chosen else None for s in sessions],
        "n_events": [chosen[s.code].n_events if s.code in chosen else 0 for s in sessions],
    })  # fmt: skip
    cols = [
        "oi",
        "ci_low",
        "ci_high",
        "share_defined",
        "reason",
        "ci_reason",
        "coded_s",
        "coverage",
        "partial",
    ]
    if events.empty:
        for col in cols + ["attending", "attending_ci_low", "attending_ci_high", "rr_per_10min"]:
            out[col] = NO_EVENTS if "reason" in col else math.nan
        out["partial"] = False
        for col in ("n_r3", "r12_min", "disclosure_min", "strengths_min", "responses_tried", *RESPONSE_CUES):
            out[col] = math.nan
        return out
    oi = openness(events, valences, subject="client", params=params).sessions
    att = openness(events, valences, subject="counselor", params=params).sessions
    att = att.rename(
        columns={"oi": "attending", "ci_low": "attending_ci_low", "ci_high": "attending_ci_high"}
    )
    res = resistance_sessions(events).drop(
        columns=["reason", "observer", "client", "counselor"], errors="ignore"
    )
    res = res.drop(columns=["session_number", "session_date", "client_special_needs", "coded_s", "coverage",
                            "partial"], errors="ignore")  # fmt: skip
    out = out.merge(oi[["session", *cols]], on="session", how="left")
    out = out.merge(
        att[["session", "attending", "attending_ci_low", "attending_ci_high"]], on="session", how="left"
    )
    out = out.merge(res, on="session", how="left")
    out["reason"] = out["reason"].fillna(NO_EVENTS)
    out["ci_reason"] = out["ci_reason"].fillna(NO_EVENTS)
    out["partial"] = out["partial"].astype("boolean").fillna(False).astype(bool)
    return out


def client_progress(
    store: Store,
    client: str,
    params: OpennessParams | None = None,
    referral_params: ReferralParams | None = None,
    *,
    observer: str | None = None,
) -> ClientProgress:
    """Openness of one client over all their sessions, resistance, and the referral flag.

    Parameters
    ----------
    store, client
        The workspace and the client's code (an unknown code raises ``NotFound``).
    params
        Openness parameters (the baseline view uses the mean of the first ``params.m`` sessions).
    referral_params
        Thresholds of the referral flag (DOMAIN §4).
    observer
        Whose coding to use; default: per session the reference, else the most coded one.

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> p = client_progress(store, "K02")
    >>> p.referral.status, len(p.sessions)
    ('raised', 5)
    """
    params = params or OpennessParams()
    referral_params = referral_params or ReferralParams()
    info = store.client(client)
    sessions = store.sessions(client=info.code)
    events, chosen, schemes = chosen_events(store, sessions, observer)
    valences = client_valences(schemes, info.valence_profile, info.valence_overrides)
    table = _per_session(sessions, chosen, events, valences, params)
    if table.empty:
        nan_trend = {"n_sessions": 0, "slope": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                     "slope_se": math.nan, "intercept": math.nan, "reason": NO_SESSIONS}  # fmt: skip
        flag = referral_flag(_empty_resistance(), pd.DataFrame(columns=["session_number", "oi", "share_defined"]),
                             params=referral_params, special_needs=info.special_needs)  # fmt: skip
        return ClientProgress(info, table, nan_trend, nan_trend, flag, params.as_dict(),
                              referral_params.as_dict(), valence_hash(valences), (NO_SESSIONS,))  # fmt: skip
    rel = openness_relative(table[["client", "session_number", "oi", "partial"]], m=params.m)
    table = table.merge(
        rel[["session_number", "delta_first", "delta_baseline", "z_within"]], on="session_number"
    )
    trend = openness_trend(table).iloc[0].to_dict()
    att_trend = openness_trend(table[["client", "session_number", "attending", "partial"]].rename(
        columns={"attending": "oi"})).iloc[0].to_dict()  # fmt: skip
    res = table[["session_number", "rr_per_10min", *RESPONSE_CUES]].fillna(dict.fromkeys(RESPONSE_CUES, 0))
    oi_cols = table[["session_number", "oi", "share_defined", "partial"]]  # partial: kept out (DOMAIN §9.3)
    flag = referral_flag(res, oi_cols, params=referral_params, special_needs=info.special_needs)
    problems = tuple(dict.fromkeys(r for r in (trend["reason"],) if r))
    return ClientProgress(info, table, trend, att_trend, flag, params.as_dict(), referral_params.as_dict(),
                          valence_hash(valences), problems)  # fmt: skip


def _empty_resistance() -> pd.DataFrame:
    return pd.DataFrame(columns=["session_number", "rr_per_10min", *RESPONSE_CUES])


# --------------------------------------------------------------------------- counselor view


@dataclass(frozen=True)
class CounselorView:
    """The counselor's attending index over sessions and clients, and the client's openness beside it.

    ``sessions``: ``session, client, session_number, session_date, attending, attending_ci_low,
    attending_ci_high, oi, ci_low, ci_high, r_same, n_same, r_next, n_next, r_reason, coverage,
    partial`` (partially coded sessions stay out of the per-client figures) —
    ``r_same`` is the correlation of attending and client OI in the same windows, ``r_next``
    of attending in window w with client OI in window w+1 ("follows").
    ``clients``: per client ``n_sessions, mean_attending, mean_oi, r_same`` (pooled windows).
    ``windows``: the paired windows (``session, client, window, start_s, attending, oi``).
    """

    counselor: str
    sessions: pd.DataFrame
    clients: pd.DataFrame
    windows: pd.DataFrame
    params: dict[str, Any]
    problems: tuple[str, ...] = ()


def counselor_view(
    store: Store, counselor: str, params: OpennessParams | None = None, *, observer: str | None = None
) -> CounselorView:
    """Attending (SOLER) index of one counselor per session, with the client's openness (DOMAIN §3).

    Windows are non-overlapping (step = W) so that pairs are not counted twice.

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> v = counselor_view(store, "C01")
    >>> sorted(v.clients["client"]), bool(v.sessions["attending"].gt(0).all())
    (['K01', 'K03'], True)
    """
    params = (params or OpennessParams()).non_overlapping()
    store.counselor(counselor)
    sessions = store.sessions(counselor=counselor)
    session_rows, window_frames = [], []
    for code in sorted({s.client for s in sessions}):
        mine = [s for s in sessions if s.client == code]
        info = store.client(code)
        events, chosen, schemes = chosen_events(store, mine, observer)
        events = events[events["counselor"] == counselor] if not events.empty else events
        valences = client_valences(schemes, info.valence_profile, info.valence_overrides)
        table = _per_session(mine, chosen, events, valences, params)
        if not events.empty:
            windows = _paired_windows(events, valences, params)
            window_frames.append(windows)
            table = table.merge(_window_correlations(windows), on="session", how="left")
        session_rows.append(table)
    keep = ["session", "client", "session_number", "session_date", "observer", "attending",
            "attending_ci_low", "attending_ci_high", "oi", "ci_low", "ci_high",
            "r_same", "n_same", "r_next", "n_next", "r_reason", "coverage", "partial"]  # fmt: skip
    table = pd.concat(session_rows, ignore_index=True) if session_rows else pd.DataFrame(columns=keep)
    for col in keep:
        if col not in table:
            table[col] = NO_EVENTS if col == "r_reason" else math.nan
    table["r_reason"] = table["r_reason"].fillna(NO_EVENTS)
    windows = pd.concat(window_frames, ignore_index=True) if window_frames else pd.DataFrame(
        columns=["session", "client", "window", "start_s", "attending", "oi"])  # fmt: skip
    problems = () if len(table) else (NO_SESSIONS,)
    return CounselorView(
        counselor, table[keep], _per_client(table, windows), windows, params.as_dict(), problems
    )


def _paired_windows(events: pd.DataFrame, valences: Valences, params: OpennessParams) -> pd.DataFrame:
    client = openness(events, valences, subject="client", params=params).windows
    counselor = openness(events, valences, subject="counselor", params=params).windows
    keys = ["session", "observer", "window", "start_s"]
    paired = counselor[keys + ["oi"]].rename(columns={"oi": "attending"}).merge(
        client[keys + ["oi"]], on=keys, how="outer")  # fmt: skip
    first = events.drop_duplicates("session").set_index("session")["client"]
    paired["client"] = paired["session"].map(first)
    return paired.sort_values(["session", "window"], ignore_index=True)


def _window_correlations(windows: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for session, sub in windows.groupby("session", sort=True):
        att, oi = sub["attending"].to_numpy(float), sub["oi"].to_numpy(float)
        r_same, n_same, reason = _pearson(att, oi)
        r_next, n_next, _ = _pearson(att[:-1], oi[1:]) if len(sub) > 1 else (math.nan, 0, FEW_PAIRS)
        rows.append({"session": session, "r_same": r_same, "n_same": n_same, "r_next": r_next,
                     "n_next": n_next, "r_reason": reason})  # fmt: skip
    return pd.DataFrame(rows)


def _per_client(table: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """Per-client means and pooled window correlation; partially coded sessions are kept out."""
    partial = table["partial"].astype("boolean").fillna(False).astype(bool)
    windows = windows[~windows["session"].isin(table.loc[partial, "session"])]
    table = table[~partial]
    rows = []
    for client, sub in table.groupby("client", sort=True):
        win = windows[windows["client"] == client]
        r, n, reason = _pearson(win["attending"].to_numpy(float), win["oi"].to_numpy(float))
        rows.append({"client": client, "n_sessions": len(sub), "mean_attending": sub["attending"].mean(),
                     "mean_oi": sub["oi"].mean(), "r_same": r, "n_windows": n, "r_reason": reason})  # fmt: skip
    cols = ["client", "n_sessions", "mean_attending", "mean_oi", "r_same", "n_windows", "r_reason"]
    return pd.DataFrame(rows, columns=cols)
