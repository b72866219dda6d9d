"""``python -m observe finish`` / ``reopen`` and the observations in ``sessions --format json``
(the coded extent, DOMAIN §9.3), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from observe.cli import main
from observe.store import Store

SESSION_S = 600.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A workspace with one session coded by ani (in progress) and budi (nothing coded)."""
    url = (
        f"sqlite:///{tmp_path / 'finish.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("workspace_postgres_url"))
    )
    store = Store.open(url)
    store.add_client("K01")
    store.add_counselor("C01")
    store.add_session("K01", "C01", date=dt.date(2026, 9, 1), duration_s=SESSION_S)
    ani = store.open_observation("K01-S01", "ani")
    store.record(ani.id, "client", "G_EYE", 1.0)
    store.record(ani.id, "counselor", "T_FWD", 2.0)
    store.record(ani.id, "client", "P_NOD", 30.0)
    store.open_observation("K01-S01", "budi")
    store.close()
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def observations(capsys: pytest.CaptureFixture[str], db: str) -> dict[str, dict[str, object]]:
    status, out, err = run(capsys, "--db", db, "sessions", "--format", "json")
    assert status == 0, err
    (session,) = json.loads(out)
    assert session["source"] == ""  # coded here, not imported
    return {o["observer"]: o for o in session["observations"]}


def test_finish_at_a_time_then_reopen(capsys: pytest.CaptureFixture[str], db: str) -> None:
    before = observations(capsys, db)
    assert before["ani"] == {
        "observer": "ani",
        "status": "in progress",
        "coded_s": None,
        "coverage": None,
        "events": 3,
    }
    status, out, err = run(
        capsys, "--db", db, "finish", "--session", "K01-S01", "--observer", "ani", "--at", "150"
    )
    assert status == 0, err
    assert (
        "coverage 25.0%" in out and "2 open states" in out and "0 unpaired stops" in out and "3 events" in out
    )
    after = observations(capsys, db)
    assert (after["ani"]["status"], after["ani"]["coded_s"], after["ani"]["coverage"]) == (
        "finished",
        150.0,
        0.25,
    )
    assert after["budi"]["status"] == "in progress"
    store = Store.open(db)
    try:
        obs = store.observations(session="K01-S01", observer="ani")[0]
        assert {e.cue: e.end_s for e in store.events(obs.id) if e.kind == "state"} == {
            "G_EYE": 150.0,
            "T_FWD": 150.0,
        }
    finally:
        store.close()
    status, out, _ = run(capsys, "--db", db, "reopen", "--session", "K01-S01", "--observer", "ani")
    assert status == 0 and "in progress" in out
    reopened = observations(capsys, db)["ani"]
    assert (reopened["status"], reopened["coded_s"], reopened["coverage"]) == ("in progress", None, None)


def test_finish_defaults_to_the_latest_event(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, err = run(capsys, "--db", db, "finish", "--session", "K01-S01", "--observer", "ani")
    assert status == 0, err
    assert "at 30.000 s" in out and "coverage 5.0%" in out
    assert observations(capsys, db)["ani"]["coded_s"] == 30.0


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["finish", "--session", "K01-S01", "--observer", "ani", "--at", "601"], "only 600.0 s long"),
        (["finish", "--session", "K01-S01", "--observer", "ani", "--at", "10"], "coded up to 30.0 s"),
        (["finish", "--session", "K01-S01", "--observer", "ani", "--at", "soon"], "not soon"),
        (["finish", "--session", "K01-S01", "--observer", "ani", "--at", "-5"], "0 or more"),
        (["finish", "--session", "K01-S01", "--observer", "nobody"], "nobody has no observation"),
        (["finish", "--session", "K09-S01", "--observer", "ani"], "K09-S01"),
        (["reopen", "--session", "K01-S01", "--observer", "nobody"], "nobody has no observation"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], db: str, argv: list[str], says: str
) -> None:
    status, out, err = run(capsys, "--db", db, *argv)
    assert status == 2 and out == ""
    assert err.startswith("observe: error: ") and err.count("\n") == 1 and says in err
    assert observations(capsys, db)["ani"]["status"] == "in progress"


def test_finishing_twice_is_refused(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert (
        run(capsys, "--db", db, "finish", "--session", "K01-S01", "--observer", "budi", "--at", "600")[0] == 0
    )
    assert observations(capsys, db)["budi"]["coverage"] == 1.0
    status, _, err = run(capsys, "--db", db, "finish", "--session", "K01-S01", "--observer", "budi")
    assert status == 2 and "already finished" in err and err.count("\n") == 1
