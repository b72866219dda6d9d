"""HTTP routes of our own beside Streamlit's (mounted by ``app.py`` through ``st.App``).

Custom routes live under ``/api/`` (Streamlit reserves ``/media/`` and others).

``/api/video/<token>`` streams a session video with HTTP range requests (206), so seeking a long
video is instant. Streamlit's static file serving answers ranges but refuses files over 200 MB
and has no access control (issue 3); session recordings are longer and confidential. The token
is a random 128-bit file name inside the media store (:mod:`observe.video.library`), so a URL names
nothing about the session and cannot reach outside it. Links are signed with the workspace's key (the same on every app server of one
database, :mod:`observe.store.secret`), expiring and tied to
the sign-in that asked for them (:func:`observe.video.library.check_video_link`): once that sign-in has
ended (:func:`observe.ui.signin_routes.sign_in_live`) its links are refused. A video in a local folder is sent by Starlette's ``FileResponse``; on object storage
(``OBSERVE_MEDIA=s3://...``) only the requested byte range is read from the store
(:class:`observe.video.storage.MediaStore`), never the whole file.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from observe.errors import NotFound, PermissionDenied
from observe.ui.outbox_routes import outbox
from observe.ui.page_document import page_routes
from observe.ui.plot import ROUTE as CHART_LIBRARY
from observe.ui.signin_routes import clear_cookie, set_cookie, sign_in_live, workspace_key
from observe.video import library as media

#: confidential: no shared caches; the browser may keep it for this page's seeks
_HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``header`` asks for as ``(start, end)`` with ``end`` exclusive; None: the whole file.

    Raises ValueError when it cannot be satisfied (answered with 416). Several ranges in one
    header are answered with the first (browsers seeking a video ask for one).

    Examples
    --------
    >>> byte_range("bytes=100-199", 1000), byte_range("bytes=900-", 1000), byte_range("bytes=-10", 1000)
    ((100, 200), (900, 1000), (990, 1000))
    >>> byte_range(None, 1000) is None, byte_range("bytes=0-5000", 1000)
    (True, (0, 1000))
    """
    if not header:
        return None
    match = _RANGE.match(header.split(",", 1)[0])
    if match is None:
        return None  # not a byte range: ignored, as RFC 9110 allows
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start, end = max(size - int(last), 0), size
    else:
        start = int(first)
        end = min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        raise ValueError(f"range {header!r} outside {size} bytes")
    return start, end


async def video(request: Request) -> Response:
    """Stream one session video, answering ``Range`` with 206 (local folder or object storage)."""
    token = str(request.path_params.get("token", ""))
    try:
        record = media.check_video_link(
            token,
            request.query_params.get("exp"),
            request.query_params.get("sig"),
            key=await workspace_key(),
            sign_in=request.query_params.get("sid"),
        )
        if record is not None and not await sign_in_live(record):  # signed out: every link dies with it
            raise PermissionDenied("media.link_invalid")
        if not media.is_token(token):
            raise NotFound("record.video.missing", ref=token[:80])
        store = media.media_store()
        if not store.exists(token):
            raise NotFound("record.video.missing", ref=token)
    except PermissionDenied as exc:
        return PlainTextResponse(exc.message("en"), status_code=403)
    except NotFound as exc:
        return PlainTextResponse(exc.message("en"), status_code=404)
    local = store.local_path(token)
    if local is not None:
        return FileResponse(local, media_type=media.mime_type(token), headers=_HEADERS)
    size = store.size(token)
    headers = {**_HEADERS, "Accept-Ranges": "bytes"}
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except ValueError:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted is not None else (0, size)
    headers["Content-Length"] = str(end - start)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media.mime_type(token))
    return StreamingResponse(
        store.iter_range(token, start, end),
        status_code=status,
        headers=headers,
        media_type=media.mime_type(token),
    )


ROUTES: list[BaseRoute] = [
    Route("/api/video/{token}", video, methods=["GET", "HEAD"]),
    # The HttpOnly sign-in cookie, which Streamlit cannot set itself (observe.ui.signin_routes).
    Route("/api/signin/cookie", set_cookie, methods=["GET"]),
    Route("/api/signin/clear", clear_cookie, methods=["GET"]),
    # The coder's keypresses, acknowledged without waiting for a rerun (observe.ui.outbox_routes).
    Route("/api/outbox/{observation_id:int}", outbox, methods=["POST"]),
    # plotly.js's core and trace modules for the charts (observe.ui.plot).
    CHART_LIBRARY,
    # Each page's address: Streamlit's page, naming the app's root (observe.ui.page_document).
    *page_routes(),
]
