"""Our own tidy events format: CSV, JSON, XLSX and Parquet, read and written losslessly.

The columns are :data:`observe.frames.EXPORT_COLUMNS` (then any of
:data:`~observe.frames.EXTRA_COLUMNS`); ``end_s`` is empty for points; modifiers
are ``"k=v;k=v"``; times are seconds written with 3 decimals (milliseconds, the
precision of the whole app), so export → import returns the same events.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from observe.errors import InvalidInput
from observe.frames import EVENT_COLUMNS, EXPORT_COLUMNS
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
    return _bundle_from_frame(frame, rows=frame["_row"].tolist(), warnings=table.warnings)


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
    return _bundle_from_frame(frame, rows=list(range(1, len(frame) + 1)), warnings=warnings)


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
    return _bundle_from_frame(frame, rows=list(range(1, len(frame) + 1)), warnings=[])


def _read_parquet_bounded(data: bytes, filename: str, limits: ImportLimits) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
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
    try:
        # astype(object) materialises every value here, where a damaged string page fails
        return table.to_pandas().astype(object)
    except Exception as exc:  # pyarrow raises several types on a damaged file
        raise InvalidInput("interop.bad_parquet", filename=filename) from exc


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
    frame: pd.DataFrame, *, rows: list[int], warnings: list[ImportWarning]
) -> ImportBundle:
    frame = frame.reset_index(drop=True)
    row_no = np.asarray(rows, dtype=int)
    out = pd.DataFrame({c: _column(frame, c) for c in EXPORT_COLUMNS if c not in ("start_s", "end_s")})
    start, start_fixed = _times(frame["start_s"])
    end, end_fixed = _times(frame["end_s"]) if "end_s" in frame else (np.full(len(frame), np.nan), None)
    _warn(
        warnings,
        row_no[start_fixed | (end_fixed if end_fixed is not None else False)],
        "interop.warn.time_text",
    )
    kind = out["kind"].str.strip().str.lower()
    guessed = ~kind.isin(["state", "point"]).to_numpy()
    kind = kind.where(~guessed, np.where(np.isnan(end), "point", "state"))
    if "kind" in frame.columns:
        _warn(warnings, row_no[guessed], "interop.warn.kind_guessed")
    out["kind"] = kind
    out["cue"] = out["cue"].str.strip()
    bad = np.isnan(start) | (out["cue"] == "").to_numpy()
    is_state = (kind == "state").to_numpy()
    reversed_state = is_state & ~np.isnan(end) & (end < start)
    _warn(warnings, row_no[bad | reversed_state], "interop.warn.skipped_rows")
    negative = ~bad & (start < 0)
    _warn(warnings, row_no[negative], "interop.warn.negative_time", session="")
    start = np.where(negative, 0.0, start)
    end = np.where(is_state, end, np.nan)
    out["start_s"] = start
    out["end_s"] = end
    keep = ~(bad | reversed_state)
    out, row_no = out[keep], row_no[keep]
    duplicated = out.duplicated(keep="first").to_numpy()
    _warn(warnings, row_no[duplicated], "interop.warn.duplicates")
    out = out[~duplicated]
    extras = frame.loc[out.index]
    observations = []
    for (session, _client, observer), group in out.groupby(["session", "client", "observer"], sort=False):
        first = extras.loc[group.index[0]]
        name = str(session) if out["session"].eq(session).sum() == len(group) else f"{session} / {observer}"
        duration = pd.to_numeric(pd.Series([first.get("duration_s")]), errors="coerce").iloc[0]
        observations.append(
            ImportedObservation(
                name=name,
                events=events_frame(group.sort_values("start_s", kind="stable")),
                date=_text(first.get("session_date")),
                duration_s=round(float(duration), 3) if np.isfinite(duration) and duration >= 0 else None,
                # session facts of our own export, so that export → import recreates the session
                attributes={
                    k: _text(first.get(k)) for k in ("counselor", "session_number") if _text(first.get(k))
                },
                source_records=len(group),
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
    )


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
    frame = _ordered(events)
    for col in ("start_s", "end_s"):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        frame[col] = [f"{v:.3f}" if np.isfinite(v) else "" for v in values]
    return frame


def write_tidy_csv(events: pd.DataFrame, *, delimiter: str = ",") -> bytes:
    """Tidy events as UTF-8 CSV (times with 3 decimals, ``end_s`` empty for points).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "cue": "P_NOD", "kind": "point", "start_s": 1.5}])
    >>> write_tidy_csv(ev).decode().splitlines()[1]
    'S1,,,,,P_NOD,point,1.500,,,'
    """
    return _with_text_times(events).to_csv(index=False, sep=delimiter, lineterminator="\n").encode("utf-8")


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
    """Tidy events as an Excel workbook (one sheet, times as numbers, empty ``end_s`` for points).

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
