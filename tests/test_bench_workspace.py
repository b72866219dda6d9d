"""The page benchmark's workspace generator (bench/_workspace.py): ``scale`` times the demo."""

from __future__ import annotations

from pathlib import Path

from bench._workspace import make_workspace
from observe.reports import agreement
from observe.store import Store


def test_twice_the_demo_has_twice_its_people_sessions_and_codings(tmp_path: Path) -> None:
    demo = make_workspace(tmp_path / "demo.db", 1)
    twice = make_workspace(tmp_path / "twice.db", 2)
    for what in ("clients", "counselors", "sessions", "observations"):
        assert twice[what] == 2 * demo[what], what
    assert 1.8 * demo["events"] < twice["events"] < 2.2 * demo["events"]  # other seeds, the same stories
    store = Store.open(str(tmp_path / "twice.db"))
    try:
        assert len(agreement.double_coded_sessions(store)) == 2  # each copy has its double-coded session
        assert {o.status for o in store.observations()} == {"finished"}  # finished, like the demo's
        assert store.setting("demo_offered", False)  # the app adds no second demo on start
    finally:
        store.close()
