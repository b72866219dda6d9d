"""Overviews of the workspace as tables, shared by the pages and the CLI."""

from __future__ import annotations

import pandas as pd

from observe.store import Store

SESSION_COLUMNS = (
    "session",
    "client",
    "counselor",
    "number",
    "date",
    "duration_min",
    "parent_present",
    "observers",
    "events",
    "archived",
    "source",
)


def sessions_overview(
    store: Store, *, client: str | None = None, include_archived: bool = False
) -> pd.DataFrame:
    """One row per session: who, when, how long, who observes it and how many events are coded."""
    from observe.store.provenance import session_sources

    observations = store.observations()
    sources = session_sources(store)
    observers: dict[str, list[str]] = {}
    events: dict[str, int] = {}
    for obs in observations:
        observers.setdefault(obs.session, []).append(obs.observer)
        events[obs.session] = events.get(obs.session, 0) + obs.n_events
    rows = [
        {
            "session": s.code,
            "client": s.client,
            "counselor": s.counselor,
            "number": s.number,
            "date": s.date,
            "duration_min": None if s.duration_s is None else round(s.duration_s / 60, 1),
            "parent_present": s.parent_present,
            "observers": ", ".join(sorted(set(observers.get(s.code, [])) | set(store.observers_of(s.code)))),
            "events": events.get(s.code, 0),
            "archived": s.archived,
            "source": sources.get(s.code, ""),
        }
        for s in store.sessions(client=client, include_archived=include_archived)
    ]
    return pd.DataFrame(rows, columns=list(SESSION_COLUMNS))


def observations_overview(store: Store, *, client: str | None = None) -> dict[str, list[dict[str, object]]]:
    """Session code → its observations the acting user may read: observer, status
    (``in progress`` / ``finished``), the coded extent ``coded_s`` (E) and ``coverage`` (E/T)."""
    from observe.coding.extent import STATUS_LABELS, coverage

    lengths = {s.code: s.duration_s for s in store.sessions(client=client, include_archived=True)}
    found: dict[str, list[dict[str, object]]] = {}
    for obs in store.observations():
        if obs.session in lengths:
            found.setdefault(obs.session, []).append(
                {
                    "observer": obs.observer,
                    "status": STATUS_LABELS.get(obs.status, obs.status),
                    "coded_s": obs.coded_s,
                    "coverage": coverage(obs.coded_s, lengths[obs.session]),
                    "events": obs.n_events,
                }
            )
    return found


def clients_overview(store: Store, *, include_archived: bool = False) -> pd.DataFrame:
    """One row per client with their number of sessions."""
    counts: dict[str, int] = {}
    for s in store.sessions(include_archived=True):
        counts[s.client] = counts.get(s.client, 0) + 1
    rows = [
        {
            "code": c.code,
            "display_name": c.display_name or "",
            "special_needs": c.special_needs,
            "valence_profile": c.valence_profile,
            "sessions": counts.get(c.code, 0),
            "archived": c.archived,
        }
        for c in store.clients(include_archived=include_archived)
    ]
    return pd.DataFrame(
        rows, columns=["code", "display_name", "special_needs", "valence_profile", "sessions", "archived"]
    )


def counselors_overview(store: Store, *, include_archived: bool = False) -> pd.DataFrame:
    counts: dict[str, int] = {}
    for s in store.sessions(include_archived=True):
        counts[s.counselor] = counts.get(s.counselor, 0) + 1
    rows = [
        {"code": c.code, "name": c.name or "", "sessions": counts.get(c.code, 0), "archived": c.archived}
        for c in store.counselors(include_archived=include_archived)
    ]
    return pd.DataFrame(rows, columns=["code", "name", "sessions", "archived"])


def set_observers(store: Store, session: str, usernames: list[str]) -> None:
    """Make exactly ``usernames`` the observers of ``session`` (users are created as observers if new)."""
    current = set(store.observers_of(session))
    known = {u.username for u in store.users()}
    for name in usernames:
        if name not in known:
            store.add_user(name, role="observer")
        if name not in current:
            store.assign_observer(session, name)
    for name in current - set(usernames):
        store.unassign_observer(session, name)
