"""All-or-nothing imports (DOMAIN §9.7): one bad row refuses the whole file, and the error names
the file's own line (header = line 1) and column — or the observation and event (BORIS
project), or the tier and annotation (ELAN). Nothing is repaired."""

from __future__ import annotations

import json

import pytest

from observe.errors import InvalidInput
from observe.interop.boris_project import parse_boris_project
from observe.interop.boris_tabular import parse_boris_aggregated, parse_boris_tabular
from observe.interop.bundle import events_frame
from observe.interop.elan import parse_eaf, write_eaf
from observe.interop.tidy import parse_tidy_csv, parse_tidy_json

TIDY_HEADER = "session,cue,kind,start_s,end_s,duration_s\n"
GOOD = "S1,G_EYE,state,1.000,2.000,60\n"


def _refused(call) -> InvalidInput:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as info:
        call()
    err = info.value
    assert err.message("id") != err.key and "\n" not in err.message("en")
    return err


@pytest.mark.parametrize(
    ("bad", "column", "key"),
    [
        ("S1,G_EYE,state,5.000,4.000,60", "end_s", "interop.refuse.end_before_start"),
        ("S1,G_EYE,state,5.000,5.000,60", "end_s", "interop.refuse.zero_length"),
        ("S1,G_EYE,state,-1.000,4.000,60", "start_s", "interop.refuse.negative_time"),
        ("S1,G_EYE,state,abc,4.000,60", "start_s", "interop.refuse.bad_time"),
        ("S1,G_EYE,state,1.000,inf,60", "end_s", "interop.refuse.bad_time"),
        ("S1,G_EYE,state,1.000,nan,60", "end_s", "interop.refuse.bad_time"),
        ("S1,G_EYE,state,50.000,70.000,60", "end_s", "interop.refuse.beyond_session"),
        ("S1,G_EYE,point,3.000,,60", "kind", "interop.refuse.kind_conflict"),
        ("S1,P_NOD,point,3.000,4.000,60", "end_s", "interop.refuse.point_with_end"),
        ("S1,P_NOD,blink,3.000,,60", "kind", "interop.refuse.bad_kind"),
        ("S1,,point,3.000,,60", "cue", "interop.refuse.no_cue"),
        (GOOD.strip(), "session", "interop.refuse.duplicate"),
    ],
)
def test_tidy_csv_refuses_at_the_file_line(bad: str, column: str, key: str) -> None:
    # line 1 header, 2 good, 3 a good point, 4 the bad row, 5 good again
    text = TIDY_HEADER + GOOD + "S1,P_NOD,point,1.500,,60\n" + bad + "\n" + "S1,G_EYE,state,2.000,3.000,60\n"
    err = _refused(lambda: parse_tidy_csv(text.encode(), filename="e.csv"))
    assert err.key == key
    assert err.where == f"e.csv, line 4, column {column}"


def test_line_numbers_are_the_files_not_the_sorted_rows() -> None:
    # rows out of time order, a blank line, a quoted comment spanning no extra line: line 5 is bad
    text = (
        TIDY_HEADER
        + "S1,G_EYE,state,9.000,10.000,60\n\nS1,G_EYE,state,1.000,2.000,60\nS1,G_EYE,state,3,2,60\n"
    )
    err = _refused(lambda: parse_tidy_csv(text.encode(), filename="e.csv"))
    assert err.where == "e.csv, line 5, column end_s"


def test_tidy_json_names_the_record() -> None:
    records = [{"session": "S1", "cue": "G_EYE", "kind": "state", "start_s": 1.0, "end_s": 2.0}] * 1
    records += [{"session": "S1", "cue": "G_EYE", "kind": "state", "start_s": 3.0, "end_s": 2.0}]
    err = _refused(lambda: parse_tidy_json(json.dumps(records).encode(), filename="e.json"))
    assert err.where == "e.json, record 2, column end_s"


BORIS_HEADER = "Observation id\tSubject\tBehavior\tBehavioral category\tBehavior type\tTime\n"


@pytest.mark.parametrize(
    ("rows", "line", "column", "key"),
    [
        (["o1\tc\ts\tA\tSTART\t1", "o1\tc\ts\tA\tSTOP\t1"], 3, "Time", "interop.refuse.zero_length"),
        (["o1\tc\tp\tB\tPOINT\t1", "o1\tc\tp\tB\tPOINT\t1"], 3, "Time", "interop.refuse.duplicate"),
        (["o1\tc\tp\tB\tPOINT\t-1"], 2, "Time", "interop.refuse.negative_time"),
        (["o1\tc\tp\tB\tPOINT\tx"], 2, "Time", "interop.refuse.bad_time"),
        (["o1\tc\tp\tB\tBEGIN\t1"], 2, "Behavior type", "interop.refuse.bad_status"),
        (["o1\tc\t\tB\tPOINT\t1"], 2, "Behavior", "interop.refuse.no_cue"),
        (
            ["o1\tc\ts\tA\tSTART\t1", "o1\tc\ts\tB\tSTOP\t2"],
            3,
            "Behavioral category",
            "interop.refuse.channel_conflict",
        ),
        (
            ["o1\tc\ts\tA\tSTART\t1", "o1\tc\ts\tA\tSTOP\t2", "o1\tc\ts\tA\tPOINT\t3"],
            4,
            "Behavior type",
            "interop.refuse.kind_conflict",
        ),
    ],
)
def test_boris_tabular_refuses_at_the_file_line(rows: list[str], line: int, column: str, key: str) -> None:
    data = (BORIS_HEADER + "\n".join(rows) + "\n").encode()
    err = _refused(lambda: parse_boris_tabular(data, filename="b.tsv"))
    assert (err.key, err.where) == (key, f"b.tsv, line {line}, column {column}")


