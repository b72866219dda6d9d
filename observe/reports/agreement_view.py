"""What the Agreement page draws, built without Streamlit (DOMAIN §6).

The page (pages/8_Agreement.py) turns its widgets into a session, two observers and a
time unit, calls :func:`pickers` and :func:`agreement_view`, and renders what they return.
Every rule in between (the blind gate, which notes are folded away, the tables in the
user's language, the figures, where a disagreement jumps to) lives here, tested in
tests/test_agreement_view.py.

Examples
--------
>>> from observe.governance.demo import create_demo
>>> from observe.store import Store
>>> store = Store.open("sqlite://"); _ = create_demo(store, videos=False)
>>> p = pickers(store, "K01-S03")
>>> p.observers, p.reference
(('obs.ani', 'obs.budi'), 'obs.ani')
>>> view = agreement_view(store, "K01-S03", "obs.ani", "obs.budi")
>>> view.hidden, view.tolerances, len(view.channel_tables[0.0])
('', (0.0, 2.0), 10)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from observe.charts import confusion_heatmap, training_figure, twin_timeline_figure
from observe.coding import blind
from observe.i18n import t
from observe.model import Observation
from observe.reports import agreement
from observe.store import Store

# notes that only say "this cue was never coded": many per session, so the page folds them away
FOLDED_NOTE = "agreement.no_events_series"
MATRIX_KINDS = ("units", "events")


def pick(options: Sequence[str], wanted: str | None, fallback: int = 0) -> int:
    """Index of ``wanted`` in ``options``, else ``fallback`` (kept inside the options).

    >>> pick(["a", "b"], "b"), pick(["a", "b"], "x"), pick(["a"], None, 3)
    (1, 0, 0)
    """
    if wanted is not None and wanted in options:
        return list(options).index(wanted)
    return min(fallback, len(options) - 1)


@dataclass(frozen=True)
class Pickers:
    """The observer pickers of one session.

    Attributes
    ----------
    observers : tuple of str
        Who coded the session, in the store's order.
    labels : mapping
        Observer → label in the user's language (the reference marked).
    reference : str or None
        The observer whose coding is the session's reference.
    may_set_reference : bool
        Whether the signed-in user's role may set or clear the reference (the core refuses too).
    """

    session: str
    observers: tuple[str, ...]
    labels: Mapping[str, str]
    reference: str | None
    may_set_reference: bool

    def default_a(self, wanted: str | None, me: str) -> int:
        """Observer A: the one asked for (``?a=``), else the signed-in user, else the first."""
        return pick(self.observers, wanted or me)

    def others(self, observer_a: str) -> list[str]:
        """The choices for observer B."""
        return [n for n in self.observers if n != observer_a]

    def default_b(self, observer_a: str, wanted: str | None) -> int:
        """Observer B: the one asked for (``?b=``), else the reference, else the first other."""
        return pick(self.others(observer_a), wanted or self.reference)


def _observations(store: Store, session: str) -> dict[str, Observation]:
    return {o.observer: o for o in store.observations(session=session)}


def pickers(store: Store, session: str, lang: str = "en") -> Pickers:
    """The observers of ``session`` with their labels and the reference."""
    observations = _observations(store, session)
    ref = blind.reference(list(observations.values()))
    return Pickers(
        session=session,
        observers=tuple(observations),
        labels={name: agreement.observation_label(o, lang) for name, o in observations.items()},
        reference=ref.observer if ref else None,
        may_set_reference=store.principal.role in blind.REFERENCE_ROLES,
    )


def set_reference(store: Store, session: str, observer: str) -> Observation:
    """Make ``observer``'s coding of ``session`` its reference (supervisors and administrators)."""
    return blind.set_reference(store, _observations(store, session)[observer].id)


@dataclass(frozen=True)
class Jump:
    """One of the largest disagreements: its sentence and the Record page's query to play it."""

    text: str
    query: Mapping[str, str]


