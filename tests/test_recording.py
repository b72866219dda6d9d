"""The recorder's outbox protocol and the state rules it relies on, without a browser."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observe.coding import recording
from observe.coding.recording import OutboxItem, apply_outbox
from observe.errors import DatabaseError, InvalidInput
from observe.model import Change, Event
from observe.scheme import default_scheme
from observe.store import Store

SCHEME = default_scheme()


def _store(duration_s: float | None = 600.0) -> tuple[Store, int]:
    store = Store.open("sqlite://")
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 1, 5), duration_s=duration_s)
    return store, store.open_observation(session.code, "ani").id


@pytest.fixture
def coded() -> Iterator[tuple[Store, int]]:
    store, obs = _store()
    yield store, obs
    store.close()


def cue(seq: int, code: str, t: float, subject: str = "client", client: str = "tab") -> dict[str, object]:
    return {"client": client, "seq": seq, "op": "cue", "subject": subject, "cue": code, "t": t}


def _rows(store: Store, obs: int) -> list[tuple[str, str, float, float | None]]:
    return sorted((e.subject, e.cue, e.start_s, e.end_s) for e in store.events(obs))


# -- hotkeys -----------------------------------------------------------------------------------------


def test_bindings_follow_domain_layers() -> None:
    """DOMAIN §1: plain key = client, Shift + the same key = counselor; one-subject keys reused."""
    by_id = {b.id: b for b in recording.bindings(SCHEME)}
    assert (by_id["KeyE"].subject, by_id["KeyE"].cue) == ("client", "G_EYE")
    assert (by_id["KeyE+S"].subject, by_id["KeyE+S"].cue) == ("counselor", "G_EYE")
    assert (by_id["KeyH"].subject, by_id["KeyH"].cue) == ("client", "A_SHIELD")
    assert (by_id["KeyH+S"].subject, by_id["KeyH+S"].cue) == ("counselor", "G_STARE")
    assert (by_id["BracketLeft+S"].subject, by_id["BracketLeft+S"].cue) == ("counselor", "CR_TOPIC")
    assert "KeyY+S" not in by_id  # T_SLUMP is a client-only code
    expected = sum(len(SCHEME.keymap(s)) for s in SCHEME.subject_codes)
    assert len(by_id) == expected  # one binding per key, none lost


def test_bindings_never_use_reserved_keys() -> None:
    reserved = {
        "Space",
        "ArrowLeft",
        "ArrowRight",
        "ArrowUp",
        "ArrowDown",
        "Backspace",
        "Enter",
        "Escape",
        "Backquote",
    }
    assert not {b.code for b in recording.bindings(SCHEME)} & reserved


def test_cheat_sheet_sides_by_side_in_language() -> None:
    sheet = recording.cheat_sheet(SCHEME, "id").set_index("cue")
    assert tuple(sheet.loc["G_EYE", ["client", "counselor"]]) == ("e", "Shift+E")
    assert sheet.loc["G_EYE", "label"] == "Kontak mata"
    assert sheet.loc["G_EYE", "channel"] == "Sorot mata"
    assert sheet.loc["CR_REFER", "client"] == "" and sheet.loc["CR_REFER", "counselor"] == "Shift+."
    assert len(sheet) == len(SCHEME.cues)


# -- outbox items -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"client": "a"},
        {"client": "", "seq": 1},
        {"client": "a", "seq": 0},
        {"client": "a", "seq": "x"},
        {"client": "a", "seq": 1, "op": "drop table"},
        {"client": "a" * 65, "seq": 1},
    ],
)
def test_damaged_items_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        OutboxItem.parse(raw)
    assert err.value.key == "record.coder.bad_item"


def test_damaged_items_are_reported_not_stored(coded: tuple[Store, int]) -> None:
    store, obs = coded
    outcome = apply_outbox(store, obs, [{"seq": 3}, cue(1, "G_EYE", 1.0)])
    assert outcome.acks == {"tab": 1}
    assert [e.key for e in outcome.errors] == ["record.coder.bad_item"]
    assert len(store.events(obs)) == 1


# -- acknowledgements and idempotency ----------------------------------------------------------------------


def test_resent_outbox_is_stored_once(coded: tuple[Store, int]) -> None:
    store, obs = coded
    first = apply_outbox(store, obs, [cue(1, "G_EYE", 1.0), cue(2, "P_NOD", 1.5)])
    assert first.acks == {"tab": 2} and first.processed == 2
    # the acknowledgement was lost: the browser sends the same items again, plus a new one
    again = apply_outbox(
        store, obs, [cue(1, "G_EYE", 1.0), cue(2, "P_NOD", 1.5), cue(3, "G_AWAY", 2.0)], first.acks
    )
    assert again.acks == {"tab": 3} and again.processed == 1
    assert _rows(store, obs) == [
        ("client", "G_AWAY", 2.0, None),
        ("client", "G_EYE", 1.0, 2.0),
        ("client", "P_NOD", 1.5, None),
    ]


def test_acks_come_from_the_store_after_a_server_restart(coded: tuple[Store, int]) -> None:
    """A new server session knows no acknowledgements: the store's idempotency answers instead."""
    store, obs = coded
    apply_outbox(store, obs, [cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0)])
    before = _rows(store, obs)
    replay = apply_outbox(store, obs, [cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0)], acks={})
    assert replay.acks == {"tab": 2}
    assert replay.stale  # the page must re-read its events: they were stored by an earlier session
    assert replay.changes == ()
    assert _rows(store, obs) == before


