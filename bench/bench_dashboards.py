"""Benchmark: the client-progress page for a client with 100 sessions vs a client with 1 (issue 4, "Speed").

Target, measured in one run so machine drift cancels: rendering the page (AppTest, caches
cleared before every render so the analysis really runs) for a client with 100 coded
sessions takes at most 3× the time of a client with 1 session. The service call alone
(``observe.reports.dashboards.client_progress``) is reported on its own rows for information.

Sessions look like the demo's: 15 minutes, both persons coded on the five ME&E channels,
points and process states (≈ 550 events each).

Run ``python bench/bench_dashboards.py [--quick]``; ``run(quick)`` returns the rows.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import best_of, print_rows  # noqa: E402
from observe.analysis.openness import OpennessParams  # noqa: E402
from observe.model import Event, make_event  # noqa: E402
from observe.reports import dashboards  # noqa: E402
from observe.scheme import CodingScheme  # noqa: E402
from observe.store import Store  # noqa: E402

SESSION_S = 900.0
TARGET = 3.0


def _session_events(scheme: CodingScheme, rng: np.random.Generator) -> list[Event]:
    """Contiguous states on every ME&E channel of both persons, points and a few process states."""
    out: list[Event] = []
    for subject in ("client", "counselor"):
        for channel in ("FACE", "GAZE", "TRUNK", "ARMS", "SIT"):
            codes = [c.code for c in scheme.cues_for(subject) if c.channel == channel and c.kind == "state"]
            t = 0.0
            while t < SESSION_S:
                end = min(SESSION_S, round(t + float(np.clip(rng.exponential(22.0), 3.0, 90.0)), 1))
                out.append(make_event(scheme, subject, str(rng.choice(codes)), round(t, 1), end))
                t = end
        for t in np.round(np.sort(rng.uniform(1, SESSION_S - 1, 40)), 1):
            out.append(make_event(scheme, subject, str(rng.choice(["P_NOD", "P_LAUGH", "P_SIGH"])), float(t)))
    for t in np.round(np.sort(rng.uniform(1, SESSION_S - 1, 8)), 1):
        out.append(make_event(scheme, "client", str(rng.choice(["R3_AVOID", "R3_REFUSE"])), float(t)))
    for start in (100.0, 400.0, 700.0):
        out.append(
            make_event(scheme, "client", str(rng.choice(["R2_SILENT", "D_DISCLOSE"])), start, start + 40)
        )
    for t in (200.0, 500.0):
        out.append(make_event(scheme, "counselor", str(rng.choice(["CR_TOPIC", "CR_MOTIV"])), t))
    return out


def build_workspace(path: Path, n_sessions: int) -> None:
    """Client ``BIG`` with ``n_sessions`` sessions and client ``ONE`` with one, coded by ``obs``."""
    store = Store.open(str(path))
    store.set_setting("demo_offered", True)
    store.add_counselor("C1")
    scheme = store.scheme()
    rng = np.random.default_rng(4)
    for client, n in (("BIG", n_sessions), ("ONE", 1)):
        store.add_client(client)
        for i in range(n):
            session = store.add_session(
                client,
                "C1",
                number=i + 1,
                date=dt.date(2026, 1, 1) + dt.timedelta(days=7 * i),
                duration_s=SESSION_S,
            )
            obs = store.open_observation(session.code, "obs")
            store.import_events(obs.id, _session_events(scheme, rng), label="bench")
            store.finish_observation(obs.id)
    store.close()


def _render(client: str) -> Callable[[], None]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def go() -> None:
        st.cache_data.clear()  # the analysis must run, not come from the cache
        at = AppTest.from_file(str(ROOT / "pages" / "5_Client_progress.py"), default_timeout=600)
        at.query_params["client"] = client
        at.run()
        drawn = [e for e in at.get("bidi_component") if e.proto.component_name == "observe_plot"]
        if at.exception or not drawn:  # its chart (observe.ui.plot), not only the chart library's loader
            raise RuntimeError(f"client-progress page failed for {client}: {at.exception}")

    return go


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows ``{name, ours_s, floor_s, ratio, target}``: the page for 100 sessions vs 1 session."""
    n = 100
    repeat = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build_workspace(path, n)
        os.environ["OBSERVE_DB"] = str(path)
        import streamlit as st

        st.cache_resource.clear()
        _render("ONE")()  # warm-up: imports, store, first page run
        one = best_of(_render("ONE"), repeat)
        big = best_of(_render("BIG"), repeat)
        store = Store.open(str(path))
        params = OpennessParams()
        svc_one = best_of(lambda: dashboards.client_progress(store, "ONE", params), repeat)
        svc_big = best_of(lambda: dashboards.client_progress(store, "BIG", params), repeat)
        store.close()
    return [
        {"name": f"client-progress page, {n} sessions vs 1 (AppTest)", "ours_s": big, "floor_s": one,
         "ratio": big / one, "target": TARGET},
        {"name": f"client_progress() alone, {n} sessions vs 1 (info)", "ours_s": svc_big, "floor_s": svc_one,
         "ratio": svc_big / svc_one, "target": None},
    ]  # fmt: skip


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
