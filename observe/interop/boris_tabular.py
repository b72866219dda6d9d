"""BORIS tabular and aggregated event exports: read (all layouts) and write (current layout).

FORMATS.md §2 (tabular: one row per START/STOP/POINT record; the current
one-header layout and the old key/value-block layout) and §3 (aggregated: one row
per occurrence). Columns are found by header name, never by position, because
independent-variable and modifier columns shift them.

Modifiers: BORIS's ``Modifier #i`` columns hold one value per set. A value is read
as ``Modifier #i=value``; a value written by :func:`write_boris_tabular` as
``key=value`` keeps its key, so tidy → BORIS tabular → tidy is lossless.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from observe.errors import InvalidInput
from observe.interop._read import normalize_header, parse_time_text
from observe.interop._states import Record, pair_records, snap_exclusion_gaps
from observe.interop._table import column_index, has_columns, load_table
from observe.interop.bundle import (
    CueDefinition,
    ImportBundle,
    ImportedObservation,
    ImportWarning,
    events_frame,
    format_modifiers,
    parse_modifiers,
    summarize_rows,
)
from observe.interop.limits import ImportLimits
from observe.interop.refuse import Problem, at_line, line_problems, raise_first
from observe.interop.spreadsheet import neutralise_text

#: BORIS's label for events without a focal subject; our frames store it as "".
NO_FOCAL_SUBJECT = "No focal subject"
_MODIFIER_COLUMN = re.compile(r"^modifiers?\s*#?\s*(\d+)$")
_OLD_HEADER = re.compile(r"time.*media file path.*subject.*behaviou?r.*status", re.IGNORECASE)

#: Columns of BORIS 9.12.3's tabular export before the IV columns (FORMATS §2.1).
_HEAD = (
    "Observation id",
    "Observation date",
    "Description",
    "Observation duration",
    "Observation type",
    "Source",
    "Time offset (s)",
    "Media duration (s)",
    "FPS",
)
_TAIL = ("Behavior type", "Time", "Media file name", "Image index", "Image file path", "Comment")

_KNOWN = {
    normalize_header(n)
    for n in (
        *_HEAD,
        *_TAIL,
        "FPS (frame/s)",
        "Subject",
        "Behavior",
        "Behaviour",
        "Behavioral category",
        "Behavioural category",
        "Status",
        "Media file path",
        "Media file",
        "Total length",
        "Modifiers",
        "Coding duration",
        "Observation duration by subject by observation",
        "Start (s)",
        "Stop (s)",
        "Duration (s)",
        "Image index start",
        "Image index stop",
        "Image file path start",
        "Image file path stop",
        "Comment start",
        "Comment stop",
    )
}


def _is_current_header(row: Sequence[str]) -> bool:
    return has_columns("Behavior type", "Time")(row) or has_columns("Behaviour type", "Time")(row)


def _is_old_header(row: Sequence[str]) -> bool:
    cells = [normalize_header(c) for c in row]
    return "time" in cells and "status" in cells and bool(_OLD_HEADER.search("\t".join(cells)))


def _is_tabular_header(row: Sequence[str]) -> bool:
    return _is_current_header(row) or _is_old_header(row)


def _is_aggregated_header(row: Sequence[str]) -> bool:
    return has_columns("Start (s)", "Stop (s)")(row)


def parse_boris_tabular(
    data: bytes, *, filename: str = "events.tsv", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read a BORIS tabular events export (current or old layout; TSV, CSV or XLSX).

    Parameters
    ----------
    data : bytes
        The file's content (UTF-8 with or without BOM, UTF-16, Latin-1; any of tab,
        comma or semicolon as delimiter; or an XLSX workbook).
    filename : str
        Used for the expected delimiter (``.csv`` → comma) and in messages.

    Returns
    -------
    ImportBundle
        One observation per ``Observation id``; START/STOP rows paired per
        (subject, behaviour, modifiers); every fix listed in ``warnings`` with its row.

    Raises
    ------
    InvalidInput
        Empty file, no recognisable header, or a required column is missing.

    Examples
    --------
    >>> tsv = (b"Observation id\\tSubject\\tBehavior\\tBehavior type\\tTime\\n"
    ...        b"o1\\tclient\\tG_EYE\\tSTART\\t1.000\\no1\\tclient\\tG_EYE\\tSTOP\\t2.500\\n")
    >>> parse_boris_tabular(tsv).observations[0].events[["cue", "start_s", "end_s"]].values.tolist()
    [['G_EYE', 1.0, 2.5]]
    """
    table = load_table(data, filename, _is_tabular_header, what="BORIS tabular events", limits=limits)
    warnings = table.warnings
    old = not _is_current_header(table.header)
    cols = _columns(table.header, old=old)
    meta = _old_metadata(table.preamble) if old else {}
    body = table.body
    default_obs = str(meta.get("Observation id") or _stem(filename))
    obs_ids = _text(body, cols.get("obs"), default_obs)
    if cols.get("obs") is None and not old:
        warnings.append(ImportWarning(None, "interop.warn.no_observation_id", {"name": default_obs}))
    frame = pd.DataFrame(
        {
            "_row": body["_row"].to_numpy(),
            "obs": obs_ids,
            "subject": _subjects(_text(body, cols.get("subject"), "")),
            "code": _text(body, cols["behavior"], "").str.strip(),
            "channel": _text(body, cols.get("category"), ""),
            "status": _text(body, cols["status"], "").str.strip().str.upper(),
            "comment": _text(body, cols.get("comment"), ""),
            "modifiers": _modifier_strings(body, _modifier_columns(table.header)),
        }
    )
    frame["time"] = _times(_text(body, cols["time"], ""), body["_row"], warnings)
    frame["time_text"] = _text(body, cols["time"], "").str.strip()
    names = {key: table.header[int(col)].strip() for key, col in cols.items() if col is not None}  # type: ignore[call-overload]
    _refuse_bad_rows(frame, body, filename, names)
    observations = []
    for obs_id, group in frame.groupby("obs", sort=False):
        first = body.loc[group.index[0]] if len(group) else None
        info = _observation_info(str(obs_id), body, cols, first, meta, table.header)
        observations.append(_observation_from_records(str(obs_id), group, info, warnings, filename, names))
    if not observations and meta.get("Observation id"):
        info = _meta_info(meta)
        observations.append(_observation_from_records(default_obs, frame, info, warnings, filename, names))
    return _bundle("boris_tabular", observations, warnings)


