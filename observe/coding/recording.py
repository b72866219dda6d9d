"""The recorder's core, without a browser: hotkey bindings, the outbox protocol, the live timeline's data.

The browser side (``observe/ui/coder.py``) keeps every keypress in an *outbox*: each item
carries the page's client id and a sequence number, and stays there, re-sent, until Python
acknowledges it. :func:`apply_outbox` writes a batch to the store and returns the
acknowledgements. They come from the store writes: :meth:`Store.record` is idempotent on
(client id, sequence number), so an item re-sent after a lost acknowledgement, a reconnect
or a page reload (the outbox is kept in the browser's storage) is stored exactly once.
(Issue 3: one trigger per keypress lost up to a third of the keys in a burst; the outbox
kept 100 of 100.)

Item operations: ``cue`` (a hotkey: subject, cue, time), ``undo``, ``redo`` and ``annotate``
(modifiers and comment for the event coded at a time). Errors a person must see (a time after
the session end, a cue that is not for that subject) acknowledge the item (re-sending cannot
fix it) and are reported; a database that does not answer acknowledges nothing from that item
on, so the browser re-sends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from observe.charts import VALENCE_COLOURS, timeline_lanes, valence_class
from observe.errors import DatabaseError, InvalidInput, ObserveError
from observe.model import Change, Event, Recorded, format_modifiers, ms
from observe.scheme import CodingScheme
from observe.scheme.hotkeys import Hotkey
from observe.scheme.sheet import cheat_sheet as scheme_sheet

OPS: tuple[str, ...] = ("cue", "undo", "redo", "annotate")


class EventWriter(Protocol):
    """The part of :class:`observe.store.Store` the recorder writes through."""

    def record(
        self,
        observation_id: int,
        subject: str,
        cue: str,
        t: float,
        *,
        modifiers: Mapping[str, str] | None = ...,
        comment: str = ...,
        client_key: str | None = ...,
        client_seq: int | None = ...,
    ) -> Recorded: ...

    def undo(
        self, observation_id: int, *, client_key: str | None = ..., client_seq: int | None = ...
    ) -> Recorded: ...

    def redo(
        self, observation_id: int, *, client_key: str | None = ..., client_seq: int | None = ...
    ) -> Recorded: ...

    def events(self, observation_id: int) -> list[Event]: ...

    def edit_event(self, event_id: int, **changes: Any) -> Recorded: ...


# -- hotkeys ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """One hotkey of the recorder: ``code`` + ``shift`` codes ``cue`` for ``subject``."""

    code: str
    shift: bool
    subject: str
    cue: str
    channel: str
    kind: str
    label: str
    key_label: str

    @property
    def id(self) -> str:
        """The browser's look-up key: ``KeyG`` or ``KeyG+S`` (Shift)."""
        return self.code + ("+S" if self.shift else "")


def bindings(scheme: CodingScheme, lang: str = "en") -> tuple[Binding, ...]:
    """Every hotkey of ``scheme`` for every subject, labelled in ``lang``.

    DOMAIN §1: plain key = client, Shift + the same key = the same code for the counselor.
    A key bound for two subjects (possible in a custom scheme with a third subject) keeps the
    first subject in scheme order: the scheme editor reports such clashes.

    >>> from observe.scheme import default_scheme
    >>> g = [b for b in bindings(default_scheme()) if b.code == "KeyG"]
    >>> [(b.key_label, b.subject, b.cue) for b in g]
    [('g', 'client', 'A_GEST'), ('Shift+G', 'counselor', 'A_GEST')]
    """
    seen: set[Hotkey] = set()
    out: list[Binding] = []
    for subject in scheme.subject_codes:
        for key, cue in sorted(scheme.keymap(subject).items(), key=lambda kv: kv[1].code):
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Binding(
                    key.code, key.shift, subject, cue.code, cue.channel, cue.kind, cue.label(lang), key.label
                )
            )
    order = {c.code: i for i, c in enumerate(scheme.cues)}
    return tuple(sorted(out, key=lambda b: (order[b.cue], b.shift)))


