"""Reading events into the tidy frame (``observe.model``) fast.

The event rows are fetched alone (one narrow query, no joins) and the session,
client, observer and scheme facts are attached from a small per-observation
lookup with a vectorised merge: a million events cost little more than reading
the events table itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import select

from observe.model import EVENT_COLUMNS
from observe.store import tables as T

if TYPE_CHECKING:
    from observe.store.core import StoreCore as Store

_EVENT_FIELDS = (
    "id",
    "observation_id",
    "subject",
    "channel",
    "cue",
    "kind",
    "start_s",
    "end_s",
    "modifiers",
    "comment",
)


def read_events_frame(
    store: Store,
    *,
    session: str | None = None,
    observation_id: int | None = None,
    observer: str | None = None,
    client: str | None = None,
) -> pd.DataFrame:
    """Events of the matching observations as a tidy frame, ordered by session, observer, time."""
    lookup = _observation_lookup(
        store, session=session, observation_id=observation_id, observer=observer, client=client
    )
    if lookup.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in EVENT_COLUMNS})
    query = select(*(T.events.c[name] for name in _EVENT_FIELDS))
    if session or observation_id is not None or observer or client:
        query = query.where(T.events.c.observation_id.in_([int(i) for i in lookup["observation_id"]]))
    with store._read() as conn:
        rows = conn.execute(query).all()
    # Column-wise numpy arrays from plain tuples (DataFrame.from_records probes every Row
    # object), facts attached by position and a sort on numbers: a million events cost
    # little more than reading them, and the frame is built once.
    raw = (
        dict(zip(_EVENT_FIELDS, (np.asarray(v, dtype=object) for v in zip(*rows, strict=True)), strict=True))
        if rows
        else {}
    )
    if not raw:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in EVENT_COLUMNS})
    lookup = lookup.sort_values(["session", "observer"], kind="stable", ignore_index=True)
    position = pd.Series(np.arange(len(lookup)), index=lookup["observation_id"].to_numpy())
    rank = position.reindex(raw["observation_id"]).to_numpy()
    known = ~np.isnan(rank)
    rank = rank[known].astype(np.int64)
    start = raw["start_s"][known].astype("float64")
    ids = raw["id"][known].astype(np.int64)
    order = np.lexsort((ids, start, rank))
    rank = rank[order]
    frame = pd.DataFrame(
        {
            name: raw[name][known][order]
            for name in ("subject", "channel", "cue", "kind", "modifiers", "comment")
        }
    )
    frame["start_s"] = start[order]
    frame["end_s"] = (
        pd.to_numeric(pd.Series(raw["end_s"][known][order]), errors="coerce").astype("float64").to_numpy()
    )
    frame["event_id"] = ids[order]
    for column in lookup.columns:
        frame[column] = lookup[column].to_numpy()[rank]
    return frame[list(EVENT_COLUMNS)]


def _observation_lookup(
    store: Store, *, session: str | None, observation_id: int | None, observer: str | None, client: str | None
) -> pd.DataFrame:
    query = (
        select(
            T.observations.c.id.label("observation_id"),
            T.sessions.c.code.label("session"),
            T.clients.c.code.label("client"),
            T.users.c.username.label("observer"),
            T.counselors.c.code.label("counselor"),
            T.sessions.c.number.label("session_number"),
            T.sessions.c.date.label("session_date"),
            T.sessions.c.duration_s,
            T.schemes.c.name.label("scheme"),
            T.schemes.c.version.label("scheme_version"),
        )
        .join(T.sessions, T.sessions.c.id == T.observations.c.session_id)
        .join(T.clients, T.clients.c.id == T.sessions.c.client_id)
        .join(T.counselors, T.counselors.c.id == T.sessions.c.counselor_id)
        .join(T.users, T.users.c.id == T.observations.c.observer_id)
        .join(T.schemes, T.schemes.c.id == T.observations.c.scheme_id)
    )
    if session:
        query = query.where(T.sessions.c.code == session)
    if observation_id is not None:
        query = query.where(T.observations.c.id == observation_id)
    if observer:
        query = query.where(T.users.c.username == observer)
    if client:
        query = query.where(T.clients.c.code == client)
    with store._read() as conn:
        rows = conn.execute(query).all()
    lookup = pd.DataFrame.from_records(
        rows, columns=list(rows[0]._fields) if rows else [c.name for c in query.selected_columns]
    )
    lookup["duration_s"] = pd.to_numeric(lookup["duration_s"], errors="coerce").astype("float64")
    return lookup


def _dtype(column: str) -> str | np.dtype:
    return "float64" if column in ("start_s", "end_s", "duration_s") else np.dtype("O")
