"""Sign-in for team mode: the password policy, argon2 password hashes, the lock schedule.

Passwords are hashed with argon2id (argon2-cffi, the OWASP-recommended algorithm) and never
stored, logged or put in an error message. The policy follows NIST SP 800-63B: a minimum
length and a list of passwords too common to accept, no composition rules.

Failed sign-ins are counted in the database (``observe.store.signin_records``), so neither a
restart nor a second server resets the limit: after :data:`FREE_ATTEMPTS` failures the name is
locked for a time that doubles with each further failure, up to :data:`MAX_LOCK_S`; a quiet
day (:data:`RESET_AFTER_S`) forgets the count. Across all names, more than
:data:`THROTTLE_FAILURES` failures within :data:`THROTTLE_WINDOW_S` pause every sign-in for
the rest of the window.
"""

from __future__ import annotations

import functools
import secrets
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from observe.errors import InvalidInput

FREE_ATTEMPTS = 5
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0
RESET_AFTER_S = 24 * 3600.0  # a name with no failure for a day starts again with free attempts
THROTTLE_FAILURES = 100  # failed sign-ins on the whole server ...
THROTTLE_WINDOW_S = 60.0  # ... within this window pause every sign-in until the window ends
MIN_PASSWORD = 10  # NIST SP 800-63B asks for at least 8; a shared clinical workspace deserves more
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of passwords too common to accept (lower case; observe/data)."""
    text = resources.files("observe.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_password(password: str, username: str | None = None) -> None:
    """Refuse a password shorter than :data:`MIN_PASSWORD`, one in the common list, one made of
    the user name, or one of fewer than four different characters (NIST SP 800-63B 5.1.1.2:
    repetitive and context-specific values). No composition rules.

    >>> check_password("correct horse battery")
    >>> check_password("password123")
    Traceback (most recent call last):
    observe.errors.InvalidInput: This password is too common to be safe; choose a longer phrase of your own.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput("access.password_short", minimum=MIN_PASSWORD)
    folded = password.strip().lower()
    name = (username or "").strip().lower()
    if (
        folded in common_passwords()
        or len(set(folded)) < 4
        or (name and (folded == name or folded.startswith(name) and folded[len(name) :].isdigit()))
    ):
        raise InvalidInput("access.password_common")


def hash_password(password: str, username: str | None = None) -> str:
    """An argon2id hash of ``password`` (refused by :func:`check_password` first).

    >>> hashed = hash_password("correct horse battery")
    >>> hashed.startswith("$argon2id$"), verify_password(hashed, "correct horse battery")
    (True, True)
    """
    check_password(password, username)
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
    """A hash of a random password: an unknown name costs the same check as a known one."""
    return _HASHER.hash(secrets.token_hex(16))


def lock_seconds(failures: int) -> float:
    """How long a username stays locked after ``failures`` failed sign-ins in a row.

    >>> [lock_seconds(n) for n in (4, 5, 6, 7, 20)]
    [0.0, 30.0, 60.0, 120.0, 900.0]
    """
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_LOCK_S, FIRST_LOCK_S * 2.0 ** (failures - FREE_ATTEMPTS))
