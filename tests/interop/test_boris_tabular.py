"""BORIS tabular/aggregated events: fixtures (old and current layouts), bad input, writer, round trip."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from _strategies import canonical, event_rows
from hypothesis import HealthCheck, given, settings

from observe.errors import InvalidInput
from observe.interop.boris_tabular import parse_boris_aggregated, parse_boris_tabular, write_boris_tabular
from tests.conftest import shared_fixtures

TABULAR = [
    "test_export_events_tabular.tsv",
    "test_export_events_tabular.csv",
    "test_export_events_tabular.xlsx",
    "boris-9.12.3-exports/observation1_tabular_events.tsv",
    "boris-9.12.3-exports/observation1_tabular_events.csv",
    "boris-9.12.3-exports/observation1_tabular_events.xlsx",
]
#: EXPECTED.md §5: the 8 records of observation #1 as 4 bouts.
OBSERVATION_1 = [
    ("subject1", "s", 3.3, 7.75),
    ("subject1", "s", 9.9, 16.2),
    ("subject1", "s", 18.35, 24.475),
    ("subject2", "s", 38.425, 46.1),
]
HEADER = "Observation id\tSubject\tBehavior\tBehavioral category\tBehavior type\tTime\tComment\n"


def _bytes(name: str) -> bytes:
    return (shared_fixtures() / "boris" / name).read_bytes()


def _bouts(bundle) -> list[tuple]:
    ev = bundle.observations[0].events
    return [tuple(r) for r in ev[["subject", "cue", "start_s", "end_s"]].itertuples(index=False)]


def _keys(bundle) -> list[str]:
    return [w.message_key for w in bundle.warnings]


@pytest.mark.parametrize("name", TABULAR)
def test_tabular_fixtures(name: str) -> None:
    bundle = parse_boris_tabular(_bytes(name), filename=name)
    assert [o.name for o in bundle.observations] == ["observation #1"]
    obs = bundle.observations[0]
    assert obs.source_records == 8
    assert _bouts(bundle) == OBSERVATION_1
    assert dict(obs.attributes) == {"a": "12", "b": "text value for b", "c": "111"}
    assert obs.date == "2016-11-27 01:57:26"
    assert obs.media == ("video_test_25fps_360s.mp4",)
    assert obs.duration_s == pytest.approx(359.96)
    assert bundle.warnings == ()


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("test_export_aggregated_events_test_full_1.tsv", 18),
        ("boris-9.12.3-exports/observation2_aggregated_events.tsv", 18),
    ],
)
def test_aggregated_fixtures(name: str, rows: int) -> None:
    bundle = parse_boris_aggregated(_bytes(name), filename=name)
    ev = bundle.observations[0].events
    assert len(ev) == rows
    nfs = ev[(ev["subject"] == "") & (ev["cue"] == "s")]
    # EXPECTED.md §4: the bouts of "No focal subject" s in observation #2
    assert list(zip(nfs["start_s"], nfs["end_s"], strict=True)) == [
        (1.8, 8.125),
        (10.25, 23.35),
        (26.775, 31.475),
        (227.765, 253.49),
        (255.34, 261.14),
        (303.79, 307.765),
    ]
    assert sorted(ev.loc[ev["kind"] == "point", "start_s"]) == [
        32.825,
        34.15,
        34.925,
        299.715,
        301.34,
        303.24,
        314.49,
        316.065,
    ]


def test_writer_matches_boris_current_layout() -> None:
    """The header and record columns of BORIS 9.12.3's own export of observation #1."""
    fixture = list(
        csv.reader(
            io.StringIO(_bytes("boris-9.12.3-exports/observation1_tabular_events.tsv").decode()),
            delimiter="\t",
        )
    )
    events = parse_boris_tabular(
        _bytes("boris-9.12.3-exports/observation1_tabular_events.tsv"), filename="x.tsv"
    )
    ours = list(
        csv.reader(
            io.StringIO(
                write_boris_tabular(
                    events.all_events(),
                    attributes={"observation #1": {"a": "12", "b": "text value for b", "c": "111"}},
                ).decode()
            ),
            delimiter="\t",
        )
    )
    assert ours[0] == fixture[0]
    pick = [
        fixture[0].index(c)
        for c in ("Observation id", "a", "b", "c", "Subject", "Behavior", "Behavior type", "Time")
    ]
    assert [[r[i] for i in pick] for r in ours[1:]] == [[r[i] for i in pick] for r in fixture[1:]]
    assert _bytes("boris-9.12.3-exports/observation1_tabular_events.tsv").count(
        b"\r\n"
    ) == write_boris_tabular(events.all_events()).count(b"\r\n")


