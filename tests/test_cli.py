"""The command line (``python -m observe``): the events export contract, JSON, the scheme
cheat-sheet, import round trips, the integrity check, one-line errors, and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from observe.cli import main
from observe.model import EXPORT_COLUMNS
from observe.scheme import default_scheme
from observe.scheme.sheet import SHEET_COLUMNS
from observe.store import Store

REPO = Path(__file__).resolve().parents[1]
TIME = re.compile(r"^\d+\.\d{3}$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in this process; returns (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_process(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m observe`` as a user would (a fresh interpreter)."""
    env = os.environ | {"PYTHONPATH": str(REPO)}
    env.pop("OBSERVE_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "observe", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        timeout=180,
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace made once by ``demo`` (tests copy it before changing it)."""
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    assert (
        main(["--db", f"sqlite:///{path}", "demo", "--no-videos"]) == 0
    )  # tests copy the file: no writer behind
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    shutil.copy(demo_db, copy)
    return copy


def assert_same_text(got: str, want: str) -> None:
    """Equal texts, or a short message showing the first differing line (a full diff of
    thousands of lines would take minutes)."""
    got_lines, want_lines = got.splitlines(), want.splitlines()
    for number, (a, b) in enumerate(zip(got_lines, want_lines, strict=False), start=1):
        assert a == b, f"line {number} differs:\n got: {a}\nwant: {b}"
    assert len(got_lines) == len(want_lines), f"{len(got_lines)} lines, expected {len(want_lines)}"


def read_csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


# -- events: the export contract ------------------------------------------------------------------------------


def test_events_csv_has_the_contract_columns(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    status, out, err = run(capsys, "--db", f"sqlite:///{demo_db}", "events", "--format", "csv")
    assert status == 0 and err == ""
    header, rows = read_csv_rows(out)
    # spelled out, not read from observe.model: pins the export contract (the frame contract
    # in the house rules) against a silent change of EXPORT_COLUMNS
    assert header[:11] == [
        "session",
        "client",
        "observer",
        "subject",
        "channel",
        "cue",
        "kind",
        "start_s",
        "end_s",
        "modifiers",
        "comment",
    ]
    assert tuple(header[:11]) == EXPORT_COLUMNS
    store = Store.open(str(demo_db))
    try:
        assert len(rows) == store.counts()["events"] > 1000
        sessions = {s.code: s for s in store.sessions()}
    finally:
        store.close()
    scheme = default_scheme()
    for row in rows:
        assert row["session"] in sessions and row["client"] == sessions[row["session"]].client
        assert row["subject"] in ("client", "counselor")
        cue = scheme.cue(row["cue"])
        assert (row["channel"], row["kind"]) == (cue.channel, cue.kind)
        assert TIME.match(row["start_s"]), row
        if row["kind"] == "point":
            assert row["end_s"] == ""
        else:
            assert TIME.match(row["end_s"]) and float(row["end_s"]) >= float(row["start_s"]), row
    kinds = {r["kind"] for r in rows}
    assert kinds == {"state", "point"}
    assert {r["subject"] for r in rows} == {"client", "counselor"}
    assert any(r["modifiers"].startswith("intensity=") for r in rows)


def test_events_csv_matches_the_store(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    status, out, _ = run(capsys, "--db", str(demo_db), "events", "--session", "K02-S03")
    assert status == 0
    exported = pd.read_csv(io.StringIO(out), keep_default_na=False)
    store = Store.open(str(demo_db))
    try:
        frame = store.events_frame(session="K02-S03")
    finally:
        store.close()
    assert len(exported) == len(frame) > 0
    assert set(exported["session"]) == {"K02-S03"}
    got = sorted(zip(exported["subject"], exported["cue"], exported["start_s"].round(3), strict=True))
    want = sorted(zip(frame["subject"], frame["cue"], frame["start_s"].round(3), strict=True))
    assert got == want


def test_events_json(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    _, csv_out, _ = run(capsys, "--db", str(demo_db), "events", "--format", "csv")
    status, out, err = run(capsys, "--db", str(demo_db), "events", "--format", "json")
    assert status == 0 and err == ""
    records = json.loads(out)
    _, rows = read_csv_rows(csv_out)
    assert len(records) == len(rows)
    for record, row in zip(records, rows, strict=True):
        assert tuple(record)[:11] == EXPORT_COLUMNS
        assert record["session"] == row["session"] and record["cue"] == row["cue"]
        assert round(record["start_s"], 3) == float(row["start_s"])
        if record["kind"] == "point":
            assert record["end_s"] is None
        else:
            assert round(record["end_s"], 3) == float(row["end_s"])


def test_db_option_before_or_after_the_command_and_from_the_environment(
    capsys: pytest.CaptureFixture[str], demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, before, _ = run(capsys, "--db", str(demo_db), "events", "--session", "K01-S01")
    _, after, _ = run(capsys, "events", "--session", "K01-S01", "--db", str(demo_db))
    monkeypatch.setenv("OBSERVE_DB", f"sqlite:///{demo_db}")
    _, env, _ = run(capsys, "events", "--session", "K01-S01")
    assert before == after == env and before.count("\n") > 100


def test_events_to_a_file_and_filters(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "k03.csv"
    status, out, _ = run(capsys, "--db", str(demo_db), "events", "--client", "K03", "-o", str(target))
    assert status == 0 and out == ""
    _, rows = read_csv_rows(target.read_text(encoding="utf-8"))
    assert {r["client"] for r in rows} == {"K03"}
    _, out, _ = run(capsys, "--db", str(demo_db), "events", "--observer", "obs.budi")
    _, rows = read_csv_rows(out)
    assert {r["observer"] for r in rows} == {"obs.budi"} and {r["session"] for r in rows} == {"K01-S03"}


def test_help_documents_db(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["events", "--help"], ["demo", "--help"], ["check", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
        assert "--db" in capsys.readouterr().out


# -- import: the round trip -----------------------------------------------------------------------------------------


def _sessions(path: Path) -> list[tuple]:
    store = Store.open(str(path))
    try:
        return [(s.code, s.client, s.counselor, s.number, s.date, s.duration_s) for s in store.sessions()]
    finally:
        store.close()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_export_is_lossless(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    exported = tmp_path / f"events.{fmt}"
    assert run(capsys, "--db", str(demo_db), "events", "--format", fmt, "-o", str(exported))[0] == 0
    fresh = tmp_path / "fresh.db"
    status, out, err = run(capsys, "--db", str(fresh), "import", str(exported))
    assert status == 0, err
    assert "imported" in out
    again = tmp_path / f"again.{fmt}"
    assert run(capsys, "--db", str(fresh), "events", "--format", fmt, "-o", str(again))[0] == 0
    # the events survive row for row, the session facts with them
    assert_same_text(again.read_text(encoding="utf-8"), exported.read_text(encoding="utf-8"))
    assert _sessions(fresh) == _sessions(demo_db)


def test_events_part_of_the_round_trip(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    """The events themselves and the session facts come back exactly (columns compared one
    by one, so a failure names the column)."""
    exported = tmp_path / "events.csv"
    run(capsys, "--db", str(demo_db), "events", "-o", str(exported))
    fresh = tmp_path / "fresh.db"
    assert run(capsys, "--db", str(fresh), "import", str(exported))[0] == 0
    again = tmp_path / "again.csv"
    run(capsys, "--db", str(fresh), "events", "-o", str(again))
    first, second = pd.read_csv(exported, dtype=str), pd.read_csv(again, dtype=str)
    columns = [c for c in first.columns if c != "counselor"]
    assert "duration_s" in columns  # the session length travels with the events
    pd.testing.assert_frame_equal(first[columns], second[columns])
    without_counselor = [
        (code, client, n, day, length) for code, client, _c, n, day, length in _sessions(fresh)
    ]
    assert without_counselor == [
        (code, client, n, day, length) for code, client, _c, n, day, length in _sessions(demo_db)
    ]


def test_import_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "events.csv"
    run(capsys, "--db", str(demo_db), "events", "--session", "K01-S02", "-o", str(exported))
    fresh = tmp_path / "fresh.db"
    status, out, _ = run(capsys, "--db", str(fresh), "import", str(exported), "--dry-run")
    assert status == 0 and out.startswith("would import")
    store = Store.open(str(fresh))
    try:
        counts = store.counts()
    finally:
        store.close()
    assert counts["events"] == counts["sessions"] == counts["clients"] == 0


def test_import_of_a_bad_file_writes_nothing(
    capsys: pytest.CaptureFixture[str], demo_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "session,client,observer,subject,channel,cue,kind,start_s,end_s,modifiers,comment\n"
        "K09-S01,K09,obs.x,client,GAZE,G_EYE,state,1.000,2.000,,\n"
        "K09-S01,K09,obs.x,client,GAZE,G_NOPE,state,2.000,3.000,,\n",
        encoding="utf-8",
    )
    before = _sessions(demo_copy)
    status, out, err = run(capsys, "--db", str(demo_copy), "import", str(bad))
    assert status == 2 and out == ""
    assert err.startswith("observe: error: ") and err.count("\n") == 1 and "G_NOPE" in err
    assert _sessions(demo_copy) == before


# -- scheme, sessions, check -----------------------------------------------------------------------------------------


def test_scheme_csv_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    status, out, _ = run(capsys, "--db", db, "scheme", "--format", "csv")
    assert status == 0
    header, rows = read_csv_rows(out)
    assert header == ["code", "channel", "subject", "kind", "valence", "label_en", "label_id", "key"]
    assert tuple(header) == SHEET_COLUMNS
    scheme = default_scheme()
    assert len(rows) == sum(len(c.subjects) for c in scheme.cues)
    assert {r["code"] for r in rows} == {c.code for c in scheme.cues}
    keys = {(r["code"], r["subject"]): r["key"] for r in rows}
    assert keys[("G_EYE", "client")] == "e"
    assert keys[("G_EYE", "counselor")] == "Shift+E"
    assert keys[("CR_TOPIC", "counselor")] == "Shift+["
    assert keys[("R3_REFUSE", "client")] == ","
    labels = {r["code"]: (r["label_en"], r["label_id"]) for r in rows}
    assert labels["G_DOWN"] == ("Downcast", "Menunduk")
    status, out, _ = run(capsys, "--db", db, "scheme", "--format", "json")
    records = json.loads(out)
    assert [tuple(r) for r in records] == [tuple(SHEET_COLUMNS)] * len(rows)
    assert [(r["code"], r["subject"], r["key"]) for r in records] == [
        (r["code"], r["subject"], r["key"]) for r in rows
    ]


def test_sessions_listing(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    status, out, _ = run(capsys, "--db", str(demo_db), "sessions", "--format", "csv")
    assert status == 0
    _, rows = read_csv_rows(out)
    assert len(rows) >= 12
    k01s3 = next(r for r in rows if r["session"] == "K01-S03")
    assert [o.strip() for o in k01s3["observers"].replace(",", " ").split()] == ["obs.ani", "obs.budi"]
    status, out, _ = run(capsys, "--db", str(demo_db), "sessions", "--client", "K02", "--format", "json")
    assert {r["client"] for r in json.loads(out)} == {"K02"}
    status, out, _ = run(capsys, "--db", str(demo_db), "sessions")
    assert status == 0 and "K03-S01" in out


def test_check_on_clean_and_broken_data(capsys: pytest.CaptureFixture[str], demo_copy: Path) -> None:
    status, out, _ = run(capsys, "--db", str(demo_copy), "check")
    assert status == 0 and "no problems found" in out
    with sqlite3.connect(demo_copy) as raw:  # damage the data behind the store's back
        obs_id, subject, channel, start = raw.execute(
            "SELECT observation_id, subject, channel, start_s FROM events WHERE kind = 'state' LIMIT 1"
        ).fetchone()
        raw.execute(
            "INSERT INTO events (observation_id, subject, cue, channel, kind, start_s, end_s, modifiers, comment,"
            " created_at, created_by) VALUES (?, ?, 'G_EYE', ?, 'state', ?, ?, '', '', '2026-01-01', 'x')",
            (obs_id, subject, channel, start + 0.5, start + 1.0),
        )
    status, out, _ = run(capsys, "--db", str(demo_copy), "check")
    assert status == 1
    assert "overlaps" in out and "1 problems found" in out


# -- errors: one line on stderr, exit status 2, no traceback -----------------------------------------------------------


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("observe: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_unknown_session(demo_db: Path) -> None:
    assert_one_line_error(run_process("--db", str(demo_db), "events", "--session", "K99-S01"), "K99-S01")


def test_corrupt_database(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert_one_line_error(run_process("--db", str(path), "sessions"), "broken.db", "cannot be read")
    assert path.read_bytes() == b"SQLite format 3\x00" + b"\xff" * 4000


def test_unreachable_postgres() -> None:
    assert_one_line_error(
        run_process("--db", "postgresql://observer:pw@127.0.0.1:1/observe", "events"),
        "cannot be reached",
        "127.0.0.1",
    )


def test_missing_import_file(tmp_path: Path) -> None:
    result = run_process("--db", str(tmp_path / "x.db"), "import", str(tmp_path / "nowhere.csv"))
    assert_one_line_error(result, "nowhere.csv")


def test_in_process_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "--db", "mysql://u@h/db", "sessions")
    assert status == 2 and out == "" and err.count("\n") == 1 and "SQLite or PostgreSQL" in err
    status, _, err = run(capsys, "--db", str(tmp_path / "e.db"), "scheme", "--name", "nope")
    assert status == 2 and err.startswith("observe: error: ") and err.count("\n") == 1


# -- the README's commands, as a user runs them, on SQLite and PostgreSQL -------------------------------------------------


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[str]:
    yield postgres_url


@pytest.mark.slow
@pytest.mark.postgres
def test_demo_and_events_on_postgres_equal_sqlite(
    capsys: pytest.CaptureFixture[str], pg_db: str, demo_db: Path, tmp_path: Path
) -> None:
    made = run_process("--db", pg_db, "demo", "--no-videos")
    assert made.returncode == 0, made.stderr
    assert "demo workspace created" in made.stdout
    exported = run_process("--db", pg_db, "events", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    header, rows = read_csv_rows(exported.stdout)
    assert tuple(header[:11]) == EXPORT_COLUMNS and len(rows) > 1000
    # the same deterministic demo gives the same export on both backends
    _, from_sqlite, _ = run(capsys, "--db", str(demo_db), "events", "--format", "csv")
    assert_same_text(exported.stdout, from_sqlite)


@pytest.mark.slow
def test_demo_then_events_as_a_user_runs_them(tmp_path: Path) -> None:
    made = run_process("--db", "sqlite:///X.db", "demo", "--no-videos", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    exported = run_process("--db", "sqlite:///X.db", "events", "--format", "csv", cwd=tmp_path)
    assert exported.returncode == 0 and exported.stderr == ""
    header, rows = read_csv_rows(exported.stdout)
    assert tuple(header[:11]) == EXPORT_COLUMNS and len(rows) > 1000
    assert (tmp_path / "X.db").is_file()
