"""The role × action matrix: every core operation called as every role, in and out of the
user's slice, on SQLite and PostgreSQL; allowed or refused exactly as ``PERMISSIONS`` says.

The expectation is not computed by ``observe.governance.access.allows``: this file states on its own
which rule reaches which record of the fixture workspace (``REACH``), and takes the rule
for each (action, role) from the one table in the code.

The workspace: counselors C01 (in the slice) and C02 (outside); clients K01 (C01) and K02
(C02); the supervisor supervises C01, the counselor user *is* C01, the observer is assigned to
K01's sessions only. Every role has its own open observation of K01-S01 (for event writes) and
of K01-S03 (to finish); a peer observer codes K01-S01, K01-S02 and K02-S01; the observer has
finished their own coding of K01-S02 (the peer has not: still blind) and both finished K01-S04
(so the observer may read the peer's there, the blind rule).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from observe.errors import PermissionDenied
from observe.governance.access import PERMISSIONS, allows
from observe.scheme import default_scheme
from observe.store import Store
from tests.conftest import fresh_postgres_database

DAY = dt.date(2026, 9, 1)
USERS = {
    "administrator": "adm",
    "supervisor": "sup",
    "counselor": "cou",
    "observer": "obs",
    "researcher": "res",
}

#: Which rules reach a record of each kind, per role (the fixture's relations, stated by hand).
RECORD = {
    "administrator": {"all"},
    "supervisor": {"all", "assigned"},  # K01 is of C01, whom the supervisor supervises
    "counselor": {"all", "own"},  # K01 is the counselor user's own client
    "observer": {"all", "assigned"},  # K01's sessions are assigned to the observer
    "researcher": {"all"},
}
REACH: dict[str, dict[str, set[str]]] = {
    "record": RECORD,
    # a session whose own coding the user finished: the observer's blind rule opens too
    "record_finished": {**RECORD, "observer": {"all", "assigned", "blind"}},
    # the user's own observation
    "own_obs": dict.fromkeys(USERS, {"all", "own"}),
    # outside the slice (K02 / C02 / the peer's coding of K02): only "all" reaches
    "out": dict.fromkeys(USERS, {"all"}),
}


@dataclass
class World:
    admin: Store
    obs: dict[str, dict[str, int]]  # session → username → observation id
    counter: Iterator[int]

    def fresh(self, inside: bool) -> tuple[str, str]:
        """A new client with one session, inside the slice (C01, assigned to obs) or outside (C02)."""
        n = next(self.counter)
        client, counselor = (f"KI{n}", "C01") if inside else (f"KO{n}", "C02")
        self.admin.add_client(client, display_name=f"Name {client}", counselor=counselor)
        session = self.admin.add_session(client, counselor, date=DAY, duration_s=600.0).code
        if inside:
            self.admin.assign_observer(session, "obs")
        return client, session

    def event(self, observation_id: int) -> int:
        t = float(next(self.counter))
        return self.admin.add_event(observation_id, "client", "P_NOD", t).changes[0].after.id  # type: ignore[union-attr,return-value]


def _build(url: str) -> World:
    admin = Store.open(url)
    admin.add_counselor("C01")
    admin.add_counselor("C02")
    admin.add_client("K01", display_name="Ayu Lestari", counselor="C01")
    admin.add_client("K02", display_name="Bima Sakti", counselor="C02")
    for role, name in USERS.items():
        admin.add_user(name, role=role)
    admin.add_user("peer", role="observer")
    admin.link_counselor("cou", "C01")
    admin.supervise("sup", "C01")
    for number in (1, 2, 3, 4):
        admin.add_session("K01", "C01", date=DAY, number=number, duration_s=600.0)
    admin.add_session("K02", "C02", date=DAY, duration_s=600.0)
    obs: dict[str, dict[str, int]] = {}
    for session, users in (
        ("K01-S01", [*USERS.values(), "peer"]),
        ("K01-S02", ["obs", "peer"]),
        ("K01-S03", list(USERS.values())),
        ("K01-S04", ["obs", "peer"]),
        ("K02-S01", ["peer"]),
    ):
        obs[session] = {u: admin.open_observation(session, u).id for u in users}
    admin.add_event(obs["K01-S01"]["peer"], "client", "P_NOD", 1.0)
    # the observer finished K01-S02 but the peer did not: still blind; every coder of K01-S04
    # finished: the blind rule lets the observer read the peer's coding
    admin.finish_observation(obs["K01-S02"]["obs"])
    admin.finish_observation(obs["K01-S04"]["obs"])
    admin.finish_observation(obs["K01-S04"]["peer"])
    return World(admin, obs, itertools.count(100))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "sqlite":
        w = _build(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'observe.db'}")
        yield w
        w.admin.close()
    else:
        with fresh_postgres_database() as url:
            w = _build(url)
            yield w
            w.admin.close()


Op = Callable[[Store, World, str], Any]


def _read_name(store: Store, code: str) -> None:
    """Reading a display name: refused outright, or (a client readable but not identifiable) blanked."""
    if store.client(code).display_name is None:
        raise PermissionDenied("access.denied", action="client.identity", role="-")


def _erase(inside: bool) -> Op:
    def run(s: Store, w: World, _user: str) -> None:
        client, _session = w.fresh(inside)
        s.erase_client(client, confirm=client)

    return run


def _archive_session(inside: bool) -> Op:
    def run(s: Store, w: World, _user: str) -> None:
        s.update_session(w.fresh(inside)[1], archived=True)

    return run


def _import_own(inside: bool) -> Op:
    """Import one's own coding: of K01-S01 (where everyone has an observation) or of K02-S01."""

    def run(s: Store, w: World, user: str) -> None:
        if inside:
            w.event(w.obs["K01-S01"][user])
            frame = w.admin.events_frame(session="K01-S01", observer=user)
        else:  # an event of its own first: other operations of the matrix may have deleted the peer's
            w.event(w.obs["K02-S01"]["peer"])
            frame = w.admin.events_frame(session="K02-S01").assign(observer=user)
        s.import_frame(frame, dry_run=True)

    return run


