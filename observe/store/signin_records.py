"""Sign-in in the database: failed attempts per name, the server-wide throttle, unlocking,
and the sign-in records behind the browser's cookie.

Every counter changes in **one statement** (``INSERT ... ON CONFLICT DO UPDATE ... WHERE ...
RETURNING``, SQLite ≥ 3.35 and PostgreSQL alike), never read-then-write, so any number of
simultaneous attempts, threads, processes or servers count exactly:

1. The server-wide throttle is read: while it is closed every sign-in is refused.
2. The attempt is *claimed* before the password is checked: the name's failure count goes up
   by one and, when it reaches :data:`observe.governance.auth.FREE_ATTEMPTS`, the lock is set in the same
   statement. The statement changes nothing on a name that is locked now and returns no row:
   that attempt is refused as locked without a password check. So at most one attempt per
   lock period checks a password, however many arrive at once, and exactly one sets the lock.
3. The password is checked. Right: the name's row is deleted (the count starts again). Wrong:
   the claim stands, the failure is added to the server-wide count, and the attempt that set
   the lock writes the one ``user.locked`` audit row.

A lock expires by itself at ``locked_until_s``; the count is forgotten after a quiet day
(``observe.governance.auth.RESET_AFTER_S``). Times are epoch seconds so the arithmetic is portable SQL.

A sign-in record (:func:`create_record`) holds the SHA-256 of a random token that the browser
keeps in an HttpOnly cookie; it ends after ``SESSION_IDLE_S`` idle, after
:data:`SIGN_IN_MAX_S` in any case, or at sign-out (:func:`revoke`), and video links are tied
to it (:func:`is_live`). The browser gets its cookie through a one-time ticket
(:func:`issue_ticket`, :func:`redeem_ticket`) kept with the record as a SHA-256, so the cookie
route of any app server on the database can redeem it (issue 16: several replicas).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, case, delete, null, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from observe.errors import PermissionDenied
from observe.governance import auth
from observe.governance.access import SESSION_IDLE_S
from observe.model import User
from observe.store import tables as T

if TYPE_CHECKING:
    from observe.store.api import Store

_F = T.sign_in_failures
_G = T.sign_in_throttle
_THROTTLE_ROW = 1


@contextmanager
def _change(store: Store, name: str | None = None) -> Iterator[Connection]:
    """One sign-in change as a unit of work (signing in is its own permission: the password).
    It writes its own audit rows where one is due, not one per attempt: a flood of guesses
    must not flood the trail. Nothing a view draws changes: the data version stays."""
    with store.acting("user.sign_in", entity="user", entity_id=name, checked=True) as work:
        work.audited = False
        work.data_changed = False
        yield work.conn


class Lock(NamedTuple):
    """A name that is locked now: how many failures in a row, and until when (epoch seconds)."""

    username: str
    failures: int
    until_s: float


def _upsert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT with ``on_conflict_do_update`` (SQLite and PostgreSQL share the API)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


def _lock_until(failures: ColumnElement[Any], now: float) -> ColumnElement[Any]:
    """``now + lock_seconds(failures)`` as SQL (NULL below the free attempts): a CASE over the
    doubling steps of :func:`observe.governance.auth.lock_seconds`, which stays the one schedule."""
    steps: list[tuple[Any, Any]] = []
    n = auth.FREE_ATTEMPTS
    while auth.lock_seconds(n) < auth.MAX_LOCK_S:
        steps.append((failures == n, now + auth.lock_seconds(n)))
        n += 1
    return case((failures < auth.FREE_ATTEMPTS, null()), *steps, else_=now + auth.MAX_LOCK_S)


def claim_attempt(conn: Connection, name: str, now: float) -> tuple[int, float | None] | None:
    """Count this attempt as a failure before its password is checked, in one statement.

    Returns ``(failures, locked_until_s)`` after the claim, or None if the name is locked now
    (then nothing changed). ``locked_until_s`` is set by the one claim that reaches the limit.
    """
    quiet = _F.c.last_s < now - auth.RESET_AFTER_S
    failures = case((quiet, 1), else_=_F.c.failures + 1)
    stmt = _upsert(conn, _F).values(
        username=name,
        failures=1,
        last_s=now,
        locked_until_s=now + auth.lock_seconds(1) if auth.lock_seconds(1) else None,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[_F.c.username],
        set_={"failures": failures, "last_s": now, "locked_until_s": _lock_until(failures, now)},
        where=or_(_F.c.locked_until_s.is_(None), _F.c.locked_until_s <= now),
    ).returning(_F.c.failures, _F.c.locked_until_s)
    row = conn.execute(stmt).first()
    return None if row is None else (int(row.failures), row.locked_until_s)


def throttled_until(conn: Connection, now: float) -> float | None:
    """When the server-wide throttle opens again, if it is closed now."""
    until = conn.execute(select(_G.c.blocked_until_s).where(_G.c.id == _THROTTLE_ROW)).scalar()
    return float(until) if until is not None and until > now else None


def count_global_failure(conn: Connection, now: float) -> int:
    """Add one failure to the server-wide window (a fixed window that starts again when it is
    over), closing the throttle until the window ends when the count passes the limit; one
    statement. Returns the count in the window."""
    window = auth.THROTTLE_WINDOW_S
    over = _G.c.window_s <= now - window
    failures = case((over, 1), else_=_G.c.failures + 1)
    start = case((over, now), else_=_G.c.window_s)
    stmt = (
        _upsert(conn, _G)
        .values(id=_THROTTLE_ROW, window_s=now, failures=1, blocked_until_s=None)
        .on_conflict_do_update(
            index_elements=[_G.c.id],
            set_={
                "failures": failures,
                "window_s": start,
                "blocked_until_s": case(
                    (failures > auth.THROTTLE_FAILURES, start + window), else_=_G.c.blocked_until_s
                ),
            },
        )
        .returning(_G.c.failures)
    )
    return int(conn.execute(stmt).scalar_one())


def authenticate(store: Store, username: str, password: str, *, now: dt.datetime | None = None) -> User:
    """The user if ``password`` is right and neither the name nor the server is locked; otherwise
    :class:`PermissionDenied`: one message for every wrong name or password (no hint which was
    wrong), ``access.locked`` for a locked name, ``access.throttled`` while the server-wide
    throttle is closed. Demo accounts are refused once the workspace holds real clients."""
    at = time.time() if now is None else now.timestamp()
    name = (username or "").strip()[:80]
    with _change(store) as conn:
        paused = throttled_until(conn, at)
        if paused is not None:
            raise PermissionDenied("access.throttled", minutes=_minutes(paused - at))
        claim = claim_attempt(conn, name, at)
        row = conn.execute(select(T.users).where(T.users.c.username == name)).first()
    if claim is None:
        raise PermissionDenied("access.locked", minutes=_minutes(_lock_left(store, name, at)))
    # an unknown name costs the same hash check as a known one: the time says nothing about which names exist
    ok = auth.verify_password(row.password_hash if row is not None else auth.dummy_hash(), password)
    if row is None or not row.active or not ok:
        failures, locked_until = claim
        with _change(store) as conn:
            count_global_failure(conn, at)
            if locked_until is not None:  # this attempt set the lock: the one audit row for it
                store._audit(conn, "user.locked", "user", name, failures=failures)
        raise PermissionDenied("access.bad_sign_in")
    if row.is_demo and _has_real_clients(store):
        _forget_failures(store, name)
        raise PermissionDenied("access.demo_refused")
    with _change(store) as conn:
        conn.execute(delete(_F).where(_F.c.username == name))
        store._audit(conn, "user.sign_in", "user", name)
    return User(row.id, row.username, row.display_name, row.role, bool(row.active), bool(row.is_demo))


def _forget_failures(store: Store, name: str) -> None:
    with _change(store) as conn:
        conn.execute(delete(_F).where(_F.c.username == name))


def _lock_left(store: Store, name: str, now: float) -> float:
    """Seconds until ``name`` may try again (only for the message: the lock itself is decided
    by :func:`claim_attempt`)."""
    with store._read() as conn:
        until = conn.execute(select(_F.c.locked_until_s).where(_F.c.username == name)).scalar()
    return max(0.0, float(until or now) - now)


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60.0))


def locks(store: Store, *, now: dt.datetime | None = None) -> list[Lock]:
    """The names locked now (``users.read``), for the administrator who may unlock them."""
    store._allow("users.read")
    at = time.time() if now is None else now.timestamp()
    with store._read() as conn:
        rows = conn.execute(
            select(_F.c.username, _F.c.failures, _F.c.locked_until_s)
            .where(_F.c.locked_until_s > at)
            .order_by(_F.c.username)
        ).all()
    return [Lock(r.username, int(r.failures), float(r.locked_until_s)) for r in rows]


def unlock(store: Store, username: str) -> bool:
    """Lift the lock on ``username`` and forget its failures (``users.manage``, audited);
    True if there was anything to forget."""
    store._allow("users.manage")
    name = (username or "").strip()[:80]
    with _change(store) as conn:
        removed = conn.execute(delete(_F).where(_F.c.username == name)).rowcount
        store._audit(conn, "user.unlock", "user", name, had_failures=bool(removed))
    return bool(removed)


def _has_real_clients(store: Store) -> bool:
    with store._read() as conn:
        return (
            conn.execute(select(T.clients.c.id).where(T.clients.c.is_demo.is_(False)).limit(1)).first()
            is not None
        )


# -- sign-in records: the browser's cookie ------------------------------------------------------------------

_R = T.sign_in_records
#: A sign-in lasts at most this long, however active (the idle limit is observe.governance.access.SESSION_IDLE_S).
SIGN_IN_MAX_S = 24 * 3600.0
_TOUCH_S = 60.0  # the last-seen time is written at most once a minute per sign-in


class SignIn(NamedTuple):
    """A live sign-in record: its id (video links are tied to it) and the signed-in user."""

    id: int
    username: str


def _digest(token: str) -> str:
    """Only the SHA-256 of a sign-in token is stored: a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_record(store: Store, username: str, *, now: float | None = None) -> tuple[str, SignIn]:
    """A new sign-in record for ``username`` (just authenticated); returns the random token for
    the browser's cookie (never stored) and the record."""
    at = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with _change(store) as conn:
        user_id = conn.execute(select(T.users.c.id).where(T.users.c.username == username)).scalar_one()
        record_id = conn.execute(
            _R.insert()
            .values(
                token_hash=_digest(token),
                user_id=user_id,
                created_s=at,
                seen_s=at,
                expires_s=at + SIGN_IN_MAX_S,
            )
            .returning(_R.c.id)
        ).scalar_one()
        # expired records of anyone are swept here, so the table does not grow without bound
        conn.execute(delete(_R).where(or_(_R.c.expires_s <= at, _R.c.seen_s <= at - SESSION_IDLE_S)))
    return token, SignIn(int(record_id), username)


