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


def test_a_button_write_holds_the_feed_from_its_commit_to_its_publish() -> None:
    """Like the keypress paths, the Record page's buttons (undo, redo, edit, delete) write and
    publish under the feed's ``writing`` lock: a keypress committed meanwhile by the outbox route
    can't be published before a button's earlier commit, so the feed's order is the commits'."""
    from observe.model import Recorded
    from observe.ui.page import Page
    from observe.ui.record_panels import _act

    obs = 987_655
    feed = coder_feed.feed(obs, default_scheme())
    held: list[bool] = []

    def undo() -> Recorded:
        held.append(feed.writing.locked())
        return Recorded(action_id=1, changes=_change(1, 1.0))

    _act(Page(store=None, lang="en"), obs, undo)  # type: ignore[arg-type]
    assert held == [True] and feed.rev == 1 and not feed.writing.locked()
