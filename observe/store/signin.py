"""Sign-in: the store's side of checking a password. ``observe.governance.auth`` holds the hashing and the
lockout schedule; ``observe.store.signin_records`` the atomic failure counting, the throttle, the
locks and the sign-in records behind the browser's cookie."""

from __future__ import annotations

import datetime as dt

from observe.model import User
from observe.store import signin_records
from observe.store.core import StoreCore


class SignInMixin(StoreCore):
    """Signing in, and lifting a sign-in lock."""

    def authenticate(self, username: str, password: str, *, now: dt.datetime | None = None) -> User:
        """Sign-in: the user if the password is right; failed attempts per username are counted
        in the database and a locked-out name is refused without checking the password."""
        return signin_records.authenticate(self, username, password, now=now)  # type: ignore[arg-type]

    def unlock(self, username: str) -> bool:
        """Lift a sign-in lock (administrators)."""
        return signin_records.unlock(self, username)  # type: ignore[arg-type]

    def sign_in_locks(self) -> list[signin_records.Lock]:
        """The names locked now after failed sign-ins."""
        return signin_records.locks(self)  # type: ignore[arg-type]
