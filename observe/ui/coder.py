"""The hotkey video coder: the component (``coder_web/``) and the Python end of its outbox.

The browser side lives in its own files, read once at import: ``coder_web/coder.html``,
``coder.css`` and ``coder.js`` (linted and edited as what they are, not as Python strings;
the folder is not named ``coder/`` because a package of that name would shadow this module).

A keypress is drawn by the browser at once and posted, with the rest of the unacknowledged
outbox (client id + sequence number per item), to ``POST /api/outbox/<id>``
(:mod:`observe.ui.outbox_routes`), which writes it through the store and answers with the
acknowledgements without waiting for a rerun; the page hands the coder the route's signed
token in its ``data``. When the route cannot be reached, the outbox goes through the component's
``outbox`` trigger instead (:func:`_on_outbox`), acknowledged in the next rerun's data. Every
write path publishes to the observation's change feed (:mod:`observe.ui.coder_feed`); the
coder's low-frequency ``sync`` trigger reruns the fragment so the event list catches up.
Reruns can overlap (``runner.fastReruns``), so the callbacks hold a per-session lock and
*replace* what they keep in session state (never mutate it).

Components v2 (inline HTML/JS, no iframe, no build step) is used rather than v1: the
component must hear keys on the whole page (the v1 iframe only hears them while it has the
focus) and must not reload the video on every rerun.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import streamlit as st

from observe.coding import recording
from observe.errors import ObserveError
from observe.i18n import t
from observe.model import Change, Event, Recorded
from observe.scheme import CodingScheme
from observe.store import Store
from observe.store.secret import signing_key
from observe.ui import coder_feed, signin
from observe.ui.outbox_routes import TOKEN_TTL_S, outbox_token

_WEB = Path(__file__).with_name("coder_web")
_component = st.components.v2.component(
    "observe_coder",
    html=(_WEB / "coder.html").read_text(encoding="utf-8"),
    css=(_WEB / "coder.css").read_text(encoding="utf-8"),
    js=(_WEB / "coder.js").read_text(encoding="utf-8"),
)
_LOCK = "rec_lock"
_nonce = itertools.count(1)

#: Texts the component shows, by its own name → catalogue key.
_TEXT_KEYS = (
    "sheet_button",
    "sheet_title",
    "sheet_transport",
    "channel",
    "cue",
    "layer",
    "pending",
    "saved",
    "start",
    "pause",
    "resume",
    "reset",
    "comment_placeholder",
    "nothing_to_annotate",
    "annotated",
    "undo",
    "redo",
    "no_cue",
    "no_video",
    "video_unplayable",
    "video_missing",
    "window",
    "whole",
    "state_now",
    "state_end",
    "marks",
    "mark_pending",
    "mark_saved",
    "mark_failed",
    "dismiss",
)
#: Reserved keys (DOMAIN §1) shown under the cheat-sheet: key label → catalogue key of what it does.
TRANSPORT: tuple[tuple[str, str], ...] = (
    ("Space", "record.key.play"),
    ("← / →", "record.key.jump"),
    ("Shift+← / →", "record.key.frame"),
    ("↑ / ↓", "record.key.speed"),
    ("Backspace", "record.key.undo"),
    ("Shift+Backspace", "record.key.redo"),
    ("`", "record.key.swap"),
    ("Enter", "record.key.note"),
    ("Esc", "record.key.sheet"),
)


@dataclass(frozen=True)
class CoderSetup:
    """What the coder needs to know about the observation being coded."""

    observation_id: int
    scheme: CodingScheme
    valences: Mapping[tuple[str, str], float]
    lang: str
    mode: str = "video"  # "video" or "live" (a session clock, no video)
    src: str | None = None  # URL of the video (``/api/video/<token>``)
    fps: float | None = None
    duration_s: float | None = None


# -- what the page keeps per observation (view state only: the events themselves are in the store) --


def _key(name: str, observation_id: int) -> str:
    return f"rec_{name}_{observation_id}"


def _lock() -> threading.Lock:
    lock = st.session_state.get(_LOCK)
    if lock is None:
        lock = st.session_state.setdefault(_LOCK, threading.Lock())
    return lock


def events(store: Store, observation_id: int) -> dict[int, Event]:
    """The observation's events as the page shows them: read from the store once, then kept up
    to date from the observation's change feed (:mod:`observe.ui.coder_feed`), which every write
    path of this process publishes to (the outbox route, the trigger, the buttons).

    Each read starts a new *epoch* of the browser's copy: the coder then receives every event
    once, and after that only the feed's entries it has not seen.
    """
    feed = coder_feed.feed(observation_id)
    cached = st.session_state.get(_key("events", observation_id))
    seen = st.session_state.get(_key("seen", observation_id))
    if cached is not None and seen is not None:
        entries = feed.since(*seen)
        if entries is not None:
            if entries:
                changes = tuple(c for e in entries for c in e.changes)
                cached = recording.apply_changes(cached, changes)
                st.session_state[_key("events", observation_id)] = cached
                st.session_state[_key("seen", observation_id)] = (seen[0], entries[-1].rev)
            return cast(dict[int, Event], cached)
    head = feed.head()  # before the read: a write published meanwhile is applied again, harmlessly
    cached = {e.id: e for e in store.events(observation_id) if e.id is not None}
    st.session_state[_key("events", observation_id)] = cached
    st.session_state[_key("seen", observation_id)] = head
    st.session_state[_key("epoch", observation_id)] = f"{head[0]}.{next(_nonce)}"
    return cached


def forget(observation_id: int) -> None:
    """Read the events from the store again on the next use (after an outside change)."""
    st.session_state.pop(_key("events", observation_id), None)


def apply(observation_id: int, changes: tuple[Change, ...], scheme: CodingScheme | None = None) -> None:
    """Publish a write made on this page (a button, the trigger) to the observation's feed: this
    page, its coder and every other page coding the observation in this process catch up from it."""
    scheme = scheme or st.session_state.get(_key("scheme", observation_id))
    if changes:
        coder_feed.feed(observation_id, scheme).publish(changes, scheme)
        if scheme is None:  # no coder mounted yet: it will read everything anyway
            forget(observation_id)


def write(observation_id: int, action: Callable[[], Recorded]) -> Recorded:
    """Run a write of this page (a button) and publish it, holding the feed's ``writing`` lock
    from the commit to the publish as the keypress paths do (observe.ui.coder_feed)."""
    with coder_feed.feed(observation_id).writing:
        recorded = action()
        apply(observation_id, recorded.changes)
    return recorded


def _timeline(store: Store, setup: CoderSetup, legend: dict[str, Any]) -> dict[str, Any]:
    """Every event (first mount, new epoch) or only the feed entries the browser has not seen."""
    obs = setup.observation_id
    rows = events(store, obs)
    epoch = st.session_state[_key("epoch", obs)]
    feed_epoch, rev = st.session_state[_key("seen", obs)]
    have = st.session_state.get(_key("have", obs)) or [None, -1]
    head = {"epoch": epoch, "feed": feed_epoch, "rev": rev}
    if have[0] == epoch and isinstance(have[1], int):
        entries = coder_feed.feed(obs).since(feed_epoch, have[1])
        if entries is not None:
            return legend | head | {"delta": [e.wire() for e in entries if e.rev <= rev]}
    return legend | head | {"full": recording.timeline_rows(rows.values(), setup.scheme)}


def seek(observation_id: int, t_s: float) -> None:
    """Ask the video to jump to ``t_s`` on the next render."""
    st.session_state[_key("seek", observation_id)] = {"t": float(t_s), "n": next(_nonce)}


def show_errors(observation_id: int, errors: tuple[ObserveError, ...], lang: str) -> None:
    """Errors to show inside the coder (the keys keep working)."""
    if errors:
        text = " ".join(dict.fromkeys(e.message(lang) for e in errors))
        st.session_state[_key("errors", observation_id)] = {"id": next(_nonce), "text": text}


# -- the component ----------------------------------------------------------------------------------------


def _on_outbox(store: Store, observation_id: int, key: str, lang: str) -> None:
    """The fallback trigger (the outbox route was unreachable): write the outbox, keep the
    acknowledgements for the next rerun's data and publish the changes to the feed."""
    with _lock():
        value = st.session_state.get(key) or {}
        payload = value.get("outbox") if hasattr(value, "get") else None
        items = (payload or {}).get("items") or []
        _note_have(observation_id, payload)
        acks = st.session_state.get(_key("acks", observation_id), {})
        feed = coder_feed.feed(observation_id)
        with feed.writing:  # the feed's order is the order of the commits (observe.ui.coder_feed)
            outcome = recording.apply_outbox(store, observation_id, items, acks)
            if outcome.changes and not outcome.stale:
                apply(observation_id, outcome.changes)
        st.session_state[_key("acks", observation_id)] = dict(outcome.acks)
        st.session_state[_key("failed", observation_id)] = recording.failed_marks(
            st.session_state.get(_key("failed", observation_id), {}), outcome, lang
        )
        if outcome.stale:
            coder_feed.restart(observation_id)
            forget(observation_id)
        show_errors(observation_id, outcome.errors, lang)