def parse_boris_aggregated(
    data: bytes, *, filename: str = "aggregated.tsv", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read a BORIS aggregated events export (one row per occurrence, with a header row).

    Raises
    ------
    InvalidInput
        No header with ``Start (s)`` and ``Stop (s)``, or ``Behavior`` missing.

    Examples
    --------
    >>> tsv = (b"Observation id\\tSubject\\tBehavior\\tBehavior type\\tStart (s)\\tStop (s)\\n"
    ...        b"o1\\tNo focal subject\\ts\\tSTATE\\t1.800\\t8.125\\n")
    >>> parse_boris_aggregated(tsv).observations[0].events[["subject", "cue", "end_s"]].values.tolist()
    [['', 's', 8.125]]
    """
    table = load_table(data, filename, _is_aggregated_header, what="BORIS aggregated events", limits=limits)
    warnings = table.warnings
    header = table.header
    body = table.body
    behavior = column_index(header, "Behavior", "Behaviour")
    if behavior is None:
        raise InvalidInput("interop.missing_columns", columns="Behavior")
    cols = {"obs": column_index(header, "Observation id")}
    default_obs = _stem(filename)
    types = (
        _text(body, column_index(header, "Behavior type", "Behaviour type"), "STATE").str.strip().str.upper()
    )
    frame = pd.DataFrame(
        {
            "_row": body["_row"].to_numpy(),
            "session": _text(body, cols["obs"], default_obs),
            "subject": _subjects(_text(body, column_index(header, "Subject"), "")),
            "cue": _text(body, behavior, "").str.strip(),
            "channel": _text(
                body, column_index(header, "Behavioral category", "Behavioural category"), ""
            ).replace("Not defined", ""),
            "kind": np.where(types == "POINT", "point", "state"),
            "modifiers": _modifier_strings(body, _modifier_columns(header)),
            "comment": _text(body, column_index(header, "Comment start", "Comment"), ""),
        }
    )
    frame["start_s"] = _times(_text(body, column_index(header, "Start (s)"), ""), body["_row"], warnings)
    stop = _times(_text(body, column_index(header, "Stop (s)"), ""), body["_row"], warnings, report=False)
    frame["end_s"] = np.where(frame["kind"] == "state", stop, np.nan)
    _refuse_aggregated(frame, body, header, filename)
    observations = []
    for obs_id, group in frame.groupby("session", sort=False):
        first = body.loc[group.index[0]]
        attrs = _attributes(body.columns, header, first)
        observations.append(
            ImportedObservation(
                name=str(obs_id),
                events=events_frame(group.sort_values("start_s", kind="stable")),
                date=_cell(first, column_index(header, "Observation date")),
                description=_cell(first, column_index(header, "Description")),
                duration_s=_float_or_none(_cell(first, column_index(header, "Coding duration"))),
                attributes=attrs,
                source_records=len(group),
            )
        )
    return _bundle("boris_aggregated", observations, warnings)


# ----------------------------------------------------------------------------- helpers


def _stem(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _columns(header: Sequence[str], *, old: bool) -> dict[str, object]:
    cols: dict[str, object] = {
        "obs": column_index(header, "Observation id"),
        "subject": column_index(header, "Subject"),
        "behavior": column_index(header, "Behavior", "Behaviour", "Code"),
        "category": column_index(header, "Behavioral category", "Behavioural category", "Category"),
        "status": column_index(header, "Status")
        if old
        else column_index(header, "Behavior type", "Behaviour type"),
        "time": column_index(header, "Time", "Time (s)"),
        "comment": column_index(header, "Comment"),
    }
    required = {"behavior": "Behavior", "status": "Status" if old else "Behavior type", "time": "Time"}
    missing = [name for key, name in required.items() if cols[key] is None]
    if missing:
        raise InvalidInput("interop.missing_columns", columns=", ".join(missing))
    return cols


def _modifier_columns(header: Sequence[str]) -> list[tuple[int, int]]:
    """``(column, set number)`` of ``Modifier #i`` / ``Modifier i`` columns; one ``Modifiers`` column = set 0."""
    found = []
    for i, name in enumerate(header):
        norm = normalize_header(name)
        match = _MODIFIER_COLUMN.match(norm)
        if match:
            found.append((i, int(match.group(1))))
        elif norm == "modifiers":
            found.append((i, 0))
    return found


def _text(body: pd.DataFrame, col: object, default: str) -> pd.Series:
    if col is None:
        return pd.Series([default] * len(body), index=body.index, dtype=object)
    return body[col].astype(str)


def _subjects(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    return stripped.where(stripped != NO_FOCAL_SUBJECT, "")


def _modifier_strings(body: pd.DataFrame, columns: Sequence[tuple[int, int]]) -> pd.Series:
    """``"k=v;k=v"`` per row from the ``Modifier #i`` columns (vectorised; see module docstring)."""
    result = np.full(len(body), "", dtype=object)
    for col, number in columns:
        if number == 0:  # an old single "Modifiers" column holds the whole "a|b" string
            parts = np.array(
                [
                    format_modifiers((f"Modifier #{k + 1}", v) for k, v in enumerate(raw.split("|")))
                    for raw in body[col].astype(str)
                ],
                dtype=object,
            )
        else:
            values = body[col].astype(str).str.strip()
            unset = values.isin(["", "None", "NA", "nan"]).to_numpy()
            keyed = values.str.match(r"^[^=]+=.").to_numpy()
            parts = np.where(
                unset,
                "",
                np.where(
                    keyed,
                    values.to_numpy(dtype=object),
                    f"Modifier #{number}=" + values.to_numpy(dtype=object),
                ),
            )
        glue = np.where((result != "") & (parts != ""), ";", "")
        result = result + glue + parts
    return pd.Series(result, index=body.index, dtype=object)


def _times(
    values: pd.Series, rows: pd.Series, warnings: list[ImportWarning], report: bool = True
) -> pd.Series:
    """Seconds from text: numbers directly; ``12,5`` or ``00:00:12.5`` converted (reported)."""
    numeric = pd.to_numeric(values.str.strip(), errors="coerce")
    numeric = numeric.where(np.isfinite(numeric))
    retry = numeric.isna() & (values.str.strip() != "")
    if retry.any():
        converted = values[retry].map(parse_time_text)
        fixed = converted.notna()
        numeric.loc[converted.index[fixed]] = converted[fixed].astype(float)
        if report and fixed.any():
            _warn_rows(warnings, rows.loc[converted.index[fixed]], "interop.warn.time_text")
    return numeric.astype(float)


def _warn_rows(
    warnings: list[ImportWarning], rows: pd.Series | Sequence[int], key: str, **params: object
) -> None:
    row_list = [int(r) for r in rows]
    if row_list:
        warnings.append(
            ImportWarning(None, key, {"rows": summarize_rows(row_list), "n": len(row_list), **params})
        )


def _refuse_bad_rows(
    frame: pd.DataFrame, body: pd.DataFrame, filename: str, names: Mapping[str, str]
) -> None:
    """All or nothing (DOMAIN §9.7): the first bad record refuses the file, by line and column."""
    lines = frame["_row"].to_numpy()
    time_text = frame["time_text"].to_numpy(dtype=object)
    problems: list[Problem] = []

    def check(mask: pd.Series, key: str, column: str, params: Any = None) -> None:
        problems.extend(
            line_problems(
                mask.to_numpy(dtype=bool),
                lines,
                key,
                filename=filename,
                column=names.get(column, column),
                params=params,
            )
        )

    duplicated = body.drop(columns="_row").duplicated(keep="first")
    if duplicated.any():
        i = int(np.flatnonzero(duplicated.to_numpy())[0])
        row = body.drop(columns="_row").iloc[i]
        earlier = int(
            lines[np.flatnonzero((body.drop(columns="_row").iloc[:i] == row).all(axis=1).to_numpy())[0]]
        )
        check(duplicated, "interop.refuse.duplicate", "time", lambda _i: {"first": f"line {earlier}"})
    check(frame["time"].isna(), "interop.refuse.bad_time", "time", lambda i: {"value": time_text[i]})
    check(frame["time"] < 0, "interop.refuse.negative_time", "time", lambda i: {"value": time_text[i]})
    check(frame["code"] == "", "interop.refuse.no_cue", "behavior")
    statuses = frame["status"].to_numpy(dtype=object)
    check(
        ~frame["status"].isin(["START", "STOP", "POINT"]),
        "interop.refuse.bad_status",
        "status",
        lambda i: {"value": statuses[i]},
    )
    coded = frame["code"] != ""
    kinds = frame["status"].map({"START": "state", "STOP": "state", "POINT": "point"}).fillna("")
    for column, values, key in (
        ("category", frame["channel"], "interop.refuse.channel_conflict"),
        ("status", kinds, "interop.refuse.kind_conflict"),
    ):
        known = values != ""
        first = values.where(known).groupby(frame["code"]).transform("first").fillna("")
        differs = coded & known & (first != "") & (values != first)
        check(differs, key, column, _conflict(frame["code"], first, values))
    raise_first(problems)


def _conflict(codes: pd.Series, expected: pd.Series, found: pd.Series) -> Callable[[int], dict[str, Any]]:
    def params(i: int) -> dict[str, Any]:
        return {
            "cue": codes.iloc[i],
            "expected": expected.iloc[i] or "(none)",
            "found": found.iloc[i] or "(none)",
        }

    return params


def _refuse_aggregated(frame: pd.DataFrame, body: pd.DataFrame, header: Sequence[str], filename: str) -> None:
    lines = frame["_row"].to_numpy()
    problems: list[Problem] = []
    start_text = _text(body, column_index(header, "Start (s)"), "").str.strip().to_numpy(dtype=object)
    stop_text = _text(body, column_index(header, "Stop (s)"), "").str.strip().to_numpy(dtype=object)

    def check(mask: pd.Series, key: str, column: str, params: Any = None) -> None:
        problems.extend(
            line_problems(
                mask.to_numpy(dtype=bool), lines, key, filename=filename, column=column, params=params
            )
        )

    state = frame["kind"] == "state"
    check(frame["cue"] == "", "interop.refuse.no_cue", "Behavior")
    check(frame["start_s"].isna(), "interop.refuse.bad_time", "Start (s)", lambda i: {"value": start_text[i]})
    check(
        state & frame["end_s"].isna(),
        "interop.refuse.bad_time",
        "Stop (s)",
        lambda i: {"value": stop_text[i]},
    )
    check(
        frame["start_s"] < 0, "interop.refuse.negative_time", "Start (s)", lambda i: {"value": start_text[i]}
    )
    ends = lambda i: {"start": start_text[i], "end": stop_text[i]}  # noqa: E731
    check(state & (frame["end_s"] < frame["start_s"]), "interop.refuse.end_before_start", "Stop (s)", ends)
    check(
        state & (frame["end_s"] == frame["start_s"]),
        "interop.refuse.zero_length",
        "Stop (s)",
        lambda i: {"start": start_text[i]},
    )
    duplicated = body.drop(columns="_row").duplicated(keep="first")
    check(duplicated, "interop.refuse.duplicate", "Behavior", lambda i: {"first": "an earlier line"})
    raise_first(problems)


def _observation_from_records(
    obs_id: str,
    group: pd.DataFrame,
    info: dict[str, object],
    warnings: list[ImportWarning],
    filename: str = "events.tsv",
    names: Mapping[str, str] | None = None,
) -> ImportedObservation:
    times = group["time"].to_numpy(dtype=float)
    if len(times) > 1 and (np.diff(times) < 0).any():
        warnings.append(ImportWarning(None, "interop.warn.unsorted", {"session": obs_id}))
        group = group.sort_values("time", kind="stable")
    duration = info.get("duration")
    end_s = duration if isinstance(duration, float) else None
    time_column = (names or {}).get("time", "Time")
    if end_s is not None:
        beyond = group["time"].to_numpy(dtype=float) > end_s + 1e-9
        texts = (
            group["time_text"].to_numpy(dtype=object) if "time_text" in group else group["time"].to_numpy()
        )
        raise_first(
            line_problems(
                beyond,
                group["_row"].to_numpy(),
                "interop.refuse.beyond_session",
                filename=filename,
                column=time_column,
                params=lambda i: {"value": texts[i], "end": f"{end_s:.3f}"},
            )
        )
    events = _pair_clean(obs_id, group)
    if events is None:  # something to fix: the record-by-record path reports each repair
        paired = pair_records(_records(group), session=obs_id, end_s=end_s)
        if paired.zero_length:
            line = paired.zero_length[0]
            raise_first(
                [
                    Problem(
                        (line,),
                        "interop.refuse.zero_length",
                        at_line(filename, line, time_column),
                        {"start": f"{paired.zero_length_times[0]:.3f}"},
                    )
                ]
            )
        warnings.extend(paired.warnings)
        events = events_frame(paired.rows)
    events, snapped = snap_exclusion_gaps(events, session=obs_id)
    warnings.extend(snapped)
    return ImportedObservation(
        name=obs_id,
        events=events,
        date=str(info.get("date", "")),
        description=str(info.get("description", "")),
        media=tuple(info.get("media", ())),  # type: ignore[arg-type]
        duration_s=end_s,
        attributes=dict(info.get("attributes", {})),  # type: ignore[call-overload]
        source_records=len(group),
    )


def _records(group: pd.DataFrame) -> list[Record]:
    return [
        Record(int(r), float(t), s, c, m, st, cm, ch, m)
        for r, t, s, c, m, st, cm, ch in zip(
            group["_row"],
            group["time"],
            group["subject"],
            group["code"],
            group["modifiers"],
            group["status"],
            group["comment"],
            group["channel"],
            strict=True,
        )
    ]


def _pair_clean(obs_id: str, group: pd.DataFrame) -> pd.DataFrame | None:
    """Vectorised pairing when every (subject, behaviour, modifiers) alternates START, STOP, … evenly.

    Returns None when anything needs a repair (orphan STOP, unpaired START, restart),
    so the slower record-by-record path can report it. Same result as
    :func:`~observe.interop._states.pair_records` on clean input.
    """
    is_point = (group["status"] == "POINT").to_numpy()
    states = group[~is_point]
    if len(states) % 2:
        return None
    keys = [states["subject"], states["code"], states["modifiers"]]
    key_id = states.groupby(keys, sort=False).ngroup().to_numpy()
    position = states.groupby(keys, sort=False).cumcount().to_numpy()
    if not np.array_equal((states["status"] == "START").to_numpy(), position % 2 == 0):
        return None
    if (np.bincount(key_id) % 2).any():
        return None
    ordered = states.iloc[np.lexsort((position, key_id))]
    starts, stops = ordered.iloc[0::2], ordered.iloc[1::2]
    if (starts["time"].to_numpy() == stops["time"].to_numpy()).any():
        return None  # a zero-length state: the record path names its line
    first, second = starts["comment"].to_numpy(dtype=object), stops["comment"].to_numpy(dtype=object)
    comment = np.where(second == "", first, np.where(first == "", second, first + " " + second))
    points = group[is_point]
    frame = pd.DataFrame(
        {
            "session": obs_id,
            "subject": np.concatenate(
                [starts["subject"].to_numpy(dtype=object), points["subject"].to_numpy(dtype=object)]
            ),
            "channel": np.concatenate(
                [starts["channel"].to_numpy(dtype=object), points["channel"].to_numpy(dtype=object)]
            ),
            "cue": np.concatenate(
                [starts["code"].to_numpy(dtype=object), points["code"].to_numpy(dtype=object)]
            ),
            "kind": np.array(["state"] * len(starts) + ["point"] * len(points), dtype=object),
            "start_s": np.concatenate(
                [starts["time"].to_numpy(dtype=float), points["time"].to_numpy(dtype=float)]
            ),
            "end_s": np.concatenate([stops["time"].to_numpy(dtype=float), np.full(len(points), np.nan)]),
            "modifiers": np.concatenate(
                [starts["modifiers"].to_numpy(dtype=object), points["modifiers"].to_numpy(dtype=object)]
            ),
            "comment": np.concatenate([comment, points["comment"].to_numpy(dtype=object)]),
        }
    )
    frame = frame.sort_values(["start_s", "subject", "cue"], kind="stable").reset_index(drop=True)
    return events_frame(frame)


def _cell(row: pd.Series | None, col: object) -> str:
    if row is None or col is None:
        return ""
    return str(row[col]).strip()


def _float_or_none(text: str) -> float | None:
    value = parse_time_text(text) if text and text != "NA" else None
    return round(value, 3) if value is not None and value >= 0 else None


def _attributes(columns: Sequence[object], header: Sequence[str], row: pd.Series) -> dict[str, str]:
    """Independent variables: the header cells that are not BORIS's own columns."""
    attrs = {}
    for i, name in enumerate(header):
        norm = normalize_header(name)
        if name.strip() and norm not in _KNOWN and not _MODIFIER_COLUMN.match(norm) and i in columns:
            attrs[name.strip()] = str(row[i]).strip()
    return attrs


def _observation_info(
    obs_id: str,
    body: pd.DataFrame,
    cols: Mapping[str, object],
    first: pd.Series | None,
    meta: Mapping[str, object],
    header: Sequence[str],
) -> dict[str, object]:
    if meta:
        info = _meta_info(meta)
        info["duration"] = _float_or_none(_cell(first, column_index(header, "Total length")))
        return info
    duration = _float_or_none(_cell(first, column_index(header, "Observation duration")))
    media_col = column_index(header, "Media file name")
    media: tuple[str, ...] = ()
    if media_col is not None:
        media = tuple(
            dict.fromkeys(
                m
                for m in body.loc[body[cols["obs"]] == obs_id, media_col]
                if m not in ("", "NA", "Not found")
            )
            if cols.get("obs") is not None
            else dict.fromkeys(m for m in body[media_col] if m not in ("", "NA", "Not found"))
        )
    return {
        "date": _cell(first, column_index(header, "Observation date")),
        "description": _cell(first, column_index(header, "Description")),
        "duration": duration,
        "media": media,
        "attributes": _attributes(list(body.columns), header, first) if first is not None else {},
    }


def _old_metadata(preamble: Sequence[Sequence[str]]) -> dict[str, object]:
    """The key/value block above an old-layout header (FORMATS §2.2)."""
    meta: dict[str, object] = {}
    attributes: dict[str, str] = {}
    media: list[str] = []
    in_ivs = False
    for row in preamble:
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        key = cells[0]
        value = cells[1] if len(cells) > 1 else ""
        if key == "independent variables":
            in_ivs = True
        elif in_ivs and key == "variable" and value == "value":
            continue
        elif in_ivs:
            attributes[key] = value
        elif key.startswith("Player #"):
            media.append(value)
        elif key in ("Observation id", "Observation date", "Description", "Time offset (s)"):
            meta[key] = value
    meta["attributes"] = attributes
    meta["media"] = tuple(media)
    return meta


def _meta_info(meta: Mapping[str, object]) -> dict[str, object]:
    return {
        "date": meta.get("Observation date", ""),
        "description": meta.get("Description", ""),
        "duration": None,
        "media": meta.get("media", ()),
        "attributes": meta.get("attributes", {}),
    }


def _bundle(fmt: str, observations: list[ImportedObservation], warnings: list[ImportWarning]) -> ImportBundle:
    cues: dict[str, CueDefinition] = {}
    subjects: dict[str, None] = {}
    for obs in observations:
        ev = obs.events
        for cue, channel, kind, subject in zip(
            ev["cue"], ev["channel"], ev["kind"], ev["subject"], strict=True
        ):
            subjects.setdefault(subject, None)
            known = cues.get(cue)
            if known is None or (kind == "state" and known.kind != "state"):
                cues[cue] = CueDefinition(code=cue, channel=channel, kind=kind)
    return ImportBundle(
        source_format=fmt,
        scheme=tuple(cues.values()),
        subjects=tuple(subjects),
        observations=tuple(observations),
        warnings=tuple(warnings),
    )


# ------------------------------------------------------------------------------ writer


def write_boris_tabular(
    events: pd.DataFrame,
    *,
    delimiter: str = "\t",
    attributes: Mapping[str, Mapping[str, str]] | None = None,
    dates: Mapping[str, str] | None = None,
) -> bytes:
    """Write tidy events in BORIS's current tabular layout (TSV by default, CSV with ``delimiter=","``).

    Each state becomes a START and a STOP row, each point a POINT row, in time
    order per observation (STOP before START at the same time); text a spreadsheet would
    run as a formula gets a leading ``'`` (our reader removes it). Observations are
    written as live observations; ``attributes`` (session → {label: value}) become
    the independent-variable columns. Modifier pairs go into ``Modifier #i``
    columns (``value`` for a key named ``Modifier #i``, else ``key=value``).

    Examples
    --------
    >>> ev = events_frame([{"session": "s1", "subject": "", "cue": "p", "kind": "point", "start_s": 2.0}])
    >>> write_boris_tabular(ev).decode().splitlines()[1].split("\\t")[9:14]
    ['No focal subject', 'p', '', 'POINT', '2.000']
    """
    frame = events_frame(events)
    attributes = attributes or {}
    iv_labels = list(dict.fromkeys(label for ivs in attributes.values() for label in ivs))
    pairs = [parse_modifiers(m) for m in frame["modifiers"]]
    n_mod = max((len(p) for p in pairs), default=0)
    header = [*_HEAD, *iv_labels, "Subject", "Behavior", "Behavioral category"]
    header += [f"Modifier #{i + 1}" for i in range(n_mod)] + list(_TAIL)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_text(h) for h in header])
    rows: list[tuple[str, float, int, list[str]]] = []
    durations = _durations(frame)
    for i, ev in enumerate(frame.itertuples(index=False)):
        session = str(ev.session)
        ivs = attributes.get(session, {})
        head = [
            session,
            (dates or {}).get(session, ""),
            "",
            f"{durations[session]:.3f}",
            "Live observation",
            "NA",
            "0.0",
            "NA",
            "NA",
            *[_flat(ivs.get(label, "")) for label in iv_labels],
            ev.subject or NO_FOCAL_SUBJECT,
            ev.cue,
            ev.channel,
            *[_mod_cell(k, v, j) for j, (k, v) in enumerate(pairs[i])],
            *[""] * (n_mod - len(pairs[i])),
        ]
        comment = _flat(ev.comment)
        if ev.kind == "state":
            rows.append(
                (session, ev.start_s, 1, [*head, "START", f"{ev.start_s:.3f}", "NA", "NA", "NA", comment])
            )
            if not math.isnan(ev.end_s):
                rows.append((session, ev.end_s, 0, [*head, "STOP", f"{ev.end_s:.3f}", "NA", "NA", "NA", ""]))
        else:
            rows.append(
                (session, ev.start_s, 1, [*head, "POINT", f"{ev.start_s:.3f}", "NA", "NA", "NA", comment])
            )
    order = {s: k for k, s in enumerate(dict.fromkeys(frame["session"]))}
    rows.sort(key=lambda r: (order[r[0]], r[1], r[2]))
    writer.writerows([neutralise_text(str(c)) for c in r[3]] for r in rows)
    return out.getvalue().encode("utf-8")


def _durations(frame: pd.DataFrame) -> dict[str, float]:
    ends = frame[["start_s", "end_s"]].max(axis=1)
    return {str(s): float(g.max()) if len(g) else 0.0 for s, g in ends.groupby(frame["session"], sort=False)}


def _flat(text: str) -> str:
    """BORIS replaces newlines by spaces in exported text."""
    return re.sub(r"[\r\n]+", " ", str(text))


def _mod_cell(key: str, value: str, index: int) -> str:
    return value if key == f"Modifier #{index + 1}" else f"{key}={value}"
