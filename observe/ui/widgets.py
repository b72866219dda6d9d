"""Small shared widgets: running a store action with a translated error, translated tables."""

from __future__ import annotations

from collections.abc import Callable
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