def _live(now: float) -> Any:
    return (
        (_R.c.expires_s > now)
        & (_R.c.seen_s > now - SESSION_IDLE_S)
        & (T.users.c.id == _R.c.user_id)
        & T.users.c.active.is_(True)
    )


def resume(
    store: Store, *, token: str | None = None, record_id: int | None = None, now: float | None = None
) -> SignIn | None:
    """The live sign-in behind a cookie ``token`` (or a known ``record_id``), marking it active;
    None if it is unknown, revoked, idle too long, past its absolute limit or its user is disabled."""
    at = time.time() if now is None else now
    if not token and record_id is None:
        return None
    query = select(_R.c.id, _R.c.seen_s, T.users.c.username).where(_live(at))
    query = query.where(_R.c.token_hash == _digest(token)) if token else query.where(_R.c.id == record_id)
    with store._read() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    if row.seen_s < at - _TOUCH_S:
        with _change(store) as conn:
            conn.execute(_R.update().where(_R.c.id == row.id).values(seen_s=at))
    return SignIn(int(row.id), str(row.username))


def is_live(store: Store, record_id: int, *, now: float | None = None) -> bool:
    """True while the sign-in ``record_id`` is live (the video route asks this for every request)."""
    at = time.time() if now is None else now
    with store._read() as conn:
        return conn.execute(select(_R.c.id).where(_R.c.id == record_id, _live(at))).first() is not None


