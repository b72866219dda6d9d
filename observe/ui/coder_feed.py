"""The change feed of an observation being coded, shared by every path that writes it in this
server process: the outbox route (``POST /api/outbox/<id>``), the Streamlit trigger and the
Record page's buttons.

Each published write gets the next revision number of its observation's feed. The coder in the
browser holds its events as of one revision; whichever path brings it newer entries (the
route's answer, at once, or the page's next rerun), it applies each revision once and in order,
so the two paths can never undo each other. A page keeps its own copy of the events (the event
list) and catches up from the same feed. A feed keeps the last :data:`KEEP` entries; a reader
further behind (or one holding another feed's *epoch*: a write stored by another server process
was seen) reads everything again.

No streamlit here: the route runs outside any script run.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from observe.coding.recording import timeline_delta
from observe.model import Change
from observe.scheme import CodingScheme

KEEP = 500  # entries kept per observation (a browser further behind gets every event again)
_FEEDS: dict[int, Feed] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Entry:
    """One published write: its revision, the store's changes, and the timeline rows they make
    (``upserts`` as :func:`observe.coding.recording.timeline_rows`, ``removed`` event ids)."""

    rev: int
    changes: tuple[Change, ...]
    upserts: list[list[Any]]
    removed: list[int]

    def wire(self) -> list[Any]:
        """``[rev, upserts, removed]``: what the browser applies."""
        return [self.rev, self.upserts, self.removed]


@dataclass
class Feed:
    """The revisions of one observation's events in this process (thread-safe)."""

    scheme: CodingScheme | None = None
    epoch: str = field(default_factory=lambda: secrets.token_hex(6))
    rev: int = 0
    _log: deque[Entry] = field(default_factory=lambda: deque(maxlen=KEEP))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: held by a keypress path from its store write to its publish, so that the feed's order is
    #: the order the writes were committed in (two tabs coding one observation at once)
    writing: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, changes: Iterable[Change], scheme: CodingScheme | None = None) -> Entry | None:
        """Number ``changes`` as the next revision (None: nothing changed)."""
        changes = tuple(changes)
        scheme = scheme or self.scheme
        if not changes or scheme is None:
            return None
        self.scheme = scheme
        upserts, removed = timeline_delta(changes, scheme)
        with self._lock:
            self.rev += 1
            entry = Entry(self.rev, changes, upserts, removed)
            self._log.append(entry)
        return entry

    def head(self) -> tuple[str, int]:
        """``(epoch, rev)`` now: capture it *before* reading the store, so nothing is missed."""
        with self._lock:
            return self.epoch, self.rev

    def since(self, epoch: str | None, rev: int) -> list[Entry] | None:
        """The entries after ``rev`` of this feed, in order; None if ``epoch`` is another feed's
        or the feed no longer holds them all (the reader reads everything again)."""
        with self._lock:
            if epoch != self.epoch or rev > self.rev:
                return None
            if rev == self.rev:
                return []
            if not self._log or self._log[0].rev > rev + 1:
                return None
            return [e for e in self._log if e.rev > rev]


def feed(observation_id: int, scheme: CodingScheme | None = None) -> Feed:
    """The observation's feed in this process (made on first use)."""
    with _LOCK:
        found = _FEEDS.get(observation_id)
        if found is None:
            found = _FEEDS[observation_id] = Feed(scheme)
    if found.scheme is None and scheme is not None:
        found.scheme = scheme
    return found


def restart(observation_id: int) -> Feed:
    """A new feed (new epoch) for the observation: its readers read everything again (a write
    stored by another server process was seen, so this feed no longer tells the whole story)."""
    with _LOCK:
        old = _FEEDS.get(observation_id)
        fresh = _FEEDS[observation_id] = Feed(old.scheme if old else None)
    return fresh
