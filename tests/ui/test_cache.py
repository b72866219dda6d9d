"""Cached figures cross ``st.cache_data`` quickly (observe/ui/cache.py): a pickled plotly
figure comes back the same without plotly validating it (and its template) again."""

from __future__ import annotations

import json
import pickle

import plotly.graph_objects as go

import observe.ui.cache  # noqa: F401  (registers the figure reducer)


def _figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], marker={"color": ["#0072B2", "#D55E00"]}))
    fig.add_hline(y=1.5, line_dash="dot")
    fig.update_layout(template="plotly_white", title="budget")
    return fig


def test_a_pickled_figure_comes_back_the_same() -> None:
    fig = _figure()
    back = pickle.loads(pickle.dumps(fig))
    assert isinstance(back, go.Figure)
    assert json.loads(back.to_json()) == json.loads(fig.to_json())


def test_unpickling_does_not_validate_the_figure_again(monkeypatch: object) -> None:
    data = pickle.dumps(_figure())
    calls = []
    real = go.layout.Template.__init__

    def counted(self: object, *args: object, **kwargs: object) -> None:
        calls.append(kwargs.get("_validate", True))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(go.layout.Template, "__init__", counted)  # type: ignore[attr-defined]
    pickle.loads(data)
    assert all(validate is False for validate in calls)
