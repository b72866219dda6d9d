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
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from observe.analysis.sequence import Code, contingency_stats, pooled_q, sequence_table, shift_test
from observe.analysis.timebudget import time_budget
from observe.errors import InvalidInput
from observe.model import Client, Observation, Session
from observe.scheme import CodingScheme
from observe.store import Store

Valences = dict[tuple[str, str], float]

#: Translation keys of the "not enough data" messages (observe/i18n/catalog/dashboards.json).
NO_OBSERVATION = "dash.no_observation"
NO_EVENTS = "dash.no_events"
NO_SESSIONS = "dash.no_sessions"
FEW_PAIRS = "dash.few_pairs"
SUBJECT_ALIASES = {"k": "client", "client": "client", "c": "counselor", "counselor": "counselor"}
INDEX_FIELDS = ("oi", "ci_low", "ci_high", "n_windows", "n_defined", "share_defined", "reason", "ci_reason")


# --------------------------------------------------------------------------- shared helpers


def parse_code(text: str) -> Code:
    """``"client:G_EYE"`` (or ``K:G_EYE``, ``counselor:T_FWD``, ``C:T_FWD``) → ``(subject, cue)``.

    Examples
    --------
    >>> parse_code("C:T_FWD"), parse_code("client:g_eye")
    (('counselor', 'T_FWD'), ('client', 'G_EYE'))
    """
    subject, sep, cue = str(text).strip().partition(":")
    if not sep or subject.strip().lower() not in SUBJECT_ALIASES or not cue.strip():
        raise InvalidInput("dash.bad_code", code=text)
    return SUBJECT_ALIASES[subject.strip().lower()], cue.strip().upper()


def format_code(code: Code) -> str:
    """``("client", "G_EYE")`` → ``"client:G_EYE"`` (the inverse of :func:`parse_code`)."""
    return f"{code[0]}:{code[1]}"


def client_valences(
    schemes: Iterable[CodingScheme], profile: str = "default", overrides: Mapping[str, float] | None = None
) -> Valences:
    """Valences of every scheme version used, with the client's profile and overrides (DOMAIN §2).

    Versions are applied oldest first, so the newest version decides where they differ and a
    cue removed from a newer version keeps the valence it had when it was coded. An override
    or profile an older version does not know is skipped for that version only.

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> v = client_valences([default_scheme()], "special_needs", {"A_CROSS": 0})
    >>> v[("client", "G_AWAY")], v[("client", "A_CROSS")], v[("counselor", "G_AWAY")]
    (0.0, 0.0, -1.0)
    """
    out: Valences = {}
    for scheme in sorted(schemes, key=lambda s: s.version):
        known = {c.code for c in scheme.cues}
        # the profile and the overrides are both client layers (DOMAIN §2: override → profile → default);
        # each is trimmed to the cues this version has, so a removed cue cannot break an old version
        layer = dict(scheme.profiles.get(profile, {}).get("client", {}))
        layer.update(overrides or {})
        out.update(scheme.valences("default", {k: v for k, v in layer.items() if k in known}))
    return out


def pick_observations(
    observations: Sequence[Observation], observer: str | None = None
) -> dict[str, Observation]:
    """One observation per session: ``observer``'s if given, else the reference one, else the most coded.

    Examples
    --------
    >>> a = Observation(1, "S1", "ani", "default", 1, "finished", False, 10)
    >>> b = Observation(2, "S1", "budi", "default", 1, "finished", True, 3)
    >>> pick_observations([a, b])["S1"].observer, pick_observations([a, b], "ani")["S1"].observer
    ('budi', 'ani')
    """
    chosen: dict[str, Observation] = {}
    for obs in observations:
        if observer is not None and obs.observer != observer:
            continue
        best = chosen.get(obs.session)
        rank = (obs.is_reference, obs.n_events, -obs.id)
        if best is None or rank > (best.is_reference, best.n_events, -best.id):
            chosen[obs.session] = obs
    return chosen


