"""Imports: tidy event frames and file imports, written through the guarded path.

An import runs as the acting user (the signed-in user, or the CLI's ``--as`` account) and is
one unit of work (:meth:`StoreCore.acting`, action ``data.import``) whose audit row names the
file and its SHA-256. Every (session, observer) it writes is checked on its own:

- a missing client, counselor, session or user is created only where the role may create one
  (``client.create``, ``counselor.create``, ``session.create``, ``users.manage``);
- the user's own observation needs ``observation.open`` on the session (an observer: an
  assigned session); someone else's needs ``session.assign`` (supervisors, administrators):
  an observer never writes into another observer's coding;
- a finished observation is never extended (reopen it first).

Any refusal rolls the whole import back and leaves an audit row of the refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update

from observe.errors import InvalidInput
from observe.governance.access import Target
from observe.model import Change, Event
from observe.store import tables as T
from observe.store.coding import CodingMixin
from observe.store.core import Work
from observe.store.provenance import record_import, refuse_repeat
from observe.store.rows import _now, _refuse_overlaps


@dataclass(frozen=True)
class ImportSource:
    """What the audit trail says about an imported file: its name and the SHA-256 of its bytes."""

    name: str
    sha256: str

    @classmethod
    def of(cls, name: str | None, data: bytes | None) -> ImportSource:
        """The source for a file ``name`` with content ``data`` (no file: an in-memory frame)."""
        return cls((name or "(frame)")[:80], hashlib.sha256(data or b"").hexdigest())

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, name: str = "(frame)") -> ImportSource:
        """A source for a frame handed over in memory: the SHA-256 of its CSV form."""
        return cls.of(name, frame.to_csv(index=False).encode("utf-8"))


class ImportsMixin(CodingMixin):
    """Writing imported events."""

    def import_frame(
        self, frame: pd.DataFrame, *, dry_run: bool = False, source: ImportSource | None = None
    ) -> dict[str, int]:
        """Write a tidy event frame (``observe.model``) in ONE transaction: sessions, clients,
        counselors, observers and observations named in it are created when missing (where the
        acting user may create them); the events of each (session, observer) become one
        undoable action. Any invalid row or refused check refuses the whole import (the
        database is left as it was); ``dry_run`` checks without writing.
        Returns counts of what was (or would be) created."""
        from observe.store.importing import plan_import

        self._allow("data.import")
        plan = plan_import(self, frame)
        src = source or ImportSource.of_frame(frame)
        with self.importing(src, dry_run=dry_run) as work:
            for observation_key, events in plan.events.items():
                observation_id = self._ensure_observation(work, plan, observation_key)
                existing = self._lane_events(work.conn, observation_id)
                lanes: dict[tuple[str, str], list[Event]] = {}
                for e in existing + events:
                    if e.kind == "state":
                        lanes.setdefault((e.subject, e.channel), []).append(e)
                try:
                    for lane in lanes.values():
                        _refuse_overlaps(lane)
                except InvalidInput as exc:
                    raise exc.at(f"{observation_key[0]} / {observation_key[1]}") from exc
                if not dry_run:
                    self._apply(work.conn, observation_id, "import", tuple(Change(None, e) for e in events))
            work.record(**plan.counts())
        return plan.counts()

    def importing(self, source: ImportSource, *, dry_run: bool = False) -> Any:
        """The unit of work of one import (``data.import``), audited with the file's name and
        SHA-256. ``dry_run``: every check runs, then everything is rolled back."""
        return _ImportWork(self, source, dry_run)

    def write_import(
        self,
        plan: Any,
        source: ImportSource | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, int]:
        """Write a :class:`observe.store.importing.FramePlan` in ONE guarded transaction
        (scheme, sessions, observations, events, one undoable action per observation)."""
        from observe.store import importing

        self._allow("data.import")
        with self.importing(source or ImportSource.of(None, None)) as work:
            conn = work.conn
            if plan.source is not None:
                refuse_repeat(conn, plan.source)  # again inside the transaction: two imports at once
            saved: dict[tuple[str, int], int] = {}
            plan.scheme_id = self._import_scheme(work, plan.scheme, plan.scheme_id, saved)
            scheme_of = {
                key: self._import_scheme(work, scheme, scheme_id, saved)
                for key, (scheme, scheme_id) in plan.other_schemes.items()
            }
            keys = [*plan.events, *plan.empty]
            for done, key in enumerate(keys):
                if progress is not None:
                    progress(done, len(keys))
                created = key[0] in plan.new_sessions and not _session_exists(work, key[0])
                observation_id = self._ensure_observation(work, plan, key, scheme_of.get(key))
                if created and plan.attributes.get(key[0]):
                    conn.execute(
                        update(T.sessions)
                        .where(T.sessions.c.code == key[0])
                        .values(attributes=importing.attributes_json(plan.attributes[key[0]]))
                    )
                if key in plan.events:
                    importing._insert_events(self, conn, observation_id, plan.events[key])
            if progress is not None:
                progress(len(keys), len(keys))
            if plan.source is not None:
                written = [key[0] for key in keys]
                record_import(conn, self.actor, plan.source, written, plan.new_sessions)
            work.record(**plan.counts())
        return plan.counts()

    def _import_scheme(
        self, work: Work, scheme: Any, scheme_id: int | None, saved: dict[tuple[str, int], int]
    ) -> int:
        """``scheme_id``, or the id of ``scheme`` saved now (once per import: ``saved``)."""
        from observe.store import importing

        if scheme_id is not None:
            return scheme_id
        if (scheme.name, scheme.version) not in saved:
            work.check("scheme.save")
            saved[(scheme.name, scheme.version)] = int(
                work.conn.execute(
                    insert(T.schemes).values(
                        name=scheme.name,
                        version=scheme.version,
                        definition=importing.scheme_json(scheme),
                        created_at=_now(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        return saved[(scheme.name, scheme.version)]

    def _ensure_observation(
        self, work: Work, plan: Any, key: tuple[str, str], scheme_id: int | None = None
    ) -> int:
        """The id of the observation ``key`` (session code, observer) names, created with what
        it needs where the acting user may (coded with ``scheme_id``, default: the plan's);
        refused for another observer's or a finished one."""
        conn = work.conn
        session_code, observer = key
        facts = plan.sessions[session_code]
        session = conn.execute(
            select(T.sessions.c.id, T.sessions.c.counselor_id, T.sessions.c.client_id).where(
                T.sessions.c.code == session_code
            )
        ).first()
        if session is None:
            session_id, counselor_id, client_id = self._import_session(work, session_code, facts)
        else:
            session_id, counselor_id, client_id = (
                int(session.id),
                int(session.counselor_id),
                session.client_id,
            )
        target = Target.of(counselors=[counselor_id], sessions=[session_id])
        mine = observer == self.actor
        work.check("observation.open" if mine else "session.assign", target)
        user_id = self._ensure_user(work, observer)
        found = conn.execute(
            select(T.observations.c.id, T.observations.c.status).where(
                T.observations.c.session_id == session_id, T.observations.c.observer_id == user_id
            )
        ).first()
        if found is not None:
            if found.status == "finished":
                self._deny("data.import", "import.finished", session=session_code, observer=observer)
            return int(found.id)
        observation_id = conn.execute(
            insert(T.observations).values(
                session_id=session_id,
                observer_id=user_id,
                scheme_id=plan.scheme_id if scheme_id is None else scheme_id,
                status="open",
                is_reference=False,
                has_redo=False,
                created_at=_now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        assigned = conn.execute(
            select(T.session_observers.c.user_id).where(
                T.session_observers.c.session_id == session_id, T.session_observers.c.user_id == user_id
            )
        ).first()
        if assigned is None:
            conn.execute(insert(T.session_observers).values(session_id=session_id, user_id=user_id))
        work.audit(
            "observation.open", "session", session_code, client_id=client_id, observer=observer, via="import"
        )
        return int(observation_id)

    def _import_session(self, work: Work, code: str, facts: dict[str, Any]) -> tuple[int, int, int]:
        """Create the session an import names (and its client and counselor if missing)."""
        conn = work.conn
        client = conn.execute(
            select(T.clients.c.id, T.clients.c.counselor_id).where(T.clients.c.code == facts["client"])
        ).first()
        counselor_id = conn.execute(
            select(T.counselors.c.id).where(T.counselors.c.code == facts["counselor"])
        ).scalar()
        if counselor_id is None:
            work.check("counselor.create")
            counselor_id = conn.execute(
                insert(T.counselors).values(
                    code=facts["counselor"], archived=False, is_demo=False, created_at=_now()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            work.audit("counselor.create", "counselor", facts["counselor"], via="import")
        work.check("session.create", Target.of(counselors=[counselor_id]))
        if client is None:
            work.check("client.create")
            client_id = conn.execute(
                insert(T.clients).values(
                    code=facts["client"],
                    special_needs=False,
                    valence_profile="default",
                    valence_overrides="{}",
                    archived=False,
                    is_demo=False,
                    counselor_id=self.principal.counselor_id,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            work.audit("client.create", "client", facts["client"], client_id=client_id, via="import")
        else:
            client_id = int(client.id)
            if client.counselor_id is not None:  # someone's client: the user must reach it too
                work.check("client.update", self._client_target(conn, client_id))
        session_id = conn.execute(
            insert(T.sessions).values(
                code=code,
                client_id=client_id,
                counselor_id=counselor_id,
                number=facts["number"],
                date=facts["date"],
                duration_s=facts["duration_s"],
                parent_present=False,
                notes="",
                attributes="{}",
                archived=False,
                created_at=_now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        work.audit("session.create", "session", code, client_id=client_id, via="import")
        return int(session_id), int(counselor_id), int(client_id)


class _DryRun(Exception):
    """Rolls a dry-run import back after every check has run."""


class _ImportWork:
    """``with store.importing(source) as work``: one ``data.import`` unit of work."""

    def __init__(self, store: ImportsMixin, source: ImportSource, dry_run: bool) -> None:
        self.store, self.source, self.dry_run = store, source, dry_run
        self._cm: Any = None

    def __enter__(self) -> Work:
        self._cm = self.store.acting("data.import", entity="import", entity_id=self.source.name, checked=True)
        work: Work = self._cm.__enter__()
        work.record(sha256=self.source.sha256, dry_run=self.dry_run)
        return work

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if kind is None and self.dry_run:  # the generator re-raises _DryRun: that is the rollback
            self._cm.__exit__(_DryRun, _DryRun(), None)
            return False
        return bool(self._cm.__exit__(kind, exc, tb))


def _session_exists(work: Work, code: str) -> bool:
    return work.conn.execute(select(T.sessions.c.id).where(T.sessions.c.code == code)).first() is not None
