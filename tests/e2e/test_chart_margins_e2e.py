"""Every chart of the dashboards draws once: the margins observe.charts.margins works out before
plotly draws hold what plotly itself finds, in Debian's Chromium (issue 16).

The pages are opened on the demo workspace at 1440 px; each chart must be drawn with the margins
it was sent (plotly grew none: it drew once). The same figures, as the pages build them (AppTest,
recorded as the estimate is made), are drawn again at each chart's width with the margins they
asked for, which plotly grows to hold their labels: the estimate may be at most a few pixels
more. The Synchrony page's result charts, which need a video run, are built here from numbers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import streamlit as st
from _browser import App, open_page, serve
from plotly.io.json import to_json_plotly
from streamlit.testing.v1 import AppTest

from observe import charts
from observe.charts import margins, style
from observe.ui.plot import CORE, MODULES

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
#: the dashboards with charts in their default view: page file → its URL name
PAGES = {
    "4_Session_review": "Session_review",
    "5_Client_progress": "Client_progress",
    "6_Counselor": "Counselor",
    "7_Cue_patterns": "Cue_patterns",
    "8_Agreement": "Agreement",
}
SYNCHRONY = "10_Synchrony"
SYNCHRONY_WIDTHS = (580, 390)  # its heatmap's and histogram's columns at 1440 px
WASTE_PX = 16  # at most this much more than plotly needs on a side
#: what the estimate leaves to plotly: a heatmap's colour bar on the right
GROWN = {("7_Cue_patterns", 0, "r"), (SYNCHRONY, 0, "r")}

DRAW_JS = """async ([figure, margin, width, modules]) => {
  await document.fonts.load('12px "Source Sans"');
  await Promise.all(modules.map((src) => import(new URL(src, document.baseURI).href)));
  const div = document.createElement('div');
  div.style.width = `${width}px`;
  document.body.prepend(div);
  const layout = {...figure.layout, margin: {...figure.layout.margin, ...margin}};
  await Plotly.newPlot(div, figure.data, layout, {});
  const size = div._fullLayout._size;
  Plotly.purge(div);
  div.remove();
  return {l: size.l, r: size.r, t: size.t, b: size.b};
}"""

#: each chart of the page once drawn: its width, the margins it was sent, those it was drawn with
SHOWN_JS = """(count) => {   // the page's charts, once all of them are there and drawn
  const plots = [...document.querySelectorAll('.observe-plot')];
  if (plots.length < count || !plots.every((p) => p.dataset.drawn === '1')) return false;
  const sides = (m) => ({l: m.l, r: m.r, t: m.t, b: m.b});
  return plots.map((p) => ({width: p.clientWidth, sent: sides(p.layout.margin), drawn: sides(p._fullLayout._size)}));
}"""

MEASURE_JS = """async (texts) => {
  await document.fonts.load('100px "Source Sans"');
  const context = document.createElement('canvas').getContext('2d');
  context.font = '100px "Source Sans", "Source Sans Pro", sans-serif';
  return texts.map((text) => context.measureText(text).width / 100);
}"""

Chart = tuple[str, int, str]  # page, index on it, figure JSON with the margins it asked for


@pytest.fixture(scope="module")
def demo_db(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("margins") / "demo.db"
    shutil.copy(demo_workspace, path)
    return path


@pytest.fixture(scope="module")
def demo_app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("margins-server")
    (folder / "media").mkdir()
    with serve(demo_db, folder / "media", folder / "streamlit.log") as app:
        yield app


@pytest.fixture(scope="module")
def sent(demo_db: Path) -> list[Chart]:
    """Every chart the pages draw on the demo, and the Synchrony page's, with the margins asked."""
    asked: list[str] = []

    def recording(figure: Mapping[str, Any]) -> dict[str, int]:
        asked.append(to_json_plotly(figure))
        return margins.fit(figure)

    shown: list[Chart] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVE_DB", str(demo_db))
        patch.setenv("OBSERVE_MODE", "local")
        patch.setattr(style, "fit", recording)
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
        for name in PAGES:
            asked.clear()
            at.switch_page(f"pages/{name}.py").run()
            assert not at.exception, [e.message for e in at.exception]
            shown += [(name, i, figure) for i, figure in enumerate(asked)]
        asked.clear()
        for figure in synchrony_figures():
            style.house(figure)
        shown += [(SYNCHRONY, i, figure) for i, figure in enumerate(asked)]
    st.cache_resource.clear()
    st.cache_data.clear()
    return shown