def _on_sync(store: Store, observation_id: int, key: str) -> None:
    """The coder's low-frequency nudge after acknowledgements from the route: what it holds, and
    the video position reached; the rerun that follows brings the event list up to date."""
    value = st.session_state.get(key) or {}
    payload = value.get("sync") if hasattr(value, "get") else None
    _note_have(observation_id, payload)
    reached = payload.get("reached") if isinstance(payload, Mapping) else None
    kept = st.session_state.get(_key("reached", observation_id)) or 0.0
    if isinstance(reached, (int, float)) and reached > kept + 1:  # the route usually has it already
        try:
            store.note_reached(observation_id, float(reached))
        except ObserveError:
            return  # a position is a hint for E's default: never an error while coding
        st.session_state[_key("reached", observation_id)] = float(reached)


def _note_have(observation_id: int, payload: Any) -> None:
    if hasattr(payload, "get") and isinstance(payload.get("have"), list):
        st.session_state[_key("have", observation_id)] = payload.get("have")


def _texts(lang: str) -> dict[str, str]:
    return {name: t(f"record.coder.{name}", lang) for name in _TEXT_KEYS}


def _static(setup: CoderSetup) -> dict[str, Any]:
    """What does not change while coding (bindings, cheat-sheet, texts, lanes), built once per full
    page run: a keypress reruns only the fragment with the same setup, and building the cheat-sheet
    alone took about 50 ms, all of it in the keypress's acknowledgement (issue 16)."""
    cached = st.session_state.get(_key("static", setup.observation_id))
    if cached is not None and cached[0] is setup:
        return cast(dict[str, Any], cached[1])
    lang, scheme = setup.lang, setup.scheme
    lane_of = {(lane["subject"], lane["channel"]): i for i, lane in enumerate(recording.lanes(scheme, lang))}
    cue_of = {c.code: i for i, c in enumerate(scheme.cues)}
    static = {
        # [subject, cue, label, lane index, cue index]: where the browser draws a keypress at once
        "bindings": {
            b.id: [b.subject, b.cue, b.label, lane_of.get((b.subject, b.channel)), cue_of.get(b.cue)]
            for b in recording.bindings(scheme, lang)
        },
        "subjects": {s.code: s.labels.get(lang) or s.labels["en"] for s in scheme.subjects},
        "modifiers": [
            {"code": m.code, "label": m.labels.get(lang) or m.labels["en"], "values": list(m.values)}
            for m in scheme.modifiers
        ],
        "sheet": recording.cheat_sheet(scheme, lang).drop(columns="cue").values.tolist(),
        "transport": [[k, t(v, lang)] for k, v in TRANSPORT],
        "text": _texts(lang),
        "legend": recording.timeline_legend(scheme, setup.valences, lang),
    }
    st.session_state[_key("static", setup.observation_id)] = (setup, static)
    return static


