"""Events through the store on both backends: round trips, the state rules, edit/delete,
undo/redo, idempotent keypresses, all-or-nothing imports and the demo's removal."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from observe.errors import InvalidInput, NotFound, SchemeError
from observe.model import EVENT_COLUMNS, Event, Observation, make_event
from observe.scheme import default_scheme
from observe.store import Store

SCHEME = default_scheme()


def lane(store: Store, obs: Observation, subject: str, channel: str) -> list[tuple[str, float, float | None]]:
    """A lane's states as (cue, start, end) in time order."""
    return [
        (e.cue, e.start_s, e.end_s)
        for e in store.events(obs.id)
        if e.subject == subject and e.channel == channel and e.kind == "state"
    ]


def content(events: list[Event]) -> list[tuple]:
    """Events without their ids, for comparing what two stores hold."""
    return sorted(
        (
            e.subject,
            e.cue,
            e.channel,
            e.kind,
            e.start_s,
            e.end_s,
            tuple(sorted(e.modifiers.items())),
            e.comment,
        )
        for e in events
    )


# -- round trips ---------------------------------------------------------------------------------------------


def test_write_then_read_gives_the_same_events(store: Store, observation: Observation) -> None:
    written = [
        make_event(SCHEME, "client", "G_EYE", 1.25, 3.5),
        make_event(SCHEME, "client", "G_DOWN", 3.5, 10.0001),
        make_event(SCHEME, "counselor", "G_STARE", 0.0, 599.999),
        make_event(SCHEME, "client", "P_NOD", 2.0004, modifiers={"intensity": "3", "context": "C"}),
        make_event(SCHEME, "counselor", "CR_TOPIC", 42.123, comment="asks about school — ünïcode"),
        make_event(SCHEME, "client", "R1_FORMAL", 100.0),  # a state still running
    ]
    store.import_events(observation.id, written)
    read = store.events(observation.id)
    assert content(read) == content(written)
    assert [e.start_s for e in read] == sorted(e.start_s for e in read)
    by_cue = {e.cue: e for e in read}
    assert by_cue["G_DOWN"].end_s == 10.0  # times are kept to the millisecond
    assert by_cue["P_NOD"].start_s == 2.0 and by_cue["P_NOD"].end_s is None
    assert by_cue["R1_FORMAL"].running


def test_times_are_exact_to_the_millisecond(store: Store, observation: Observation) -> None:
    times = [0.001, 0.1 + 0.2, 1 / 3, 123.4565, 599.999, 7.0005]
    for t in times:
        store.record(observation.id, "client", "P_NOD", t)
    stored = [e.start_s for e in store.events(observation.id)]
    assert stored == sorted(round(t, 3) for t in times)


def test_events_frame_columns_and_values(store: Store, observation: Observation) -> None:
    store.add_event(observation.id, "client", "G_EYE", 1.0, 2.5)
    store.record(observation.id, "counselor", "P_NOD", 4.2, modifiers={"intensity": "2"})
    frame = store.events_frame(session="K01-S01")
    assert tuple(frame.columns) == EVENT_COLUMNS
    assert frame["start_s"].dtype == np.float64 and frame["end_s"].dtype == np.float64
    first, second = frame.to_dict("records")
    assert (first["session"], first["client"], first["observer"], first["counselor"]) == (
        "K01-S01",
        "K01",
        "obs.one",
        "C01",
    )
    assert (first["subject"], first["channel"], first["cue"], first["kind"]) == (
        "client",
        "GAZE",
        "G_EYE",
        "state",
    )
    assert (first["start_s"], first["end_s"], first["duration_s"]) == (1.0, 2.5, 600.0)
    assert (second["cue"], second["kind"], second["modifiers"]) == ("P_NOD", "point", "intensity=2")
    assert math.isnan(second["end_s"])
    assert pd.Timestamp(first["session_date"]).date() == dt.date(2026, 9, 1)
    assert first["observation_id"] == observation.id and first["scheme_version"] == SCHEME.version
    # filters
    assert len(store.events_frame(observer="obs.one")) == 2
    assert len(store.events_frame(observer="someone.else")) == 0
    assert len(store.events_frame(client="K01")) == 2
    empty = store.events_frame(session="K99-S01")
    assert tuple(empty.columns) == EVENT_COLUMNS and empty.empty


