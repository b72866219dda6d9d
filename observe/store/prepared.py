"""Statements of the keypress hot path, compiled once per dialect and run on the unit of work's
own DBAPI connection.

A keypress is a handful of tiny statements; SQLAlchemy's per-call execution machinery (cache
key, execution context, result object, events) costs several times what SQLite spends on
each (profiled for issue 16: about 60 µs a statement against 5-10 µs). A :class:`Prepared`
statement is still built by SQLAlchemy Core with bound parameters only; it is compiled once
per dialect, its bind processors are looked up once, and each call is one DBAPI ``execute``
inside the transaction :meth:`StoreCore.acting` opened (the driver then reuses its own
prepared statement: sqlite3's statement cache, psycopg's automatic preparation).

Only the hot path uses it; everything else goes through ``Connection.execute``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the bound parameters in the SQL's order (positional drivers)
    positional: bool
    defaults: dict[str, Any]  # literal values the statement carries (``kind = 'state'``)
    processors: dict[str, Processor]  # bind processors (e.g. SQLite's DATETIME as text)
    row: Any  # a named row type (collections.namedtuple) for statements that return rows


class Prepared:
    """One hot-path statement (a select, insert, update or delete built with SQLAlchemy Core).

    >>> from sqlalchemy import create_engine, select, literal, bindparam
    >>> q = Prepared(select(literal(1).label("one"), bindparam("x").label("x")))
    >>> with create_engine("sqlite://").connect() as conn:
    ...     q.all(conn, {"x": 5})
    [Row(one=1, x=5)]
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}:{dialect.paramstyle}"
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        defaults: dict[str, Any] = {}
        processors: dict[str, Processor] = {}
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        names = (
            tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.bind_names.values())
        )
        columns = getattr(self.statement, "selected_columns", None)
        returning = getattr(compiled, "returning", None) or ()
        fields = [c.key for c in columns] if columns is not None else [c.key for c in returning]
        row = namedtuple("Row", fields) if fields else None  # noqa: PYI024 - built at run time
        return _Compiled(compiled.string, names, compiled.positional, defaults, processors, row)

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        dialect = conn.dialect
        compiled = self._compiled(dialect)
        values = compiled.defaults | dict(params) if compiled.defaults else dict(params)
        for name, processor in compiled.processors.items():
            if name in values:
                values[name] = processor(values[name])
        args: Sequence[Any] | dict[str, Any] = (
            tuple(values[n] for n in compiled.names) if compiled.positional else values
        )
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            # the same exception types as Connection.execute (IntegrityError, OperationalError...)
            raise DBAPIError.instance(compiled.sql, args, exc, dialect.loaded_dbapi.Error) from exc
        return cursor, compiled

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        cursor, _compiled = self._run(conn, params)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run a select (or an insert/update ... RETURNING); its rows with named fields."""
        cursor, compiled = self._run(conn, params)
        rows = cursor.fetchall()
        cursor.close()
        assert compiled.row is not None, "Prepared.all needs a statement that returns rows"
        make = compiled.row._make
        return [make(r) for r in rows]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row of :meth:`all`, or None."""
        rows = self.all(conn, params)
        return rows[0] if rows else None