def synchrony_figures() -> list[go.Figure]:
    """The Synchrony page's result charts on numbers like a 10-minute session's."""
    rng = np.random.default_rng(1)
    lags = np.round(np.arange(-5, 5.01, 0.2), 2)
    windows = pd.DataFrame({"start_s": np.arange(0, 600, 15.0)})
    ccf = pd.DataFrame(rng.random((len(windows), len(lags))), columns=lags, index=windows.index)
    return [
        charts.synchrony_heatmap_figure(ccf, windows),
        charts.surrogate_figure(0.21, rng.normal(0.1, 0.03, 1000), rng.normal(0.12, 0.03, 1000)),
    ]


def draw(page: Any, figure: str, margin: Mapping[str, int], width: int) -> dict[str, int]:
    """The margins plotly draws ``figure`` with in a ``width`` px column, given ``margin``."""
    modules = CORE + [MODULES[kind] for kind in ("bar", "heatmap", "histogram", "image")]
    return dict(page.evaluate(DRAW_JS, [json.loads(figure), dict(margin), width, modules]))


@pytest.mark.parametrize("window", [1280, 1440])
def test_every_chart_draws_once_with_margins_that_hold_its_labels(
    demo_app: App, browser: Any, sent: list[Chart], window: int
) -> None:
    page = browser.new_context(viewport={"width": window, "height": 900}).new_page()
    given: dict[tuple[str, int], tuple[int, dict[str, int]]] = {}  # chart → its width, its margins
    grown: set[tuple[str, int, str]] = set()
    for name, url_name in PAGES.items():
        open_page(page, demo_app, url_name)
        ours = [fig for fig in sent if fig[0] == name]
        shown = page.wait_for_function(SHOWN_JS, arg=len(ours), timeout=30_000).json_value()
        assert len(shown) == len(ours), name
        for (_, index, figure), chart in zip(ours, shown, strict=True):
            fitted = margins.fit(json.loads(figure))
            # the estimate went to the browser, which added the rows a legend wraps into
            assert {**chart["sent"], "t": fitted["t"]} == fitted and chart["sent"]["t"] >= fitted["t"]
            grown |= {(name, index, side) for side, px in chart["sent"].items() if chart["drawn"][side] != px}
            given[name, index] = chart["width"], chart["sent"]
    for (_, index, figure), width in zip(
        [c for c in sent if c[0] == SYNCHRONY], SYNCHRONY_WIDTHS, strict=True
    ):
        fitted = margins.fit(json.loads(figure))
        drawn = draw(page, figure, fitted, width)
        grown |= {(SYNCHRONY, index, side) for side in fitted if drawn[side] != fitted[side]}
        given[SYNCHRONY, index] = width, fitted
    wasted = {}
    for name, index, figure in sent:
        width, margin = given[name, index]
        needed = draw(page, figure, {}, width)  # plotly grows the margins the chart asked for
        wasted |= {(name, index, side): margin[side] - needed[side] for side in margin}
    page.context.close()
    assert grown == GROWN  # every other chart drew once: plotly had no margin to grow
    assert {key: px for key, px in wasted.items() if px > WASTE_PX} == {}


def test_the_font_table_is_the_browsers(demo_app: App, page: Any, sent: list[Chart]) -> None:
    open_page(page, demo_app, "")
    characters = sorted(margins._ADVANCE)
    measured = page.evaluate(MEASURE_JS, characters)
    off = {ch: (round(margins._ADVANCE[ch], 3), round(em, 3)) for ch, em in zip(characters, measured, strict=True)
           if abs(margins._ADVANCE[ch] - em) > 0.002}  # fmt: skip
    assert off == {}
    # whole labels as the charts send them: the table's sum is an upper bound (kerning only narrows)
    labels = sorted({text for *_, figure in sent for text in _texts(json.loads(figure))})
    assert len(labels) > 30
    for label, em in zip(labels, page.evaluate(MEASURE_JS, labels), strict=True):
        assert em * 12 - 0.5 <= margins.text_width(label, 12) <= em * 12 * 1.02 + 1, label


def _texts(figure: Mapping[str, Any]) -> Iterator[str]:
    """The category labels, tick texts and trace names of a figure."""
    for key, axis in figure["layout"].items():
        if key[1:5] == "axis" and isinstance(axis, Mapping):
            yield from (str(text) for text in axis.get("ticktext", []))
            yield from (str(text) for text in axis.get("categoryarray", []))
    for trace in figure["data"]:
        yield from (v for v in trace.get("y") or [] if isinstance(v, str))
        if trace.get("name"):
            yield str(trace["name"])
