"""Privacy and safety on SQLite and PostgreSQL: the researcher's export holds no names,
notes, comments or dates; erasure leaves nothing about the client; sign-in is hashed and
rate-limited; uploads cannot name paths; SQL is built with bound parameters only; the audit
trail records changes and exports; the demo accounts each see their slice."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import random
import sqlite3
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from observe.errors import InvalidInput, NotFound, ObservationFinished, PermissionDenied
from observe.governance import auth
from observe.governance.access import DEMO_ACCOUNTS, app_mode, configured_mode, create_demo_accounts
from observe.governance.research import research_export, to_zip
from observe.store import Store
from observe.store import tables as T
from tests.conftest import REPO_ROOT

DAY = dt.date(2026, 9, 14)
NAME, NOTE, COMMENT = "Siti Rahmawati", "mother hospitalised in March", "tears when naming the brother"


pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def store(store_on_each_engine: Store) -> Store:
    return store_on_each_engine


def _workspace(store: Store) -> dict[str, int]:
    """K10 (consents to research) and K11 (does not), each with a coded, finished session."""
    store.add_counselor("C10", name="Counselor Hartono")
    ids = {}
    for code, consent in (("K10", True), ("K11", False)):
        store.add_client(code, display_name=f"{NAME} {code}", counselor="C10")
        session = store.add_session(code, "C10", date=DAY, duration_s=300.0, notes=f"{NOTE} {code}")
        obs = store.open_observation(session.code, "obs.sari")
        store.add_event(obs.id, "client", "P_NOD", 12.5, comment=f"{COMMENT} {code}")
        store.add_event(obs.id, "client", "G_EYE", 20.0, 40.0)
        store.finish_observation(obs.id)
        store.set_consent(code, recording=True, research_use=consent, date=DAY)
        ids[code] = obs.id
    store.add_user("res", role="researcher")
    return ids


# -- the research export -------------------------------------------------------------------------------


def test_research_export_has_no_names_notes_comments_dates(store: Store) -> None:
    _workspace(store)
    export = research_export(store.as_user("res"))
    data = to_zip(export)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        blob = b"\n".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    real_values = [
        NAME,
        NOTE,
        COMMENT,
        "Hartono",
        "K10",
        "K11",
        "C10",
        "obs.sari",
        "K10-S01",
        DAY.isoformat(),
        DAY.strftime("%d/%m/%Y"),
        DAY.strftime("%Y%m%d"),
        "2026",
    ]
    assert [v for v in real_values if v in blob] == []
    events = export["events"]
    assert len(events) == 2  # only K10's events: K11 did not consent
    assert events["client"].nunique() == 1 and events["client"].iloc[0].startswith("P")
    assert {"comment", "session_date", "session", "event_id", "observation_id"}.isdisjoint(events.columns)


def test_research_codes_are_new_in_every_export(store: Store) -> None:
    ids = _workspace(store)
    store.reopen_observation(ids["K11"])
    store.add_event(ids["K11"], "client", "P_NOD", 50.0)  # K11 is the client with 3 events
    store.finish_observation(ids["K11"])
    store.set_consent("K11", recording=True, research_use=True)
    codes_of_k11 = set()
    for seed in range(8):
        sessions = research_export(store, rng=random.Random(seed))["sessions"]
        codes_of_k11.add(sessions.loc[sessions["events"] == 3, "client"].item())
    assert len(codes_of_k11) > 1  # the code a client gets changes between exports
    assert all(code.startswith("P-") and "K11" not in code for code in codes_of_k11)


def test_research_export_is_refused_to_an_observer_and_is_audited(store: Store) -> None:
    _workspace(store)
    with pytest.raises(PermissionDenied):
        research_export(store.as_user("obs.sari"))
    research_export(store.as_user("res"))
    log = store.audit_log()
    assert ((log["action"] == "export.research") & (log["username"] == "res")).sum() == 1


def test_researcher_sees_no_client_session_or_event(store: Store) -> None:
    ids = _workspace(store)
    res = store.as_user("res")
    for call in (
        lambda: res.clients(),
        lambda: res.client("K10"),
        lambda: res.sessions(),
        lambda: res.events(ids["K10"]),
        lambda: res.events_frame(),
        lambda: res.video_token("K10-S01"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert res.counts()["events"] == 4  # aggregates only


# -- audit -------------------------------------------------------------------------------------------------


def test_changes_are_audited_in_the_same_transaction(store: Store) -> None:
    ids = _workspace(store)
    log = store.audit_log()
    assert {"client.create", "session.create", "observation.open", "event.change", "consent.set"} <= set(
        log["action"]
    )
    changes = log[log["action"] == "event.change"]
    assert all('"events": [' in d for d in changes["detail"])
    assert not log["detail"].str.contains(NAME).any() and not log["detail"].str.contains(NOTE).any()
    store.reopen_observation(ids["K10"])
    before = len(store.audit_log())
    with pytest.raises(InvalidInput):  # a refused write leaves no audit row either
        store.add_event(ids["K10"], "client", "NOT_A_CUE", 1.0)
    with pytest.raises(ObservationFinished):  # nor does a keypress on a finished observation
        store.add_event(ids["K11"], "client", "P_NOD", 1.0)
    assert len(store.audit_log()) == before


def test_audit_is_for_administrators_only(store: Store) -> None:
    _workspace(store)
    store.add_user("sup", role="supervisor")
    for user in ("sup", "res", "obs.sari"):
        with pytest.raises(PermissionDenied):
            store.as_user(user).audit_log()


# -- erasure ---------------------------------------------------------------------------------------------------


def test_erasure_leaves_no_row_about_the_client_and_removes_the_video(store: Store, tmp_path: Path) -> None:
    ids = _workspace(store)
    media = tmp_path / "media"
    media.mkdir()
    token = "0123456789abcdef0123456789abcdef.mp4"
    (media / token).write_bytes(b"video bytes")
    store.set_video("K10-S01", token)
    with store.engine.connect() as conn:
        client_id = conn.execute(select(T.clients.c.id).where(T.clients.c.code == "K10")).scalar_one()
        session_id = conn.execute(select(T.sessions.c.id).where(T.sessions.c.code == "K10-S01")).scalar_one()
    with pytest.raises(InvalidInput):
        store.erase_client("K10", confirm="K1", media_folder=media)  # a mistyped confirmation erases nothing
    counts = store.erase_client("K10", confirm="K10", media_folder=media)
    assert counts["sessions"] == 1 and counts["events"] == 2 and counts["videos"] == 1
    assert not (media / token).exists()
    values = ("K10", f"{NAME} K10", f"{NOTE} K10", f"{COMMENT} K10", token)
    with store.engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):  # noqa: S608 - table names from the schema
                assert not [v for v in values if v in repr(tuple(row))], (name, row)
    with store.engine.connect() as conn:
        assert conn.execute(select(T.audit).where(T.audit.c.client_id == client_id)).first() is None
        for table in (T.observations, T.session_observers):
            assert conn.execute(select(table).where(table.c.session_id == session_id)).first() is None
        assert conn.execute(select(T.actions).where(T.actions.c.observation_id == ids["K10"])).first() is None
        erased = conn.execute(select(T.audit).where(T.audit.c.action == "client.erase")).all()
    assert len(erased) == 1 and len(erased[0].entity_id) == 32  # a keyed hash, not the code
    assert [c.code for c in store.clients()] == ["K11"]  # the other client is untouched
    assert len(store.events(ids["K11"])) == 2


def test_erasure_is_for_administrators_only(store: Store) -> None:
    _workspace(store)
    store.add_user("sup", role="supervisor")
    store.supervise("sup", "C10")
    with pytest.raises(PermissionDenied):
        store.as_user("sup").erase_client("K10", confirm="K10")
    assert store.client("K10")


# -- sign-in -----------------------------------------------------------------------------------------------------


def test_passwords_are_hashed_and_checked(store: Store) -> None:
    store.add_user("dewi", role="supervisor")
    store.set_password("dewi", "a long pass phrase")
    with store.engine.connect() as conn:
        stored = conn.execute(
            select(T.users.c.password_hash).where(T.users.c.username == "dewi")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "a long pass phrase" not in stored
    assert store.authenticate("dewi", "a long pass phrase").role == "supervisor"
    with pytest.raises(PermissionDenied, match="wrong"):
        store.authenticate("dewi", "not the password")
    with pytest.raises(PermissionDenied, match="wrong"):
        store.authenticate("nobody", "a long pass phrase")  # the same message: no hint which was wrong
    with pytest.raises(InvalidInput):
        store.set_password("dewi", "short")
    store.set_active("dewi", False)
    with pytest.raises(PermissionDenied):
        store.authenticate("dewi", "a long pass phrase")
    assert "a long pass phrase" not in repr(store.audit_log().to_dict())


def test_failed_sign_ins_lock_the_name_and_the_lock_survives_a_new_store(store: Store) -> None:
    store.add_user("dewi", role="supervisor")
    store.set_password("dewi", "a long pass phrase")
    t0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(auth.FREE_ATTEMPTS):
        with pytest.raises(PermissionDenied, match="wrong"):
            store.authenticate("dewi", "guess", now=t0 + dt.timedelta(seconds=i))
    again = Store.open(store.url)  # another process, or a restart: the count is in the database
    try:
        with pytest.raises(PermissionDenied, match="wait"):
            again.authenticate("dewi", "a long pass phrase", now=t0 + dt.timedelta(seconds=10))
        later = t0 + dt.timedelta(seconds=4 + auth.FIRST_LOCK_S + 1)
        assert again.authenticate("dewi", "a long pass phrase", now=later).username == "dewi"
        # success resets the count: one more failure does not lock
        with pytest.raises(PermissionDenied, match="wrong"):
            again.authenticate("dewi", "guess", now=later)
    finally:
        again.close()


def test_demo_accounts_are_refused_once_the_workspace_holds_real_clients(store: Store) -> None:
    store.add_counselor("C01")
    store.add_client("K01", is_demo=True)
    store.add_session("K01", "C01", date=DAY)
    create_demo_accounts(store)
    name, _role, password = DEMO_ACCOUNTS[1]
    assert store.authenticate(name, password).username == name
    store.add_client("K99")  # a real client
    with pytest.raises(PermissionDenied, match="Demo accounts"):
        store.authenticate(name, password)


def test_modes(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    assert configured_mode({}, none) == "local"
    assert configured_mode({"OBSERVE_MODE": "team"}, none) == "team"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[observe]\nmode = "team"\n')
    assert configured_mode({}, secrets) == "team"
    with pytest.raises(InvalidInput):
        configured_mode({"OBSERVE_MODE": "open"}, none)
    with pytest.raises(InvalidInput, match="PostgreSQL"):
        app_mode("postgresql+psycopg://u@h/db", {}, none)
    assert app_mode("postgresql+psycopg://u@h/db", {"OBSERVE_MODE": "team"}, none) == "team"


# -- the demo slices -------------------------------------------------------------------------------------------------


def test_demo_accounts_each_see_their_slice(demo_copy: Store) -> None:
    store = demo_copy  # the demo workspace (it has its accounts already: a second call changes no slice)
    create_demo_accounts(store)
    everything = {s.code for s in store.sessions()}
    by_counselor = {c: {s.code for s in store.sessions(counselor=c)} for c in ("C01", "C02")}
    seen = {name: store.as_user(name) for name, _r, _p in DEMO_ACCOUNTS}
    assert {s.code for s in seen["admin.demo"].sessions()} == everything
    assert {s.code for s in seen["sup.dewi"].sessions()} == everything  # supervises C01 and C02
    assert {s.code for s in seen["couns.rina"].sessions()} == by_counselor["C01"]
    assert {c.code for c in seen["couns.rina"].clients()} == {"K01", "K03"}
    assert all(c.display_name for c in seen["couns.rina"].clients())
    assert {s.code for s in seen["obs.ani"].sessions()} == everything  # assigned to every demo session
    assert all(c.display_name is None for c in seen["obs.ani"].clients())  # codes only
    assert all(s.notes == "" for s in seen["obs.ani"].sessions())
    with pytest.raises(PermissionDenied):
        seen["res.eko"].sessions()
    export = research_export(seen["res.eko"])["events"]
    assert export["client"].nunique() == 2  # K01 and K02 consented, K03 did not


# -- uploads and paths ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["../observe.db", "/etc/passwd", "..%2fobserve.db", "a" * 32 + ".mp4/../../x", "evil.mp4"]
)
def test_a_video_reference_cannot_be_a_path(store: Store, token: str) -> None:
    _workspace(store)
    with pytest.raises(InvalidInput):
        store.set_video("K10-S01", token)
    assert store.video_token("K10-S01") is None


def test_upload_names_are_never_paths_and_size_is_limited(tmp_path: Path) -> None:
    from observe.video import library as media

    with pytest.raises(InvalidInput):  # a path-like name is refused by its type, never used as a path
        media.store_upload(io.BytesIO(b"x"), "../../etc/cron.d/evil", max_bytes=10, folder=tmp_path)
    with pytest.raises(InvalidInput, match="large|MB"):
        media.store_upload(io.BytesIO(b"0" * 2048), "../../x.mp4", max_bytes=1024, folder=tmp_path)
    with pytest.raises(InvalidInput):  # not a video
        media.store_upload(io.BytesIO(b"not a video at all"), "clip.mp4", max_bytes=1 << 20, folder=tmp_path)
    assert list(tmp_path.rglob("*")) == []  # nothing left behind, nothing outside the folder
    with pytest.raises(NotFound):
        media.video_path("../observe.db", tmp_path)


# -- SQL only with bound parameters -----------------------------------------------------------------------------------


def _sql_built_from_strings(path: Path) -> list[str]:
    """Calls of execute/exec_driver_sql/text whose SQL is an f-string, a % format or a concatenation."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name not in ("execute", "exec_driver_sql", "text"):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.JoinedStr) or (
            isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add | ast.Mod)
        ):
            found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    return found


