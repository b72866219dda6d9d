"""Coding schemes in the store: stored versions (immutable, cached), the latest of a name."""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert, select

from observe.errors import InvalidInput, NotFound
from observe.scheme import CodingScheme, default_scheme
from observe.store import tables as T
from observe.store.core import StoreCore
from observe.store.rows import (
    _now,
)


class SchemesMixin(StoreCore):
    """Stored coding scheme versions."""

    def save_scheme(self, scheme: CodingScheme) -> int:
        """Store a scheme version (validated); an existing identical version is reused."""
        self._allow("scheme.save")
        return self._save_scheme(scheme)

    def _save_scheme(self, scheme: CodingScheme) -> int:
        scheme.validate()
        definition = json.dumps(scheme.to_dict(), ensure_ascii=False, sort_keys=True)
        with self.acting("scheme.save", entity="scheme", checked=True) as work:
            conn = work.conn
            row = conn.execute(
                select(T.schemes.c.id, T.schemes.c.definition).where(
                    T.schemes.c.name == scheme.name, T.schemes.c.version == scheme.version
                )
            ).first()
            if row is not None:
                if json.loads(row.definition) != json.loads(definition):
                    raise InvalidInput("scheme.version_exists", name=scheme.name, version=scheme.version)
                return int(row.id)
            new_id = int(
                conn.execute(
                    insert(T.schemes).values(
                        name=scheme.name, version=scheme.version, definition=definition, created_at=_now()
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            work.record(f"{scheme.name} v{scheme.version}")
            return new_id

    def scheme(self, name: str = "default", version: int | None = None) -> CodingScheme:
        """A stored scheme (the latest version unless ``version`` is given)."""
        self._allow("scheme.read")
        query = select(T.schemes.c.id).where(T.schemes.c.name == name)
        query = (
            query.where(T.schemes.c.version == version)
            if version
            else query.order_by(T.schemes.c.version.desc())
        )
        with self._read() as conn:
            scheme_id = conn.execute(query.limit(1)).scalar()
        if scheme_id is None:
            if name == "default" and version in (None, default_scheme().version):
                return self._scheme_by_id(self._save_scheme(default_scheme()))
            raise NotFound("scheme.not_found", name=name, version=version or "-")
        return self._scheme_by_id(int(scheme_id))

    def schemes(self) -> list[tuple[str, int]]:
        """All stored (name, version) pairs, newest version first within a name."""
        self._allow("scheme.read")
        with self._read() as conn:
            rows = conn.execute(
                select(T.schemes.c.name, T.schemes.c.version).order_by(
                    T.schemes.c.name, T.schemes.c.version.desc()
                )
            )
            return [(r.name, int(r.version)) for r in rows]

    def _scheme_by_id(self, scheme_id: int, conn: Connection | None = None) -> CodingScheme:
        """A stored scheme version (immutable, so cached); reads on ``conn`` when inside a transaction."""
        if scheme_id not in self._schemes:
            query = select(T.schemes.c.definition).where(T.schemes.c.id == scheme_id)
            if conn is None:
                with self._read() as own:
                    definition = own.execute(query).scalar_one()
            else:
                definition = conn.execute(query).scalar_one()
            self._schemes[scheme_id] = CodingScheme.from_dict(json.loads(definition))
        return self._schemes[scheme_id]

    def _latest_scheme_id(self, name: str) -> int:
        with self._read() as conn:
            found = conn.execute(
                select(T.schemes.c.id)
                .where(T.schemes.c.name == name)
                .order_by(T.schemes.c.version.desc())
                .limit(1)
            ).scalar()
        return int(found) if found is not None else self._save_scheme(default_scheme())
