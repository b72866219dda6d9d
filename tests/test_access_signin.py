"""Sign-in you can trust, on SQLite and PostgreSQL: failures counted in one statement (50 at once
give exactly one lock and no other error), a lock that grows and expires by itself, an
administrator's unlock (store and CLI), a server-wide throttle, and the password policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from observe.cli import main
from observe.data import make_common_passwords
from observe.errors import InvalidInput, ObserveError, PermissionDenied
from observe.governance import auth
from observe.governance.access import SESSION_IDLE_S
from observe.store import Store
from observe.store import signin_records as records
from observe.store import tables as T
from observe.store.secret import signing_key
from observe.ui import signin_routes
from observe.video import library as media
from tests.conftest import asgi_call, forked_processes

PASSWORD = "a long pass phrase"
T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def store(store_on_each_engine: Store) -> Store:
    return store_on_each_engine


def _user(store: Store, name: str = "boss", role: str = "administrator") -> None:
    store.add_user(name, role=role)
    store.set_password(name, PASSWORD)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _key(store: Store, name: str, password: str, seconds: float) -> str:
    """The outcome of one sign-in: ``ok`` or the error's key."""
    try:
        store.authenticate(name, password, now=_at(seconds))
    except ObserveError as exc:
        return exc.key
    return "ok"


def _audit_count(store: Store, action: str) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(select(T.audit.c.id).where(T.audit.c.action == action)).all())


# -- the lock ------------------------------------------------------------------------------------------


def test_fifty_simultaneous_wrong_passwords_give_one_lock_and_no_other_error(store: Store) -> None:
    _user(store)
    start = threading.Barrier(50)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            start.wait(timeout=60)
            store.authenticate("boss", "not the password at all")
        except PermissionDenied as exc:
            outcomes.append(exc.key)
        except BaseException as exc:  # any other error (UNIQUE, deadlock, ...) fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    counted = Counter(outcomes)
    assert set(counted) <= {"access.bad_sign_in", "access.locked"}, counted
    assert sum(counted.values()) == 50
    # exactly the free attempts checked a password; every other one was refused as locked
    assert counted["access.bad_sign_in"] == auth.FREE_ATTEMPTS, counted
    assert _audit_count(store, "user.locked") == 1
    assert [lock.username for lock in store.sign_in_locks()] == ["boss"]
    # the right password is refused too while the lock holds
    with pytest.raises(PermissionDenied, match="wait"):
        store.authenticate("boss", PASSWORD)


def _guess_in_threads(url: str, threads: int, start: Any, results: Any) -> None:
    """One process (another server, say) sending ``threads`` wrong passwords at once."""
    try:
        auth._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        store = Store.open(url, migrate=False)
        outcomes: list[str] = []

        def one() -> None:
            try:
                store.authenticate("boss", "not the password at all")
            except ObserveError as exc:
                outcomes.append(exc.key)
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                outcomes.append(f"{type(exc).__name__}: {exc}")

        start.wait(timeout=120)
        pool = [threading.Thread(target=one) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=120)
        store.close()
        results.put(outcomes)
    except BaseException:  # noqa: BLE001
        results.put([traceback.format_exc()])


@pytest.mark.slow
def test_fifty_wrong_passwords_from_five_processes_give_one_lock(store: Store) -> None:
    _user(store)
    ctx = forked_processes("observe.store", __name__)
    start, results = ctx.Barrier(5), ctx.Queue()
    workers = [ctx.Process(target=_guess_in_threads, args=(store.url, 10, start, results)) for _ in range(5)]
    for worker in workers:
        worker.start()
    outcomes = [key for _ in workers for key in results.get(timeout=300)]
    for worker in workers:
        worker.join(timeout=60)
    counted = Counter(outcomes)
    assert set(counted) <= {"access.bad_sign_in", "access.locked"}, counted
    assert sum(counted.values()) == 50 and counted["access.bad_sign_in"] == auth.FREE_ATTEMPTS, counted
    assert _audit_count(store, "user.locked") == 1


def test_the_lock_expires_by_itself_and_grows_with_each_failure(store: Store) -> None:
    _user(store)
    outcomes = [_key(store, "boss", "guess guess guess", i) for i in range(auth.FREE_ATTEMPTS)]
    assert outcomes == ["access.bad_sign_in"] * auth.FREE_ATTEMPTS
    last = auth.FREE_ATTEMPTS - 1
    assert _key(store, "boss", PASSWORD, last + auth.FIRST_LOCK_S - 1) == "access.locked"
    # expired: one more guess is checked, fails, and locks for twice as long
    after = last + auth.FIRST_LOCK_S + 1
    assert _key(store, "boss", "guess guess guess", after) == "access.bad_sign_in"
    assert _key(store, "boss", PASSWORD, after + 2 * auth.FIRST_LOCK_S - 1) == "access.locked"
    assert _key(store, "boss", PASSWORD, after + 2 * auth.FIRST_LOCK_S + 1) == "ok"
    assert _audit_count(store, "user.locked") == 2
    # success forgets the count: the free attempts are back
    assert _key(store, "boss", "guess guess guess", after + 200) == "access.bad_sign_in"
    assert _key(store, "boss", PASSWORD, after + 201) == "ok"


