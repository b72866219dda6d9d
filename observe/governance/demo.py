"""The demo workspace: deterministic, clearly labelled, removable in one action.

Three clients whose sessions tell the stories the dashboards are for:

- **K01** (adult, default profile) opens up over six weekly sessions with C01;
- **K02** (adult) stays resistant over five sessions with C02, who tries topic changes,
  motivation and lowering the level — the referral heuristic (DOMAIN §4) is reached;
- **K03** (a child with special needs, ABK) comes with a parent; gaze aversion and
  restlessness are frequent, which the special-needs valence profile does not count as closure.

Every session is coded for both persons by ``obs.ani``; K01's third session is double-coded
by ``obs.budi`` (a slightly different reading) for the agreement page. The same seed always
gives the same workspace.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from observe.errors import InvalidInput
from observe.governance.access import create_demo_accounts
from observe.model import Event, make_event
from observe.scheme import CodingScheme
from observe.store import Store
from observe.store.reference import set_reference

log = logging.getLogger("observe.governance.demo")

SEED = 20261128
SESSION_S = 900.0  # 15-minute demo sessions keep the workspace small and quick to create
FIRST_DAY = dt.date(2026, 8, 3)


@dataclass(frozen=True)
class _Plan:
    """How one demo session should look: the client's and counselor's openness, resistance, disclosure."""

    client: str
    counselor: str
    number: int
    date: dt.date
    client_open: float  # 0..1: share of open (vs closed) states and points
    counselor_open: float
    resistance: float  # 0..1: resistance episodes and R3 points
    disclosure: float  # 0..1: disclosure episodes
    parent_present: bool = False
    special_needs: bool = False


def _plans() -> list[_Plan]:
    plans = []
    for i in range(6):  # K01 opens up
        plans.append(
            _Plan(
                "K01",
                "C01",
                i + 1,
                FIRST_DAY + dt.timedelta(weeks=i),
                0.25 + 0.11 * i,
                0.8,
                0.35 - 0.06 * i,
                0.1 + 0.12 * i,
            )
        )
    for i in range(5):  # K02 stays resistant
        plans.append(
            _Plan(
                "K02",
                "C02",
                i + 1,
                FIRST_DAY + dt.timedelta(days=2, weeks=i),
                0.3 - 0.03 * i,
                0.45,
                0.8,
                0.03,
            )
        )
    for i in range(4):  # K03, a child with special needs and a parent present
        plans.append(
            _Plan(
                "K03",
                "C01",
                i + 1,
                FIRST_DAY + dt.timedelta(days=3, weeks=2 * i),
                0.4 + 0.06 * i,
                0.85,
                0.25,
                0.15,
                True,
                True,
            )
        )
    return plans


def ensure_first_run_demo(store: Store) -> bool:
    """On a new, empty workspace create the demo once; never again after it was removed.

    The coded sessions are written at once (a second or two); the demo videos take longer
    to generate and are made in a background thread, so the first page opens quickly."""
    if store.setting("demo_offered", False):
        return False
    created = not store.clients(include_archived=True)
    if created:
        create_demo(store, videos=False)
        threading.Thread(
            target=_videos_quietly, args=(store,), name="observe-demo-videos", daemon=True
        ).start()
    store.set_setting("demo_offered", True)
    return created


def _videos_quietly(store: Store) -> None:
    try:
        demo_videos(store)
    except Exception:  # a missing ffmpeg must not break the app: the pages say the video is missing
        log.exception("could not generate the demo videos")


def start_demo_videos(store: Store) -> subprocess.Popen[bytes]:
    """Make the demo videos in a low-priority process of their own that outlives the caller.

    ``observe demo`` writes the coded sessions in a few seconds and returns; encoding the
    three two-minute videos takes half a minute of CPU more. The process attaches each
    video to its session when it is written (``python -m observe.governance.demo``); what it says goes
    to ``.demo-videos.log`` in the media folder.
    """
    from observe.video.library import media_dir

    folder = media_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".demo-videos.log").open("ab") as log_file:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "observe.governance.demo"],
            env={**os.environ, "OBSERVE_DB": store.url, "OBSERVE_MEDIA": str(folder.resolve())},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # not stopped with the command's terminal
        )


def demo_videos(store: Store, media_folder: str | None = None) -> None:
    """The demo's synthetic session videos with their regions of interest (generated, not shipped)."""
    from observe.video.demo_assets import ensure_demo_video

    ensure_demo_video(store, media_folder)


