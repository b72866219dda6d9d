"""Governance: consent, settings, the audit trail, exports, erasure, the demo workspace."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

import pandas as pd
from alembic.script import ScriptDirectory
from sqlalchemy import and_, delete, func, insert, or_, select, update

from observe.errors import InvalidInput
from observe.store import tables as T
from observe.store.coding import CodingMixin
from observe.store.core import MIGRATIONS
from observe.store.rows import (
    _now,
)


class GovernanceMixin(CodingMixin):
    """Consent, audit, erasure, settings."""

    def counts(self) -> dict[str, int]:
        """How much the workspace holds, for the home page (counts only: ``workspace.summary``)."""
        self._allow("workspace.summary")
        tables = {
            "clients": T.clients,
            "counselors": T.counselors,
            "sessions": T.sessions,
            "observers": T.users,
            "observations": T.observations,
            "events": T.events,
        }
        with self._read() as conn:
            result = {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
                for name, table in tables.items()
            }
            result["observers"] = int(
                conn.execute(select(func.count(func.distinct(T.observations.c.observer_id)))).scalar() or 0
            )
        return result

    def setting(self, key: str, default: Any = None) -> Any:
        """A workspace setting (JSON value), or ``default``."""
        with self._read() as conn:
            value = conn.execute(select(T.settings.c.value).where(T.settings.c.key == key)).scalar()
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: Any) -> None:
        with self.acting("settings", entity="setting") as work:
            conn = work.conn
            conn.execute(delete(T.settings).where(T.settings.c.key == key))
            conn.execute(insert(T.settings).values(key=key, value=json.dumps(value)))
            work.record(key)

    def has_demo(self) -> bool:
        with self._read() as conn:
            return (
                conn.execute(select(T.clients.c.id).where(T.clients.c.is_demo.is_(True)).limit(1)).first()
                is not None
            )

    def remove_demo(self) -> None:
        """Delete the demo workspace (demo clients with their sessions and events, demo counselors
        and demo users); what users created themselves stays."""
        with self.acting("settings", audit="demo.remove", entity="workspace") as work:
            conn = work.conn
            demo_clients = select(T.clients.c.id).where(T.clients.c.is_demo.is_(True))
            conn.execute(delete(T.audit).where(T.audit.c.client_id.in_(demo_clients)))
            conn.execute(delete(T.consents).where(T.consents.c.client_id.in_(demo_clients)))
            demo_sessions = select(T.sessions.c.id).where(T.sessions.c.client_id.in_(demo_clients))
            demo_observations = select(T.observations.c.id).where(
                T.observations.c.session_id.in_(demo_sessions)
            )
            # explicit child-first deletes: no reliance on ON DELETE CASCADE being honoured
            conn.execute(delete(T.actions).where(T.actions.c.observation_id.in_(demo_observations)))
            conn.execute(delete(T.events).where(T.events.c.observation_id.in_(demo_observations)))
            conn.execute(delete(T.observations).where(T.observations.c.id.in_(demo_observations)))
            conn.execute(
                delete(T.session_observers).where(T.session_observers.c.session_id.in_(demo_sessions))
            )
            conn.execute(delete(T.sessions).where(T.sessions.c.id.in_(demo_sessions)))
            conn.execute(delete(T.clients).where(T.clients.c.is_demo.is_(True)))
            used = select(T.sessions.c.counselor_id)
            gone = select(T.counselors.c.id).where(
                and_(T.counselors.c.is_demo.is_(True), T.counselors.c.id.not_in(used))
            )
            # links to a counselor about to go are cleared (no ON DELETE action on them)
            conn.execute(update(T.users).where(T.users.c.counselor_id.in_(gone)).values(counselor_id=None))
            conn.execute(
                update(T.clients).where(T.clients.c.counselor_id.in_(gone)).values(counselor_id=None)
            )
            conn.execute(delete(T.supervisions).where(T.supervisions.c.counselor_id.in_(gone)))
            conn.execute(delete(T.counselors).where(T.counselors.c.id.in_(gone)))
            in_use = select(T.observations.c.observer_id)
            demo_users = select(T.users.c.id).where(T.users.c.is_demo.is_(True), T.users.c.id.not_in(in_use))
            conn.execute(delete(T.session_observers).where(T.session_observers.c.user_id.in_(demo_users)))
            conn.execute(delete(T.supervisions).where(T.supervisions.c.supervisor_id.in_(demo_users)))
            conn.execute(delete(T.users).where(T.users.c.id.in_(demo_users)))

    # -- consent, audit, exports, erasure (observe.governance.access) -----------------------------------------------------
    def set_consent(
        self, client: str, *, recording: bool, research_use: bool, date: dt.date | None = None
    ) -> None:
        """Record the client's consent (to being recorded, to research use of their sessions)."""
        row = self._client_row(client)
        with self._read() as conn:
            self._allow("consent.manage", self._client_target(conn, int(row.id)))
        if date is not None and not isinstance(date, dt.date):
            raise InvalidInput("record.bad_date", value=date)
        with self.acting("consent.set", entity="client", checked=True) as work:
            conn = work.conn
            conn.execute(delete(T.consents).where(T.consents.c.client_id == row.id))
            conn.execute(
                insert(T.consents).values(
                    client_id=row.id,
                    recording=bool(recording),
                    research_use=bool(research_use),
                    date=date,
                    updated_at=_now(),
                    updated_by=self.actor,
                )
            )
            work.record(
                row.code, client_id=row.id, recording=bool(recording), research_use=bool(research_use)
            )

    def consent(self, client: str) -> dict[str, Any]:
        """The client's consent: ``recording``, ``research_use`` (False when none was recorded), ``date``."""
        code = self.client(client).code
        with self._read() as conn:
            row = conn.execute(
                select(T.consents)
                .join(T.clients, T.clients.c.id == T.consents.c.client_id)
                .where(T.clients.c.code == code)
            ).first()
        if row is None:
            return {"recording": False, "research_use": False, "date": None}
        return {"recording": bool(row.recording), "research_use": bool(row.research_use), "date": row.date}

    def log_export(self, action: str, **detail: Any) -> None:
        """Check and record an export (``export.tidy``, ``export.research``, ``audit.export``, ``report``):
        call it before the data leaves; it refuses a role that may not export."""
        if action not in ("export.tidy", "export.research", "audit.export", "report"):
            raise ValueError(f"not an export action: {action}")  # a bug in the caller
        with self.acting(action, entity="export") as work:
            work.record(detail.pop("what", None), **detail)

    def audit_log(self, *, limit: int | None = None, since: dt.datetime | None = None) -> pd.DataFrame:
        """The audit trail, newest first (``audit.read``): at, username, action, entity, entity_id,
        detail; ``since`` keeps the rows from that moment on."""
        self._allow("audit.read")
        query = select(
            T.audit.c.id,
            T.audit.c.at,
            T.audit.c.username,
            T.audit.c.action,
            T.audit.c.entity,
            T.audit.c.entity_id,
            T.audit.c.detail,
        ).order_by(T.audit.c.id.desc())
        # changes to events are audited by their undo-log row (one row per action, written in
        # the change's transaction): read here as "event.change" (undo/redo markers left out)
        changes = select(
            T.actions.c.id,
            T.actions.c.created_at,
            T.actions.c.created_by,
            T.actions.c.observation_id,
            T.actions.c.label,
            T.actions.c.changes,
        ).where(T.actions.c.changes != "[]")
        if since is not None:
            query = query.where(T.audit.c.at >= since)
            changes = changes.where(T.actions.c.created_at >= since)
        if limit:
            query = query.limit(int(limit))
            changes = changes.order_by(T.actions.c.id.desc()).limit(int(limit))
        with self._read() as conn:
            rows = [tuple(r) for r in conn.execute(query)]
            rows += [
                (None, r.created_at, r.created_by, "event.change", "observation", str(r.observation_id),
                 _change_detail(r.id, r.label, r.changes))
                for r in conn.execute(changes)
            ]  # fmt: skip
        frame = pd.DataFrame.from_records(
            rows, columns=["id", "at", "username", "action", "entity", "entity_id", "detail"]
        )
        frame["id"] = frame["id"].astype("Int64")
        frame = frame.sort_values("at", ascending=False, kind="stable", ignore_index=True)
        return frame.head(int(limit)) if limit else frame

    def erase_client(
        self, code: str, *, confirm: str, media_folder: str | Path | None = None
    ) -> dict[str, Any]:
        """Erase a client completely: sessions, observations, events, the undo log, consent,
        every audit row about them, their videos and every cache derived from them in the media
        folder, and the client record. ``confirm`` must repeat the client's code.

        On SQLite every write zeroes the bytes it frees (``secure_delete``, set on every
        connection by :func:`observe.store.engine.make_engine`), the file is rebuilt once
        (VACUUM, for bytes freed before that was so) and the write-ahead log is checkpointed and
        truncated after the erasure, so no byte of the client's code, name or notes stays in
        the database files. One audit row remains, naming only a
        random erasure id (returned as ``erasure``, with counts of what was erased)."""
        import secrets

        row = self._client_row(code)
        if confirm != row.code:
            self._allow("erasure")
            raise InvalidInput("access.erase_confirm", code=row.code)
        client_id = int(row.id)
        sessions = select(T.sessions.c.id).where(T.sessions.c.client_id == client_id)
        observations = select(T.observations.c.id).where(T.observations.c.session_id.in_(sessions))
        erasure_id = secrets.token_hex(16)
        counts: dict[str, Any] = {}
        sqlite = self.engine.dialect.name == "sqlite"
        with self.acting("erasure", audit="client.erase", entity="client", entity_id=erasure_id) as work:
            conn = work.conn
            found = conn.execute(
                select(T.sessions.c.code, T.sessions.c.video_ref).where(T.sessions.c.client_id == client_id)
            ).all()
            # the words that name the client: audit rows without its id that carry one go too
            needles = [row.code, *(s.code for s in found), *([row.display_name] if row.display_name else [])]
            mentions = or_(
                *(T.audit.c.entity_id.contains(n, autoescape=True) for n in needles),
                *(T.audit.c.detail.contains(n, autoescape=True) for n in needles),
            )
            # explicit child-first deletes, as in remove_demo: no reliance on ON DELETE CASCADE
            for name, table, where in (
                ("actions", T.actions, T.actions.c.observation_id.in_(observations)),
                ("events", T.events, T.events.c.observation_id.in_(observations)),
                ("observations", T.observations, T.observations.c.id.in_(observations)),
                ("session_observers", T.session_observers, T.session_observers.c.session_id.in_(sessions)),
                ("sessions", T.sessions, T.sessions.c.client_id == client_id),
                ("consents", T.consents, T.consents.c.client_id == client_id),
                ("audit", T.audit, or_(T.audit.c.client_id == client_id, mentions)),
                ("clients", T.clients, T.clients.c.id == client_id),
            ):
                counts[name] = int(conn.execute(delete(table).where(where)).rowcount or 0)
            work.record(**counts)
        if sqlite:
            self._checkpoint()
        # after the commit: a failed transaction must not lose the videos
        videos = [s.video_ref for s in found if s.video_ref]
        counts["videos"], counts["caches"] = _remove_media(videos, [s.code for s in found], media_folder)
        counts["erasure"] = erasure_id
        return counts

    def _checkpoint(self) -> None:
        """Copy the write-ahead log (old page images) into the main file and truncate it: the
        deleted rows then live on in neither file. Once per database file, first rebuild it
        without free space (VACUUM): rows freed or rewritten before every write zeroed what it
        freed (an older observe) may linger in free space. Later erasures skip the rebuild (a
        full copy of the file): the mark ``PRAGMA user_version = 1`` says it was done, and an
        older observe, which would write without zeroing, cannot open a database this new."""
        raw = self.engine.raw_connection()  # the driver's connection: VACUUM runs outside any BEGIN
        try:
            cursor = raw.cursor()
            if int(cursor.execute("PRAGMA user_version").fetchone()[0]) < 1:
                cursor.execute("VACUUM")
                if self._schema_is_current():  # opened without migrating: an older observe may write
                    cursor.execute("PRAGMA user_version = 1")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()

    def _schema_is_current(self) -> bool:
        return self.schema_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def research_view(self) -> Self:
        """A view of the store for the research export (``export.research``, audited): it may
        also read, de-identified, the sessions of clients who consented to research use (no
        display names, no notes). Researchers reach coded data only through it."""
        with self.acting("export.research", entity="export", entity_id="research view"):
            pass
        with self._read() as conn:
            sessions = conn.execute(
                select(T.sessions.c.id)
                .join(T.consents, T.consents.c.client_id == T.sessions.c.client_id)
                .where(T.consents.c.research_use.is_(True))
            ).scalars()
            research = frozenset(int(s) for s in sessions)
        view = type(self)(self.engine, self.url, self.actor, schemes=self._schemes)
        view._principal = replace(self.principal, research=research)
        return view

    def research_events(self, *, what: str = "research") -> pd.DataFrame:
        """Events of clients who consented to research use (finished observations only), for
        :func:`observe.governance.research.research_export` which de-identifies them. ``export.research``
        only (a researcher's one door to coded data); recorded in the audit trail first."""
        from observe.store.frames import read_events_frame

        if self.principal.research is None:  # a research view was audited when it was made
            with self.acting("export.research", entity="export", entity_id=what):
                pass
        with self._read() as conn:
            consenting = set(
                conn.execute(
                    select(T.clients.c.code)
                    .join(T.consents, T.consents.c.client_id == T.clients.c.id)
                    .where(T.consents.c.research_use.is_(True))
                ).scalars()
            )
            finished = set(
                conn.execute(
                    select(T.observations.c.id).where(T.observations.c.status == "finished")
                ).scalars()
            )
        frame = read_events_frame(self)
        keep = frame["client"].isin(consenting) & frame["observation_id"].isin(finished)
        return frame[keep].reset_index(drop=True)


