"""Our own tidy events format: CSV, JSON, XLSX and Parquet, read and written losslessly.

The columns are :data:`observe.model.EXPORT_COLUMNS` (then any of
:data:`~observe.model.EXTRA_COLUMNS`); ``end_s`` is empty for points; modifiers
are ``"k=v;k=v"``; times are seconds written with 3 decimals (milliseconds, the
precision of the whole app), so export → import returns the same events. The export's
``scheme`` and ``scheme_version`` columns name each row's coding scheme; the importer uses it
(or rebuilds it from the file, see :mod:`observe.interop.preview`).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from observe.errors import InvalidInput
from observe.interop._read import PARQUET_MAGIC, load_json, parse_time_text, require_data
from observe.interop._table import has_columns, load_table
from observe.interop.bundle import (
    CueDefinition,
    ImportBundle,
    ImportedObservation,
    ImportWarning,
    events_frame,
    summarize_rows,
)
from observe.interop.limits import ImportLimits
from observe.interop.refuse import Problem, line_problems, raise_first
from observe.interop.spreadsheet import neutralise_frame
from observe.model import EVENT_COLUMNS, EXPORT_COLUMNS

_REQUIRED = ("cue", "start_s")


# ------------------------------------------------------------------------------ readers


def parse_tidy_csv(
    data: bytes, *, filename: str = "events.csv", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read our tidy events export (CSV/TSV or XLSX; any delimiter, BOM or Latin-1 tolerated).

    Examples
    --------
    >>> csv_bytes = b"session,subject,cue,kind,start_s,end_s\\nS1,client,G_EYE,state,1.000,2.500\\n"
    >>> parse_tidy_csv(csv_bytes).observations[0].events[["cue", "end_s"]].values.tolist()
    [['G_EYE', 2.5]]
    """
    table = load_table(data, filename, has_columns(*_REQUIRED), what="tidy events", limits=limits)
    frame = table.body.rename(columns=dict(enumerate(h.strip() for h in table.header)))
    frame = frame.loc[:, ~frame.columns.duplicated(keep="last")]
    return _bundle_from_frame(frame, rows=frame["_row"].tolist(), warnings=table.warnings, filename=filename)