def _fresh_observation(w: World, *, inside: bool) -> int:
    """The peer's observation of a new session (finishing the shared ones would close them to
    the other operations: a finished observation takes no more coding)."""
    _client, session = w.fresh(inside)
    observation_id = w.admin.open_observation(session, "peer").id
    w.event(observation_id)
    return observation_id


def _reopen_unblinded(inside: bool) -> Op:
    """Reopen the peer's observation of a session whose two coders have both finished."""

    def run(s: Store, w: World, _user: str) -> None:
        _client, session = w.fresh(inside)
        ids = [w.admin.open_observation(session, name).id for name in ("peer", "obs")]
        for observation_id in ids:
            w.admin.finish_observation(observation_id)
        s.reopen_observation(ids[0])

    return run


def _set_reference(session: str) -> Op:
    def run(s: Store, w: World, _user: str) -> None:
        from observe.store.reference import set_reference

        set_reference(s, w.obs[session]["peer"])

    return run


# (action, kind, operation). kind: "global" (no particular record), a REACH key for in-slice.
# Out-of-slice variants are listed with kind "out".
OPERATIONS: list[tuple[str, str, Op]] = [
    ("client.create", "global", lambda s, w, u: s.add_client(f"KN{next(w.counter)}")),
    ("client.read", "record", lambda s, w, u: s.client("K01")),
    ("client.read", "out", lambda s, w, u: s.client("K02")),
    (
        "client.update",
        "record",
        lambda s, w, u: s.update_client("K01", special_needs=False, valence_profile="default"),
    ),
    ("client.update", "out", lambda s, w, u: s.update_client("K02", valence_profile="default")),
    ("client.archive", "record", lambda s, w, u: s.update_client(w.fresh(True)[0], archived=True)),
    ("client.archive", "out", lambda s, w, u: s.update_client(w.fresh(False)[0], archived=True)),
    ("client.identity", "record", lambda s, w, u: _read_name(s, "K01")),
    ("client.identity", "out", lambda s, w, u: _read_name(s, "K02")),
    ("consent.manage", "record", lambda s, w, u: s.set_consent("K01", recording=True, research_use=True)),
    ("consent.manage", "out", lambda s, w, u: s.set_consent("K02", recording=True, research_use=False)),
    ("counselor.create", "global", lambda s, w, u: s.add_counselor(f"CN{next(w.counter)}")),
    ("counselor.read", "record", lambda s, w, u: s.counselor("C01")),
    ("counselor.read", "out", lambda s, w, u: s.counselor("C02")),
    ("counselor.update", "record", lambda s, w, u: s.update_counselor("C01", name="Rina")),
    ("counselor.update", "out", lambda s, w, u: s.update_counselor("C02", name="Yusuf")),
    ("counselor.archive", "record", lambda s, w, u: s.update_counselor("C01", archived=False)),
    ("counselor.archive", "out", lambda s, w, u: s.update_counselor("C02", archived=False)),
    ("session.create", "record", lambda s, w, u: s.add_session("K01", "C01", date=DAY)),
    ("session.create", "out", lambda s, w, u: s.add_session("K02", "C02", date=DAY)),
    ("session.read", "record", lambda s, w, u: s.session("K01-S01")),
    ("session.read", "out", lambda s, w, u: s.session("K02-S01")),
    ("session.update", "record", lambda s, w, u: s.update_session("K01-S01", parent_present=True)),
    ("session.update", "out", lambda s, w, u: s.update_session("K02-S01", parent_present=True)),
    ("session.archive", "record", _archive_session(True)),
    ("session.archive", "out", _archive_session(False)),
    ("session.assign", "record", lambda s, w, u: s.assign_observer("K01-S01", "peer")),
    ("session.assign", "out", lambda s, w, u: s.assign_observer("K02-S01", "peer")),
    ("observation.open", "record", lambda s, w, u: s.open_observation("K01-S02", u)),
    ("observation.open", "out", lambda s, w, u: s.open_observation("K02-S01", u)),
    ("observation.finish", "own_obs", lambda s, w, u: s.finish_observation(w.obs["K01-S03"][u])),
    ("observation.finish", "out", lambda s, w, u: s.finish_observation(_fresh_observation(w, inside=False))),
    ("observation.read_others", "record", lambda s, w, u: s.events(w.obs["K01-S01"]["peer"])),
    ("observation.read_others", "record", lambda s, w, u: s.events(w.obs["K01-S02"]["peer"])),
    ("observation.read_others", "record_finished", lambda s, w, u: s.events(w.obs["K01-S04"]["peer"])),
    ("observation.read_others", "out", lambda s, w, u: s.events(w.obs["K02-S01"]["peer"])),
    ("event.write", "own_obs", lambda s, w, u: s.record(w.obs["K01-S01"][u], "client", "P_NOD", 5.0)),
    ("event.write", "out", lambda s, w, u: s.record(w.obs["K01-S01"]["peer"], "client", "P_NOD", 5.0)),
    ("event.edit", "own_obs", lambda s, w, u: s.edit_event(w.event(w.obs["K01-S01"][u]), comment="x")),
    ("event.edit", "out", lambda s, w, u: s.edit_event(w.event(w.obs["K02-S01"]["peer"]), comment="x")),
    ("event.delete", "own_obs", lambda s, w, u: s.delete_event(w.event(w.obs["K01-S01"][u]))),
    ("event.delete", "out", lambda s, w, u: s.delete_event(w.event(w.obs["K02-S01"]["peer"]))),
    # undo right after an add (undoing a delete can hit an SQLite id reuse: see the report)
    ("event.undo", "own_obs", lambda s, w, u: (w.event(w.obs["K01-S01"][u]), s.undo(w.obs["K01-S01"][u]))),
    (
        "event.undo",
        "out",
        lambda s, w, u: (w.event(w.obs["K02-S01"]["peer"]), s.undo(w.obs["K02-S01"]["peer"])),
    ),
    ("event.read", "own_obs", lambda s, w, u: s.events(w.obs["K01-S01"][u])),
    ("event.read", "global", lambda s, w, u: s.observations()),
    ("scheme.read", "global", lambda s, w, u: s.scheme()),
    ("scheme.save", "global", lambda s, w, u: s.save_scheme(default_scheme())),
    ("data.import", "record", _import_own(True)),
    ("data.import", "out", _import_own(False)),
    ("observation.reopen_unblinded", "record", _reopen_unblinded(True)),
    ("observation.reopen_unblinded", "out", _reopen_unblinded(False)),
    ("observation.reference", "record", _set_reference("K01-S01")),
    ("observation.reference", "out", _set_reference("K02-S01")),
    ("export.tidy", "global", lambda s, w, u: s.log_export("export.tidy")),
    ("export.research", "global", lambda s, w, u: s.research_events()),
    ("report", "global", lambda s, w, u: s.log_export("report")),
    ("video.read", "record", lambda s, w, u: s.video_token("K01-S01")),
    ("video.read", "out", lambda s, w, u: s.video_token("K02-S01")),
    ("video.upload", "record", lambda s, w, u: s.set_video("K01-S01", None)),
    ("video.upload", "out", lambda s, w, u: s.set_video("K02-S01", None)),
    ("workspace.summary", "global", lambda s, w, u: s.counts()),
    ("users.read", "global", lambda s, w, u: s.user("peer")),
    ("users.manage", "global", lambda s, w, u: s.add_user(f"u{next(w.counter)}")),
    ("audit.read", "global", lambda s, w, u: s.audit_log()),
    ("audit.export", "global", lambda s, w, u: s.log_export("audit.export")),
    ("erasure", "record", _erase(True)),
    ("erasure", "out", _erase(False)),
    ("settings", "global", lambda s, w, u: s.set_setting("matrix", 1)),
]