def test_acknowledged_items_are_not_sent_to_the_store() -> None:
    class Counting:
        calls = 0

        def record(self, *args: object, **kwargs: object) -> object:
            Counting.calls += 1
            raise AssertionError("an acknowledged item reached the store")

    outcome = apply_outbox(Counting(), 1, [cue(1, "G_EYE", 1.0), cue(2, "G_EYE", 2.0)], {"tab": 2})  # type: ignore[arg-type]
    assert Counting.calls == 0 and outcome.processed == 0 and outcome.acks == {"tab": 2}


def test_items_are_applied_in_sequence_order(coded: tuple[Store, int]) -> None:
    """A batch may arrive in any order; the state rules depend on it, so it is sorted by seq."""
    store, obs = coded
    apply_outbox(store, obs, [cue(3, "G_DOWN", 3.0), cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0)])
    assert _rows(store, obs) == [
        ("client", "G_AWAY", 2.0, 3.0),
        ("client", "G_DOWN", 3.0, None),
        ("client", "G_EYE", 1.0, 2.0),
    ]


def test_refused_item_is_acknowledged_and_reported(coded: tuple[Store, int]) -> None:
    """Re-sending cannot fix a cue that is not for the subject or a time after the session end."""
    store, obs = coded
    outcome = apply_outbox(
        store, obs, [cue(1, "G_STARE", 1.0, "client"), cue(2, "G_EYE", 700.0), cue(3, "G_EYE", 2.0)]
    )
    assert outcome.acks == {"tab": 3}
    assert [e.key for e in outcome.errors] == ["event.cue_not_for_subject", "event.after_session_end"]
    assert _rows(store, obs) == [("client", "G_EYE", 2.0, None)]
    # each refused item is named, so the browser can turn its own mark red with the reason
    assert [(c, s, e.key, retry) for c, s, e, retry in outcome.failed] == [
        ("tab", 1, "event.cue_not_for_subject", False),
        ("tab", 2, "event.after_session_end", False),
    ]


def test_database_failure_keeps_items_for_resending(coded: tuple[Store, int]) -> None:
    store, obs = coded

    class Flaky:
        """The real store, except that the database goes away at the second write."""

        writes = 0

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def record(self, *args: object, **kwargs: object) -> object:
            Flaky.writes += 1
            if Flaky.writes == 2:
                raise DatabaseError("db.unreachable", url="x", detail="gone")
            return store.record(*args, **kwargs)  # type: ignore[arg-type]

    batch = [
        cue(1, "G_EYE", 1.0),
        cue(2, "G_AWAY", 2.0),
        cue(3, "P_NOD", 2.5),
        cue(1, "P_NOD", 1.2, client="other"),
    ]
    outcome = apply_outbox(Flaky(), obs, batch)  # type: ignore[arg-type]
    assert outcome.acks == {"tab": 1, "other": 1}  # tab stops at its failed item; other clients go on
    assert [e.key for e in outcome.errors] == ["db.unreachable"]
    # the failed item and the one queued behind it: both not stored, both to be sent again
    assert [(c, s, e.key, retry) for c, s, e, retry in outcome.failed] == [
        ("tab", 2, "db.unreachable", True),
        ("tab", 3, "db.unreachable", True),
    ]
    retry = apply_outbox(store, obs, batch, outcome.acks)
    assert retry.acks == {"tab": 3, "other": 1}
    assert retry.failed == ()
    assert _rows(store, obs) == [
        ("client", "G_AWAY", 2.0, None),
        ("client", "G_EYE", 1.0, 2.0),
        ("client", "P_NOD", 1.2, None),
        ("client", "P_NOD", 2.5, None),
    ]


