"""The change feed of an observation (observe/ui/coder_feed.py): revisions in order, once; a
reader that is behind or on another epoch reads everything again."""

from __future__ import annotations

from observe.model import Change, Event
from observe.scheme import default_scheme
from observe.ui import coder_feed


def _change(event_id: int, t: float) -> tuple[Change, ...]:
    return (Change(None, Event("client", "P_NOD", "POINT", "point", t, id=event_id)),)


def test_entries_are_numbered_and_read_from_a_revision() -> None:
    feed = coder_feed.Feed(default_scheme())
    epoch, rev = feed.head()
    assert rev == 0 and feed.since(epoch, 0) == []
    feed.publish(_change(1, 1.0))
    feed.publish(_change(2, 2.0))
    assert [e.rev for e in feed.since(epoch, 0) or []] == [1, 2]
    (entry,) = feed.since(epoch, 1) or []
    rev, upserts, removed = entry.wire()
    assert rev == 2 and [r[0] for r in upserts] == [2] and removed == []
    assert feed.publish(()) is None and feed.head() == (epoch, 2)  # nothing changed: no revision


def test_another_epoch_or_a_reader_too_far_behind_reads_everything_again() -> None:
    feed = coder_feed.Feed(default_scheme())
    epoch = feed.head()[0]
    assert feed.since("another", 0) is None
    for i in range(coder_feed.KEEP + 5):
        feed.publish(_change(i + 1, float(i)))
    assert feed.since(epoch, 0) is None  # the first entries are gone
    assert len(feed.since(epoch, 10) or []) == coder_feed.KEEP - 5
    assert feed.since(epoch, feed.rev + 1) is None  # a revision this feed never had


def test_restart_gives_the_observation_a_new_epoch() -> None:
    old = coder_feed.feed(987_654, default_scheme())
    new = coder_feed.restart(987_654)
    assert new.epoch != old.epoch and new.scheme is old.scheme
    assert coder_feed.feed(987_654) is new
