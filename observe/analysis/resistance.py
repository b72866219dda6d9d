"""Resistance episodes, resistance rate and the referral flag (DOMAIN.md §4).

The founding text names three resistance symptoms: formal/superficial talk (R1),
reluctant silence (R2) and defensiveness (R3_* points). The resistance rate per
10 minutes combines them; the referral flag is a configurable heuristic (not a
clinical rule) that suggests discussing *alih tangan kasus* in supervision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from observe.analysis.intervals import (
    OBSERVATION_KEYS,
    close_states,
    observation_spans,
    union_length,
)
from observe.errors import InvalidInput
from observe.model import EXHAUSTIVE_CHANNELS

R12_CUES: tuple[str, ...] = ("R1_FORMAL", "R2_SILENT")
R3_CUES: tuple[str, ...] = ("R3_WITHHOLD", "R3_AVOID", "R3_REFUSE", "R3_ARGUE")
#: Counselor responses of the founding text; the first five count as "responses tried" (DOMAIN §4 cond. 3).
RESPONSE_CUES: tuple[str, ...] = ("CR_TOPIC", "CR_MOTIV", "CR_LOWER", "CR_RAISE", "CR_STRENGTH")
CR_CUES: tuple[str, ...] = (*RESPONSE_CUES, "CR_REFER", "CR_PARENT")

R_NO_TIME = "analysis.resistance.no_observed_time"


@dataclass(frozen=True)
class Reason:
    """One sentence of an explanation: a translation key and its parameters."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The sentence in ``lang`` (``"en"`` or ``"id"``)."""
        from observe.i18n import t

        return t(self.key, lang, **self.params)


# --------------------------------------------------------------------------- episodes and rate