def create_demo(store: Store, *, reset: bool = True, videos: bool = True) -> dict[str, int]:
    """Create (or, with ``reset``, re-create) the demo workspace; returns what was created.

    ``videos`` also generates the demo session videos (about half a minute, needs ffmpeg)."""
    # Refuse before writing (or removing) anything if a user's own client has a demo code.
    own = {c.code for c in store.clients(include_archived=True) if not c.is_demo}
    taken = sorted(own & {p.client for p in _plans()})
    if taken:
        raise InvalidInput("record.client_exists", code=", ".join(taken))
    if reset and store.has_demo():
        store.remove_demo()
    elif store.has_demo():
        return store.counts()
    # Demo counselors and observers that outlived a removal (a user's session still uses them)
    # are reused below.
    existing_counselors = {c.code for c in store.counselors(include_archived=True)}
    for code, name in (("C01", "Demo counselor Rina"), ("C02", "Demo counselor Yusuf")):
        if code not in existing_counselors:
            store.add_counselor(code, name=name, is_demo=True)
    store.add_client("K01", display_name="Demo client (opens up)", is_demo=True)
    store.add_client("K02", display_name="Demo client (resistant)", is_demo=True)
    store.add_client("K03", display_name="Demo child (ABK)", special_needs=True, is_demo=True)
    existing_users = {u.username for u in store.users()}
    for username, role in (("obs.ani", "observer"), ("obs.budi", "observer"), ("sup.dewi", "supervisor")):
        if username not in existing_users:
            store.add_user(
                username,
                role=role,
                display_name=f"Demo {role} {username.split('.')[-1].title()}",
                is_demo=True,
            )
    scheme = store.scheme()
    for plan in _plans():
        session = store.add_session(
            plan.client,
            plan.counselor,
            number=plan.number,
            date=plan.date,
            duration_s=SESSION_S,
            parent_present=plan.parent_present,
            notes=_note(plan),
            attributes={"seating": "90 degrees", "camera_setup": "two cameras, side view", "demo": True},
        )
        rng = np.random.default_rng([SEED, plan.number, ord(plan.client[-1])])
        observation = store.open_observation(session.code, "obs.ani")
        events = list(_session_events(scheme, plan, rng))
        store.import_events(observation.id, events, label="demo")
        store.finish_observation(observation.id)
        if plan.client == "K01" and plan.number == 3:
            second = store.open_observation(session.code, "obs.budi")
            store.import_events(second.id, list(_second_reading(scheme, events, rng)), label="demo")
            store.finish_observation(second.id)
            set_reference(store, observation.id)  # obs.ani's reading is the training reference
    create_demo_accounts(store)
    if videos:
        demo_videos(store)
    return store.counts()


def _note(plan: _Plan) -> str:
    if plan.client == "K02":
        return "Short answers, long silences; tried topic change and motivation. Discuss referral in supervision."
    if plan.special_needs:
        return "Child with special needs (ABK); parent present and involved. Restless but engaged with the worksheet."
    return (
        "Client spoke more freely than last week." if plan.number > 2 else "First sessions: building rapport."
    )


# -- generating the coded events -----------------------------------------------------------------------------

_OPEN, _NEUTRAL, _CLOSED = 1.0, 0.0, -1.0


WINDOW_S = 60.0
LEAN_TO_EYE = 0.7  # chance that the client looks up within 1–4 s after the counselor leans in


