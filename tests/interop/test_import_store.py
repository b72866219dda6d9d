# ruff: noqa: F811
"""Real BORIS files through preview + import into the store (SQLite and PostgreSQL), the BORIS
tabular export compared with BORIS 9.12.3's own, and all-or-nothing imports."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from observe.errors import InvalidInput, ObserveError
from observe.interop import preview as preview_module
from observe.interop.detect import parse_file
from observe.interop.exports import Selection, export_file
from observe.interop.preview import ImportMapping, apply_import, check_upload, default_mapping, preview
from observe.interop.tidy import parse_tidy_csv, write_tidy_csv
from observe.store import Store
from tests.conftest import shared_fixtures
from tests.store.conftest import db_url, dump, store  # noqa: F401  (fixtures: both backends)

SEED = b"""session,client,observer,subject,channel,cue,kind,start_s,end_s,modifiers,comment,counselor,session_date,duration_s
K01-S01,K01,obs.a,client,GAZE,G_EYE,state,0,12.5,,,C01,2026-09-01,60
K01-S01,K01,obs.a,client,GAZE,G_DOWN,state,12.5,30,,looked at the floor,C01,2026-09-01,60
K01-S01,K01,obs.a,counselor,FACE,F_SMILE,state,2.25,9.125,,,C01,2026-09-01,60
K01-S01,K01,obs.a,client,POINT,P_NOD,point,14.001,,intensity=2,,C01,2026-09-01,60
"""


def seed(store: Store) -> None:
    """A small coded session (K01-S01) written through the tidy import."""
    apply_import(store, parse_tidy_csv(SEED))


PROJECTS = ("test.boris", "test2.boris", "test_without_media_files_paths.boris")


def expected_counts(name: str) -> dict[str, int]:
    """Events per observation from the fixture notes (summaries/*.summary.json, made from BORIS's
    files independently of our parser): points + paired state bouts + unpaired STARTs."""
    summary = json.loads(
        (shared_fixtures() / "boris" / "summaries" / f"{name.split('.')[0]}.summary.json").read_text()
    )
    return {
        o["id"]: o["n_point_events"]
        + sum(b["n_bouts"] for b in o["state_bouts"].values())
        + len(o["unpaired_state_events"])
        for o in summary["observations"]
    }


def load(name: str) -> tuple[str, bytes]:
    return name, (shared_fixtures() / "boris" / name).read_bytes()


@pytest.mark.parametrize("name", PROJECTS)
def test_boris_projects_import_with_the_expected_counts(store: Store, name: str) -> None:
    expected = expected_counts(name)
    bundle = parse_file(load(name)[1], filename=name)
    mapping = default_mapping(bundle, store)
    counts = apply_import(store, bundle, mapping)
    assert counts == {
        "events": sum(expected.values()),
        "observations": len(expected),
        "new_sessions": len(expected),
    }
    stored = {s.attributes["source_observation"]: s.code for s in store.sessions()}
    assert set(stored) == set(expected)
    for observation in store.observations():
        source = next(k for k, v in stored.items() if v == observation.session)
        assert observation.n_events == expected[source], source


def test_test_boris_details(store: Store) -> None:
    """Independent variables become session attributes; subjects map as chosen; states pair."""
    bundle = parse_file(load("test.boris")[1], filename="test.boris")
    mapping = ImportMapping(subjects={"subject1": "client", "subject2": "counselor", "": ""}, client="B01")
    shown = preview(bundle, store, mapping)
    assert shown.ok and set(shown.new_codes) == {"p", "s", "q", "r", "m"}
    assert any(w.message_key == "interop.warn.subject_left_out" for w in shown.warnings)
    apply_import(store, bundle, mapping)
    session = next(s for s in store.sessions() if s.attributes["source_observation"] == "observation #1")
    assert (session.attributes["a"], session.attributes["b"], session.attributes["c"]) == (
        "12",
        "text value for b",
        "111",
    )
    assert session.date.isoformat() == "2016-11-27" and session.duration_s == pytest.approx(359.96)
    events = store.events_frame(session=session.code)
    # EXPECTED.md §5: subject1 s 3.300-7.750, 9.900-16.200, 18.350-24.475; subject2 s 38.425-46.100
    got = sorted(zip(events["subject"], events["start_s"], events["end_s"], strict=True))
    assert got == [
        ("client", 3.3, 7.75),
        ("client", 9.9, 16.2),
        ("client", 18.35, 24.475),
        ("counselor", 38.425, 46.1),
    ]


def test_boris_tabular_export_has_boris_9_12_3_layout(store: Store) -> None:
    """test.boris → store → BORIS tabular: the header and the (subject, behaviour, type, time)
    rows of observation #1 equal BORIS 9.12.3's own export of it."""
    bundle = parse_file(load("test.boris")[1], filename="test.boris")
    mapping = ImportMapping(
        subjects={"subject1": "subject1", "subject2": "subject2", "": "other"}, client="B01"
    )
    apply_import(store, bundle, mapping)
    code = next(s.code for s in store.sessions() if s.attributes["source_observation"] == "observation #1")
    ours = list(
        csv.reader(
            io.StringIO(export_file(store, "boris", "tsv", selection=Selection(session=code)).data.decode()),
            delimiter="\t",
        )
    )
    theirs_path = shared_fixtures() / "boris" / "boris-9.12.3-exports" / "observation1_tabular_events.tsv"
    theirs = list(csv.reader(io.StringIO(theirs_path.read_text(encoding="utf-8-sig")), delimiter="\t"))
    assert ours[0] == theirs[0]
    pick = [ours[0].index(c) for c in ("Subject", "Behavior", "Behavior type", "Time")]
    assert [[r[i] for i in pick] for r in ours[1:]] == [[r[i] for i in pick] for r in theirs[1:]]
    # the IV values are kept
    iv = [ours[0].index(c) for c in ("a", "b", "c")]
    assert {tuple(r[i] for i in iv) for r in ours[1:]} == {tuple(r[i] for i in iv) for r in theirs[1:]}


def test_tidy_round_trip_is_lossless(store: Store) -> None:
    seed(store)
    exported = export_file(store, "events", "csv", selection=Selection(session="K01-S01"))
    original = parse_tidy_csv(exported.data).all_events()
    # import the same events under new session codes (a copy) and compare
    copy = exported.data.replace(b"K01-S01", b"K09-S01").replace(b",K01,", b",K09,")
    counts = apply_import(store, parse_tidy_csv(copy))
    assert counts["events"] == len(original)
    again = parse_tidy_csv(write_tidy_csv(store.events_frame(session="K09-S01"))).all_events()
    columns = ["subject", "channel", "cue", "kind", "start_s", "end_s", "modifiers", "comment"]
    key = ["subject", "channel", "start_s", "cue"]
    pd.testing.assert_frame_equal(
        original[columns].sort_values(key).reset_index(drop=True),
        again[columns].sort_values(key).reset_index(drop=True),
    )


def test_overlapping_categories_are_split_into_channels(store: Store) -> None:
    """Two non-exclusive BORIS states in one category overlap: they get a channel each."""
    rows = "\n".join(
        [
            "Observation id\tSubject\tBehavior\tBehavioral category\tBehavior type\tTime",
            "o1\tkid\tsmile\tface\tSTART\t1.0",
            "o1\tkid\tlook\tface\tSTART\t2.0",
            "o1\tkid\tsmile\tface\tSTOP\t3.0",
            "o1\tkid\tlook\tface\tSTOP\t4.0",
        ]
    ).encode()
    bundle = parse_file(rows, filename="e.tsv")
    shown = preview(bundle, store, default_mapping(bundle, store))
    assert shown.ok, shown.problem
    assert len({c.channel for c in shown.scheme.cues}) == 2
    assert apply_import(store, bundle)["events"] == 2


# -- all or nothing -------------------------------------------------------------------------------------------------


def test_refused_imports_leave_the_database_unchanged(store: Store, dump) -> None:  # noqa: F811
    seed(store)
    # a session code that exists: the imported states overlap the stored ones (the export
    # itself is recorded in the audit trail, so it happens before the "before" dump)
    exported = export_file(store, "events", "csv", selection=Selection(session="K01-S01")).data
    before = dump(store)
    bundle = parse_file(load("test.boris")[1], filename="test.boris")
    with pytest.raises(InvalidInput):
        apply_import(store, bundle, ImportMapping(client="bad code!"))
    with pytest.raises(InvalidInput):
        apply_import(store, parse_tidy_csv(exported))
    spoiled = exported.replace(b"G_EYE", b"NOT_A_CUE").replace(b"K01-S01", b"K09-S01")
    with pytest.raises(InvalidInput):
        apply_import(store, parse_tidy_csv(spoiled))
    assert dump(store) == before


def test_a_failure_mid_write_rolls_everything_back(
    store: Store,
    dump,
    monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """The scheme, sessions and first observations written before the failure disappear too."""
    from observe.store import importing

    store.scheme()
    before = dump(store)
    real = importing._insert_events
    calls = []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise InvalidInput("import.empty")
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "_insert_events", failing)
    bundle = parse_file(load("test.boris")[1], filename="test.boris")
    with pytest.raises(ObserveError):
        apply_import(store, bundle)
    assert len(calls) == 3
    assert dump(store) == before


def test_preview_writes_nothing(store: Store, dump) -> None:  # noqa: F811
    store.scheme()
    before = dump(store)
    bundle = parse_file(load("test.boris")[1], filename="test.boris")
    assert preview(bundle, store).counts["events"] == sum(expected_counts("test.boris").values())
    assert dump(store) == before


def test_upload_checks() -> None:
    check_upload("x.boris", 10)
    with pytest.raises(InvalidInput):
        check_upload("x.exe", 10)
    with pytest.raises(InvalidInput):
        check_upload("x.tsv", preview_module.MAX_UPLOAD_BYTES + 1)


# -- provenance and repeated imports (DOMAIN §9.7) --------------------------------------------------------------------


def _sources(store: Store) -> dict[str, str]:
    from observe.store.provenance import session_sources

    return session_sources(store)


def test_boris_sessions_keep_observation_id_and_description(store: Store) -> None:
    apply_import(store, parse_file(load("test.boris")[1], filename="test.boris"))
    by_observation = {s.attributes["source_observation"]: s.code for s in store.sessions()}
    sources = _sources(store)
    assert sources[by_observation["observation #1"]] == "BORIS test.boris, observation observation #1"
    assert (
        sources[by_observation["observation #2"]]
        == "BORIS test.boris, observation observation #2: Description of observation #2"
    )
    assert set(sources) == set(by_observation.values())


def test_the_same_file_is_refused_unless_a_new_copy(store: Store, dump) -> None:  # noqa: F811
    data = load("test.boris")[1]
    first = apply_import(store, parse_file(data, filename="test.boris"))
    store.scheme()  # the default scheme is stored on first use (as in test_preview_writes_nothing)
    before = dump(store)
    bundle = parse_file(data, filename="renamed.boris")
    with pytest.raises(InvalidInput) as refused:
        apply_import(store, bundle)
    message = refused.value.message("en")
    assert refused.value.key == "import.already_imported_file"
    assert message.startswith("renamed.boris was already imported as BORIS-S01, BORIS-S02, BORIS-S03")
    assert f"… ({first['new_sessions']})" in message  # the first few named, then how many
    assert " on 20" in message and "(by local-admin)" in message and "new copy" in message
    # the preview (a dry run) says exactly what the import says
    assert preview(bundle, store).problem == message
    assert dump(store) == before
    again = apply_import(store, bundle, new_copy=True)
    assert again == first
    assert len(store.sessions()) == 2 * first["new_sessions"]


def test_a_boris_observation_id_imported_before_is_refused(store: Store) -> None:
    data = load("test.boris")[1]
    apply_import(store, parse_file(data, filename="test.boris"))
    edited = json.loads(data)
    edited["project_description"] = "edited after the first import"  # another file, same observations
    bundle = parse_file(json.dumps(edited).encode(), filename="test.boris")
    shown = preview(bundle, store)
    assert not shown.ok and shown.problem is not None
    assert shown.problem.startswith("BORIS observation 2 video was already imported as BORIS-S01")
    with pytest.raises(InvalidInput) as refused:
        apply_import(store, bundle)
    assert refused.value.key == "import.already_imported_observation"
    assert preview(bundle, store, new_copy=True).ok


def test_elan_and_tidy_sessions_keep_the_file_name(store: Store) -> None:
    eaf = shared_fixtures() / "elan" / "speach_test.eaf"
    bundle = parse_file(eaf.read_bytes(), filename="speach_test.eaf")
    apply_import(store, bundle)
    assert list(_sources(store).values()) == ["ELAN speach_test.eaf"]
    tidy = parse_file(SEED, filename="events.csv")
    apply_import(store, tidy)
    assert _sources(store)["K01-S01"] == "observe events.csv"  # our own file keeps its session codes
    with pytest.raises(InvalidInput) as refused:
        apply_import(store, parse_file(SEED, filename="events.csv"))
    assert refused.value.key == "import.already_imported_file"
    assert "as K01-S01 on" in refused.value.message("en")


def test_an_import_whose_sessions_are_gone_no_longer_counts(store: Store) -> None:
    apply_import(store, parse_file(SEED, filename="events.csv"))
    store.erase_client("K01", confirm="K01")
    assert apply_import(store, parse_file(SEED, filename="events.csv"))["new_sessions"] == 1
