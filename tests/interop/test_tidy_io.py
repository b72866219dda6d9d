"""Our tidy events format: lossless round trips (CSV, JSON, XLSX, Parquet) and tolerant reading."""

from __future__ import annotations

import json

import pytest
from _strategies import canonical, event_rows
from hypothesis import HealthCheck, given, settings

from observe.errors import InvalidInput
from observe.interop.bundle import events_frame
from observe.interop.tidy import (
    parse_tidy_csv,
    parse_tidy_json,
    parse_tidy_parquet,
    write_tidy_csv,
    write_tidy_json,
    write_tidy_parquet,
    write_tidy_xlsx,
)
from observe.model import EXPORT_COLUMNS


def _events():
    return events_frame(
        [
            {
                "session": "K01-S01",
                "client": "K01",
                "observer": "ana",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 0.0,
                "end_s": 12.345,
                "modifiers": "intensity=2;context=K",
                "comment": 'looks up, "finally"; relieved',
            },
            {
                "session": "K01-S01",
                "client": "K01",
                "observer": "ana",
                "subject": "counselor",
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": 3.001,
                "end_s": float("nan"),
                "modifiers": "",
                "comment": "",
            },
            {
                "session": "K01-S01",
                "client": "K01",
                "observer": "ana",
                "subject": "client",
                "channel": "FACE",
                "cue": "F_SMILE",
                "kind": "state",
                "start_s": 5.5,
                "end_s": float("nan"),
                "modifiers": "",
                "comment": "still open",
            },
        ]
    )


def test_csv_layout_is_the_export_contract() -> None:
    lines = write_tidy_csv(_events()).decode().splitlines()
    assert lines[0].split(",") == list(EXPORT_COLUMNS)
    assert lines[2] == "K01-S01,K01,ana,counselor,POINT,P_NOD,point,3.001,,,"


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        (write_tidy_csv, parse_tidy_csv),
        (write_tidy_json, parse_tidy_json),
        (write_tidy_parquet, parse_tidy_parquet),
        (write_tidy_xlsx, parse_tidy_csv),
    ],
)
def test_round_trip_each_format(writer, reader) -> None:
    back = reader(writer(_events()), filename="events")
    assert canonical(back.all_events(), EXPORT_COLUMNS) == canonical(_events(), EXPORT_COLUMNS)
    assert back.warnings == ()
    assert [o.name for o in back.observations] == ["K01-S01"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows())
def test_csv_and_json_round_trip_property(events) -> None:
    for writer, reader in ((write_tidy_csv, parse_tidy_csv), (write_tidy_json, parse_tidy_json)):
        back = reader(writer(events), filename="events")
        assert canonical(back.all_events(), EXPORT_COLUMNS) == canonical(events, EXPORT_COLUMNS)


def test_tolerant_csv_reading_reports_rows() -> None:
    text = (
        "\ufeffsession;cue;kind;start_s;end_s\n"
        "S1;G_EYE;state;1,5;3.0\n"  # row 2: decimal comma
        "S1;P_NOD;;7.0;\n"  # row 3: no kind → point (no end)
    )
    bundle = parse_tidy_csv(text.encode(), filename="e.csv")
    rows = {w.message_key: w.params.get("rows") for w in bundle.warnings}
    assert rows["interop.warn.time_text"] == "2"
    assert rows["interop.warn.kind_guessed"] == "3"
    assert bundle.all_events()[["cue", "kind", "start_s"]].values.tolist() == [
        ["G_EYE", "state", 1.5],
        ["P_NOD", "point", 7.0],
    ]


@pytest.mark.parametrize(
    ("reader", "data", "key"),
    [
        (parse_tidy_json, b'{"a": 1}', "interop.tidy.not_records"),
        (parse_tidy_json, b'[{"cue": "x"}]', "interop.missing_columns"),
        (parse_tidy_json, b'[{"cue": ', "interop.bad_json"),
        (parse_tidy_csv, b"a,b\n1,2\n", "interop.header_not_found"),
        (parse_tidy_parquet, b"PAR1garbage", "interop.bad_parquet"),
        (parse_tidy_parquet, b"", "interop.empty_file"),
    ],
)
def test_refused(reader, data: bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        reader(data, filename="e")
    assert err.value.key == key


def test_a_parquet_file_with_a_damaged_byte_is_read_or_refused_clearly() -> None:
    """Each of the first bytes set to 1 (the header and first column's pages): a table or
    ``bad_parquet``, never a pyarrow error (byte 67 made a data page point past its dictionary:
    ArrowIndexError, found by the fuzz run on CI)."""
    good = write_tidy_parquet(_events())
    for at in range(4, 128):
        damaged = good[:at] + b"\x01" + good[at + 1 :]
        try:
            parse_tidy_parquet(damaged, filename="e.parquet")
        except InvalidInput as err:
            assert err.key == "interop.bad_parquet", (at, err.key)


def test_json_accepts_an_events_wrapper() -> None:
    payload = {"events": json.loads(write_tidy_json(_events()))}
    assert parse_tidy_json(json.dumps(payload).encode(), filename="e.json").n_events == 3
