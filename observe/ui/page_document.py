"""A page's address answered with Streamlit's page and the app's root written in it.

Opened in a new tab at ``/Agreement``, Streamlit's front end cannot tell whether that is the
app's root or a page of an app at ``/``: it asks ``/Agreement/_stcore/health`` first and, after
that 404 and a 100 ms back-off, ``/_stcore/health`` — about 0.1 s of every page but Home opened
from a bookmark or a link (issue 16). The front end takes the server's address from
``window.__streamlit.BACKEND_BASE_URL`` when its host page sets one, so each page's address
(Streamlit's own URL name of the page file) is answered here with Streamlit's ``index.html`` and
that one setting in front of its scripts: the page's address without the page's name, as the
browser resolves ``.`` against it, which stays right behind a proxy that adds a path prefix.
Every other address, and Home (``/``: nothing to guess), is Streamlit's as before.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from streamlit import config, file_util
from streamlit.source_util import page_icon_and_name
from streamlit.url_util import make_url_path

from observe.ui.page import NAVIGATION

BASE_SCRIPT = (
    "<script>window.__streamlit = {...window.__streamlit,"
    " BACKEND_BASE_URL: new URL('.', location.href).href};</script>"
)


def url_name(path: str) -> str:
    """Streamlit's URL name of a page file: ``pages/9_Import_export.py`` → ``Import_export``."""
    return page_icon_and_name(Path(path))[1]


def with_base(index: str) -> str:
    """Streamlit's page with :data:`BASE_SCRIPT` first in its head (as it is, if it has none)."""
    return index.replace("<head>", "<head>" + BASE_SCRIPT, 1)


@cache
def _document() -> str:
    return with_base((Path(file_util.get_static_dir()) / "index.html").read_text(encoding="utf-8"))


async def _page(request: Request) -> Response:
    return HTMLResponse(_document(), headers={"Cache-Control": "no-cache"})  # as Streamlit sends it


def page_routes() -> list[Route]:
    """One route for each page's address but Home's, under the app's ``server.baseUrlPath``."""
    base = str(config.get_option("server.baseUrlPath") or "")  # joined as Streamlit mounts its own
    return [
        Route(make_url_path(base, url_name(path)), _page, methods=["GET", "HEAD"])
        for path, _key, _icon in NAVIGATION[1:]
    ]
