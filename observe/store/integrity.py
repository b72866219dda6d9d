"""The integrity report (``python -m observe check``): what in the stored data breaks a rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from observe.errors import ObserveError

if TYPE_CHECKING:
    from observe.store.api import Store


@dataclass(frozen=True)
class Finding:
    """One problem: where (session / observer) and what (an English sentence for the report)."""

    where: str
    problem: str


def check(store: Store) -> list[Finding]:
    """Overlapping states in a lane, codes missing from the observation's scheme, events
    outside the session, states still running in finished observations."""
    findings: list[Finding] = []
    for obs in store.observations():
        where = f"{obs.session} / {obs.observer}"
        try:
            scheme = store.observation_scheme(obs.id)
        except ObserveError as exc:
            findings.append(Finding(where, str(exc)))
            continue
        known = {c.code for c in scheme.cues}
        duration = store.session(obs.session).duration_s
        events = store.events(obs.id)
        for e in events:
            if e.cue not in known:
                findings.append(
                    Finding(
                        where, f"event #{e.id}: cue {e.cue} is not in scheme {scheme.name} v{scheme.version}"
                    )
                )
            if duration is not None and e.start_s > duration:
                findings.append(
                    Finding(
                        where, f"event #{e.id}: starts at {e.start_s} s, after the session end ({duration} s)"
                    )
                )
            if e.running and obs.status == "finished":
                findings.append(
                    Finding(where, f"event #{e.id}: state {e.cue} still running in a finished observation")
                )
        findings += _overlaps(where, events)
    return findings


def _overlaps(where: str, events: list) -> list[Finding]:
    found = []
    lanes: dict[tuple[str, str], list] = {}
    for e in events:
        if e.kind == "state":
            lanes.setdefault((e.subject, e.channel), []).append(e)
    for (subject, channel), lane in lanes.items():
        lane.sort(key=lambda e: e.start_s)
        for prev, nxt in zip(lane, lane[1:], strict=False):
            end = np.inf if prev.end_s is None else prev.end_s
            if nxt.start_s < end:
                found.append(
                    Finding(
                        where,
                        f"{subject} {channel}: #{prev.id} {prev.cue} overlaps #{nxt.id} {nxt.cue} at {nxt.start_s} s",
                    )
                )
    return found
