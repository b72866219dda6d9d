"""Where imported data came from, and refusing the same import twice (DOMAIN §9.7).

A session imported from BORIS keeps the observation id and description, one from ELAN
the file name, one from our own tidy file that file's name (``sessions.source``). Every
import is recorded (``imports``: the file's SHA-256, its name, the source observation
ids, the sessions created, when and by whom); a file already imported, or a BORIS
observation id already imported, is refused with "already imported as … on …" unless
the person asks for a new copy.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from observe.errors import InvalidInput
from observe.store import tables as T

if TYPE_CHECKING:
    from observe.store.api import Store


def session_sources(store: Store) -> dict[str, str]:
    """Session code → where it came from, for the imported sessions the acting user may see."""
    visible = {s.code for s in store.sessions(include_archived=True)}
    with store._read() as conn:
        rows = conn.execute(
            select(T.sessions.c.code, T.sessions.c.source).where(T.sessions.c.source.is_not(None))
        ).all()
    return {r.code: r.source for r in rows if r.code in visible}


#: The tool that wrote each kind of file we read (``ImportBundle.source_format``).
TOOLS = {
    "boris_project": "BORIS",
    "boris_tabular": "BORIS",
    "boris_aggregated": "BORIS",
    "eaf": "ELAN",
    "tidy_csv": "observe",
    "tidy_json": "observe",
    "tidy_parquet": "observe",
    "tidy": "observe",
}
MAX_NAMED = 5  # sessions named in an "already imported" message


@dataclass(frozen=True)
class Provenance:
    """Where an import comes from: the file (name, SHA-256, kind), the BORIS observation ids
    it holds, and for each of our sessions it writes the text kept as ``sessions.source``.
    ``new_copy``: the person asked to import it again although it was imported before."""

    file_name: str
    sha256: str
    source_format: str
    source_ids: tuple[str, ...] = ()
    sessions: Mapping[str, str] = field(default_factory=dict)
    new_copy: bool = False


def source_of(bundle: Any, sessions: Mapping[str, str], *, new_copy: bool = False) -> Provenance:
    """The :class:`Provenance` of an :class:`observe.interop.bundle.ImportBundle` whose source
    observations (by name) become ``sessions`` (source name → our session code)."""
    tool = TOOLS.get(bundle.source_format, bundle.source_format)
    boris = bundle.source_format.startswith("boris")
    texts: dict[str, str] = {}
    for obs in bundle.observations:
        code = sessions.get(obs.name)
        if code is None:
            continue
        text = f"{tool} {bundle.file_name}".strip()
        if boris:
            text += f", observation {obs.name}"
            if obs.description:
                text += f": {obs.description}"
        texts[code] = text[:1000]
    return Provenance(
        file_name=bundle.file_name,
        sha256=bundle.sha256,
        source_format=bundle.source_format,
        source_ids=tuple(o.name for o in bundle.observations) if boris else (),
        sessions=texts,
        new_copy=new_copy,
    )


def check_not_imported(store: Store, source: Provenance) -> None:
    """Refuse (:class:`InvalidInput`, "already imported as … on …") a file or a BORIS
    observation imported before, unless ``source.new_copy``; reads only."""
    with store._read() as conn:
        refuse_repeat(conn, source)


def refuse_repeat(conn: Connection, source: Provenance) -> None:
    """:func:`check_not_imported` inside a transaction. An earlier import whose sessions are
    all gone (erased, the demo removed) no longer counts."""
    if source.new_copy:
        return
    ids = set(source.source_ids)
    for row in conn.execute(select(T.imports).order_by(T.imports.c.id)).all():
        same_file = bool(source.sha256) and row.sha256 == source.sha256
        same_ids = (
            sorted(ids & set(json.loads(row.source_ids))) if row.source_format.startswith("boris") else []
        )
        if not same_file and not same_ids:
            continue
        named = json.loads(row.sessions)
        alive = {
            r.code: r.attributes
            for r in conn.execute(
                select(T.sessions.c.code, T.sessions.c.attributes).where(T.sessions.c.code.in_(named))
            )
        }
        kept = [code for code in named if code in alive]
        if not same_file and same_ids:
            # name the sessions those observations became, not every session of that import
            kept = [c for c in kept if _source_observation(alive[c]) in same_ids] or kept
        if not kept:
            continue
        params = {
            "sessions": ", ".join(kept[:MAX_NAMED]) + (f" … ({len(kept)})" if len(kept) > MAX_NAMED else ""),
            "when": _when(row.imported_at),
            "who": row.imported_by,
        }
        if same_file:
            raise InvalidInput(
                "import.already_imported_file", file=source.file_name or row.file_name, **params
            )
        raise InvalidInput("import.already_imported_observation", observation=same_ids[0], **params)


def _source_observation(attributes: str | None) -> str:
    try:
        return str(json.loads(attributes or "{}").get("source_observation", ""))
    except (ValueError, AttributeError):
        return ""


def record_import(
    conn: Connection, actor: str, source: Provenance, written: list[str], created: set[str]
) -> None:
    """Keep the import (one ``imports`` row) and the source of each session it created."""
    from observe.store.rows import _now

    for code in created:
        text = source.sessions.get(code)
        if text:
            conn.execute(update(T.sessions).where(T.sessions.c.code == code).values(source=text))
    conn.execute(
        insert(T.imports).values(
            sha256=source.sha256,
            file_name=source.file_name,
            source_format=source.source_format,
            source_ids=json.dumps(list(source.source_ids), ensure_ascii=False),
            sessions=json.dumps(list(dict.fromkeys(written)), ensure_ascii=False),
            imported_at=_now(),
            imported_by=actor,
        )
    )


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16]
