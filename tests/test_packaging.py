"""A newcomer's first hour (issue 15): a fresh virtual environment with ``pip install -r
requirements.txt`` makes the demo's videos with no system ffmpeg; ``pip install .`` gives an
``observe`` command that works from any folder, with its data files, pages and app.
(The tests install with ``uv pip install``, the same requirements from the same index, faster.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from _browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: E402

# one pytest-xdist worker runs them all: they share the virtual environment (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("venv")


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_pyproject_declares_the_requirements() -> None:
    """requirements.txt (what the README installs) and the package's dependencies are the same."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert sorted(project["dependencies"]) == sorted(_requirement_lines(REPO / "requirements.txt"))
    assert project["scripts"]["observe"] == "observe.cli:main"


def _run(*argv: str | Path, timeout: float = 900, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


#: uv (requirements-dev.txt) makes the environments and installs into them: the same packages
#: from the same index as ``pip install``, in seconds instead of a minute (it links files from its
#: cache and byte-compiles nothing; Python compiles what it imports anyway)
UV = (sys.executable, "-m", "uv")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with only ``requirements.txt`` installed into it."""
    root = tmp_path_factory.mktemp("venv") / "env"
    _run(*UV, "venv", "-q", "--python", sys.executable, root)
    _run(*UV, "pip", "install", "-q", "--python", root / "bin" / "python", "-r", REPO / "requirements.txt")
    return root


def _bare_env(venv: Path, **more: str) -> dict[str, str]:
    """Only the environment's own programs on the PATH: no system ffmpeg, no other Python."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR", "PIP_CACHE_DIR")}
    return {**keep, "PATH": str(venv / "bin"), **more}


@pytest.mark.slow
def test_demo_videos_in_a_fresh_venv_without_system_ffmpeg(venv: Path, tmp_path: Path) -> None:
    import cv2

    from observe.store import Store

    db, media = tmp_path / "X.db", tmp_path / "media"
    env = _bare_env(venv, OBSERVE_MEDIA=str(media))
    assert shutil.which("ffmpeg", path=env["PATH"]) is None
    made = _run(
        venv / "bin" / "python", "-m", "observe", "--db", f"sqlite:///{db}", "demo", cwd=REPO, env=env
    )
    assert "demo workspace created" in made.stdout
    deadline, refs = time.monotonic() + 600, []
    while time.monotonic() < deadline:  # the videos are made in the background
        store = Store.open(str(db))
        refs = [s.video_ref for s in store.sessions() if s.video_ref]
        store.close()
        if len(refs) == 3:
            break
        time.sleep(2)
    assert len(refs) == 3, (media / ".demo-videos.log").read_text()
    for ref in refs:
        capture = cv2.VideoCapture(str(media / ref))
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode()
        frames = 0
        while frames < 50 and capture.read()[0]:
            frames += 1
        capture.release()
        assert fourcc in ("avc1", "h264") and frames == 50, (ref, fourcc, frames)


@pytest.fixture(scope="module")
def installed(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install .`` of a copy of the checkout (the build leaves nothing in the repository)."""
    source = tmp_path_factory.mktemp("src") / "observe"
    skip = shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", ".benchmarks", "node_modules"
    )
    top_only = {"data", "tests", "bench", "docs"}  # observe/scheme/data is the package's own

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(skip(folder, names)) | (top_only & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, source, ignore=ignore)
    _run(*UV, "pip", "install", "-q", "--python", venv / "bin" / "python", source)
    return venv / "bin" / "observe"


@pytest.mark.slow
def test_installed_command_works_from_any_folder(installed: Path, venv: Path, tmp_path: Path) -> None:
    env = _bare_env(venv)
    helped = _run(installed, "--help", cwd="/", env=env)
    assert re.search(r"usage: observe", helped.stdout) and "demo" in helped.stdout
    # the scheme (TOML/CSV), the migrations and the catalogues come with the package
    sheet = _run(installed, "--db", f"sqlite:///{tmp_path / 'w.db'}", "scheme", cwd="/", env=env)
    assert sheet.stdout.startswith("subject,") or "G_EYE" in sheet.stdout


@pytest.fixture
def served(installed: Path, venv: Path, tmp_path: Path) -> Iterator[str]:
    port, log = free_port(), tmp_path / "serve.log"
    env = _bare_env(venv, OBSERVE_MEDIA=str(tmp_path / "media"))
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [installed, "--db", f"sqlite:///{tmp_path / 's.db'}", "serve", "--server.port", str(port),
             "--server.headless", "true"],
            cwd="/", env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)  # type: ignore[arg-type]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
def test_installed_serve_shows_the_app_with_its_pages(served: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        # a fresh environment compiles every module a page imports on its first run: on a loaded
        # 2-core machine a page's first draw takes far longer than expect's 5 s default
        first_draw = {"timeout": 90_000}
        page.goto(f"{served}/?lang=en")
        sync_api.expect(page.get_by_text("What do you want to do?")).to_be_visible(**first_draw)
        sync_api.expect(page.get_by_role("link", name=re.compile("Record")).first).to_be_visible()
        page.get_by_role("link", name=re.compile("Coding scheme")).first.click()
        sync_api.expect(page.get_by_role("tab", name="Cheat-sheet")).to_be_visible(
            **first_draw
        )  # the page, from the package
        page.get_by_role("link", name=re.compile("Cue patterns")).first.click()
        # the chart, drawn by plotly.js's modules from the package (observe.ui.plot)
        sync_api.expect(page.locator(".observe-plot .main-svg").first).to_be_attached(**first_draw)
        browser.close()
