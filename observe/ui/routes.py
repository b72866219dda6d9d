"""HTTP routes of our own beside Streamlit's (mounted by ``app.py`` through ``st.App``).

Custom routes live under ``/api/`` (Streamlit reserves ``/media/`` and others).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from observe.ui.record_video import video
from observe.ui.signin_routes import clear_cookie, set_cookie

ROUTES: list[BaseRoute] = [
    # Session videos with HTTP range requests (206), so seeking a long video is instant.
    Route("/api/video/{token}", video, methods=["GET", "HEAD"]),
    # The HttpOnly sign-in cookie, which Streamlit cannot set itself (observe.ui.signin_routes).
    Route("/api/signin/cookie", set_cookie, methods=["GET"]),
    Route("/api/signin/clear", clear_cookie, methods=["GET"]),
]
