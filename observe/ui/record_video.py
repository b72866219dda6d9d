"""The video stream of the Record page: ``GET /api/video/<token>`` with HTTP range requests.

Streamlit's static file serving answers ranges but refuses files over 200 MB and has no
access control (issue 3); session recordings are longer and confidential. Here the token is
a random 128-bit file name inside the media folder (:mod:`observe.media`), so a URL names
nothing about the session and cannot reach outside the folder, and every link is signed and
expiring: a page gets one only through the store's permission check (``Store.video_token``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from observe import media
from observe.errors import NotFound, PermissionDenied
from observe.ui.signin_routes import sign_in_live


async def video(request: Request) -> Response:
    """Stream one session video; Starlette's ``FileResponse`` answers ``Range`` with 206."""
    token = str(request.path_params.get("token", ""))
    try:
        record = media.check_video_link(
            token,
            request.query_params.get("exp"),
            request.query_params.get("sig"),
            sign_in=request.query_params.get("sid"),
        )
        if record is not None and not await sign_in_live(record):  # signed out: every link dies with it
            raise PermissionDenied("media.link_invalid")
        path = media.video_path(token)
    except PermissionDenied as exc:
        return PlainTextResponse(exc.message("en"), status_code=403)
    except NotFound as exc:
        return PlainTextResponse(exc.message("en"), status_code=404)
    return FileResponse(
        path,
        media_type=media.mime_type(token),
        # confidential: no shared caches; the browser may keep it for this page's seeks
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