# -- state rules through the store -------------------------------------------------------------------------------


def test_new_state_ends_the_running_one_at_the_same_instant(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_DOWN", 4.5)
    store.record(observation.id, "client", "G_AWAY", 7.25)
    assert lane(store, observation, "client", "GAZE") == [
        ("G_EYE", 1.0, 4.5),
        ("G_DOWN", 4.5, 7.25),
        ("G_AWAY", 7.25, None),
    ]


def test_lanes_are_per_subject_and_channel(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "counselor", "G_DOWN", 2.0)  # other subject: client's gaze runs on
    store.record(observation.id, "client", "F_SMILE", 3.0)  # other channel: gaze runs on
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, None)]
    assert lane(store, observation, "counselor", "GAZE") == [("G_DOWN", 2.0, None)]
    assert lane(store, observation, "client", "FACE") == [("F_SMILE", 3.0, None)]


def test_pressing_the_running_state_key_ends_it(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_EYE", 6.0)
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, 6.0)]
    store.record(observation.id, "client", "G_EYE", 8.0)  # pressed again later: a new state
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, 6.0), ("G_EYE", 8.0, None)]


def test_a_state_replaced_at_its_own_onset_leaves_no_zero_length_state(
    store: Store, observation: Observation
) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_DOWN", 5.0)
    store.record(observation.id, "client", "G_AWAY", 5.0)  # a correction at the same instant
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, 5.0), ("G_AWAY", 5.0, None)]


def test_coding_after_a_seek_back_never_overlaps_later_codes(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 10.0)
    store.record(observation.id, "client", "G_DOWN", 20.0)
    store.record(observation.id, "client", "G_AWAY", 30.0)
    store.record(observation.id, "client", "G_TASK", 2.0)  # seek back before everything
    store.record(observation.id, "client", "G_CLOSED", 25.0)  # seek back into G_DOWN
    assert lane(store, observation, "client", "GAZE") == [
        ("G_TASK", 2.0, 10.0),
        ("G_EYE", 10.0, 20.0),
        ("G_DOWN", 20.0, 25.0),
        ("G_CLOSED", 25.0, 30.0),
        ("G_AWAY", 30.0, None),
    ]
    assert_no_overlaps(store.events(observation.id))


def test_a_zero_length_state_does_not_hide_the_state_on_at_its_onset(
    store: Store, observation: Observation
) -> None:
    """Found by tests/test_model.py::test_store_matches_the_in_memory_coding. Edits may leave a
    zero-length state [5, 5); pressing a key inside the state [5, 8) must still end that one."""
    for subject, zero_first in (("client", True), ("counselor", False)):
        spans = [(5.0, 5.0), (5.0, 8.0)] if zero_first else [(5.0, 8.0), (5.0, 5.0)]
        for start, end in spans:
            store.add_event(observation.id, subject, "G_EYE", start, end)
        store.record(observation.id, subject, "G_DOWN", 6.0)
        assert lane(store, observation, subject, "GAZE") == [
            ("G_EYE", 5.0, 5.0),
            ("G_EYE", 5.0, 6.0),
            ("G_DOWN", 6.0, 8.0),
        ] or lane(store, observation, subject, "GAZE") == [
            ("G_EYE", 5.0, 6.0),
            ("G_EYE", 5.0, 5.0),
            ("G_DOWN", 6.0, 8.0),
        ], subject
    assert_no_overlaps(store.events(observation.id))


def test_points_have_no_end_and_do_not_touch_states(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    recorded = store.record(observation.id, "client", "P_NOD", 2.0, modifiers={"intensity": "2"})
    assert len(recorded.changes) == 1 and recorded.changes[0].before is None
    point = recorded.changes[0].after
    assert point is not None and point.kind == "point" and point.end_s is None
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, None)]


def test_finishing_the_whole_session_closes_running_states_at_its_end(
    store: Store, observation: Observation
) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "counselor", "F_SMILE", 2.0)
    store.record(observation.id, "client", "P_NOD", 3.0)
    store.finish_observation(observation.id, coded_s=600.0)  # coded to the end
    states = [e for e in store.events(observation.id) if e.kind == "state"]
    assert {(e.cue, e.end_s) for e in states} == {("G_EYE", 600.0), ("F_SMILE", 600.0)}
    assert store.observation(observation.id).status == "finished"
    store.reopen_observation(observation.id)
    assert store.observation(observation.id).status == "open"


