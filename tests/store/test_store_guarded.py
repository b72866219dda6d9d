"""The one guarded door (issue 12): every change is one unit of work that checks, changes and
audits in one transaction; imports go through it as the acting user; the blind rule holds in
the store; a refused check changes nothing and leaves an audit row of the refusal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from observe.errors import PermissionDenied
from observe.interop.preview import apply_import
from observe.interop.tidy import parse_tidy_csv
from observe.store import Store

DAY = dt.date(2026, 9, 1)
Dump = Callable[[Store], dict[str, list[tuple[Any, ...]]]]


def _team(store: Store) -> None:
    """C01 with client K01 and session K01-S01 coded by observers ani and budi."""
    store.add_counselor("C01")
    store.add_client("K01", display_name="Ayu Lestari", counselor="C01")
    store.add_session("K01", "C01", date=DAY, duration_s=600.0)
    for name in ("ani", "budi"):
        store.add_user(name, role="observer")
    store.add_user("dewi", role="supervisor")
    store.supervise("dewi", "C01")
    store.scheme()  # the default scheme is stored on first use: before any "nothing changed" dump


def _without_trail(dump: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Everything but the audit trail and the data version (a refusal adds an audit row)."""
    return {k: v for k, v in dump.items() if k not in ("audit", "data_version")}


def _refusals(store: Store, username: str) -> pd.DataFrame:
    log = store.audit_log()
    return log[(log["action"] == "access.refused") & (log["username"] == username)]


def _csv(session: str, observer: str, t: float = 5.0) -> bytes:
    client = session.split("-S")[0]
    return (
        "session,client,counselor,session_date,observer,subject,cue,start_s,end_s,modifiers,comment\n"
        f"{session},{client},C01,2026-09-01,{observer},client,P_NOD,{t},,,\n"
    ).encode()


# -- the unit of work ---------------------------------------------------------------------------------


def test_a_change_bumps_the_data_version_and_a_read_does_not(store: Store) -> None:
    before = store.data_version()
    store.add_counselor("C01")
    after = store.data_version()
    assert after > before
    store.counselors()
    assert store.data_version() == after


def test_signing_in_changes_no_data_so_the_data_version_stays(store: Store) -> None:
    """Sign-in bookkeeping (failure counts, sign-in records) is not data a dashboard draws:
    caches keyed on the data version must survive every sign-in."""
    from observe.errors import PermissionDenied as Refused
    from observe.store import signin_records as records

    store.add_user("boss", role="administrator")
    store.set_password("boss", "a long pass phrase of my own")
    before = store.data_version()
    store.authenticate("boss", "a long pass phrase of my own")
    with pytest.raises(Refused):
        store.authenticate("boss", "not the pass phrase at all")
    token, record = records.create_record(store, "boss", now=1000.0)
    assert records.resume(store, token=token, now=1001.0) == record
    records.revoke(store, record.id)
    store.unlock("boss")
    assert store.data_version() == before
    store.add_counselor("C01")  # and a real change still bumps it
    assert store.data_version() == before + 1


def test_a_unit_of_work_may_say_it_changed_no_data(store: Store) -> None:
    before = store.data_version()
    with store.acting("settings", entity="setting", entity_id="x") as work:
        work.data_changed = False
    assert store.data_version() == before
    log = store.audit_log()
    assert "settings" in set(log["action"])  # still audited


def test_a_refused_change_changes_nothing_and_leaves_a_refusal_row(store: Store, dump: Dump) -> None:
    _team(store)
    ani = store.as_user("ani")
    before = dump(store)
    with pytest.raises(PermissionDenied):
        ani.add_client("K99")
    assert _without_trail(dump(store)) == _without_trail(before)
    refused = _refusals(store, "ani")
    assert list(refused["entity_id"]) == ["client.create"]


def test_acting_writes_the_audit_row_in_the_change_transaction(store: Store) -> None:
    _team(store)
    with pytest.raises(RuntimeError), store.acting("settings", entity="setting", entity_id="x") as work:
        work.record(note="half done")
        raise RuntimeError("boom")
    assert "settings" not in set(store.audit_log()["action"])
    with store.acting("settings", entity="setting", entity_id="x") as work:
        work.record(fields=["x"])
    row = store.audit_log().iloc[0]
    assert (row["action"], row["entity_id"], json.loads(row["detail"])) == (
        "settings",
        "x",
        {"fields": ["x"]},
    )


# -- imports through the guarded path ------------------------------------------------------------------


def test_cross_observer_import_is_refused_and_changes_nothing(store: Store, dump: Dump) -> None:
    _team(store)
    store.assign_observer("K01-S01", "ani")
    budi = store.open_observation("K01-S01", "budi")
    store.add_event(budi.id, "client", "P_NOD", 1.0)
    store.finish_observation(budi.id)
    ani = store.as_user("ani")
    before = dump(store)
    data = _csv("K01-S01", "budi")
    with pytest.raises(PermissionDenied):
        apply_import(ani, parse_tidy_csv(data), filename="budi.csv", data=data)
    assert _without_trail(dump(store)) == _without_trail(before)
    assert len(_refusals(store, "ani")) == 1


