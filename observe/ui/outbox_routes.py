"""``POST /api/outbox/<observation_id>``: the coder's keypresses acknowledged without a rerun (issue 16).

The Streamlit path (a component trigger, a rerun, the acknowledgement in the next rerun's
data) took about a second per key. The coder now posts its outbox here (``fetch`` with
``keepalive``) and gets the answer at once: the acknowledgements, the refusals with their
reasons, and the timeline rows the writes made (numbered in the observation's change feed,
:mod:`observe.ui.coder_feed`, so the page's next rerun and this answer never undo each other).
It writes through the same door as the trigger: :func:`observe.coding.recording.apply_outbox` on
the store acting as the signed-in user (guarded, audited, idempotent by client id + sequence).

A request carries the token the Record page handed to the coder (:func:`outbox_token`):
signed with the server's key (:func:`observe.video.library.sign`), expiring, naming the observation,
its observer, the acting user and the sign-in record (team mode). It is refused (403) once
the sign-in has ended, for another observation, or when the observation's observer is not
the one it was issued for; the store still checks that the acting user may code it. A
refused request changes nothing; the coder then falls back to the Streamlit trigger, and the
page's next rerun issues a fresh token.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from observe.coding import recording
from observe.errors import InvalidInput, NotFound, ObserveError, PermissionDenied
from observe.i18n import LANGUAGES
from observe.store import Store
from observe.ui import coder_feed
from observe.ui.signin_routes import base_store, sign_in_live, workspace_key
from observe.video import library as media

log = logging.getLogger(__name__)

TOKEN_TTL_S = 8 * 3600  # as the video links: a coding sitting; a rerun hands out a new one before
MAX_ITEMS = 2000  # one request's outbox (a long offline stretch is sent in several)
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: write ``observation_id``'s outbox as ``actor``, coding for ``observer``."""

    observation_id: int
    observer: str
    actor: str
    sign_in: int | None
    expires: int


def outbox_token(
    observation_id: int,
    observer: str,
    actor: str,
    *,
    key: bytes,
    sign_in: int | None = None,
    ttl_s: float = TOKEN_TTL_S,
    now: float | None = None,
) -> str:
    """The token the page hands to the coder of ``observation_id`` (``payload.signature``),
    signed with the workspace's key (:func:`observe.store.secret.signing_key`), so every app
    server of one database accepts it.

    >>> token = outbox_token(7, "ani", "ani", key=b"k" * 32, sign_in=3, now=0.0)
    >>> grant = check_token(token, 7, key=b"k" * 32, now=1.0)
    >>> grant.observer, grant.actor, grant.sign_in
    ('ani', 'ani', 3)
    """
    expires = int((time.time() if now is None else now) + ttl_s)
    fields = [int(observation_id), observer, actor, sign_in, expires]
    payload = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode()
    return f"{payload}.{media.sign(key, 'outbox|' + payload)}"


def check_token(token: str, observation_id: int, *, key: bytes, now: float | None = None) -> Grant:
    """The grant of a token this server signed for ``observation_id``; :class:`PermissionDenied`
    if it is forged, for another observation or expired."""
    payload, _, signature = (token or "").partition(".")
    if not payload or not hmac.compare_digest(signature, media.sign(key, "outbox|" + payload)):
        raise PermissionDenied("record.outbox.token_invalid")
    try:
        obs, observer, actor, sign_in, expires = json.loads(base64.urlsafe_b64decode(payload))
        grant = Grant(
            int(obs), str(observer), str(actor), None if sign_in is None else int(sign_in), int(expires)
        )
    except (ValueError, TypeError):
        raise PermissionDenied("record.outbox.token_invalid") from None
    if grant.observation_id != observation_id:
        raise PermissionDenied("record.outbox.token_invalid")
    if grant.expires < (time.time() if now is None else now):
        raise PermissionDenied("record.outbox.token_expired")
    return grant


def _acting_store(grant: Grant) -> Store:
    """The store acting as the token's user, after checking that the observation is still the
    observer's it was issued for (read with that user's rights)."""
    store = base_store().as_user(grant.actor)
    if store.observer_of(grant.observation_id) != grant.observer:
        raise PermissionDenied("record.outbox.token_invalid")
    return store


def _write(
    grant: Grant, items: list[Any], lang: str, have: tuple[str, int] | None
) -> tuple[dict[str, Any], Store]:
    """Write the outbox (in a worker thread): the answer the coder applies, and the acting store
    (the position reached is noted through it after the answer)."""
    store = _acting_store(grant)
    obs = grant.observation_id
    feed = coder_feed.feed(obs)
    if feed.scheme is None:
        feed.scheme = store.observation_scheme(obs)
    with feed.writing:
        before = feed.head()
        outcome = recording.apply_outbox(store, obs, items)
        if not outcome.stale:
            feed.publish(outcome.changes)
    if outcome.stale:  # stored before by another process: this feed misses something
        feed = coder_feed.restart(obs)
        entries: list[coder_feed.Entry] | None = []
    else:
        # from the revision the coder holds; if the feed no longer has it, from before this write
        # (the coder sees the gap and catches up on the page's next rerun)
        entries = feed.since(*have) if have is not None else None
        if entries is None:
            entries = feed.since(*before) or []
    return {
        "acks": dict(outcome.acks),
        "failed": recording.failed_marks({}, outcome, lang),
        "errors": [e.message(lang) for e in outcome.errors if not isinstance(e, InvalidInput)],
        "feed": feed.epoch,
        "delta": [e.wire() for e in entries or ()],
    }, store


def _note_reached(store: Store, observation_id: int, reached: float) -> None:
    try:
        store.note_reached(observation_id, reached)
    except ObserveError:
        log.warning("position reached not kept for observation %s", observation_id, exc_info=True)


def _refuse(status: int, exc: ObserveError | None = None, text: str = "") -> Response:
    message = exc.message("en") if exc is not None else text
    return JSONResponse({"error": message}, status_code=status, headers=_NO_STORE)


async def outbox(request: Request) -> Response:
    """Write the coder's outbox for one observation and answer with the acknowledgements."""
    try:
        observation_id = int(request.path_params.get("observation_id", ""))
        body = json.loads(await request.body())
        items = body.get("items") or []
        reached = body.get("reached")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValueError("items")
        reached = None if reached is None else float(reached)
        have = body.get("have")
        have = (str(have[0]), int(have[1])) if isinstance(have, list) and len(have) == 2 else None
    except (ValueError, TypeError, AttributeError):
        return _refuse(400, text="A JSON body with a list of items is expected.")
    lang = body.get("lang") if body.get("lang") in LANGUAGES else "en"
    try:
        grant = check_token(str(body.get("token") or ""), observation_id, key=await workspace_key())
        if grant.sign_in is not None and not await sign_in_live(grant.sign_in):
            raise PermissionDenied("media.link_invalid")  # signed out: every link dies with it
        answer, store = await run_in_threadpool(_write, grant, items, lang, have)
    except (PermissionDenied, NotFound) as exc:
        return _refuse(403, exc)
    except ObserveError as exc:  # the database did not answer: nothing acknowledged, sent again
        log.warning("outbox of observation %s not written", observation_id, exc_info=True)
        return _refuse(503, exc)
    # the position goes after the answer: the acknowledgement must not wait for it
    task = (
        BackgroundTask(run_in_threadpool, _note_reached, store, observation_id, reached) if reached else None
    )
    return JSONResponse(answer, headers=_NO_STORE, background=task)
