"""Inter-observer reliability of stored sessions: what the agreement page and the CLI show.

The statistics are in :mod:`observe.analysis.agreement` (pure, over event frames);
this module reads the two observations from the store, applies the blind-coding
rule (:mod:`observe.coding.blind`), compares the cues the two scheme versions share, and
turns the results into display tables. One path for the page and
``python -m observe agreement``, so both print the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from observe.analysis.agreement import (
    AgreementResult,
    alpha_by_channel,
    compare_observers,
    icc_2_1,
    verdict,
)
from observe.analysis.agreement.compare import WHOLE_CHANNEL
from observe.analysis.openness import openness
from observe.coding import blind
from observe.errors import InvalidInput
from observe.i18n import t
from observe.model import Observation
from observe.reports.selection import with_coded_extent
from observe.scheme import CodingScheme
from observe.store import Store

#: DOMAIN §6: report the time-unit kappa at τ = 0 and τ = 2 s.
TOLERANCES: tuple[float, ...] = (0.0, 2.0)
#: Index scores whose per-window agreement is reported (client openness, counselor attending).
INDEX_SUBJECTS: tuple[str, ...] = ("client", "counselor")
#: Verdicts at or above the training criterion.
PASSING = frozenset({"training", "research"})

CHANNEL_COLUMNS = ("subject", "channel", "kappa", "verdict", "p_o", "kappa_max", "pabak", "n_codes",
                   "n_units", "base_rates", "note")  # fmt: skip
CUE_COLUMNS = ("subject", "cue", "kappa", "verdict", "p_o", "pabak", "f1", "rate_a", "rate_b", "note")
EVENT_COLUMNS = ("subject", "channel", "events_a", "events_b", "matches", "confusions", "only_a", "only_b",
                 "kappa", "precision", "recall", "f1", "verdict", "onset_mean", "offset_mean", "note")  # fmt: skip
TRAINING_COLUMNS = ("observer", "session_date", "session", "reference", "lowest_kappa", "lowest_subject",
                    "lowest_channel",
                    "mean_kappa", "passed", "verdict")  # fmt: skip


@dataclass(frozen=True)
class SessionAgreement:
    """Everything the agreement page shows for two observations of one session.

    Attributes
    ----------
    session, observer_a, observer_b : str
        What was compared; A is the reference side for precision and recall.
    results : mapping
        τ (seconds) → :class:`AgreementResult` for every tolerance asked for.
    events : DataFrame
        The two observations' tidy events (for the twin timeline).
    icc : DataFrame
        ICC(2,1) of the per-window index between A and B: subject, icc, band,
        verdict, n_windows, n_dropped, reason.
    alpha : DataFrame or None
        Krippendorff's alpha per channel over every visible observation, when
        more than two observers coded the session.
    """

    session: str
    observer_a: str
    observer_b: str
    results: Mapping[float, AgreementResult]
    events: pd.DataFrame
    icc: pd.DataFrame
    alpha: pd.DataFrame | None

    @property
    def main(self) -> AgreementResult:
        """The τ = 0 result (or the smallest tolerance asked for)."""
        return self.results[min(self.results)]


def compare_session(
    store: Store, session: str, observer_a: str, observer_b: str, **options: Any
) -> AgreementResult:
    """:func:`~observe.analysis.agreement.compare_observers` on a stored session.

    When the two observations use different scheme versions only the cues both
    versions define are compared (the others are listed in ``cues_left_out``).

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://"); _ = create_demo(store, videos=False)
    >>> r = compare_session(store, "K01-S03", "obs.ani", "obs.budi")
    >>> r.observer_b, r.n_units
    ('obs.budi', 900)
    """
    store.session(session)  # an unknown session is NotFound, not "no observation"
    # each observation is compared over its coded extent only (DOMAIN §9.3)
    events = with_coded_extent(store.events_frame(session=session), store.observations(session=session))
    shared = _shared_cues(store, session, (observer_a, observer_b))
    if shared is not None:
        options.setdefault("cues", shared)
    return compare_observers(events, observer_a, observer_b, **options)


def _shared_cues(store: Store, session: str, observers: Sequence[str]) -> list[str] | None:
    """The cue codes every observer's scheme version defines, or None when all use one version."""
    chosen = [o for o in store.observations(session=session) if o.observer in observers]
    if len({(o.scheme_name, o.scheme_version) for o in chosen}) <= 1:
        return None
    codes = [{c.code for c in store.observation_scheme(o.id).cues} for o in chosen]
    return sorted(set.intersection(*codes))