# -- row conversion -------------------------------------------------------------------------------------------------------------


def _remove_media(videos: list[str], sessions: list[str], folder: str | Path | None) -> tuple[int, int]:
    """Delete an erased client's videos and every cache file derived from them (motion energy,
    thumbnails, cached figures: anything under ``<media>/cache`` that names a video or a
    session). Returns (videos, cache files) removed."""
    from observe.video import library as media

    root = media.media_dir(folder)
    removed = 0
    for token in videos:
        if media.is_token(token):
            path = root / token
            if path.is_symlink() or path.exists():
                path.unlink()  # a linked server file: the link goes, the original is the institution's
                removed += 1
    needles = [n.encode() for n in [*videos, *(Path(v).stem for v in videos), *sessions] if n]
    cached = 0
    cache = root / "cache"
    if needles and cache.is_dir():
        for path in sorted(p for p in cache.rglob("*") if p.is_file()):
            try:
                named = any(n in path.name.encode() or n in path.read_bytes() for n in needles)
            except OSError:
                continue
            if named:
                path.unlink()
                cached += 1
                # a cache entry is data + metadata with one stem (cache/motion/<hash>.csv + .json)
                for sibling in path.parent.glob(path.stem + ".*"):
                    sibling.unlink()
                    cached += 1
    return removed, cached


def _change_detail(action_id: int, label: str, changes: str) -> str:
    """The audit detail of an undo-log row: its id, label and the events it touched."""
    ids = sorted({e["id"] for pair in json.loads(changes) for e in pair if e and e.get("id") is not None})
    return json.dumps({"action_id": int(action_id), "events": ids, "label": label[:80]}, sort_keys=True)
