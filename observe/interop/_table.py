"""Locate the header of a delimited or spreadsheet file and load its body as text columns.

Real files arrive with a BOM, in Latin-1, with semicolons instead of commas, with
title rows above the header (merged cells in a spreadsheet) or a key/value block
(BORIS's old layout). :func:`load_table` finds the header row by the names it must
contain, never by position, and reports every fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observe.errors import InvalidInput
from observe.interop._read import (
    DELIMITERS,
    HEADER_SLACK,
    ZIP_MAGIC,
    decode_text,
    expected_delimiter,
    normalize_header,
    read_xlsx_rows,
    require_data,
)
from observe.interop.bundle import ImportWarning
from observe.interop.limits import ImportLimits
from observe.interop.spreadsheet import restore_text

#: How many rows may precede the header (BORIS's old key/value block, title rows).
HEADER_SEARCH_ROWS = HEADER_SLACK

HeaderTest = Callable[[Sequence[str]], bool]


@dataclass
class Table:
    """A file's header, the rows above it and its body as text.

    ``body`` has one column per header cell (named by position) and a column
    ``_row`` with the 1-based row number in the file (header row counted), so
    warnings can point at the row a person sees in a spreadsheet.
    """

    header: list[str]
    body: pd.DataFrame
    preamble: list[list[str]]
    header_row: int
    warnings: list[ImportWarning] = field(default_factory=list)


def load_table(
    data: bytes, filename: str, is_header: HeaderTest, *, what: str, limits: ImportLimits | None = None
) -> Table:
    """Find the header row (``is_header``) in a TSV/CSV/XLSX file and load the rows below it.

    ``limits`` are checked before the body is parsed: the file size, the number of lines
    and the longest line of the text, the width of the header; while parsing, every row's
    width and cell length.

    Raises
    ------
    InvalidInput
        Empty file, damaged spreadsheet, no row that looks like the header, or over a limit.
    """
    limits = limits or ImportLimits()
    require_data(data, filename)
    limits.check_bytes(len(data), filename)
    warnings: list[ImportWarning] = []
    if data.startswith(ZIP_MAGIC):
        rows = read_xlsx_rows(data, filename, limits)
        return _from_rows(rows, is_header, what, filename, warnings, limits)
    text = decode_text(data, filename, warnings)
    limits.check_text(text, filename)
    expected = expected_delimiter(filename)
    for delimiter in (expected, *(d for d in DELIMITERS if d != expected)):
        found = _find_header_in_text(text, delimiter, is_header, limits.max_columns)
        if found is None:
            continue
        preamble, header, offset = found
        limits.check_columns(len(header), filename)
        if delimiter != expected and filename.lower().endswith((".csv", ".tsv", ".tab", ".txt")):
            warnings.append(
                ImportWarning(None, "interop.warn.delimiter", {"found": _delimiter_name(delimiter)})
            )
        body = _read_body(text[offset:], delimiter, len(header), warnings, limits, filename)
        return _table(header, body, preamble, warnings, filename, limits)
    raise InvalidInput("interop.header_not_found", filename=filename, what=what)


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}[delimiter]


def _find_header_in_text(
    text: str, delimiter: str, is_header: HeaderTest, max_columns: int
) -> tuple[list[list[str]], list[str], int] | None:
    consumed: list[int] = []

    def lines() -> object:
        for line in io.StringIO(text, newline=""):
            consumed.append(len(line))
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)  # type: ignore[arg-type]
    preamble: list[list[str]] = []
    try:
        for row in reader:
            # a header wider than the limit is refused for its width: its names are mostly in its
            # first cells, so those are tried first (a million-cell row is read once, not per test)
            if (len(row) > max_columns and is_header(row[: max_columns + 1])) or is_header(row):
                return preamble, row, sum(consumed[: reader.line_num])
            preamble.append(row[: max_columns + 1])  # a row of a million cells is not kept
            if len(preamble) >= HEADER_SEARCH_ROWS:
                return None
    except csv.Error:
        return None
    return None


def _read_body(
    text: str,
    delimiter: str,
    width: int,
    warnings: list[ImportWarning],
    limits: ImportLimits,
    filename: str,
) -> pd.DataFrame:
    """The body as text columns 0..width-1, fast path pandas' C parser, slow path csv
    (streamed: a row wider than the column limit is refused before the next is read)."""
    if not text.strip():
        return pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=list(range(width)),
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
        return frame
    except (pd.errors.ParserError, ValueError, csv.Error):
        pass
    rows: list[list[str]] = []
    too_long: list[int] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(row) > width and any(c.strip() for c in row[width:]):
                limits.check_columns(len(row), filename)
                too_long.append(len(rows))
            rows.append(row[:width])
            if len(rows) > limits.max_rows:
                limits.check_rows(len(rows), filename)
    except csv.Error as exc:
        raise InvalidInput("interop.bad_csv", detail=str(exc)) from exc
    if too_long:
        warnings.append(ImportWarning(None, "interop.warn.extra_cells", {"n": len(too_long)}))
    padded = [(r + [""] * width)[:width] for r in rows]
    return pd.DataFrame(padded, columns=list(range(width)), dtype=object)


def _from_rows(
    rows: list[list[str]],
    is_header: HeaderTest,
    what: str,
    filename: str,
    warnings: list[ImportWarning],
    limits: ImportLimits,
) -> Table:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if is_header(row):
            header = list(row)
            while header and not header[-1].strip():
                header.pop()
            width = len(header)
            body = pd.DataFrame(
                [(r + [""] * width)[:width] for r in rows[i + 1 :]], columns=list(range(width))
            )
            preamble = [list(r) for r in rows[:i]]
            return _table(header, body.astype(object), preamble, warnings, filename, limits)
    raise InvalidInput("interop.header_not_found", filename=filename, what=what)


def _table(
    header: list[str],
    body: pd.DataFrame,
    preamble: list[list[str]],
    warnings: list[ImportWarning],
    filename: str,
    limits: ImportLimits,
) -> Table:
    header_row = len(preamble) + 1
    limits.check_rows(len(body), filename)
    body = _restored(body)
    header = [restore_text(str(h)) for h in header]
    body["_row"] = range(header_row + 1, header_row + 1 + len(body))
    keep = np.zeros(len(body), dtype=bool)
    for col in body.columns:
        if col != "_row":
            values = body[col].to_numpy(dtype=object)
            keep |= values != ""
            if len(values):
                limits.check_cell(int(body[col].str.len().max() or 0), filename)
    body = body[keep]
    return Table([str(h) for h in header], body.reset_index(drop=True), preamble, header_row, warnings)


def _restored(body: pd.DataFrame) -> pd.DataFrame:
    """Undo our exports' spreadsheet neutralisation (a leading ``'``), only in columns that have
    a cell starting with a quote (most files have none: one vectorised look per column)."""
    body = body.copy()
    for col in body.columns:
        values = body[col]
        if values.str.startswith("'").any():
            body[col] = values.map(lambda v: restore_text(v) if isinstance(v, str) else v)
    return body


def has_columns(*names: str) -> HeaderTest:
    """A header test: the row contains every one of ``names`` (case/space-insensitive)."""
    need = {normalize_header(n) for n in names}

    def test(row: Sequence[str]) -> bool:
        missing = set(need)
        for cell in row:  # stops at the last name needed
            missing.discard(normalize_header(cell))
            if not missing:
                return True
        return False

    return test


def column_index(header: Sequence[str], *aliases: str) -> int | None:
    """Position of the last header cell matching any alias (IV columns come first, so last wins)."""
    wanted = {normalize_header(a) for a in aliases}
    found = None
    for i, name in enumerate(header):
        if normalize_header(name) in wanted:
            found = i
    return found