def test_undo_and_redo_through_the_outbox(coded: tuple[Store, int]) -> None:
    store, obs = coded
    acks = apply_outbox(store, obs, [cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0)]).acks
    undo = {"client": "tab", "seq": 3, "op": "undo"}
    acks = apply_outbox(store, obs, [undo], acks).acks
    assert _rows(store, obs) == [("client", "G_EYE", 1.0, None)]  # G_AWAY gone, G_EYE running again
    acks = apply_outbox(store, obs, [undo], acks).acks  # re-sent: not undone twice
    assert _rows(store, obs) == [("client", "G_EYE", 1.0, None)]
    apply_outbox(store, obs, [{"client": "tab", "seq": 4, "op": "redo"}], acks)
    assert _rows(store, obs) == [("client", "G_AWAY", 2.0, None), ("client", "G_EYE", 1.0, 2.0)]


def test_annotate_sets_modifiers_and_comment_of_the_coded_event(coded: tuple[Store, int]) -> None:
    store, obs = coded
    acks = apply_outbox(store, obs, [cue(1, "P_NOD", 1.25), cue(2, "G_EYE", 2.0), cue(3, "G_EYE", 4.0)]).acks
    notes = [
        {
            "client": "tab",
            "seq": 4,
            "op": "annotate",
            "subject": "client",
            "cue": "P_NOD",
            "t": 1.2501,
            "modifiers": {"intensity": "3"},
            "comment": "deep nod",
        },
        # the second G_EYE press ended the state: the note goes to the state it ended
        {
            "client": "tab",
            "seq": 5,
            "op": "annotate",
            "subject": "client",
            "cue": "G_EYE",
            "t": 4.0,
            "modifiers": {"intensity": "1"},
        },
        {"client": "tab", "seq": 6, "op": "annotate", "subject": "client", "cue": "P_LAUGH", "t": 9.0},
    ]
    outcome = apply_outbox(store, obs, notes, acks)
    by_cue = {e.cue: e for e in store.events(obs)}
    assert dict(by_cue["P_NOD"].modifiers) == {"intensity": "3"} and by_cue["P_NOD"].comment == "deep nod"
    assert dict(by_cue["G_EYE"].modifiers) == {"intensity": "1"}
    assert [e.key for e in outcome.errors] == ["record.coder.no_event_at"]
    assert outcome.acks == {"tab": 6}


# -- the state rules as the recorder uses them ----------------------------------------------------------


def test_a_new_state_ends_the_running_one_at_the_same_instant(coded: tuple[Store, int]) -> None:
    store, obs = coded
    apply_outbox(
        store,
        obs,
        [
            cue(1, "G_EYE", 1.0),
            cue(2, "G_EYE", 1.5, "counselor"),
            cue(3, "G_AWAY", 2.345),
            cue(4, "P_NOD", 3.0),
        ],
    )
    assert _rows(store, obs) == [
        ("client", "G_AWAY", 2.345, None),
        ("client", "G_EYE", 1.0, 2.345),
        ("client", "P_NOD", 3.0, None),
        ("counselor", "G_EYE", 1.5, None),  # the other person's gaze is another lane
    ]


def test_pressing_a_running_state_again_ends_it(coded: tuple[Store, int]) -> None:
    store, obs = coded
    apply_outbox(store, obs, [cue(1, "T_FWD", 1.0), cue(2, "T_FWD", 5.0)])
    assert _rows(store, obs) == [("client", "T_FWD", 1.0, 5.0)]


# -- property: any pattern of re-sending gives the events of sending each item once ----------------------

_CUES = ["G_EYE", "G_AWAY", "G_DOWN", "P_NOD", "F_SMILE", "F_NEUT"]


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[dict[str, object]], list[tuple[list[int], bool]]]:
    """A sequence of keypresses and how the browser delivered them: batches of the unacknowledged
    prefix (re-sent, shuffled), sometimes to a server session that lost its acknowledgement cache."""
    n = draw(st.integers(1, 8))
    times = sorted(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n, unique=True)))
    items = [
        cue(i + 1, draw(st.sampled_from(_CUES)), t / 10, draw(st.sampled_from(["client", "counselor"])))
        for i, t in enumerate(times)
    ]
    plan = []
    sent = 0
    while sent < n:
        sent = draw(st.integers(sent + 1, n))
        order = draw(st.permutations(list(range(sent))))
        plan.append((list(order), draw(st.booleans())))
    return items, plan


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries())
def test_resending_never_changes_the_result(
    case: tuple[list[dict[str, object]], list[tuple[list[int], bool]]],
) -> None:
    items, plan = case
    reference, ref_obs = _store()
    for item in items:  # each keypress once, in order
        apply_outbox(reference, ref_obs, [item])
    store, obs = _store()
    acks: dict[str, int] = {}
    for order, restart in plan:
        if restart:
            acks = {}
        acks = dict(apply_outbox(store, obs, [items[i] for i in order], acks).acks)
    assert _rows(store, obs) == _rows(reference, ref_obs)
    assert acks == {"tab": len(items)}


# -- the page's view ------------------------------------------------------------------------------------------