def cheat_sheet(scheme: CodingScheme, lang: str = "en") -> pd.DataFrame:
    """The hotkey table with the subjects side by side: one row per cue, one key column per subject.

    Columns: ``channel`` (label in ``lang``), ``cue`` (code), ``label``, then one column per
    subject holding its key label (``""`` = not coded for that subject).

    >>> from observe.scheme import default_scheme
    >>> row = cheat_sheet(default_scheme()).set_index("cue").loc["G_EYE"]
    >>> row["client"], row["counselor"]
    ('e', 'Shift+E')
    """
    sheet = scheme_sheet(scheme)
    keyed = sheet.loc[sheet["key"] != ""]
    keys = keyed.pivot(index="code", columns="subject", values="key").fillna("")
    channels = {c.code: c.labels.get(lang) or c.labels["en"] for c in scheme.channels}
    subjects = list(scheme.subject_codes)
    rows = [
        {
            "channel": channels[cue.channel],
            "cue": cue.code,
            "label": cue.label(lang),
            **{s: keys.at[cue.code, s] if s in keys.columns else "" for s in subjects},
        }
        for cue in scheme.cues
        if cue.code in keys.index
    ]
    return pd.DataFrame(rows, columns=["channel", "cue", "label", *subjects])


# -- the outbox ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """One keypress (or undo/redo/annotation) as the browser sent it."""

    client: str
    seq: int
    op: str
    subject: str = ""
    cue: str = ""
    t: float = math.nan
    modifiers: Mapping[str, str] = field(default_factory=dict)
    comment: str = ""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> OutboxItem:
        """Read a browser item; :class:`InvalidInput` if it has no usable client id, sequence or op."""
        try:
            client = str(raw["client"])
            seq = int(raw["seq"])
            op = str(raw.get("op", "cue"))
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("record.coder.bad_item") from None
        if not client or len(client) > 64 or seq < 1 or op not in OPS:
            raise InvalidInput("record.coder.bad_item")
        try:
            t = float(raw.get("t", math.nan))
        except (TypeError, ValueError):
            t = math.nan
        modifiers = raw.get("modifiers") or {}
        return cls(
            client=client,
            seq=seq,
            op=op,
            subject=str(raw.get("subject") or ""),
            cue=str(raw.get("cue") or ""),
            t=t,
            modifiers={str(k): str(v) for k, v in modifiers.items()}
            if isinstance(modifiers, Mapping)
            else {},
            comment=str(raw.get("comment") or "")[:2000],
        )


@dataclass(frozen=True)
class Outcome:
    """What :func:`apply_outbox` did.

    ``acks``: client id → highest sequence number that is done (stored, or refused for good);
    ``changes``: the store's changes in order (to update a view without re-reading);
    ``errors``: what the person should be told; ``stale``: an item had been stored before by
    another server session, so a view built from ``changes`` alone is out of date;
    ``failed``: ``(client, seq, error, retry)`` for every item that was not stored: refused for
    good (``retry`` False: acknowledged, the browser keeps it red) or waiting behind a database
    failure (``retry`` True: not acknowledged, the browser sends it again).
    """

    acks: Mapping[str, int]
    changes: tuple[Change, ...] = ()
    errors: tuple[ObserveError, ...] = ()
    stale: bool = False
    processed: int = 0
    failed: tuple[tuple[str, int, ObserveError, bool], ...] = ()


def apply_outbox(
    store: EventWriter,
    observation_id: int,
    batch: Iterable[Mapping[str, Any]] | None,
    acks: Mapping[str, int] | None = None,
) -> Outcome:
    """Write the not yet acknowledged items of ``batch`` in order; return the new acknowledgements.

    ``acks`` is what was acknowledged before (a cache: an item at or below it is skipped without
    a store call; without the cache the store's idempotency still stores it once).

    >>> from observe.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = store.add_client("K01"), store.add_counselor("C01")
    >>> import datetime as dt
    >>> s = store.add_session("K01", "C01", date=dt.date(2026, 1, 5))
    >>> obs = store.open_observation(s.code, "ani").id
    >>> item = {"client": "tab1", "seq": 1, "op": "cue", "subject": "client", "cue": "G_EYE", "t": 1.5}
    >>> apply_outbox(store, obs, [item, item]).acks, len(store.events(obs))
    ({'tab1': 1}, 1)
    """
    done = dict(acks or {})
    items, errors = _parse_batch(batch or ())
    changes: list[Change] = []
    stale = False
    processed = 0
    failed: dict[str, DatabaseError] = {}
    not_stored: list[tuple[str, int, ObserveError, bool]] = []
    for item in items:
        if item.seq <= done.get(item.client, 0):
            continue
        if item.client in failed:  # queued behind a failed write: it waits for the same retry
            not_stored.append((item.client, item.seq, failed[item.client], True))
            continue
        try:
            recorded = _apply_item(store, observation_id, item)
        except DatabaseError as exc:  # not the item's fault: leave it in the outbox, it comes back
            errors.append(exc)
            failed[item.client] = exc
            not_stored.append((item.client, item.seq, exc, True))
            continue
        except ObserveError as exc:  # the item can never succeed: acknowledge it and say why
            errors.append(exc)
            not_stored.append((item.client, item.seq, exc, False))
        else:
            if recorded is not None:
                changes.extend(recorded.changes)
                stale = stale or recorded.duplicate
        done[item.client] = item.seq
        processed += 1
    return Outcome(done, tuple(changes), tuple(errors), stale, processed, tuple(not_stored))


