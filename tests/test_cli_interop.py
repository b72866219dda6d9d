"""The CLI faces of issue 6: import (BORIS/ELAN/CSV, --as, --subject, --dry-run), export, report."""

from __future__ import annotations

from pathlib import Path

import pytest

from observe.cli import main
from observe.store import Store
from tests.conftest import shared_fixtures


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


def test_import_dry_run_then_import(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = shared_fixtures() / "boris" / "test.boris"
    assert main(["--db", db, "import", str(project), "--dry-run"]) == 0
    assert "would import 92 events in 12 observations" in capsys.readouterr().out
    assert Store.open(db).sessions() == []
    args = ["--db", db, "import", str(project), "--as", "boris", "--client", "B01"]
    assert main([*args, "--subject", "subject1=client", "--subject", "=", "--observer", "ana"]) == 0
    out = capsys.readouterr().out
    assert "imported 35 events" in out and "(no focal subject) → (left out)" in out
    store = Store.open(db)
    assert len(store.sessions()) == 12 and {o.observer for o in store.observations()} == {"ana"}


def test_import_refusals(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = shared_fixtures() / "boris" / "test.boris"
    assert main(["--db", db, "import", str(project), "--as", "elan"]) == 2
    assert "not elan" in capsys.readouterr().err
    assert main(["--db", db, "import", str(project), "--subject", "nobody"]) == 2
    empty = tmp_path / "empty.boris"
    empty.write_bytes(b"")
    assert main(["--db", db, "import", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err


def test_export_and_report(db: str, tmp_path: Path) -> None:
    project = shared_fixtures() / "boris" / "test.boris"
    assert main(["--db", db, "import", str(project), "--client", "B01"]) == 0
    out = tmp_path / "events.tsv"
    assert (
        main(["--db", db, "export", "boris", "--format", "tsv", "--session", "B01-S03", "-o", str(out)]) == 0
    )
    lines = out.read_text().splitlines()
    assert lines[0].startswith("Observation id\t") and len(lines) == 9  # 4 states → 8 rows
    for kind, fmt, name in [
        ("events", "parquet", "e.parquet"),
        ("sdis", "sds", "e.sds"),
        ("eaf", "eaf", "e.eaf"),
    ]:
        assert (
            main(
                [
                    "--db",
                    db,
                    "export",
                    kind,
                    "--format",
                    fmt,
                    "--session",
                    "B01-S04",
                    "-o",
                    str(tmp_path / name),
                ]
            )
            == 0
        )
    assert (tmp_path / "e.sds").read_text().startswith("%")
    report = tmp_path / "r.html"
    assert main(["--db", db, "report", "--session", "B01-S04", "-o", str(report)]) == 0
    assert "B01-S04" in report.read_text()
    assert main(["--db", db, "export", "events", "--format", "docx", "-o", str(out)]) == 2


def test_import_limit_comes_from_the_workspace_setting(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(db)
    store.set_setting("import.max_rows", 2)
    store.close()
    rows = "".join(f"K01-S01,K01,ana,client,POINT,P_NOD,point,{i}.000\n" for i in range(3))
    events = tmp_path / "e.csv"
    events.write_text("session,client,observer,subject,channel,cue,kind,start_s\n" + rows)
    assert main(["--db", db, "import", str(events)]) == 2
    err = capsys.readouterr().err
    assert "import.max_rows" in err and "more than 2 rows" in err
    assert Store.open(db).sessions() == []
