"""The Sessions page's forms as value objects, and the one call each form makes.

The widgets of the new and edit forms (observe/ui/forms.py) fill a :class:`SessionFields` or a
:class:`ClientFields`; the rules between a form and the store (minutes to seconds, an unknown
duration, the profile a special-needs client starts with) live here, tested in
tests/test_sessions_view.py.

Examples
--------
>>> import datetime as dt
>>> from observe.store import Store
>>> store = Store.open("sqlite://")
>>> _ = create_client(store, ClientFields("K01", "", special=True, profile="default"))
>>> store.client("K01").valence_profile
'special_needs'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from observe.model import Client, Session
from observe.store import Store


@dataclass(frozen=True)
class SessionFields:
    """What a session form holds; ``client`` only in the new-session form, ``minutes`` 0 means unknown."""

    client: str | None
    counselor: str | None
    date: dt.date
    minutes: float
    parent_present: bool = False
    notes: str = ""
    archived: bool = False


@dataclass(frozen=True)
class ClientFields:
    """What a client form holds; ``code`` only in the new-client form."""

    code: str
    display_name: str
    special: bool = False
    profile: str = "default"
    archived: bool = False


def create_session(store: Store, fields: SessionFields) -> Session:
    """A new session of ``fields.client`` with ``fields.counselor``."""
    return store.add_session(
        fields.client or "",
        fields.counselor or "",
        date=fields.date,
        duration_s=fields.minutes * 60,
        parent_present=fields.parent_present,
        notes=fields.notes,
    )


def save_session(store: Store, code: str, fields: SessionFields) -> Session:
    """Change session ``code``; a duration of 0 minutes is stored as unknown."""
    return store.update_session(
        code,
        counselor=fields.counselor,
        date=fields.date,
        duration_s=fields.minutes * 60 or None,
        parent_present=fields.parent_present,
        notes=fields.notes,
        archived=fields.archived,
    )


def new_client_profile(special: bool, profile: str) -> str:
    """The valence profile of a new client: a special-needs client left on ``default`` starts on
    ``special_needs`` (DOMAIN §2); a profile chosen on purpose is kept.

    >>> new_client_profile(True, "default"), new_client_profile(True, "cultural"), new_client_profile(False, "default")
    ('special_needs', 'cultural', 'default')
    """
    return "special_needs" if special and profile == "default" else profile


def create_client(store: Store, fields: ClientFields) -> Client:
    """A new client from the new-client form."""
    return store.add_client(
        fields.code,
        display_name=fields.display_name,
        special_needs=fields.special,
        valence_profile=new_client_profile(fields.special, fields.profile),
    )


def save_client(store: Store, code: str, fields: ClientFields) -> Client:
    """Change client ``code`` (its display name, special-needs flag, profile, archived flag)."""
    return store.update_client(
        code,
        display_name=fields.display_name,
        special_needs=fields.special,
        valence_profile=fields.profile,
        archived=fields.archived,
    )


def observer_choices(store: Store, session: str) -> tuple[list[str], list[str]]:
    """The observers one may assign to ``session`` (every observer and whoever is assigned
    already, sorted) and those assigned now."""
    assigned = store.observers_of(session)
    observers = [u.username for u in store.users(role="observer")]
    return sorted(set(observers) | set(assigned)), list(assigned)