def assert_no_overlaps(events: list[Event]) -> None:
    lanes: dict[tuple[str, str], list[Event]] = {}
    for e in events:
        if e.kind == "state":
            lanes.setdefault((e.subject, e.channel), []).append(e)
    for key, states in lanes.items():
        # a zero-length state [t, t) covers nothing: it sorts before a state starting at t
        states.sort(key=lambda e: (e.start_s, math.inf if e.end_s is None else e.end_s))
        for prev, nxt in zip(states, states[1:], strict=False):
            prev_end = math.inf if prev.end_s is None else prev.end_s
            assert nxt.start_s >= prev_end, (key, prev, nxt)


# -- edit, delete, undo, redo ------------------------------------------------------------------------------------


def test_edit_event(store: Store, observation: Observation) -> None:
    store.add_event(observation.id, "client", "G_EYE", 1.0, 5.0)
    event_id = store.add_event(observation.id, "client", "G_DOWN", 5.0, 9.0).changes[0].after.id  # type: ignore[union-attr]
    store.edit_event(
        event_id, start_s=6.0, cue="G_AWAY", comment="looks at the door", modifiers="intensity=1"
    )
    (edited,) = [e for e in store.events(observation.id) if e.id == event_id]
    assert (edited.cue, edited.start_s, edited.end_s, edited.comment) == (
        "G_AWAY",
        6.0,
        9.0,
        "looks at the door",
    )
    assert edited.modifiers == {"intensity": "1"}


def test_refused_edits_change_nothing(store: Store, observation: Observation, dump) -> None:
    store.add_event(observation.id, "client", "G_EYE", 1.0, 5.0)
    event_id = store.add_event(observation.id, "client", "G_DOWN", 5.0, 9.0).changes[0].after.id  # type: ignore[union-attr]
    before = dump(store)
    for changes, error in (
        ({"start_s": 4.0}, InvalidInput),  # overlaps G_EYE
        ({"end_s": 2.0}, InvalidInput),  # end before start
        ({"cue": "NOT_A_CUE"}, SchemeError),
        ({"subject": "parent"}, InvalidInput),
        ({"cue": "G_STARE", "subject": "client"}, InvalidInput),  # counselor only
        ({"end_s": 601.0}, InvalidInput),  # after the session end
        ({"modifiers": {"intensity": "9"}}, InvalidInput),
        ({"created_by": "me"}, InvalidInput),
    ):
        with pytest.raises(error):
            store.edit_event(event_id, **changes)
    with pytest.raises(NotFound):
        store.edit_event(987654, start_s=1.0)
    with pytest.raises(NotFound):
        store.delete_event(987654)
    assert dump(store) == before


def test_delete_undo_redo(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_DOWN", 3.0)
    events = store.events(observation.id)
    target = next(e for e in events if e.cue == "G_EYE")
    store.delete_event(target.id)  # type: ignore[arg-type]
    assert [e.cue for e in store.events(observation.id)] == ["G_DOWN"]
    store.undo(observation.id)
    assert store.events(observation.id) == events  # the same event, same id
    store.redo(observation.id)
    assert [e.cue for e in store.events(observation.id)] == ["G_DOWN"]


def test_undo_everything_restores_the_empty_observation_and_redo_restores_all(
    store: Store, observation: Observation
) -> None:
    steps = [
        lambda: store.record(observation.id, "client", "G_EYE", 1.0),
        lambda: store.record(observation.id, "client", "G_DOWN", 3.0),
        lambda: store.record(observation.id, "client", "G_TASK", 2.0),
        lambda: store.record(observation.id, "counselor", "P_NOD", 2.5),
        lambda: store.record(observation.id, "client", "G_DOWN", 5.0),
    ]
    for step in steps:
        step()
    full = store.events(observation.id)
    assert store.can_undo_redo(observation.id) == (True, False)
    for _ in steps:
        assert store.undo(observation.id).action_id is not None
    assert store.events(observation.id) == []
    assert store.undo(observation.id).action_id is None  # nothing left: a no-op
    assert store.can_undo_redo(observation.id) == (False, True)
    for _ in steps:
        assert store.redo(observation.id).action_id is not None
    assert store.events(observation.id) == full
    assert store.redo(observation.id).action_id is None


def test_a_new_action_clears_redo(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "G_EYE", 1.0)
    store.record(observation.id, "client", "G_DOWN", 3.0)
    store.undo(observation.id)
    store.record(observation.id, "client", "P_NOD", 4.0)
    assert store.redo(observation.id).action_id is None
    assert [e.cue for e in store.events(observation.id)] == ["G_EYE", "P_NOD"]
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, None)]


