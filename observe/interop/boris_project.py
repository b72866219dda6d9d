"""BORIS project files (``.boris``, JSON, optionally gzip): read and write (FORMATS.md §1).

Reading turns the ethogram into cue definitions, keeps subjects and independent
variables, and converts each observation's START/STOP toggles into intervals the
way BORIS derives them: per (subject, code, modifier string), in list order after
a stable sort by time, the even-numbered record starts and the odd-numbered one
stops (FORMATS §1.3). Writing does the reverse so BORIS can open the result.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from observe.errors import InvalidInput
from observe.interop._read import load_json
from observe.interop._states import Record, pair_records, snap_exclusion_gaps
from observe.interop.bundle import (
    CueDefinition,
    ImportBundle,
    ImportedObservation,
    ImportWarning,
    events_frame,
    format_modifiers,
    is_missing,
    parse_modifiers,
)
from observe.interop.limits import ImportLimits
from observe.interop.refuse import Problem, raise_first
from observe.interop.spreadsheet import neutralise_text, restore_text

#: Characters BORIS forbids in modifier values (FORMATS §1.1).
_FORBIDDEN_IN_VALUES = re.compile(r"[()|,`~]")
#: A modifier value's shortcut suffix, e.g. ``"smile (s)"`` → ``"smile"`` (FORMATS §1.1).
_SHORTCUT_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
_MEDIA_TYPES = {"MEDIA", "LIVE", "IMAGES"}


def parse_boris_project(
    data: bytes, *, filename: str = "project.boris", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read a BORIS project (JSON or gzip-compressed JSON) into an :class:`ImportBundle`.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Shown in error messages.

    Returns
    -------
    ImportBundle
        One observation per BORIS observation; states paired, unpaired ones closed
        at the observation end (reported), points kept as points.

    Raises
    ------
    InvalidInput
        Empty, truncated or non-JSON data, or JSON that is not a BORIS project.

    Examples
    --------
    >>> raw = (b'{"project_format_version": "7.0", "behaviors_conf": {"0": {"code": "s", '
    ...        b'"type": "State event"}}, "observations": {"o1": {"type": "LIVE", '
    ...        b'"events": [[1.0, "", "s", "", ""], [3.5, "", "s", "", ""]]}}}')
    >>> b = parse_boris_project(raw, filename="x.boris")
    >>> b.observations[0].events[["cue", "kind", "start_s", "end_s"]].values.tolist()
    [['s', 'state', 1.0, 3.5]]
    """
    limits = limits or ImportLimits()
    warnings: list[ImportWarning] = []
    project = load_json(data, filename, warnings, limits)
    if not isinstance(project, dict) or not (
        "project_format_version" in project or ("behaviors_conf" in project and "observations" in project)
    ):
        raise InvalidInput("interop.boris.not_project", filename=filename)
    cues = _read_ethogram(project.get("behaviors_conf"), warnings)
    by_code = {c.code: c for c in cues}
    subjects = [s["name"] for s in _indexed(project.get("subjects_conf")) if isinstance(s.get("name"), str)]
    raw_obs = project.get("observations") or {}
    if not isinstance(raw_obs, dict):
        raise InvalidInput("interop.boris.not_project", filename=filename)
    limits.check_rows(
        sum(
            len(o["events"])
            for o in raw_obs.values()
            if isinstance(o, dict) and isinstance(o.get("events"), list)
        ),
        filename,
    )
    observations = []
    for obs_id, obs in raw_obs.items():
        if not isinstance(obs, dict):
            where = f"{filename}, observation {obs_id}"
            raise InvalidInput("interop.refuse.bad_observation", where=where)
        observations.append(_read_observation(str(obs_id), obs, by_code, warnings, filename))
    used = {s for o in observations for s in o.events["subject"]}
    subjects += sorted(s for s in used if s not in subjects)
    return ImportBundle(
        source_format="boris_project",
        scheme=tuple(cues),
        subjects=tuple(subjects),
        observations=tuple(observations),
        warnings=tuple(warnings),
    )


