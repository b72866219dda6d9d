"""HTTP routes of our own beside Streamlit's (mounted by ``app.py`` through ``st.App``).

Custom routes live under ``/api/`` (Streamlit reserves ``/media/`` and others).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
