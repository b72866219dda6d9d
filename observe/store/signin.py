"""Sign-in: the store's side of checking a password (``observe.auth`` holds the hashing and
the lockout arithmetic). Failed sign-ins are counted per username in the database, so
neither a restart nor a second server resets the limit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update

from observe.auth import aware, dummy_hash, lock_seconds, verify_password
from observe.errors import PermissionDenied
from observe.model import User
from observe.store import tables as T
from observe.store.core import StoreCore
from observe.store.rows import _now


class SignInMixin(StoreCore):
    """Signing in."""

    def authenticate(self, username: str, password: str, *, now: dt.datetime | None = None) -> User:
        """Sign-in: the user if the password is right; failed attempts per username are counted
        in the database and a locked-out name is refused without checking the password."""
        return _check_sign_in(self, username, password, now=now or _now())


def _check_sign_in(store: SignInMixin, username: str, password: str, *, now: dt.datetime) -> User:
    """The user if ``password`` is right and the name is not locked; otherwise
    :class:`PermissionDenied` with one message for every wrong name or password (no hint
    which was wrong). Demo accounts are refused once the workspace holds real clients."""
    name = (username or "").strip()[:80]
    with store._read() as conn:
        failed = conn.execute(select(T.sign_in_failures).where(T.sign_in_failures.c.username == name)).first()
        row = conn.execute(select(T.users).where(T.users.c.username == name)).first()
    if failed is not None:
        wait = lock_seconds(int(failed.failures)) - (now - aware(failed.last_at)).total_seconds()
        if wait > 0:
            raise PermissionDenied("access.locked", minutes=max(1, int(wait // 60) + 1))
    # an unknown name costs the same hash check as a known one: the time says nothing about which names exist
    ok = verify_password(row.password_hash if row is not None else dummy_hash(), password)
    if row is None or not row.active or not ok:
        _count_failure(store, name, failed is not None, now)
        raise PermissionDenied("access.bad_sign_in")
    if row.is_demo and _has_real_clients(store):
        raise PermissionDenied("access.demo_refused")
    # signing in is its own permission (the password): one unit of work, audited
    with store.acting("user.sign_in", entity="user", entity_id=name, checked=True) as work:
        if failed is not None:
            work.conn.execute(delete(T.sign_in_failures).where(T.sign_in_failures.c.username == name))
    return User(row.id, row.username, row.display_name, row.role, bool(row.active), bool(row.is_demo))


def _count_failure(store: SignInMixin, name: str, known: bool, now: dt.datetime) -> None:
    with store.acting("user.sign_in_failure", entity="user", entity_id=name, checked=True) as work:
        work.audited = False  # counted, not audited: a flood of guesses must not flood the trail
        conn = work.conn
        if known:
            conn.execute(
                update(T.sign_in_failures)
                .where(T.sign_in_failures.c.username == name)
                .values(failures=T.sign_in_failures.c.failures + 1, last_at=now)
            )
        else:
            conn.execute(insert(T.sign_in_failures).values(username=name, failures=1, last_at=now))


def _has_real_clients(store: SignInMixin) -> bool:
    with store._read() as conn:
        return (
            conn.execute(select(T.clients.c.id).where(T.clients.c.is_demo.is_(False)).limit(1)).first()
            is not None
        )
