"""Blind double coding: who may see which observation of a session (issue 5).

Reliability is only worth reporting if the observers coded independently
(Bakeman & Quera 2011, ch. 6): while a session is being double-coded, an
observer sees only their own events. The rule, in one sentence: **a viewer sees
another observer's events only when every coder of the session has finished**
(a coder is anyone with an observation of the session or assigned to it), and
always sees their own. Roles in :data:`UNBLINDED_ROLES` (supervisors, who also
make the reference coding) see everything.

The rules are pure functions of the session's observations (:func:`visibility`);
:func:`session_visibility` and :func:`visible_events` read them from the store.
The viewer and their role are parameters: in team mode they are the signed-in
user (:func:`viewer_of`); in local mode, where observers share one computer and
take turns, the page acts for the observer whose observation is being compared.
The store enforces the same rule itself (``observation.read_others``, ``observe.governance.access``):
an observer's reads of events, counts, exports and dashboards never include another
observer's coding of a session before every coder of it has finished. Reopening an
observation after that is a supervisor's action, and :attr:`Visibility.reopened` names the
observers whose observation was reopened after unblinding, for agreement views to mark.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from observe.errors import NotFound, PermissionDenied
from observe.model import Observation
from observe.store import LOCAL_ADMIN, Store
from observe.store import reference as _reference

#: Roles that see every observation whatever its status (the supervisor trains observers
#: and codes the reference; the administrator runs the workspace).
UNBLINDED_ROLES: frozenset[str] = frozenset({"supervisor", "administrator"})
#: Roles that may designate the reference observation of a session.
REFERENCE_ROLES: frozenset[str] = frozenset({"supervisor", "administrator"})
FINISHED = "finished"

# translation keys (observe/i18n/catalog/agreement_page.json)
R_OWN_OPEN = "blind.own_open"
R_OTHERS_OPEN = "blind.others_open"


@dataclass(frozen=True)
class Visibility:
    """What one viewer may see of one session's observations.

    Attributes
    ----------
    session, viewer : str
        The session code and the viewer's username.
    visible : tuple of str
        Observers whose events the viewer may see (the viewer first if they coded).
    hidden : tuple of str
        Observers with an observation the viewer may not see yet.
    waiting_for : tuple of str
        Coders who have not finished (assigned coders who have not started included).
    reason : str or None
        Translation key saying why something is hidden; ``params`` fill it.
    """

    session: str
    viewer: str
    visible: tuple[str, ...]
    hidden: tuple[str, ...]
    waiting_for: tuple[str, ...]
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: observers whose observation was reopened after every coder had finished (they may have
    #: seen the others' coding): agreement views mark them
    reopened: tuple[str, ...] = ()

    def may_see(self, observer: str) -> bool:
        """True if the viewer may see ``observer``'s events."""
        return observer in self.visible

    def message(self, lang: str = "en") -> str:
        """Why something is hidden, in ``lang`` (empty if nothing is)."""
        from observe.i18n import t

        return t(self.reason, lang, **self.params) if self.reason else ""


def visibility(
    observations: Sequence[Observation],
    viewer: str,
    *,
    role: str | None = None,
    assigned: Collection[str] = (),
) -> Visibility:
    """The blind-coding rule for one session.

    Parameters
    ----------
    observations : sequence of Observation
        Every observation of the session (``Store.observations(session=...)``).
    viewer : str
        Username of the person looking.
    role : str, optional
        The viewer's role; ``None`` is treated like an observer (the strictest case).
    assigned : collection of str
        Observers assigned to the session; one who has not started yet still counts
        as a coder who has not finished (otherwise the first to finish would see
        the other's events before the second has begun).

    Returns
    -------
    Visibility

    Examples
    --------
    >>> from observe.model import Observation
    >>> ani = Observation(1, "S1", "ani", "default", 1, "finished", False)
    >>> budi = Observation(2, "S1", "budi", "default", 1, "open", False)
    >>> visibility([ani, budi], "ani").visible
    ('ani',)
    >>> visibility([ani, budi], "dewi", role="supervisor").visible
    ('ani', 'budi')
    """
    session = observations[0].session if observations else ""
    coded = [o.observer for o in observations]
    finished = {o.observer for o in observations if o.status == FINISHED}
    coders = sorted(set(coded) | set(assigned))
    waiting = tuple(c for c in coders if c not in finished)
    unblinded = role in UNBLINDED_ROLES or not waiting
    visible = coded if unblinded else [c for c in coded if c == viewer]
    order = sorted(visible, key=lambda name: (name != viewer, name))
    hidden = tuple(sorted(c for c in coded if c not in visible))
    reason, params = None, {}
    if hidden:
        reason = R_OWN_OPEN if viewer in waiting else R_OTHERS_OPEN
        params = {"session": session, "observers": ", ".join(w for w in waiting if w != viewer)}
    return Visibility(session, viewer, tuple(order), hidden, waiting, reason, params)


