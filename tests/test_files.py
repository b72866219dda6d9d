"""Everything the app creates is its owner's only: after ``python -m observe demo`` in a fresh
folder, the database, its WAL/SHM files, the media folder and everything in it are 0600 files
in 0700 folders, though the process started with the usual umask 022. (The command returns before
its videos are made, by a background process of its own; the test stops that process.)"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from observe.governance.files import owner_only_umask, private_dir, private_file
from observe.store import Store
from tests.conftest import REPO_ROOT


def _modes(root: Path) -> dict[str, int]:
    found = {}
    for path in [root, *root.rglob("*")]:
        found[str(path.relative_to(root.parent))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _loose(modes: dict[str, int], root: Path) -> dict[str, str]:
    bad = {}
    for name, mode in modes.items():
        path = root.parent / name
        expected = 0o700 if path.is_dir() and not path.is_symlink() else 0o600
        if not path.is_symlink() and mode != expected:
            bad[name] = oct(mode)
    return bad


@pytest.mark.slow
def test_demo_in_a_fresh_folder_creates_only_owner_only_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = os.environ | {"OBSERVE_MEDIA": str(data / "media"), "OBSERVE_MODE": "local"}
    env.pop("OBSERVE_DB", None)
    command = [sys.executable, "-c", "import os, runpy, sys; os.umask(0o022); sys.argv = ['observe', '--db', "
               f"{str(data / 'observe.db')!r}, 'demo']; runpy.run_module('observe', run_name='__main__')"]  # fmt: skip
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )  # noqa: S603
    try:
        assert result.returncode == 0, result.stderr
        modes = _modes(data)
        assert "data/observe.db" in modes and any(name.startswith("data/media/") for name in modes), modes
        assert _loose(modes, data) == {}
    finally:
        _stop_demo_videos(data / "media")


def _stop_demo_videos(media: Path) -> None:
    """Stop the demo's video maker for ``media`` (``python -m observe.governance.demo``, its own
    session): half a minute of encoding that this test does not look at."""
    wanted = f"OBSERVE_MEDIA={media.resolve()}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if b"observe.governance.demo" in (proc / "cmdline").read_bytes() and wanted in (
                proc / "environ"
            ).read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGTERM)
        except OSError:
            continue  # gone meanwhile, or not ours to read


def test_a_store_opened_as_a_library_keeps_the_database_and_wal_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = Store.open(str(tmp_path / "lib" / "observe.db"))
        store.add_client("K01")  # a write, so the WAL and SHM files exist
        modes = _modes(tmp_path / "lib")
        store.close()
    finally:
        os.umask(old)
    assert {"lib/observe.db-wal", "lib/observe.db-shm"} <= set(modes), modes
    assert _loose(modes, tmp_path / "lib") == {}


def test_private_helpers_leave_existing_things_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # a folder the user made stays theirs
    made = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(private_file(made / "f.db").stat().st_mode) == 0o600


def test_the_umask_only_gets_stricter() -> None:
    old = os.umask(0o027)
    try:
        owner_only_umask()
        assert os.umask(0o022) == 0o077
        os.umask(0o277)
        owner_only_umask()
        assert os.umask(0o022) == 0o277
    finally:
        os.umask(old)


def test_the_tests_default_workspace_is_not_the_checkouts() -> None:
    """The root conftest.py points the default database and media folder away from the checkout,
    where someone's real workspace may be (a test without a workspace of its own uses those)."""
    from observe.store import resolve_url
    from observe.video.library import media_dir

    database = Path(resolve_url().removeprefix("sqlite:///")).resolve()
    for path in (database, media_dir().resolve()):
        assert REPO_ROOT.resolve() not in path.parents, path
