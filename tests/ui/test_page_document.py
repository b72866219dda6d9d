"""A page's address answered with Streamlit's page and the app's root named in it
(observe.ui.page_document), so that the page, opened in a new tab, connects on the first try."""

from __future__ import annotations

from pathlib import Path

from streamlit import config, file_util
from streamlit.source_util import page_icon_and_name

from observe.ui import page_document
from observe.ui.page import NAVIGATION
from tests.conftest import asgi_call

STREAMLIT_INDEX = (Path(file_util.get_static_dir()) / "index.html").read_text(encoding="utf-8")


def _url_names() -> list[str]:
    return [page_icon_and_name(Path(path))[1] for path, _key, _icon in NAVIGATION[1:]]


def test_every_page_but_home_is_answered_with_streamlits_page_and_the_apps_root() -> None:
    assert len(_url_names()) == len(NAVIGATION) - 1 == 11
    for name in _url_names():
        status, headers, body = asgi_call(f"/{name}?lang=id")
        html = body.decode()
        assert status == 200, name
        assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-cache"
        # Streamlit's own page, with one script in front of everything else it runs
        assert html.replace(page_document.BASE_SCRIPT, "", 1) == STREAMLIT_INDEX
        assert html.index(page_document.BASE_SCRIPT) == html.index("<script")


def test_head_answers_too_and_other_addresses_are_left_to_streamlit() -> None:
    status, headers, _body = asgi_call("/Agreement", method="HEAD")  # the server sends no body
    assert status == 200 and headers["content-type"].startswith("text/html")
    for path in ("/", "/Agreement/", "/Agreement/_stcore/health", "/agreement", "/Nothing", "/1_Record"):
        assert asgi_call(path)[0] in (307, 404), path  # not ours: Streamlit answers these as before


def test_the_routes_follow_the_apps_base_path() -> None:
    config.set_option("server.baseUrlPath", "/observe/")
    try:
        paths = [route.path for route in page_document.page_routes()]  # type: ignore[attr-defined]
    finally:
        config.set_option("server.baseUrlPath", "")
    assert paths == [f"/observe/{name}" for name in _url_names()]
    assert [route.path for route in page_document.page_routes()] == [f"/{n}" for n in _url_names()]  # type: ignore[attr-defined]


def test_a_streamlit_page_without_a_head_is_served_as_it_is() -> None:
    assert page_document.with_base("<html><body>x</body></html>") == "<html><body>x</body></html>"
    assert page_document.with_base("<html><head><title>t</title>").startswith(
        "<html><head>" + page_document.BASE_SCRIPT + "<title>"
    )
