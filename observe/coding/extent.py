"""The coded extent: where an observer finished coding a session (DOMAIN §9.3).

An observation covers ``[0, E]``; time in ``(E, T]`` is *uncoded*, not "not visible".
Finishing records E. Its default is the latest event time or the video position reached,
whichever is later; a state still running at E ends at E. E may not lie beyond the
session (``T``), nor before an event already coded (the events would fall outside the
coded extent), nor on the onset of a running state (that would make it zero-length,
which DOMAIN §9.2 refuses).

:func:`summarize` is pure: the Record page shows its result before the observer confirms,
the CLI prints it, and :meth:`observe.store.Store.finish_observation` applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from observe.errors import InvalidInput
from observe.model import Change, Event, check_time, ms

if TYPE_CHECKING:
    from observe.store import Store

#: How an observation's status is shown (the store keeps ``open`` / ``finished``).
STATUS_LABELS = {"open": "in progress", "finished": "finished"}


@dataclass(frozen=True)
class FinishSummary:
    """What finishing an observation at ``coded_s`` (E) does, and whether it may.

    ``open_states`` are the states still running, which end at E; ``unpaired_stops`` are
    stored states whose stop does not come after their start (zero-length or reversed:
    only data written before these checks can hold one; they are reported, not fixed);
    ``coverage`` is E/T (None when the session length is unknown). ``problem`` is why
    finishing at E is refused (None: it may finish).
    """

    coded_s: float
    duration_s: float | None
    latest_s: float
    n_events: int
    open_states: tuple[Event, ...]
    unpaired_stops: tuple[Event, ...]
    problem: InvalidInput | None = None

    @property
    def coverage(self) -> float | None:
        return coverage(self.coded_s, self.duration_s)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def changes(self) -> tuple[Change, ...]:
        """The plan that finishing applies: every running state ends at E."""
        return tuple(Change(e, replace(e, end_s=self.coded_s)) for e in self.open_states)


def coverage(coded_s: float | None, duration_s: float | None) -> float | None:
    """E/T, the share of the session that is coded (None if either is unknown).

    >>> coverage(300.0, 600.0), coverage(None, 600.0), coverage(300.0, None)
    (0.5, None, None)
    """
    if coded_s is None or not duration_s:
        return None
    return round(min(coded_s / duration_s, 1.0), 4)


def latest_time(events: Iterable[Event]) -> float:
    """The latest time any event mentions (a start, an end or a point); 0 with no events.

    >>> latest_time([Event("client", "G_EYE", "GAZE", "state", 2.0, 5.5), Event("client", "P_NOD", "HEAD", "point", 4.0)])
    5.5
    """
    return max((max(e.start_s, e.end_s or 0.0) for e in events), default=0.0)


def summarize(
    events: Iterable[Event],
    duration_s: float | None,
    *,
    coded_s: float | None = None,
    position_s: float | None = None,
) -> FinishSummary:
    """What finishing at ``coded_s`` (default: the latest event time or ``position_s``, the
    video position reached, whichever is later) would do.

    Examples
    --------
    >>> eye = Event("client", "G_EYE", "GAZE", "state", 2.0, id=1)
    >>> nod = Event("client", "P_NOD", "HEAD", "point", 4.0, id=2)
    >>> s = summarize([eye, nod], 600.0, position_s=60.0)
    >>> s.coded_s, s.coverage, [e.cue for e in s.open_states], s.ok
    (60.0, 0.1, ['G_EYE'], True)
    >>> summarize([eye, nod], 600.0, coded_s=700).problem.key
    'finish.after_session_end'
    """
    events = list(events)
    latest = ms(latest_time(events))
    running = tuple(e for e in events if e.running)
    unpaired = tuple(e for e in events if e.kind == "state" and e.end_s is not None and e.end_s <= e.start_s)
    problem: InvalidInput | None = None
    if coded_s is None:
        end = max(latest, ms(position_s) if position_s is not None else 0.0)
        if duration_s is not None:
            end = min(end, ms(duration_s))
    else:
        try:
            end = check_time(coded_s)
        except InvalidInput:
            end, problem = latest, InvalidInput("finish.bad_time", value=coded_s)
    return FinishSummary(
        coded_s=end,
        duration_s=duration_s,
        latest_s=latest,
        n_events=len(events),
        open_states=tuple(sorted(running, key=lambda e: (e.start_s, e.subject, e.channel))),
        unpaired_stops=unpaired,
        problem=problem or _problem(end, duration_s, latest, running),
    )


def _problem(
    end: float, duration_s: float | None, latest: float, running: tuple[Event, ...]
) -> InvalidInput | None:
    if duration_s is not None and end > duration_s + 1e-9:
        return InvalidInput("finish.after_session_end", value=end, duration=ms(duration_s))
    if end < latest:
        return InvalidInput("finish.before_last_event", value=end, latest=latest)
    starting = [e for e in running if e.start_s >= end]
    if starting:
        first = starting[0]
        return InvalidInput("finish.state_starts_at_end", cue=first.cue, subject=first.subject, value=end)
    return None


def summary_for(
    store: Store, observation_id: int, *, coded_s: float | None = None, position_s: float | None = None
) -> FinishSummary:
    """:func:`summarize` for a stored observation (read with the acting user's rights); the
    position reached defaults to the one the coder reported (:meth:`Store.note_reached`)."""
    obs = store.observation(observation_id)
    duration = store.session(obs.session).duration_s
    if position_s is None:
        position_s = obs.reached_s
    return summarize(store.events(observation_id), duration, coded_s=coded_s, position_s=position_s)
