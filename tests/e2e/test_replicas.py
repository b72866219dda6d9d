"""Two app replicas on one PostgreSQL database with the media on S3 (issue 16): a team that outgrows
one server. Events coded through one replica are read through the other, nothing lost, and the
video route of each answers range requests from the shared bucket.

A shared PostgreSQL database needs team mode. A sign-in made on one replica is valid on the other
(the sign-in record, the cookie's one-time ticket and the video links' signing key are all in the
database), and a sign-out on either ends it on both. Both replicas listen on 127.0.0.1, so one
browser context's cookie reaches both, as it does behind one proxy name. The S3 stand-in is
moto's server mode on 127.0.0.1 (tests/s3.py).
"""

from __future__ import annotations

import datetime as dt
import io
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _browser import App, serve
from playwright.sync_api import expect
from test_record import OBSERVER, PROBE, _play, _wait_saved

from observe.store import Store
from observe.video import library as media
from tests.conftest import fresh_postgres_database
from tests.s3 import S3_ENV, make_bucket, moto_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ADMIN, PASSWORD = "chief", "replica-test-password-1"


@pytest.fixture(scope="module")
def replicas(
    test_video: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, App, App]]:
    """Two team-mode replicas on a fresh PostgreSQL database with the media in a fresh bucket:
    (db, media, first, second). The module's tests share them (each replica takes seconds to start)."""
    logs = tmp_path_factory.mktemp("replicas")
    with pytest.MonkeyPatch.context() as env, moto_server() as endpoint, fresh_postgres_database() as db:
        for key, value in S3_ENV.items():
            env.setenv(key, value)
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        location = f"s3://{make_bucket(endpoint)}/media"
        store = Store.open(db)
        store.set_setting("demo_offered", True)
        store.add_user(ADMIN, role="administrator")
        store.set_password(ADMIN, PASSWORD)
        store.add_counselor("C90")
        store.close()
        with (
            serve(db, location, logs / "a.log", mode="team") as first,  # type: ignore[arg-type]
            serve(db, location, logs / "b.log", mode="team") as second,  # type: ignore[arg-type]
        ):
            yield db, location, first, second


@pytest.fixture
def session(replicas: tuple[str, str, App, App], test_video: Path) -> str:
    """A new client's session whose video is in the bucket, with an observation open."""
    db, location, _, _ = replicas
    store = Store.open(db)
    client = f"K{90 + len(store.clients())}"
    store.add_client(client)
    session = store.add_session(client, "C90", date=dt.date(2026, 1, 1)).code
    token, _ = media.store_upload(
        io.BytesIO(test_video.read_bytes()), "session.mp4", max_bytes=1 << 30, folder=location
    )
    store.update_session(session, video_ref=token, duration_s=60.0)
    store.open_observation(session, OBSERVER)
    store.close()
    return session


def _open_coder(page, app: App, session: str) -> None:  # type: ignore[no-untyped-def]
    """Open the Record page on ``app``, sign in there, and wait until the coder's video is loaded."""
    page.add_init_script(PROBE)
    page.goto(f"{app.url}/Record?lang=en&session={session}&observer={OBSERVER}")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".coder[data-ready='1']")
    page.wait_for_function("() => window.__observeCoder !== undefined")
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.locator("h1").first.click()  # focus on the page, not on a widget


