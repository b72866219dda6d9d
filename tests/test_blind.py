"""Blind double coding: the visibility rule (pure and through the store) and the reference mark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observe.coding import blind
from observe.errors import NotFound, PermissionDenied
from observe.i18n import t
from observe.model import Observation
from observe.reports import agreement
from observe.store import Store


def obs(
    observer: str, status: str = "finished", *, ref: bool = False, session: str = "K01-S01"
) -> Observation:
    return Observation(hash(observer) % 1000, session, observer, "default", 1, status, ref)


# -- the pure rule ----------------------------------------------------------------------------------


def test_everyone_finished_everyone_sees_everyone() -> None:
    seen = blind.visibility([obs("ani"), obs("budi")], "budi")
    assert seen.visible == ("budi", "ani")  # own first
    assert seen.hidden == () and seen.reason is None and seen.message() == ""


def test_own_observation_open_hides_the_others() -> None:
    seen = blind.visibility([obs("ani"), obs("budi", "open")], "budi")
    assert seen.visible == ("budi",)
    assert seen.hidden == ("ani",)
    assert seen.reason == blind.R_OWN_OPEN
    assert not seen.may_see("ani") and seen.may_see("budi")


def test_finished_viewer_waits_for_the_other_coder() -> None:
    seen = blind.visibility([obs("ani"), obs("budi", "open")], "ani")
    assert seen.visible == ("ani",)
    assert seen.reason == blind.R_OTHERS_OPEN
    assert seen.waiting_for == ("budi",)
    assert "budi" in seen.message("en") and "K01-S01" in seen.message("id")


def test_assigned_observer_who_has_not_started_keeps_the_session_blind() -> None:
    seen = blind.visibility([obs("ani"), obs("budi")], "ani", assigned=["ani", "budi", "citra"])
    assert seen.visible == ("ani",)
    assert seen.waiting_for == ("citra",)


@pytest.mark.parametrize("role", sorted(blind.UNBLINDED_ROLES))
def test_supervisor_sees_all_whatever_the_status(role: str) -> None:
    seen = blind.visibility([obs("ani", "open"), obs("budi", "open")], "dewi", role=role)
    assert seen.visible == ("ani", "budi") and seen.hidden == ()


@pytest.mark.parametrize("role", [None, "observer", "counselor", "researcher"])
def test_other_roles_are_blinded(role: str | None) -> None:
    seen = blind.visibility([obs("ani", "open"), obs("budi")], "budi", role=role)
    assert seen.visible == ("budi",)


def test_outsider_sees_nothing_until_all_finished() -> None:
    assert blind.visibility([obs("ani"), obs("budi", "open")], "eka").visible == ()
    assert blind.visibility([obs("ani"), obs("budi")], "eka").visible == ("ani", "budi")


def test_reference_is_found() -> None:
    assert blind.reference([obs("ani"), obs("budi", ref=True)]).observer == "budi"
    assert blind.reference([obs("ani")]) is None


names = st.sampled_from(["ani", "budi", "citra", "dewi"])


@given(
    statuses=st.dictionaries(names, st.sampled_from(["open", "finished"]), min_size=1),
    assigned=st.sets(names),
    viewer=names,
)
def test_rule_property(statuses: dict[str, str], assigned: set[str], viewer: str) -> None:
    """An observer sees another's events iff every coder (observation or assignment) finished;
    their own always; hidden and visible partition the observations."""
    observations = [obs(n, s) for n, s in statuses.items()]
    seen = blind.visibility(observations, viewer, role="observer", assigned=assigned)
    everyone_done = all(statuses.get(c) == "finished" for c in set(statuses) | assigned)
    for other in statuses:
        expected = other == viewer or everyone_done
        assert seen.may_see(other) is expected
    assert set(seen.visible) | set(seen.hidden) == set(statuses)
    assert not set(seen.visible) & set(seen.hidden)
    assert (seen.reason is None) == (not seen.hidden)


# -- through the store --------------------------------------------------------------------------------


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.open("sqlite://")
    s.add_client("K01")
    s.add_counselor("C01")
    for number in (1, 2):
        s.add_session("K01", "C01", number=number, date=dt.date(2026, 1, 5 + number), duration_s=60)
    s.add_user("dewi", role="supervisor")
    yield s
    s.close()


def code(store: Store, session: str, observer: str, cues: list[tuple[str, float, float]]) -> int:
    o = store.open_observation(session, observer)
    for cue, start, end in cues:
        store.add_event(o.id, "client", cue, start, end)
    return o.id


def test_visible_events_follow_the_rule(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 30.0), ("G_AWAY", 30.0, 60.0)])
    budi = code(store, "K01-S01", "budi", [("G_EYE", 0.0, 60.0)])
    store.finish_observation(ani)
    assert set(blind.visible_events(store, "K01-S01", "ani")["observer"]) == {"ani"}
    assert set(blind.visible_events(store, "K01-S01", "budi")["observer"]) == {"budi"}
    assert set(blind.visible_events(store, "K01-S01", "dewi", role="supervisor")["observer"]) == {
        "ani",
        "budi",
    }
    store.finish_observation(budi)
    assert set(blind.visible_events(store, "K01-S01", "budi")["observer"]) == {"ani", "budi"}
    # reopening to edit hides the other again
    store.reopen_observation(ani)
    assert set(blind.visible_events(store, "K01-S01", "budi")["observer"]) == {"budi"}


def test_assignment_without_observation_counts(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 60.0)])
    budi = code(store, "K01-S01", "budi", [("G_EYE", 0.0, 60.0)])
    store.finish_observation(ani)
    store.finish_observation(budi)
    store.add_user("citra")
    store.assign_observer("K01-S01", "citra")
    seen = blind.session_visibility(store, "K01-S01", "ani")
    assert seen.visible == ("ani",) and seen.waiting_for == ("citra",)


def test_agreement_is_refused_while_blind(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 30.0), ("G_AWAY", 30.0, 60.0)])
    budi = code(store, "K01-S01", "budi", [("G_EYE", 0.0, 35.0), ("G_AWAY", 35.0, 60.0)])
    store.finish_observation(ani)
    with pytest.raises(PermissionDenied) as err:
        agreement.session_agreement(store, "K01-S01", "ani", "budi", viewer="ani")
    assert err.value.key == blind.R_OTHERS_OPEN
    with pytest.raises(PermissionDenied) as err:
        agreement.session_agreement(store, "K01-S01", "budi", "ani", viewer="budi")
    assert err.value.key == blind.R_OWN_OPEN
    # the supervisor may look at work in progress
    report = agreement.session_agreement(store, "K01-S01", "ani", "budi", viewer="dewi", role="supervisor")
    assert report.main.n_units == 60
    store.finish_observation(budi)
    kappa = agreement.session_agreement(store, "K01-S01", "ani", "budi", viewer="budi").main.time_unit
    assert kappa.loc[kappa["channel"] == "GAZE", "p_o"].item() == pytest.approx(55 / 60)


def test_exactly_one_reference_per_session(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 60.0)])
    budi = code(store, "K01-S01", "budi", [("G_EYE", 0.0, 60.0)])
    other = code(store, "K01-S02", "ani", [("G_EYE", 0.0, 60.0)])
    blind.set_reference(store, other)
    assert blind.set_reference(store, ani).is_reference
    assert blind.set_reference(store, budi).is_reference
    flags = {o.observer: o.is_reference for o in store.observations(session="K01-S01")}
    assert flags == {"ani": False, "budi": True}
    assert store.observation(other).is_reference  # another session keeps its own
    blind.clear_reference(store, "K01-S01")
    assert blind.reference(store.observations(session="K01-S01")) is None
    assert store.observation(other).is_reference


def test_reference_needs_a_supervisor_and_a_real_observation(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 60.0)])
    with pytest.raises(PermissionDenied) as err:
        blind.set_reference(store, ani, role="observer")
    assert "observer" in err.value.message("en")
    assert t(err.value.key, "id") != err.value.key  # translated
    with pytest.raises(PermissionDenied):
        blind.clear_reference(store, "K01-S01", role="observer")
    assert blind.set_reference(store, ani, role="supervisor").is_reference
    with pytest.raises(NotFound):
        blind.set_reference(store, 9999)


def test_role_of(store: Store) -> None:
    assert blind.role_of(store, "dewi") == "supervisor"
    assert blind.role_of(store, "nobody") is None


def test_viewer_is_the_signed_in_user_or_in_local_mode_the_observer_acted_for(store: Store) -> None:
    store.add_user("ani")
    assert blind.viewer_of(store, "dewi") == ("dewi", "supervisor")  # local mode: acts for A
    assert blind.viewer_of(store, "nobody") == ("nobody", None)  # None: treated as an observer
    assert blind.viewer_of(store.as_user("ani"), "dewi") == ("ani", "observer")  # team mode: the user


def test_an_observer_signed_in_may_not_designate_the_reference(store: Store) -> None:
    ani = code(store, "K01-S01", "ani", [("G_EYE", 0.0, 60.0)])
    as_ani = store.as_user("ani")
    with pytest.raises(PermissionDenied) as err:
        blind.set_reference(as_ani, ani)
    assert err.value.key == "blind.reference_not_allowed"
    assert not store.observation(ani).is_reference
    assert blind.set_reference(store, ani).is_reference  # the local administrator may


def test_session_visibility_names_observations_reopened_after_unblinding() -> None:
    import datetime as dt

    from observe.coding.blind import session_visibility
    from observe.store import Store

    store = Store.open("sqlite://")
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 9, 1), duration_s=60.0)
    ani, budi = (store.open_observation(session.code, name) for name in ("ani", "budi"))
    assert session_visibility(store, session.code, "ani").reopened == ()
    store.finish_observation(ani.id)
    store.finish_observation(budi.id)
    store.reopen_observation(budi.id)  # the administrator: after unblinding, so marked
    assert session_visibility(store, session.code, "ani", role="supervisor").reopened == ("budi",)
    store.close()