def test_a_quiet_day_forgets_old_failures(store: Store) -> None:
    _user(store)
    for i in range(auth.FREE_ATTEMPTS - 1):
        assert _key(store, "boss", "guess guess guess", i) == "access.bad_sign_in"
    day = auth.RESET_AFTER_S + 10
    # without the reset this would be failure number FREE_ATTEMPTS and lock the name
    assert _key(store, "boss", "guess guess guess", day) == "access.bad_sign_in"
    assert _key(store, "boss", PASSWORD, day + 1) == "ok"
    assert _audit_count(store, "user.locked") == 0


def test_unknown_names_lock_the_same_way(store: Store) -> None:
    outcomes = [_key(store, "nobody", "guess guess guess", i) for i in range(auth.FREE_ATTEMPTS + 1)]
    assert outcomes[-1] == "access.locked"  # no hint that the name does not exist


def test_an_administrator_unlocks_a_name_and_others_may_not(store: Store) -> None:
    _user(store)
    _user(store, "rina", "counselor")
    for i in range(auth.FREE_ATTEMPTS):
        _key(store, "boss", "guess guess guess", i)
    assert _key(store, "boss", PASSWORD, 10) == "access.locked"
    with pytest.raises(PermissionDenied):
        store.as_user("rina").unlock("boss")
    assert store.unlock("boss") is True
    assert _key(store, "boss", PASSWORD, 11) == "ok"
    assert store.unlock("boss") is False
    assert _audit_count(store, "user.unlock") == 2


def test_users_unlock_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "team.db"
    store = Store.open(str(db))
    _user(store)
    for _ in range(auth.FREE_ATTEMPTS):
        with pytest.raises(PermissionDenied):
            store.authenticate("boss", "guess guess guess")
    with pytest.raises(PermissionDenied, match="wait"):
        store.authenticate("boss", PASSWORD)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--db", str(db), "users", "unlock", "boss"]) == 0
    assert "boss" in capsys.readouterr().out
    assert store.authenticate("boss", PASSWORD).username == "boss"
    store.close()


# -- the server-wide throttle ----------------------------------------------------------------------------


def test_many_failures_across_names_pause_every_sign_in_until_the_window_ends(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "THROTTLE_FAILURES", 6)
    _user(store)
    # one failure each on many names: no name reaches its own limit
    for i in range(7):
        assert _key(store, f"guess{i}", "guess guess guess", i) == "access.bad_sign_in"
    assert _key(store, "boss", PASSWORD, 8) == "access.throttled"
    assert _key(store, "boss", PASSWORD, auth.THROTTLE_WINDOW_S + 1) == "ok"
    assert _key(store, "guess9", "guess guess guess", auth.THROTTLE_WINDOW_S + 2) == "access.bad_sign_in"


# -- the password policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short", "password123", "Password2024", "qwertyuiop", "1234567890", "iloveyou123", "aaaaaaaaaaaa",
     "abababababab", "sayang12345", "boss123456", "BOSS"*3],
)  # fmt: skip
def test_common_repetitive_and_name_based_passwords_are_refused(store: Store, password: str) -> None:
    store.add_user("boss", role="administrator")
    with pytest.raises(InvalidInput):
        store.set_password("boss", password)


def test_a_long_phrase_of_ones_own_is_accepted_without_composition_rules(store: Store) -> None:
    store.add_user("boss", role="administrator")
    store.set_password("boss", "kopi tubruk di pagi hari")
    assert store.authenticate("boss", "kopi tubruk di pagi hari").username == "boss"


def test_the_bundled_list_is_what_its_script_makes() -> None:
    shipped = make_common_passwords.OUT.read_text(encoding="utf-8")
    assert shipped == make_common_passwords.render()
    assert len(auth.common_passwords()) > 3000
    assert "password123" in auth.common_passwords()


# -- sign-in records (the cookie) and the video links tied to them ---------------------------------------------


def test_a_sign_in_record_stores_only_the_tokens_hash_and_resumes_by_token(store: Store) -> None:
    _user(store)
    token, record = records.create_record(store, "boss", now=1000.0)
    with store.engine.connect() as conn:
        stored = conn.execute(select(T.sign_in_records)).one()
    assert token not in repr(stored) and stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert records.resume(store, token=token, now=1001.0) == record
    assert records.resume(store, record_id=record.id, now=1002.0) == record
    assert records.resume(store, token=token + "x", now=1003.0) is None