def _session_events(scheme: CodingScheme, plan: _Plan, rng: np.random.Generator) -> Iterator[Event]:
    """Both persons' lanes, points and process codes. The counselor's attending drifts from
    minute to minute and the client's openness follows it in the same minute; when the counselor
    leans in, the client often makes eye contact within seconds — the patterns the Counselor and
    Cue-pattern pages are there to find."""
    windows = int(np.ceil(SESSION_S / WINDOW_S))
    drift = np.clip(
        plan.counselor_open + 0.18 * np.sin(np.arange(windows) / 2.0 + rng.uniform(0, 6.3)), 0.05, 0.95
    )
    follows = np.clip(plan.client_open + 0.8 * (drift - plan.counselor_open), 0.02, 0.98)
    attending = {"counselor": drift, "client": follows}
    lanes: dict[tuple[str, str], list[Event]] = {}
    for subject, levels in attending.items():
        for channel in ("FACE", "GAZE", "TRUNK", "ARMS", "SIT"):
            lanes[(subject, channel)] = list(_lane(scheme, subject, channel, levels, plan, rng))
    if plan.client_open >= 0.3:
        leans = [e.start_s for e in lanes[("counselor", "TRUNK")] if e.cue == "T_FWD"]
        looks = [t + float(rng.uniform(1.0, 4.0)) for t in leans if rng.random() < LEAN_TO_EYE]
        lanes[("client", "GAZE")] = _splice(scheme, lanes[("client", "GAZE")], looks, "G_EYE")
    for events in lanes.values():
        yield from events
    for subject, openness in (("client", plan.client_open), ("counselor", plan.counselor_open)):
        yield from _points(scheme, subject, openness, plan, rng)
    yield from _process(scheme, plan, rng)


def _splice(scheme: CodingScheme, lane: list[Event], times: list[float], cue: str) -> list[Event]:
    """The lane with ``cue`` starting at each of ``times`` (the state on there is split, and the
    new state runs to that state's end)."""
    out = list(lane)
    for t in sorted(round(x, 1) for x in times):
        for i, event in enumerate(out):
            end = event.end_s if event.end_s is not None else SESSION_S
            if event.start_s < t < end and event.cue != cue:
                out[i : i + 1] = [
                    make_event(scheme, event.subject, event.cue, event.start_s, t),
                    make_event(scheme, event.subject, cue, t, end),
                ]
                break
    return out


def _choices(scheme: CodingScheme, subject: str, channel: str, plan: _Plan) -> dict[float, list[str]]:
    """The codes of a channel grouped by valence (special-needs profile for ABK clients)."""
    valences = scheme.valences("special_needs" if plan.special_needs and subject == "client" else "default")
    groups: dict[float, list[str]] = {_OPEN: [], _NEUTRAL: [], _CLOSED: []}
    for cue in scheme.cues_for(subject):
        value = valences.get((subject, cue.code), np.nan)
        if cue.channel == channel and not np.isnan(value):
            groups[value].append(cue.code)
    if plan.special_needs and subject == "client" and channel == "GAZE":
        groups[_NEUTRAL] += ["G_AWAY", "G_AWAY", "G_TASK"]  # gaze aversion is frequent for this child
    if plan.special_needs and subject == "client" and channel == "SIT":
        groups[_NEUTRAL] += ["S_RESTLESS", "S_RESTLESS"]
    return groups


