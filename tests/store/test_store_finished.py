"""A finished observation is closed for coding (issue 14): every coding write is refused with a
translated error and changes nothing, undo and redo never cross a finish, and reopening is the
only way back. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text, update

from observe.coding.recording import apply_outbox
from observe.errors import ObservationFinished
from observe.model import Event, Observation, make_event
from observe.store import Store
from observe.store import tables as T

Dump = Callable[[Store], dict[str, list[tuple[Any, ...]]]]


def _finished(store: Store, obs: Observation) -> int:
    """Code a little (a state, a point, an undone keypress waiting for redo), finish at 30 s;
    the id of the point event."""
    store.record(obs.id, "client", "G_EYE", 1.0)
    point = store.record(obs.id, "client", "P_NOD", 4.0).changes[0].after
    store.record(obs.id, "counselor", "F_SMILE", 6.0)
    store.undo(obs.id)  # redo is possible before the finish
    store.finish_observation(obs.id, coded_s=30.0)
    assert point is not None and point.id is not None
    return point.id


def _import(store: Store, obs_id: int) -> Any:
    scheme = store.observation_scheme(obs_id)
    return store.import_events(obs_id, [make_event(scheme, "client", "P_NOD", 12.0)])


WRITES: dict[str, Callable[[Store, int, int], Any]] = {
    "record": lambda s, o, e: s.record(o, "client", "G_AWAY", 10.0),
    "record a point": lambda s, o, e: s.record(o, "client", "P_NOD", 10.0),
    "record from the outbox": lambda s, o, e: s.record(
        o, "client", "P_NOD", 10.0, client_key="tab", client_seq=9
    ),
    "add": lambda s, o, e: s.add_event(o, "client", "G_AWAY", 10.0, 12.0),
    "edit a note": lambda s, o, e: s.edit_event(e, comment="a note typed after the finish"),
    "edit a time": lambda s, o, e: s.edit_event(e, start_s=5.0),
    "delete": lambda s, o, e: s.delete_event(e),
    "undo": lambda s, o, e: s.undo(o),
    "redo": lambda s, o, e: s.redo(o),
    "undo from the outbox": lambda s, o, e: s.undo(o, client_key="tab", client_seq=10),
    "import": lambda s, o, e: _import(s, o),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_coding_write_on_a_finished_observation_is_refused(
    store: Store, observation: Observation, dump: Dump, write: Callable[[Store, int, int], Any]
) -> None:
    event_id = _finished(store, observation)
    before = dump(store)
    with pytest.raises(ObservationFinished) as refused:
        write(store, observation.id, event_id)
    assert refused.value.key == "record.finished"
    english, indonesian = refused.value.message("en"), refused.value.message("id")
    assert "reopen" in english and "\n" not in english
    assert indonesian != english and "buka kembali" in indonesian
    assert dump(store) == before  # not a row, not even the data version


def test_the_refusal_is_for_every_role_with_the_right_to_code(store: Store, observation: Observation) -> None:
    store.add_user("ani", role="observer")
    store.assign_observer(observation.session, "ani")
    ani = store.as_user("ani")
    mine = ani.open_observation(observation.session, "ani")
    ani.record(mine.id, "client", "P_NOD", 2.0)
    ani.finish_observation(mine.id)
    with pytest.raises(ObservationFinished):
        ani.record(mine.id, "client", "P_NOD", 3.0)


def test_reopening_is_the_way_back(store: Store, observation: Observation) -> None:
    _finished(store, observation)
    store.reopen_observation(observation.id)
    stored = store.record(observation.id, "client", "P_NOD", 40.0)
    assert stored.action_id is not None and store.observation(observation.id).status == "open"


def test_undo_after_reopening_stops_at_the_finish(store: Store, observation: Observation) -> None:
    _finished(store, observation)
    finished = _events(store, observation)
    assert any(e.cue == "G_EYE" and e.end_s == 30.0 for e in finished)  # closed by the finish
    store.reopen_observation(observation.id)
    assert store.can_undo_redo(observation.id) == (False, False)
    assert store.undo(observation.id).action_id is None  # the finish's closing of G_EYE stays
    assert store.redo(observation.id).action_id is None  # F_SMILE, undone before the finish, stays undone
    assert _events(store, observation) == finished
    store.record(observation.id, "client", "P_NOD", 40.0)
    assert store.can_undo_redo(observation.id) == (True, False)
    assert store.undo(observation.id).action_id is not None
    assert store.undo(observation.id).action_id is None
    assert _events(store, observation) == finished
    assert store.redo(observation.id).action_id is not None  # the redo made after the reopen is kept


def test_a_finish_that_changes_nothing_still_seals_the_log(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "P_NOD", 4.0)
    store.record(observation.id, "client", "P_NOD", 5.0)
    store.undo(observation.id)
    store.finish_observation(observation.id, coded_s=20.0)  # no running state: no change to apply
    store.reopen_observation(observation.id)
    assert store.undo(observation.id).action_id is None
    assert store.redo(observation.id).action_id is None
    assert [e.start_s for e in _events(store, observation)] == [4.0]


def test_a_keypress_stored_before_the_finish_and_resent_after_it_is_a_duplicate(
    store: Store, observation: Observation
) -> None:
    """The browser's acknowledgement was lost: the re-sent keypress is acknowledged, not refused."""
    store.record(observation.id, "client", "P_NOD", 4.0, client_key="tab", client_seq=1)
    store.undo(observation.id, client_key="tab", client_seq=2)
    store.redo(observation.id, client_key="tab", client_seq=3)
    store.finish_observation(observation.id, coded_s=20.0)
    assert store.record(observation.id, "client", "P_NOD", 4.0, client_key="tab", client_seq=1).duplicate
    assert store.undo(observation.id, client_key="tab", client_seq=2).duplicate
    assert store.redo(observation.id, client_key="tab", client_seq=3).duplicate
    assert [e.start_s for e in _events(store, observation)] == [4.0]


def test_the_outbox_reports_a_keypress_on_a_finished_observation_for_good(
    store: Store, observation: Observation
) -> None:
    store.record(observation.id, "client", "P_NOD", 4.0)
    store.finish_observation(observation.id)
    item = {"client": "tab", "seq": 1, "op": "cue", "subject": "client", "cue": "P_NOD", "t": 8.0}
    outcome = apply_outbox(store, observation.id, [item])
    assert outcome.acks == {"tab": 1}  # acknowledged: re-sending cannot make it succeed
    [(client, seq, error, retry)] = outcome.failed
    assert (client, seq, error.key, retry) == ("tab", 1, "record.finished", False)
    assert len(_events(store, observation)) == 1


def _events(store: Store, obs: Observation) -> list[Event]:
    return store.events(obs.id)


def test_observations_finished_before_the_upgrade_get_a_sealed_log(
    store: Store, observation: Observation, db_url: str
) -> None:
    """Migration 0009: an observation finished by an older version (its log not sealed) is sealed."""
    _finished(store, observation)
    with store.engine.begin() as conn:  # the log as an older version left it
        conn.execute(update(T.actions).values(discarded=False))
        conn.execute(update(T.observations).values(has_redo=True))
        conn.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    upgraded = Store.open(db_url)
    try:
        upgraded.reopen_observation(observation.id)
        assert upgraded.can_undo_redo(observation.id) == (False, False)
        assert upgraded.undo(observation.id).action_id is None
    finally:
        upgraded.close()