def test_a_sign_in_ends_when_idle_at_its_limit_at_sign_out_and_when_the_user_is_disabled(
    store: Store,
) -> None:
    _user(store)
    token, _ = records.create_record(store, "boss", now=0.0)
    assert records.resume(store, token=token, now=SESSION_IDLE_S + 1) is None  # idle
    token, record = records.create_record(store, "boss", now=0.0)
    hour = 3600.0
    for step in range(1, int(records.SIGN_IN_MAX_S // hour)):  # active every hour ...
        assert records.resume(store, token=token, now=step * hour) == record
    assert records.resume(store, token=token, now=records.SIGN_IN_MAX_S + 1) is None  # ... but not forever
    token, record = records.create_record(store, "boss", now=0.0)
    records.revoke(store, record.id)
    assert records.resume(store, token=token, now=1.0) is None and not records.is_live(
        store, record.id, now=1.0
    )
    token, record = records.create_record(store, "boss")
    store.set_password("boss", "another long pass phrase")  # a new password ends every sign-in
    assert records.resume(store, token=token) is None and not records.is_live(store, record.id)
    token, record = records.create_record(store, "boss")
    store.set_active("boss", False)
    assert records.resume(store, token=token) is None and not records.is_live(store, record.id)


def test_the_cookie_route_sets_an_httponly_strict_cookie_once_on_any_server(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticket lives in the database: one app server issues it, another's route redeems it."""
    monkeypatch.setenv("OBSERVE_DB", store.url)  # the route opens its own store: another server
    _user(store)
    first_token, record = records.create_record(store, "boss")
    replica = Store.open(store.url)
    ticket = records.issue_ticket(replica, record.id)
    assert records.ticket_pending(store, ticket)
    with store.engine.connect() as conn:
        stored = conn.execute(select(T.sign_in_records)).one()
    assert ticket not in repr(stored) and stored.ticket_hash == hashlib.sha256(ticket.encode()).hexdigest()
    status, headers, _ = asgi_call(f"/api/signin/cookie?ticket={ticket}")
    assert status == 200
    cookie = headers["set-cookie"]
    token = cookie.removeprefix(f"{signin_routes.COOKIE}=").split(";", 1)[0]
    assert token and token != first_token  # made at redemption: the database never held it
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert headers["cache-control"] == "no-store"
    assert records.resume(replica, token=token) == record and records.resume(store, token=token) == record
    assert records.resume(store, token=first_token) is None
    assert not records.ticket_pending(replica, ticket)
    assert asgi_call(f"/api/signin/cookie?ticket={ticket}")[0] == 403  # once only
    assert asgi_call("/api/signin/cookie?ticket=made-up")[0] == 403
    late = records.issue_ticket(store, record.id, now=0.0)  # issued long ago: expired
    assert not records.ticket_pending(store, late)
    assert asgi_call(f"/api/signin/cookie?ticket={late}")[0] == 403
    replica.close()


def test_a_ticket_is_redeemed_once_when_two_servers_race(store: Store) -> None:
    _user(store)
    _token, record = records.create_record(store, "boss")
    ticket = records.issue_ticket(store, record.id)
    replicas = [Store.open(store.url) for _ in range(4)]
    start = threading.Barrier(len(replicas))
    got: list[str | None] = []

    def redeem(replica: Store) -> None:
        start.wait()
        got.append(records.redeem_ticket(replica, ticket))

    threads = [threading.Thread(target=redeem, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.close()
    winners = [t for t in got if t is not None]
    assert len(got) == 4 and len(winners) == 1
    assert records.resume(store, token=winners[0]) == record


def test_sign_out_ends_every_video_link_issued_under_the_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, folder = tmp_path / "observe.db", tmp_path / "media"
    folder.mkdir()
    monkeypatch.setenv("OBSERVE_DB", str(db))
    monkeypatch.setenv("OBSERVE_MEDIA", str(folder))
    store = Store.open(str(db))
    _user(store)
    video = "0123456789abcdef0123456789abcdef.mp4"
    (folder / video).write_bytes(b"not really a video, but bytes to serve")
    _token, record = records.create_record(store, "boss")
    _token, other = records.create_record(store, "boss")  # the same user in another browser
    key = signing_key(store)
    link, other_link = (
        media.video_url(video, key=key, sign_in=record.id),
        media.video_url(video, key=key, sign_in=other.id),
    )
    assert asgi_call(link)[0] == 200 and asgi_call(other_link)[0] == 200
    assert asgi_call(link.replace(f"sid={record.id}", f"sid={other.id}"))[0] == 403  # the tie is signed
    records.revoke(store, record.id)
    assert asgi_call(link)[0] == 403
    assert asgi_call(other_link)[0] == 200  # another sign-in's links live on
    store.close()