def test_modifier_columns_are_read_by_name() -> None:
    tsv = (
        b"Observation id\tFoo\tSubject\tBehavior\tModifier #1\tModifier #2\tBehavior type\tTime\n"
        b"o\tiv\tk\tr\tm1\tNone\tSTART\t1.0\n"
        b"o\tiv\tk\tr\tm1\tNone\tSTOP\t2.0\n"
        b"o\tiv\tk\tq\t\tn2\tPOINT\t3.0\n"
    )
    bundle = parse_boris_tabular(tsv, filename="x.tsv")
    assert bundle.observations[0].events["modifiers"].tolist() == ["Modifier #1=m1", "Modifier #2=n2"]
    assert dict(bundle.observations[0].attributes) == {"Foo": "iv"}


def _body(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def test_bom_latin1_and_semicolons() -> None:
    rows = ("o\tJosé\ts\t\tSTART\t1.0\t", "o\tJosé\ts\t\tSTOP\t2.0\t")
    utf8_bom = b"\xef\xbb\xbf" + _body(*rows)
    assert _bouts(parse_boris_tabular(utf8_bom, filename="x.tsv")) == [("José", "s", 1.0, 2.0)]
    latin1 = _body(*rows).decode().encode("latin-1")
    bundle = parse_boris_tabular(latin1, filename="x.tsv")
    assert _bouts(bundle) == [("José", "s", 1.0, 2.0)] and "interop.warn.encoding" in _keys(bundle)
    semicolons = _body(*rows).decode().replace("\t", ";").encode()
    bundle = parse_boris_tabular(semicolons, filename="x.csv")
    assert _bouts(bundle) == [("José", "s", 1.0, 2.0)]
    assert bundle.warnings[0].params["found"] == "semicolon"
    utf16 = _body(*rows).decode().encode("utf-16")
    assert _bouts(parse_boris_tabular(utf16, filename="x.tsv")) == [("José", "s", 1.0, 2.0)]


def test_text_times_and_unsorted_rows_are_read_with_a_warning() -> None:
    data = _body(
        "o\tk\tp\t\tPOINT\t00:01:02.5\t",  # row 2: hh:mm:ss text
        "o\tk\ts\t\tSTART\t3,25\t",  # row 3: decimal comma
        "o\tk\ts\t\tSTOP\t9.0\t",  # row 4
    )
    bundle = parse_boris_tabular(data, filename="x.tsv")
    rows = {w.message_key: w.params.get("rows") for w in bundle.warnings}
    assert rows["interop.warn.time_text"] == "2, 3"
    assert "interop.warn.unsorted" in rows
    ev = bundle.observations[0].events
    assert ev[["cue", "kind", "start_s"]].values.tolist() == [["s", "state", 3.25], ["p", "point", 62.5]]
    assert ev.loc[ev["cue"] == "s", "end_s"].tolist() == [9.0]


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        ("o\tk\ts\t\tSTOP\t9.0\t", "interop.refuse.duplicate"),  # repeats line 4
        ("o\tk\tp\t\tPOINT\t-1.0\t", "interop.refuse.negative_time"),
        ("o\tk\tp\t\tPOINT\tabc\t", "interop.refuse.bad_time"),
        ("o\tk\t\t\tPOINT\t4.0\t", "interop.refuse.no_cue"),
        ("o\tk\tp\t\tBEGIN\t4.0\t", "interop.refuse.bad_status"),
    ],
)
def test_a_bad_row_refuses_the_file_formerly_skipped_or_clamped(bad: str, key: str) -> None:
    data = _body("o\tk\tp\t\tPOINT\t00:01:02.5\t", "o\tk\ts\t\tSTART\t3,25\t", "o\tk\ts\t\tSTOP\t9.0\t", bad)
    with pytest.raises(InvalidInput) as info:
        parse_boris_tabular(data, filename="x.tsv")
    assert info.value.key == key
    assert info.value.where is not None and info.value.where.startswith("x.tsv, line 5, column ")