def test_sql_is_built_with_bound_parameters_only() -> None:
    files = [*(REPO_ROOT / "observe").rglob("*.py"), *(REPO_ROOT / "pages").glob("*.py")]
    offenders = [hit for path in files for hit in _sql_built_from_strings(path)]
    # the two known exceptions format fixed identifiers, never values: SQLite's BEGIN mode and
    # the counselor-reference DDL of migration 0002
    allowed = {"observe/store/engine.py", "observe/store/migrations/versions/0002_access.py"}
    assert [hit for hit in offenders if hit.split(":")[0] not in allowed] == []


def test_a_hostile_code_is_data_not_sql(store: Store) -> None:
    store.add_counselor("C01")
    with pytest.raises(InvalidInput):
        store.add_client("K1'; DROP TABLE clients; --")
    with pytest.raises(NotFound):
        store.client("K1' OR '1'='1")
    with pytest.raises(PermissionDenied):
        store.authenticate("x' OR '1'='1", "' OR '1'='1")
    assert store.counselor("C01").code == "C01"


def test_researcher_runs_the_page_s_research_export(store: Store) -> None:
    """The export the page and the CLI hand out (``export_file(..., "research")``) works for the
    researcher role: consenting clients only, no identifying column or value."""
    from observe.interop.exports import export_file

    _workspace(store)
    made = export_file(store.as_user("res"), "research", seed=3)
    with zipfile.ZipFile(io.BytesIO(made.data)) as archive:
        blob = b"\n".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
        header = archive.read("events.csv").decode("utf-8").splitlines()[0].split(",")
    leaks = [NAME, NOTE, COMMENT, "Hartono", "K10", "K11", "C10", "obs.sari", DAY.isoformat()]
    assert [v for v in leaks if v in blob] == []
    assert {"session_date", "event_id", "observation_id", "display_name", "notes"}.isdisjoint(header)
    assert "P_NOD" in blob  # K10's coding is there
    log = store.audit_log()
    assert "export.research" in set(log[log["username"] == "res"]["action"])


