"""The one store API: pages, the CLI and tests all read and write through :class:`Store`.

:class:`Store` is composed of one module per domain, each a layer over the ones below it:

========================  ================================================================
``observe.store.core``    engine, transactions, the acting user, the unit of work (``acting``)
``observe.store.schemes`` coding schemes
``observe.store.people``  clients, counselors, users, accounts, supervisions
``observe.store.sessions`` sessions, observer assignments, observations
``observe.store.coding``  events (the keypress hot path), edits, undo/redo, finishing
``observe.store.imports`` imported events, through the same checks
``observe.store.media``   a session's video
``observe.store.governance`` consent, settings, audit trail, exports, erasure, demo
``observe.store.signin``  signing in
========================  ================================================================
"""

from __future__ import annotations

from observe.store.core import LOCAL_ADMIN, MIGRATIONS, Work
from observe.store.governance import GovernanceMixin
from observe.store.imports import ImportsMixin
from observe.store.media import MediaMixin
from observe.store.rows import _now
from observe.store.signin import SignInMixin

__all__ = ["LOCAL_ADMIN", "MIGRATIONS", "Store", "Work", "_now"]


class Store(GovernanceMixin, ImportsMixin, MediaMixin, SignInMixin):
    """The observation workspace in one database.

    >>> store = Store.open("sqlite://")  # an in-memory database, migrated
    >>> store.add_client("K01").code
    'K01'
    """