def test_an_observer_import_cannot_create_clients_or_users(store: Store, dump: Dump) -> None:
    _team(store)
    ani = store.as_user("ani")
    before = dump(store)
    for data in (_csv("K77-S01", "ani"), _csv("K01-S01", "newcomer")):
        with pytest.raises(PermissionDenied):
            apply_import(ani, parse_tidy_csv(data), filename="x.csv", data=data)
    assert _without_trail(dump(store)) == _without_trail(before)
    assert [c.code for c in store.clients()] == ["K01"]


def test_an_import_never_extends_a_finished_observation(store: Store) -> None:
    _team(store)
    own = store.open_observation("K01-S01", "ani")
    store.finish_observation(own.id)
    data = _csv("K01-S01", "ani")
    for who in (store.as_user("ani"), store):  # not even the administrator
        with pytest.raises(PermissionDenied):
            apply_import(who, parse_tidy_csv(data), filename="late.csv", data=data)
    assert store.events(own.id) == []


def test_an_observer_imports_their_own_coding_as_one_audited_action(store: Store) -> None:
    _team(store)
    store.assign_observer("K01-S01", "ani")
    ani = store.as_user("ani")
    data = _csv("K01-S01", "ani")
    counts = apply_import(ani, parse_tidy_csv(data), filename="ani-K01-S01.csv", data=data)
    assert counts["events"] == 1
    (own,) = ani.observations(observer="ani")
    assert len(ani.events(own.id)) == 1
    log = store.audit_log()
    row = log[log["action"] == "data.import"].iloc[0]
    assert row["username"] == "ani" and row["entity_id"] == "ani-K01-S01.csv"
    assert json.loads(row["detail"])["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_supervisor_may_import_an_observer_s_coding_of_a_supervised_session(store: Store) -> None:
    _team(store)
    data = _csv("K01-S01", "budi")
    apply_import(store.as_user("dewi"), parse_tidy_csv(data), filename="budi.csv", data=data)
    assert [o.observer for o in store.observations(session="K01-S01")] == ["budi"]


# -- blind coding ------------------------------------------------------------------------------------------


def _double_coded(store: Store) -> tuple[int, int]:
    _team(store)
    ani = store.open_observation("K01-S01", "ani")
    budi = store.open_observation("K01-S01", "budi")
    store.add_event(budi.id, "client", "P_NOD", 2.0)
    return ani.id, budi.id


def test_finishing_first_does_not_show_the_other_coding(store: Store) -> None:
    ani_id, budi_id = _double_coded(store)
    ani = store.as_user("ani")
    ani.finish_observation(ani_id)
    with pytest.raises(PermissionDenied):
        ani.events(budi_id)
    assert [o.observer for o in ani.observations(session="K01-S01")] == ["ani"]
    assert set(ani.events_frame(session="K01-S01")["observer"]) <= {"ani"}
    ani.reopen_observation(ani_id)  # nothing was visible: reopening is still the observer's own call


def test_blind_peek_then_reopen_is_impossible_for_the_observer(store: Store) -> None:
    ani_id, budi_id = _double_coded(store)
    store.as_user("ani").finish_observation(ani_id)
    store.as_user("budi").finish_observation(budi_id)
    ani = store.as_user("ani")
    assert len(ani.events(budi_id)) == 1  # every coder finished: the other coding shows
    with pytest.raises(PermissionDenied):
        ani.reopen_observation(ani_id)
    assert store.observation(ani_id).status == "finished"
    assert store.reopened_after_unblinding("K01-S01") == []


def test_a_supervisor_reopens_after_unblinding_and_the_observation_is_marked(store: Store) -> None:
    ani_id, budi_id = _double_coded(store)
    store.as_user("ani").finish_observation(ani_id)
    store.as_user("budi").finish_observation(budi_id)
    store.as_user("dewi").reopen_observation(ani_id)
    assert store.reopened_after_unblinding("K01-S01") == ["ani"]
    log = store.audit_log()
    reopen = log[log["action"] == "observation.reopen"].iloc[0]
    assert reopen["username"] == "dewi" and json.loads(reopen["detail"])["after_unblinding"] is True
    # the session is being coded again: the others' coding is hidden from ani once more
    ani = store.as_user("ani")
    with pytest.raises(PermissionDenied):
        ani.events(budi_id)
    # and budi, who had seen ani's coding, may not reopen his own either
    with pytest.raises(PermissionDenied):
        store.as_user("budi").reopen_observation(budi_id)