def _coded_client(store: Store, code: str, name: str, n_events: int) -> None:
    """A client with a named session whose observation holds ``n_events`` commented events,
    its name rewritten a few times (old row versions in pages and the WAL)."""
    from observe.model import make_event

    store.add_client(code, display_name=name, counselor="C10")
    session = store.add_session(code, "C10", date=DAY, duration_s=3600.0, notes=f"notes of {name}")
    obs = store.open_observation(session.code, "obs.sari")
    scheme = store.observation_scheme(obs.id)
    events = [
        make_event(scheme, "client", "P_NOD", 0.5 * i, comment=f"about {name}") for i in range(n_events)
    ]
    store.import_events(obs.id, events)
    for k in range(3):
        store.update_client(code, display_name=f"{name} {k}")
    store.update_client(code, display_name=name)


def _freelist(db: Path) -> int:
    with sqlite3.connect(db) as raw:
        return int(raw.execute("PRAGMA freelist_count").fetchone()[0])


def test_erasures_rebuild_the_file_once_and_leave_no_byte_each_time(tmp_path: Path) -> None:
    """Every write zeroes what it frees (secure_delete), so after the first erasure rebuilt the
    file (VACUUM) the next ones need not: their freed pages stay free (and zeroed)."""
    db = tmp_path / "observe.db"
    store = Store.open(f"sqlite:///{db}")
    store.add_counselor("C10")
    store.add_client("K11", counselor="C10")
    people = {"KQA1": "Wiryawan Qoxtel", "KQB2": "Sulastri Zumbrak", "KQC3": "Paimo Vexlund"}
    for code, name in people.items():
        _coded_client(store, code, name, n_events=1500)
    for number, (code, name) in enumerate(people.items()):
        store.erase_client(code, confirm=code)
        data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        assert [n for n in (code, name, *name.split()) if n.encode() in data] == []
        if number == 0:
            assert _freelist(db) == 0  # the first erasure rebuilt the file
        else:
            assert _freelist(db) > 0  # later ones did not: 1,500 events' pages are left free
    store.close()


