"""The pure event model (observe/model.py): make_event validation, the state rules of
plan_cue/plan_edit/plan_close, the in-memory Coding with undo/redo — unit tests, Hypothesis
properties over random coding sessions, and the store checked against Coding."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observe import model
from observe.errors import InvalidInput, SchemeError
from observe.model import Coding, Event, make_event, plan_close, plan_cue, plan_delete, plan_edit
from observe.scheme import default_scheme
from observe.store import Store

SCHEME = default_scheme()
DURATION = 60.0


def press(coding: Coding, subject: str, cue: str, t: float) -> None:
    coding.apply("press", plan_cue(coding.events.values(), make_event(SCHEME, subject, cue, t)))


def lane(coding: Coding, subject: str, channel: str) -> list[tuple[str, float, float | None]]:
    states = [e for e in coding.events.values() if e.subject == subject and e.channel == channel]
    return sorted(((e.cue, e.start_s, e.end_s) for e in states), key=lambda x: x[1])


def overlapping_pairs(events: list[Event]) -> list[tuple[Event, Event]]:
    """States of one subject in one channel that share time (half-open; running = to infinity)."""
    states = [e for e in events if e.kind == "state"]
    bad = []
    for a, b in itertools.combinations(states, 2):
        if (a.subject, a.channel) != (b.subject, b.channel):
            continue
        a_end = math.inf if a.end_s is None else a.end_s
        b_end = math.inf if b.end_s is None else b.end_s
        if a.start_s < b_end and b.start_s < a_end:
            bad.append((a, b))
    return bad


# -- make_event ----------------------------------------------------------------------------------------


def test_make_event_fills_channel_and_kind_and_rounds_to_ms() -> None:
    e = make_event(SCHEME, "client", "G_EYE", 1.23456, 2.0004)
    assert (e.channel, e.kind, e.start_s, e.end_s) == ("GAZE", "state", 1.235, 2.0)
    p = make_event(SCHEME, "counselor", "P_NOD", 3, 9.0, modifiers={"intensity": 2})
    assert (p.kind, p.end_s, p.modifiers) == ("point", None, {"intensity": "2"})  # a point has no end


@pytest.mark.parametrize(
    ("args", "kwargs", "key"),
    [
        (("client", "G_EYE", 5.0, 4.0), {}, "event.end_before_start"),
        (("client", "G_STARE", 1.0), {}, "event.cue_not_for_subject"),
        (("counselor", "R1_FORMAL", 1.0), {}, "event.cue_not_for_subject"),
        (("client", "G_EYE", -0.5), {}, "event.bad_time"),
        (("client", "G_EYE", math.nan), {}, "event.bad_time"),
        (("client", "G_EYE", math.inf), {}, "event.bad_time"),
        (("client", "G_EYE", "1.0x"), {}, "event.bad_time"),
        (("client", "G_EYE", None), {}, "event.bad_time"),
        (("client", "G_EYE", 61.0), {"duration_s": DURATION}, "event.after_session_end"),
        (("client", "G_EYE", 1.0, 61.0), {"duration_s": DURATION}, "event.after_session_end"),
        (("client", "P_NOD", 1.0), {"modifiers": {"volume": "1"}}, "event.unknown_modifier"),
        (("client", "P_NOD", 1.0), {"modifiers": {"intensity": "0"}}, "event.bad_modifier_value"),
    ],
)
def test_make_event_refuses(args: tuple, kwargs: dict, key: str) -> None:
    with pytest.raises(InvalidInput) as info:
        make_event(SCHEME, *args, **kwargs)
    assert info.value.key == key


def test_make_event_unknown_cue() -> None:
    with pytest.raises(SchemeError) as info:
        make_event(SCHEME, "client", "G_NOPE", 1.0)
    assert info.value.key == "scheme.unknown_cue"


def test_modifiers_text_round_trip() -> None:
    assert model.format_modifiers({"intensity": "2", "context": "K"}) == "intensity=2;context=K"
    assert model.parse_modifiers("intensity=2;context=K") == {"intensity": "2", "context": "K"}
    assert model.parse_modifiers("") == {} and model.parse_modifiers(None) == {}
    assert model.parse_modifiers(math.nan) == {}
    with pytest.raises(InvalidInput):
        model.parse_modifiers("intensity")


@pytest.mark.parametrize("code", ["K01", "obs.ani", "a-b_c.9", "x" * 40])
def test_check_code_accepts(code: str) -> None:
    assert model.check_code(f" {code} ") == code


@pytest.mark.parametrize("code", ["", " ", "K 01", "Budi Santoso", "x" * 41, "K01/2", "ü"])
def test_check_code_refuses(code: str) -> None:
    with pytest.raises(InvalidInput):
        model.check_code(code)


# -- state rules -----------------------------------------------------------------------------------------


def test_a_new_state_ends_the_running_one_at_the_same_instant() -> None:
    c = Coding()
    press(c, "client", "G_EYE", 1.0)
    press(c, "client", "G_DOWN", 2.5)
    assert lane(c, "client", "GAZE") == [("G_EYE", 1.0, 2.5), ("G_DOWN", 2.5, None)]


def test_the_running_states_key_ends_it() -> None:
    c = Coding()
    press(c, "client", "G_EYE", 1.0)
    press(c, "client", "G_EYE", 2.0)
    assert lane(c, "client", "GAZE") == [("G_EYE", 1.0, 2.0)]


def test_seek_back_into_a_closed_state_splits_it_up_to_the_next() -> None:
    c = Coding()
    for cue, t in (("G_EYE", 0.0), ("G_DOWN", 10.0), ("G_AWAY", 20.0)):
        press(c, "client", cue, t)
    press(c, "client", "G_TASK", 5.0)
    assert lane(c, "client", "GAZE") == [
        ("G_EYE", 0.0, 5.0),
        ("G_TASK", 5.0, 10.0),
        ("G_DOWN", 10.0, 20.0),
        ("G_AWAY", 20.0, None),
    ]


def test_seek_back_into_a_gap_ends_at_the_next_state() -> None:
    c = Coding()
    press(c, "client", "G_EYE", 10.0)
    press(c, "client", "G_DOWN", 2.0)
    assert lane(c, "client", "GAZE") == [("G_DOWN", 2.0, 10.0), ("G_EYE", 10.0, None)]


def test_pressing_the_same_cue_inside_a_closed_state_shortens_it() -> None:
    c = Coding()
    c.apply("add", [model.Change(None, make_event(SCHEME, "client", "G_EYE", 0.0, 10.0))])
    press(c, "client", "G_EYE", 4.0)
    assert lane(c, "client", "GAZE") == [("G_EYE", 0.0, 4.0)]


def test_plan_edit_refuses_overlap_and_allows_the_event_itself() -> None:
    c = Coding()
    press(c, "client", "G_EYE", 0.0)
    press(c, "client", "G_DOWN", 10.0)
    eye = next(e for e in c.events.values() if e.cue == "G_EYE")
    moved = replace(eye, start_s=2.0)
    (change,) = plan_edit(c.events.values(), eye, moved)
    assert change.after == moved
    with pytest.raises(InvalidInput):
        plan_edit(c.events.values(), eye, replace(eye, end_s=11.0))


def test_plan_close_closes_running_states_at_the_end_only() -> None:
    c = Coding()
    press(c, "client", "G_EYE", 0.0)
    press(c, "client", "G_DOWN", 10.0)
    press(c, "counselor", "F_SMILE", 3.0)
    press(c, "client", "P_NOD", 4.0)
    c.apply("close", plan_close(c.events.values(), 60.0))
    assert sorted((e.cue, e.end_s) for e in c.events.values()) == [
        ("F_SMILE", 60.0),
        ("G_DOWN", 60.0),
        ("G_EYE", 10.0),
        ("P_NOD", None),
    ]


def test_undo_redo_in_memory() -> None:
    c = Coding()
    assert c.undo() is None and c.redo() is None
    press(c, "client", "G_EYE", 0.0)
    after_one = dict(c.events)
    press(c, "client", "G_DOWN", 5.0)
    after_two = dict(c.events)
    c.undo()
    assert c.events == after_one
    c.redo()
    assert c.events == after_two
    c.undo()
    press(c, "client", "P_NOD", 1.0)  # a new action clears redo
    assert c.redo() is None


# -- properties over random coding sessions ------------------------------------------------------------------

STATE_CUES = {
    ("client", "GAZE"): ("G_EYE", "G_DOWN", "G_AWAY"),
    ("client", "FACE"): ("F_SMILE", "F_NEUT"),
    ("counselor", "GAZE"): ("G_EYE", "G_STARE"),
}
PRESSES = [(subject, cue) for (subject, _), cues in STATE_CUES.items() for cue in cues] + [
    ("client", "P_NOD"),
    ("counselor", "P_NOD"),
]
times = st.integers(0, 40).map(lambda n: n / 2)  # a coarse grid makes equal times (the hard cases) likely
operations = st.one_of(
    st.tuples(st.just("press"), st.sampled_from(PRESSES), times),
    st.tuples(st.just("press"), st.sampled_from(PRESSES), times),
    st.tuples(st.just("edit"), st.integers(0, 50), times, st.sampled_from([0.0, 0.5, 1.0, 3.0, None])),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
    st.tuples(st.just("close"), st.sampled_from([20.0, 40.0])),
)


def ordered(events: dict[int, Event] | list[Event]) -> list[Event]:
    values = list(events.values()) if isinstance(events, dict) else list(events)
    return sorted(
        values, key=lambda e: (e.start_s, e.subject, e.channel, e.cue, -1 if e.end_s is None else e.end_s)
    )


def edited(event: Event, start: float, length: float | None) -> Event:
    if event.kind == "point":
        return replace(event, start_s=start)
    return replace(event, start_s=start, end_s=None if length is None else start + length)


def apply_to_coding(coding: Coding, op: tuple) -> bool:
    """Apply one operation; False if the model refused it (an edit that would overlap)."""
    name = op[0]
    if name == "press":
        (subject, cue), t = op[1], op[2]
        press(coding, subject, cue, t)
    elif name == "edit" and coding.events:
        old = ordered(coding.events)[op[1] % len(coding.events)]
        try:
            coding.apply("edit", plan_edit(coding.events.values(), old, edited(old, op[2], op[3])))
        except InvalidInput:
            return False
    elif name == "delete" and coding.events:
        coding.apply("delete", plan_delete(ordered(coding.events)[op[1] % len(coding.events)]))
    elif name == "undo":
        coding.undo()
    elif name == "redo":
        coding.redo()
    elif name == "close":
        running = [e for e in coding.events.values() if e.running]
        if running:
            coding.apply("close", plan_close(running, max(op[1], *(e.start_s for e in running))))
    return True


@settings(max_examples=300, deadline=None)
@given(st.lists(operations, max_size=40))
def test_random_coding_keeps_lanes_free_of_overlaps(ops: list[tuple]) -> None:
    coding = Coding()
    for op in ops:
        apply_to_coding(coding, op)
        events = list(coding.events.values())
        assert overlapping_pairs(events) == [], op
        assert all(e.id == key for key, e in coding.events.items())
        for e in events:
            assert e.kind == "point" or e.end_s is None or e.end_s >= e.start_s
            assert e.kind == "state" or e.end_s is None


@settings(max_examples=300, deadline=None)
@given(st.lists(operations, max_size=40))
def test_undo_of_everything_restores_the_empty_observation_and_redo_all_of_it(ops: list[tuple]) -> None:
    coding = Coding()
    for op in ops:
        apply_to_coding(coding, op)
    while coding.redo() is not None:  # bring back whatever the sequence left undone
        pass
    full = dict(coding.events)
    n_actions = len(coding.done)
    for _ in range(n_actions):
        assert coding.undo() is not None
    assert coding.events == {}
    assert coding.undo() is None
    for _ in range(n_actions):
        assert coding.redo() is not None
    assert coding.events == full


@settings(max_examples=200, deadline=None)
@given(st.lists(operations, max_size=30), st.integers(1, 5))
def test_undo_then_redo_is_the_identity(ops: list[tuple], k: int) -> None:
    coding = Coding()
    for op in ops:
        apply_to_coding(coding, op)
    before = dict(coding.events)
    undone = sum(coding.undo() is not None for _ in range(k))
    for _ in range(undone):
        coding.redo()
    assert coding.events == before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["G_EYE", "G_DOWN", "G_AWAY"]), st.integers(1, 4)), max_size=25))
def test_presses_in_time_order_make_the_obvious_chain(presses: list[tuple[str, int]]) -> None:
    """Coding forward in time (no seeks): an independent reference for the toggle rules.

    Each press at t: if its cue is the one running, that state ends at t; otherwise the
    running state (if any) ends at t and a new state of the cue runs from t.
    """
    coding = Coding()
    expected: list[list] = []
    t = 0.0
    for cue, gap in presses:
        t += gap
        press(coding, "client", cue, t)
        running = expected[-1] if expected and expected[-1][2] is None else None
        if running is not None:
            running[2] = t
        if running is None or running[0] != cue:
            expected.append([cue, t, None])
    assert lane(coding, "client", "GAZE") == [tuple(x) for x in expected]


# -- the store behaves like the in-memory Coding ---------------------------------------------------------------

_sessions = itertools.count(1)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(str(Path(tmp_path_factory.mktemp("model")) / "model.db"))
    store.add_client("K01")
    store.add_counselor("C01")
    yield store
    store.close()


def apply_to_store(store: Store, observation_id: int, op: tuple) -> bool:
    name = op[0]
    events = ordered(store.events(observation_id))
    if name == "press":
        (subject, cue), t = op[1], op[2]
        store.record(observation_id, subject, cue, t)
    elif name == "edit" and events:
        old = events[op[1] % len(events)]
        new = edited(old, op[2], op[3])
        try:
            store.edit_event(old.id, start_s=new.start_s, end_s=new.end_s)  # type: ignore[arg-type]
        except InvalidInput:
            return False
    elif name == "delete" and events:
        store.delete_event(events[op[1] % len(events)].id)  # type: ignore[arg-type]
    elif name == "undo":
        store.undo(observation_id)
    elif name == "redo":
        store.redo(observation_id)
    elif name == "close":
        running = [e for e in events if e.running]
        if running:  # the store closes at the session end; use a session as long as the close time
            return True
    return True


def content(events: list[Event] | dict[int, Event]) -> list[tuple]:
    return [(e.subject, e.channel, e.cue, e.kind, e.start_s, e.end_s) for e in ordered(events)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operations.filter(lambda op: op[0] != "close"), max_size=20))
def test_store_matches_the_in_memory_coding(sqlite_store: Store, ops: list[tuple]) -> None:
    """The store plans keypresses from two index seeks, not the whole lane: it must still
    agree with Coding (which sees every event) after any sequence of presses, edits,
    deletes, undos and redos."""
    session = sqlite_store.add_session(
        "K01", "C01", date=dt.date(2026, 1, 1), number=next(_sessions), duration_s=DURATION
    )
    observation = sqlite_store.open_observation(session.code, "obs.model")
    coding = Coding()
    for op in ops:
        accepted_memory = apply_to_coding(coding, op)
        accepted_store = apply_to_store(sqlite_store, observation.id, op)
        assert accepted_store == accepted_memory, op
        assert content(sqlite_store.events(observation.id)) == content(coding.events), op
