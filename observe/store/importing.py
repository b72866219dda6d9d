"""Checking a tidy event frame before it is written, and writing it in one transaction.

:func:`plan_frame` validates every row against a coding scheme (the stored default, or a
new scheme built from an imported ethogram) and resolves every session and observer;
nothing is written. :func:`write_plan` then writes the whole plan — the new scheme,
clients, counselors, sessions, observations and events — in ONE transaction, or
nothing. Rows are checked column-wise (one look-up per distinct cue, modifier string
and code), so a 100,000-row import costs about as much as reading the file; the exact
per-row message of :func:`observe.model.make_event` is produced only for bad rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, update

from observe.errors import InvalidInput, ObserveError
from observe.model import EXPORT_COLUMNS, Event, check_code, make_event, parse_modifiers
from observe.scheme import CodingScheme
from observe.store.provenance import Provenance

if TYPE_CHECKING:
    from observe.store.imports import ImportsMixin as Store
    from observe.store.imports import ImportSource

_SESSION_NUMBER = re.compile(r"-S(\d+)$")
MAX_REPORTED = 5  # row errors listed in one message
#: the columns of a validated event, as stored
PLAN_COLUMNS = ("subject", "cue", "channel", "kind", "start_s", "end_s", "modifiers", "comment")
#: optional frame columns: each row's place in the imported file ("events.csv, line 4") and its
#: order there; a frame without them (``Store.import_frame``) is named by row (header = row 1)
WHERE = "_where"
ORDER = "_order"


@dataclass
class FramePlan:
    """What an import will write.

    ``events`` holds the validated rows (:data:`PLAN_COLUMNS`, ``modifiers`` as the
    stored ``"k=v;k=v"`` text) per (session, observer). ``scheme_id`` is None when
    ``scheme`` is new and is saved by :func:`write_plan` in the same transaction.
    ``attributes`` are stored on the sessions the import creates; ``empty`` names
    observations to create without events (an imported observation that has none).
    """

    scheme: CodingScheme
    scheme_id: int | None
    events: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_sessions: set[str] = field(default_factory=set)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    empty: list[tuple[str, str]] = field(default_factory=list)
    #: where the data comes from (kept with the import; a repeat is refused unless a new copy)
    source: Provenance | None = None
    #: observations coded with another scheme than ``scheme`` (a tidy file of several schemes):
    #: key → (scheme, its stored id or None when :func:`write_plan` saves it)
    other_schemes: dict[tuple[str, str], tuple[CodingScheme, int | None]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "events": sum(len(v) for v in self.events.values()),
            "observations": len(set(self.events) | set(self.empty)),
            "new_sessions": len(self.new_sessions),
        }


@dataclass
class ImportPlan:
    """The event-object form of a :class:`FramePlan` (what :meth:`Store.import_frame` writes)."""

    scheme_id: int
    events: dict[tuple[str, str], list[Event]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_sessions: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {
            "events": sum(len(v) for v in self.events.values()),
            "observations": len(self.events),
            "new_sessions": len(self.new_sessions),
        }


def plan_import(store: Store, frame: pd.DataFrame) -> ImportPlan:
    """Validate every row of ``frame`` against the stored default scheme; raise one clear
    error listing the bad rows (row 2 = the first data row of a CSV file, as a spreadsheet
    shows it)."""
    plan = plan_frame(store, frame)
    assert plan.scheme_id is not None  # the stored default scheme
    return ImportPlan(
        scheme_id=plan.scheme_id,
        events={key: _event_objects(rows) for key, rows in plan.events.items()},
        sessions=plan.sessions,
        new_sessions=plan.new_sessions,
    )


def plan_frame(
    store: Store,
    frame: pd.DataFrame,
    *,
    scheme: CodingScheme | None = None,
    attributes: Mapping[str, Mapping[str, str]] | None = None,
    empty: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> FramePlan:
    """Validate ``frame`` (tidy columns) against ``scheme`` (default: the stored default scheme).

    Parameters
    ----------
    store : Store
        Read only: known sessions, stored events (overlaps) and schemes.
    frame : pandas.DataFrame
        Tidy events plus the optional session facts ``counselor``, ``session_number``,
        ``session_date`` and ``duration_s``.
    scheme : CodingScheme, optional
        A scheme to validate against instead of the stored default; when no identical
        version is stored it is saved by :func:`write_plan`.
    attributes : mapping, optional
        Session code → attributes to store on sessions the import creates.
    empty : mapping, optional
        (session, observer) → session facts (``client``, ``counselor``, ``session_number``,
        ``session_date``, ``duration_s``): observations to create without events.

    Raises
    ------
    InvalidInput
        Missing columns, no events, or bad rows (one message naming up to five of them).
    """
    required = ("session", "client", "observer", "subject", "cue", "start_s")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidInput(
            "import.missing_columns", columns=", ".join(missing), expected=", ".join(EXPORT_COLUMNS)
        )
    if frame.empty and not empty:
        raise InvalidInput("import.empty")
    if scheme is None:
        scheme = store.scheme()
        scheme_id: int | None = store._latest_scheme_id(scheme.name)
    else:
        scheme_id = _stored_scheme_id(store, scheme)
    plan = FramePlan(scheme=scheme, scheme_id=scheme_id)
    frame = frame.reset_index(drop=True)
    known = {s.code: s for s in store.sessions(include_archived=True)}
    bad = np.zeros(len(frame), dtype=bool)
    codes = {
        name: _checked_codes(frame[name], name, bad) for name in ("session", "observer")
    }  # per distinct value: one check, not one per row
    _session_facts_all(plan, frame, codes["session"], known, bad)
    rows = _validated_rows(frame, scheme, plan.sessions, codes["session"], bad)
    where, order = _places(frame)
    if bad.any():
        _raise_bad_rows(frame, scheme, plan.sessions, np.flatnonzero(bad), where, order)
    rows[WHERE] = where
    rows[ORDER] = order
    for session in dict.fromkeys(codes["session"]):
        if session not in known:
            plan.new_sessions.add(session)
    pairs = list(zip(codes["session"], codes["observer"], strict=True))
    group, uniques = pd.factorize(pd.Series(pairs, dtype=object))
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(uniques) + 1))
    for g, (session, observer) in enumerate(uniques):
        index = order[bounds[g] : bounds[g + 1]]
        plan.events[(session, observer)] = rows.iloc[index].reset_index(drop=True)
    for (session, observer), facts in (empty or {}).items():
        if session not in plan.sessions:
            plan.sessions[session] = _session_facts(check_code(session, "session"), dict(facts), known)
            if session not in known:
                plan.new_sessions.add(session)
        if (session, observer) not in plan.events:
            plan.empty.append((check_code(session, "session"), check_code(observer, "observer")))
    plan.attributes = {k: dict(v) for k, v in (attributes or {}).items() if k in plan.new_sessions}
    _refuse_overlaps(store, plan)
    plan.events = {k: v.drop(columns=[WHERE, ORDER]) for k, v in plan.events.items()}
    return plan


def merged_plans(plans: list[FramePlan]) -> FramePlan:
    """One plan of several, each validated against its own scheme (a tidy file whose sessions
    were coded with different schemes), to be written in one transaction by :func:`write_plan`."""
    plan = plans[0]
    for other in plans[1:]:
        for key, rows in other.events.items():
            if key in plan.events:
                raise InvalidInput(
                    "interop.refuse.scheme_conflict",
                    where=f"{key[0]} / {key[1]}",
                    expected=_label(plan.other_schemes.get(key, (plan.scheme, None))[0]),
                    found=_label(other.scheme),
                )
            plan.events[key] = rows
            plan.other_schemes[key] = (other.scheme, other.scheme_id)
        for code, facts in other.sessions.items():
            plan.sessions.setdefault(code, facts)
        plan.new_sessions |= other.new_sessions
    return plan


def _label(scheme: CodingScheme) -> str:
    return f"{scheme.name} v{scheme.version}"


def _places(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's place in the file and its order there (see :data:`WHERE`)."""
    if WHERE in frame and ORDER in frame:
        return frame[WHERE].astype(str).to_numpy(dtype=object), frame[ORDER].to_numpy(dtype=np.int64)
    positions = np.arange(len(frame), dtype=np.int64)
    return np.array([f"row {i + 2}" for i in positions], dtype=object), positions


