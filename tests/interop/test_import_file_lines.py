"""Refusals the store planner makes (overlapping states, a session it cannot create, a time past a
stored session, a clash with stored events) name the FILE's own line — or the ELAN annotation, or
the BORIS observation — never the position of a row after sorting (DOMAIN §9.7). Nothing is
written, in the API and in the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from observe.cli import main
from observe.errors import InvalidInput
from observe.interop.bundle import events_frame
from observe.interop.detect import parse_file
from observe.interop.elan import write_eaf
from observe.interop.preview import ImportMapping, apply_import, default_mapping, preview
from observe.store import Store

HEADER = "session,client,observer,subject,cue,kind,start_s,end_s,duration_s\n"


def _refused_everywhere(
    store: Store, data: bytes, filename: str, mapping: ImportMapping | None = None
) -> str:
    """The preview's problem and the import's error agree, and nothing is written."""
    before = store.counts()
    bundle = parse_file(data, filename=filename)
    shown = preview(bundle, store, mapping)
    assert shown.problem is not None
    with pytest.raises(InvalidInput) as info:
        apply_import(store, bundle, mapping)
    assert info.value.message("en") == shown.problem
    assert store.counts() == before
    return shown.problem


def test_overlap_in_a_tidy_file_names_the_files_line() -> None:
    store = Store.open("sqlite://")
    # line 2 and line 5 overlap (same subject, gaze); sorted by time they would be rows 3 and 4
    data = (
        HEADER
        + "K01-S01,K01,ana,client,G_EYE,state,10.000,20.000,600\n"
        + "K01-S01,K01,ana,client,P_NOD,point,1.000,,600\n"
        + "K01-S01,K01,ana,client,G_EYE,state,1.000,5.000,600\n"
        + "K01-S01,K01,ana,client,G_AWAY,state,15.000,25.000,600\n"
    ).encode()
    problem = _refused_everywhere(store, data, "events.csv")
    assert problem.startswith("events.csv, line 5"), problem
    assert "G_EYE" in problem and "line 2" in problem


def test_session_that_cannot_be_created_names_the_files_line() -> None:
    store = Store.open("sqlite://")
    # K02-S01 is new and has no client: line 3; grouped per session it would be row 4
    data = (
        HEADER
        + "K01-S01,K01,ana,client,P_NOD,point,5.000,,600\n"
        + "K02-S01,,ana,client,P_NOD,point,1.000,,600\n"
        + "K01-S01,K01,ana,client,P_NOD,point,1.000,,600\n"
    ).encode()
    problem = _refused_everywhere(store, data, "events.csv")
    assert "events.csv, line 3" in problem, problem
    assert "row 4" not in problem and "line 4" not in problem


def test_clash_with_stored_events_names_the_files_line() -> None:
    store = Store.open("sqlite://")
    apply_import(
        store,
        parse_file(
            (HEADER + "K01-S01,K01,ana,client,G_EYE,state,10.000,20.000,600\n").encode(), filename="a.csv"
        ),
    )
    data = (
        HEADER
        + "K01-S01,K01,ana,client,P_NOD,point,1.000,,600\n"
        + "K01-S01,K01,ana,client,F_SMILE,state,2.000,3.000,600\n"
        + "K01-S01,K01,ana,client,G_AWAY,state,5.000,12.000,600\n"
    ).encode()
    problem = _refused_everywhere(store, data, "b.csv")
    assert problem.startswith("b.csv, line 4"), problem


def test_elan_clash_names_the_annotation() -> None:
    store = Store.open("sqlite://")
    apply_import(
        store,
        parse_file(
            (HEADER + "K01-S01,K01,ana,client,G_EYE,state,10.000,20.000,600\n").encode(), filename="a.csv"
        ),
    )
    eaf = write_eaf(
        events_frame(
            [
                {
                    "session": "x",
                    "subject": "client",
                    "channel": "GAZE",
                    "cue": "G_EYE",
                    "kind": "state",
                    "start_s": 1.0,
                    "end_s": 2.0,
                },
                {
                    "session": "x",
                    "subject": "client",
                    "channel": "GAZE",
                    "cue": "G_AWAY",
                    "kind": "state",
                    "start_s": 15.0,
                    "end_s": 30.0,
                },
            ]
        )
    )
    bundle = parse_file(eaf, filename="s01.eaf")
    mapping = ImportMapping(
        subjects=dict(default_mapping(bundle).subjects),
        client="K01",
        observer="ana",
        sessions={bundle.observations[0].name: "K01-S01"},
    )
    problem = _refused_everywhere(store, eaf, "s01.eaf", mapping)
    assert problem.startswith("s01.eaf, tier "), problem
    assert "annotation a" in problem


def test_boris_refusal_names_the_observation(tmp_path: Path) -> None:
    from tests.conftest import shared_fixtures

    data = (shared_fixtures() / "boris" / "test.boris").read_bytes()
    store = Store.open("sqlite://")
    # a stored session of 1 s: every BORIS event lies past its end
    apply_import(
        store,
        parse_file((HEADER + "K01-S01,K01,ana,client,P_NOD,point,0.500,,1\n").encode(), filename="a.csv"),
    )
    bundle = parse_file(data, filename="test.boris")
    first = bundle.observations[0].name
    mapping = ImportMapping(
        subjects=dict(default_mapping(bundle).subjects),
        client="K01",
        observer="ana",
        sessions={first: "K01-S01"},
    )
    problem = _refused_everywhere(store, data, "test.boris", mapping)
    assert f"(test.boris, observation {first}: The time" in problem, problem


def test_cli_refuses_with_the_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'w.db'}"
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + "K01-S01,K01,ana,client,G_EYE,state,10.000,20.000,600\n"
        + "K01-S01,K01,ana,client,G_AWAY,state,1.000,2.000,600\n"
        + "K01-S01,K01,ana,client,G_AWAY,state,15.000,25.000,600\n"
    )
    for extra in (["--dry-run"], []):
        status = main(["--db", db, "import", str(path), *extra])
        err = capsys.readouterr().err
        assert status != 0
        assert "events.csv, line 4" in err, err
    assert main(["--db", db, "sessions", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() in ("[]", "")
