"""The reference (gold-standard) observation of a session: exactly one, or none.

A supervisor's coding that trainees are compared with (issue 5). Kept beside the
store API as two small writes; the permission rule lives in :mod:`observe.coding.blind`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from observe.model import Observation
from observe.store import tables as T

if TYPE_CHECKING:
    from observe.store.api import Store


def set_reference(store: Store, observation_id: int) -> Observation:
    """Mark ``observation_id`` as its session's reference; the session's other observations
    lose the mark in the same transaction, so there is never more than one.

    Examples
    --------
    >>> import datetime as dt
    >>> from observe.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_client("K01"), store.add_counselor("C01")
    >>> s = store.add_session("K01", "C01", date=dt.date(2026, 1, 5))
    >>> obs = store.open_observation(s.code, "dewi")
    >>> set_reference(store, obs.id).is_reference
    True
    """
    session_id = store.observation_session(observation_id)
    with store.acting(
        "observation.reference",
        store.session_target(session_id),
        entity="observation",
        entity_id=observation_id,
        client_id=store.session_client_id(session_id),
    ) as work:
        conn = work.conn
        conn.execute(
            update(T.observations)
            .where(T.observations.c.session_id == session_id, T.observations.c.id != observation_id)
            .values(is_reference=False)
        )
        conn.execute(
            update(T.observations).where(T.observations.c.id == observation_id).values(is_reference=True)
        )
    return store.observation(observation_id)


def clear_reference(store: Store, session: str) -> None:
    """Remove the reference mark from every observation of ``session`` (a code such as K01-S03)."""
    session_id = store.session(session).id
    with store.acting(
        "observation.reference",
        store.session_target(session_id),
        audit="observation.reference_clear",
        entity="session",
        entity_id=session,
        client_id=store.session_client_id(session_id),
    ) as work:
        work.conn.execute(
            update(T.observations).where(T.observations.c.session_id == session_id).values(is_reference=False)
        )