def test_undo_of_an_import_removes_it_whole(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "P_NOD", 1.0)
    store.import_events(
        observation.id,
        [make_event(SCHEME, "client", "G_EYE", 2.0, 3.0), make_event(SCHEME, "client", "P_SIGH", 2.5)],
    )
    store.undo(observation.id)
    assert [e.cue for e in store.events(observation.id)] == ["P_NOD"]


def test_undo_is_per_observation(store: Store, observation: Observation) -> None:
    other = store.open_observation("K01-S01", "obs.two")
    store.record(observation.id, "client", "P_NOD", 1.0)
    store.record(other.id, "client", "P_LAUGH", 1.0)
    store.undo(observation.id)
    assert store.events(observation.id) == []
    assert [e.cue for e in store.events(other.id)] == ["P_LAUGH"]


# -- idempotent keypresses ------------------------------------------------------------------------------------------


def test_a_resent_keypress_is_stored_once(store: Store, observation: Observation) -> None:
    first = store.record(observation.id, "client", "G_EYE", 1.0, client_key="tab-1", client_seq=1)
    again = store.record(observation.id, "client", "G_EYE", 1.0, client_key="tab-1", client_seq=1)
    assert not first.duplicate and again.duplicate
    assert again.action_id == first.action_id and again.changes == ()
    assert lane(store, observation, "client", "GAZE") == [("G_EYE", 1.0, None)]  # not toggled off
    store.record(observation.id, "client", "P_NOD", 2.0, client_key="tab-1", client_seq=2)
    store.record(observation.id, "client", "P_NOD", 2.0, client_key="tab-1", client_seq=2)
    store.record(observation.id, "client", "P_NOD", 2.0, client_key="tab-2", client_seq=2)  # another tab
    assert [e.cue for e in store.events(observation.id)] == ["G_EYE", "P_NOD", "P_NOD"]


def test_the_same_key_in_another_observation_is_not_a_duplicate(
    store: Store, observation: Observation
) -> None:
    other = store.open_observation("K01-S01", "obs.two")
    store.record(observation.id, "client", "P_NOD", 1.0, client_key="k", client_seq=1)
    assert not store.record(other.id, "client", "P_NOD", 1.0, client_key="k", client_seq=1).duplicate
    assert len(store.events(other.id)) == 1


def test_a_resent_keypress_after_undo_is_still_a_duplicate(store: Store, observation: Observation) -> None:
    store.record(observation.id, "client", "P_NOD", 1.0, client_key="k", client_seq=1)
    store.undo(observation.id)
    assert store.record(observation.id, "client", "P_NOD", 1.0, client_key="k", client_seq=1).duplicate
    assert store.events(observation.id) == []


