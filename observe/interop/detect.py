"""Which importer reads a file: by content first, extension second (FORMATS.md "Format detection")."""

from __future__ import annotations

from collections.abc import Callable

from observe.errors import InvalidInput
from observe.interop._read import (
    GZIP_MAGIC,
    PARQUET_MAGIC,
    ZIP_MAGIC,
    decode_text,
    gunzip,
    normalize_header,
    read_xlsx_rows,
    require_data,
    sniff_delimiter,
    split_lines,
)
from observe.interop.boris_project import parse_boris_project
from observe.interop.boris_tabular import (
    _is_aggregated_header,
    _is_current_header,
    _is_old_header,
    parse_boris_aggregated,
    parse_boris_tabular,
)
from observe.interop.bundle import ImportBundle, ImportWarning
from observe.interop.elan import parse_eaf
from observe.interop.limits import ImportLimits
from observe.interop.tidy import parse_tidy_csv, parse_tidy_json, parse_tidy_parquet

FORMATS = (
    "boris_project",
    "boris_tabular",
    "boris_aggregated",
    "eaf",
    "tidy_csv",
    "tidy_json",
    "tidy_parquet",
)

PARSERS: dict[str, Callable[..., ImportBundle]] = {
    "boris_project": parse_boris_project,
    "boris_tabular": parse_boris_tabular,
    "boris_aggregated": parse_boris_aggregated,
    "eaf": parse_eaf,
    "tidy_csv": parse_tidy_csv,
    "tidy_json": parse_tidy_json,
    "tidy_parquet": parse_tidy_parquet,
}

_SNIFF_BYTES = 256 * 1024


def detect_format(data: bytes, filename: str, limits: ImportLimits | None = None) -> str:
    """Name of the format of ``data``, one of :data:`FORMATS`.

    JSON with ``project_format_version`` → BORIS project (also gzip); XML with
    ``ANNOTATION_DOCUMENT`` → ELAN; a header with ``Behavior type`` and ``Time`` →
    current BORIS tabular; the old ``Time … Media file path … Status`` header after a
    key/value block → old BORIS tabular; ``Start (s)`` and ``Stop (s)`` → BORIS
    aggregated; ``cue`` and ``start_s`` → our tidy events.

    Raises
    ------
    InvalidInput
        Empty file or a format none of the importers reads.

    Examples
    --------
    >>> detect_format(b'{"project_format_version": "7.0"}', "x.boris")
    'boris_project'
    >>> detect_format(b"session,cue,start_s\\nS1,G_EYE,1.0\\n", "e.csv")
    'tidy_csv'
    """
    limits = limits or ImportLimits()
    require_data(data, filename)
    limits.check_bytes(len(data), filename)
    if data.startswith(GZIP_MAGIC):
        return "boris_project" if _is_boris_json(gunzip(data, filename, limits)) else _unknown(filename)
    if data.startswith(PARQUET_MAGIC):
        return "tidy_parquet"
    if data.startswith(ZIP_MAGIC):
        return _detect_rows(read_xlsx_rows(data, filename, limits, first=300), filename)
    head = decode_text(data[:_SNIFF_BYTES], filename, [])
    stripped = head.lstrip()
    if stripped.startswith(("{", "[")):
        if _is_boris_json(data):
            return "boris_project"
        return "tidy_json"
    if stripped.startswith("<"):
        if "ANNOTATION_DOCUMENT" in head:
            return "eaf"
        return _unknown(filename)
    lines = head.splitlines()[:300]
    if not lines:
        return _unknown(filename)
    best = max(lines[:50], key=lambda line: max(line.count(d) for d in ("\t", ",", ";")))
    delimiter = sniff_delimiter(best, "\t")
    rows = [r[: limits.max_columns + 1] for r in split_lines("\n".join(lines), delimiter)]
    return _detect_rows(rows, filename)


def _is_boris_json(data: bytes) -> bool:
    """A JSON object naming ``project_format_version``: decided by a search, without parsing a
    file that may be too large to parse (the parser checks the limits first)."""
    try:
        text = decode_text(data, "", [])
    except InvalidInput:
        return False
    return text.lstrip().startswith("{") and '"project_format_version"' in text


def _detect_rows(rows: list[list[str]], filename: str) -> str:
    for row in rows:
        if _is_current_header(row) or _is_old_header(row):
            return "boris_tabular"
        if _is_aggregated_header(row):
            return "boris_aggregated"
        cells = {normalize_header(c) for c in row}
        if {"cue", "start_s"} <= cells:
            return "tidy_csv"
    return _unknown(filename)


def _unknown(filename: str) -> str:
    raise InvalidInput("interop.unknown_format", filename=filename)


def parse_file(
    data: bytes, *, filename: str, fmt: str | None = None, limits: ImportLimits | None = None
) -> ImportBundle:
    """Detect the format (unless ``fmt`` is given) and parse.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str
        Its name (for messages and the expected delimiter).
    fmt : str, optional
        One of :data:`FORMATS`, or ``"boris"``/``"elan"``/``"csv"`` (the CLI's ``--as``).
    limits : ImportLimits, optional
        Size limits (default: the built-in ones; pages and the CLI pass the workspace's,
        :meth:`ImportLimits.from_store`).

    Examples
    --------
    >>> parse_file(b"session,cue,kind,start_s,end_s\\nS1,P_NOD,point,2.0,\\n", filename="e.csv").n_events
    1
    """
    limits = limits or ImportLimits()
    limits.check_bytes(len(data), filename)
    if fmt in ("boris", "elan", "csv"):
        detected = detect_format(data, filename, limits)
        family = {"boris": "boris_", "elan": "eaf", "csv": "tidy_"}[fmt]
        if not detected.startswith(family):
            raise InvalidInput("interop.format_mismatch", filename=filename, expected=fmt, found=detected)
        fmt = detected
    elif fmt is None:
        fmt = detect_format(data, filename, limits)
    parser = PARSERS.get(fmt)
    if parser is None:
        raise InvalidInput("interop.unknown_format", filename=filename)
    return parser(data, filename=filename, limits=limits)


__all__ = ["FORMATS", "PARSERS", "ImportWarning", "detect_format", "parse_file"]