def coder_data(store: Store, setup: CoderSetup) -> dict[str, Any]:
    """The component's ``data``: bindings, texts, the timeline and the acknowledgements."""
    obs = setup.observation_id
    static = _static(setup)
    return {
        "obs": obs,
        "lang": setup.lang,
        "mode": setup.mode,
        "src": setup.src,
        "fps": setup.fps or 25,
        "duration": setup.duration_s,
        **{k: v for k, v in static.items() if k != "legend"},
        "timeline": _timeline(store, setup, static["legend"]),
        "post": _post_link(store, obs),
        "ack": st.session_state.get(_key("acks", obs), {}),
        "failed": st.session_state.get(_key("failed", obs), {}),
        "seek": st.session_state.get(_key("seek", obs)),
        "errors": st.session_state.get(_key("errors", obs)),
    }


def _post_link(store: Store, observation_id: int) -> dict[str, Any]:
    """Where the coder posts its outbox, with its token (renewed when half its life is gone;
    the same token while it lasts, so the component's data does not change for it)."""
    kept = st.session_state.get(_key("post", observation_id))
    if kept is not None and kept["renew"] > time.time():
        return cast(dict[str, Any], kept["link"])
    token = outbox_token(
        observation_id,
        store.observer_of(observation_id),
        store.actor,
        key=signing_key(store),
        sign_in=signin.current_sign_in(),
    )
    link = {"url": f"/api/outbox/{observation_id}", "token": token}
    st.session_state[_key("post", observation_id)] = {"link": link, "renew": time.time() + TOKEN_TTL_S / 2}
    return link


def coder(store: Store, setup: CoderSetup) -> None:
    """Mount the coder for one observation (call it inside an ``st.fragment``).

    The mount key holds the observation id: the same observation keeps its element (and the
    video its position) across reruns; another observation gets a fresh outbox.
    """
    key = f"rec_coder_{setup.observation_id}"
    st.session_state[_key("scheme", setup.observation_id)] = setup.scheme
    coder_feed.feed(setup.observation_id, setup.scheme)
    _component(
        key=key,
        data=coder_data(store, setup),
        on_outbox_change=lambda: _on_outbox(store, setup.observation_id, key, setup.lang),
        on_sync_change=lambda: _on_sync(store, setup.observation_id, key),
        height="content",
    )
