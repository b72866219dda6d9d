"""Plotly charts, drawn by a chart component of our own on the parts of plotly.js they use.

Why not ``st.plotly_chart``: Streamlit's chart module carries the whole of plotly.js (4.7 MB),
evaluated once in every tab before its first chart draws: 0.8 s of the 2-core machine's main
thread, which put every dashboard opened in a new tab over the 1.5 s budget (issue 16: 2.0–2.5 s).
Even plotly.js's cartesian bundle takes 0.4 s. Our charts use scatter, bar, heatmap, histogram
and image traces only, so ``plot_web/plotly/`` holds plotly.js's core (scatter, axes, hover,
toolbar: 0.15 s) and one small module per other trace type, built from plotly.js 4.1.1 as ES
modules with shared chunks by ``plot_web/build`` (``npm ci && npm run build``; MIT, licences kept
in the files). A chart loads the core and the modules its traces need, once a tab.

- :func:`plot` draws one figure (in the house template, typed arrays kept binary) and returns the
  points clicked in it, for charts that take a click (the session timeline opens the recorder);
- :data:`ROUTE` serves those files (hashed names: cached for good by the browser);
- :func:`ready_charts` (every page, from :func:`observe.ui.page.setup`) loads them all once the
  page has drawn and the browser is idle, so the first dashboard reached from a page without
  charts finds them ready.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from plotly.io.json import to_json_plotly
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from observe.charts.margins import legend_rows
from observe.charts.style import house
from observe.i18n import DEFAULT_LANGUAGE, t

_WEB = Path(__file__).with_name("plot_web")
_LIBRARY = _WEB / "plotly"
_PREFIX = "api/lib/plotly"
#: the core and each trace module by name → its URL (relative to the app's root, like Streamlit's
#: scripts); the shared chunks go with the core, imported at once rather than found one by one
_FILES = {path.name: f"{_PREFIX}/{path.name}" for path in sorted(_LIBRARY.glob("*-*.js"))}
MODULES: dict[str, str] = {
    name.split("-")[0]: url for name, url in _FILES.items() if not name.startswith("chunk-")
}
CORE: list[str] = [MODULES["core"], *(url for name, url in _FILES.items() if name.startswith("chunk-"))]
_IN_CORE = {"scatter"}

_chart = st.components.v2.component(
    "observe_plot",
    html='<div class="observe-plot"></div>',
    css=".observe-plot { width: 100%; }",
    js=(_WEB / "plot.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # plotly.js puts its styles (hover labels, toolbar) in the document's head
)

#: After the page's first draw (so it never competes with it: loading at once on a chart page, to
#: evaluate while the server runs the page, made new tabs slower), then when the browser is idle.
_READY_JS = """
export default function ({ data }) {
  if (!data || window.__observeChartsReady) return;
  window.__observeChartsReady = true;
  const url = (src) => new URL(src, document.baseURI).href;
  const load = () => Promise.all(data.modules.map((src) => import(url(src)))).catch(() => {});
  setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(load, { timeout: 5000 }) : load()), 1000);
}
"""
_ready = st.components.v2.component("observe_chart_library", js=_READY_JS)

#: the toolbar without plotly's logo; the camera saves a PNG at twice the size
_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def plot(
    fig: go.Figure, key: str, *, filename: str | None = None, clickable: bool = False
) -> list[dict[str, Any]]:
    """Draw ``fig`` across the column; return the points clicked in it in this run (``[]`` if
    none, or if not ``clickable``), each with ``curve_number``, ``point_index``, ``x`` and ``y``."""
    config = dict(_CONFIG)
    if filename:
        config["toImageButtonOptions"] = {"format": "png", "filename": filename, "scale": 2}
    height = fig.layout.height or 450  # plotly's default: the space is kept before the chart draws
    traces = {trace.type or "scatter" for trace in fig.data} - _IN_CORE
    if missing := traces - MODULES.keys():  # a new trace type: add its module to plot_web/build
        raise ValueError(f"observe's plotly.js build has no module for {sorted(missing)} traces")
    figure = house(fig)
    result = _chart(
        key=key,
        data={
            "figure": to_json_plotly(figure),
            "legend": legend_rows(figure["data"], figure["layout"]),  # its rows, once the width is known
            "config": config,
            "height": height,
            "clickable": clickable,
            "modules": CORE + [MODULES[kind] for kind in sorted(traces)],
            "failed": t(
                "chart.load_failed", st.session_state.get("lang", DEFAULT_LANGUAGE), reason="{reason}"
            ),
        },
        on_click_change=(lambda: None) if clickable else None,
    )
    clicked = getattr(result, "click", None) if clickable else None
    return list(clicked.get("points", [])) if isinstance(clicked, dict) else []


def ready_charts() -> None:
    """Mount the loader (in the sidebar, where its empty block costs no space in the page)."""
    with st.sidebar:
        _ready(key="observe_chart_library", data={"modules": list(_FILES.values())})


_FILE = re.compile(r"^[a-z]+-[A-Z0-9]+\.js$")  # the build's names: nothing else in the folder is served


async def _library(request: Request) -> Response:
    """One file of the library, cached for good: its name changes with its content."""
    name = str(request.path_params.get("name", ""))
    path = _LIBRARY / name
    if not _FILE.match(name) or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )


ROUTE = Route(f"/{_PREFIX}/{{name}}", _library, methods=["GET", "HEAD"])