# -- column-wise checks --------------------------------------------------------------------------


def _checked_codes(values: pd.Series, name: str, bad: np.ndarray) -> list[str]:
    out: list[str] = []
    checked: dict[str, str | None] = {}
    for i, value in enumerate(values.astype(str).tolist()):
        if value not in checked:
            try:
                checked[value] = check_code(value, name)
            except InvalidInput:
                checked[value] = None
        code = checked[value]
        if code is None:
            bad[i] = True
        out.append(code or value)
    return out


def _session_facts_all(
    plan: FramePlan, frame: pd.DataFrame, sessions: list[str], known: dict[str, Any], bad: np.ndarray
) -> None:
    firsts = pd.Series(range(len(sessions))).groupby(pd.Series(sessions), sort=False).first()
    columns = [
        c for c in ("client", "counselor", "session_number", "session_date", "duration_s") if c in frame
    ]
    for session, first in firsts.items():
        row = frame.loc[int(first), columns].to_dict()
        try:
            plan.sessions[str(session)] = _session_facts(str(session), row, known)
        except ObserveError:
            bad[np.asarray(sessions, dtype=object) == session] = True


def _validated_rows(
    frame: pd.DataFrame,
    scheme: CodingScheme,
    sessions: Mapping[str, Mapping[str, Any]],
    session_codes: list[str],
    bad: np.ndarray,
) -> pd.DataFrame:
    """The rows as stored (:data:`PLAN_COLUMNS`); marks rows :func:`make_event` would refuse."""
    n = len(frame)
    subject = frame["subject"].astype(str).to_numpy(dtype=object)
    cue = frame["cue"].astype(str).to_numpy(dtype=object)
    # one scheme look-up per distinct (subject, cue)
    pairs = pd.MultiIndex.from_arrays([subject, cue])
    codes, uniques = pd.factorize(pairs)
    channel_of, kind_of, ok_of = [], [], []
    for s, c in uniques:
        try:
            definition = scheme.cue(c)
            ok = s in definition.subjects
            channel_of.append(definition.channel)
            kind_of.append(definition.kind)
        except ObserveError:
            ok = False
            channel_of.append("")
            kind_of.append("point")
        ok_of.append(ok)
    codes = np.asarray(codes)
    channel = np.asarray(channel_of, dtype=object)[codes] if n else np.array([], dtype=object)
    kind = np.asarray(kind_of, dtype=object)[codes] if n else np.array([], dtype=object)
    bad |= ~np.asarray(ok_of, dtype=bool)[codes] if n else bad
    duration = np.array(
        [
            np.nan if sessions.get(s, {}).get("duration_s") is None else sessions[s]["duration_s"]
            for s in session_codes
        ],
        dtype=float,
    )
    start = _numbers(frame["start_s"])
    end_raw = frame["end_s"] if "end_s" in frame else pd.Series(np.nan, index=frame.index)
    end = _numbers(end_raw)
    end_text_bad = end_raw.notna().to_numpy() & np.isnan(end) & ~_blank_mask(end_raw)
    state = kind == "state"
    limit = np.where(np.isnan(duration), np.inf, duration + 1e-9)
    start_bad = ~np.isfinite(start) | (start < 0) | (start > limit)
    has_end = state & ~np.isnan(end)
    end_bad = state & (end_text_bad | (has_end & (~np.isfinite(end) | (end < 0) | (end > limit))))
    bad |= start_bad | end_bad
    start = np.round(start, 3)
    end = np.where(has_end, np.round(end, 3), np.nan)
    bad |= has_end & (end < start)
    # one parse per distinct modifier string
    mods = frame["modifiers"] if "modifiers" in frame else pd.Series("", index=frame.index)
    mod_text = mods.where(mods.notna(), "").astype(str).to_numpy(dtype=object)
    mod_codes, mod_uniques = pd.factorize(mod_text)
    stored_mods: list[str | None] = []
    allowed = {m.code: m.values for m in scheme.modifiers}
    for text in mod_uniques:
        try:
            pairs_ = parse_modifiers(text)
            if any(k not in allowed or str(v) not in allowed[k] for k, v in pairs_.items()):
                stored_mods.append(None)
            else:
                stored_mods.append(";".join(f"{k}={v}" for k, v in pairs_.items()))
        except ObserveError:
            stored_mods.append(None)
    mod_values = (
        np.asarray(stored_mods, dtype=object)[np.asarray(mod_codes)] if n else np.array([], dtype=object)
    )
    bad |= pd.isna(mod_values) if n else bad
    comment = frame["comment"] if "comment" in frame else pd.Series("", index=frame.index)
    comment_values = comment.where(~_blank_mask(comment), "").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "subject": subject,
            "cue": cue,
            "channel": channel,
            "kind": kind,
            "start_s": start,
            "end_s": end,
            "modifiers": mod_values,
            "comment": comment_values,
        }
    )


