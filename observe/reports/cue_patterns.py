"""Cue patterns: does a given cue precede a target cue, per session and pooled (DOMAIN §5).

Sequential analysis of chosen given/target cues over a filtered set of sessions, for the
cue-patterns page and ``python -m observe sequence``. Only sessions whose coding scheme
has the asked cues with the same valences are pooled (DOMAIN §9.6); the others are listed
as left out with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from scipy import stats

from observe.analysis.pooling import LeftOut, reference_scheme, split_by_scheme
from observe.analysis.sequence import Code, contingency_stats, pooled_q, sequence_table, shift_test
from observe.errors import InvalidInput
from observe.model import Observation, Session
from observe.reports.selection import NO_SESSIONS, chosen_events, format_code, parse_code
from observe.scheme import CodingScheme
from observe.store import Store


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
    coverage, p_value``. Only sessions whose coding scheme has the asked cues with the
    valences of ``reference`` are pooled (DOMAIN §9.6); the others are in ``left_out``. ``pooled``: one row per pair — the summed tally with its z, Q, OR
    (``pooled_*``), the mean of per-session Q with a t-based CI (``mean_q, q_ci_low,
    q_ci_high``), the sessions used, and ``p_combined`` (Fisher's combination of the
    per-session circular-shift p-values).
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    sessions: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    reference: str = ""

    def left_out_table(self, lang: str = "en") -> pd.DataFrame:
        """The sessions left out of the pool: session, observer, scheme, version, reason, text."""
        cols = ["session", "observer", "scheme", "version", "reason", "text"]
        return pd.DataFrame([x.as_dict(lang) for x in self.left_out], columns=cols)


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
    >>> from observe.governance.demo import create_demo
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
    events, chosen, schemes = chosen_events(store, sessions, observer)
    _check_codes(schemes, [*givens, *targets])
    events, kept, left_out, reference = _pool_by_scheme(store, events, chosen, [*givens, *targets])
    params = {"window_s": window_s, "unit_s": unit_s, "offset_s": offset_s, "n_perm": n_perm, "seed": seed,
              "filters": _filter_dict(filters), "observer": observer, "scheme": reference}  # fmt: skip
    if events.empty:
        return CuePatterns(_empty_table(), _empty_pooled(), (), params, (NO_SESSIONS,), left_out, reference)
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
    return CuePatterns(table, pd.DataFrame(pooled), tuple(sorted(kept)), params, (), left_out, reference)


def _pool_by_scheme(
    store: Store, events: pd.DataFrame, chosen: Mapping[str, Observation], codes: Sequence[Code]
) -> tuple[pd.DataFrame, list[str], tuple[LeftOut, ...], str]:
    """Keep the sessions whose scheme shares the codes' meaning (DOMAIN §9.6); list the rest."""
    schemes = {(o.scheme_name, o.scheme_version): store.scheme(o.scheme_name, o.scheme_version)
               for o in chosen.values()}  # fmt: skip
    of = {code: schemes[(o.scheme_name, o.scheme_version)] for code, o in chosen.items()}
    reference = reference_scheme(list(of.values()), codes, preferred=store.scheme())
    if reference is None:
        return events.iloc[0:0], [], (), ""
    kept, left = split_by_scheme(
        ((s, o.observer, of[s]) for s, o in sorted(chosen.items())), codes, reference
    )
    events = events[events["session"].isin(kept)] if not events.empty else events
    return events, kept, tuple(left), f"{reference.name} v{reference.version}"


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