def session_agreement(
    store: Store,
    session: str,
    observer_a: str,
    observer_b: str,
    *,
    viewer: str | None = None,
    role: str | None = None,
    unit: float = 1.0,
    tolerances: Sequence[float] = TOLERANCES,
) -> SessionAgreement:
    """Compare two observations of a stored session at every tolerance, with the ICC and alpha.

    Parameters
    ----------
    viewer, role : str, optional
        Who is looking; with a viewer the blind-coding rule applies and a hidden
        observation raises ``PermissionDenied`` (nothing of it is computed).

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://"); _ = create_demo(store, videos=False)
    >>> a = session_agreement(store, "K01-S03", "obs.ani", "obs.budi", viewer="obs.ani")
    >>> sorted(a.results), a.icc["subject"].tolist()
    ([0.0, 2.0], ['client', 'counselor'])
    """
    if viewer is not None:
        blind.check_may_compare(store, session, viewer, (observer_a, observer_b), role=role)
    results = {
        float(tau): compare_session(store, session, observer_a, observer_b, unit=unit, tolerance=float(tau))
        for tau in tolerances
    }
    frame = with_coded_extent(store.events_frame(session=session), store.observations(session=session))
    pair = frame.loc[frame["observer"].isin([observer_a, observer_b])].reset_index(drop=True)
    visible = frame if viewer is None else blind.visible_events(store, session, viewer, role=role)
    return SessionAgreement(
        session=session,
        observer_a=observer_a,
        observer_b=observer_b,
        results=results,
        events=pair,
        icc=openness_icc(pair, session_valences(store, session, observer_a)),
        alpha=_alpha(visible, unit),
    )


def session_valences(store: Store, session: str, observer: str) -> dict[tuple[str, str], float]:
    """The valences in force for the session: observer A's scheme with the client's profile."""
    s = store.session(session)
    client = store.client(s.client)
    obs = next(o for o in store.observations(session=session) if o.observer == observer)
    return store.observation_scheme(obs.id).valences(client.valence_profile, client.valence_overrides)


def openness_icc(
    events: pd.DataFrame,
    valences: Mapping[tuple[str, str], float],
    *,
    subjects: Sequence[str] = INDEX_SUBJECTS,
) -> pd.DataFrame:
    """ICC(2,1) between observers of the per-window index OI(w) (DOMAIN §3, §6), per subject.

    Returns
    -------
    DataFrame
        subject, icc, band, verdict, n_windows, n_dropped, reason (translation key or None).

    Examples
    --------
    >>> ev = pd.DataFrame({"session": "S1", "observer": ["a", "a", "b", "b"], "subject": "client",
    ...     "channel": ["GAZE", "TRUNK"] * 2, "cue": ["G_EYE", "T_UP"] * 2, "kind": "state",
    ...     "start_s": 0.0, "end_s": float("nan"), "duration_s": 600.0})
    >>> val = {("client", "G_EYE"): 1, ("client", "T_UP"): 0}
    >>> openness_icc(ev, val, subjects=["client"])["reason"].tolist()
    ['agreement.icc_no_variance']
    """
    rows = []
    for subject in subjects:
        windows = openness(events, valences, subject=subject).windows
        result = icc_2_1(windows, window="window", observer="observer", score="oi")
        rows.append({"subject": subject, "icc": result.icc, "band": result.band, "verdict": result.verdict,
                     "n_windows": result.n_windows, "n_dropped": result.n_dropped, "reason": result.reason})  # fmt: skip
    return pd.DataFrame(
        rows, columns=["subject", "icc", "band", "verdict", "n_windows", "n_dropped", "reason"]
    )