@dataclass(frozen=True)
class AgreementView:
    """Everything the Agreement page draws for two observations of one session.

    When ``hidden`` is not empty the blind-coding rule hides observer B from the viewer:
    ``hidden`` says why, and nothing of the coding is filled in.

    Tables are ready to show (values in ``lang``, columns still the keys the page translates
    with ``agreement_page.col.*``, ``icc_col.*``, ``alpha_col.*``, ``training_col.*``).
    """

    session: str
    observer_a: str
    observer_b: str
    hidden: str = ""
    warnings: tuple[str, ...] = ()
    folded_notes: tuple[str, ...] = ()
    tolerances: tuple[float, ...] = ()
    channel_tables: Mapping[float, pd.DataFrame] = field(default_factory=dict)
    cue_tables: Mapping[float, pd.DataFrame] = field(default_factory=dict)
    event_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    matrices: Mapping[str, Mapping[str, pd.DataFrame]] = field(default_factory=dict)
    cue_labels: Mapping[str, str] = field(default_factory=dict)
    timeline: go.Figure | None = None
    jumps: tuple[Jump, ...] = ()
    icc_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    alpha_table: pd.DataFrame | None = None
    training_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    training_figure: go.Figure | None = None
    lang: str = "en"

    def matrix_figure(self, kind: str, which: str) -> go.Figure:
        """The heatmap of one agreement table (``kind`` ``units`` or ``events``, ``which`` its name)."""
        return confusion_heatmap(
            self.matrices[kind][which],
            self.lang,
            observer_a=self.observer_a,
            observer_b=self.observer_b,
            labels=self.cue_labels,
        )


def agreement_view(
    store: Store, session: str, observer_a: str, observer_b: str, *, unit: float = 1.0, lang: str = "en"
) -> AgreementView:
    """Compare ``observer_a`` with ``observer_b`` on ``session`` for the signed-in user.

    In local mode (one shared computer) the signed-in administrator looks as observer A
    (:func:`observe.coding.blind.viewer_of`). Raises what :func:`observe.reports.agreement.session_agreement`
    raises (``ObserveError``) for a bad unit or an unknown session.
    """
    viewer, role = blind.viewer_of(store, observer_a)
    seen = blind.session_visibility(store, session, viewer, role=role)
    if not seen.may_see(observer_b):
        return AgreementView(session, observer_a, observer_b, hidden=seen.message(lang), lang=lang)
    report = agreement.session_agreement(
        store, session, observer_a, observer_b, viewer=viewer, role=role, unit=unit
    )
    main = report.main
    scheme = store.observation_scheme(_observations(store, session)[observer_a].id)
    events = report.events
    timeline = twin_timeline_figure(
        events.loc[events["observer"] == observer_a],
        events.loc[events["observer"] == observer_b],
        scheme,
        lang,
        observer_a=observer_a,
        observer_b=observer_b,
        disagreements=main.disagreements,
        valences=agreement.session_valences(store, session, observer_a),
    )
    largest = agreement.largest_disagreements(main, lang, scheme)
    jumps = tuple(
        Jump(run.text, {"session": session, "observer": observer_a, "t": f"{run.start_s:.1f}", "lang": lang})
        for run in largest.itertuples()
    )
    # kappas of finished work only (no events), so every observer may see the whole summary
    summary = agreement.training_summary(store, unit=unit)
    taus = tuple(report.results)
    return AgreementView(
        session,
        observer_a,
        observer_b,
        warnings=(
            *(
                t("agreement.reopened_after_unblinding", lang, observer=o)
                for o in (observer_a, observer_b)
                if o in seen.reopened
            ),
            *(n.message(lang) for n in main.notes if n.key != FOLDED_NOTE),
        ),
        folded_notes=tuple(n.message(lang) for n in main.notes if n.key == FOLDED_NOTE),
        tolerances=taus,
        channel_tables={tau: agreement.channel_table(report.results[tau], lang, scheme) for tau in taus},
        cue_tables={tau: agreement.cue_table(report.results[tau], lang, scheme) for tau in taus},
        event_table=agreement.event_table(main, lang, scheme),
        matrices={kind: agreement.matrices(main, kind, lang, scheme) for kind in MATRIX_KINDS},
        cue_labels={c.code: c.label(lang) for c in scheme.cues},
        timeline=timeline,
        jumps=jumps,
        icc_table=agreement.icc_table(report.icc, lang, scheme),
        alpha_table=None if report.alpha is None else agreement.alpha_table(report.alpha, lang, scheme),
        training_table=pd.DataFrame() if summary.empty else agreement.training_table(summary, lang, scheme),
        training_figure=None if summary.empty else training_figure(summary, lang),
        lang=lang,
    )
