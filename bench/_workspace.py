"""Workspaces for the page benchmarks: the demo, and one ``scale`` times its size.

``scale`` 1 is :func:`observe.governance.demo.create_demo` (3 clients, 2 counselors, 15 sessions, 16
observations, about 8,100 events). ``scale`` 10 adds nine copies of the demo's plans
with clients, counselors and seeds of their own (K04…K30, C03…C20: 30 clients, 150
sessions, 160 observations, about 81,000 events), each copy with its double-coded
session, written through the store's import path (one transaction per observation), so
it takes seconds, not the hours a coder would. The demo videos (``videos=True``) go into
``media_dir`` and are shared by every workspace made with the same folder.

``python -m bench._workspace DB_PATH [--scale 10] [--media FOLDER]`` makes one.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from observe.governance.demo import (
    SEED,
    SESSION_S,
    _plans,
    _second_reading,
    _session_events,
    create_demo,
    demo_videos,
)
from observe.store import Store

CLIENTS_PER_COPY = 3  # the demo's K01, K02, K03
COUNSELORS_PER_COPY = 2  # C01, C02


def make_workspace(db_path: Path, scale: int = 1, media_dir: Path | None = None) -> dict[str, int]:
    """Create the workspace at ``db_path`` (``scale`` times the demo) and return its counts.

    With ``media_dir`` the demo videos are generated there (or found, if an earlier call made
    them) and attached to the demo sessions."""
    store = Store.open(str(db_path))
    try:
        store.set_setting("demo_offered", True)  # the app must not add a second demo on start
        create_demo(store, videos=False)
        for copy in range(1, scale):
            _add_copy(store, copy)
        if media_dir is not None:
            demo_videos(store, str(media_dir))
        return store.counts()
    finally:
        store.close()


def _add_copy(store: Store, copy: int) -> None:
    """One more demo-sized practice: its own clients and counselors, the demo's stories."""
    clients = {f"K0{i}": f"K{copy * CLIENTS_PER_COPY + i:02d}" for i in (1, 2, 3)}
    counselors = {f"C0{i}": f"C{copy * COUNSELORS_PER_COPY + i:02d}" for i in (1, 2)}
    for code in counselors.values():
        store.add_counselor(code, name=f"Counselor {code}")
    for demo_code, code in clients.items():
        store.add_client(code, display_name=f"Client {code}", special_needs=demo_code == "K03")
    scheme = store.scheme()
    for plan in _plans():
        plan = dataclasses.replace(plan, client=clients[plan.client], counselor=counselors[plan.counselor])
        session = store.add_session(
            plan.client, plan.counselor, number=plan.number, date=plan.date, duration_s=SESSION_S,
            parent_present=plan.parent_present,
        )  # fmt: skip
        rng = np.random.default_rng([SEED, copy, plan.number, int(plan.client[1:])])
        observation = store.open_observation(session.code, "obs.ani")
        events = list(_session_events(scheme, plan, rng))
        store.import_events(observation.id, events, label="bench")
        store.finish_observation(observation.id)
        if plan.number == 3 and plan.client == clients["K01"]:
            second = store.open_observation(session.code, "obs.budi")
            reading = [e for e in _second_reading(scheme, events, rng) if (e.end_s or e.start_s) <= SESSION_S]
            store.import_events(second.id, reading, label="bench")
            store.finish_observation(second.id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._workspace", description=__doc__)
    parser.add_argument("db", type=Path, help="the SQLite file to create")
    parser.add_argument("--scale", type=int, default=10, help="times the demo (default 10)")
    parser.add_argument("--media", type=Path, help="also make the demo videos in this folder")
    args = parser.parse_args(argv)
    print(make_workspace(args.db, args.scale, args.media))


if __name__ == "__main__":
    main()
