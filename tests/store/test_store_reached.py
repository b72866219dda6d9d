"""The furthest video position an observer reached (issue 14, DOMAIN §9.3): kept per observation,
and part of the default coded extent E = max(last coded time, position reached), clipped to T."""

from __future__ import annotations

import pytest

from observe.coding.extent import summary_for
from observe.errors import InvalidInput, PermissionDenied
from observe.model import Observation
from observe.store import Store

SESSION_S = 600.0  # the fixture session's length (tests/store/conftest.py)


def test_the_position_reached_only_grows(store: Store, observation: Observation) -> None:
    assert store.observation(observation.id).reached_s is None
    assert store.note_reached(observation.id, 95.25) == 95.25
    assert store.note_reached(observation.id, 40.0) == 95.25  # a seek back does not lower it
    assert store.observation(observation.id).reached_s == 95.25


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_bad_position_is_refused(store: Store, observation: Observation, bad: float) -> None:
    with pytest.raises(InvalidInput):
        store.note_reached(observation.id, bad)
    assert store.observation(observation.id).reached_s is None


def test_default_extent_is_the_later_of_last_code_and_position_reached(
    store: Store, observation: Observation
) -> None:
    store.record(observation.id, "client", "G_EYE", 10.0)
    store.note_reached(observation.id, 180.0)
    assert summary_for(store, observation.id).coded_s == 180.0
    store.finish_observation(observation.id)
    finished = store.observation(observation.id)
    assert finished.coded_s == 180.0 and finished.reached_s == 180.0
    assert [e.end_s for e in store.events(observation.id)] == [180.0]  # the running state ends at E


def test_a_code_after_the_position_reached_wins(store: Store, observation: Observation) -> None:
    store.note_reached(observation.id, 30.0)
    store.record(observation.id, "client", "P_NOD", 75.0)
    assert summary_for(store, observation.id).coded_s == 75.0


def test_the_position_reached_is_clipped_to_the_session(store: Store, observation: Observation) -> None:
    store.note_reached(observation.id, SESSION_S + 120.0)  # a video longer than the session
    store.finish_observation(observation.id)
    assert store.observation(observation.id).coded_s == SESSION_S


def test_only_who_may_code_the_observation_notes_its_position(store: Store, observation: Observation) -> None:
    store.add_user("obs.two", role="observer")
    with pytest.raises(PermissionDenied):
        store.as_user("obs.two").note_reached(observation.id, 12.0)
    assert store.observation(observation.id).reached_s is None
