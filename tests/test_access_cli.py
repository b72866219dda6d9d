"""``python -m observe users``: the first administrator of a team workspace, from the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from observe.cli import main
from observe.errors import PermissionDenied
from observe.governance import auth
from observe.store import Store


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _run(db: Path, *args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--db", str(db), "users", *args])


def test_users_add_list_passwd_disable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "team.db"
    assert _run(db, "add", "dewi", "--role", "administrator", "--password-stdin",
                stdin="first pass phrase\n", monkeypatch=monkeypatch) == 0  # fmt: skip
    assert _run(db, "list", monkeypatch=monkeypatch) == 0
    out = capsys.readouterr()
    assert "dewi\tadministrator" in out.out and "first pass phrase" not in out.out + out.err
    store = Store.open(str(db))
    assert store.authenticate("dewi", "first pass phrase").role == "administrator"
    assert (
        _run(db, "passwd", "dewi", "--password-stdin", stdin="second pass phrase\n", monkeypatch=monkeypatch)
        == 0
    )
    assert store.authenticate("dewi", "second pass phrase").username == "dewi"
    assert _run(db, "disable", "dewi", monkeypatch=monkeypatch) == 0
    with pytest.raises(PermissionDenied):
        store.authenticate("dewi", "second pass phrase")
    store.close()


def test_a_short_password_creates_no_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "team.db"
    assert _run(db, "add", "dewi", "--password-stdin", stdin="short\n", monkeypatch=monkeypatch) == 2
    assert "too short" in capsys.readouterr().err
    store = Store.open(str(db))
    assert [u.username for u in store.users()] == []
    store.close()


def test_passwords_typed_twice_must_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["one long pass phrase", "another long phrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert _run(tmp_path / "t.db", "add", "dewi", monkeypatch=monkeypatch) == 2


# -- the CLI has an identity in team mode (issue 12) ---------------------------------------------------------


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team workspace: administrator dewi (made without --as: the first one), observer ani,
    a session K01-S01 with ani's coding."""
    monkeypatch.setenv("OBSERVE_MODE", "team")
    monkeypatch.delenv("OBSERVE_PASSWORD", raising=False)
    db = tmp_path / "team.db"
    assert _run(db, "add", "dewi", "--role", "administrator", "--password-stdin",
                stdin="dewi pass phrase\n", monkeypatch=monkeypatch) == 0  # fmt: skip
    store = Store.open(str(db))
    store.add_user("ani", role="observer")
    store.set_password("ani", "ani pass phrase")
    store.add_counselor("C01")
    store.add_client("K01", display_name="Ayu Lestari", counselor="C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 9, 1), duration_s=60.0)
    obs = store.open_observation(session.code, "ani")
    store.add_event(obs.id, "client", "P_NOD", 1.0)
    store.close()
    return db


def _cli(db: Path, *args: str, who: str | None = None) -> int:
    return main(["--db", str(db), *(["--as", who] if who else []), *args])


def test_team_mode_refuses_commands_without_an_identity(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["sessions"], ["events"], ["users", "list"], ["audit"]):
        assert _cli(team, *args) == 2
        err = capsys.readouterr().err
        assert "--as" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # the first administrator exists now: a second account needs --as too
    assert (
        _run(team, "add", "eko", "--password-stdin", stdin="eko pass phrase\n", monkeypatch=monkeypatch) == 2
    )


def test_as_signs_in_and_acts_with_that_account_s_rights(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OBSERVE_PASSWORD", "wrong password here")
    assert _cli(team, "sessions", who="dewi") == 2
    monkeypatch.setenv("OBSERVE_PASSWORD", "ani pass phrase")
    assert _cli(team, "events", who="ani") == 0
    assert "P_NOD" in capsys.readouterr().out
    assert _cli(team, "audit", who="ani") == 2  # administrators only
    assert _cli(team, "erase", "--client", "K01", "--yes", who="ani") == 2
    monkeypatch.setenv("OBSERVE_PASSWORD", "dewi pass phrase")
    capsys.readouterr()
    assert _cli(team, "audit", "--json", who="dewi") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(r["username"] == "ani" and r["action"] == "access.refused" for r in rows)
    assert any(r["action"] == "user.sign_in" and r["entity_id"] == "ani" for r in rows)


def test_erase_from_the_cli_needs_yes_and_an_administrator(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OBSERVE_PASSWORD", "dewi pass phrase")
    assert _cli(team, "erase", "--client", "K01", who="dewi") == 2
    assert "--yes" in capsys.readouterr().err
    assert (
        _cli(team, "erase", "--client", "K01", "--yes", "--media", str(team.parent / "media"), who="dewi")
        == 0
    )
    assert "erasure id" in capsys.readouterr().out
    store = Store.open(str(team))
    assert [c.code for c in store.clients()] == []
    store.close()


def test_a_researcher_runs_the_research_export_with_as(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(str(team))
    (obs,) = store.observations()
    store.finish_observation(obs.id)
    store.set_consent("K01", recording=True, research_use=True)
    store.add_user("eko", role="researcher")
    store.set_password("eko", "eko pass phrase")
    store.close()
    monkeypatch.setenv("OBSERVE_PASSWORD", "eko pass phrase")
    out = team.parent / "research.zip"
    assert _cli(team, "export", "research", "-o", str(out), who="eko") == 0, capsys.readouterr().err
    data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        blob = b"\n".join(archive.read(name) for name in archive.namelist())
    assert b"P_NOD" in blob and b"K01" not in blob and b"Ayu" not in blob
    assert _cli(team, "events", who="eko") == 2  # no named records for the role
