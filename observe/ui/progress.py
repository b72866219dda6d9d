"""A progress bar with a count for long work on a page (exports, imports, motion energy).

The core's long functions take ``progress: Callable[[int, int], None] | None``; a page passes
:func:`progress_bar`, which draws ``st.progress`` with ``text done/total`` and updates it in place.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def progress_bar(text: str) -> Callable[[int, int], None]:
    """Show an empty bar now; the returned callback moves it to ``done / total`` with the count."""
    bar = st.progress(0.0, text=text)

    def show(done: int, total: int) -> None:
        fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        bar.progress(fraction, text=f"{text} {done}/{total}")

    return show