def _lane(
    scheme: CodingScheme,
    subject: str,
    channel: str,
    levels: np.ndarray,
    plan: _Plan,
    rng: np.random.Generator,
) -> Iterator[Event]:
    """Contiguous states over the whole session, each drawn open/neutral/closed by the openness
    ``levels`` of the minute it starts in."""
    groups = _choices(scheme, subject, channel, plan)
    not_visible = f"{channel[0]}_NV"  # F_NV, G_NV, T_NV, A_NV, S_NV
    t = 0.0
    while t < SESSION_S:
        length = float(np.clip(rng.exponential(22.0), 3.0, 90.0))
        end = min(SESSION_S, round(t + length, 1))
        roll = rng.random()
        if roll < 0.03:
            code = not_visible
        else:
            openness = float(levels[min(int(t // WINDOW_S), len(levels) - 1)])
            weights = np.array([openness, 0.35, 1.0 - openness])
            kind = rng.choice([_OPEN, _NEUTRAL, _CLOSED], p=weights / weights.sum())
            options = groups[kind] or groups[_NEUTRAL]
            code = str(rng.choice(options))
        yield make_event(scheme, subject, code, round(t, 1), end)
        t = end


def _poisson_times(rate_per_min: float, rng: np.random.Generator) -> np.ndarray:
    n = rng.poisson(rate_per_min * SESSION_S / 60.0)
    return np.round(np.sort(rng.uniform(1.0, SESSION_S - 1.0, n)), 1)


def _points(
    scheme: CodingScheme, subject: str, openness: float, plan: _Plan, rng: np.random.Generator
) -> Iterator[Event]:
    rates = {
        "P_NOD": 1.6 * openness,
        "P_LAUGH": 0.4 * openness,
        "P_SIGH": 0.2,
        "P_SELFTOUCH": 0.3,
        "P_SHAKE": 0.15,
    }
    if subject == "client":
        rates |= {"P_LOOKAWAY_Q": 0.6 * (1 - openness), "P_TEARS": 0.05 * plan.disclosure}
    for cue, rate in rates.items():
        for t in _poisson_times(rate, rng):
            intensity = str(rng.integers(1, 4))
            yield make_event(scheme, subject, cue, float(t), modifiers={"intensity": intensity})


def _process(scheme: CodingScheme, plan: _Plan, rng: np.random.Generator) -> Iterator[Event]:
    """Resistance and disclosure episodes for the client, responses for the counselor."""
    t = 20.0
    while t < SESSION_S - 30:
        roll = rng.random()
        length = float(np.clip(rng.exponential(35.0), 5.0, 120.0))
        end = min(SESSION_S, round(t + length, 1))
        if roll < 0.5 * plan.resistance:
            yield make_event(scheme, "client", str(rng.choice(["R1_FORMAL", "R2_SILENT"])), round(t, 1), end)
        elif roll < 0.5 * plan.resistance + 0.5 * plan.disclosure:
            yield make_event(
                scheme,
                "client",
                str(rng.choice(["D_DISCLOSE", "D_DISCLOSE", "D_STRENGTH"])),
                round(t, 1),
                end,
            )
        t = end + float(rng.exponential(40.0))
    for t in _poisson_times(0.9 * plan.resistance, rng):
        yield make_event(
            scheme, "client", str(rng.choice(["R3_WITHHOLD", "R3_AVOID", "R3_REFUSE", "R3_ARGUE"])), float(t)
        )
    responses = ["CR_TOPIC", "CR_MOTIV", "CR_LOWER", "CR_STRENGTH"] + (
        ["CR_PARENT"] if plan.parent_present else []
    )
    for t in _poisson_times(0.3 + 0.4 * plan.resistance, rng):
        yield make_event(scheme, "counselor", str(rng.choice(responses)), float(t))
    if plan.client == "K02" and plan.number >= 4:
        yield make_event(scheme, "counselor", "CR_REFER", SESSION_S - 60.0)


def _second_reading(scheme: CodingScheme, events: list[Event], rng: np.random.Generator) -> Iterator[Event]:
    """A second observer's coding: boundaries shifted by up to a second, a few codes read otherwise."""
    alternatives = {
        "G_DOWN": "G_AWAY",
        "F_NEUT": "F_FLAT",
        "T_UP": "T_BACK",
        "A_MANIP": "A_OPEN",
        "S_CROSS_TO": "S_RELAX",
    }
    lanes: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        if event.kind == "point":
            if rng.random() < 0.9:  # some points are missed
                t = float(np.clip(event.start_s + rng.normal(0, 0.4), 0, SESSION_S))
                yield make_event(scheme, event.subject, event.cue, round(t, 1), modifiers=event.modifiers)
        else:
            lanes.setdefault((event.subject, event.channel), []).append(event)
    for lane in lanes.values():
        lane.sort(key=lambda e: e.start_s)
        starts = [lane[0].start_s]
        for event in lane[1:]:  # boundaries read up to a second apart, never out of order
            starts.append(round(max(event.start_s + float(rng.uniform(-1.0, 1.0)), starts[-1] + 0.2), 1))
        ends = [*starts[1:], lane[-1].end_s]
        for event, start, end in zip(lane, starts, ends, strict=True):
            cue = alternatives.get(event.cue, event.cue) if rng.random() < 0.12 else event.cue
            if event.subject not in scheme.cue(cue).subjects:
                cue = event.cue
            if end is None or end > start:
                yield make_event(scheme, event.subject, cue, start, end)


if __name__ == "__main__":  # the background process of start_demo_videos
    os.nice(10)  # behind whatever the user does meanwhile
    logging.basicConfig()
    _store = Store.open(os.environ.get("OBSERVE_DB"))
    try:
        demo_videos(_store)
    finally:
        _store.close()
