"""Load (issue 16, item 6): 8 real-browser coders on one server on PostgreSQL at 2 keys a second.

One ``streamlit run`` (team mode) on a fresh PostgreSQL database; Debian's Chromium (Playwright),
one browser with one context per coder, each signed in as its own observer (a sign-in record
made in the store, its token set as the cookie) and coding its own session with the video
playing. Keys are pressed with Playwright's keyboard (real key events), round robin on an
absolute schedule, so each coder presses ``RATE`` keys a second for ``--seconds`` (default 120).

The acknowledgement is read from the DOM, whatever carries it (the Streamlit rerun or a direct
HTTP route): a script in each page notes each keydown's ``timeStamp`` and, through a
MutationObserver on the coder, the moment each mark (``data-seq``) first shows
``data-status="saved"``, or the outbox count ``data-pending`` says it left the outbox (the list
shows the last six keys only; acknowledgements come in sequence order); keydown → saved is the
acknowledgement. Rows:

- every key stored exactly once: the keys pressed against the database's events per
  observation and the idempotency keys ``(client_key, client_seq)`` of the ``actions`` table
  (each seen once, sequence 1..n without a gap); target: ratio = stored / pressed = 1;
- acknowledgement median with 8 coders over the median with 1 coder (the same run, the
  same schedule, 1 coder first); target ≤ 2. The p95 of both is reported too.

Run: ``python -m bench load`` (``--quick``: 20 s); ``python -m bench.bench_load --seconds 20``;
``--paused`` keeps every video paused: on one machine the eight browsers' videos take the cores the
server needs, and without them the rows show the server's own part.
Don't run the 2-minute version on a loaded machine: the row carries the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from observe.store import Store
from observe.store import signin_records as records
from observe.store import tables as T
from observe.video.library import ffmpeg_exe

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT / "tests" / "e2e"))
from _browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

CODERS = 8
RATE = 2.0  # keys a second per coder
SECONDS = 120.0
#: point cues only: one key, one event (a state cue would also end the previous state)
KEYS = ["6", "7", "8", "9", "0", "Shift+6", "Shift+7", "Shift+8", "Shift+9", "Shift+0"]

# keydown times (before the coder handles the key) and the first time each mark shows "saved"
WATCH = """() => {
  window.__load = {keys: [], saved: {}};
  const modifiers = ['Shift', 'Control', 'Alt', 'Meta'];  // Shift+6 is two keydowns, one key
  window.addEventListener('keydown', (e) => { if (!modifiers.includes(e.key)) window.__load.keys.push(e.timeStamp); }, true);
}"""
OBSERVE = """() => {
  const root = window.__observeCoder.root;
  const L = window.__load;
  const saved = (seq, now) => { if (!(seq in L.saved)) L.saved[seq] = now; };
  const look = () => {
    const now = performance.now();
    // a listed mark that shows "saved" (the list holds the last few keys only) ...
    for (const li of root.querySelectorAll('li[data-seq][data-status="saved"]')) saved(li.dataset.seq, now);
    // ... and the outbox count: acknowledgements come in order, so every key but the last
    // `data-pending` ones is acknowledged (a key that left the list while pending still counts)
    const pending = Number(root.dataset.pending || 0);
    for (let seq = 1; seq <= L.keys.length - pending; seq++) saved(String(seq), now);
  };
  new MutationObserver(look).observe(root, {subtree: true, childList: true, attributes: true,
                                            attributeFilter: ['data-status', 'data-pending']});
}"""


def _video(folder: Path, seconds: float) -> str:
    path = folder / ("c" * 32 + ".mp4")
    subprocess.run(  # noqa: S603
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds:g}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return path.name


def _workspace(db: str, token: str, coders: int) -> dict[str, str]:
    """One session per coder, each with the video and an observation of its own observer."""
    store = Store.open(db)
    store.set_setting("demo_offered", True)
    store.add_client("L01")
    store.add_counselor("C01")
    sessions = {}
    for i in range(coders + 1):  # coder 0 is the single-coder baseline
        name = f"coder{i}"
        store.add_user(name, role="observer")
        session = store.add_session("L01", "C01", date=dt.date(2026, 1, 1) + dt.timedelta(days=i)).code
        store.update_session(session, video_ref=token, duration_s=3600.0)
        store.open_observation(session, name)
        sessions[name] = session
    store.close()
    return sessions


def _open(browser: object, db: str, url: str, name: str, session: str, playing: bool) -> object:
    """A browser context signed in as ``name`` on its Record page, the video playing if ``playing``."""
    store = Store.open(db)
    token, _record = records.create_record(store, name)
    store.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.add_cookies([{"name": "observe_signin", "value": token, "url": url}])
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.add_init_script(f"({WATCH})()")
    page.goto(f"{url}/Record?lang=en&session={session}&observer={name}")
    page.wait_for_selector(".coder[data-ready='1']")
    page.wait_for_function("() => window.__observeCoder !== undefined")
    page.locator("video").evaluate(
        "v => new Promise(r => v.readyState >= 2 ? r() : v.addEventListener('loadeddata', () => r(), {once: true}))"
    )
    page.evaluate(OBSERVE)
    page.locator("h1").first.click()
    if playing:
        page.keyboard.press("Space")  # play: keys are stamped at advancing video times
    page.evaluate("window.__load.keys = []")  # count the cue keys only (sequence numbers 1..n)
    return page


def _press(pages: list, seconds: float) -> list[int]:  # type: ignore[type-arg]
    """Round robin on an absolute schedule: each page a key every 1/RATE s; returns keys per page."""
    pressed = [0] * len(pages)
    step = 1.0 / RATE / len(pages)
    start = time.perf_counter()
    n = 0
    while (due := start + n * step) < start + seconds:
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)  # the schedule, not a wait for the app
        i = n % len(pages)
        pages[i].keyboard.press(KEYS[pressed[i] % len(KEYS)])
        pressed[i] += 1
        n += 1
    return pressed


def _acks(page: object, pressed: int) -> list[float]:
    """keydown → saved (seconds) of every key, once all are saved; raises if a key never was."""
    page.locator(".coder[data-pending='0']").wait_for()  # type: ignore[attr-defined]
    page.wait_for_function(f"() => Object.keys(window.__load.saved).length >= {pressed}")  # type: ignore[attr-defined]
    found = page.evaluate("window.__load")  # type: ignore[attr-defined]
    keys, saved = found["keys"], found["saved"]
    if len(keys) != pressed:
        raise RuntimeError(f"{len(keys)} keydowns seen, {pressed} pressed")
    return [(saved[str(seq)] - keys[seq - 1]) / 1000 for seq in range(1, pressed + 1)]


def _stored(db: str, names: list[str]) -> dict[str, tuple[int, int, bool]]:
    """Per observer: events stored, distinct (client_key, client_seq), and whether those are 1..n once each."""
    store = Store.open(db)
    out = {}
    with store.engine.connect() as conn:
        for name in names:
            (obs,) = [o.id for o in store.observations() if o.observer == name]
            events = conn.execute(
                select(func.count()).select_from(T.events).where(T.events.c.observation_id == obs)
            ).scalar_one()
            rows = conn.execute(
                select(T.actions.c.client_key, T.actions.c.client_seq).where(
                    T.actions.c.observation_id == obs, T.actions.c.client_seq.is_not(None)
                )
            ).all()
            pairs = {(r.client_key, r.client_seq) for r in rows}
            seqs = sorted(r.client_seq for r in rows)
            out[name] = (
                int(events),
                len(pairs),
                len(pairs) == len(rows) and seqs == list(range(1, len(rows) + 1)),
            )
    store.close()
    return out


def _round(
    browser: object,
    db: str,
    url: str,
    sessions: dict[str, str],
    names: list[str],
    seconds: float,
    playing: bool,
) -> tuple[list[float], dict[str, int]]:
    pages = [_open(browser, db, url, name, sessions[name], playing) for name in names]
    pressed = _press(pages, seconds)
    latencies = [x for page, n in zip(pages, pressed, strict=True) for x in _acks(page, n)]
    for page in pages:
        page.context.close()  # type: ignore[attr-defined]
    return latencies, dict(zip(names, pressed, strict=True))


def run(
    quick: bool = False, seconds: float | None = None, coders: int = CODERS, playing: bool = True
) -> list[dict[str, object]]:
    """The single coder, then ``coders`` at once, for ``seconds`` each (20 with ``quick``); every
    coder's video plays unless not ``playing`` (then the browsers' own work, eight videos decoded
    and drawn on the server's two cores, is out of the way and the rows show the server's part)."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import fresh_postgres_database

    seconds = seconds or (20.0 if quick else SECONDS)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres_database() as db:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        token = _video(media, seconds + 60)
        sessions = _workspace(db, token, coders)
        with (
            serve(db, media, root / "observe.log", mode="team") as app,  # type: ignore[arg-type]
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            alone, _ = _round(browser, db, app.url, sessions, ["coder0"], seconds, playing)
            many_names = [f"coder{i}" for i in range(1, coders + 1)]
            started = time.perf_counter()
            many, pressed = _round(browser, db, app.url, sessions, many_names, seconds, playing)
            elapsed = time.perf_counter() - started
            browser.close()
        stored = _stored(db, many_names)
    total = sum(pressed.values())
    exact = (
        sum(min(events, pairs) for events, pairs, _ in stored.values())
        if all(ok and events == pairs == pressed[n] for n, (events, pairs, ok) in stored.items())
        else -1
    )
    context = {
        "coders": coders,
        "seconds": seconds,
        "videos": "playing" if playing else "paused",
        "keys_pressed": total,
        "keys_per_coder_per_s": round(total / coders / seconds, 2),
        "load_average_1min_before": round(load_before, 1),
        "load_average_1min_after": round(os.getloadavg()[0], 1),
    }
    med1, med8 = statistics.median(alone), statistics.median(many)
    return [
        {
            "name": f"load: keys stored exactly once ({coders} coders × {seconds:g} s at {RATE:g} keys/s, PostgreSQL; counts, not s)",
            "ours_s": float(max(exact, 0)),
            "floor_s": float(total),
            "ratio": (exact / total) if exact >= 0 else 0.0,
            "target": ">= 1 (stored once / pressed)",
            "stored": {
                n: {"events": e, "client_keys": p, "seq_1_to_n_once": ok} for n, (e, p, ok) in stored.items()
            },
            "wall_s": round(elapsed, 1),
            **context,
        },
        {
            "name": f"load: keypress → saved (DOM), median, {coders} coders / 1 coder, videos {context['videos']}",
            "ours_s": round(med8, 4),
            "floor_s": round(med1, 4),
            "ratio": round(med8 / med1, 3),
            "target": 2.0,
            "p95_many_s": round(float(np.percentile(many, 95)), 4),
            "p95_one_s": round(float(np.percentile(alone, 95)), 4),
            **context,
        },
    ]


if __name__ == "__main__":
    from bench._common import print_rows

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=None, help="each round's length (default 120)")
    parser.add_argument("--coders", type=int, default=CODERS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--paused", action="store_true", help="the videos stay paused (the server's part)")
    args = parser.parse_args()
    print_rows(run(quick=args.quick, seconds=args.seconds, coders=args.coders, playing=not args.paused))