def data_version(store: Store, *, client: str | None = None, session: str | None = None) -> tuple[Any, ...]:
    """What a dashboard's cache key holds of the data: the store's change counter.

    ``Store.data_version()`` counts every committed change (an edit that keeps every count,
    an undo, a finished observation, a new profile...), so a cached result is never stale.
    ``client``/``session`` are accepted for callers that narrow what they read; the counter
    is one number for the whole workspace.

    >>> store = Store.open("sqlite://")
    >>> before = data_version(store)
    >>> store.add_client("K09")  # doctest: +ELLIPSIS
    Client(...)
    >>> data_version(store) > before
    True
    """
    return (store.data_version(),)


def _schemes(store: Store, observations: Iterable[Observation]) -> list[CodingScheme]:
    versions = {(o.scheme_name, o.scheme_version) for o in observations}
    return [store.scheme(name, version) for name, version in sorted(versions)] or [store.scheme()]


def _index_row(result: OpennessResult | None) -> dict[str, Any]:
    """The session index (OI with CI and reasons) of a one-observation result."""
    if result is None or result.sessions.empty:
        return {k: (math.nan if k not in ("reason", "ci_reason") else NO_EVENTS) for k in INDEX_FIELDS}
    row = result.sessions.iloc[0]
    return {k: row[k] for k in INDEX_FIELDS}


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
    ``oi, ci_low, ci_high, n_windows, n_defined, share_defined, reason, ci_reason``.
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
    >>> from observe.demo import create_demo
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
    schemes = _schemes(store, [chosen] if chosen else observations)
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
    events = store.events_frame(observation_id=chosen.id) if chosen else empty
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
    )


# --------------------------------------------------------------------------- client progress