def test_boris_aggregated_refuses_at_the_file_line() -> None:
    data = (
        b"Observation id\tSubject\tBehavior\tBehavior type\tStart (s)\tStop (s)\n"
        b"o1\tc\ts\tSTATE\t1.000\t2.000\n"
        b"o1\tc\ts\tSTATE\t4.000\t3.000\n"
    )
    err = _refused(lambda: parse_boris_aggregated(data, filename="a.tsv"))
    assert (err.key, err.where) == ("interop.refuse.end_before_start", "a.tsv, line 3, column Stop (s)")


def _project(events: list[list[object]], length: float | None = None) -> bytes:
    obs: dict[str, object] = {"type": "LIVE", "events": events}
    if length is not None:
        obs.update(type="MEDIA", file={"1": ["v.mp4"]}, media_info={"length": {"v.mp4": length}})
    return json.dumps(
        {
            "project_format_version": "7.0",
            "behaviors_conf": {
                "0": {"code": "s", "type": "State event"},
                "1": {"code": "p", "type": "Point event"},
            },
            "observations": {"o1": obs},
        }
    ).encode()


@pytest.mark.parametrize(
    ("events", "length", "index", "key"),
    [
        ([[1.0, "", "s", "", ""], [1.0, "", "s", "", ""]], None, 2, "interop.refuse.zero_length"),
        ([[1.0, "", "p", "", ""], [1.0, "", "p", "", ""]], None, 2, "interop.refuse.duplicate"),
        ([[1.0, "", "p", "", ""], [-2.0, "", "p", "", ""]], None, 2, "interop.refuse.negative_time"),
        ([[1.0, "", "p", "", ""], ["x", "", "p", "", ""]], None, 2, "interop.refuse.bad_record"),
        ([[1.0, "", "p", "", ""], [90.0, "", "p", "", ""]], 60.0, 2, "interop.refuse.beyond_session"),
    ],
)
def test_boris_project_names_observation_and_event(
    events: list[list[object]], length: float | None, index: int, key: str
) -> None:
    err = _refused(lambda: parse_boris_project(_project(events, length), filename="p.boris"))
    assert (err.key, err.where) == (key, f"p.boris, observation o1, event {index}")


def test_elan_names_tier_and_annotation() -> None:
    events = events_frame(
        [
            {
                "session": "S1",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 1.0,
                "end_s": 2.0,
            },
        ]
    )
    data = write_eaf(events)
    # make the annotation end before it starts: swap its two slot values
    text = (
        data.decode()
        .replace('TIME_VALUE="1000"', 'TIME_VALUE="X"')
        .replace('TIME_VALUE="2000"', 'TIME_VALUE="1000"')
        .replace('TIME_VALUE="X"', 'TIME_VALUE="2000"')
    )
    err = _refused(lambda: parse_eaf(text.encode(), filename="s.eaf"))
    assert err.key == "interop.refuse.end_before_start"
    assert err.where is not None and err.where.startswith("s.eaf, tier client-GAZE, annotation ")
    empty = data.decode().replace(">G_EYE</ANNOTATION_VALUE>", "></ANNOTATION_VALUE>")
    assert _refused(lambda: parse_eaf(empty.encode(), filename="s.eaf")).key == "interop.refuse.eaf_empty"


def test_a_channel_that_contradicts_the_stored_scheme_is_refused_at_its_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from observe.interop.preview import apply_import, preview
    from observe.store import Store
    from tests.store.conftest import dump_tables

    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    store.scheme()
    before = dump_tables(store)
    text = (
        "session,client,observer,subject,channel,cue,kind,start_s,end_s\n"
        "K01-S01,K01,ana,client,GAZE,G_EYE,state,1.000,2.000\n"
        "K01-S01,K01,ana,client,FACE,G_DOWN,state,2.000,3.000\n"
    )
    bundle = parse_tidy_csv(text.encode(), filename="e.csv")
    err = _refused(lambda: apply_import(store, bundle))
    assert err.key == "interop.refuse.channel_conflict" and err.where == "e.csv, line 3, column channel"
    assert _refused(lambda: preview(bundle, store)).key == err.key
    assert dump_tables(store) == before
    store.close()


def test_a_cue_the_stored_scheme_lacks_is_refused_at_its_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from observe.interop.preview import apply_import
    from observe.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    text = (
        "session,client,observer,subject,channel,cue,kind,start_s,end_s\n"
        "K01-S01,K01,ana,client,POINT,P_NOD,point,5.000,\n"
        "K01-S01,K01,ana,client,POINT,P_WINK,point,1.000,\n"
    )
    bundle = parse_tidy_csv(text.encode(), filename="e.csv")
    err = _refused(lambda: apply_import(store, bundle))
    assert err.key == "interop.refuse.unknown_cue" and err.where == "e.csv, line 3, column cue"
    assert store.sessions() == []
    store.close()