# -- bad input writes nothing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s, o: s.add_event(o.id, "client", "G_EYE", 5.0, 4.0), InvalidInput),  # end before start
        (lambda s, o: s.record(o.id, "client", "NOT_A_CUE", 1.0), SchemeError),
        (lambda s, o: s.add_event(o.id, "client", "NOT_A_CUE", 1.0, 2.0), SchemeError),
        (lambda s, o: s.record(o.id, "client", "G_STARE", 1.0), InvalidInput),  # counselor only
        (lambda s, o: s.record(o.id, "counselor", "R3_REFUSE", 1.0), InvalidInput),  # client only
        (lambda s, o: s.record(o.id, "parent", "G_EYE", 1.0), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", -1.0), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", float("nan")), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", float("inf")), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", "soon"), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", 600.5), InvalidInput),  # after the session end
        (lambda s, o: s.record(o.id, "client", "P_NOD", 1.0, modifiers={"loud": "1"}), InvalidInput),
        (lambda s, o: s.record(o.id, "client", "P_NOD", 1.0, modifiers={"intensity": "4"}), InvalidInput),
        (lambda s, o: s.record(987654, "client", "P_NOD", 1.0), NotFound),  # unknown observation
        (lambda s, o: s.add_event(987654, "client", "P_NOD", 1.0), NotFound),
        (lambda s, o: s.undo(987654), NotFound),
        (lambda s, o: s.finish_observation(987654), NotFound),
        (lambda s, o: s.open_observation("NOPE-S01", "obs.one"), NotFound),  # unknown session
        (lambda s, o: s.open_observation(987654, "obs.one"), NotFound),
        (lambda s, o: s.add_event(o.id, "client", "G_DOWN", 2.0, 8.0), InvalidInput),  # overlaps G_EYE
        (
            lambda s, o: s.import_events(
                o.id,
                [
                    make_event(SCHEME, "client", "P_NOD", 1.0),
                    make_event(SCHEME, "client", "G_AWAY", 4.0, 6.0),
                ],
            ),
            InvalidInput,
        ),  # the second event overlaps the stored G_EYE: the first is not written either
        (
            lambda s, o: s.import_events(
                o.id,
                [
                    make_event(SCHEME, "counselor", "G_EYE", 1.0, 5.0),
                    make_event(SCHEME, "counselor", "G_DOWN", 4.0, 6.0),
                ],
            ),
            InvalidInput,
        ),  # overlapping within the batch
    ],
)
def test_bad_input_writes_nothing(store: Store, observation: Observation, dump, call, error: type) -> None:
    store.add_event(observation.id, "client", "G_EYE", 3.0, 7.0)
    before = dump(store)
    with pytest.raises(error):
        call(store, observation)
    assert dump(store) == before


# -- import_frame: one transaction ------------------------------------------------------------------------------------


def tidy_rows(n: int = 3, *, session: str = "K05-S02", observer: str = "obs.imp") -> list[dict]:
    rows = [
        {
            "session": session,
            "client": "K05",
            "observer": observer,
            "subject": "client",
            "channel": "GAZE",
            "cue": "G_EYE" if i % 2 == 0 else "G_DOWN",
            "kind": "state",
            "start_s": float(i),
            "end_s": float(i + 1),
            "modifiers": "",
            "comment": "",
            "counselor": "C05",
            "session_date": "2026-10-01",
            "duration_s": 60.0,
        }
        for i in range(n)
    ]
    rows.append(
        rows[0]
        | {
            "subject": "counselor",
            "channel": "POINT",
            "cue": "P_NOD",
            "kind": "point",
            "end_s": None,
            "modifiers": "intensity=2",
        }
    )
    return rows


def test_import_frame_creates_what_it_names(store: Store) -> None:
    counts = store.import_frame(pd.DataFrame(tidy_rows()))
    assert counts == {"events": 4, "observations": 1, "new_sessions": 1}
    session = store.session("K05-S02")
    assert (session.client, session.counselor, session.number, session.date, session.duration_s) == (
        "K05",
        "C05",
        2,
        dt.date(2026, 10, 1),
        60.0,
    )
    (obs,) = store.observations(session="K05-S02")
    assert obs.observer == "obs.imp" and obs.n_events == 4
    frame = store.events_frame(session="K05-S02")
    assert list(frame["cue"]) == ["G_EYE", "P_NOD", "G_DOWN", "G_EYE"]
    assert frame.loc[frame.cue == "P_NOD", "modifiers"].item() == "intensity=2"
    # the import is one undoable action
    store.undo(obs.id)
    assert store.events(obs.id) == []


def test_import_frame_dry_run_writes_nothing(store: Store, dump) -> None:
    store.scheme()  # the default scheme is stored on first use, dry run or not
    before = dump(store)
    assert store.import_frame(pd.DataFrame(tidy_rows()), dry_run=True)["events"] == 4
    assert dump(store) == before


@pytest.mark.parametrize(
    "spoil",
    [
        lambda rows: rows[-2].update(cue="NOT_A_CUE"),
        lambda rows: rows[-2].update(end_s=0.5),  # end before start
        lambda rows: rows[-2].update(start_s=0.5),  # overlaps the previous state in the lane
        lambda rows: rows[-2].update(subject="counselor", cue="R1_FORMAL", channel="PROCESS"),
        lambda rows: rows[-2].update(start_s=61.0, end_s=62.0),  # after the session end
        lambda rows: rows[-2].update(session="bad code!"),
        lambda rows: rows[-2].update(modifiers="intensity"),
    ],
)
def test_import_frame_is_all_or_nothing(store: Store, observation: Observation, dump, spoil) -> None:
    """A second, valid observation in the same frame is not written when any row is bad."""
    store.record(observation.id, "client", "P_NOD", 1.0)
    rows = tidy_rows(session="K06-S01", observer="obs.x") + tidy_rows(4)
    spoil(rows)
    before = dump(store)
    with pytest.raises(InvalidInput):
        store.import_frame(pd.DataFrame(rows))
    assert dump(store) == before


