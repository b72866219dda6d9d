"""Dashboard caches cannot leak or go stale (issue 15): every cached result is keyed by the
signed-in user and the store's change counter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from observe.analysis.openness import OpennessParams
from observe.reports import dashboards
from observe.store import Store
from observe.ui import analysis_widgets as aw
from observe.ui.page import Page

FAST = OpennessParams(n_boot=50)


@pytest.fixture
def store(demo_db: Path) -> Iterator[Store]:
    opened = Store.open(str(demo_db))
    st.cache_data.clear()
    yield opened
    st.cache_data.clear()
    opened.close()


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Who each computation (a cache miss) of ``dashboards.<name>`` was for."""
    calls: list[str] = []
    real = getattr(dashboards, name)

    def counted(store: Store, *args: object, **kwargs: object) -> object:
        calls.append(store.principal.username)
        return real(store, *args, **kwargs)

    monkeypatch.setattr(dashboards, name, counted)
    return calls


def test_two_users_never_share_a_cached_result(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch, "counselor_view")
    # the administrator and the supervisor (of both demo counselors) see the same sessions,
    # but a result is computed for its reader: never served to another
    users = ("admin.demo", "sup.dewi", "couns.rina")
    for user in users * 2:
        aw.run(Page(store.as_user(user), "en"), aw.counselor_view, "C01", None, FAST)
    assert calls == list(users)  # each computed once, for themselves


def _edit_a_note(store: Store, session: str) -> None:
    """Change one event's note of the session's first observation, as a supervisor would: a
    finished observation takes no coding, so it is reopened, edited and finished again at its E."""
    observation = store.observations(session=session)[0]
    event = next(e for e in store.events(observation.id) if e.comment != "edited")
    store.reopen_observation(observation.id)
    store.edit_event(event.id, comment="edited")
    store.finish_observation(observation.id, observation.coded_s)


def test_an_edit_that_keeps_the_counts_refreshes_the_dashboard(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch, "session_review")
    ctx = Page(store.as_user("sup.dewi"), "en")
    code = "K02-S02"
    first = aw.run(ctx, aw.session_review, code, None, FAST, session=code)
    aw.run(ctx, aw.session_review, code, None, FAST, session=code)
    assert len(calls) == 1  # unchanged data: served from the cache
    counts = store.counts()
    _edit_a_note(store, code)  # every count stays the same
    assert store.counts() == counts
    second = aw.run(ctx, aw.session_review, code, None, FAST, session=code)
    assert len(calls) == 2 and type(second) is type(first)


def test_the_agreement_view_is_cached_per_user_and_data_version(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observe.reports import agreement_view

    calls: list[str] = []
    real = agreement_view.agreement_view

    def counted(reader: Store, *args: object, **kwargs: object) -> object:
        calls.append(reader.principal.username)
        return real(reader, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(agreement_view, "agreement_view", counted)
    admin, supervisor = Page(store.as_user("admin.demo"), "en"), Page(store.as_user("sup.dewi"), "en")
    for ctx in (admin, supervisor, admin, supervisor):
        view = aw.run(ctx, aw.agreement, "K01-S03", "obs.ani", "obs.budi", 1.0, "en")
    assert calls == ["admin.demo", "sup.dewi"]  # computed once for each reader
    fresh = real(supervisor.store, "K01-S03", "obs.ani", "obs.budi").timeline
    assert view.timeline is not None and fresh is not None
    assert json.loads(view.timeline.to_json()) == json.loads(fresh.to_json())  # the copy draws the same
    _edit_a_note(store, "K01-S03")
    aw.run(admin, aw.agreement, "K01-S03", "obs.ani", "obs.budi", 1.0, "en")
    assert calls[-1] == "admin.demo" and len(calls) == 3  # a change computes again


def test_the_session_review_figures_are_built_once_per_reader_and_data_version(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observe import charts

    built: list[str] = []
    real = charts.timeline_figure

    def counted(*args: object, **kwargs: object) -> object:
        built.append("timeline")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "timeline_figure", counted)
    ctx = Page(store.as_user("sup.dewi"), "en")
    code = "K02-S02"
    figures = [aw.run(ctx, aw.session_review_figures, code, None, FAST, "en", session=code) for _ in range(2)]
    assert built == ["timeline"]  # the second run draws the cached figures
    review = aw.run(ctx, aw.session_review, code, None, FAST, session=code)
    fresh = real(review.events, review.scheme, "en", valences=review.valences)
    assert json.loads(figures[1].timeline.to_json()) == json.loads(fresh.to_json())
    budget = aw.run(ctx, aw.budget_figure, code, None, FAST, "en", "count", session=code)
    chosen = charts.time_budget_figure(
        review.time_budget, review.scheme, "en", valences=review.valences, value="count"
    )
    assert json.loads(budget.to_json()) == json.loads(chosen.to_json())  # the figure of the chosen measure