def test_apply_changes_replaces_not_mutates() -> None:
    a = Event("client", "G_EYE", "GAZE", "state", 1.0, id=1)
    b = Event("client", "G_AWAY", "GAZE", "state", 2.0, id=2)
    view = {1: a}
    new = recording.apply_changes(
        view, [Change(a, Event("client", "G_EYE", "GAZE", "state", 1.0, 2.0, id=1)), Change(None, b)]
    )
    assert view == {1: a}
    assert new[1].end_s == 2.0 and new[2] is b
    assert recording.apply_changes(new, [Change(b, None)]).keys() == {1}


def test_view_follows_the_store(coded: tuple[Store, int]) -> None:
    """Applying the reported changes gives what the store holds (no re-read needed)."""
    store, obs = coded
    view: dict[int, Event] = {}
    for batch in (
        [cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0)],
        [{"client": "tab", "seq": 3, "op": "undo"}],
        [cue(4, "P_NOD", 1.5)],
        [{"client": "tab", "seq": 5, "op": "redo"}],
    ):
        view = recording.apply_changes(view, apply_outbox(store, obs, batch).changes)
    assert sorted(view.values(), key=lambda e: e.id or 0) == sorted(
        store.events(obs), key=lambda e: e.id or 0
    )


def test_timeline_data_lanes_and_valence_classes(coded: tuple[Store, int]) -> None:
    store, obs = coded
    apply_outbox(
        store, obs, [cue(1, "G_DOWN", 1.0), cue(2, "G_DOWN", 1.0, "counselor"), cue(3, "P_NOD", 2.0)]
    )
    data = recording.timeline_data(store.events(obs), SCHEME, SCHEME.valences("cultural"), "en")
    lanes = [(lane["subject"], lane["channel"]) for lane in data["lanes"]]
    assert lanes[:7] == [("client", c) for c in ("FACE", "GAZE", "TRUNK", "ARMS", "SIT", "POINT", "PROCESS")]
    cues = {c[0]: c for c in data["cues"]}
    # columns after the kind: one valence class per subject in scheme order (client, counselor)
    assert cues["G_DOWN"][3:] == ["neutral", "closed"]  # DOMAIN §2 cultural profile: client G_DOWN = 0
    assert cues["G_NV"][3:] == ["na", "na"]  # not visible is missing, never neutral
    rows = {(data["lanes"][r[1]]["subject"], data["cues"][r[2]][0]): r for r in data["events"]}
    assert rows[("client", "G_DOWN")][3:] == [1.0, None]
    assert data["lanes"][rows[("client", "P_NOD")][1]]["channel"] == "POINT"


def test_event_table_latest_and_labels(coded: tuple[Store, int]) -> None:
    store, obs = coded
    apply_outbox(
        store, obs, [cue(1, "G_EYE", 5.0), cue(2, "P_NOD", 1.0), cue(3, "F_SMILE", 3.0, "counselor")]
    )
    table = recording.event_table(store.events(obs), SCHEME, "id", latest=2)
    assert list(table["cue"]) == ["P_NOD", "F_SMILE"]  # the two coded last, in time order
    assert list(table["subject"]) == ["Klien", "Konselor"]
    assert list(table.columns) == list(recording.EVENT_TABLE_COLUMNS)


def test_find_coded_prefers_the_event_started_there() -> None:
    started = Event("client", "G_EYE", "GAZE", "state", 2.0, id=2)
    ended = Event("client", "G_EYE", "GAZE", "state", 1.0, 2.0, id=1)
    assert recording.find_coded([ended, started], "client", "G_EYE", 2.0) is started
    assert recording.find_coded([ended], "client", "G_EYE", 2.0) is ended
    assert recording.find_coded([ended], "client", "G_EYE", math.nan) is None


def test_timeline_delta_replays_to_the_full_rows(coded: tuple[Store, int]) -> None:
    """The browser's copy built from deltas equals the rows of the store's events (issue 3 speed)."""
    store, obs = coded
    rows: dict[int, list[object]] = {}
    batches = [
        [cue(1, "G_EYE", 1.0), cue(2, "G_AWAY", 2.0), cue(3, "P_NOD", 2.5)],
        [{"client": "tab", "seq": 4, "op": "undo"}],
        [cue(5, "G_DOWN", 1.5), cue(6, "G_DOWN", 1.5)],  # replaced at its own onset: a delete
    ]
    for batch in batches:
        upserts, removed = recording.timeline_delta(apply_outbox(store, obs, batch).changes, SCHEME)
        for event_id in removed:
            rows.pop(event_id, None)  # as the browser does: an id inserted and removed in one batch
        rows |= {int(r[0]): r for r in upserts}
    full = recording.timeline_rows(store.events(obs), SCHEME)
    assert sorted(rows.values()) == sorted(full)
