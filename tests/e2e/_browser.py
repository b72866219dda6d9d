"""Helpers of the real-browser tests (imported by ``conftest.py`` and by test modules)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
STARTUP_S = 60.0


@dataclass(frozen=True)
class App:
    """The running app: its base URL and where its workspace lives."""

    url: str
    db_path: Path
    media_dir: Path
    log_path: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {STARTUP_S} s:\n{log.read_text()[-3000:]}")


@contextmanager
def serve(
    db_path: Path, media_dir: Path, log_path: Path, *, mode: str = "local", script: str = "app.py"
) -> Iterator[App]:
    """``streamlit run app.py`` on a free localhost port against the workspace ``db_path`` and
    ``media_dir`` in ``mode`` (``local`` or ``team``), logging to ``log_path``; the server is
    stopped when the ``with`` block ends. ``script``: another app to run with the repository's
    Streamlit configuration (a benchmark's floor)."""
    port = free_port()
    env = os.environ | {"OBSERVE_DB": str(db_path), "OBSERVE_MEDIA": str(media_dir), "OBSERVE_MODE": mode}
    command = [
        sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_path)
        yield App(url, db_path, media_dir, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def open_page(page: object, app: App, name: str, **query: str) -> None:
    """Open a page by its URL name (``Record`` for ``pages/1_Record.py``) and wait until the script ran."""
    params = "&".join(f"{k}={v}" for k, v in {"lang": "en", **query}.items())
    page.goto(f"{app.url}/{name}?{params}")  # type: ignore[attr-defined]
    wait_idle(page)


def wait_idle(page: object, timeout_ms: int = 20_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMain\"]')",
        timeout=timeout_ms,
    )


def pick(page: object, label: str, option: str, *, exact: bool = False) -> None:
    """Choose the option that starts with ``option`` (that is ``option``, if ``exact``) in the
    selectbox labelled ``label`` and wait for the rerun.

    The option is typed into the box first: Streamlit's option list is virtualised, so a long
    list draws only the options near its top. The pick is done once the list has closed and the
    box holds the option; only then is the rerun sure to have been asked for."""
    from playwright.sync_api import expect

    starts = re.compile(f"^{re.escape(option)}{'$' if exact else ''}")
    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first  # type: ignore[attr-defined]
    box.click()
    box.get_by_role("combobox").fill(option)
    page.get_by_role("option", name=starts).first.click()  # type: ignore[attr-defined]
    expect(page.get_by_role("listbox")).to_have_count(0)  # type: ignore[attr-defined]
    expect(box.get_by_role("combobox")).to_have_value(starts)
    wait_idle(page)