def resistance_episodes(
    events: pd.DataFrame,
    *,
    valences: Mapping[tuple[str, str], float | None] | None = None,
    subject: str = "client",
    by: Sequence[str] = OBSERVATION_KEYS,
    coded_s: float | None = None,
) -> pd.DataFrame:
    """Resistance episodes of one subject, in time order, within the coded extent [0, E].

    Parameters
    ----------
    events
        Tidy event frame.
    valences
        If given, the subject's closed states (ME&E states with valence −1, e.g.
        A_CROSS, T_AWAY) are listed too, as ``type = "closed"``.
    subject
        Whose episodes (default the client).
    by
        Columns identifying one observation.
    coded_s
        Coded extent E (DOMAIN §9.3); default: the frame's ``coded_s`` column, else
        the whole session. Episodes after E are left out; a running state ends at E.

    Returns
    -------
    DataFrame
        Columns: the ``by`` columns, ``type`` (``"R1"``, ``"R2"``, ``"R3"`` or
        ``"closed"``), ``cue``, ``channel``, ``start_s``, ``end_s`` (= start for R3
        points; running states closed at the end of the coded extent) and ``duration_s``.

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "channel": ["PROCESS", "POINT"], "cue": ["R2_SILENT", "R3_REFUSE"],
    ...     "kind": ["state", "point"], "start_s": [10.0, 30.0], "end_s": [16.0, float("nan")],
    ...     "duration_s": 60.0})
    >>> resistance_episodes(ev)[["type", "start_s", "duration_s"]].values.tolist()
    [['R2', 10.0, 6.0], ['R3', 30.0, 0.0]]
    """
    columns = [*by, "type", "cue", "channel", "start_s", "end_s", "duration_s"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    _check(events, by)
    spans = observation_spans(events, by, coded_s)
    codes, keys, extent = spans.codes, spans.keys, spans.coded
    mine = (events["subject"] == subject).to_numpy()
    cue = events["cue"].astype(str)
    is_state = (events["kind"] == "state").to_numpy()
    r12 = mine & is_state & cue.isin(R12_CUES).to_numpy()
    r3 = mine & (events["kind"] == "point").to_numpy() & cue.isin(R3_CUES).to_numpy()
    r3 &= events["start_s"].to_numpy(float) <= extent[codes]  # a point at exactly E counts
    closed = np.zeros(len(events), dtype=bool)
    if valences is not None:
        val = cue.map(lambda c: valences.get((subject, c))).astype(float).to_numpy()
        closed = mine & is_state & events["channel"].isin(EXHAUSTIVE_CHANNELS).to_numpy() & (val == -1)
    keep = r12 | r3 | closed
    start, end = close_states(
        events["start_s"].to_numpy(float)[keep],
        np.where(r3, events["start_s"].to_numpy(float), events["end_s"].to_numpy(float))[keep],
        extent[codes[keep]],
    )
    out = pd.DataFrame({col: keys[col].to_numpy()[codes[keep]] for col in by})
    out["type"] = np.where(r3[keep], "R3", np.where(closed[keep], "closed", cue[keep].str[:2].to_numpy()))
    out["cue"] = cue[keep].to_numpy()
    out["channel"] = events["channel"].to_numpy()[keep]
    out["start_s"], out["end_s"] = start, end
    out["duration_s"] = end - start
    out = out[(out["duration_s"] > 0) | (out["type"] == "R3")]  # states after E carry no episode
    return out.sort_values([*by, "start_s"], kind="stable", ignore_index=True)[columns]


def resistance_sessions(
    events: pd.DataFrame, *, by: Sequence[str] = OBSERVATION_KEYS, coded_s: float | None = None
) -> pd.DataFrame:
    """Resistance rate per 10 minutes and its components, per observation (DOMAIN §4).

    RR = 10·(N_R3 + M_R12)/T_obs, with N_R3 the client's R3_* points, M_R12 the minutes
    in R1 ∪ R2 (overlaps counted once) and T_obs the observed minutes: the coded extent
    [0, E] (DOMAIN §9.3; ``coded_s`` or the frame's ``coded_s`` column, else the whole
    session). Running states end at E; a point at exactly E counts.

    Returns
    -------
    DataFrame
        The ``by`` columns, session metadata present in ``events`` (client, counselor,
        session_number, session_date, client_special_needs), ``observed_min``
        (coded minutes E/60), ``coded_s``, ``coverage`` (E/T), ``partial`` (coverage
        below 0.5: keep out of trends and the referral flag),
        ``n_r3``, ``r12_min``, ``rr_per_10min``, ``disclosure_min`` (client
        D_DISCLOSE), ``strengths_min`` (client D_STRENGTH), one count column per
        CR_* code (counselor), ``responses_tried`` (distinct codes among
        :data:`RESPONSE_CUES`) and ``reason`` (why RR is missing).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client",
    ...     "channel": ["PROCESS", "PROCESS", "POINT"], "cue": ["R1_FORMAL", "R2_SILENT", "R3_ARGUE"],
    ...     "kind": ["state", "state", "point"], "start_s": [0.0, 30.0, 70.0],
    ...     "end_s": [60.0, 90.0, float("nan")], "duration_s": 600.0})
    >>> r = resistance_sessions(ev).iloc[0]
    >>> float(r["r12_min"]), int(r["n_r3"]), float(r["rr_per_10min"])
    (1.5, 1, 2.5)
    """
    _check(events, by)
    spans = observation_spans(events, by, coded_s)
    codes, keys, lengths = spans.codes, spans.keys, spans.coded
    ev = events.assign(_g=codes)
    out = keys.reset_index(drop=True).copy()
    first = ev.groupby("_g", sort=True).head(1).set_index("_g").sort_index()
    for col in ("client", "counselor", "session_number", "session_date", "client_special_needs"):
        if col in ev.columns and col not in out.columns:
            out[col] = first[col].to_numpy()
    # points after the coded extent are not counted; one at exactly E is (DOMAIN §9.1, §9.3)
    ev = ev[~((ev["kind"] == "point") & (ev["start_s"].to_numpy(float) > lengths[codes]))]
    out["observed_min"] = lengths / 60.0
    for col, values in spans.columns().items():
        out[col] = values
    client = ev[ev["subject"] == "client"]
    out["n_r3"] = _count(client[client["cue"].isin(R3_CUES) & (client["kind"] == "point")], len(keys))
    out["r12_min"] = _union_minutes(client, R12_CUES, lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = 10.0 * (out["n_r3"] + out["r12_min"]) / out["observed_min"]
    out["rr_per_10min"] = np.where(out["observed_min"] > 0, rr, np.nan)
    out["disclosure_min"] = _union_minutes(client, ("D_DISCLOSE",), lengths)
    out["strengths_min"] = _union_minutes(client, ("D_STRENGTH",), lengths)
    counselor = ev[(ev["subject"] == "counselor") & (ev["kind"] == "point")]
    for cue in CR_CUES:
        out[cue] = _count(counselor[counselor["cue"] == cue], len(keys))
    out["responses_tried"] = (out[list(RESPONSE_CUES)] > 0).sum(axis=1)
    out["reason"] = np.where(out["observed_min"] > 0, "", R_NO_TIME)
    return out


def _check(events: pd.DataFrame, by: Sequence[str]) -> None:
    missing = [c for c in (*by, "subject", "cue", "kind", "start_s", "end_s") if c not in events.columns]
    if missing:
        raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    if events.empty:
        raise InvalidInput("analysis.no_events")


def _count(rows: pd.DataFrame, n_groups: int) -> np.ndarray:
    return np.bincount(rows["_g"].to_numpy(np.int64), minlength=n_groups)


def _union_minutes(rows: pd.DataFrame, cues: Sequence[str], lengths: np.ndarray) -> np.ndarray:
    """Minutes covered by the union of the given states, per group."""
    out = np.zeros(len(lengths))
    sel = rows[rows["cue"].isin(cues) & (rows["kind"] == "state")]
    for g, sub in sel.groupby("_g"):
        gi = int(g)  # type: ignore[call-overload]
        s, e = close_states(
            sub["start_s"].to_numpy(float), sub["end_s"].to_numpy(float), np.full(len(sub), lengths[gi])
        )
        out[gi] = union_length(s, e) / 60.0
    return out


# --------------------------------------------------------------------------- referral flag


@dataclass(frozen=True)
class ReferralParams:
    """Thresholds of the referral flag (DOMAIN §4 defaults; no empirical basis, calibrate locally).

    Parameters
    ----------
    n_sessions
        N: how many of the client's last sessions are examined.
    rho
        ρ: resistance rate (per 10 min) reached in each of them.
    delta
        δ: the OLS slope of OI over them is at most this (no upward trend).
    k
        Distinct counselor responses (CR_TOPIC … CR_STRENGTH) tried over them.
    min_defined_share
        Share of windows with a defined OI needed in each session.
    """

    n_sessions: int = 3
    rho: float = 3.0
    delta: float = 0.0
    k: int = 2
    min_defined_share: float = 0.5

    def __post_init__(self) -> None:
        if self.n_sessions < 2:
            raise InvalidInput(
                "analysis.params.out_of_range", name="N", value=self.n_sessions, low=2, high="∞"
            )
        if not 0 <= self.k <= len(RESPONSE_CUES):
            raise InvalidInput(
                "analysis.params.out_of_range", name="k", value=self.k, low=0, high=len(RESPONSE_CUES)
            )
        if not 0 <= self.min_defined_share <= 1:
            raise InvalidInput(
                "analysis.params.out_of_range",
                name="min_defined_share",
                value=self.min_defined_share,
                low=0,
                high=1,
            )
        if not self.rho >= 0:
            raise InvalidInput("analysis.params.must_not_be_negative", name="rho", value=self.rho)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the thresholds."""
        return asdict(self)


@dataclass(frozen=True)
class ReferralFlag:
    """The referral flag of one client with the reasons, ready to be said in words.

    ``status`` is ``"raised"``, ``"not_raised"`` or ``"not_enough_data"``;
    ``conditions`` maps each DOMAIN §4 condition to True/False (None = unknown);
    ``reasons`` are sentences (translation key + params) for the page;
    ``left_out`` the sessions kept out as partially coded (DOMAIN §9.3).
    """

    raised: bool
    status: str
    conditions: Mapping[str, bool | None]
    reasons: tuple[Reason, ...]
    sessions: tuple[Any, ...]
    params: Mapping[str, Any]
    left_out: tuple[Any, ...] = ()

    def text(self, lang: str = "en") -> str:
        """All reasons as one paragraph in ``lang``."""
        return " ".join(r.text(lang) for r in self.reasons)


def referral_flag(
    resistance: pd.DataFrame,
    openness_sessions: pd.DataFrame,
    *,
    params: ReferralParams | None = None,
    special_needs: bool = False,
    order_col: str = "session_number",
) -> ReferralFlag:
    """Referral flag for one client over their last N sessions (DOMAIN §4).

    Raised when all hold: (1) RR ≥ ρ in each session; (2) the OLS slope of OI(σ) over
    these sessions is ≤ δ; (3) ≥ k distinct responses among CR_TOPIC, CR_MOTIV,
    CR_LOWER, CR_RAISE, CR_STRENGTH were coded; (4) OI is defined for ≥ 50% of the
    windows in each session. Partially coded sessions (a ``partial`` column that is
    True in either frame, DOMAIN §9.3) are kept out and listed in ``left_out``.

    Parameters
    ----------
    resistance
        :func:`resistance_sessions` rows of one client (one observation per session).
    openness_sessions
        :func:`observe.analysis.openness.openness_sessions` rows of the same client.
    params
        :class:`ReferralParams`; DOMAIN defaults if ``None``.
    special_needs
        The client has special needs (ABK): the text adds "involve parents first".
    order_col
        Column ordering the sessions (joined on it).

    Returns
    -------
    ReferralFlag

    Examples
    --------
    >>> res = pd.DataFrame({"session_number": [1, 2, 3], "rr_per_10min": [4.0, 5.0, 3.5],
    ...     "CR_TOPIC": [1, 0, 0], "CR_MOTIV": [0, 2, 0], "CR_LOWER": 0, "CR_RAISE": 0, "CR_STRENGTH": 0})
    >>> oi = pd.DataFrame({"session_number": [1, 2, 3], "oi": [0.1, 0.0, 0.05], "share_defined": 0.9})
    >>> flag = referral_flag(res, oi)
    >>> flag.status, flag.reasons[0].key
    ('raised', 'analysis.referral.raised')
    """
    params = params or ReferralParams()
    for frame, cols in ((resistance, [order_col, "rr_per_10min", *RESPONSE_CUES]),
                        (openness_sessions, [order_col, "oi", "share_defined"])):  # fmt: skip
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InvalidInput("analysis.missing_columns", columns=", ".join(missing))
    left_out = sorted(
        set(_partial_sessions(resistance, order_col)) | set(_partial_sessions(openness_sessions, order_col))
    )
    if left_out:
        resistance = resistance[~resistance[order_col].isin(left_out)]
        openness_sessions = openness_sessions[~openness_sessions[order_col].isin(left_out)]
    flag = _decide(resistance, openness_sessions, params, special_needs, order_col)
    if not left_out:
        return flag
    note = Reason("analysis.referral.partial_left_out", {"sessions": ", ".join(str(x) for x in left_out)})
    return replace(flag, reasons=(*flag.reasons, note), left_out=tuple(left_out))


def _partial_sessions(frame: pd.DataFrame, order_col: str) -> list[Any]:
    if "partial" not in frame.columns:
        return []
    partial = frame["partial"].astype("boolean").fillna(False).astype(bool)
    return frame.loc[partial, order_col].tolist()


def _decide(
    resistance: pd.DataFrame,
    openness_sessions: pd.DataFrame,
    params: ReferralParams,
    special_needs: bool,
    order_col: str,
) -> ReferralFlag:
    """The flag over the last N sessions of the frames as given (DOMAIN §4)."""
    merged = resistance.merge(
        openness_sessions[[order_col, "oi", "share_defined"]], on=order_col, how="outer"
    )
    if merged[order_col].duplicated().any():
        session = merged.loc[merged[order_col].duplicated(), order_col].iloc[0]
        raise InvalidInput("analysis.openness.duplicate_session", client="", session=session)
    last = merged.sort_values(order_col).tail(params.n_sessions)
    sessions = tuple(last[order_col].tolist())
    n = params.n_sessions
    if len(last) < n:
        return ReferralFlag(
            False,
            "not_enough_data",
            dict.fromkeys(("resistance", "no_improvement", "responses", "coverage")),
            (Reason("analysis.referral.too_few_sessions", {"have": len(last), "need": n}),),
            sessions,
            params.as_dict(),
        )

    rr = last["rr_per_10min"].to_numpy(float)
    share = last["share_defined"].to_numpy(float)
    tried = [c for c in RESPONSE_CUES if last[c].fillna(0).sum() > 0]
    oi = last["oi"].to_numpy(float)
    x = last[order_col].to_numpy(float)
    slope = float(stats.linregress(x, oi).slope) if not np.isnan(oi).any() and np.ptp(x) > 0 else math.nan

    cond: dict[str, bool | None] = {
        "resistance": None if np.isnan(rr).any() else bool((rr >= params.rho).all()),
        "no_improvement": None if math.isnan(slope) else slope <= params.delta,
        "responses": len(tried) >= params.k,
        "coverage": bool((np.nan_to_num(share) >= params.min_defined_share).all()),
    }
    detail = {
        "resistance": Reason(
            "analysis.referral.cond.resistance",
            {
                "n": n,
                "rho": _fmt(params.rho),
                "min_rr": _fmt(np.nanmin(rr)) if not np.isnan(rr).all() else "–",
            },
        ),
        "no_improvement": Reason(
            "analysis.referral.cond.no_improvement", {"slope": _fmt(slope, 3), "delta": _fmt(params.delta, 3)}
        ),
        "responses": Reason(
            "analysis.referral.cond.responses",
            {"count": len(tried), "k": params.k, "codes": ", ".join(tried) or "–"},
        ),
        "coverage": Reason(
            "analysis.referral.cond.coverage",
            {
                "min_share": _fmt(100 * np.nanmin(share) if not np.isnan(share).all() else 0, 0),
                "need": _fmt(100 * params.min_defined_share, 0),
            },
        ),  # fmt: skip
    }
    if any(v is None for v in cond.values()):
        unknown = [k for k, v in cond.items() if v is None]
        reasons = tuple(Reason(f"analysis.referral.unknown.{k}") for k in unknown)
        return ReferralFlag(False, "not_enough_data", cond, reasons, sessions, params.as_dict())
    if all(cond.values()):
        said = [Reason("analysis.referral.raised", {"n": n})]
        if special_needs:
            said.append(Reason("analysis.referral.involve_parents"))
        said += [detail[k] for k in cond]
        said.append(Reason("analysis.referral.heuristic"))
        return ReferralFlag(True, "raised", cond, tuple(said), sessions, params.as_dict())
    failed = [detail[k] for k, v in cond.items() if not v]
    reasons = (Reason("analysis.referral.not_raised", {"n": n}), *failed)
    return ReferralFlag(False, "not_raised", cond, reasons, sessions, params.as_dict())


def _fmt(value: float, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
