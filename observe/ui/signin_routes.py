"""The HTTP side of sign-in: the HttpOnly cookie, and whether a video link's sign-in is live.

Streamlit talks to the browser over a WebSocket and cannot set an HttpOnly cookie from Python.
So after the sign-in form has checked the password (observe.ui.signin), the page keeps a
one-time *ticket* here, in this server process's memory, and loads
``/api/signin/cookie?ticket=…`` in an invisible frame; this route swaps the ticket for the
``observe_signin`` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) holding the sign-in
token. A ticket works once and for :data:`TICKET_TTL_S` only; the token itself is stored in
the database only as its SHA-256 (observe.store.signin_records).
"""

from __future__ import annotations

import functools
import secrets
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from observe.store import Store, resolve_url
from observe.store import signin_records as records

COOKIE = "observe_signin"
TICKET_TTL_S = 120.0
_TICKETS: dict[str, tuple[str, float]] = {}
_LOCK = threading.Lock()


def issue_ticket(token: str, *, now: float | None = None) -> str:
    """A one-time ticket for the cookie route that will set ``token`` as the browser's cookie."""
    at = time.time() if now is None else now
    ticket = secrets.token_urlsafe(24)
    with _LOCK:
        for old in [k for k, (_t, made) in _TICKETS.items() if made < at - TICKET_TTL_S]:
            del _TICKETS[old]
        _TICKETS[ticket] = (token, at)
    return ticket


def ticket_pending(ticket: str) -> bool:
    """True until the browser has fetched the cookie for ``ticket`` (or the ticket expired)."""
    with _LOCK:
        found = _TICKETS.get(ticket)
    return found is not None and found[1] >= time.time() - TICKET_TTL_S


def _redeem(ticket: str) -> str | None:
    with _LOCK:
        found = _TICKETS.pop(ticket, None)
    if found is None or found[1] < time.time() - TICKET_TTL_S:
        return None
    return found[0]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def set_cookie(request: Request) -> Response:
    """``GET /api/signin/cookie?ticket=…``: the sign-in cookie for a ticket, once."""
    token = _redeem(str(request.query_params.get("ticket", "")))
    if token is None:
        return _no_store(PlainTextResponse("This sign-in link was used or has expired.", status_code=403))
    response = _no_store(PlainTextResponse("signed in"))
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(records.SIGN_IN_MAX_S),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def clear_cookie(request: Request) -> Response:
    """``GET /api/signin/clear``: forget the cookie of a sign-in that has ended."""
    response = _no_store(PlainTextResponse("signed out"))
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
    return response


@functools.cache
def _store(url: str) -> Store:
    return Store.open(url)


def base_store() -> Store:
    """The configured database's store for our HTTP routes (one per process and URL); a route
    acts through ``as_user`` on it, never as this base store's own user."""
    return _store(resolve_url())


def _live(record_id: int) -> bool:
    return records.is_live(base_store(), record_id)


async def sign_in_live(record_id: int) -> bool:
    """True while the sign-in record a video link is tied to is live (off the event loop)."""
    return bool(await run_in_threadpool(_live, record_id))
