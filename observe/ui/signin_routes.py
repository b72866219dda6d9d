"""The HTTP side of sign-in: the HttpOnly cookie, and whether a video link's sign-in is live.

Streamlit talks to the browser over a WebSocket and cannot set an HttpOnly cookie from Python.
So after the sign-in form has checked the password (observe.ui.signin), the page issues a
one-time *ticket* for its sign-in record (kept in the database as a SHA-256,
:func:`observe.store.signin_records.issue_ticket`) and loads ``/api/signin/cookie?ticket=…`` in
an invisible frame; this route swaps the ticket for the ``observe_signin`` cookie (HttpOnly,
SameSite=Strict, Secure over HTTPS) holding a fresh sign-in token. A ticket works once and for
:data:`~observe.store.signin_records.TICKET_TTL_S` only, on whichever app server the request
reaches; the token itself is stored only as its SHA-256.
"""

from __future__ import annotations

import functools

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from observe.store import Store, resolve_url
from observe.store import signin_records as records
from observe.store.secret import signing_key

COOKIE = "observe_signin"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def set_cookie(request: Request) -> Response:
    """``GET /api/signin/cookie?ticket=…``: the sign-in cookie for a ticket, once."""
    ticket = str(request.query_params.get("ticket", ""))
    token = await run_in_threadpool(lambda: records.redeem_ticket(base_store(), ticket))
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


async def workspace_key() -> bytes:
    """The workspace's signing key (observe.store.secret: video links, outbox tokens), read off the event loop."""
    return await run_in_threadpool(lambda: signing_key(base_store()))


async def sign_in_live(record_id: int) -> bool:
    """True while the sign-in record a video link is tied to is live (off the event loop)."""
    return bool(await run_in_threadpool(_live, record_id))