def test_erased_client_leaves_no_bytes_in_the_database_files_or_the_media_folder(tmp_path: Path) -> None:
    """After an erasure, the client's code, display name and notes are in no file: the SQLite
    main file, its WAL, the media folder (videos and derived caches)."""
    db = tmp_path / "observe.db"
    media = tmp_path / "media"
    (media / "cache" / "motion").mkdir(parents=True)
    code, name, notes = "KQZX7", "Wiryawan Qoxtel", "sister moved to Qoxburg"
    store = Store.open(f"sqlite:///{db}")
    store.add_counselor("C10")
    store.add_client(code, display_name=name, counselor="C10")
    store.add_client("K11", counselor="C10")
    session = store.add_session(code, "C10", date=DAY, duration_s=300.0, notes=notes)
    other = store.add_session("K11", "C10", date=DAY, duration_s=300.0)
    for s in (session, other):
        obs = store.open_observation(s.code, "obs.sari")
        store.add_event(obs.id, "client", "P_NOD", 12.5, comment=f"about {name}" if s is session else "")
        store.record(obs.id, "client", "G_EYE", 20.0)
        store.undo(obs.id)
    store.set_consent(code, recording=True, research_use=True, date=DAY)
    token = "0123456789abcdef0123456789abcdef.mp4"
    (media / token).write_bytes(b"video bytes of " + code.encode())
    store.set_video(session.code, token)
    (media / "cache" / "motion" / "a1b2.csv").write_text("time_s,client\n0,1.5\n")
    (media / "cache" / "motion" / "a1b2.json").write_text(json.dumps({"video": token, "fps": 25}))
    (media / "cache" / "motion" / "keep.json").write_text(json.dumps({"video": "other.mp4"}))
    for _ in range(3):  # rows written and rewritten: old page images in the WAL
        store.update_client(code, special_needs=True)
        store.update_client(code, special_needs=False)
    counts = store.erase_client(code, confirm=code, media_folder=media)
    assert counts["videos"] == 1 and counts["caches"] == 2
    assert (media / "cache" / "motion" / "keep.json").exists()
    needles = [code.encode(), name.encode(), notes.encode(), b"Qoxburg", b"Qoxtel"]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert db in files
    found = [(p.name, n) for p in files for n in needles if n in p.read_bytes()]
    assert found == []
    erased = store.audit_log()
    row = erased[erased["action"] == "client.erase"].iloc[0]
    assert row["entity_id"] == counts["erasure"] and code not in row["detail"]
    assert [c.code for c in store.clients()] == ["K11"]
    store.close()
