"""Bytes → text or rows, the tolerant way: BOM, UTF-16, Latin-1, gzip, wrong delimiter, XLSX.

Shared by every text importer; third-party failures become ``InvalidInput``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from typing import Any

from observe.errors import InvalidInput
from observe.interop.bundle import ImportWarning
from observe.interop.limits import ImportLimits, json_containers

#: Containers a JSON file may hold beyond one per row (a BORIS project's ethogram, observations).
JSON_SLACK = 10_000
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
DELIMITERS = ("\t", ",", ";")


def require_data(data: bytes, filename: str) -> None:
    """Refuse an empty (0-byte or whitespace-only) file."""
    if not data or not data.strip():
        raise InvalidInput("interop.empty_file", filename=filename)


def gunzip(data: bytes, filename: str, limits: ImportLimits | None = None) -> bytes:
    """Inflate gzip data, refusing truncated, corrupt or oversized archives (a 1 kB "zip bomb"
    must not fill memory: inflation stops at the limit)."""
    limits = limits or ImportLimits()
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limits.max_inflated_bytes + 1)
    except zlib.error as exc:
        raise InvalidInput("interop.bad_gzip", filename=filename) from exc
    if inflater.unconsumed_tail or len(out) > limits.max_inflated_bytes:
        limits.check_inflated(limits.max_inflated_bytes + 1, filename)
    if not inflater.eof:
        raise InvalidInput("interop.bad_gzip", filename=filename)
    return out


def decode_text(data: bytes, filename: str, warnings: list[ImportWarning]) -> str:
    """Bytes → text: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252/Latin-1 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInput("interop.bad_encoding", filename=filename) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            encoding = "Windows-1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            encoding = "Latin-1"
        warnings.append(ImportWarning(None, "interop.warn.encoding", {"encoding": encoding}))
    if "\x00" in text:
        raise InvalidInput("interop.binary_file", filename=filename)
    return text


def load_json(
    data: bytes, filename: str, warnings: list[ImportWarning], limits: ImportLimits | None = None
) -> Any:
    """Parse JSON (gzip-compressed or not) into Python objects, within ``limits``: the records
    (containers outside strings) and the longest string are bounded before anything is parsed."""
    limits = limits or ImportLimits()
    require_data(data, filename)
    limits.check_bytes(len(data), filename)
    if data.startswith(GZIP_MAGIC):
        data = gunzip(data, filename, limits)
        require_data(data, filename)
    text = decode_text(data, filename, warnings)
    bound = limits.max_rows + JSON_SLACK
    if text.count("[") + text.count("{") > bound and json_containers(text) > bound:
        limits.check_rows(limits.max_rows + 1, filename)
    check_json_strings(text, filename, limits)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("interop.bad_json", filename=filename) from exc


def check_json_strings(text: str, filename: str, limits: ImportLimits) -> None:
    """Refuse a JSON string longer than a cell may be (a regex gate first, exact only past it)."""
    from observe.interop.limits import _JSON_STRING

    gate = re.compile(rf"[^\"]{{{limits.max_cell_chars + 1}}}")
    if gate.search(text) is None:
        return
    for match in _JSON_STRING.finditer(text):
        limits.check_cell(len(match.group(0)) - 2, filename)


def sniff_delimiter(line: str, expected: str) -> str:
    """The delimiter that splits the header ``line`` into the most fields (ties → ``expected``)."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == expected))
    return best if counts[best] > counts.get(expected, 0) else expected


def expected_delimiter(filename: str) -> str:
    """The delimiter the file's extension promises."""
    return "," if filename.lower().endswith(".csv") else "\t"


def split_lines(text: str, delimiter: str) -> list[list[str]]:
    """Parse delimited text into rows of strings (quotes as in Excel/BORIS)."""
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InvalidInput("interop.bad_csv", detail=str(exc)) from exc


#: Rows above a header (title rows, BORIS's old key/value block) that do not count as data.
HEADER_SLACK = 300


def read_xlsx_rows(
    data: bytes, filename: str, limits: ImportLimits | None = None, *, first: int | None = None
) -> list[list[str]]:
    """The first worksheet of an XLSX as rows of strings (merged cells: value in the top-left only).

    Before a cell is read: the file size, the unpacked size of the zip members (as the zip
    directory states it; :mod:`zipfile` never inflates past that) and the sheet's declared
    dimension are checked; while streaming, every row's width and cell length. ``first``
    stops after that many rows (format detection).
    """
    import zipfile

    import openpyxl

    limits = limits or ImportLimits()
    limits.check_bytes(len(data), filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    # NotImplementedError: an entry asks for a newer zip version or a method zipfile lacks
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise InvalidInput("interop.bad_xlsx", filename=filename) from exc
    limits.check_inflated(unpacked, filename)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        declared_rows = sheet.max_row
    except Exception as exc:  # openpyxl/zipfile raise many types on a damaged workbook
        raise InvalidInput("interop.bad_xlsx", filename=filename) from exc
    if isinstance(declared_rows, int) and first is None:
        limits.check_rows(declared_rows - HEADER_SLACK, filename)
    rows: list[list[str]] = []
    width = limits.max_columns + 1
    try:
        for row in sheet.iter_rows(values_only=True, max_col=width):
            cells = [_cell_text(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            limits.check_columns(len(cells), filename)
            for cell in cells:
                limits.check_cell(len(cell), filename)
            rows.append(cells)
            if first is not None and len(rows) >= first:
                break
            if len(rows) > limits.max_rows + HEADER_SLACK:
                limits.check_rows(len(rows) - HEADER_SLACK, filename)
        book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl/zipfile raise many types on a damaged workbook
        raise InvalidInput("interop.bad_xlsx", filename=filename) from exc
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # Excel stores 12 as 12.0; the CSV export says "12"
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    return str(value)


def normalize_header(name: str) -> str:
    """Header name for matching: case-folded, spaces collapsed, BOM removed."""
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip().casefold()


TIME_TEXT = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")


def parse_time_text(text: str) -> float | None:
    """A time written as text: ``"12.5"``, ``"12,5"``, ``"00:01:02.500"`` or ``"1:02.5"`` → seconds."""
    text = str(text).strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") <= 1 and "." not in text else float(text)
    except ValueError:
        match = TIME_TEXT.match(text)
        if not match:
            return None
        hours = int(match.group(1) or 0)
        value = hours * 3600 + int(match.group(2)) * 60 + float(match.group(3).replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value