def revoke(store: Store, record_id: int) -> None:
    """Sign out: the record is deleted, so its cookie and every video link tied to it stop at once."""
    with _change(store) as conn:
        conn.execute(delete(_R).where(_R.c.id == record_id))


#: A ticket for the cookie route works once and for this long.
TICKET_TTL_S = 120.0


def issue_ticket(store: Store, record_id: int, *, now: float | None = None) -> str:
    """A one-time ticket that the cookie route swaps for the cookie of sign-in ``record_id``.

    Only its SHA-256 is stored, with the record: any replica's cookie route can redeem it."""
    at = time.time() if now is None else now
    ticket = secrets.token_urlsafe(24)
    with _change(store) as conn:
        conn.execute(
            _R.update()
            .where(_R.c.id == record_id)
            .values(ticket_hash=_digest(ticket), ticket_expires_s=at + TICKET_TTL_S)
        )
    return ticket


def ticket_pending(store: Store, ticket: str, *, now: float | None = None) -> bool:
    """True until the browser has fetched the cookie for ``ticket`` (or the ticket expired)."""
    at = time.time() if now is None else now
    with store._read() as conn:
        found = conn.execute(
            select(_R.c.id).where(_R.c.ticket_hash == _digest(ticket), _R.c.ticket_expires_s > at)
        ).first()
    return found is not None


def redeem_ticket(store: Store, ticket: str, *, now: float | None = None) -> str | None:
    """The cookie token for ``ticket``, once; None for an unknown, used or expired ticket.

    The token is made here, and the record's token hash replaced, in the one statement that
    also spends the ticket: two redemptions at once (two replicas) cannot both succeed, and
    the database never holds a token that would sign anyone in."""
    at = time.time() if now is None else now
    if not ticket:
        return None
    token = secrets.token_urlsafe(32)
    with _change(store) as conn:
        spent = conn.execute(
            _R.update()
            .where(
                _R.c.ticket_hash == _digest(ticket),
                _R.c.ticket_expires_s > at,
                _R.c.expires_s > at,
                _R.c.seen_s > at - SESSION_IDLE_S,
            )
            .values(token_hash=_digest(token), ticket_hash=None, ticket_expires_s=None)
            .returning(_R.c.id)
        ).first()
    return token if spent is not None else None


def end_sign_ins(conn: Connection, user_id: int) -> None:
    """End every sign-in of a user in the caller's transaction (a new password ends the old ones)."""
    conn.execute(delete(_R).where(_R.c.user_id == user_id))
