"""Issue 14: a tidy export keeps each row's coding scheme, so sessions imported from BORIS or
ELAN survive export → import into a fresh workspace → export (the researcher's day's end)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from observe.cli import main
from observe.interop.detect import parse_file
from observe.interop.exports import tidy_events
from observe.interop.preview import apply_import, preview
from observe.model import EXPORT_COLUMNS
from observe.store import Store
from tests.conftest import shared_fixtures
from tests.interop._strategies import canonical

SOURCES = [
    pytest.param(shared_fixtures() / "boris" / "test.boris", id="boris"),
    pytest.param(shared_fixtures() / "elan" / "speach_test.eaf", id="elan"),
]
COMPARED = [*EXPORT_COLUMNS, "scheme", "scheme_version"]


def _export(db: Path, out: Path, fmt: str = "csv") -> pd.DataFrame:
    assert (
        main(["--db", str(db), "export", "events", "--format", fmt, "--observer", "all", "-o", str(out)]) == 0
    )
    if fmt == "json":
        return pd.read_json(out, dtype=False)
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[COMPARED].astype(str).replace({"nan": "", "None": ""})
    return frame.sort_values(COMPARED, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_into_a_fresh_workspace_export_gives_the_same_events(
    source: Path, fmt: str, tmp_path: Path
) -> None:
    first, fresh = tmp_path / "a.db", tmp_path / "b.db"
    assert main(["--db", str(first), "import", str(source), "--client", "B01"]) == 0
    exported = _export(first, tmp_path / f"a.{fmt}", fmt)
    assert exported["scheme"].str.startswith(("boris-", "elan-")).all()
    assert main(["--db", str(fresh), "import", str(tmp_path / f"a.{fmt}")]) == 0
    again = _export(fresh, tmp_path / f"b.{fmt}", fmt)
    pd.testing.assert_frame_equal(_canonical(exported), _canonical(again))
    # the rebuilt scheme has the file's name and version, and the cues the file used
    name, version = str(exported["scheme"].iloc[0]), int(exported["scheme_version"].iloc[0])
    rebuilt = Store.open(str(fresh)).scheme(name, version)
    assert set(exported["cue"]) <= {c.code for c in rebuilt.cues}


def test_the_scheme_columns_follow_the_contract_columns(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", str(SOURCES[0].values[0]), "--client", "B01"]) == 0
    exported = _export(db, tmp_path / "a.csv")
    assert list(exported.columns[: len(EXPORT_COLUMNS)]) == list(EXPORT_COLUMNS)
    assert list(exported.columns[-2:]) == ["scheme", "scheme_version"]


def test_a_named_scheme_the_workspace_has_is_used(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", str(SOURCES[0].values[0]), "--client", "B01"]) == 0
    exported = _export(db, tmp_path / "a.csv")
    renamed = exported.assign(session=exported["session"].str.replace("B01", "B02"), client="B02")
    renamed.to_csv(tmp_path / "b.csv", index=False)
    before = Store.open(str(db)).schemes()
    assert main(["--db", str(db), "import", str(tmp_path / "b.csv")]) == 0
    store = Store.open(str(db))
    assert store.schemes() == before  # no new scheme version
    imported = [o for o in store.observations() if o.session.startswith("B02")]
    assert imported and {(o.scheme_name, o.scheme_version) for o in imported} == {
        (str(exported["scheme"].iloc[0]), 1)
    }


def test_an_unknown_cue_for_a_stored_scheme_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", str(SOURCES[0].values[0]), "--client", "B01"]) == 0
    exported = _export(db, tmp_path / "a.csv")
    changed = exported.assign(session=exported["session"].str.replace("B01", "B02"), client="B02")
    changed.loc[4, "cue"] = "NOT_IN_IT"
    changed.to_csv(tmp_path / "b.csv", index=False)
    sessions = len(Store.open(str(db)).sessions())
    capsys.readouterr()
    assert main(["--db", str(db), "import", str(tmp_path / "b.csv")]) == 2
    err = capsys.readouterr().err
    assert "b.csv, line 6" in err and "NOT_IN_IT" in err and str(exported["scheme"].iloc[0]) in err
    assert len(Store.open(str(db)).sessions()) == sessions  # nothing was imported


def test_a_tidy_file_without_scheme_columns_uses_the_default_scheme(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    csv = tmp_path / "e.csv"
    csv.write_text("session,client,observer,subject,cue,kind,start_s\nK01-S01,K01,ana,client,P_NOD,point,2\n")
    assert main(["--db", str(db), "import", str(csv)]) == 0
    (obs,) = Store.open(str(db)).observations()
    assert obs.scheme_name == "default"


def test_one_observation_with_two_schemes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", str(SOURCES[0].values[0]), "--client", "B01"]) == 0
    exported = _export(db, tmp_path / "a.csv")
    first = exported[exported["session"] == exported["session"].iloc[0]]
    changed = first.assign(session="B03-S01", client="B03")
    changed.loc[changed.index[1], "scheme"] = "default"
    changed.to_csv(tmp_path / "b.csv", index=False)
    capsys.readouterr()
    assert main(["--db", str(tmp_path / "b.db"), "import", str(tmp_path / "b.csv")]) == 2
    assert "b.csv, line 3" in capsys.readouterr().err


_LANES = {"HEAD": ("h_up", "h_down", "h_turn"), "VOICE": ("v_loud", "v_soft")}
_POINTS = ("p_tap", "p_laugh")


@st.composite
def _lab_events(draw: st.DrawFn) -> pd.DataFrame:
    """Events of a lab's own scheme: states laid end to end (or with gaps) per subject and
    channel, points anywhere; some with a modifier or a comment."""
    rows = []
    for session in draw(
        st.lists(st.sampled_from(["L01-S01", "L01-S02"]), min_size=1, max_size=2, unique=True)
    ):
        for subject in draw(st.lists(st.sampled_from(["client", "counselor"]), min_size=1, unique=True)):
            for channel, cues in _LANES.items():
                t = draw(st.integers(0, 5_000))
                for _ in range(draw(st.integers(0, 4))):
                    length = draw(st.integers(1, 9_000))
                    rows.append(
                        (session, subject, channel, draw(st.sampled_from(cues)), "state", t, t + length)
                    )
                    t += length + draw(st.integers(0, 3_000))
            for _ in range(draw(st.integers(0, 3))):
                rows.append(
                    (
                        session,
                        subject,
                        "MARK",
                        draw(st.sampled_from(_POINTS)),
                        "point",
                        draw(st.integers(0, 60_000)),
                        None,
                    )
                )
    frame = pd.DataFrame(rows, columns=["session", "subject", "channel", "cue", "kind", "start", "end"])
    frame = frame.drop_duplicates(["session", "subject", "cue", "start"])
    return pd.DataFrame(
        {
            "session": frame["session"],
            "client": "L01",
            "observer": "lab",
            "subject": frame["subject"],
            "channel": frame["channel"],
            "cue": frame["cue"],
            "kind": frame["kind"],
            "start_s": frame["start"] / 1000,
            "end_s": frame["end"] / 1000,
            "modifiers": [draw(st.sampled_from(["", "side=left", "side=right"])) for _ in range(len(frame))],
            "comment": [draw(st.sampled_from(["", "unsure", "é ü"])) for _ in range(len(frame))],
            "scheme": "lab-gestures",
            "scheme_version": 3,
        }
    )


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=_lab_events())
def test_any_tidy_file_of_a_scheme_the_workspace_lacks_round_trips(events: pd.DataFrame) -> None:
    assume(len(events))
    data = events.to_csv(index=False).encode("utf-8")
    store = Store.open("sqlite://")
    apply_import(store, parse_file(data, filename="lab.csv"))
    again = tidy_events(store)
    assert set(again["scheme"]) == {"lab-gestures"} and set(again["scheme_version"]) == {3}
    columns = ("session", "subject", "channel", "cue", "kind", "start_s", "end_s", "modifiers", "comment")
    assert canonical(again, columns) == canonical(events.assign(end_s=events["end_s"].astype(float)), columns)


def test_a_file_of_several_schemes_round_trips_in_one_import(tmp_path: Path) -> None:
    first, fresh = tmp_path / "a.db", tmp_path / "b.db"
    own = tmp_path / "own.csv"
    own.write_text("session,client,observer,subject,cue,kind,start_s\nK01-S01,K01,ana,client,P_NOD,point,2\n")
    assert main(["--db", str(first), "import", str(own)]) == 0
    for source in SOURCES:
        assert main(["--db", str(first), "import", str(source.values[0]), "--client", "B01"]) == 0
    exported = _export(first, tmp_path / "a.csv")
    assert {s.split("-")[0] for s in exported["scheme"]} == {"default", "boris", "elan"}
    bundle = parse_file((tmp_path / "a.csv").read_bytes(), filename="a.csv")
    shown = preview(bundle, Store.open(str(fresh)))
    assert shown.ok and shown.scheme_is_new
    assert main(["--db", str(fresh), "import", str(tmp_path / "a.csv")]) == 0
    pd.testing.assert_frame_equal(_canonical(exported), _canonical(_export(fresh, tmp_path / "b.csv")))
