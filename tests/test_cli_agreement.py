"""``python -m observe agreement``: the JSON equals compare() on the same frames; errors are one line."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from observe.analysis.agreement import compare
from observe.cli import main
from observe.store import Store

REPO = Path(__file__).resolve().parents[1]
SESSION = "K01-S03"  # the demo's double-coded session


@pytest.fixture(scope="module")
def db(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("agreement") / "observe.db"
    shutil.copy(demo_workspace, path)  # the demo workspace, without videos (agreement reads events only)
    return str(path)


def frames(db: str, a: str, b: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    store = Store.open(db)
    try:
        events = store.events_frame(session=SESSION)
    finally:
        store.close()
    return events[events["observer"] == a], events[events["observer"] == b]


def run_json(capsys: pytest.CaptureFixture[str], db: str, *extra: str) -> dict:
    code = main(["--db", db, "agreement", "--session", SESSION, "--observers", *extra, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def same(x: object, y: object) -> bool:
    if isinstance(x, float) or isinstance(y, float):
        if x is None or y is None:
            return x is None and (y is None or math.isnan(y))  # type: ignore[arg-type]
        return math.isclose(float(x), float(y), rel_tol=1e-12, abs_tol=1e-12)  # type: ignore[arg-type]
    return x == y


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [((), {}), (("--unit", "0.5", "--tolerance", "2"), {"unit": 0.5, "tolerance": 2.0})],
)
def test_json_equals_compare_on_the_same_frames(
    capsys: pytest.CaptureFixture[str], db: str, options: tuple[str, ...], kwargs: dict
) -> None:
    got = run_json(capsys, db, "obs.ani", "obs.budi", *options)
    a, b = frames(db, "obs.ani", "obs.budi")
    expected = json.loads(json.dumps(compare(a, b, **kwargs).to_dict()))
    assert got["unit"] == kwargs.get("unit", 1.0) and got["tolerance"] == kwargs.get("tolerance", 0.0)
    assert got["n_units"] == expected["n_units"] == int(900 / kwargs.get("unit", 1.0))
    for table in ("time_unit", "events"):
        assert len(got[table]) == len(expected[table]) > 10
        for row_got, row_exp in zip(got[table], expected[table], strict=True):
            assert row_got.keys() == row_exp.keys()
            assert all(same(row_got[k], row_exp[k]) for k in row_got), (row_got, row_exp)
    assert got["unit_matrices"] == expected["unit_matrices"]
    assert got["event_matrices"] == expected["event_matrices"]
    kappas = [r["kappa"] for r in got["time_unit"] if r["cue"] == ""]
    assert len(kappas) == 10 and all(0.5 < k <= 1 for k in kappas)  # the ten ME&E channels


def test_observer_order_swaps_the_reference_side(capsys: pytest.CaptureFixture[str], db: str) -> None:
    ab = run_json(capsys, db, "obs.ani", "obs.budi")
    ba = run_json(capsys, db, "obs.budi", "obs.ani")
    by_key = {(r["subject"], r["channel"]): r for r in ba["events"]}
    for row in ab["events"]:
        swapped = by_key[(row["subject"], row["channel"])]
        assert row["precision"] == pytest.approx(swapped["recall"])
        assert row["f1"] == pytest.approx(swapped["f1"])


def test_text_output_has_the_same_kappas(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert main(["--db", db, "agreement", "--session", SESSION, "--observers", "obs.ani", "obs.budi"]) == 0
    text = capsys.readouterr().out
    a, b = frames(db, "obs.ani", "obs.budi")
    rows = compare(a, b).time_unit
    gaze = rows[(rows["subject"] == "client") & (rows["channel"] == "GAZE")].iloc[0]
    line = next(ln for ln in text.splitlines() if ln.split()[:2] == ["client", "GAZE"])
    assert f"{gaze['kappa']:.3f}" in line and f"{gaze['pabak']:.3f}" in line and gaze["verdict"] in line
    assert "event-based agreement" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--session", "K09-S01", "--observers", "obs.ani", "obs.budi"], "K09-S01"),
        (["--session", SESSION, "--observers", "obs.ani", "obs.zed"], "obs.zed"),
        (["--session", SESSION, "--observers", "obs.ani", "obs.ani"], "two observations"),
        (["--session", "K01-S01", "--observers", "obs.ani", "obs.budi"], "obs.budi"),  # budi never coded it
        (["--session", SESSION, "--observers", "obs.ani", "obs.budi", "--unit", "0"], "time unit"),
        (["--session", SESSION, "--observers", "obs.ani", "obs.budi", "--tolerance", "-1"], "tolerance"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], needle: str
) -> None:
    assert main(["--db", db, "agreement", *args]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out.err
    assert "Traceback" not in out.err


def test_unfinished_observation_is_noted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(tmp_path / "o.db")
    store = Store.open(path)
    store.add_client("K01")
    store.add_counselor("C01")
    import datetime as dt

    store.add_session("K01", "C01", date=dt.date(2026, 1, 5), duration_s=20)
    for observer, cut in (("ani", 10.0), ("budi", 12.0)):
        obs = store.open_observation("K01-S01", observer)
        store.add_event(obs.id, "client", "G_EYE", 0.0, cut)
        store.add_event(obs.id, "client", "G_AWAY", cut, 20.0)
        if observer == "ani":
            store.finish_observation(obs.id)
    store.close()
    assert (
        main(["--db", path, "agreement", "--session", "K01-S01", "--observers", "ani", "budi", "--json"]) == 0
    )
    out = capsys.readouterr()
    assert out.err.strip().splitlines() == [
        "Note: the observation of budi (K01-S01) is not finished yet, so these numbers may still change."
    ]
    gaze = next(r for r in json.loads(out.out)["time_unit"] if r["channel"] == "GAZE")
    assert gaze["p_o"] == pytest.approx(18 / 20)  # units 10 and 11 differ


def test_module_entry_point(db: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "observe", "--db", db, "agreement", "--session", SESSION,
         "--observers", "obs.ani", "obs.budi", "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["observer_b"] == "obs.budi"


def test_json_names_an_observation_reopened_after_unblinding(
    capsys: pytest.CaptureFixture[str], demo_workspace: Path, tmp_path: Path
) -> None:
    path = str(tmp_path / "reopened.db")
    shutil.copy(demo_workspace, path)
    store = Store.open(path)
    ani = next(o for o in store.observations(session=SESSION) if o.observer == "obs.ani")
    store.reopen_observation(ani.id)  # after unblinding: the administrator's (a supervisor's) action
    store.finish_observation(ani.id)
    store.close()
    got = run_json(capsys, path, "obs.ani", "obs.budi")
    assert got["reopened_after_unblinding"] == ["obs.ani"]
    assert run_json(capsys, path, "obs.budi", "obs.ani")["reopened_after_unblinding"] == ["obs.ani"]