def _numbers(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values.where(~_blank_mask(values), np.nan), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )


def _blank_mask(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.isna().to_numpy()
    text = values.astype(object)
    return (text.isna() | text.map(lambda v: isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)


def _raise_bad_rows(
    frame: pd.DataFrame,
    scheme: CodingScheme,
    sessions: Mapping[str, Mapping[str, Any]],
    rows: np.ndarray,
    where: np.ndarray,
    order: np.ndarray,
) -> None:
    """The exact per-row messages (as :func:`make_event` words them) for the first bad rows,
    in the file's order, each named by its place in the file."""
    rows = rows[np.argsort(order[rows], kind="stable")]
    messages = []
    for position in rows[:MAX_REPORTED]:
        row = frame.iloc[int(position)].to_dict()
        messages.append(f"{where[int(position)]}: {_row_problem(row, scheme, sessions)}")
    more = len(rows) - MAX_REPORTED
    raise InvalidInput(
        "import.bad_rows",
        count=len(rows),
        rows="; ".join(messages) + (f"; … {more} more" if more > 0 else ""),
    )


def _row_problem(row: dict[str, Any], scheme: CodingScheme, sessions: Mapping[str, Mapping[str, Any]]) -> str:
    try:
        session = check_code(str(row["session"]), "session")
        check_code(str(row["observer"]), "observer")
        facts = sessions.get(session)
        if facts is None:
            _session_facts(session, row, {})
        make_event(
            scheme,
            str(row["subject"]),
            str(row["cue"]),
            row["start_s"],
            None if _blank(row.get("end_s")) else row.get("end_s"),
            modifiers=parse_modifiers(row.get("modifiers")),
            comment="" if _blank(row.get("comment")) else str(row["comment"]),
            duration_s=(facts or {}).get("duration_s"),
        )
    except ObserveError as exc:
        return exc.message("en")
    return "not valid"  # pragma: no cover - the column checks and make_event agree


def _event_objects(rows: pd.DataFrame) -> list[Event]:
    return [
        Event(
            subject=r.subject,
            cue=r.cue,
            channel=r.channel,
            kind=r.kind,
            start_s=float(r.start_s),
            end_s=None if math.isnan(r.end_s) else float(r.end_s),
            modifiers=parse_modifiers(r.modifiers),
            comment=r.comment,
        )
        for r in rows.itertuples(index=False)
    ]


def _refuse_overlaps(store: Store, plan: FramePlan) -> None:
    """States of one subject in one channel must not overlap, with each other or with stored
    ones; the refusal names the file's place of the imported state (the earliest such clash)."""
    stored = _stored_states(store, plan)
    clashes: list[tuple[int, InvalidInput]] = []
    for key, rows in plan.events.items():
        states = rows.loc[
            rows["kind"] == "state", ["subject", "channel", "cue", "start_s", "end_s", WHERE, ORDER]
        ]
        if key in stored:
            states = pd.concat([states, stored[key].assign(**{WHERE: None, ORDER: -1})], ignore_index=True)
        if states.empty:
            continue
        states = states.sort_values(["subject", "channel", "start_s"], kind="stable").reset_index(drop=True)
        end = states["end_s"].fillna(np.inf).to_numpy()
        start = states["start_s"].to_numpy()
        lane = (states["subject"] + "\x00" + states["channel"]).to_numpy()
        for first in np.flatnonzero((lane[1:] == lane[:-1]) & (start[1:] < end[:-1])):
            clash = _overlap_error(states.iloc[int(first)], states.iloc[int(first) + 1], key)
            clashes.append(clash)
    if clashes:
        raise min(clashes, key=lambda c: c[0])[1]


def _overlap_error(earlier: pd.Series, later: pd.Series, key: tuple[str, str]) -> tuple[int, InvalidInput]:
    """The refusal of two overlapping states, at the imported one (the later, unless it is stored)."""
    mine, other = (later, earlier) if later[WHERE] is not None else (earlier, later)

    def span(row: pd.Series) -> dict[str, str]:
        end = "…" if pd.isna(row["end_s"]) else f"{float(row['end_s']):.3f}"
        return {"start": f"{float(row['start_s']):.3f}", "end": end}

    theirs = span(other)
    params = {
        "cue": mine["cue"],
        **span(mine),
        "other": other["cue"],
        "other_start": theirs["start"],
        "other_end": theirs["end"],
    }
    if other[WHERE] is None:
        error = InvalidInput(
            "interop.refuse.overlap_stored", where=mine[WHERE], session=key[0], observer=key[1], **params
        )
    else:
        file_part, _, place = str(other[WHERE]).partition(", ")
        same_file = place and str(mine[WHERE]).startswith(file_part + ", ")
        shown = place if same_file else str(other[WHERE])
        error = InvalidInput("interop.refuse.overlap", where=mine[WHERE], other_where=shown, **params)
    return int(mine[ORDER]), error


def _stored_states(store: Store, plan: FramePlan) -> dict[tuple[str, str], pd.DataFrame]:
    existing = [k for k in plan.events if k[0] not in plan.new_sessions]
    found: dict[tuple[str, str], pd.DataFrame] = {}
    for session, observer in existing:
        for obs in store.observations(session=session, observer=observer):
            lane = [e for e in store.events(obs.id) if e.kind == "state"]
            found[(session, observer)] = pd.DataFrame(
                {
                    "subject": [e.subject for e in lane],
                    "channel": [e.channel for e in lane],
                    "cue": [e.cue for e in lane],
                    "start_s": [e.start_s for e in lane],
                    "end_s": [np.nan if e.end_s is None else e.end_s for e in lane],
                }
            )
    return found


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _facts_of(session: Any) -> dict[str, Any]:
    return {
        "client": session.client,
        "counselor": session.counselor,
        "number": session.number,
        "date": session.date,
        "duration_s": session.duration_s,
    }


def _session_facts(code: str, row: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Client, counselor, number, date and length of a session: the stored ones, else from the row."""
    if code in known:
        return _facts_of(known[code])
    client = check_code(str(row["client"]), "client")
    counselor = "" if _blank(row.get("counselor")) else str(row["counselor"])
    number = row.get("session_number")
    if _blank(number):
        match = _SESSION_NUMBER.search(code)
        number = int(match.group(1)) if match else 1
    date = row.get("session_date")
    try:
        day = dt.date.today() if _blank(date) else pd.Timestamp(date).date()
    except (ValueError, TypeError):
        raise InvalidInput("record.bad_date", value=date) from None
    duration = row.get("duration_s")
    return {
        "client": client,
        "counselor": check_code(counselor or "unknown", "counselor"),
        "number": int(number),  # type: ignore[arg-type]  # checked by _blank above
        "date": day,
        "duration_s": None if _blank(duration) else float(duration),  # type: ignore[arg-type]
    }


# -- writing ----------------------------------------------------------------------------------------


def _stored_scheme_id(store: Store, scheme: CodingScheme) -> int | None:
    """The id of an identical stored version; None when it is new; refused when the name and
    version exist with another definition."""
    from observe.store import tables as T

    with store._read() as conn:
        row = conn.execute(
            select(T.schemes.c.id, T.schemes.c.definition).where(
                T.schemes.c.name == scheme.name, T.schemes.c.version == scheme.version
            )
        ).first()
    if row is None:
        return None
    if json.loads(row.definition) != json.loads(scheme_json(scheme)):
        raise InvalidInput("scheme.version_exists", name=scheme.name, version=scheme.version)
    return int(row.id)


def scheme_json(scheme: CodingScheme) -> str:
    return json.dumps(scheme.validate().to_dict(), ensure_ascii=False, sort_keys=True)


def write_plan(
    store: Store,
    plan: FramePlan,
    source: ImportSource | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write ``plan`` in ONE guarded transaction (:meth:`Store.write_import`): scheme, sessions,
    observations, events, one undoable action per observation; any failure or refused check
    rolls everything back. Returns :meth:`FramePlan.counts`. ``progress(done, total)`` counts
    the observations written (before the commit)."""
    return store.write_import(plan, source, progress=progress)


def attributes_json(attributes: dict[str, str]) -> str:
    return json.dumps(attributes, ensure_ascii=False, sort_keys=True)


def _insert_events(store: Store, conn: Connection, observation_id: int, rows: pd.DataFrame) -> None:
    """All rows in one multi-row INSERT … RETURNING, logged as one undoable "import" action
    (the same action record :meth:`Store.import_events` writes, so undo removes the import)."""
    from observe.store import tables as T
    from observe.store.rows import _now

    now = _now()
    # a new action clears the observation's redo stack, as every action does
    conn.execute(
        delete(T.actions).where(T.actions.c.observation_id == observation_id, T.actions.c.undone.is_(True))
    )
    conn.execute(update(T.observations).where(T.observations.c.id == observation_id).values(has_redo=False))
    ends = [None if math.isnan(e) else float(e) for e in rows["end_s"].tolist()]
    starts = [float(s) for s in rows["start_s"].tolist()]
    columns = {
        name: rows[name].tolist() for name in ("subject", "cue", "channel", "kind", "modifiers", "comment")
    }
    values = [
        {
            "observation_id": observation_id,
            "subject": subject,
            "cue": cue,
            "channel": channel,
            "kind": kind,
            "start_s": start,
            "end_s": end,
            "modifiers": mods,
            "comment": comment,
            "created_at": now,
            "created_by": store.actor,
        }
        for subject, cue, channel, kind, start, end, mods, comment in zip(
            columns["subject"],
            columns["cue"],
            columns["channel"],
            columns["kind"],
            starts,
            ends,
            columns["modifiers"],
            columns["comment"],
            strict=True,
        )
    ]
    if not values:
        return
    # executemany without RETURNING is the driver's fast path; the observation's row lock
    # (PostgreSQL) keeps other writers of it out, so the new ids are those above the previous maximum
    conn.execute(select(T.observations.c.id).where(T.observations.c.id == observation_id).with_for_update())
    before = conn.execute(
        select(func.max(T.events.c.id)).where(T.events.c.observation_id == observation_id)
    ).scalar()
    # a new action makes the undone ones unredoable (as Store._apply does)
    conn.execute(
        update(T.actions)
        .where(T.actions.c.observation_id == observation_id, T.actions.c.undone.is_(True))
        .values(discarded=True)
    )
    conn.execute(update(T.observations).where(T.observations.c.id == observation_id).values(has_redo=False))
    conn.execute(insert(T.events), values)
    ids = (
        conn.execute(
            select(T.events.c.id)
            .where(T.events.c.observation_id == observation_id, T.events.c.id > (before or 0))
            .order_by(T.events.c.id)
        )
        .scalars()
        .all()
    )
    modifiers = {text: parse_modifiers(text) for text in set(columns["modifiers"])}  # few distinct strings
    changes = [
        [
            None,
            {
                "id": int(event_id),
                "subject": v["subject"],
                "cue": v["cue"],
                "channel": v["channel"],
                "kind": v["kind"],
                "start_s": v["start_s"],
                "end_s": v["end_s"],
                "modifiers": modifiers[v["modifiers"]],
                "comment": v["comment"],
            },
        ]
        for event_id, v in zip(ids, values, strict=True)
    ]
    conn.execute(
        insert(T.actions).values(
            observation_id=observation_id,
            label="import",
            undone=False,
            client_key=None,
            client_seq=None,
            created_at=now,
            created_by=store.actor,
            changes=json.dumps(changes, ensure_ascii=False),
        )
    )


def located(bundle: Any, obs: Any, first: int) -> pd.DataFrame:
    """``obs.events`` with :data:`WHERE` (each event's place in the file) and :data:`ORDER`
    (the file's line, else ``first`` + the event's position), so that a refusal by the
    planner names the file's own line, not a row after sorting (DOMAIN §9.7)."""
    part = obs.events.copy()
    part[WHERE] = obs.where(bundle.file_name, bundle.line_unit)
    if len(obs.lines) == len(part) and len(part):
        part[ORDER] = np.asarray(obs.lines, dtype=np.int64)
    else:
        part[ORDER] = np.arange(first, first + len(part), dtype=np.int64)
    return part


def frame_from_bundle(bundle: Any) -> pd.DataFrame:
    """One tidy frame from an :class:`observe.interop.bundle.ImportBundle`: the events of
    every observation with the session facts the file gave (date, length, counselor, number)
    and each event's place in the file (:func:`located`)."""
    parts = []
    first = 0
    for obs in bundle.observations:
        part = located(bundle, obs, first)
        first += len(part)
        part["session_date"] = obs.date or None
        part["duration_s"] = obs.duration_s
        for name in ("counselor", "session_number"):
            part[name] = obs.attributes.get(name)
        parts.append(part)
    if not parts:
        raise InvalidInput("import.empty")
    return pd.concat(parts, ignore_index=True)
