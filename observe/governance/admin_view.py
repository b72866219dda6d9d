"""What the Administration page draws, and the account changes it makes, without Streamlit.

The page (pages/11_Administration.py) shows :func:`admin_view` and turns its forms into one
call each (:func:`create_user`, :func:`save_user`). Every change still goes through the store,
which checks ``users.manage`` and writes the audit row; tested in tests/test_admin_view.py.

Examples
--------
>>> from observe.governance.demo import create_demo
>>> from observe.store import Store
>>> store = Store.open("sqlite://"); _ = create_demo(store, videos=False)
>>> view = admin_view(store)
>>> view.supervisors, list(view.users.columns)
(('sup.dewi',), ['username', 'display_name', 'role', 'counselor', 'active', 'is_demo'])
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from observe.errors import InvalidInput
from observe.governance.auth import check_password
from observe.i18n import t
from observe.interop.spreadsheet import safe_csv
from observe.model import ROLES
from observe.store import Store

USER_COLUMNS = ("username", "display_name", "role", "counselor", "active", "is_demo")
CONSENT_COLUMNS = ("client", "recording", "research_use", "date")
AUDIT_SHOWN = 500  # rows on screen; the download holds the whole trail


@dataclass(frozen=True)
class UserForm:
    """The edit form's starting values for one user."""

    username: str
    role_index: int
    active: bool
    counselor_options: tuple[str, ...]
    counselor_index: int


@dataclass(frozen=True)
class AdminView:
    """Everything the Administration page shows.

    Attributes
    ----------
    users : DataFrame
        ``USER_COLUMNS``, the role in the user's language.
    usernames, supervisors, counselors, clients : tuple of str
        The choices of the forms (counselors and clients archived ones included).
    supervision : DataFrame
        supervisor, counselor: who sees whose sessions.
    consent : DataFrame
        ``CONSENT_COLUMNS``, one row per client (False when no consent was recorded).

    The audit trail's newest rows are read only for its own tab (:func:`audit_shown`).
    """

    users: pd.DataFrame
    usernames: tuple[str, ...]
    supervisors: tuple[str, ...]
    counselors: tuple[str, ...]
    clients: tuple[str, ...]
    supervision: pd.DataFrame
    consent: pd.DataFrame


def admin_view(store: Store, lang: str = "en") -> AdminView:
    """The users, supervisions and consents (refused without ``users.read``)."""
    people = store.users()
    users = pd.DataFrame(
        [
            {
                "username": u.username,
                "display_name": u.display_name or "",
                "role": t(f"access.role.{u.role}", lang),
                "counselor": store.linked_counselor(u.username) or "",
                "active": u.active,
                "is_demo": u.is_demo,
            }
            for u in people
        ],
        columns=list(USER_COLUMNS),
    )
    clients = [c.code for c in store.clients(include_archived=True)]
    consent = pd.DataFrame(
        [{"client": c, **store.consent(c)} for c in clients], columns=list(CONSENT_COLUMNS)
    )
    return AdminView(
        users=users,
        usernames=tuple(u.username for u in people),
        supervisors=tuple(u.username for u in people if u.role == "supervisor"),
        counselors=tuple(c.code for c in store.counselors(include_archived=True)),
        clients=tuple(clients),
        supervision=pd.DataFrame(store.supervisions(), columns=["supervisor", "counselor"]),
        consent=consent,
    )


def audit_shown(store: Store) -> pd.DataFrame:
    """The newest ``AUDIT_SHOWN`` rows of the audit trail, for the page (refused without
    ``audit.read``); the download holds the whole trail (:func:`audit_download`)."""
    return store.audit_log(limit=AUDIT_SHOWN)


def user_form(store: Store, username: str, counselors: tuple[str, ...]) -> UserForm:
    """The edit form of ``username``: its role, whether active, its linked counselor (none first)."""
    user = store.user(username)
    linked = store.linked_counselor(username)
    options = ("", *counselors)
    return UserForm(
        username=username,
        role_index=ROLES.index(user.role),
        active=user.active,
        counselor_options=options,
        counselor_index=options.index(linked) if linked in options else 0,
    )


def create_user(
    store: Store, username: str, *, role: str, display_name: str, password: str, again: str
) -> None:
    """A new user with a password; both typings of the password must match.

    The password is checked before the user exists, so a refused one leaves no user
    without a password behind.
    """
    if password != again:
        raise InvalidInput("access.password_mismatch")
    check_password(password, username)
    store.add_user(username, role=role, display_name=display_name)
    store.set_password(username, password)


def save_user(store: Store, username: str, *, role: str, active: bool, counselor: str, password: str) -> None:
    """Change a user's role, whether active, the counselor they are (``""``: none) and, if
    given, their password."""
    store.set_role(username, role)
    store.set_active(username, active)
    store.link_counselor(username, counselor or None)
    if password:
        store.set_password(username, password)


def audit_csv(store: Store) -> bytes:
    """The whole audit trail as UTF-8 CSV."""
    return safe_csv(store.audit_log())


def audit_download(store: Store) -> bytes:
    """The audit trail for the page's download, made when it is clicked: the export is logged
    first (refused for a role that may not export it), so the file holds its own export row."""
    store.log_export("audit.export", what="audit")
    return audit_csv(store)
