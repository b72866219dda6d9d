"""The workspace's signing secret: what one app server signs (video links), every server checks.

Several app processes on one database (issue 16) must agree on the key that signs a video link,
or a link handed out by one replica is refused by the next. The secret is made once by
migration 0007 (``workspace_secrets``, in the migration's transaction) and read from there;
should the row be missing (deleted by hand) it is made again in one statement that any number of
servers may run at once (``INSERT ... ON CONFLICT DO NOTHING``, then read what won).

``OBSERVE_SECRET`` (at least 32 characters), when set, overrides the database's secret: then a
copy of the database alone cannot sign a video link. Every app server must get the same value.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import weakref
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from observe.errors import InvalidInput
from observe.store import tables as T

if TYPE_CHECKING:
    from observe.store.core import StoreCore

ENV = "OBSERVE_SECRET"
MIN_ENV_CHARS = 32
_NAME = "signing"
_S = T.workspace_secrets
#: engine → secret: it never changes, so one read per process and database
_CACHE: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def signing_key(store: StoreCore) -> bytes:
    """The key that signs video links for ``store``'s workspace (``OBSERVE_SECRET`` first)."""
    configured = env_key()
    if configured is not None:
        return configured
    with _LOCK:
        found = _CACHE.get(store.engine)
    if found is None:
        found = bytes.fromhex(_read_or_make(store))
        with _LOCK:
            _CACHE[store.engine] = found
    return found


def env_key() -> bytes | None:
    """The key made from ``OBSERVE_SECRET``, if it is set; refused when it is too short to be secret."""
    configured = os.environ.get(ENV)
    if not configured:
        return None
    if len(configured) < MIN_ENV_CHARS:
        raise InvalidInput("secret.too_short", name=ENV, chars=MIN_ENV_CHARS)
    return hashlib.sha256(configured.encode("utf-8")).digest()


def _read_or_make(store: StoreCore) -> str:
    with store._read() as conn:
        value = conn.execute(select(_S.c.value).where(_S.c.name == _NAME)).scalar()
    if value is not None:
        return str(value)
    # the server's own upkeep, not a user's action: no permission to ask; audited when it made it
    with store.acting("settings", audit="workspace.secret_made", checked=True) as work:
        dialect = sqlite if work.conn.dialect.name == "sqlite" else postgresql
        made = work.conn.execute(
            dialect.insert(_S).values(name=_NAME, value=secrets.token_hex(32)).on_conflict_do_nothing()
        ).rowcount
        work.audited = made == 1
        return str(work.conn.execute(select(_S.c.value).where(_S.c.name == _NAME)).scalar_one())