def parse_tidy_json(
    data: bytes, *, filename: str = "events.json", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read tidy events as JSON: a list of records, or ``{"events": [records]}``.

    Examples
    --------
    >>> raw = b'[{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 3.25, "end_s": null}]'
    >>> float(parse_tidy_json(raw).observations[0].events.loc[0, "start_s"])
    3.25
    """
    limits = limits or ImportLimits()
    warnings: list[ImportWarning] = []
    payload = load_json(data, filename, warnings, limits)
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        payload = payload["events"]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise InvalidInput("interop.tidy.not_records", filename=filename)
    limits.check_rows(len(payload), filename)
    limits.check_columns(len({k for r in payload for k in r}), filename)
    frame = pd.DataFrame.from_records(payload) if payload else pd.DataFrame(columns=list(EXPORT_COLUMNS))
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInput("interop.missing_columns", columns=", ".join(missing))
    rows = list(range(1, len(frame) + 1))
    return _bundle_from_frame(frame, rows=rows, warnings=warnings, filename=filename, unit="record")


def parse_tidy_parquet(
    data: bytes, *, filename: str = "events.parquet", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read tidy events from Parquet, within ``limits``.

    The footer's metadata (rows, columns) is checked before a page is decoded; string
    columns are read dictionary-encoded, so the longest cell and the decoded size are
    measured on the dictionary (a 379 KB file can hold 50 million rows of one value)
    before anything is turned into Python objects.

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "F_SMILE", "kind": "point", "start_s": 1.0}])
    >>> parse_tidy_parquet(write_tidy_parquet(ev)).n_events
    1
    """
    limits = limits or ImportLimits()
    require_data(data, filename)
    limits.check_bytes(len(data), filename)
    if not data.startswith(PARQUET_MAGIC):
        raise InvalidInput("interop.bad_parquet", filename=filename)
    frame = _read_parquet_bounded(data, filename, limits)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInput("interop.missing_columns", columns=", ".join(missing))
    rows = list(range(1, len(frame) + 1))
    return _bundle_from_frame(frame, rows=rows, warnings=[], filename=filename, unit="row")


def _read_parquet_bounded(data: bytes, filename: str, limits: ImportLimits) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
        n_rows, n_columns = int(meta.num_rows), int(meta.num_columns)
    except Exception as exc:  # pyarrow raises several types on a damaged footer
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc
    limits.check_rows(n_rows, filename)
    limits.check_columns(n_columns, filename)
    try:
        schema = pq.read_schema(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types on a damaged footer
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc
    # only the columns we read, and only flat ones: a nested column is not our format
    fields = [f for f in schema if f.name in EVENT_COLUMNS and not pa.types.is_nested(f.type)]
    # every value costs at least 8 bytes once decoded: bounded from the metadata alone
    limits.check_inflated(8 * n_rows * len(fields), filename)
    text = [f.name for f in fields if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    try:
        table = pq.read_table(io.BytesIO(data), columns=[f.name for f in fields], read_dictionary=text)
    except Exception as exc:  # pyarrow raises several types on a damaged file
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc
    limits.check_rows(table.num_rows, filename)
    try:  # a damaged data page may still fail here, e.g. one pointing past its dictionary
        _check_decoded_size(table, filename, limits)
    except pa.ArrowException as exc:
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc
    try:
        # astype(object) materialises every value here, where a damaged string page fails
        return table.to_pandas().astype(object)
    except Exception as exc:  # pyarrow raises several types on a damaged file
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc


def _check_decoded_size(table: Any, filename: str, limits: ImportLimits) -> None:
    """Refuse a table whose longest cell or decoded size is over the limits, measured on each
    text column's dictionary before any value becomes a Python object."""
    import pyarrow as pa
    import pyarrow.compute as pc

    decoded = 0
    for column in table.columns:
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type) and len(chunk.dictionary):
                lengths = pc.binary_length(chunk.dictionary)
                limits.check_cell(int(pc.max(lengths).as_py() or 0), filename)
                valid = chunk.indices.drop_null()
                decoded += int(pc.sum(pc.take(lengths, valid)).as_py() or 0) if len(valid) else 0
            elif pa.types.is_binary(chunk.type) or pa.types.is_large_binary(chunk.type):
                limits.check_cell(int(pc.max(pc.binary_length(chunk)).as_py() or 0), filename)
            decoded += 8 * len(chunk)
            limits.check_inflated(decoded, filename)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[name].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and a mask of values that had to be converted from text."""
    numeric = np.array(
        pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan), copy=True
    )
    numeric[~np.isfinite(numeric)] = np.nan
    text = values.map(lambda v: "" if v is None else str(v).strip()).to_numpy(dtype=object)
    converted = np.zeros(len(values), dtype=bool)
    for i in np.flatnonzero(np.isnan(numeric) & (text != "") & (text != "nan")):
        value = parse_time_text(text[i])
        if value is not None:
            numeric[i] = value
            converted[i] = True
    return numeric, converted


def _bundle_from_frame(
    frame: pd.DataFrame,
    *,
    rows: list[int],
    warnings: list[ImportWarning],
    filename: str = "events.csv",
    unit: str = "line",
) -> ImportBundle:
    """Tidy rows → bundle, all or nothing (DOMAIN §9.7): the first bad row refuses the file,
    named by its ``unit`` (``line`` of a CSV, header = line 1; ``record`` of JSON; ``row`` of
    Parquet) and column."""
    frame = frame.reset_index(drop=True)
    row_no = np.asarray(rows, dtype=int)
    out = pd.DataFrame({c: _column(frame, c) for c in EXPORT_COLUMNS if c not in ("start_s", "end_s")})
    start, start_fixed = _times(frame["start_s"])
    has_end = "end_s" in frame
    end, end_fixed = _times(frame["end_s"]) if has_end else (np.full(len(frame), np.nan), None)
    _warn(
        warnings,
        row_no[start_fixed | (end_fixed if end_fixed is not None else False)],
        "interop.warn.time_text",
    )
    start_text = _column(frame, "start_s").str.strip().to_numpy(dtype=object)
    end_text = _column(frame, "end_s").str.strip().to_numpy(dtype=object)
    problems: list[Problem] = []

    def check(
        mask: np.ndarray, key: str, column: str, params: Callable[[int], dict[str, Any]] | None = None
    ) -> None:
        problems.extend(
            line_problems(mask, row_no, key, filename=filename, column=column, unit=unit, params=params)
        )

    out["cue"] = out["cue"].str.strip()
    check((out["cue"] == "").to_numpy(), "interop.refuse.no_cue", "cue")
    check(np.isnan(start), "interop.refuse.bad_time", "start_s", lambda i: {"value": start_text[i]})
    check(
        (end_text != "") & np.isnan(end), "interop.refuse.bad_time", "end_s", lambda i: {"value": end_text[i]}
    )
    kind = out["kind"].str.strip().str.lower()
    known = kind.isin(["state", "point"]).to_numpy()
    given = (kind != "").to_numpy()
    check(given & ~known, "interop.refuse.bad_kind", "kind", lambda i: {"value": out["kind"].iloc[i]})
    kind = kind.where(known, np.where(np.isnan(end), "point", "state"))
    if "kind" in frame.columns:
        _warn(warnings, row_no[~given], "interop.warn.kind_guessed")
    out["kind"] = kind
    is_state = (kind == "state").to_numpy()
    with np.errstate(invalid="ignore"):
        check(start < 0, "interop.refuse.negative_time", "start_s", lambda i: {"value": start_text[i]})
        check(
            is_state & (end < start),
            "interop.refuse.end_before_start",
            "end_s",
            lambda i: {"start": start_text[i], "end": end_text[i]},
        )
        check(
            is_state & (end == start),
            "interop.refuse.zero_length",
            "end_s",
            lambda i: {"start": start_text[i]},
        )
        check(
            ~is_state & ~np.isnan(end),
            "interop.refuse.point_with_end",
            "end_s",
            lambda i: {"end": end_text[i]},
        )
        duration = pd.to_numeric(_column(frame, "duration_s"), errors="coerce").to_numpy(dtype=float)
        check(
            start > duration,
            "interop.refuse.beyond_session",
            "start_s",
            lambda i: {"value": start_text[i], "end": f"{duration[i]:.3f}"},
        )
        check(
            is_state & (end > duration),
            "interop.refuse.beyond_session",
            "end_s",
            lambda i: {"value": end_text[i], "end": f"{duration[i]:.3f}"},
        )
    schemes = _schemes(frame, out, check)
    # a cue means one thing within its scheme (the file may hold sessions of several schemes)
    meaning = [out["cue"]] if not schemes else [pd.Series([str(k) for k in schemes]), out["cue"]]
    for column, key in (
        ("channel", "interop.refuse.channel_conflict"),
        ("kind", "interop.refuse.kind_conflict"),
    ):
        first = out.groupby(meaning, sort=False)[column].transform("first")
        differs = (out[column] != first).to_numpy() & (out["cue"] != "").to_numpy()
        check(differs, key, column, _conflict(out["cue"], first, out[column]))
    out["start_s"] = start
    out["end_s"] = np.where(is_state, end, np.nan)
    duplicated = out.duplicated(keep="first").to_numpy()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        same = (out.iloc[:i].fillna(-1.0) == out.iloc[i].fillna(-1.0)).all(axis=1).to_numpy()
        earlier = int(row_no[np.flatnonzero(same)[0]])
        check(duplicated, "interop.refuse.duplicate", "session", lambda i: {"first": f"{unit} {earlier}"})
    raise_first(problems)
    extras = frame.loc[out.index]
    observations = []
    for (session, _client, observer), group in out.groupby(["session", "client", "observer"], sort=False):
        first = extras.loc[group.index[0]]
        name = str(session) if out["session"].eq(session).sum() == len(group) else f"{session} / {observer}"
        duration = pd.to_numeric(pd.Series([first.get("duration_s")]), errors="coerce").iloc[0]
        group = group.sort_values("start_s", kind="stable")
        observations.append(
            ImportedObservation(
                name=name,
                events=events_frame(group),
                date=_text(first.get("session_date")),
                duration_s=round(float(duration), 3) if np.isfinite(duration) and duration >= 0 else None,
                # session facts of our own export, so that export → import recreates the session
                attributes={
                    k: _text(first.get(k)) for k in ("counselor", "session_number") if _text(first.get(k))
                },
                source_records=len(group),
                lines=tuple(int(r) for r in row_no[group.index.to_numpy()]),
                scheme=schemes[int(group.index[0])] if schemes else None,
            )
        )
    cues: dict[str, CueDefinition] = {}
    for cue, channel, k in zip(out["cue"], out["channel"], out["kind"], strict=True):
        cues.setdefault(cue, CueDefinition(code=cue, channel=channel, kind=k))
    return ImportBundle(
        source_format="tidy",
        scheme=tuple(cues.values()),
        subjects=tuple(dict.fromkeys(out["subject"])),
        observations=tuple(observations),
        warnings=tuple(warnings),
        file_name=filename,
        line_unit=unit,
    )


def _schemes(
    frame: pd.DataFrame, out: pd.DataFrame, check: Callable[..., None]
) -> list[tuple[str, int | None] | None]:
    """Each row's coding scheme (``scheme``, ``scheme_version`` of our export; none when the
    file has no ``scheme`` column or the cell is blank); a version that is not a whole number
    above 0, or an observation whose rows name different schemes, refuses the file."""
    if "scheme" not in frame.columns:
        return []
    names = _column(frame, "scheme").str.strip()
    version_text = _column(frame, "scheme_version").str.strip()
    numbers = pd.to_numeric(version_text, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(numbers) & (numbers >= 1) & (np.floor(numbers) == numbers)
    given = (version_text != "").to_numpy()
    check(
        (names != "").to_numpy() & given & ~whole,
        "interop.refuse.bad_scheme_version",
        "scheme_version",
        lambda i: {"value": version_text.iloc[i]},
    )
    label = names + " v" + version_text
    observation = out["session"] + "\x00" + out["client"] + "\x00" + out["observer"]
    first = label.groupby(observation, sort=False).transform("first")
    check(
        (label != first).to_numpy(),
        "interop.refuse.scheme_conflict",
        "scheme",
        lambda i: {"expected": _shown(first.iloc[i]), "found": _shown(label.iloc[i])},
    )
    return [
        (name, int(number) if ok and given_ else None) if name else None
        for name, number, ok, given_ in zip(names, numbers, whole, given, strict=True)
    ]


def _shown(label: str) -> str:
    """``"boris-b01 v1"``; ``(none)`` for a row that names no scheme."""
    return label.strip() if not label.startswith(" v") else "(none)"


def _conflict(cues: pd.Series, expected: pd.Series, found: pd.Series) -> Callable[[int], dict[str, Any]]:
    def params(i: int) -> dict[str, Any]:
        return {
            "cue": cues.iloc[i],
            "expected": expected.iloc[i] or "(none)",
            "found": found.iloc[i] or "(none)",
        }

    return params


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _warn(warnings: list[ImportWarning], rows: np.ndarray, key: str, **params: object) -> None:
    if len(rows):
        row_list = [int(r) for r in rows]
        warnings.append(
            ImportWarning(None, key, {"rows": summarize_rows(row_list), "n": len(row_list), **params})
        )


# ------------------------------------------------------------------------------ writers


def _ordered(events: pd.DataFrame) -> pd.DataFrame:
    """Export columns first (missing ones empty), then the known extra columns present."""
    frame = events.copy()
    for col in EXPORT_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan if col in ("start_s", "end_s") else ""
    extras = [c for c in EVENT_COLUMNS if c in frame.columns and c not in EXPORT_COLUMNS]
    return frame[list(EXPORT_COLUMNS) + extras]


def _with_text_times(events: pd.DataFrame) -> pd.DataFrame:
    frame = neutralise_frame(_ordered(events))
    for col in ("start_s", "end_s"):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        frame[col] = [f"{v:.3f}" if np.isfinite(v) else "" for v in values]
    return frame


def write_tidy_csv(events: pd.DataFrame, *, delimiter: str = ",") -> bytes:
    """Tidy events as UTF-8 CSV (times with 3 decimals, ``end_s`` empty for points; text cells
    that a spreadsheet would run as a formula get a leading ``'``, see :mod:`~observe.interop.spreadsheet`).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 1.5}])
    >>> write_tidy_csv(ev).decode().splitlines()[1]
    'S1,,,,,P_NOD,point,1.500,,,'
    """
    # CRLF as RFC 4180 says: a line-ending character inside a cell (even a lone CR) is then quoted
    frame = _with_text_times(events)
    return frame.to_csv(index=False, sep=delimiter, lineterminator="\r\n").encode("utf-8")


def write_tidy_json(events: pd.DataFrame) -> bytes:
    """Tidy events as a JSON list of records (``end_s`` null for points).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 1.5}])
    >>> json.loads(write_tidy_json(ev))[0]["end_s"] is None
    True
    """
    frame = _ordered(events)
    records = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=10))
    for rec in records:
        for col in ("start_s", "end_s"):
            if rec.get(col) is not None:
                rec[col] = round(float(rec[col]), 3)
    return json.dumps(records, ensure_ascii=False, indent=0).encode("utf-8")


def write_tidy_xlsx(events: pd.DataFrame, *, sheet_name: str = "events") -> bytes:
    """Tidy events as an Excel workbook (one sheet, times as numbers, empty ``end_s`` for points,
    formula-like text neutralised).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 1.5}])
    >>> write_tidy_xlsx(ev)[:2]
    b'PK'
    """
    buffer = io.BytesIO()
    frame = _ordered(events)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: v if v is None else str(v))
    frame = neutralise_frame(frame)
    frame.to_excel(buffer, index=False, sheet_name=sheet_name[:31], engine="openpyxl")
    return buffer.getvalue()


def write_tidy_parquet(events: pd.DataFrame) -> bytes:
    """Tidy events as Parquet (pyarrow), columns in export order.

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 1.5}])
    >>> write_tidy_parquet(ev)[:4]
    b'PAR1'
    """
    buffer = io.BytesIO()
    _ordered(events).to_parquet(buffer, index=False)
    return buffer.getvalue()
