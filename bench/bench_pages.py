"""Page loads in the real browser (issue 16): every page's first complete draw with a warm server.

The app runs under ``streamlit run`` (local mode, headless, a free port) on two workspaces
made by :mod:`bench._workspace`: the demo, and ten times the demo (30 clients, 150
sessions, 160 observations, about 81,000 events). Debian's Chromium (Playwright) opens
every page once untimed (the server's caches and the browser's static files are warm, as
for a coder who has used the app today), then times each page ``repeat`` times two ways, pages
in turn so that load from other processes spreads over all of them:

- *new tab*: the page's URL opened in a new tab, which boots Streamlit's front end and, on a
  page with charts, evaluates plotly.js's core and the chart's trace modules (observe.ui.plot);
- *in-app*: the page's link clicked in the sidebar of the app already open in one tab, as a
  user moves from page to page (after one untimed round through all pages in that tab);
- *first in-app*: the app opened on Home in a new tab, read for :data:`READ_S`, then the page's
  link clicked: the first page reached in a tab, before any chart has loaded plotly.js in it.

*First complete draw* is defined once, in :data:`DRAWN_JS`, and timed inside the page from the
navigation's start or the click (``performance.now()``): Streamlit's script state is
``notRunning`` (its running indicator is gone), no skeleton is left, every chart shown
(observe.ui.plot) has drawn its SVG and every table shown its canvas, and the page's own content (:data:`PAGES`)
is there; in-app, the page's own title must head it too (:data:`NAVIGATED_JS`).

Rows (``ratio`` = ours / floor): for each page and way on the demo, the median over the budget of
1.5 s (target ≤ 1) and the p90 (information); on the ten-times workspace, the median over
the demo's median (target ≤ 2). Information only: :data:`FLOOR`, a Streamlit page with nothing but
a title opened in a new tab in the same rounds, which says how fast the machine was in this run,
and each page's new-tab median over the floor's, which moves less with the machine than seconds
do. A per-page table with both medians and p90s and the machine's load average goes
to stderr.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench._workspace import make_workspace

_E2E = Path(__file__).resolve().parents[1] / "tests" / "e2e"
sys.path.insert(0, str(_E2E))
from _browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

BUDGET_S = 1.5  # median first complete draw on the demo workspace
SCALE = 10
SCALE_TARGET = 2.0  # the ten-times workspace's median over the demo's
NEW_TAB, NAVIGATION = "new tab: ", "in-app: "  # a page opened by its URL; reached from the sidebar
FIRST = "first in-app: "  # reached from the sidebar of a tab just opened on Home
READ_S = 2.0  # how long a user reads the page they landed on before clicking on


@dataclass(frozen=True)
class PageSpec:
    """One page: its label, its URL name and what must be on it when it is drawn (CSS selector →
    at least how many; a selector is also looked up inside components' shadow roots)."""

    label: str
    path: str
    content: tuple[tuple[str, int], ...]
    title_key: str


PLOT = ".observe-plot"  # observe.ui.plot
TABLE = "[data-testid='stDataFrame']"
METRIC = "[data-testid='stMetric']"
#: every page of the sidebar, with what its default view shows on the demo workspace (a closed
#: expander or tab draws nothing: its content comes when opened)
PAGES: tuple[PageSpec, ...] = (
    PageSpec("Home", "", ((METRIC, 5),), "app.title"),
    PageSpec("Record", "Record", ((".coder[data-ready='1']", 1), ("video", 1), (TABLE, 2)), "nav.record"),
    PageSpec("Sessions", "Sessions", ((TABLE, 1),), "nav.sessions"),
    PageSpec("Coding scheme", "Coding_scheme", ((TABLE, 2),), "nav.scheme"),
    PageSpec("Session review", "Session_review", ((PLOT, 3), (METRIC, 4), (TABLE, 1)), "nav.session_review"),
    PageSpec("Client progress", "Client_progress", ((PLOT, 1), (METRIC, 4)), "nav.client_progress"),
    PageSpec("Counselor", "Counselor", ((PLOT, 1), (METRIC, 4)), "nav.counselor"),
    PageSpec("Cue patterns", "Cue_patterns", ((PLOT, 1), (TABLE, 1)), "nav.cue_patterns"),
    PageSpec("Agreement", "Agreement", ((PLOT, 3), (TABLE, 4)), "nav.agreement"),
    PageSpec("Import/export", "Import_export", (("[data-testid='stFileUploader']", 1),), "nav.import_export"),
    PageSpec("Synchrony", "Synchrony", ((PLOT, 1),), "nav.synchrony"),
    PageSpec("Administration", "Administration", ((TABLE, 1),), "nav.admin"),
)

#: The floor of any page: a Streamlit page with one title, served with the app's Streamlit
#: configuration and timed in a new tab in the same rounds (information: how fast this machine
#: is in this run; every page of ours draws Streamlit's front end and more)
FLOOR = PageSpec("floor (a title only)", "", (("[data-testid='stMain'] h1", 1),), "app.title")
FLOOR_APP = 'import streamlit as st\n\nst.title("observe")\n'
FLOOR_KEY = NEW_TAB + FLOOR.label

#: The one definition of "first complete draw": ``performance.now()`` once it holds, else false.
DRAWN_JS = """(content) => {
  const hosts = document.querySelectorAll(
    "[data-testid='stBidiComponentIsolated'], [data-testid='stBidiComponentIsolated'] *");
  const roots = [document, ...[...hosts].map(h => h.shadowRoot).filter(Boolean)];
  const all = sel => roots.flatMap(r => [...r.querySelectorAll(sel)]);
  const shown = sel => all(sel).filter(e => e.checkVisibility());
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (all("[data-testid='stSkeleton']").length) return false;
  if (!shown(".observe-plot").every(c => c.querySelector('.main-svg'))) return false;
  if (!shown("[data-testid='stDataFrame']").every(t => t.querySelector('canvas'))) return false;
  if (!content.every(([sel, n]) => all(sel).length >= n)) return false;
  return performance.now();
}"""


def first_draw_s(context: Any, url: str, spec: PageSpec, timeout_ms: int = 60_000) -> float:
    """Open ``spec``'s page in a new tab and return its first complete draw in seconds."""
    page = context.new_page()
    try:
        page.goto(f"{url}/{spec.path}?lang=en", wait_until="commit")
        drawn = page.wait_for_function(DRAWN_JS, arg=[list(c) for c in spec.content], polling="raf",
                                       timeout=timeout_ms)  # fmt: skip
        return float(drawn.json_value()) / 1000
    finally:
        page.close()


#: In-app navigation is drawn once the new page's title heads the page and :data:`DRAWN_JS` holds.
NAVIGATED_JS = f"""([title, content]) => {{
  const h1 = document.querySelector("[data-testid='stMain'] h1");
  if (!h1 || !h1.textContent.trim().startsWith(title)) return false;
  return ({DRAWN_JS})(content);
}}"""


def navigation_s(page: Any, spec: PageSpec, timeout_ms: int = 60_000) -> float:
    """Click ``spec``'s link in the sidebar of the open app (a page switch in the same tab, as a
    user moves between pages) and return the time from the click to its first complete draw."""
    from observe.i18n import t

    link = page.locator(
        f"[data-testid='stSidebar'] a[data-testid='stPageLink-NavLink'][href^='{spec.path}?']"
    )
    started = float(page.evaluate("() => performance.now()"))
    link.click()
    drawn = page.wait_for_function(NAVIGATED_JS, arg=[t(spec.title_key, "en"), [list(c) for c in spec.content]],
                                   polling="raf", timeout=timeout_ms)  # fmt: skip
    return (float(drawn.json_value()) - started) / 1000


def open_home(context: Any, url: str) -> Any:
    """A new tab on Home, once Home is drawn."""
    tab = context.new_page()
    tab.goto(f"{url}/?lang=en")
    tab.wait_for_function(DRAWN_JS, arg=[list(c) for c in PAGES[0].content], polling="raf")
    return tab


def first_visit_s(context: Any, url: str, spec: PageSpec) -> float:
    """Open Home in a new tab, read it for :data:`READ_S`, click ``spec``'s link and return the
    time from the click to the page's first complete draw."""
    tab = open_home(context, url)
    try:
        tab.wait_for_timeout(READ_S * 1000)  # the user reading, not a wait for the app
        return navigation_s(tab, spec)
    finally:
        tab.close()


def measure(db_path: Path, media: Path, log: Path, repeat: int) -> dict[str, list[float]]:
    """Every page's first-draw times (seconds) on one workspace, after one untimed round, and the
    :data:`FLOOR`'s under :data:`FLOOR_KEY`."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {
        mode + spec.label: [] for spec in PAGES for mode in (NEW_TAB, NAVIGATION)
    }
    times.update({FIRST + spec.label: [] for spec in PAGES[1:]})
    times[FLOOR_KEY] = []
    floor_app = log.with_name(f"{log.stem}_floor.py")
    floor_app.write_text(FLOOR_APP)
    with (
        serve(db_path, media, log) as app,
        serve(db_path, media, log.with_suffix(".floor.log"), script=str(floor_app)) as floor,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        for spec in PAGES:  # warm: the server's caches, the browser's static files
            first_draw_s(context, app.url, spec, timeout_ms=180_000)
        first_draw_s(context, floor.url, FLOOR, timeout_ms=180_000)
        for _ in range(repeat):
            for spec in PAGES:
                times[NEW_TAB + spec.label].append(first_draw_s(context, app.url, spec))
            times[FLOOR_KEY].append(first_draw_s(context, floor.url, FLOOR))
        for _ in range(repeat):
            for spec in PAGES[1:]:
                times[FIRST + spec.label].append(first_visit_s(context, app.url, spec))
        tab = open_home(context, app.url)
        for round_ in range(repeat + 1):  # the first round warms the tab's own copy of plotly.js
            for spec in (*PAGES[1:], PAGES[0]):
                took = navigation_s(tab, spec)
                if round_:
                    times[NAVIGATION + spec.label].append(took)
        browser.close()
    return times


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time every page on the demo and on ten times the demo."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError("bench_pages needs /usr/bin/chromium")
    repeat = 3 if quick else 7
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        make_workspace(root / "demo.db", 1, media)
        make_workspace(root / "large.db", SCALE, media)
        demo = measure(root / "demo.db", media, root / "demo.log", repeat)
        large = measure(root / "large.db", media, root / "large.log", repeat)
    load_after = os.getloadavg()
    floor = demo.pop(FLOOR_KEY), large.pop(FLOOR_KEY)
    print(summary(demo, large, floor, load_before, load_after), file=sys.stderr)
    # information: how fast the machine was in this run
    rows = [_row(f"pages: {FLOOR_KEY}, median / 1.5 s", _median(floor[0] + floor[1]), BUDGET_S, None)]
    for key in demo:
        d, big = demo[key], large[key]
        rows.append(_row(f"pages: {key}, demo, median first draw / 1.5 s", _median(d), BUDGET_S, 1.0))
        if key.startswith(NEW_TAB):  # information: the page over the floor, both in the same rounds
            rows.append(
                _row(f"pages: {key}, demo, median / floor's median", _median(d), _median(floor[0]), None)
            )
        rows.append(_row(f"pages: {key}, demo, p90 first draw / 1.5 s", _p90(d), BUDGET_S, None))
        rows.append(
            _row(f"pages: {key}, {SCALE}× demo / demo, median", _median(big), _median(d), SCALE_TARGET)
        )
        rows.append(_row(f"pages: {key}, {SCALE}× demo, p90 / demo median", _p90(big), _median(d), None))
    return rows


def summary(
    demo: dict[str, list[float]],
    large: dict[str, list[float]],
    floor: tuple[list[float], list[float]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> str:
    """The per-page table: medians and p90s on both workspaces, each target met or missed; then
    the floor's (``floor``: its times in the demo's and the large workspace's rounds)."""
    lines = [
        f"first complete draw, seconds ({len(next(iter(demo.values())))} loads a page; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} cores)",
        f"{'page':<30} {'demo med':>8} {'p90':>6} {'≤1.5 s':>7} {'10× med':>8} {'p90':>6} {'≤2× demo':>9}"
        f" {'÷ floor':>8}",
    ]
    for key in demo:
        d, big = demo[key], large[key]
        met = "met" if _median(d) <= BUDGET_S else "MISSED"
        scaled = "met" if _median(big) <= SCALE_TARGET * _median(d) else "MISSED"
        over = f"{_median(d) / _median(floor[0]):.2f}×" if key.startswith(NEW_TAB) else ""
        lines.append(
            f"{key:<30} {_median(d):>8.2f} {_p90(d):>6.2f} {met:>7} {_median(big):>8.2f} {_p90(big):>6.2f}"
            f" {scaled:>9} {over:>8}"
        )
    (d, big) = floor
    lines.append(
        f"{FLOOR_KEY:<30} {_median(d):>8.2f} {_p90(d):>6.2f} {'':>7} {_median(big):>8.2f} {_p90(big):>6.2f}"
    )
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


def _row(name: str, ours: float, floor: float, target: float | None) -> dict[str, object]:
    return {"name": name, "ours_s": ours, "floor_s": floor, "ratio": ours / floor, "target": target}


if __name__ == "__main__":
    from bench._common import print_rows

    print_rows(run(quick="--quick" in sys.argv))
