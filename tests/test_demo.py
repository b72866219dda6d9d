"""The demo workspace (observe/governance/demo.py): deterministic, rich enough for the dashboards,
clearly labelled, removable, created on first run only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from observe.errors import InvalidInput
from observe.governance.demo import create_demo, ensure_first_run_demo
from observe.scheme import default_scheme
from observe.store import Store
from observe.store.integrity import check


def _store() -> Store:
    return Store.open("sqlite://")  # in memory: the demo is the same on any backend (see test_cli)


@pytest.fixture(scope="module")
def demo() -> Iterator[Store]:
    store = _store()
    create_demo(store, videos=False)
    yield store
    store.close()


def test_demo_is_deterministic(demo: Store) -> None:
    other = _store()
    try:
        create_demo(other, videos=False)
        pd.testing.assert_frame_equal(other.events_frame(), demo.events_frame())
        assert other.sessions() == demo.sessions()
        assert other.clients() == demo.clients()
    finally:
        other.close()


def test_demo_size(demo: Store) -> None:
    counts = demo.counts()
    assert counts["clients"] >= 3 and counts["counselors"] == 2 and counts["sessions"] >= 12
    assert all(c.is_demo for c in demo.clients()) and all(c.is_demo for c in demo.counselors())
    assert demo.has_demo()


def test_sessions_spread_over_weeks(demo: Store) -> None:
    for client in demo.clients():
        dates = [s.date for s in demo.sessions(client=client.code)]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        assert len(dates) >= 3
    all_dates = [s.date for s in demo.sessions()]
    assert max(all_dates) - min(all_dates) >= dt.timedelta(weeks=4)


def test_every_session_has_events_for_both_persons(demo: Store) -> None:
    frame = demo.events_frame()
    for session in demo.sessions():
        subjects = set(frame.loc[frame["session"] == session.code, "subject"])
        assert subjects == {"client", "counselor"}, session.code
    assert set(frame["kind"]) == {"state", "point"}
    assert set(default_scheme().channels[i].code for i in range(7)) <= set(frame["channel"])


def test_demo_events_keep_the_rules(demo: Store) -> None:
    assert check(demo) == []  # no overlaps, known cues, inside the sessions, nothing left running
    assert {o.status for o in demo.observations()} == {"finished"}


def test_one_child_client_with_parent_and_special_needs_profile(demo: Store) -> None:
    children = [c for c in demo.clients() if c.special_needs]
    assert len(children) == 1
    child = children[0]
    assert child.valence_profile == "special_needs"
    sessions = demo.sessions(client=child.code)
    assert sessions and all(s.parent_present for s in sessions)
    others = [s for s in demo.sessions() if s.client != child.code]
    assert not any(s.parent_present for s in others)
    frame = demo.events_frame(client=child.code)
    assert "CR_PARENT" in set(frame["cue"])  # the counselor involves the parent


def test_one_double_coded_session(demo: Store) -> None:
    per_session: dict[str, list[str]] = {}
    for obs in demo.observations():
        per_session.setdefault(obs.session, []).append(obs.observer)
    double = {s: o for s, o in per_session.items() if len(o) > 1}
    assert len(double) == 1
    ((session, observers),) = double.items()
    assert len(set(observers)) == 2
    frame = demo.events_frame(session=session)
    counts = frame.groupby("observer").size()
    assert (counts > 100).all()  # both really coded it, for the agreement page


def test_the_stories_show(demo: Store) -> None:
    """K01 opens up (more positive client states late than early); K02 stays resistant and the
    counselor proposes referral; a plain valence tally, independent of the analysis code."""
    valences = default_scheme().valences()
    frame = demo.events_frame()
    states = frame[(frame.kind == "state") & (frame.subject == "client")].copy()
    states["length"] = states["end_s"] - states["start_s"]
    states["valence"] = [valences.get(("client", c)) for c in states["cue"]]

    def positive_share(session: str) -> float:
        part = states[(states.session == session) & states.valence.notna()]
        return float(part.loc[part.valence > 0, "length"].sum() / part["length"].sum())

    k01 = [s.code for s in demo.sessions(client="K01")]
    assert positive_share(k01[-1]) > positive_share(k01[0]) + 0.1
    k02 = frame[frame.client == "K02"]
    resistance = k02[k02.cue.str.startswith(("R1_", "R2_", "R3_"))]
    assert set(resistance["session"]) == {s.code for s in demo.sessions(client="K02")}
    assert "CR_REFER" in set(k02["cue"])


def test_reset_recreates_the_same_demo(demo: Store) -> None:
    store = _store()
    try:
        first = create_demo(store, videos=False)
        assert create_demo(store, reset=True, videos=False) == first
        assert create_demo(store, reset=False, videos=False) == first  # exists: nothing added
        ids = ["event_id", "observation_id"]  # ids are never reused, so they differ after a reset
        pd.testing.assert_frame_equal(
            store.events_frame().drop(columns=ids), demo.events_frame().drop(columns=ids), check_dtype=False
        )
    finally:
        store.close()


def test_first_run_demo_is_created_once_and_never_after_removal() -> None:
    store = _store()
    try:
        assert ensure_first_run_demo(store) is True
        assert store.has_demo()
        n = store.counts()["events"]
        assert ensure_first_run_demo(store) is False
        assert store.counts()["events"] == n  # not created twice
        store.remove_demo()
        assert ensure_first_run_demo(store) is False
        assert not store.has_demo() and store.counts()["clients"] == 0
    finally:
        store.close()


def test_first_run_demo_is_not_created_in_a_workspace_in_use() -> None:
    store = _store()
    try:
        store.add_client("MINE")
        assert ensure_first_run_demo(store) is False
        assert not store.has_demo()
        assert ensure_first_run_demo(store) is False
    finally:
        store.close()


def test_demo_can_be_recreated_while_a_user_session_uses_a_demo_counselor_and_observer() -> None:
    store = _store()
    try:
        create_demo(store, videos=False)
        store.add_client("U01")
        store.add_session("U01", "C01", date=dt.date(2026, 1, 1), duration_s=60)
        mine = store.open_observation("U01-S01", "obs.ani")
        store.record(mine.id, "client", "P_NOD", 1.0)
        create_demo(store, reset=True, videos=False)
        assert store.has_demo() and len(store.sessions(client="K01")) >= 3
        assert [e.cue for e in store.events(mine.id)] == ["P_NOD"]
    finally:
        store.close()


def test_demo_refuses_a_taken_client_code_before_writing_anything() -> None:
    store = _store()
    try:
        store.add_client("K02", display_name="a real client")
        before = store.counts()
        with pytest.raises(InvalidInput) as info:
            create_demo(store, videos=False)
        assert "K02" in str(info.value)
        assert store.counts() == before
        assert [c.code for c in store.counselors(include_archived=True)] == []
    finally:
        store.close()
