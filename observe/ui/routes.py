"""HTTP routes of our own beside Streamlit's (mounted by ``app.py`` through ``st.App``).

Custom routes live under ``/api/`` (Streamlit reserves ``/media/`` and others).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from observe.ui.record_video import video

ROUTES: list[BaseRoute] = [
    # Session videos with HTTP range requests (206), so seeking a long video is instant.
    Route("/api/video/{token}", video, methods=["GET", "HEAD"]),
]
