"""Small shared widgets: running a store action with a translated error, translated tables, panels
and tabs drawn when opened."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from observe.errors import ObserveError
from observe.ui.page import Page

R = TypeVar("R")


def attempt(ctx: Page, action: Callable[[], R], success_key: str | None = None, **params: Any) -> R | None:
    """Run a store action; a refused one shows its message in the user's language (nothing was written)."""
    try:
        result = action()
    except ObserveError as exc:
        st.error(exc.message(ctx.lang), icon=":material/error:")
        return None
    if success_key:
        st.toast(ctx.t(success_key, **params), icon=":material/check_circle:")
    return result


def table(ctx: Page, frame: pd.DataFrame, prefix: str, *, key: str, **kwargs: Any) -> Any:
    """A dataframe whose column headers are translated (``{prefix}.{column}`` keys)."""
    shown = frame.rename(columns={c: ctx.t(f"{prefix}.{c}") for c in frame.columns})
    return st.dataframe(shown, hide_index=True, key=key, **kwargs)


@contextmanager
def drawn_when_open(label: str, *, key: str, icon: str | None = None) -> Iterator[bool]:
    """An expander that says whether it is open: draw its content under ``if open:``.

    Streamlit draws a closed expander's content all the same, hidden: every dashboard paid for its
    hidden tables and fields in each new tab (issue 16). With ``on_change="rerun"`` the page runs
    again when the user opens or closes it, and the content is drawn only while it is open."""
    with st.expander(label, icon=icon, key=key, on_change="rerun") as panel:
        yield bool(panel.open)


def tabs_drawn_when_open(labels: Sequence[str], *, key: str) -> Iterator[int]:
    """Tabs of which only the open one is drawn: iterating gives its index, inside that tab.

    Like a closed expander (:func:`drawn_when_open`), a tab that is not shown is drawn all the same,
    hidden; with ``on_change="rerun"`` the page runs again when the user picks another tab."""
    for index, tab in enumerate(st.tabs(list(labels), key=key, on_change="rerun")):
        if tab.open:
            with tab:
                yield index
