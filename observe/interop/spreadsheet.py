"""Text cells that a spreadsheet will not run: CSV/XLSX injection neutralised, reversibly.

A comment ``=HYPERLINK("http://…","open")`` written into a CSV becomes a live formula when
the file is opened in Excel or LibreOffice. Following OWASP's "CSV Injection" advice, every
text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'``; numbers stay numbers. So that our own export → import is lossless, a cell
that already starts with quotes before such a character gets one more quote, and
:func:`restore_text` removes exactly one: the mapping is a bijection on strings.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

#: Characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise_text(value: str) -> str:
    """``value`` safe for a spreadsheet cell.

    >>> neutralise_text('=HYPERLINK("http://x","open")')
    '\\'=HYPERLINK("http://x","open")'
    >>> neutralise_text("looks up"), neutralise_text("'=x")
    ('looks up', "''=x")
    """
    return "'" + value if _ESCAPED.match(value) else value


def restore_text(value: str) -> str:
    """The inverse of :func:`neutralise_text` (our importers call it on every text cell).

    >>> restore_text("'=1+1"), restore_text("''=x"), restore_text("'plain")
    ('=1+1', "'=x", "'plain")
    """
    return value[1:] if _QUOTED.match(value) else value


def neutralise_value(value: Any) -> Any:
    """A text value neutralised; anything else (numbers, dates, None) unchanged."""
    return neutralise_text(value) if isinstance(value, str) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (numeric columns untouched).

    >>> neutralise_frame(pd.DataFrame({"a": ["-x", "y"], "n": [-1.5, 2.0]})).to_dict("list")
    {'a': ["'-x", 'y'], 'n': [-1.5, 2.0]}
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(neutralise_value)
    if out.columns.dtype == object:
        out.columns = [neutralise_value(c) for c in out.columns]
    return out


def restore_frame(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the text cells of ``columns`` (default: every object column) restored."""
    out = frame.copy()
    for col in columns if columns is not None else list(out.columns):
        if col in out.columns and out[col].dtype == object:
            out[col] = out[col].map(lambda v: restore_text(v) if isinstance(v, str) else v)
    return out


def safe_csv(frame: pd.DataFrame, **to_csv: Any) -> bytes:
    """``frame`` as UTF-8 CSV with every text cell neutralised (``to_csv`` passes through)."""
    options = {"index": False, "lineterminator": "\n", **to_csv}
    return str(neutralise_frame(frame).to_csv(**options)).encode("utf-8")


def safe_xlsx(frame: pd.DataFrame, sheet_name: str = "Sheet1") -> bytes:
    """``frame`` as an XLSX workbook with every text cell neutralised (numbers stay numbers)."""
    buffer = io.BytesIO()
    neutralise_frame(frame).to_excel(buffer, index=False, sheet_name=sheet_name[:31], engine="openpyxl")
    return buffer.getvalue()
