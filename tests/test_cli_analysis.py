"""``python -m observe openness`` and ``python -m observe sequence`` on the demo workspace."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from observe.cli import main


@pytest.fixture(scope="module")
def db(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli_analysis") / "demo.db"
    shutil.copy(demo_workspace, path)  # the demo workspace, without videos (no analysis here reads one)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_openness_session_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(capsys, "--db", db, "openness", "--session", "K01-S06", "--window", "60", "--boot", "200",
                         "--json")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    assert data["observer"] == "obs.ani" and data["params"]["window_s"] == 60.0
    assert len(data["windows"]) == len(data["attending_windows"]) == 15
    oi = data["openness"]
    assert oi["ci_low"] <= oi["oi"] <= oi["ci_high"] and oi["oi"] > 0
    assert data["attending"]["oi"] is not None
    assert "not validated" in data["limitations"]
    # the per-window values say how the session index is made: the observable-time weighted mean
    defined = [w for w in data["windows"] if w["oi"] is not None]
    mean = sum(w["oi"] * w["D"] for w in defined) / sum(w["D"] for w in defined)
    assert mean == pytest.approx(oi["oi"])


def test_openness_session_window_longer_than_session(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(capsys, "--db", db, "openness", "--session", "K01-S01", "--window", "5000", "--json")
    data = json.loads(out)
    assert status == 0 and data["openness"]["oi"] is None and data["windows"] == []
    assert data["openness"]["reason"] == "analysis.openness.window_longer_than_session"
    assert data["openness"]["reason_text"]


def test_openness_client_json_flags_k02_in_indonesian(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(
        capsys, "--db", db, "openness", "--client", "K02", "--boot", "0", "--json", "--lang", "id"
    )
    data = json.loads(out)
    assert status == 0
    assert data["referral"]["status"] == "raised" and data["referral"]["sessions"] == [3, 4, 5]
    assert "alih tangan kasus" in data["referral"]["reason"]
    assert [s["session_number"] for s in data["sessions"]] == [1, 2, 3, 4, 5]
    assert data["trend"]["n_sessions"] == 5 and data["referral_params"]["rho"] == 3.0


def test_openness_client_thresholds_change_the_flag(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(
        capsys, "--db", db, "openness", "--client", "K02", "--boot", "0", "--rho", "50", "--json"
    )
    data = json.loads(out)
    assert (
        data["referral"]["status"] == "not_raised" and data["referral"]["conditions"]["resistance"] is False
    )


def test_openness_client_text_report(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(capsys, "--db", db, "openness", "--client", "K01", "--boot", "0")
    assert status == 0 and "slope per session: +" in out and "referral flag: not_raised" in out


def test_sequence_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(capsys, "--db", db, "sequence", "--given", "counselor:T_FWD", "--target", "K:G_EYE",
                         "--window", "5", "--sessions", "K01-S01", "K01-S02", "--perm", "99", "--json")  # fmt: skip
    data = json.loads(out)
    assert status == 0 and data["sessions"] == ["K01-S01", "K01-S02"]
    pooled = data["pooled"][0]
    assert (pooled["given"], pooled["target"]) == ("counselor:T_FWD", "client:G_EYE")
    rows = data["per_session"]
    assert pooled["a"] == sum(r["a"] for r in rows) and all(0 < r["p_value"] <= 1 for r in rows)
    assert data["params"]["window_s"] == 5.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sequence", "--given", "T_FWD", "--target", "client:G_EYE"], "client:G_EYE or counselor:T_FWD"),
        (["sequence", "--given", "counselor:NOPE", "--target", "client:G_EYE"], "no cue counselor:NOPE"),
        (["openness", "--session", "K09-S01"], "K09-S01"),
        (["openness", "--session", "K01-S01", "--window", "-3"], "window_s"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], db: str, argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "--db", db, *argv)
    assert status == 2 and out == ""
    assert err.startswith("observe: error:") and message in err and err.count("\n") == 1


def test_sequence_with_no_matching_sessions(capsys: pytest.CaptureFixture[str], db: str) -> None:
    status, out, _ = run(capsys, "--db", db, "sequence", "--given", "counselor:T_FWD", "--target", "client:G_EYE",
                         "--clients", "K77", "--json")  # fmt: skip
    data = json.loads(out)
    assert status == 0 and data["pooled"] == [] and data["problems"][0]["key"] == "dash.no_sessions"


def test_db_path_is_a_file(db: str) -> None:
    assert Path(db).exists()