def _indexed(conf: Any) -> list[dict[str, Any]]:
    """BORIS config dicts are keyed ``"0"``, ``"1"``, …: their values in ``int(key)`` order."""
    if isinstance(conf, list):
        return [v for v in conf if isinstance(v, dict)]
    if not isinstance(conf, dict):
        return []

    def order(key: str) -> tuple[int, str]:
        return (int(key), "") if str(key).isdecimal() else (1 << 30, str(key))  # "²".isdigit(), yet no int

    return [conf[k] for k in sorted(conf, key=order) if isinstance(conf[k], dict)]


def _read_ethogram(conf: Any, warnings: list[ImportWarning]) -> list[CueDefinition]:
    cues: list[CueDefinition] = []
    seen: set[str] = set()
    for i, behaviour in enumerate(_indexed(conf)):
        code = behaviour.get("code")
        if not isinstance(code, str) or not code.strip() or code in seen:
            warnings.append(ImportWarning(None, "interop.warn.bad_behavior", {"index": i}))
            continue
        seen.add(code)
        kind_text = str(behaviour.get("type", ""))
        kind = "state" if "state" in kind_text.lower() else "point"
        excluded = tuple(x.strip() for x in str(behaviour.get("excluded") or "").split(",") if x.strip())
        cues.append(
            CueDefinition(
                code=code,
                channel=str(behaviour.get("category") or ""),
                kind=kind,
                key=str(behaviour.get("key") or ""),
                description=str(behaviour.get("description") or ""),
                modifiers=_read_modifier_sets(behaviour.get("modifiers")),
                excluded=excluded,
            )
        )
    return cues


