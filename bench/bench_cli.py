"""Command-line start-up (issue 15, "a newcomer's first hour").

* ``observe --help`` in a fresh interpreter vs ``python -c "import pandas"`` (the floor: any
  command that reads data imports pandas); target ≤ 2× — the commands are imported lazily;
* ``observe demo`` on a new workspace, as a user runs it: its CPU seconds (user + system, what
  the wall time is on an idle 2-core machine; target ≤ 10 s) and, for information, its wall
  time on the machine as loaded; the demo videos are made afterwards in a background process,
  whose time until all three videos are attached is reported for information too.

``python -m bench cli [--quick]``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import best_of, time_pair

REPO = Path(__file__).resolve().parents[1]


def _python(*argv: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, *argv], cwd=cwd, env=env, check=True, capture_output=True)  # noqa: S603


def bench_help(repeat: int) -> dict[str, object]:
    ours, floor = time_pair(
        lambda: _python("-m", "observe", "--help"), lambda: _python("-c", "import pandas"), repeat
    )
    return {"name": "observe --help vs python -c 'import pandas' (fresh interpreters)", "ours_s": ours,
            "floor_s": floor, "ratio": ours / floor, "target": 2.0}  # fmt: skip


def bench_demo() -> list[dict[str, object]]:
    from observe.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "OBSERVE_MEDIA": str(root / "media"), "PYTHONPATH": str(REPO)}
        db = f"sqlite:///{root / 'demo.db'}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = best_of(lambda: _python("-m", "observe", "--db", db, "demo", cwd=root, env=env))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        started, attached = time.perf_counter(), 0
        while attached < 3 and time.perf_counter() - started < 600:  # the background videos
            store = Store.open(db)
            attached = sum(1 for s in store.sessions() if s.video_ref)
            store.close()
            time.sleep(0.5)
        videos = time.perf_counter() - started
    return [
        {"name": "observe demo on a new workspace: CPU seconds (videos in the background)", "ours_s": cpu,
         "floor_s": 1.0, "ratio": cpu, "target": "<= 10 (s)"},
        {"name": "  the same: wall seconds on this machine as loaded now", "ours_s": wall,
         "floor_s": 1.0, "ratio": wall, "target": None},
        {"name": "  then the three demo videos attached (seconds after the command)", "ours_s": videos,
         "floor_s": 1.0, "ratio": videos, "target": None},
    ]  # fmt: skip


def run(quick: bool = False) -> list[dict[str, object]]:
    return [bench_help(3 if quick else 7), *bench_demo()]


if __name__ == "__main__":
    from bench._common import print_rows

    print_rows(run(quick="--quick" in sys.argv))
