"""``POST /api/outbox/<observation>``: the coder's direct acknowledgement path (issue 16).

The route writes the browser's outbox through the same guarded store path as the Streamlit
trigger (:func:`observe.coding.recording.apply_outbox`) and answers at once with the acknowledgements,
the refusals with their reasons and the timeline rows the writes changed. A request needs the
signed, expiring token the Record page handed to the coder, for that observation, its observer
and the sign-in that asked for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from observe.model import Observation
from observe.store import Store
from observe.store import signin_records as records
from observe.store.secret import signing_key
from observe.ui import coder_feed, outbox_routes
from tests.conftest import asgi_call

LOCAL = "local-admin"


def _post(path: str, body: object, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """One POST of ``body`` as JSON (or ``raw`` bytes); the answer's status and JSON (else its text)."""
    data = raw if raw is not None else json.dumps(body).encode()
    status, _headers, answer = asgi_call(path, method="POST", body=data, content_type="application/json")
    return status, json.loads(answer) if answer.startswith(b"{") else {"text": answer.decode()}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Observation]]:
    db = tmp_path / "observe.db"
    monkeypatch.setenv("OBSERVE_DB", str(db))
    store = Store.open(str(db))
    store.add_client("K01")
    store.add_counselor("C01")
    session = store.add_session("K01", "C01", date=dt.date(2026, 3, 1), duration_s=60.0)
    obs = store.open_observation(session.code, "ani")
    yield store, obs
    store.close()


def _item(seq: int, cue: str = "G_EYE", t: float = 1.5, client: str = "tab1") -> dict[str, Any]:
    return {"client": client, "seq": seq, "op": "cue", "subject": "client", "cue": cue, "t": t}


def _token(obs: Observation, **kw: Any) -> str:
    """A token signed with the workspace's key, as the Record page makes it."""
    store = Store.open(os.environ["OBSERVE_DB"])
    try:
        key = signing_key(store)
    finally:
        store.close()
    return outbox_routes.outbox_token(
        obs.id, kw.pop("observer", obs.observer), kw.pop("actor", LOCAL), key=key, **kw
    )


def test_a_token_signed_with_another_workspace_key_is_refused(world: tuple[Store, Observation]) -> None:
    """Replicas of one database accept each other's tokens; another workspace's key is not enough."""
    store, obs = world
    stranger = outbox_routes.outbox_token(obs.id, obs.observer, LOCAL, key=b"x" * 32)
    status, _reply = _post(f"/api/outbox/{obs.id}", {"token": stranger, "items": [_item(1)], "lang": "en"})
    assert status == 403
    assert store.events(obs.id) == []


def test_the_outbox_is_stored_once_and_acknowledged_at_once(world: tuple[Store, Observation]) -> None:
    store, obs = world
    body = {"token": _token(obs), "items": [_item(1), _item(2, "P_NOD", 3.0)], "lang": "en"}
    status, reply = _post(f"/api/outbox/{obs.id}", body)
    assert status == 200, reply
    assert reply["acks"] == {"tab1": 2} and reply["failed"] == {}
    assert [(e.cue, e.start_s) for e in store.events(obs.id)] == [("G_EYE", 1.5), ("P_NOD", 3.0)]
    # the rows the writes changed, numbered in this observation's change feed
    assert reply["feed"] == coder_feed.feed(obs.id).epoch
    rows = [row for _rev, ups, _dels in reply["delta"] for row in ups]
    assert sorted(r[3] for r in rows) == [1.5, 3.0]
    # sent again (a lost answer): acknowledged again, stored once
    status, again = _post(f"/api/outbox/{obs.id}", body)
    assert status == 200 and again["acks"] == {"tab1": 2}
    assert len(store.events(obs.id)) == 2


def test_a_refused_item_comes_back_with_its_reason(world: tuple[Store, Observation]) -> None:
    store, obs = world
    body = {"token": _token(obs), "items": [_item(1, "P_NOD", 75.0)], "lang": "en"}  # after the 60 s session
    status, reply = _post(f"/api/outbox/{obs.id}", body)
    assert status == 200
    assert reply["acks"] == {"tab1": 1}  # done: sending it again cannot help
    reason, retry = reply["failed"]["tab1:1"]
    assert "after the end of the session" in reason and retry is False
    assert store.events(obs.id) == []


def test_the_position_reached_is_kept(world: tuple[Store, Observation]) -> None:
    store, obs = world
    status, _reply = _post(f"/api/outbox/{obs.id}", {"token": _token(obs), "items": [], "reached": 42.0})
    assert status == 200
    assert store.observation(obs.id).reached_s == 42.0


@pytest.mark.parametrize("case", ["forged", "expired", "other observation", "other observer", "no token"])
def test_a_bad_token_is_refused_and_nothing_is_written(world: tuple[Store, Observation], case: str) -> None:
    store, obs = world
    other = store.open_observation(store.observation(obs.id).session, "budi")
    token = {
        "forged": _token(obs)[:-2] + "00",
        "expired": _token(obs, ttl_s=-1),
        "other observation": _token(other),
        "other observer": _token(obs, observer="budi"),
        "no token": "",
    }[case]
    status, _reply = _post(f"/api/outbox/{obs.id}", {"token": token, "items": [_item(1)], "reached": 9.0})
    assert status == 403
    assert store.events(obs.id) == [] and store.observation(obs.id).reached_s is None


def test_a_token_dies_with_its_sign_in(world: tuple[Store, Observation]) -> None:
    store, obs = world
    _token_value, record = records.create_record(store, "ani")
    token = _token(obs, actor="ani", sign_in=record.id)
    assert _post(f"/api/outbox/{obs.id}", {"token": token, "items": [_item(1)]})[0] == 200
    records.revoke(store, record.id)
    assert _post(f"/api/outbox/{obs.id}", {"token": token, "items": [_item(2, "P_NOD", 2.0)]})[0] == 403
    assert len(store.events(obs.id)) == 1


def test_the_store_guard_still_decides(world: tuple[Store, Observation]) -> None:
    """A token for a user who may not code this observation writes nothing (the guarded store path)."""
    store, obs = world
    store.add_user("budi", role="observer")
    status, reply = _post(f"/api/outbox/{obs.id}", {"token": _token(obs, actor="budi"), "items": [_item(1)]})
    assert status == 403, reply
    assert store.events(obs.id) == []


def test_a_malformed_body_is_refused(world: tuple[Store, Observation]) -> None:
    _store, obs = world
    assert _post(f"/api/outbox/{obs.id}", None, raw=b"not json")[0] == 400
    assert _post(f"/api/outbox/{obs.id}", {"token": _token(obs), "items": "x"})[0] == 400
