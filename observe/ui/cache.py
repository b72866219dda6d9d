"""Cached results cross ``st.cache_data`` quickly: plotly figures are pickled as their dict.

``st.cache_data`` pickles what a cached dashboard returns and unpickles a copy on every
hit. A plotly figure unpickles through its constructor, which validates every property,
the layout template's hundreds among them: 0.3–0.5 s for one timeline on the demo
workspace, more than computing it from a warm cache should cost. The figure was validated
when it was built, so it comes back from its dict without validating again (plotly's
``_validate=False``); the copy draws the same (``to_dict`` is equal).

Importing this module registers the reducer (``copyreg``) for :class:`plotly.graph_objects.Figure`.
"""

from __future__ import annotations

import copyreg
from typing import Any

import plotly.graph_objects as go


def _restore(state: dict[str, Any]) -> go.Figure:
    return go.Figure(state, _validate=False)


def _reduce(fig: go.Figure) -> tuple[Any, tuple[dict[str, Any]]]:
    return _restore, (fig.to_dict(),)


copyreg.pickle(go.Figure, _reduce)
