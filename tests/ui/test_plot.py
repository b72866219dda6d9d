"""The chart component (observe.ui.plot): which parts of plotly.js a chart asks for, the route
that serves them, and the house template every figure is built with."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from observe.charts.style import TEMPLATE
from observe.ui import plot
from tests.conftest import asgi_call, chart_data


def _drawn(script: Any) -> dict[str, Any]:
    at = AppTest.from_function(script).run()
    assert not at.exception, [e.message for e in at.exception]
    (data,) = chart_data(at)
    return data


def _names(urls: list[str]) -> set[str]:
    return {url.rsplit("/", 1)[1].split("-")[0] for url in urls}


def test_a_chart_asks_for_the_core_and_the_modules_of_its_traces_only() -> None:
    def script() -> None:
        import plotly.graph_objects as go

        from observe.ui.plot import plot, ready_charts

        ready_charts()
        plot(go.Figure([go.Scatter(x=[1, 2], y=[3, 4]), go.Bar(x=[1], y=[2])]), "chart", filename="f")

    data = _drawn(script)
    assert _names(data["modules"]) == {"core", "chunk", "bar"}  # scatter is in the core
    assert json.loads(data["figure"])["data"][1]["type"] == "bar"
    assert data["config"]["toImageButtonOptions"]["filename"] == "f" and not data["clickable"]


def test_every_trace_type_the_charts_use_has_its_module() -> None:
    assert {"core", "bar", "heatmap", "histogram", "image"} <= plot.MODULES.keys()


def test_a_trace_type_without_a_module_is_a_clear_error() -> None:
    def script() -> None:
        import plotly.graph_objects as go

        from observe.ui.plot import plot

        plot(go.Figure([go.Pie(values=[1, 2])]), "pie")

    at = AppTest.from_function(script).run()
    assert "no module for ['pie'] traces" in at.exception[0].message


def test_the_library_is_served_as_javascript_and_cached_for_good() -> None:
    status, headers, _body = asgi_call("/" + plot.MODULES["core"])
    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert "immutable" in headers["cache-control"]  # hashed names: a new build, new URLs


@pytest.mark.parametrize("name", ["LICENSE", "plot.js", "..%2Fplot.js", "core.js", "x-Y.js"])
def test_nothing_else_is_served(name: str) -> None:
    assert asgi_call(f"/api/lib/plotly/{name}")[0] == 404


def test_a_chart_is_drawn_in_the_house_template_whatever_plotly_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit sets plotly's default template to its own (colours #000001… that only its chart
    element replaces); a chart drawn by observe keeps the house look regardless."""
    import plotly.io as pio

    monkeypatch.setattr(pio.templates, "default", "plotly_dark")

    def script() -> None:
        import plotly.graph_objects as go

        from observe.ui.plot import plot

        plot(go.Figure(go.Scatter(x=[1], y=[1])), "chart")

    layout = json.loads(_drawn(script)["figure"])["layout"]["template"]["layout"]
    assert layout["font"]["family"] == TEMPLATE.layout.font.family
    assert layout["yaxis"]["automargin"]  # long lane labels are never cut off