@dataclass(frozen=True)
class ClientProgress:
    """All sessions of one client (one row per session in ``sessions``), trend and referral flag.

    ``sessions`` columns: ``session, session_number, session_date, counselor, observer,
    n_events, oi, ci_low, ci_high, share_defined, reason, ci_reason, attending,
    attending_ci_low, attending_ci_high, delta_first, delta_baseline, z_within,
    rr_per_10min, n_r3, r12_min, disclosure_min, strengths_min, responses_tried`` and the
    CR_* counts. ``trend``/``attending_trend``: ``n_sessions, slope, slope_se, ci_low,
    ci_high, intercept, reason``.
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


def _client_sessions(
    store: Store, sessions: Sequence[Session], observer: str | None
) -> tuple[pd.DataFrame, dict[str, Observation], list[CodingScheme]]:
    """Events of one chosen observation per session, the chosen observations and their schemes."""
    wanted = {s.code for s in sessions}
    chosen = pick_observations([o for o in store.observations() if o.session in wanted], observer)
    clients = sorted({s.client for s in sessions})
    frames = [store.events_frame(client=c) for c in clients]
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not events.empty:
        events = events[events["observation_id"].isin([o.id for o in chosen.values()])]
    return events.reset_index(drop=True), chosen, _schemes(store, chosen.values())


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
    cols = ["oi", "ci_low", "ci_high", "share_defined", "reason", "ci_reason"]
    if events.empty:
        for col in cols + ["attending", "attending_ci_low", "attending_ci_high", "rr_per_10min"]:
            out[col] = NO_EVENTS if "reason" in col else math.nan
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
    res = res.drop(columns=["session_number", "session_date", "client_special_needs"], errors="ignore")
    out = out.merge(oi[["session", *cols]], on="session", how="left")
    out = out.merge(
        att[["session", "attending", "attending_ci_low", "attending_ci_high"]], on="session", how="left"
    )
    out = out.merge(res, on="session", how="left")
    out["reason"] = out["reason"].fillna(NO_EVENTS)
    out["ci_reason"] = out["ci_reason"].fillna(NO_EVENTS)
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
    >>> from observe.demo import create_demo
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
    events, chosen, schemes = _client_sessions(store, sessions, observer)
    valences = client_valences(schemes, info.valence_profile, info.valence_overrides)
    table = _per_session(sessions, chosen, events, valences, params)
    if table.empty:
        nan_trend = {"n_sessions": 0, "slope": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                     "slope_se": math.nan, "intercept": math.nan, "reason": NO_SESSIONS}  # fmt: skip
        flag = referral_flag(_empty_resistance(), pd.DataFrame(columns=["session_number", "oi", "share_defined"]),
                             params=referral_params, special_needs=info.special_needs)  # fmt: skip
        return ClientProgress(info, table, nan_trend, nan_trend, flag, params.as_dict(),
                              referral_params.as_dict(), valence_hash(valences), (NO_SESSIONS,))  # fmt: skip
    rel = openness_relative(table[["client", "session_number", "oi"]], m=params.m)
    table = table.merge(
        rel[["session_number", "delta_first", "delta_baseline", "z_within"]], on="session_number"
    )
    trend = openness_trend(table).iloc[0].to_dict()
    att_trend = openness_trend(table[["client", "session_number", "attending"]].rename(
        columns={"attending": "oi"})).iloc[0].to_dict()  # fmt: skip
    res = table[["session_number", "rr_per_10min", *RESPONSE_CUES]].fillna(dict.fromkeys(RESPONSE_CUES, 0))
    oi_cols = table[["session_number", "oi", "share_defined"]]
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
    attending_ci_high, oi, ci_low, ci_high, r_same, n_same, r_next, n_next, r_reason`` —
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
    >>> from observe.demo import create_demo
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
        events, chosen, schemes = _client_sessions(store, mine, observer)
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
            "r_same", "n_same", "r_next", "n_next", "r_reason"]  # fmt: skip
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
    rows = []
    for client, sub in table.groupby("client", sort=True):
        win = windows[windows["client"] == client]
        r, n, reason = _pearson(win["attending"].to_numpy(float), win["oi"].to_numpy(float))
        rows.append({"client": client, "n_sessions": len(sub), "mean_attending": sub["attending"].mean(),
                     "mean_oi": sub["oi"].mean(), "r_same": r, "n_windows": n, "r_reason": reason})  # fmt: skip
    cols = ["client", "n_sessions", "mean_attending", "mean_oi", "r_same", "n_windows", "r_reason"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- cue patterns


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a cue-pattern analysis pools (empty/None = no restriction).

    Examples
    --------
    >>> SessionFilter(clients=("K01",), numbers=(2, 4)).numbers
    (2, 4)
    """

    clients: tuple[str, ...] = ()
    counselors: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    numbers: tuple[int, int] | None = None
    special_needs: bool | None = None
    sessions: tuple[str, ...] = ()

    def select(self, sessions: Iterable[Session], special: Mapping[str, bool]) -> list[Session]:
        """The sessions that pass every filter (``special``: client code → special-needs flag)."""
        out = []
        for s in sessions:
            if self.sessions and s.code not in self.sessions:
                continue
            if (self.clients and s.client not in self.clients) or (
                self.counselors and s.counselor not in self.counselors
            ):
                continue
            if (self.date_from and s.date < self.date_from) or (self.date_to and s.date > self.date_to):
                continue
            if self.numbers and not self.numbers[0] <= s.number <= self.numbers[1]:
                continue
            if self.special_needs is not None and special.get(s.client, False) != self.special_needs:
                continue
            out.append(s)
        return out