def _read_modifier_sets(conf: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if isinstance(conf, str):
        # Very old projects: one set as a comma-separated string.
        values = tuple(_clean_value(v) for v in conf.split(",") if v.strip())
        return (("Modifier #1", values),) if values else ()
    sets: list[tuple[str, tuple[str, ...]]] = []
    names: set[str] = set()
    for i, mod in enumerate(_indexed(conf)):
        name = str(mod.get("name") or "").strip()
        if not name or name in names:
            name = f"Modifier #{i + 1}"
        names.add(name)
        raw = mod.get("values")
        raw_values: list[Any] = raw if isinstance(raw, list) else []
        sets.append((name, tuple(_clean_value(str(v)) for v in raw_values)))
    return tuple(sets)


def _clean_value(value: str) -> str:
    return _SHORTCUT_SUFFIX.sub("", value).strip()


def _to_time(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        t = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return t if math.isfinite(t) else None


def _event_problem(filename: str, obs_id: str, index: int, key: str, **params: Any) -> Problem:
    """A refused event record, named by observation and 1-based event index (a project has no lines)."""
    return Problem((index,), key, f"{filename}, observation {obs_id}, event {index}", params)


def _read_observation(
    obs_id: str,
    obs: dict[str, Any],
    by_code: Mapping[str, CueDefinition],
    warnings: list[ImportWarning],
    filename: str = "project.boris",
) -> ImportedObservation:
    """One observation's events, all or nothing (DOMAIN §9.7): a damaged record, a negative
    time, a time past the observation's end, an exact duplicate or a zero-length state refuses
    the file, naming the observation and the event index."""
    obs_type = str(obs.get("type") or "MEDIA").upper()
    if obs_type not in _MEDIA_TYPES:
        obs_type = "MEDIA"
    media = _media_files(obs.get("file"))
    duration = _observation_end(obs, media)
    events_value = obs.get("events")
    raw_events: list[Any] = events_value if isinstance(events_value, list) else []
    parsed: list[tuple[float, int, str, str, str, str]] = []
    problems: list[Problem] = []
    unknown: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    for i, rec in enumerate(raw_events, start=1):
        if not isinstance(rec, (list, tuple)) or len(rec) < 3:
            problems.append(_event_problem(filename, obs_id, i, "interop.refuse.bad_record"))
            break
        time = _to_time(rec[0])
        code = rec[2]
        if time is None or not isinstance(code, str) or not code:
            problems.append(_event_problem(filename, obs_id, i, "interop.refuse.bad_record"))
            break
        if time < 0:
            problems.append(_event_problem(filename, obs_id, i, "interop.refuse.negative_time", value=time))
            break
        if duration is not None and time > duration + 1e-9:
            problems.append(
                _event_problem(
                    filename, obs_id, i, "interop.refuse.beyond_session", value=time, end=f"{duration:.3f}"
                )
            )
            break
        identity = json.dumps(rec, default=str)
        if identity in seen and (by_code.get(code) is None or by_code[code].kind == "point"):
            first = f"event {seen[identity]}"
            problems.append(_event_problem(filename, obs_id, i, "interop.refuse.duplicate", first=first))
            break
        seen.setdefault(identity, i)
        subject = "" if is_missing(rec[1]) else str(rec[1])
        modifier = "" if len(rec) < 4 or is_missing(rec[3]) else str(rec[3])
        comment = "" if len(rec) < 5 or is_missing(rec[4]) else restore_text(str(rec[4]))
        if code not in by_code:
            unknown.setdefault(code, []).append(i)
        parsed.append((time, i, subject, code, modifier, comment))
    raise_first(problems)
    for code, rows in unknown.items():
        warnings.append(
            ImportWarning(
                None, "interop.warn.code_not_in_ethogram", {"code": code, "session": obs_id, "n": len(rows)}
            )
        )
    # BORIS sorts the events by time when it opens a project; Python's sort is stable,
    # so records at the same time keep their list order, as in BORIS.
    parsed.sort(key=lambda r: r[0])
    records = []
    parity: dict[tuple[str, str, str], int] = {}
    for time, row, subject, code, modifier, comment in parsed:
        cue = by_code.get(code)
        # Old files may pad modifiers with spaces; strip before pairing (FORMATS §1.4).
        pair_key = "|".join(part.strip() for part in modifier.split("|"))
        tidy_mods = _tidy_modifiers(pair_key, cue)
        if cue is None or cue.kind == "point":
            status = "POINT"
        else:
            key = (subject, code, pair_key)
            status = "START" if parity.get(key, 0) % 2 == 0 else "STOP"
            parity[key] = parity.get(key, 0) + 1
        records.append(
            Record(row, time, subject, code, tidy_mods, status, comment, cue.channel if cue else "", pair_key)
        )
    paired = pair_records(records, session=obs_id, end_s=duration, unit="event")  # no rows: events
    if paired.zero_length:
        start = f"{paired.zero_length_times[0]:.3f}"
        raise_first(
            [
                _event_problem(
                    filename, obs_id, paired.zero_length[0], "interop.refuse.zero_length", start=start
                )
            ]
        )
    warnings.extend(paired.warnings)
    events, snapped = snap_exclusion_gaps(events_frame(paired.rows), session=obs_id)
    warnings.extend(snapped)
    ivs = obs.get("independent_variables")
    attributes = (
        {str(k): "" if v is None else str(v) for k, v in ivs.items()} if isinstance(ivs, dict) else {}
    )
    return ImportedObservation(
        name=obs_id,
        events=events,
        date=str(obs.get("date") or ""),
        description=str(obs.get("description") or ""),
        media=tuple(media),
        duration_s=duration,
        attributes=attributes,
        source_records=len(raw_events),
    )


def _tidy_modifiers(pair_key: str, cue: CueDefinition | None) -> str:
    if not pair_key:
        return ""
    names = [name for name, _ in cue.modifiers] if cue else []
    values = pair_key.split("|")
    keys = [names[i] if i < len(names) else f"Modifier #{i + 1}" for i in range(len(values))]
    return format_modifiers(zip(keys, values, strict=True))


def _media_files(files: Any) -> list[str]:
    if isinstance(files, dict):
        player_one = files.get("1")
        return [str(f) for f in player_one] if isinstance(player_one, list) else []
    if isinstance(files, list):
        return [str(f) for f in files if isinstance(f, str)]
    return []


def _observation_end(obs: dict[str, Any], media: Sequence[str]) -> float | None:
    """The end of the observation time axis: the chosen interval's stop, else player 1's playlist length."""
    interval = obs.get("observation time interval")
    if isinstance(interval, list) and len(interval) == 2:
        stop = _to_time(interval[1])
        if stop is not None and stop > 0:
            return round(stop, 3)
    info = obs.get("media_info")
    lengths = info.get("length") if isinstance(info, dict) else None
    if not media or not isinstance(lengths, dict):
        return None
    total = 0.0
    for path in media:
        length = _to_time(lengths.get(path))
        if length is None or length < 0:
            return None
        total += length
    offset = _to_time(obs.get("time offset")) or 0.0
    return round(total + offset, 3)


# ------------------------------------------------------------------------------ writer

_KEY_POOL = "abcdefghijklmnopqrstuvwxyz0123456789"


def write_boris_project(
    events: pd.DataFrame,
    *,
    project_name: str = "observe export",
    project_date: str = "",
    keys: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    attributes: Mapping[str, Mapping[str, str]] | None = None,
) -> bytes:
    """Write tidy events as a BORIS project (JSON, format 7.0) that BORIS can open.

    One behaviour per cue (``category`` = channel, ``excluded`` = the channel's
    other state cues), one subject per event subject (keys F1, F2, … so they never
    clash with behaviour keys), one LIVE observation per session; each state becomes
    two records with the same modifier string, at its start and its stop
    (FORMATS §1.3 export rules). States still open (``end_s`` NaN) get only a START.

    Parameters
    ----------
    events : DataFrame
        Tidy events (:data:`observe.model.EXPORT_COLUMNS`).
    project_name, project_date : str
        Written to the project header.
    keys : mapping, optional
        Cue → keyboard key (the unshifted key of the scheme); by default a free letter.
    descriptions : mapping, optional
        Cue → description.
    attributes : mapping, optional
        Session → independent variables ``{label: value}``.

    Examples
    --------
    >>> ev = events_frame([{"session": "s1", "subject": "client", "channel": "GAZE", "cue": "G_EYE",
    ...                     "kind": "state", "start_s": 1.0, "end_s": 2.5}])
    >>> json.loads(write_boris_project(ev))["observations"]["s1"]["events"]
    [[1.0, 'client', 'G_EYE', '', ''], [2.5, 'client', 'G_EYE', '', '']]
    """
    frame = events_frame(events)
    cue_kinds = _cue_kinds(frame)
    modifier_sets = _modifier_sets(frame)
    channel_of = {c: g["channel"].iloc[0] for c, g in frame.groupby("cue", sort=False)}
    key_of = _assign_keys(list(cue_kinds), keys or {})
    behaviors: dict[str, Any] = {}
    for i, (cue, kind) in enumerate(cue_kinds.items()):
        channel = str(channel_of.get(cue, ""))
        siblings = [
            c for c, k in cue_kinds.items() if c != cue and k == "state" and channel_of.get(c) == channel
        ]
        behaviors[str(i)] = {
            "type": "State event" if kind == "state" else "Point event",
            "key": key_of[cue],
            "code": cue,
            "description": (descriptions or {}).get(cue, ""),
            "color": "",
            "category": channel,
            "modifiers": {
                str(j): {
                    "name": name,
                    "description": "",
                    "type": 1 if any("," in v for v in values) else 0,
                    "values": list(values),
                    "ask at stop": False,
                }
                for j, (name, values) in enumerate(modifier_sets.get(cue, []))
            },
            "excluded": ",".join(siblings) if channel and kind == "state" else "",
            "coding map": "",
        }
    subjects = list(dict.fromkeys(s for s in frame["subject"] if s))
    categories = list(dict.fromkeys(c for c in frame["channel"] if c))
    project = {
        "time_format": "s",
        "project_name": project_name,
        "project_date": project_date,
        "project_description": "",
        "project_format_version": "7.0",
        "subjects_conf": {
            str(i): {"key": f"F{i + 1}" if i < 12 else "", "name": s, "description": ""}
            for i, s in enumerate(subjects)
        },
        "behaviors_conf": behaviors,
        "observations": {
            str(session): _observation_json(group, modifier_sets, (attributes or {}).get(str(session), {}))
            for session, group in frame.groupby("session", sort=False)
        },
        "behavioral_categories": categories,
        "behavioral_categories_config": {str(i): {"name": c, "color": ""} for i, c in enumerate(categories)},
        "independent_variables": _iv_conf(attributes or {}),
        "coding_map": {},
        "behaviors_coding_map": [],
        "converters": {},
    }
    return json.dumps(project, ensure_ascii=False, indent=1).encode("utf-8")


def _cue_kinds(frame: pd.DataFrame) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for cue, kind in zip(frame["cue"], frame["kind"], strict=True):
        if cue not in kinds or kind == "state":
            kinds[cue] = "state" if kind == "state" else kinds.get(cue, "point")
    return kinds


def _modifier_sets(frame: pd.DataFrame) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Per cue, the modifier keys in first-seen order with their values seen."""
    sets: dict[str, dict[str, dict[str, None]]] = {}
    for cue, mods in zip(frame["cue"], frame["modifiers"], strict=True):
        for key, value in parse_modifiers(mods):
            sets.setdefault(cue, {}).setdefault(key, {})[_boris_value(value)] = None
    return {cue: [(k, tuple(v)) for k, v in keyed.items()] for cue, keyed in sets.items()}


def _boris_value(value: str) -> str:
    """A value BORIS accepts: forbidden characters (except the multiple-selection comma) → ``_``."""
    return ",".join(_FORBIDDEN_IN_VALUES.sub("_", part) for part in value.split(","))


def _assign_keys(cues: Sequence[str], given: Mapping[str, str]) -> dict[str, str]:
    used = {k for k in given.values() if k}
    out: dict[str, str] = {}
    for cue in cues:
        if given.get(cue):
            out[cue] = given[cue]
            continue
        first = cue[:1].lower()
        candidates = ([first] if first and first in _KEY_POOL else []) + list(_KEY_POOL)
        out[cue] = next((c for c in candidates if c not in used), "")
        used.add(out[cue])
    return out


def _modifier_string(mods: str, sets: Sequence[tuple[str, tuple[str, ...]]]) -> str:
    if not sets:
        return ""
    values = dict(parse_modifiers(mods))
    return "|".join(_boris_value(values[name]) if values.get(name) else "None" for name, _ in sets)


def _observation_json(
    group: pd.DataFrame,
    modifier_sets: Mapping[str, Sequence[tuple[str, tuple[str, ...]]]],
    ivs: Mapping[str, str],
) -> dict[str, Any]:
    records: list[tuple[float, int, list[Any]]] = []
    for row in group.itertuples(index=False):
        mod = _modifier_string(row.modifiers, modifier_sets.get(row.cue, []))
        start = round(float(row.start_s), 3)
        # STOP records sort before STARTs at the same time so contiguous states toggle right.
        # BORIS copies comments into its spreadsheet exports as they are: neutralised here
        records.append((start, 1, [start, row.subject, row.cue, mod, neutralise_text(row.comment)]))
        if row.kind == "state" and not math.isnan(row.end_s):
            end = round(float(row.end_s), 3)
            records.append((end, 0, [end, row.subject, row.cue, mod, ""]))
    records.sort(key=lambda r: (r[0], r[1]))
    return {
        "file": {str(p): [] for p in range(1, 9)},
        "type": "LIVE",
        "date": "",
        "description": "",
        "time offset": 0.0,
        "events": [r[2] for r in records],
        "observation time interval": [0, 0],
        "independent_variables": dict(ivs),
        "visualize_spectrogram": False,
        "visualize_waveform": False,
        "close_behaviors_between_videos": False,
        "scan_sampling_time": 0,
        "start_from_current_time": False,
        "start_from_current_epoch_time": False,
        "media_info": {"offset": {}},
    }


def _iv_conf(attributes: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    labels = list(dict.fromkeys(label for ivs in attributes.values() for label in ivs))
    return {
        str(i): {
            "label": label,
            "description": "",
            "type": "text",
            "default value": "",
            "possible values": "",
        }
        for i, label in enumerate(labels)
    }
