"""Progress of long work on a terminal: ``label [#####.....] 12/40``.

The core's long functions (research export, workspace XLSX, imports, motion energy) take a
``progress: Callable[[int, int], None] | None`` callback, called as ``progress(done, total)``
with counts that only grow. A page passes one that drives ``st.progress``; the command line
passes :func:`terminal_progress`, which draws a bar only when standard output is a terminal,
so ``--json`` output and pipes stay clean. The bar goes to standard error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[int, int], None]

BAR_WIDTH = 30


def bar(label: str, done: int, total: int, width: int = BAR_WIDTH) -> str:
    """One line of the bar.

    Examples
    --------
    >>> bar("export", 3, 12, width=12)
    'export [###.........] 3/12'
    >>> bar("export", 0, 0, width=4)
    'export [....] 0/0'
    """
    filled = width if total and done >= total else (width * done // total if total > 0 else 0)
    return f"{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def terminal_progress(
    label: str, *, stdout: TextIO | None = None, stream: TextIO | None = None
) -> Progress | None:
    """A callback that redraws the bar on ``stream`` (standard error), or None off a terminal.

    None when standard output is not a TTY (a pipe, a file, a test): nothing is printed then.
    The bar is redrawn in place (``\\r``) and ends with a newline when ``done == total``.
    """
    out = stdout if stdout is not None else sys.stdout
    if not _isatty(out):
        return None
    target = stream if stream is not None else sys.stderr
    last: list[tuple[int, int]] = []

    def show(done: int, total: int) -> None:
        if last and last[-1] == (done, total):
            return
        last[:] = [(done, total)]
        end = "\n" if total and done >= total else ""
        target.write("\r" + bar(label, done, total) + end)
        target.flush()

    return show


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False