@dataclass(frozen=True)
class CuePatterns:
    """Sequential analysis of every (given, target) pair over the chosen sessions (DOMAIN §5).

    ``table``: one row per session and pair — ``given, target, session, client, a, b, c, d,
    p_target_given, p_target_not_given, z, yules_q, odds_ratio, interpretable, reason,
    p_value``. ``pooled``: one row per pair — the summed tally with its z, Q, OR
    (``pooled_*``), the mean of per-session Q with a t-based CI (``mean_q, q_ci_low,
    q_ci_high``), the sessions used, and ``p_combined`` (Fisher's combination of the
    per-session circular-shift p-values).
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    sessions: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def cue_patterns(
    store: Store,
    given: Sequence[Code | str],
    target: Sequence[Code | str],
    *,
    window_s: float = 5.0,
    unit_s: float = 1.0,
    offset_s: float = 0.0,
    n_perm: int = 1000,
    seed: int = 0,
    filters: SessionFilter | None = None,
    observer: str | None = None,
) -> CuePatterns:
    """Does ``given`` precede ``target`` within ``window_s``? Per session, pooled, with permutation p.

    Parameters
    ----------
    store
        The workspace.
    given, target
        Codes as ``(subject, cue)`` or ``"subject:CUE"``; every pair is analysed.
    window_s, unit_s, offset_s
        Window after each given onset, time unit Δ, window shift (``-window_s`` = the
        pre-window control of DOMAIN §5).
    n_perm, seed
        Circular time-shift test: shifts per session and seed (0 turns the test off).
    filters
        Which sessions to pool.
    observer
        Whose coding; default: per session the reference, else the most coded one.

    Examples
    --------
    >>> from observe.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> r = cue_patterns(store, ["counselor:T_FWD"], ["client:G_EYE"], n_perm=50,
    ...                  filters=SessionFilter(clients=("K01",)))
    >>> len(r.table), int(r.pooled["n_sessions"].iloc[0])
    (6, 5)
    """
    givens = [_as_code(g) for g in given]
    targets = [_as_code(t) for t in target]
    if not givens or not targets:
        raise InvalidInput("dash.no_codes")
    for name, value in (("window_s", window_s), ("unit_s", unit_s)):
        if not value > 0:
            raise InvalidInput("analysis.params.must_be_positive", name=name, value=value)
    filters = filters or SessionFilter()
    special = {c.code: c.special_needs for c in store.clients(include_archived=True)}
    sessions = filters.select(store.sessions(), special)
    events, chosen, schemes = _client_sessions(store, sessions, observer)
    _check_codes(schemes, [*givens, *targets])
    params = {"window_s": window_s, "unit_s": unit_s, "offset_s": offset_s, "n_perm": n_perm, "seed": seed,
              "filters": _filter_dict(filters), "observer": observer}  # fmt: skip
    if events.empty:
        return CuePatterns(_empty_table(), _empty_pooled(), (), params, (NO_SESSIONS,))
    tables, pooled = [], []
    for g in givens:
        for t in targets:
            tab = sequence_table(
                events, given=g, target=t, window_s=window_s, unit_s=unit_s, offset_s=offset_s
            )
            tab["client"] = tab["session"].map(
                events.drop_duplicates("session").set_index("session")["client"]
            )
            if n_perm > 0:
                shifts = shift_test(events, given=g, target=t, window_s=window_s, unit_s=unit_s,
                                    offset_s=offset_s, n_perm=n_perm, seed=seed)  # fmt: skip
                tab = tab.merge(shifts[["session", "observer", "p_value"]], on=["session", "observer"])
            else:
                tab["p_value"] = math.nan
            tab.insert(0, "target", format_code(t))
            tab.insert(0, "given", format_code(g))
            tables.append(tab)
            pooled.append(_pool(tab, format_code(g), format_code(t)))
    table = pd.concat(tables, ignore_index=True)
    return CuePatterns(table, pd.DataFrame(pooled), tuple(sorted(chosen)), params)


def _as_code(code: Code | str) -> Code:
    if isinstance(code, str):
        return parse_code(code)
    subject, cue = code
    return str(subject), str(cue)


def _pool(tab: pd.DataFrame, given: str, target: str) -> dict[str, Any]:
    cells = [int(tab[c].sum()) for c in "abcd"]
    total = contingency_stats(*cells)
    q = pooled_q(tab)
    p = tab["p_value"].dropna().to_numpy(float)
    p_comb = float(stats.combine_pvalues(p, method="fisher").pvalue) if len(p) else math.nan
    return {
        "given": given, "target": target, "a": cells[0], "b": cells[1], "c": cells[2], "d": cells[3],
        "p_target_given": total.p_target_given, "p_target_not_given": total.p_target_not_given,
        "pooled_z": total.z, "pooled_q": total.yules_q, "pooled_or": total.odds_ratio,
        "mean_q": q["mean_q"], "q_ci_low": q["ci_low"], "q_ci_high": q["ci_high"],
        "n_sessions": q["n_sessions"], "n_excluded": q["n_excluded"], "p_combined": p_comb,
        "reason": q["reason"] or total.reason,
    }  # fmt: skip


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=["given", "target", "session", "client", "a", "b", "c", "d", "z", "yules_q",
                                 "p_value", "reason"])  # fmt: skip


def _empty_pooled() -> pd.DataFrame:
    return pd.DataFrame(columns=["given", "target", "pooled_z", "pooled_q", "mean_q", "n_sessions",
                                 "p_combined", "reason"])  # fmt: skip


def _check_codes(schemes: Sequence[CodingScheme], codes: Sequence[Code]) -> None:
    known = {(s, c.code) for scheme in schemes for c in scheme.cues for s in c.subjects}
    for subject, cue in codes:
        if (subject, cue) not in known:
            raise InvalidInput("dash.unknown_code", code=f"{subject}:{cue}")


def _filter_dict(filters: SessionFilter) -> dict[str, Any]:
    return {
        "clients": list(filters.clients),
        "counselors": list(filters.counselors),
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
        "numbers": list(filters.numbers) if filters.numbers else None,
        "special_needs": filters.special_needs,
        "sessions": list(filters.sessions),
    }


# --------------------------------------------------------------------------- printable summary

_SUMMARY_COLUMNS = ("session_number", "session_date", "counselor", "oi", "ci_low", "ci_high", "attending",
                    "delta_first", "rr_per_10min", "disclosure_min", "responses_tried")  # fmt: skip


def progress_summary_html(progress: ClientProgress, lang: str = "en") -> str:
    """A one-page, print-friendly HTML summary of :func:`client_progress` (for the supervision file).

    Examples
    --------
    >>> from observe.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> html_text = progress_summary_html(client_progress(store, "K02"), "id")
    >>> "alih tangan kasus" in html_text, "<table" in html_text
    (True, True)
    """
    from observe.i18n import t

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "–" if math.isnan(value) else f"{value:.2f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(t(f'dash.col.{c}', lang))}</th>" for c in _SUMMARY_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(r[c])}</td>" for c in _SUMMARY_COLUMNS) + "</tr>"
        for _, r in progress.sessions.iterrows()
    )
    trend = progress.trend
    if trend["reason"]:
        slope = t(trend["reason"], lang)
    else:
        ci = t("dash.ci", lang, low=f"{trend['ci_low']:+.3f}", high=f"{trend['ci_high']:+.3f}")
        slope = f"{trend['slope']:+.3f} ({ci})"
    params = {**progress.params, **progress.referral_params}
    params_text = "; ".join(f"{k} = {v}" for k, v in params.items())
    client = progress.client
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(t("dash.summary.title", lang, client=client.code))}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:1em auto;color:#000}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:2px 6px;text-align:right}}
th{{background:#eee}}.flag{{border:2px solid #000;padding:.5em}}small{{color:#333}}
@media print{{body{{margin:0}}}}</style></head><body>
<h1>{html.escape(t("dash.summary.title", lang, client=client.code))}</h1>
<p>{
        html.escape(
            t(
                "dash.summary.meta",
                lang,
                profile=client.valence_profile,
                n=len(progress.sessions),
                special=t("dash.yes" if client.special_needs else "dash.no", lang),
            )
        )
    }</p>
<p class="flag"><b>{html.escape(t(f"dash.flag.{progress.referral.status}", lang))}</b> —
{html.escape(progress.referral.text(lang))}</p>
<p><b>{html.escape(t("dash.metric.slope", lang))}:</b> {html.escape(slope)}</p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p><small><b>{html.escape(t("dash.params.used", lang))}</b> {html.escape(params_text)};
valence hash {progress.valence_hash}</small></p>
<p><small>{html.escape(t("analysis.openness.limitations", lang))}</small></p>
</body></html>"""
