"""Readies the browser's chart library while the user is on a page without charts.

Streamlit loads its chart module (plotly.js, 4.7 MB, about 0.6 s to evaluate on the 2-core
machine) the first time a tab shows a plotly chart, so the first dashboard reached from a new
tab took 1.7–1.9 s to draw against 0.8 s for the next ones. Every page mounts this component
(no HTML, nothing shown) in the sidebar: once the page has drawn and the browser is idle it
imports that same module by its own URL, so Streamlit later finds it loaded and evaluated
(one module per URL in a tab). On a page with charts the import is a no-op.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

#: After the page's first draw (so it never competes with it), then when the browser is idle.
_JS = """
export default function ({ data }) {
  const src = data && data.src;
  if (!src || window.__observeChartLibrary) return;
  window.__observeChartLibrary = src;
  const load = () => import(new URL(src, document.baseURI).href).catch(() => {});
  setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(load, { timeout: 5000 }) : load()), 1000);
}
"""
_component = st.components.v2.component("observe_chart_library", js=_JS)


@functools.cache
def chart_module() -> str | None:
    """The URL path of Streamlit's chart module (``static/js/PlotlyChart.<hash>.js``, relative
    to the app's root like Streamlit's own scripts), or None if this Streamlit has none."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(folder.glob("PlotlyChart.*.js"))
    return f"static/js/{found[0].name}" if found else None


def ready_charts() -> None:
    """Mount the component (in the sidebar, where its empty block costs no space in the page)."""
    src = chart_module()
    if src is not None:
        with st.sidebar:
            _component(key="observe_chart_library", data={"src": src})