def test_unpaired_start_and_orphan_stop() -> None:
    bundle = parse_boris_tabular(
        _body("o\tk\ts\t\tSTOP\t1.0\t", "o\tk\ts\t\tSTART\t2.0\t", "o\tk\tp\t\tPOINT\t5.0\t"),
        filename="x.tsv",
    )
    keys = _keys(bundle)
    assert "interop.warn.stop_without_start" in keys and "interop.warn.unpaired_closed" in keys
    ev = bundle.observations[0].events
    assert ev.loc[ev["cue"] == "s", "start_s"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "interop.empty_file"),
        (b"\n\n", "interop.empty_file"),
        (b"just some text\nwithout a header\n", "interop.header_not_found"),
        (b"Observation id\tSubject\tBehavior type\tComment\no\tk\tSTART\t\n", "interop.header_not_found"),
        (b"Subject\tBehavior type\tTime\nk\tSTART\t1\n", "interop.missing_columns"),
        (b"PK\x03\x04 not really a workbook", "interop.bad_xlsx"),
    ],
)
def test_refused(data: bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_boris_tabular(data, filename="x.tsv")
    assert err.value.key == key
    assert err.value.message("id") != err.value.key


def test_a_workbook_whose_zip_needs_a_newer_unzip_is_refused_clearly() -> None:
    """A zip entry that asks for a newer "version needed to extract" (6.4 here, found by the
    fuzzer) made :mod:`zipfile` raise NotImplementedError, which reached the user as a crash."""
    book = _xlsx([["Observation id", "Subject", "Behavior", "Behavior type", "Time"]])
    central = b"PK\x01\x02"
    at = book.index(central)
    damaged = book[: at + 6] + bytes([64, 0]) + book[at + 8 :]  # version needed to extract: 6.4
    with pytest.raises(InvalidInput) as err:
        parse_boris_tabular(damaged, filename="x.xlsx")
    assert err.value.key == "interop.bad_xlsx"


def test_header_only_gives_no_observation() -> None:
    assert parse_boris_tabular(HEADER.encode(), filename="x.tsv").observations == ()


def _xlsx(rows: list[list[object]], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_spreadsheet_with_merged_title_rows() -> None:
    header = ["Observation id", "Subject", "Behavior", "Behavior type", "Time"]
    data = _xlsx(
        [["BORIS export of my study"], [], header, ["o", "k", "s", "START", 1.5], ["o", "k", "s", "STOP", 4]],
        merge="A1:E1",
    )
    bundle = parse_boris_tabular(data, filename="x.xlsx")
    assert _bouts(bundle) == [("k", "s", 1.5, 4.0)]


def test_spreadsheet_with_a_two_row_merged_header_is_refused() -> None:
    data = _xlsx(
        [
            ["Observation", None, "Behavior", None, None],
            ["id", "Subject", "name", "type", "Time"],
            ["o", "k", "s", "START", 1],
        ],
        merge="A1:B1",
    )
    with pytest.raises(InvalidInput) as err:
        parse_boris_tabular(data, filename="x.xlsx")
    assert err.value.key == "interop.header_not_found"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows())
def test_tabular_round_trip_is_lossless(events) -> None:
    for delimiter, name in (("\t", "x.tsv"), (",", "x.csv")):
        back = parse_boris_tabular(write_boris_tabular(events, delimiter=delimiter), filename=name)
        assert canonical(back.all_events()) == canonical(events)
        assert back.warnings == ()
