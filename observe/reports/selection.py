"""What the analysis pages read: one observation per session, its events, valences and coded extent.

Shared by :mod:`observe.reports.dashboards` and :mod:`observe.reports.cue_patterns` (no Streamlit here):
codes as text (``"client:G_EYE"``), the client's valences over the scheme versions used,
the choice of one observation per session, the events of the chosen observations with
their coded extent (DOMAIN §9.3), and a fingerprint pages use as a cache key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from observe.analysis.intervals import CODED_COLUMN
from observe.analysis.sequence import Code
from observe.errors import InvalidInput
from observe.model import Observation, Session
from observe.reports.summary import coverage_text
from observe.scheme import CodingScheme
from observe.store import Store

Valences = dict[tuple[str, str], float]

#: Translation keys of the "not enough data" messages (observe/i18n/catalog/dashboards.json).
NO_OBSERVATION = "dash.no_observation"
NO_EVENTS = "dash.no_events"
NO_SESSIONS = "dash.no_sessions"
FEW_PAIRS = "dash.few_pairs"
SUBJECT_ALIASES = {"k": "client", "client": "client", "c": "counselor", "counselor": "counselor"}


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


def schemes_of(store: Store, observations: Iterable[Observation]) -> list[CodingScheme]:
    versions = {(o.scheme_name, o.scheme_version) for o in observations}
    return [store.scheme(name, version) for name, version in sorted(versions)] or [store.scheme()]


def with_coded_extent(events: pd.DataFrame, observations: Iterable[Observation]) -> pd.DataFrame:
    """The events with their observation's coded extent E in a ``coded_s`` column (DOMAIN §9.3).

    Every analysis reads that column, so each observation is analysed over [0, E] only.
    An observation without a recorded extent keeps the store's column, else the whole session.
    """
    if events.empty or "observation_id" not in events.columns:
        return events
    coded = {o.id: math.nan if o.coded_s is None else float(o.coded_s) for o in observations}
    values = events["observation_id"].map(coded).astype(float)
    if CODED_COLUMN in events.columns:
        values = values.fillna(pd.to_numeric(events[CODED_COLUMN], errors="coerce"))
    return events.assign(**{CODED_COLUMN: values})


def partial_notes(table: pd.DataFrame, lang: str = "en", label: str = "session") -> list[str]:
    """``"K01-S03: partially coded (20%)"`` for every partially coded row of a per-session table.

    Examples
    --------
    >>> partial_notes(pd.DataFrame({"session": ["S1", "S2"], "coverage": [0.2, 1.0], "partial": [True, False]}))
    ['S1: partially coded (20%)']
    """
    if "partial" not in table.columns or table.empty:
        return []
    rows = table[table["partial"].astype("boolean").fillna(False).astype(bool)]
    return [f"{r[label]}: {coverage_text(r['coverage'], lang)}" for _, r in rows.iterrows()]


def chosen_events(
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
        events = with_coded_extent(events, chosen.values())
    return events.reset_index(drop=True), chosen, schemes_of(store, chosen.values())
