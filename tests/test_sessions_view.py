"""The Sessions page's form values and the calls they make, on the demo workspace without Streamlit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from observe.coding import sessions_view as sv
from observe.errors import ObserveError
from observe.reports import workspace
from observe.store import Store
from tests.conftest import open_demo_copy


@pytest.fixture(scope="module")
def demo(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_demo_copy(demo_workspace, tmp_path_factory.mktemp("sessions-view"))
    yield store
    store.close()


@pytest.mark.parametrize(
    ("special", "profile", "expected"),
    [
        (True, "default", "special_needs"),
        (True, "cultural", "cultural"),
        (False, "default", "default"),
        (False, "special_needs", "special_needs"),
    ],
)
def test_new_client_profile(special: bool, profile: str, expected: str) -> None:
    assert sv.new_client_profile(special, profile) == expected


def test_create_and_save_a_client(demo: Store) -> None:
    sv.create_client(demo, sv.ClientFields("K90", "Rani", special=True, profile="default"))
    rani = demo.client("K90")
    assert (rani.display_name, rani.special_needs, rani.valence_profile) == ("Rani", True, "special_needs")
    sv.save_client(
        demo, "K90", sv.ClientFields("", "Rani W.", special=False, profile="cultural", archived=True)
    )
    rani = demo.client("K90")
    assert (rani.display_name, rani.special_needs, rani.valence_profile, rani.archived) == (
        "Rani W.",
        False,
        "cultural",
        True,
    )


def test_create_and_save_a_session_in_minutes(demo: Store) -> None:
    client, counselor = demo.clients()[0].code, demo.counselors()[0].code
    day = dt.date(2026, 5, 4)
    made = sv.create_session(
        demo, sv.SessionFields(client, counselor, day, 45.0, parent_present=True, notes="n")
    )
    assert (made.duration_s, made.parent_present, made.notes, made.date) == (2700.0, True, "n", day)
    saved = sv.save_session(demo, made.code, sv.SessionFields(None, counselor, day, 0.0, archived=True))
    assert saved.duration_s is None and saved.archived  # 0 minutes: the duration is unknown
    assert demo.session(made.code).duration_s is None


def test_create_session_without_a_client_is_refused(demo: Store) -> None:
    with pytest.raises(ObserveError):
        sv.create_session(demo, sv.SessionFields(None, demo.counselors()[0].code, dt.date(2026, 5, 4), 50.0))


def test_observer_choices_keep_an_assigned_non_observer(demo: Store) -> None:
    session = demo.sessions()[0].code
    before, _ = sv.observer_choices(demo, session)
    assert set(before) >= {"obs.ani", "obs.budi"} and before == sorted(before)
    demo.add_user("sup.rina", role="supervisor")
    workspace.set_observers(demo, session, ["obs.ani", "sup.rina"])
    options, assigned = sv.observer_choices(demo, session)
    assert sorted(assigned) == ["obs.ani", "sup.rina"]
    assert "sup.rina" in options and options == sorted(options)
