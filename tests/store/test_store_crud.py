"""Workspace records through the store: clients, counselors, users, sessions, observers,
observations, schemes and settings round-trip on both backends."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from observe.errors import InvalidInput, NotFound, SchemeError
from observe.scheme import default_scheme
from observe.store import Store

DAY = dt.date(2026, 9, 1)


# -- clients -------------------------------------------------------------------------------------------


def test_client_round_trip(store: Store) -> None:
    made = store.add_client(
        "K07",
        display_name="  Ayu  ",
        valence_profile="cultural",
        valence_overrides={"G_AWAY": 0},
    )
    read = store.client("K07")
    assert read == made
    assert (read.code, read.display_name, read.valence_profile) == ("K07", "Ayu", "cultural")
    assert read.valence_overrides == {"G_AWAY": 0}
    assert read.special_needs is False and read.archived is False and read.is_demo is False


def test_special_needs_client_gets_special_needs_profile(store: Store) -> None:
    assert store.add_client("K08", special_needs=True).valence_profile == "special_needs"
    assert store.add_client("K09", special_needs=True, valence_profile="default").valence_profile == "default"


def test_update_and_archive_client(store: Store) -> None:
    store.add_client("K01", display_name="Old")
    store.add_client("K02")
    updated = store.update_client("K01", display_name="New", special_needs=True, archived=True)
    assert (updated.display_name, updated.special_needs, updated.archived) == ("New", True, True)
    assert [c.code for c in store.clients()] == ["K02"]
    assert [c.code for c in store.clients(include_archived=True)] == ["K01", "K02"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"code": "K 1"}, InvalidInput),
        ({"code": ""}, InvalidInput),
        ({"code": "x" * 41}, InvalidInput),
        ({"code": "K1", "valence_profile": "nope"}, InvalidInput),
        ({"code": "K1", "valence_overrides": {"NOT_A_CUE": 0}}, SchemeError),
    ],
)
def test_bad_client_is_refused_and_not_written(store: Store, kwargs: dict, error: type) -> None:
    options = dict(kwargs)
    code = options.pop("code")
    with pytest.raises(error):
        store.add_client(code, **options)
    assert store.clients(include_archived=True) == []


def test_duplicate_client_refused(store: Store) -> None:
    store.add_client("K01", display_name="first")
    with pytest.raises(InvalidInput) as info:
        store.add_client("K01", display_name="second")
    assert info.value.key == "record.client_exists"
    assert store.client("K01").display_name == "first"


def test_unknown_records_are_not_found(store: Store) -> None:
    for call in (
        lambda: store.client("NOPE"),
        lambda: store.counselor("NOPE"),
        lambda: store.user("nope"),
        lambda: store.session("NOPE-S01"),
        lambda: store.session(9999),
        lambda: store.observation(9999),
    ):
        with pytest.raises(NotFound):
            call()


# -- counselors and users ---------------------------------------------------------------------------------


def test_counselor_round_trip_update_archive(store: Store) -> None:
    made = store.add_counselor("C01", name="Rina")
    assert store.counselor("C01") == made
    assert made.name == "Rina" and not made.archived
    store.add_counselor("C02")
    assert store.update_counselor("C01", name="Rina S.", archived=True).name == "Rina S."
    assert [c.code for c in store.counselors()] == ["C02"]
    assert [c.code for c in store.counselors(include_archived=True)] == ["C01", "C02"]
    with pytest.raises(InvalidInput):
        store.add_counselor("C02")


def test_users_round_trip_and_roles(store: Store) -> None:
    made = store.add_user("obs.ani", role="observer", display_name="Ani")
    assert store.user("obs.ani") == made
    store.add_user("sup.dewi", role="supervisor")
    assert [u.username for u in store.users()] == ["obs.ani", "sup.dewi"]
    assert [u.username for u in store.users(role="supervisor")] == ["sup.dewi"]
    with pytest.raises(InvalidInput):
        store.add_user("x", role="king")
    with pytest.raises(InvalidInput):
        store.add_user("obs.ani")
    assert len(store.users()) == 2


# -- sessions ---------------------------------------------------------------------------------------------


def test_session_round_trip(store: Store) -> None:
    store.add_client("K01")
    store.add_counselor("C01")
    made = store.add_session(
        "K01",
        "C01",
        date=DAY,
        duration_s=1234.5678,
        video_ref="K01/s1.mp4",
        parent_present=True,
        notes="first meeting",
        attributes={"seating": "90 degrees", "cameras": 2},
    )
    assert made.code == "K01-S01" and made.number == 1
    read = store.session("K01-S01")
    assert read == dataclasses.replace(made)
    assert store.session(made.id) == read
    assert (read.client, read.counselor, read.date) == ("K01", "C01", DAY)
    assert read.duration_s == pytest.approx(1234.568, abs=1e-9)  # kept to the millisecond
    assert (read.video_ref, read.parent_present, read.notes) == ("K01/s1.mp4", True, "first meeting")
    assert read.attributes == {"seating": "90 degrees", "cameras": 2}


def test_sessions_are_numbered_per_client(store: Store) -> None:
    store.add_client("K01")
    store.add_client("K02")
    store.add_counselor("C01")
    store.add_counselor("C02")
    codes = [
        store.add_session("K01", "C01", date=DAY).code,
        store.add_session("K01", "C01", date=DAY + dt.timedelta(weeks=1)).code,
        store.add_session("K02", "C02", date=DAY).code,
        store.add_session("K01", "C02", date=DAY, number=7).code,
    ]
    assert codes == ["K01-S01", "K01-S02", "K02-S01", "K01-S07"]
    assert [s.code for s in store.sessions(client="K01")] == ["K01-S01", "K01-S02", "K01-S07"]
    assert [s.code for s in store.sessions(counselor="C02")] == ["K01-S07", "K02-S01"]
    with pytest.raises(InvalidInput):
        store.add_session("K01", "C01", date=DAY, number=2)  # exists
    with pytest.raises(InvalidInput):
        store.add_session("K01", "C01", date=DAY, number=0)
    assert len(store.sessions()) == 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration_s": -5},
        {"duration_s": 0},
        {"duration_s": float("nan")},
        {"duration_s": "long"},
        {"date": "2026-09-01"},
    ],
)
def test_bad_session_refused(store: Store, kwargs: dict) -> None:
    store.add_client("K01")
    store.add_counselor("C01")
    args = {"date": DAY} | kwargs
    with pytest.raises(InvalidInput):
        store.add_session("K01", "C01", **args)
    assert store.sessions(include_archived=True) == []


def test_session_needs_known_client_and_counselor(store: Store) -> None:
    store.add_client("K01")
    with pytest.raises(NotFound):
        store.add_session("K01", "C99", date=DAY)
    with pytest.raises(NotFound):
        store.add_session("K99", "C01", date=DAY)


@pytest.mark.parametrize("ref", ["\u00b2", "K99-S01", "99"])
def test_an_unknown_session_reference_is_not_found(store: Store, ref: str) -> None:
    """``"²".isdigit()`` is true, yet it is no session id: not found, not a ValueError."""
    with pytest.raises(NotFound):
        store.session(ref)


def test_update_session(store: Store) -> None:
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_counselor("C02")
    store.add_session("K01", "C01", date=DAY)
    changed = store.update_session(
        "K01-S01",
        counselor="C02",
        duration_s=900,
        date=DAY + dt.timedelta(days=1),
        notes="moved",
        attributes={"a": 1},
        parent_present=True,
        archived=True,
    )
    assert (changed.counselor, changed.duration_s, changed.notes) == ("C02", 900.0, "moved")
    assert changed.date == DAY + dt.timedelta(days=1) and changed.parent_present and changed.archived
    assert store.sessions() == [] and len(store.sessions(include_archived=True)) == 1
    with pytest.raises(InvalidInput):
        store.update_session("K01-S01", client="K02")


def test_observers_of_a_session(store: Store) -> None:
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=DAY)
    store.add_user("obs.b")
    store.add_user("obs.a")
    store.assign_observer("K01-S01", "obs.b")
    store.assign_observer("K01-S01", "obs.a")
    store.assign_observer("K01-S01", "obs.a")  # twice is once
    assert store.observers_of("K01-S01") == ["obs.a", "obs.b"]
    store.unassign_observer("K01-S01", "obs.b")
    assert store.observers_of("K01-S01") == ["obs.a"]


# -- observations and schemes ----------------------------------------------------------------------------------


def test_open_observation_is_idempotent_and_per_observer(store: Store) -> None:
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=DAY, duration_s=60)
    first = store.open_observation("K01-S01", "obs.a")
    again = store.open_observation("K01-S01", "obs.a")
    other = store.open_observation("K01-S01", "obs.b")
    assert first == again
    assert other.id != first.id
    assert (first.session, first.observer, first.scheme_name, first.scheme_version) == (
        "K01-S01",
        "obs.a",
        "default",
        default_scheme().version,
    )
    assert first.status == "open" and first.n_events == 0
    assert [o.observer for o in store.observations(session="K01-S01")] == ["obs.a", "obs.b"]
    assert store.observers_of("K01-S01") == ["obs.a", "obs.b"]  # coding a session attaches the observer
    with pytest.raises(NotFound):
        store.open_observation("NOPE-S01", "obs.a")


def test_scheme_versions_are_kept(store: Store) -> None:
    base = store.scheme()
    assert base == default_scheme()
    assert store.save_scheme(base) == store.save_scheme(base)  # an identical version is reused
    relabelled = dataclasses.replace(base, titles={"en": "changed", "id": "diubah"})
    with pytest.raises(InvalidInput):
        store.save_scheme(relabelled)  # same version, other content
    v2 = base.next_version(titles={"en": "v2", "id": "v2"})
    store.save_scheme(v2)
    assert store.scheme().version == base.version + 1
    assert store.scheme(version=base.version) == base
    assert ("default", base.version + 1) in store.schemes()
    with pytest.raises(NotFound):
        store.scheme("nope")

    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=DAY)
    old = store.open_observation("K01-S01", "obs.old", scheme=base)
    new = store.open_observation("K01-S01", "obs.new")
    assert old.scheme_version == base.version  # observations keep the version they were coded with
    assert new.scheme_version == base.version + 1
    assert store.observation_scheme(old.id) == base


def test_settings_round_trip(store: Store) -> None:
    assert store.setting("missing", "fallback") == "fallback"
    store.set_setting("k", {"a": [1, 2]})
    store.set_setting("k", {"a": [3]})
    assert store.setting("k") == {"a": [3]}


def test_counts(store: Store) -> None:
    assert store.counts() == {
        "clients": 0,
        "counselors": 0,
        "sessions": 0,
        "observers": 0,
        "observations": 0,
        "events": 0,
    }
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=DAY, duration_s=60)
    store.add_user("idle.user")  # a user who codes nothing is not counted as an observer
    obs = store.open_observation("K01-S01", "obs.a")
    store.record(obs.id, "client", "P_NOD", 1.0)
    counts = store.counts()
    assert (counts["clients"], counts["sessions"], counts["observers"], counts["events"]) == (1, 1, 1, 1)


def test_lists_of_clients_and_counselors_show_each_role_its_own(store: Store) -> None:
    """One listing rule for clients and counselors: an administrator sees all, a supervisor
    those supervised, a counselor their own, an observer those of the sessions assigned."""
    for counselor in ("C01", "C02", "C03"):
        store.add_counselor(counselor)
    store.add_client("K01", display_name="Ayu", counselor="C01")
    store.add_client("K02", display_name="Bima", counselor="C02")
    store.add_client("K03", display_name="Citra", counselor="C03")
    session = store.add_session("K02", "C02", date=dt.date(2026, 9, 1), duration_s=60.0)
    store.add_user("rina", role="counselor")
    store.link_counselor("rina", "C01")
    store.add_user("dewi", role="supervisor")
    store.supervise("dewi", "C03")
    store.add_user("ani", role="observer")
    store.assign_observer(session.code, "ani")
    seen = {name: store.as_user(name) for name in ("rina", "dewi", "ani")}
    assert [c.code for c in store.counselors()] == ["C01", "C02", "C03"]
    assert [(c.code, c.display_name) for c in store.clients()] == [
        ("K01", "Ayu"),
        ("K02", "Bima"),
        ("K03", "Citra"),
    ]
    assert [c.code for c in seen["rina"].counselors()] == ["C01"]
    assert [(c.code, c.display_name) for c in seen["rina"].clients()] == [("K01", "Ayu")]
    assert [c.code for c in seen["dewi"].counselors()] == ["C03"]
    assert [c.code for c in seen["dewi"].clients()] == ["K03"]
    assert [c.code for c in seen["ani"].counselors()] == ["C02"]
    assert [(c.code, c.display_name) for c in seen["ani"].clients()] == [("K02", None)]  # codes only
