"""How big an import may be, checked before a file's data is materialised.

One upload must not take the server down: a 379 KB Parquet file can hold 50 million
dictionary-encoded rows, a CSV header a million columns, a gzip or XLSX a gigabyte of
XML. Every importer asks :class:`ImportLimits` first — file size, then the rows the
format's metadata declares (Parquet row groups, the XLSX dimension, a cheap upper
bound for text and JSON), the header's width and the longest cell — and refuses with
one sentence naming the limit and the setting that raises it. The limits are
workspace settings (``import.max_rows`` …), read through :meth:`ImportLimits.from_store`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from observe.errors import InvalidInput

if TYPE_CHECKING:
    from observe.store import Store

#: Setting key → (attribute, default). A 100,000-row BORIS export is ~20 MB; the row
#: default is ten times the largest real session seen (a 2-hour session, 3 observers).
SETTINGS: dict[str, tuple[str, int]] = {
    "import.max_bytes": ("max_bytes", 50 * 1024 * 1024),
    "import.max_rows": ("max_rows", 1_000_000),
    "import.max_columns": ("max_columns", 64),
    "import.max_cell_chars": ("max_cell_chars", 10_000),
}
#: What a compressed file (gzip, XLSX, Parquet pages) may unpack to, as a multiple of
#: ``max_bytes``: text compresses about 4:1, and 4 × 50 MB stays well below the 512 MB a
#: refused file may cost.
INFLATE_FACTOR = 4


@dataclass(frozen=True)
class ImportLimits:
    """The size limits of one import.

    Examples
    --------
    >>> ImportLimits().max_rows, ImportLimits().max_columns
    (1000000, 64)
    >>> ImportLimits(max_rows=10).check_rows(11, "e.csv")
    Traceback (most recent call last):
    ...
    observe.errors.InvalidInput: e.csv has more than 10 rows, the import limit (setting import.max_rows); split the file, or ask an administrator to raise the setting.
    """

    max_bytes: int = SETTINGS["import.max_bytes"][1]
    max_rows: int = SETTINGS["import.max_rows"][1]
    max_columns: int = SETTINGS["import.max_columns"][1]
    max_cell_chars: int = SETTINGS["import.max_cell_chars"][1]

    @classmethod
    def from_store(cls, store: Store) -> ImportLimits:
        """The workspace's limits (each setting falls back to its default when unset or not a positive number)."""
        values: dict[str, Any] = {}
        for key, (attr, default) in SETTINGS.items():
            value = store.setting(key, default)
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = default
            values[attr] = number if number > 0 else default
        return cls(**values)

    @property
    def max_inflated_bytes(self) -> int:
        """What a compressed file may unpack to."""
        return self.max_bytes * INFLATE_FACTOR

    def refuse(self, filename: str, what: str, setting: str, limit: int) -> InvalidInput:
        """The one-sentence refusal naming the limit and its setting (``what``: bytes, inflated,
        rows, columns or cell)."""
        return InvalidInput(
            f"interop.limit.{what}", filename=filename or "The file", limit=f"{limit:,}", setting=setting
        )

    def check_bytes(self, size: int, filename: str) -> None:
        """Refuse a file larger than ``max_bytes``."""
        if size > self.max_bytes:
            raise self.refuse(filename, "bytes", "import.max_bytes", self.max_bytes)

    def check_inflated(self, size: int, filename: str) -> None:
        """Refuse content that unpacks to more than ``max_inflated_bytes``."""
        if size > self.max_inflated_bytes:
            raise self.refuse(filename, "inflated", "import.max_bytes", self.max_inflated_bytes)

    def check_rows(self, rows: int, filename: str) -> None:
        """Refuse more than ``max_rows`` rows (records, events, annotations)."""
        if rows > self.max_rows:
            raise self.refuse(filename, "rows", "import.max_rows", self.max_rows)

    def check_columns(self, columns: int, filename: str) -> None:
        """Refuse a header (or row) wider than ``max_columns``."""
        if columns > self.max_columns:
            raise self.refuse(filename, "columns", "import.max_columns", self.max_columns)

    def check_cell(self, chars: int, filename: str) -> None:
        """Refuse a cell (value, comment, annotation) longer than ``max_cell_chars``."""
        if chars > self.max_cell_chars:
            raise self.refuse(filename, "cell", "import.max_cell_chars", self.max_cell_chars)

    def check_text(self, text: str, filename: str) -> None:
        """Cheap bounds for delimited text before it is parsed: lines (an upper bound of the rows,
        exact when no quoted cell spans lines) and the longest line (an upper bound of a cell)."""
        if (
            text.count("\n") > self.max_rows + _HEADER_SLACK
            and _count_rows(text) > self.max_rows + _HEADER_SLACK
        ):
            raise self.refuse(filename, "rows", "import.max_rows", self.max_rows)
        if re.search(rf"[^\r\n]{{{self.max_cell_chars + 1}}}", text) is not None:
            _check_cells(text, filename, self)


#: Rows above a header (title rows, BORIS's old key/value block) that do not count as data.
_HEADER_SLACK = 300


def _count_rows(text: str) -> int:
    """Records in delimited text, counting a quoted multi-line cell once (streamed, nothing kept)."""
    import csv
    import io

    count = 0
    for delimiter in ("\t", ",", ";"):
        try:
            count = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
            break
        except csv.Error:
            continue
    return count


def _check_cells(text: str, filename: str, limits: ImportLimits) -> None:
    """Some line is longer than a cell may be: split it the way any delimiter would and check
    each piece (a long line of many short cells passes)."""
    pattern = re.compile(rf"[^\r\n\t,;]{{{limits.max_cell_chars + 1}}}")
    if pattern.search(text) is not None:
        limits.check_cell(limits.max_cell_chars + 1, filename)


def json_containers(text: str) -> int:
    """An upper bound of the records in a JSON text: ``[`` and ``{`` outside strings.

    Strings are cut out by one C-level substitution, so counting a 200 MB text takes
    about a second and keeps no parsed object; the JSON is parsed only when the bound passes.

    >>> json_containers('[{"a": "[x]"}, [1, 2]]')
    3
    """
    if text.count("[") + text.count("{") == 0:
        return 0
    bare = _JSON_STRING.sub("", text)
    return bare.count("[") + bare.count("{")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