def _alpha(events: pd.DataFrame, unit: float) -> pd.DataFrame | None:
    observers = sorted(events["observer"].dropna().unique())
    if len(observers) <= 2:
        return None
    frames = {str(o): events.loc[events["observer"] == o] for o in observers}
    return alpha_by_channel(frames, unit=unit)


# --------------------------------------------------------------------------- display tables


def double_coded_sessions(store: Store) -> list[str]:
    """Codes of the sessions with two or more observations (the ones agreement can compare)."""
    counts: dict[str, int] = {}
    for obs in store.observations():
        counts[obs.session] = counts.get(obs.session, 0) + 1
    return [code for code, n in counts.items() if n >= 2]


def observation_label(obs: Observation, lang: str = "en") -> str:
    """``obs.ani — finished · 492 events · reference`` for pickers."""
    parts = [
        t(f"agreement_page.status.{obs.status}", lang),
        t("agreement_page.n_events", lang, n=obs.n_events),
    ]
    if obs.is_reference:
        parts.append(t("agreement_page.reference", lang))
    return f"{obs.observer} — {' · '.join(parts)}"


def clock(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a time in the session.

    >>> clock(754.0), clock(3725.4)
    ('12:34', '1:02:05')
    """
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def channel_table(
    result: AgreementResult, lang: str = "en", scheme: CodingScheme | None = None
) -> pd.DataFrame:
    """One row per subject × ME&E channel: κ with its verdict and, beside it, p_o, κ_max,
    PABAK, the number of codes and the base rates (DOMAIN §6 app policy)."""
    rows = result.time_unit.loc[result.time_unit["level"] == "channel"]
    rates = result.base_rates
    out = rows.assign(
        verdict=[t(f"agreement.verdict.{v}", lang) for v in rows["verdict"]],
        base_rates=[_rates_text(rates, s, c) for s, c in zip(rows["subject"], rows["channel"], strict=True)],
        note=[_note(r, lang) for r in rows["reason"]],
    )
    return _labelled(_rounded(out.loc[:, list(CHANNEL_COLUMNS)]), scheme, lang)


def _rates_text(rates: pd.DataFrame, subject: str, channel: str) -> str:
    """``G_EYE 45/47%`` per code: the share of units A and B gave each code."""
    mine = rates.loc[(rates["subject"] == subject) & (rates["channel"] == channel)]
    mine = mine.sort_values(["rate_a", "rate_b"], ascending=False, kind="stable")
    return ", ".join(
        f"{code} {round(100 * a)}/{round(100 * b)}%"
        for code, a, b in zip(mine["code"], mine["rate_a"], mine["rate_b"], strict=True)
    )


def cue_table(result: AgreementResult, lang: str = "en", scheme: CodingScheme | None = None) -> pd.DataFrame:
    """Present/absent agreement of every cue outside the ME&E channels (points, process)."""
    rows = result.time_unit.loc[result.time_unit["level"] == "cue"]
    out = rows.assign(
        verdict=[t(f"agreement.verdict.{v}", lang) for v in rows["verdict"]],
        note=[_note(r, lang) for r in rows["reason"]],
    )
    return _labelled(_rounded(out.loc[:, list(CUE_COLUMNS)]), scheme, lang)


def event_table(
    result: AgreementResult, lang: str = "en", scheme: CodingScheme | None = None
) -> pd.DataFrame:
    """Event-based agreement per subject × channel with the F1 verdict."""
    rows = result.events
    out = rows.assign(
        verdict=[t(f"agreement.verdict.{v}", lang) for v in rows["verdict"]],
        note=[_note(r, lang) for r in rows["reason"]],
    )
    return _labelled(_rounded(out.loc[:, list(EVENT_COLUMNS)]), scheme, lang)


def icc_table(icc: pd.DataFrame, lang: str = "en", scheme: CodingScheme | None = None) -> pd.DataFrame:
    """The ICC rows with band and verdict in ``lang``."""
    return _labelled(
        _rounded(
            icc.assign(
                band=[t(f"agreement.icc_band.{b}", lang) for b in icc["band"]],
                verdict=[t(f"agreement.verdict.{v}", lang) for v in icc["verdict"]],
                reason=[_note(r, lang) for r in icc["reason"]],
            )
        ),
        scheme,
        lang,
    )


def alpha_table(alpha: pd.DataFrame, lang: str = "en", scheme: CodingScheme | None = None) -> pd.DataFrame:
    """Krippendorff's alpha rows with the band in ``lang``."""
    banded = alpha.assign(band=[t(f"agreement.alpha_band.{b}", lang) for b in alpha["band"]])
    return _labelled(_rounded(banded), scheme, lang)


def _names(scheme: CodingScheme | None, lang: str) -> dict[str, dict[str, str]]:
    """Subject and channel code → label in ``lang`` (empty without a scheme)."""
    if scheme is None:
        return {"subject": {}, "channel": {}}
    return {
        "subject": {s.code: s.labels.get(lang) or s.labels["en"] for s in scheme.subjects},
        "channel": {c.code: c.labels.get(lang) or c.labels["en"] for c in scheme.channels},
    }


def _labelled(frame: pd.DataFrame, scheme: CodingScheme | None, lang: str) -> pd.DataFrame:
    """Subject and channel codes replaced by the scheme's labels in ``lang`` (codes it lacks stay)."""
    names = _names(scheme, lang)
    return frame.assign(
        **{col: frame[col].map(lambda v, m=m: m.get(v, v)) for col, m in names.items() if col in frame}
    )


def _where(subject: str, channel: str, scheme: CodingScheme | None, lang: str) -> str:
    """``Client · Gaze``: a subject and channel by their labels."""
    names = _names(scheme, lang)
    return f"{names['subject'].get(subject, subject)} · {names['channel'].get(channel, channel)}"


def _rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Display precision: three decimals are more than any kappa's sampling error warrants."""
    floats = frame.select_dtypes("float").columns
    return frame.assign(**{c: frame[c].round(digits) for c in floats}).reset_index(drop=True)


def _note(reason: object, lang: str) -> str:
    return t(str(reason), lang) if isinstance(reason, str) and reason else ""


def largest_disagreements(
    result: AgreementResult, lang: str = "en", scheme: CodingScheme | None = None, n: int = 10
) -> pd.DataFrame:
    """The ``n`` longest runs of units where the observers' ME&E codes differ (τ = 0).

    Returns the run columns (subject, channel, start_s, end_s, duration_s, cue_a,
    cue_b) plus ``text``, one sentence in ``lang`` describing the run.
    """
    runs = result.disagreements.head(n).reset_index(drop=True)
    text = [
        t("agreement_page.disagreement", lang, when=f"{clock(r.start_s)}–{clock(r.end_s)}",
          where=_where(r.subject, r.channel, scheme, lang), a=result.observer_a, cue_a=r.cue_a, b=result.observer_b, cue_b=r.cue_b,
          seconds=f"{r.duration_s:g}")
        for r in runs.itertuples()
    ]  # fmt: skip
    return runs.assign(text=text)


def matrices(
    result: AgreementResult, kind: str = "units", lang: str = "en", scheme: CodingScheme | None = None
) -> dict[str, pd.DataFrame]:
    """The agreement tables by display name (``Client · Gaze``, ``Client · Point events · P_NOD``):
    time units (whole ME&E channels first, then cues) or events (with the nil row and column)."""
    if kind == "units":
        keys = sorted(result.unit_matrices, key=lambda k: (k[2] != WHOLE_CHANNEL, k))
        return {_key_label(k, scheme, lang): result.unit_matrices[k] for k in keys}
    if kind == "events":
        return {_key_label(k, scheme, lang): m for k, m in result.event_matrices.items()}
    raise InvalidInput("agreement_page.bad_matrix_kind", kind=kind)


def _key_label(key: tuple[str, ...], scheme: CodingScheme | None, lang: str) -> str:
    frame = pd.DataFrame([dict(zip(("subject", "channel", "cue"), key, strict=False))])
    row = _labelled(frame, scheme, lang).iloc[0]
    return " · ".join(str(v) for v in row if v)


# --------------------------------------------------------------------------- training


def training_summary(store: Store, *, unit: float = 1.0, observer: str | None = None) -> pd.DataFrame:
    """Each observer's time-unit kappas (τ = 0) against the session's reference, by session date.

    Only sessions with a reference and only finished observations count (a
    kappa of half-coded work says nothing about training). ``observer`` limits
    the rows to one person (what an observer may see of the summary).

    Returns
    -------
    DataFrame
        Columns :data:`TRAINING_COLUMNS`, one row per observer and session, oldest
        first: the lowest and mean per-channel kappa, ``passed`` as "k/n" channels
        at the training criterion, and the verdict of the lowest kappa (every
        channel must pass, DOMAIN §6).

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://"); _ = create_demo(store, videos=False)
    >>> ref = next(o for o in store.observations(session="K01-S03") if o.observer == "obs.ani")
    >>> _ = blind.set_reference(store, ref.id)
    >>> training_summary(store)[["observer", "session", "verdict"]].values.tolist()
    [['obs.budi', 'K01-S03', 'research']]
    """
    rows = []
    by_session: dict[str, list[Any]] = {}
    for obs in store.observations():
        by_session.setdefault(obs.session, []).append(obs)
    for session, observations in by_session.items():
        ref = blind.reference(observations)
        if ref is None or ref.status != blind.FINISHED:
            continue
        date = store.session(session).date
        for obs in observations:
            if obs.is_reference or obs.status != blind.FINISHED or (observer and obs.observer != observer):
                continue
            result = compare_session(store, session, ref.observer, obs.observer, unit=unit)
            rows.append(_training_row(result, obs.observer, session, date, ref.observer))
    frame = pd.DataFrame(rows, columns=list(TRAINING_COLUMNS))
    return frame.sort_values(["session_date", "observer"], ignore_index=True)


def training_table(
    summary: pd.DataFrame, lang: str = "en", scheme: CodingScheme | None = None
) -> pd.DataFrame:
    """:func:`training_summary` for display: verdicts in ``lang``, the lowest channel by its
    label, three decimals."""
    shown = summary.assign(
        verdict=[t(f"agreement.verdict.{v}", lang) for v in summary["verdict"]],
        lowest_channel=[
            _where(s, c, scheme, lang) if c else ""
            for s, c in zip(summary["lowest_subject"], summary["lowest_channel"], strict=True)
        ],
    )
    return _rounded(shown.drop(columns="lowest_subject"))


def _training_row(
    result: AgreementResult, observer: str, session: str, date: Any, ref: str
) -> dict[str, Any]:
    channels = result.time_unit.loc[result.time_unit["level"] == "channel"]
    kappas = channels["kappa"].astype(float)
    defined = kappas.dropna()
    lowest = float(defined.min()) if len(defined) else math.nan
    where = channels.loc[defined.idxmin()] if len(defined) else None
    passed = sum(verdict(k, "kappa") in PASSING for k in defined)  # DOMAIN §6 training criterion
    return {
        "observer": observer,
        "session_date": date,
        "session": session,
        "reference": ref,
        "lowest_kappa": lowest,
        "lowest_subject": "" if where is None else where["subject"],
        "lowest_channel": "" if where is None else where["channel"],
        "mean_kappa": float(defined.mean()) if len(defined) else math.nan,
        "passed": f"{passed}/{len(kappas)}",
        "verdict": verdict(lowest, "kappa"),
    }


def check_unit(value: float) -> float:
    """A time unit from a form or the command line, refused with a clear message if not positive."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InvalidInput("agreement.bad_unit", value=value)
    return float(value)