#: refused keypresses whose reason is kept for the browser to show (the newest)
REFUSED_KEPT = 100


def failed_marks(before: Mapping[str, list[Any]], outcome: Outcome, lang: str) -> dict[str, list[Any]]:
    """``"client:seq"`` → ``[reason, sent again]`` for the browser to turn those marks red.

    A refusal is final and kept (the newest :data:`REFUSED_KEPT`); a database failure holds only
    until the next attempt, which re-sends the whole outbox and reports again what still fails.
    """
    kept = {k: v for k, v in before.items() if not v[1]}
    for client, seq, error, retry in outcome.failed:
        kept[f"{client}:{seq}"] = [error.message(lang), retry]
    return dict(list(kept.items())[-REFUSED_KEPT:])


def _parse_batch(batch: Iterable[Mapping[str, Any]]) -> tuple[list[OutboxItem], list[ObserveError]]:
    """Valid items grouped by client (in order of first appearance) and sorted by sequence."""
    items: dict[tuple[str, int], OutboxItem] = {}
    errors: list[ObserveError] = []
    for raw in batch:
        try:
            item = OutboxItem.parse(raw)
        except InvalidInput as exc:
            errors.append(exc)
            continue
        items.setdefault((item.client, item.seq), item)
    first: dict[str, int] = {}
    for client, _seq in items:
        first.setdefault(client, len(first))
    return sorted(items.values(), key=lambda i: (first[i.client], i.seq)), errors


def _apply_item(store: EventWriter, observation_id: int, item: OutboxItem) -> Recorded | None:
    if item.op == "cue":
        return store.record(
            observation_id,
            item.subject,
            item.cue,
            item.t,
            modifiers=item.modifiers or None,
            comment=item.comment,
            client_key=item.client,
            client_seq=item.seq,
        )
    if item.op == "undo":
        return store.undo(observation_id, client_key=item.client, client_seq=item.seq)
    if item.op == "redo":
        return store.redo(observation_id, client_key=item.client, client_seq=item.seq)
    target = find_coded(store.events(observation_id), item.subject, item.cue, item.t)
    if target is None or target.id is None:
        raise InvalidInput("record.coder.no_event_at", cue=item.cue, t=_fmt(item.t))
    return store.edit_event(target.id, modifiers=dict(item.modifiers), comment=item.comment)


def find_coded(events: Iterable[Event], subject: str, cue: str, t: float) -> Event | None:
    """The event a keypress at ``t`` coded: the one that starts there, else the state it ended there."""
    if not math.isfinite(t):
        return None
    at = ms(t)
    ended = None
    for event in events:
        if event.subject != subject or event.cue != cue:
            continue
        if event.start_s == at:
            return event
        if event.end_s == at:
            ended = event
    return ended


def _fmt(t: float) -> str:
    return f"{t:.3f}" if math.isfinite(t) else "?"


# -- the page's view of an observation -----------------------------------------------------------------


def apply_changes(events: Mapping[int, Event], changes: Iterable[Change]) -> dict[int, Event]:
    """A new ``{id: event}`` with ``changes`` applied (the old mapping is left alone: reruns overlap).

    >>> from observe.model import Event, Change
    >>> e = Event("client", "G_EYE", "GAZE", "state", 1.0, id=7)
    >>> apply_changes({}, [Change(None, e)])[7].cue
    'G_EYE'
    """
    result = dict(events)
    for change in changes:
        if change.after is None:
            if change.before is not None and change.before.id is not None:
                result.pop(change.before.id, None)
        elif change.after.id is not None:
            if change.before is not None and change.before.id not in (None, change.after.id):
                result.pop(change.before.id, None)
            result[change.after.id] = change.after
    return result


