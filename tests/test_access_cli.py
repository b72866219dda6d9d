"""``python -m observe users``: the first administrator of a team workspace, from the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from observe import auth
from observe.cli import main
from observe.errors import PermissionDenied
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
