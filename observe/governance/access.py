"""Who may do what: roles, the permission table, the acting user, the workspace mode.

Permissions live in the core (DESIGN.md): every public :class:`observe.store.Store` method
asks :func:`allows` before it touches data, and every change runs in the store's one unit of
work (``Store.acting``: check, change and audit row in one transaction; a refusal is audited
too), so every page, import, export and CLI command is covered; the page guard
(``observe.ui.page``) is a second wall.

:data:`PERMISSIONS` is the one table: ``action → role → rule``. A rule says how far a role
reaches for that action:

``"all"``
    any record;
``"own"``
    records that are the user's own: for an observation (or its events) the user is its
    observer; otherwise the record belongs to the counselor the user *is* (a counselor user);
``"assigned"``
    records of the counselors a supervisor supervises, or the sessions an observer is assigned to;
``"blind"``
    an observer may read other observers' coding of a session only once *every* observation of
    it is finished, their own too, and no assigned coder is still to start (agreement without
    peeking); reopening one after that is a supervisor's action (``observation.reopen_unblinded``);
``"aggregate"``
    only counts and de-identified data, never one named record (researchers);
``None``
    never.

A call about no particular record (a list, a create without an owner yet) is allowed for
any rule but ``None``; lists are then filtered to the records the user may see.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from observe.errors import InvalidInput, NotFound, PermissionDenied
from observe.model import ROLES

if TYPE_CHECKING:
    from observe.store.api import Store

ADMIN, SUPERVISOR, COUNSELOR, OBSERVER, RESEARCHER = ROLES
Rule = str | None
RULES: tuple[Rule, ...] = ("all", "own", "assigned", "blind", "aggregate", None)


def _row(admin: Rule, supervisor: Rule, counselor: Rule, observer: Rule, researcher: Rule) -> dict[str, Rule]:
    return dict(zip(ROLES, (admin, supervisor, counselor, observer, researcher), strict=True))


# fmt: off
#: action → role → rule. Columns: administrator, supervisor, counselor, observer, researcher.
#: The local administrator (local mode) is an administrator: one person, the whole workspace.
PERMISSIONS: dict[str, dict[str, Rule]] = {
    # clients: the pseudonymous code; the display name and notes are "client.identity"
    "client.create":           _row("all", "all",      "all",  None,       None),
    "client.read":             _row("all", "assigned", "own",  "assigned", None),
    "client.update":           _row("all", "assigned", "own",  None,       None),
    "client.archive":          _row("all", "assigned", "own",  None,       None),
    "client.identity":         _row("all", "assigned", "own",  None,       None),
    "consent.manage":          _row("all", "assigned", "own",  None,       None),
    "counselor.create":        _row("all", "all",      None,   None,       None),
    "counselor.read":          _row("all", "assigned", "own",  "assigned", None),
    "counselor.update":        _row("all", "assigned", None,   None,       None),
    "counselor.archive":       _row("all", "assigned", None,   None,       None),
    "session.create":          _row("all", "assigned", "own",  None,       None),
    "session.read":            _row("all", "assigned", "own",  "assigned", None),
    "session.update":          _row("all", "assigned", "own",  None,       None),
    "session.archive":         _row("all", "assigned", "own",  None,       None),
    "session.assign":          _row("all", "assigned", None,   None,       None),
    # observations: a supervisor may code (a reference coding), a counselor may code their own sessions
    "observation.open":        _row("all", "assigned", "own",  "assigned", None),
    "observation.finish":      _row("all", "own",      "own",  "own",      None),
    "observation.read_others": _row("all", "assigned", "own",  "blind",    None),
    # reopening after every coder finished (each may have seen the others'): the supervisor's call
    "observation.reopen_unblinded": _row("all", "assigned", None, None,      None),
    "observation.reference":   _row("all", "assigned", None,   None,       None),
    "event.write":             _row("all", "own",      "own",  "own",      None),
    "event.edit":              _row("all", "own",      "own",  "own",      None),
    "event.delete":            _row("all", "own",      "own",  "own",      None),
    "event.undo":              _row("all", "own",      "own",  "own",      None),
    "event.read":              _row("all", "own",      "own",  "own",      None),
    "scheme.read":             _row("all", "all",      "all",  "all",      "all"),
    "scheme.save":             _row("all", "all",      None,   None,       None),
    # further checked per session and observation: observers and counselors import their own coding
    "data.import":             _row("all", "assigned", "own",  "assigned", None),
    "export.tidy":             _row("all", "assigned", "own",  "own",      None),
    "export.research":         _row("all", "aggregate", None,  None,       "aggregate"),
    "report":                  _row("all", "assigned", "own",  None,       None),
    "video.read":              _row("all", "assigned", "own",  "assigned", None),
    "video.upload":            _row("all", "assigned", "own",  "assigned", None),
    "workspace.summary":       _row("all", "aggregate", "aggregate", "aggregate", "aggregate"),
    "users.read":              _row("all", "all",      None,   None,       None),
    "users.manage":            _row("all", None,       None,   None,       None),
    "audit.read":              _row("all", None,       None,   None,       None),
    "audit.export":            _row("all", None,       None,   None,       None),
    "erasure":                 _row("all", None,       None,   None,       None),
    "settings":                _row("all", None,       None,   None,       None),
}
# fmt: on
ACTIONS: tuple[str, ...] = tuple(PERMISSIONS)
#: What a research view may read of consenting clients' sessions beyond its role's own rules
#: (never ``client.identity``: names and notes stay hidden).
RESEARCH_READS = frozenset(
    {"client.read", "counselor.read", "session.read", "event.read", "observation.read_others", "scheme.read"}
)


@dataclass(frozen=True)
class Principal:
    """The acting user with what their rules reach: the counselor they are, the counselors
    they supervise, the sessions they are assigned to and those whose coding they finished."""

    username: str
    role: str
    user_id: int | None = None
    counselor_id: int | None = None  # the counselor record a counselor user is
    supervised: frozenset[int] = frozenset()  # counselor ids
    assigned: frozenset[int] = frozenset()  # session ids
    finished: frozenset[int] = frozenset()  # session ids whose every coder, the user too, has finished
    is_demo: bool = False
    #: a research view (``Store.research_view``, after the audited ``export.research`` check):
    #: the sessions of clients who consented to research use, which it may read de-identified
    research: frozenset[int] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


@dataclass(frozen=True)
class Target:
    """What a permission is asked about: the counselors (ids) a record belongs to, the
    sessions (ids) it is part of, and for an observation or its events its observer (user id)."""

    counselors: frozenset[int] = frozenset()
    sessions: frozenset[int] = frozenset()
    observer: int | None = None

    @classmethod
    def of(
        cls,
        *,
        counselors: Iterable[int | None] = (),
        sessions: Iterable[int] = (),
        observer: int | None = None,
    ) -> Target:
        return cls(
            frozenset(int(c) for c in counselors if c is not None),
            frozenset(int(s) for s in sessions),
            observer,
        )


def rule(role: str, action: str) -> Rule:
    """The rule of ``role`` for ``action`` (a KeyError for an unknown action is a bug, not input)."""
    return PERMISSIONS[action].get(role)


def allows(user: Principal, action: str, target: Target | None = None) -> bool:
    """True if ``user`` may do ``action`` on ``target`` (None: no particular record).

    >>> observer = Principal("obs.ani", "observer", assigned=frozenset({7}))
    >>> allows(observer, "session.read", Target.of(sessions=[7])), allows(observer, "session.read", Target.of(sessions=[8]))
    (True, False)
    """
    granted = rule(user.role, action)
    if granted is None and user.research is not None and action in RESEARCH_READS:
        return target is None or bool(user.research & target.sessions)
    if granted is None:
        return False
    if target is None or granted == "all":
        return True
    if granted == "aggregate":
        return False  # one named record is never an aggregate
    if granted == "own":
        if target.observer is not None:
            return user.user_id is not None and target.observer == user.user_id
        return user.counselor_id is not None and user.counselor_id in target.counselors
    if granted == "assigned":
        if user.role == SUPERVISOR:
            return bool(user.supervised & target.counselors)
        return bool(user.assigned & target.sessions)
    if granted == "blind":
        return bool(user.finished & target.sessions)
    raise ValueError(f"unknown rule {granted!r} for {action}")  # a bug in PERMISSIONS


def require(user: Principal, action: str, target: Target | None = None) -> None:
    """Refuse (:class:`PermissionDenied`) what ``user``'s role may not do.

    >>> require(Principal("r", "researcher"), "client.read")
    Traceback (most recent call last):
    observe.errors.PermissionDenied: ...
    """
    if not allows(user, action, target):
        raise PermissionDenied("access.denied", action=action, role=user.role)


# -- modes -----------------------------------------------------------------------------------------------

LOCAL, TEAM = "local", "team"
SECRETS = Path(".streamlit") / "secrets.toml"
#: Idle time after which a signed-in browser session must sign in again.
SESSION_IDLE_S = 8 * 3600


def configured_mode(environ: Mapping[str, str] | None = None, secrets: Path = SECRETS) -> str:
    """``OBSERVE_MODE`` if set, else ``[observe] mode`` in ``.streamlit/secrets.toml``, else local."""
    env = os.environ if environ is None else environ
    value = env.get("OBSERVE_MODE")
    if not value:
        try:
            value = tomllib.loads(secrets.read_text(encoding="utf-8")).get("observe", {}).get("mode")
        except (OSError, tomllib.TOMLDecodeError):
            value = None
    mode = str(value or LOCAL).strip().lower()
    if mode not in (LOCAL, TEAM):
        raise InvalidInput("access.bad_mode", mode=mode)
    return mode


def app_mode(url: str, environ: Mapping[str, str] | None = None, secrets: Path = SECRETS) -> str:
    """The mode the app runs in for the database ``url``; local mode on PostgreSQL is refused
    (a shared server must have accounts)."""
    mode = configured_mode(environ, secrets)
    if mode == LOCAL and url.startswith("postgresql"):
        raise InvalidInput("access.local_on_postgres")
    return mode


# -- demo accounts ---------------------------------------------------------------------------------------

#: The demo workspace's accounts (one per role), with passwords published in the README.
#: They exist only in a demo workspace and cannot sign in once it holds real clients.
DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("admin.demo", ADMIN, "demo-admin"),
    ("sup.dewi", SUPERVISOR, "demo-supervisor"),
    ("couns.rina", COUNSELOR, "demo-counselor"),
    ("obs.ani", OBSERVER, "demo-observer"),
    ("res.eko", RESEARCHER, "demo-researcher"),
)


@dataclass(frozen=True)
class DemoAccess:
    """How the demo accounts are wired: who is which counselor, who supervises whom."""

    counselor_user: str = "couns.rina"
    counselor_code: str = "C01"
    supervisor: str = "sup.dewi"
    supervised: tuple[str, ...] = ("C01", "C02")
    consenting: tuple[str, ...] = ("K01", "K02")  # K03 (a child) has no research consent
    observers: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"obs.ani": ("*",), "obs.budi": ("K01-S03",)}
    )


def create_demo_accounts(store: Store, wiring: DemoAccess | None = None) -> list[str]:
    """Give the demo workspace one account per role (see :data:`DEMO_ACCOUNTS`), link the
    counselor user to C01, let the supervisor supervise C01 and C02, assign the observers,
    and record consent; returns the usernames. Call it after the demo sessions exist."""
    import datetime as dt

    wire = wiring or DemoAccess()
    names = []
    for username, role, password in DEMO_ACCOUNTS:
        try:
            store.user(username)
        except NotFound:
            store.add_user(username, role=role, display_name=f"Demo {role}", is_demo=True)
        store.set_role(username, role)
        store.set_password(username, password)
        names.append(username)
    present = {c.code for c in store.counselors(include_archived=True)}
    if wire.counselor_code in present:
        store.link_counselor(wire.counselor_user, wire.counselor_code)
    for code in wire.supervised:
        if code in present:
            store.supervise(wire.supervisor, code)
    for client in store.clients(include_archived=True):
        if client.is_demo:
            store.set_consent(
                client.code,
                recording=True,
                research_use=client.code in wire.consenting,
                date=dt.date(2026, 8, 1),
            )
    for observer, sessions in wire.observers.items():
        every = [s.code for s in store.sessions(include_archived=True)]
        for code in every if "*" in sessions else [c for c in sessions if c in every]:
            try:
                store.assign_observer(code, observer)
            except NotFound:  # a demo observer the demo did not create
                break
    return names
