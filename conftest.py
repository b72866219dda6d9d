"""Set-up shared by the core's docstring examples (``observe/``, run with ``--doctest-modules``) and
the tests (``tests/``; their own helpers are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from observe.store import Store


@pytest.fixture(scope="session", autouse=True)
def _workspace_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the checkout's own workspace (``data/observe.db``, ``data/media``:
    perhaps someone's real one): unless a test names its own, the default database and media
    folder are temporary ones, for the tests and for the processes they start."""
    root = tmp_path_factory.mktemp("default-workspace")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OBSERVE_DB", str(root / "observe.db"))
        env.setenv("OBSERVE_MEDIA", str(root / "media"))
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_first_run_demo_videos() -> Iterator[None]:
    """A new workspace opened in the test process (AppTest, ``ensure_first_run_demo``) gets the
    demo's sessions but not its videos: encoding them is half a minute of CPU in a background
    thread that outlives the test. The tests that start the app or the command as a process
    (``tests/e2e/test_clean_start_e2e.py``, ``tests/test_packaging.py``) see the videos made."""
    from observe.governance import demo

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "_videos_quietly", lambda store: None)
        yield


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace (no videos) built once per test process, as a SQLite file to copy:
    building it takes seconds, copying it milliseconds."""
    from observe.governance.demo import create_demo
    from observe.store import Store

    path = tmp_path_factory.mktemp("demo-workspace") / "demo.db"
    store = Store.open(str(path))
    create_demo(store, videos=False)
    store.close()
    return path


@pytest.fixture(autouse=True)
def _docstring_demo_is_a_copy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Docstring examples outside the demo module open a new in-memory store and call
    ``create_demo(store, videos=False)``; there the demo is copied from the process's one build
    (``demo_workspace``) instead of built again. The demo is deterministic (tests/test_demo.py
    builds it twice and compares), so each example sees the same workspace as before."""
    test = getattr(request.node, "dtest", None)
    if (
        test is None
        or "create_demo(" not in (test.docstring or "")
        or test.name.startswith("observe.governance.demo")
    ):
        return
    import sqlite3

    from observe.governance import demo

    template: Path = request.getfixturevalue("demo_workspace")
    build = demo.create_demo

    def create_demo(store: Store, *, reset: bool = True, videos: bool = True) -> dict[str, Any]:
        if (
            videos
            or store.engine.url.render_as_string() != "sqlite://"
            or store.clients(include_archived=True)
        ):
            return build(store, reset=reset, videos=videos)
        source, target = sqlite3.connect(template), store.engine.raw_connection()
        try:
            source.backup(target.driver_connection)  # type: ignore[arg-type]
        finally:
            target.close()
            source.close()
        return store.counts()

    monkeypatch.setattr(demo, "create_demo", create_demo)
