"""Progress of long exports (issue 16): the core reports growing counts up to the total; the CLI
draws a bar only on a terminal; the page shows one with the count."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from observe.cli import main
from observe.demo import create_demo
from observe.interop.exports import Selection, export_file
from observe.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('progress') / 'w.db'}"
    store = Store.open(url)
    create_demo(store, videos=False)
    store.close()
    return url


def assert_counts_up_to_the_total(calls: list[tuple[int, int]], total: int) -> None:
    assert calls, "progress was never reported"
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done[0] == 0 and done[-1] == total
    assert all(b > a for a, b in zip(done, done[1:], strict=False))  # strictly growing


def test_research_export_reports_each_session_then_the_zip(db: str) -> None:
    store = Store.open(db)
    calls: list[tuple[int, int]] = []
    data = export_file(
        store, "research", selection=Selection(), seed=1, progress=lambda d, t: calls.append((d, t))
    )
    store.close()
    assert data.data[:2] == b"PK"
    assert_counts_up_to_the_total(calls, 6 + 5 + 1)  # K01's and K02's sessions (consented), then the zip


@pytest.mark.parametrize("kind", ["openness", "timebudget"])
def test_workspace_xlsx_reports_each_session_then_the_file(db: str, kind: str) -> None:
    store = Store.open(db)
    n_sessions = len([s for s in store.sessions() if not s.archived])
    calls: list[tuple[int, int]] = []
    made = export_file(store, kind, "xlsx", progress=lambda d, t: calls.append((d, t)))
    store.close()
    assert made.data[:2] == b"PK"
    assert_counts_up_to_the_total(calls, n_sessions + 1)


def test_events_export_reports_start_and_end(db: str) -> None:
    store = Store.open(db)
    calls: list[tuple[int, int]] = []
    export_file(store, "events", "xlsx", progress=lambda d, t: calls.append((d, t)))
    store.close()
    assert calls == [(0, 1), (1, 1)]


def test_cli_export_shows_progress_only_on_a_terminal(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["export", "openness", "--format", "xlsx", "--db", db]
    assert main([*args, "-o", str(tmp_path / "a.xlsx")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "[" not in err and "wrote" in err  # no bar in a pipe or a file
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main([*args, "-o", str(tmp_path / "b.xlsx")]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "\rexport openness [" in err and "] 0/" in err
    bars = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("export openness [")]
    last = bars[-1].rsplit(" ", 1)[-1]
    done, total = (int(x) for x in last.split("/"))
    assert done == total > 1


def test_terminal_progress_writes_nothing_off_a_terminal() -> None:
    from observe.progress import terminal_progress

    class Pipe(io.StringIO):
        def isatty(self) -> bool:
            return False

    assert terminal_progress("x", stdout=Pipe()) is None
