"""Progress of long exports (issue 16): the core reports growing counts up to the total; the CLI
draws a bar only on a terminal; the page shows one with the count."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from observe.cli import main
from observe.interop.exports import Selection, export_file
from observe.store import Store


@pytest.fixture(scope="module")
def db(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("progress") / "w.db"
    shutil.copy(demo_workspace, path)  # the demo workspace, without videos
    return f"sqlite:///{path}"


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
    from observe.commands.progress import terminal_progress

    class Pipe(io.StringIO):
        def isatty(self) -> bool:
            return False

    assert terminal_progress("x", stdout=Pipe()) is None


def test_import_reports_each_observation_written(db: str, tmp_path: Path) -> None:
    from observe.interop.detect import parse_file
    from observe.interop.preview import apply_import

    source = Store.open(db)
    data = export_file(source, "events", "csv", selection=Selection(client="K02")).data
    source.close()
    target = Store.open(f"sqlite:///{tmp_path / 'new.db'}")
    calls: list[tuple[int, int]] = []
    counts = apply_import(
        target, parse_file(data, filename="k02.csv"), progress=lambda d, t: calls.append((d, t))
    )
    written = len(target.observations())
    target.close()
    assert counts["events"] > 0 and written > 1
    assert_counts_up_to_the_total(calls, written)


def test_cli_import_shows_progress_only_on_a_terminal(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Store.open(db)
    (tmp_path / "k02.csv").write_bytes(
        export_file(source, "events", "csv", selection=Selection(client="K02")).data
    )
    source.close()
    assert main(["import", str(tmp_path / "k02.csv"), "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 0
    assert "import k02.csv [" not in capsys.readouterr().err
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main(["import", str(tmp_path / "k02.csv"), "--db", f"sqlite:///{tmp_path / 'b.db'}"]) == 0
    err = capsys.readouterr().err
    assert "\rimport k02.csv [" in err and "] 0/" in err
