"""Finishing and reopening an observation: the coded extent E (DOMAIN §9.3), on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from observe.coding.extent import summary_for
from observe.errors import InvalidInput, PermissionDenied
from observe.model import Observation
from observe.store import Store

SESSION_S = 600.0  # the length of the fixture session (tests/store/conftest.py)


def _ends(store: Store, obs: Observation) -> dict[str, float | None]:
    return {e.cue: e.end_s for e in store.events(obs.id) if e.kind == "state"}


def test_default_extent_is_the_latest_event_time(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "counselor", "F_SMILE", 2.0)
    store.record(observation.id, "client", "P_NOD", 42.5)
    store.finish_observation(observation.id)
    finished = store.observation(observation.id)
    assert finished.status == "finished" and finished.coded_s == 42.5
    # a state still running at E ends at E, not at the session end
    assert _ends(store, observation) == {"G_EYE": 42.5, "F_SMILE": 42.5}


def test_an_explicit_extent_closes_running_states_there(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_AWAY", 5.0)
    store.finish_observation(observation.id, coded_s=120.0)
    assert store.observation(observation.id).coded_s == 120.0
    assert _ends(store, observation) == {"G_EYE": 5.0, "G_AWAY": 120.0}


@pytest.mark.parametrize(
    ("coded_s", "key"),
    [
        (SESSION_S + 0.5, "finish.after_session_end"),
        (3.0, "finish.before_last_event"),
        (10.0, "finish.state_starts_at_end"),
        (-1.0, "finish.bad_time"),
        (float("nan"), "finish.bad_time"),
    ],
)
def test_a_bad_extent_is_refused_and_changes_nothing(
    store: Store,
    observation: Observation,
    dump: Callable[[Store], dict[str, list[tuple[Any, ...]]]],
    coded_s: float,
    key: str,
) -> None:
    store.record(observation.id, "client", "P_NOD", 4.0)
    store.record(observation.id, "client", "G_EYE", 10.0)  # running from 10 s
    before = dump(store)
    with pytest.raises(InvalidInput) as refused:
        store.finish_observation(observation.id, coded_s=coded_s)
    assert refused.value.key == key
    english = refused.value.message("en")
    assert "\n" not in english and refused.value.message("id") != english
    assert dump(store) == before


def test_the_default_extent_on_a_running_onset_is_refused(store: Store, observation: Observation) -> None:
    """The last keypress started a state: where coding stopped is unknown, so say it."""
    store.record(observation.id, "client", "G_EYE", 7.0)
    with pytest.raises(InvalidInput) as refused:
        store.finish_observation(observation.id)
    assert refused.value.key == "finish.state_starts_at_end"
    assert store.observation(observation.id).status == "open"
    store.finish_observation(observation.id, coded_s=SESSION_S)  # the whole session
    assert store.observation(observation.id).coded_s == SESSION_S


def test_finishing_twice_is_refused_reopen_clears_the_extent(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "P_NOD", 4.0)
    store.finish_observation(observation.id, coded_s=30.0)
    with pytest.raises(InvalidInput) as refused:
        store.finish_observation(observation.id, coded_s=60.0)
    assert refused.value.key == "finish.already_finished"
    store.reopen_observation(observation.id)
    reopened = store.observation(observation.id)
    assert reopened.status == "open" and reopened.coded_s is None
    store.finish_observation(observation.id, coded_s=60.0)
    assert store.observation(observation.id).coded_s == 60.0


def test_an_empty_observation_finishes_at_zero_or_where_told(store: Store, observation: Observation) -> None:
    summary = summary_for(store, observation.id)
    assert (summary.coded_s, summary.coverage, summary.n_events, summary.ok) == (0.0, 0.0, 0, True)
    store.finish_observation(observation.id, coded_s=SESSION_S / 4)
    assert store.observation(observation.id).coded_s == SESSION_S / 4


def test_the_finish_summary(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_AWAY", 6.0)
    store.record(observation.id, "counselor", "T_FWD", 8.0)
    store.record(observation.id, "client", "P_NOD", 9.0)
    summary = summary_for(store, observation.id, position_s=150.0)
    assert summary.coded_s == 150.0 and summary.coverage == 0.25
    assert [(e.subject, e.cue) for e in summary.open_states] == [("client", "G_AWAY"), ("counselor", "T_FWD")]
    assert summary.unpaired_stops == () and summary.n_events == 4 and summary.ok
    # the position reached never moves E beyond the session
    assert summary_for(store, observation.id, position_s=SESSION_S + 30).coded_s == SESSION_S
    # the summary reads, it does not write
    assert store.observation(observation.id).status == "open"


def test_an_observer_may_not_finish_or_reopen_another_observers_coding(store: Store) -> None:
    import datetime as dt

    store.add_client("K05")
    store.add_counselor("C05")
    session = store.add_session("K05", "C05", date=dt.date(2026, 9, 2), duration_s=SESSION_S)
    for name in ("ani", "budi"):
        store.add_user(name, role="observer")
        store.assign_observer(session.code, name)
    theirs = store.open_observation(session.code, "budi")
    store.record(theirs.id, "client", "P_NOD", 3.0)
    ani = store.as_user("ani")
    with pytest.raises(PermissionDenied):
        ani.finish_observation(theirs.id)
    mine = ani.open_observation(session.code, "ani")
    ani.record(mine.id, "client", "P_NOD", 5.0)
    ani.finish_observation(mine.id)
    ani.reopen_observation(mine.id)  # budi has not finished: nobody has seen the other's coding yet
    assert store.observation(mine.id).status == "open"
    store.finish_observation(theirs.id)
    with pytest.raises(PermissionDenied):
        ani.reopen_observation(theirs.id)
    assert store.observation(theirs.id).status == "finished"
    ani.finish_observation(mine.id)
    with pytest.raises(PermissionDenied):  # every coder has finished: reopening is a supervisor's now
        ani.reopen_observation(mine.id)
    assert store.observation(mine.id).status == "finished"