def lanes(scheme: CodingScheme, lang: str = "en") -> list[dict[str, str]]:
    """The timeline's lanes: one per subject × channel that has cues for the subject, in scheme order."""
    channel_labels = {c.code: c.labels.get(lang) or c.labels["en"] for c in scheme.channels}
    return [
        {"subject": subject, "channel": channel, "label": label, "channel_label": channel_labels[channel]}
        for subject, channel, label in timeline_lanes(scheme, lang)
    ]


def timeline_legend(
    scheme: CodingScheme, valences: Mapping[tuple[str, str], float], lang: str = "en"
) -> dict[str, Any]:
    """What the browser needs to draw events: lanes, subjects and ``cues`` as
    ``[code, label, kind, valence class per subject...]`` (lists: they travel on every rerun)."""
    return {
        "lanes": lanes(scheme, lang),
        "subjects": list(scheme.subject_codes),
        "colours": dict(VALENCE_COLOURS),  # one valence colour map for every chart, in the browser too
        "cues": [
            [c.code, c.label(lang), c.kind]
            + [valence_class(valences.get((s, c.code), math.nan)) for s in scheme.subject_codes]
            for c in scheme.cues
        ],
    }


def timeline_rows(events: Iterable[Event], scheme: CodingScheme) -> list[list[Any]]:
    """Events as ``[id, lane index, cue index, start, end]`` (end ``None`` for a point or a running state)."""
    lane_index = {(lane[0], lane[1]): i for i, lane in enumerate(timeline_lanes(scheme))}
    cue_index = {c.code: i for i, c in enumerate(scheme.cues)}
    return [
        [e.id, lane_index[(e.subject, e.channel)], cue_index[e.cue], e.start_s, e.end_s]
        for e in events
        if (e.subject, e.channel) in lane_index and e.cue in cue_index
    ]


def timeline_delta(changes: Iterable[Change], scheme: CodingScheme) -> tuple[list[list[Any]], list[int]]:
    """What ``changes`` did to the drawn events: rows to insert or replace, ids to remove.

    Sending these instead of every event keeps a keypress's round trip independent of how
    many events the observation has (issue 3: 5,000 events may cost at most 1.3× of 10).
    """
    upserts: dict[int, Event] = {}
    removed: set[int] = set()
    for change in changes:
        before, after = change.before, change.after
        if before is not None and before.id is not None and (after is None or after.id != before.id):
            removed.add(before.id)
            upserts.pop(before.id, None)
        if after is not None and after.id is not None:
            upserts[after.id] = after
            removed.discard(after.id)
    return timeline_rows(upserts.values(), scheme), sorted(removed)


def timeline_data(
    events: Iterable[Event],
    scheme: CodingScheme,
    valences: Mapping[tuple[str, str], float],
    lang: str = "en",
) -> dict[str, Any]:
    """The whole observation in the browser's compact form: :func:`timeline_legend` plus ``events``
    (:func:`timeline_rows`)."""
    return timeline_legend(scheme, valences, lang) | {"events": timeline_rows(events, scheme)}


EVENT_TABLE_COLUMNS: tuple[str, ...] = (
    "id",
    "start_s",
    "end_s",
    "kind",
    "subject",
    "cue",
    "label",
    "modifiers",
    "comment",
)


def event_table(
    events: Mapping[int, Event] | Sequence[Event],
    scheme: CodingScheme,
    lang: str = "en",
    *,
    latest: int | None = None,
) -> pd.DataFrame:
    """The event list shown under the recorder: by time, or only the ``latest`` coded (highest ids).

    ``subject`` holds the subject's label in ``lang``; ``label`` the cue's label.
    """
    chosen = list(events.values()) if isinstance(events, Mapping) else list(events)
    if latest is not None:
        chosen = sorted(chosen, key=lambda e: e.id or 0)[-latest:]
    chosen.sort(key=lambda e: (e.start_s, e.id or 0))
    subject_labels = {s.code: s.labels.get(lang) or s.labels["en"] for s in scheme.subjects}
    rows = [
        {
            "id": e.id,
            "start_s": e.start_s,
            "end_s": e.end_s,
            "kind": e.kind,
            "subject": subject_labels.get(e.subject, e.subject),
            "cue": e.cue,
            "label": _cue_label(scheme, e.cue, lang),
            "modifiers": format_modifiers(e.modifiers),
            "comment": e.comment,
        }
        for e in chosen
    ]
    return pd.DataFrame(rows, columns=list(EVENT_TABLE_COLUMNS))


def _cue_label(scheme: CodingScheme, code: str, lang: str) -> str:
    try:
        return scheme.cue(code).label(lang)
    except ObserveError:
        return code
