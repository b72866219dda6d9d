"""In a real browser: every page opened by its address in a new tab (a bookmark, a link in an
e-mail) reaches the server on the first try (issue 16).

Streamlit's front end cannot tell whether ``/Agreement`` is the app's root or a page of an app at
``/``: unless the page names the app's root, it asks ``/Agreement/_stcore/health`` first, waits
for that 404 and 100 ms more, then asks ``/_stcore/health``.
"""

from __future__ import annotations

import pytest
from _browser import App, wait_idle
from playwright.sync_api import expect

from observe.i18n import t
from observe.ui.page import NAVIGATION
from observe.ui.page_document import url_name

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("path", "title_key"), [(p, k) for p, k, _icon in NAVIGATION[1:]], ids=lambda v: str(v)
)
def test_a_page_opened_by_its_address_asks_the_server_once(app: App, page, path: str, title_key: str) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/_stcore/" in request.url else None)
    page.goto(f"{app.url}/{url_name(path)}?lang=id")
    wait_idle(page)
    expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(t(title_key, "id"))
    assert f"{app.url}/_stcore/health" in asked, asked  # the app's root, first try
    assert not [url for url in asked if url.startswith(f"{app.url}/{url_name(path)}/")], asked
    assert page.evaluate("window.__streamlit.BACKEND_BASE_URL") == f"{app.url}/"
