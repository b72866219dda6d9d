"""``python -m observe finish --session S --observer O [--at SECONDS]`` and ``reopen``.

Finishing records where the observer stopped (the coded extent E, DOMAIN §9.3): by
default the latest event time; states still running end at E. Agreement and the
research export use finished observations only.
"""

from __future__ import annotations

import argparse

from observe.coding.extent import summary_for
from observe.errors import InvalidInput, NotFound
from observe.model import Observation
from observe.store import Store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    finish = sub.add_parser(
        "finish",
        parents=[common],
        help="finish an observation: record where coding stopped (E); running states end there",
    )
    finish.add_argument("--session", required=True, help="session code, e.g. K01-S03")
    finish.add_argument("--observer", required=True, help="whose observation")
    finish.add_argument(
        "--at",
        metavar="SECONDS",
        help="where coding stopped, in seconds from the session start (default: the latest event time)",
    )
    finish.set_defaults(run=cmd_finish)

    reopen = sub.add_parser("reopen", parents=[common], help="reopen a finished observation to code more")
    reopen.add_argument("--session", required=True, help="session code, e.g. K01-S03")
    reopen.add_argument("--observer", required=True, help="whose observation")
    reopen.set_defaults(run=cmd_reopen)


def _observation(store: Store, session: str, observer: str) -> Observation:
    store.session(session)  # an unknown session says so
    found = store.observations(session=session, observer=observer)
    if not found:
        raise NotFound("finish.no_observation", session=session, observer=observer)
    return found[0]


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("finish.bad_time", value=text) from None


def cmd_finish(args: argparse.Namespace, store: Store) -> int:
    obs = _observation(store, args.session, args.observer)
    at = _seconds(args.at)
    summary = summary_for(store, obs.id, coded_s=at)  # what finishing does, said after it
    store.finish_observation(obs.id, coded_s=at)  # refuses a bad E, or a finished observation
    coverage = "unknown length" if summary.coverage is None else f"coverage {summary.coverage:.1%}"
    print(
        f"finished {args.session} / {args.observer} at {summary.coded_s:.3f} s ({coverage}); "
        f"{summary.n_events} events, {len(summary.open_states)} open states ended at E, "
        f"{len(summary.unpaired_stops)} unpaired stops"
    )
    return 0


def cmd_reopen(args: argparse.Namespace, store: Store) -> int:
    obs = _observation(store, args.session, args.observer)
    if obs.status != "finished":
        print(f"{args.session} / {args.observer} is already in progress")
        return 0
    store.reopen_observation(obs.id)
    print(f"reopened {args.session} / {args.observer}: in progress")
    return 0