def _expected(action: str, kind: str, role: str) -> bool:
    rule = PERMISSIONS[action][role]
    if rule is None:
        return False
    if kind == "global":
        return True
    return rule in REACH[kind][role]


def test_every_action_has_an_operation_in_this_matrix() -> None:
    assert {a for a, _k, _op in OPERATIONS} == set(PERMISSIONS)
    assert {k for a, k, _op in OPERATIONS} <= {"global", *REACH}


@pytest.mark.parametrize("role", list(USERS))
@pytest.mark.parametrize(
    ("action", "kind", "operation"),
    OPERATIONS,
    ids=[f"{a}-{k}" for a, k, _op in OPERATIONS],
)
def test_role_action_matrix(world: World, role: str, action: str, kind: str, operation: Op) -> None:
    username = USERS[role]
    store = world.admin.as_user(username)
    expected = _expected(action, kind, role)
    if expected:
        operation(store, world, username)
    else:
        with pytest.raises(PermissionDenied):
            operation(store, world, username)


def test_the_matrix_covers_every_rule_both_ways() -> None:
    """Every action is exercised allowed, and refused too wherever some role has no rule for it."""
    for action, rules in PERMISSIONS.items():
        outcomes = {_expected(a, k, r) for a, k, _op in OPERATIONS if a == action for r in USERS}
        assert True in outcomes, action
        assert (False in outcomes) == (None in rules.values() or action in _SCOPED), action


_SCOPED = {a for a, k, _op in OPERATIONS if k == "out"}


def test_local_admin_is_an_administrator(world: World) -> None:
    assert world.admin.principal.role == "administrator"
    assert allows(world.admin.principal, "erasure")


def test_unknown_or_disabled_user_cannot_act(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.admin.as_user("nobody")
    name = f"gone{next(world.counter)}"
    world.admin.add_user(name, role="supervisor")
    world.admin.set_active(name, False)
    with pytest.raises(PermissionDenied):
        world.admin.as_user(name)