def test_import_frame_refuses_overlap_with_stored_events(
    store: Store, observation: Observation, dump
) -> None:
    store.add_event(observation.id, "client", "G_EYE", 0.0, 100.0)
    rows = tidy_rows(session="K01-S01", observer="obs.one")
    before = dump(store)
    with pytest.raises(InvalidInput):
        store.import_frame(pd.DataFrame(rows))
    assert dump(store) == before


def test_import_frame_missing_columns_or_empty(store: Store, dump) -> None:
    before = dump(store)
    with pytest.raises(InvalidInput):
        store.import_frame(pd.DataFrame([{"session": "S", "cue": "P_NOD"}]))
    with pytest.raises(InvalidInput):
        store.import_frame(pd.DataFrame(columns=list(EVENT_COLUMNS)))
    assert dump(store) == before


# -- the demo is removable, user data stays ---------------------------------------------------------------------------


def test_remove_demo_leaves_user_data(store: Store, dump) -> None:
    from observe.governance.demo import create_demo

    store.add_client("U01", display_name="mine")
    store.add_counselor("UC1")
    store.add_user("me.observer")
    store.add_session("U01", "UC1", date=dt.date(2026, 1, 5), duration_s=300)
    mine = store.open_observation("U01-S01", "me.observer")
    store.record(mine.id, "client", "G_EYE", 1.0)
    store.record(mine.id, "client", "P_NOD", 2.0)
    before = dump(store)

    create_demo(store, videos=False)  # the rows are the point here, not the videos
    assert store.has_demo()
    # a user's session may use a demo counselor and a demo observer: those must survive removal
    store.add_session("U01", "C01", date=dt.date(2026, 1, 12), duration_s=300)
    theirs = store.open_observation("U01-S02", "obs.ani")
    store.record(theirs.id, "client", "P_LAUGH", 3.0)

    store.remove_demo()
    assert not store.has_demo()
    assert [c.code for c in store.clients(include_archived=True)] == ["U01"]
    assert {c.code for c in store.counselors(include_archived=True)} == {"UC1", "C01"}
    assert {s.code for s in store.sessions(include_archived=True)} == {"U01-S01", "U01-S02"}
    assert content(store.events(mine.id)) == content(
        [make_event(SCHEME, "client", "G_EYE", 1.0), make_event(SCHEME, "client", "P_NOD", 2.0)]
    )
    assert [e.cue for e in store.events(theirs.id)] == ["P_LAUGH"]
    assert {u.username for u in store.users()} >= {"me.observer", "obs.ani"}
    assert "sup.dewi" not in {u.username for u in store.users()}
    # what the user had before the demo is untouched, row for row
    after = dump(store)
    for table in ("clients", "events", "actions"):
        assert set(before[table]) <= set(after[table]), table


def test_a_resent_undo_or_redo_is_done_once(store: Store, observation: Observation) -> None:
    """The recorder's outbox re-sends an undo until it is acknowledged (even across a server
    restart): with its key it must not undo a second action."""
    for seq, t in enumerate((1.0, 2.0, 3.0), start=1):
        store.record(observation.id, "client", "P_NOD", t, client_key="tab", client_seq=seq)
    assert store.undo(observation.id, client_key="tab", client_seq=4).action_id is not None
    again = store.undo(observation.id, client_key="tab", client_seq=4)
    assert again.duplicate and again.changes == ()
    assert [e.start_s for e in store.events(observation.id)] == [1.0, 2.0]
    assert store.redo(observation.id, client_key="tab", client_seq=5).changes
    assert store.redo(observation.id, client_key="tab", client_seq=5).duplicate
    assert [e.start_s for e in store.events(observation.id)] == [1.0, 2.0, 3.0]
    assert store.can_undo_redo(observation.id) == (True, False)