def role_of(store: Store, username: str) -> str | None:
    """The stored role of ``username`` (None if there is no such user or it may not be read)."""
    try:
        return store.user(username).role
    except (NotFound, PermissionDenied):
        return None


def viewer_of(store: Store, acting_for: str) -> tuple[str, str | None]:
    """Who is looking, and their role: the signed-in user of ``store``; in local mode (the
    local administrator, one shared computer) the observer the page acts for."""
    me = store.principal
    if me.username == LOCAL_ADMIN:
        return acting_for, role_of(store, acting_for)
    return me.username, me.role


def session_visibility(store: Store, session: str, viewer: str, *, role: str | None = None) -> Visibility:
    """:func:`visibility` of a stored session (its observations and assigned observers), with
    the observers reopened after unblinding (:meth:`Store.reopened_after_unblinding`)."""
    seen = visibility(
        store.observations(session=session), viewer, role=role, assigned=store.observers_of(session)
    )
    return replace(seen, reopened=tuple(store.reopened_after_unblinding(session)))


def visible_events(store: Store, session: str, viewer: str, *, role: str | None = None) -> pd.DataFrame:
    """The session's tidy event frame, limited to the observations ``viewer`` may see.

    Examples
    --------
    >>> import datetime as dt
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_client("K01"), store.add_counselor("C01")
    >>> s = store.add_session("K01", "C01", date=dt.date(2026, 1, 5), duration_s=60)
    >>> ani, budi = store.open_observation(s.code, "ani"), store.open_observation(s.code, "budi")
    >>> _ = store.record(ani.id, "client", "G_EYE", 1.0)
    >>> len(visible_events(store, s.code, "ani")), len(visible_events(store, s.code, "budi"))
    (1, 0)
    """
    allowed = session_visibility(store, session, viewer, role=role).visible
    frame = store.events_frame(session=session)
    return frame.loc[frame["observer"].isin(allowed)].reset_index(drop=True)


def check_may_compare(
    store: Store, session: str, viewer: str, observers: Sequence[str], *, role: str | None = None
) -> Visibility:
    """Refuse (``PermissionDenied``) if ``viewer`` may not see one of ``observers`` yet."""
    seen = session_visibility(store, session, viewer, role=role)
    if any(not seen.may_see(name) for name in observers if name != viewer) and seen.reason:
        raise PermissionDenied(seen.reason, **seen.params)
    return seen


def reference(observations: Sequence[Observation]) -> Observation | None:
    """The session's reference (gold-standard) observation, if one is designated."""
    return next((o for o in observations if o.is_reference), None)


def set_reference(store: Store, observation_id: int, *, role: str | None = None) -> Observation:
    """Designate the reference observation of its session (the others lose the mark).

    Allowed to supervisors and administrators (``role``, default: the store's acting
    user's) for observations they may read (a supervisor: of the counselors they supervise).
    """
    _check_reference_role(store, role)
    store.observation(observation_id)  # refuses an observation the acting user may not read
    return _reference.set_reference(store, observation_id)


def clear_reference(store: Store, session: str, *, role: str | None = None) -> None:
    """Remove the reference mark from every observation of ``session``."""
    _check_reference_role(store, role)
    store.session(session)  # refuses a session the acting user may not read
    _reference.clear_reference(store, session)


def _check_reference_role(store: Store, role: str | None) -> None:
    role = store.principal.role if role is None else role
    if role not in REFERENCE_ROLES:
        raise PermissionDenied("blind.reference_not_allowed", role=role)
