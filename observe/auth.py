"""Sign-in for team mode: argon2 password hashes, failed attempts limited per username.

Passwords are hashed with argon2id (argon2-cffi, the OWASP-recommended algorithm) and never
stored, logged or put in an error message. Failed sign-ins are counted per username in the
database (``sign_in_failures``), so neither a restart nor a second server resets the limit:
after :data:`FREE_ATTEMPTS` failures the name is locked for a time that doubles with each
further failure, up to :data:`MAX_LOCK_S`. A locked name is refused without checking the
password, so guessing cannot continue during the lock.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from observe.errors import InvalidInput
from observe.model import User

if TYPE_CHECKING:
    from observe.store.api import Store

FREE_ATTEMPTS = 5
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0
MIN_PASSWORD = 10  # NIST SP 800-63B asks for at least 8; a shared clinical workspace deserves more
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (refused if shorter than :data:`MIN_PASSWORD`).

    >>> hashed = hash_password("correct horse battery")
    >>> hashed.startswith("$argon2id$"), verify_password(hashed, "correct horse battery")
    (True, True)
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput("access.password_short", minimum=MIN_PASSWORD)
    return _HASHER.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """True if ``password`` matches ``hashed`` (False for no hash or a malformed one)."""
    if not hashed:
        return False
    try:
        return bool(_HASHER.verify(hashed, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    return _HASHER.hash(secrets.token_hex(16))


def lock_seconds(failures: int) -> float:
    """How long a username stays locked after ``failures`` failed sign-ins in a row.

    >>> [lock_seconds(n) for n in (4, 5, 6, 7, 20)]
    [0.0, 30.0, 60.0, 120.0, 900.0]
    """
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_LOCK_S, FIRST_LOCK_S * 2.0 ** (failures - FREE_ATTEMPTS))


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes (stored as UTC): make them comparable."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def check_sign_in(store: Store, username: str, password: str, *, now: dt.datetime) -> User:
    """The user if ``password`` is right and the name is not locked (:meth:`Store.authenticate`)."""
    return store.authenticate(username, password, now=now)
