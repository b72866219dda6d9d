"""Where imported data came from, and refusing the same import twice (DOMAIN §9.7).

A session imported from BORIS keeps the observation id and description, one from ELAN
the file name, one from our own tidy file that file's name (``sessions.source``). Every
import is recorded (``imports``: the file's SHA-256, its name, the source observation
ids, the sessions created, when and by whom); a file already imported, or a BORIS
observation id already imported, is refused with "already imported as … on …" unless
the person asks for a new copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

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