def _range(app: App, src: str, first: int, last: int) -> tuple[int, str, bytes]:
    request = urllib.request.Request(f"{app.url}{src}", headers={"Range": f"bytes={first}-{last}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local replica
            return response.status, response.headers["Content-Range"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def _video_src(page, app: App) -> str:  # type: ignore[no-untyped-def]
    src = str(page.locator("video").evaluate("v => v.currentSrc || v.src"))
    return src.split(app.url, 1)[-1] if src.startswith("http") else src


def _coder(page, app: App, session: str) -> None:  # type: ignore[no-untyped-def]
    """Open the Record page on ``app`` already signed in (the cookie); wait for the video."""
    page.add_init_script(PROBE)
    page.goto(f"{app.url}/Record?lang=en&session={session}&observer={OBSERVER}")
    page.wait_for_selector(".coder[data-ready='1']")
    page.wait_for_function("() => window.__observeCoder !== undefined")
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.locator("h1").first.click()


def _sign_in(page, app: App, session: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in on ``app``'s Record page and wait until the cookie route has set the cookie."""
    _open_coder(page, app, session)
    cookie_frame = page.frame_locator("iframe[src*='/api/signin/cookie']")
    expect(cookie_frame.get_by_text("signed in")).to_be_visible()


def _seek(page, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Seek the video and wait until the frame there is decoded (the browser asks a range)."""
    page.locator("video").evaluate(
        "(v, t) => new Promise(r => { v.addEventListener('seeked', () => r(), {once: true}); v.currentTime = t; })",
        seconds,
    )
    expect(page.locator("video")).to_have_js_property("readyState", 4)


def _events(db: str, session: str) -> list:  # type: ignore[type-arg]
    store = Store.open(db)
    try:
        (obs,) = store.observations(session=session, observer=OBSERVER)
        return store.events(obs.id)
    finally:
        store.close()


def test_code_on_one_replica_read_on_the_other(  # type: ignore[no-untyped-def]
    replicas: tuple[str, str, App, App], session: str, browser, test_video: Path
) -> None:
    db, _, first, second = replicas
    data = test_video.read_bytes()
    pages = []
    for _ in (first, second):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        pages.append(page)
    # replica A: the coder plays the video from the bucket and stores every key
    _open_coder(pages[0], first, session)
    _play(pages[0])
    keys = ["6", "Shift+7", "8", "Shift+9", "0"]
    for key in keys:
        pages[0].keyboard.press(key)
        pages[0].wait_for_timeout(150)
    pages[0].locator("video").evaluate("v => v.pause()")
    _wait_saved(pages[0])

    # replica B: the same session shows every event coded on A
    _open_coder(pages[1], second, session)
    pages[1].locator(f".coder[data-drawn='{len(keys)}']").wait_for()
    expect(pages[1].get_by_text(f"{len(keys)} events coded")).to_be_visible()
    # and coding goes on through B without losing A's events
    pages[1].keyboard.press("7")
    _wait_saved(pages[1])
    events = _events(db, session)
    assert len(events) == len(keys) + 1
    assert {"P_NOD", "P_LAUGH", "P_SHAKE", "P_SIGH", "P_SELFTOUCH"} <= {e.cue for e in events}

    # each replica's own signed link answers range requests (206) from the shared bucket
    for app, page in zip((first, second), pages, strict=True):
        src = page.locator("video").evaluate("v => v.currentSrc || v.src")
        path = src.split(app.url, 1)[-1] if src.startswith("http") else src
        status, content_range, body = _range(app, path, 1000, 1999)
        assert status == 206 and body == data[1000:2000]
        assert content_range == f"bytes 1000-1999/{len(data)}"
    for page in pages:
        page.context.close()


def test_a_sign_in_on_one_replica_codes_on_the_other_and_a_sign_out_ends_it_on_both(  # type: ignore[no-untyped-def]
    replicas: tuple[str, str, App, App], session: str, browser, test_video: Path
) -> None:
    db, _, first, second = replicas
    data = test_video.read_bytes()
    coded = 0
    for sign_at, code_at in ((first, second), (second, first)):  # and vice versa
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        here, there = context.new_page(), context.new_page()
        for page in (here, there):
            page.set_default_timeout(30_000)
        _sign_in(here, sign_at, session)
        # the other replica knows the sign-in: no form, straight to the coder
        _coder(there, code_at, session)
        expect(there.get_by_role("textbox", name="Password")).to_have_count(0)
        for key in ("6", "Shift+7", "8"):
            there.keyboard.press(key)
        _wait_saved(there)
        here.keyboard.press("0")  # the replica it signed in on goes on coding too
        _wait_saved(here)
        coded += 4
        assert len(_events(db, session)) == coded  # nothing lost, nothing twice
        there.reload()
        expect(there.locator(f".coder[data-drawn='{coded}']")).to_have_count(1)

        # video seeks work through both replicas, and each accepts the other's signed link
        links = {sign_at: _video_src(here, sign_at), code_at: _video_src(there, code_at)}
        for page in (here, there):
            _seek(page, 45.0)
        for app in (first, second):
            for link in links.values():
                status, content_range, body = _range(app, link, 1000, 1999)
                assert status == 206 and body == data[1000:2000], (app.url, link)
                assert content_range == f"bytes 1000-1999/{len(data)}"

        # sign out where it was signed in: the other replica's page and every link die
        here.get_by_role("button", name="Sign out").click()
        expect(here.get_by_role("textbox", name="Password")).to_be_visible()
        for app in (first, second):
            for link in links.values():
                assert _range(app, link, 0, 99)[0] == 403
        there.reload()
        expect(there.get_by_role("textbox", name="Password")).to_be_visible()
        context.close()
