"""Spreadsheet-safe exports (OWASP CSV injection): no text cell starts a formula, numbers stay
numbers, and our importers undo the neutralisation, so export → import stays lossless."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observe.interop.boris_project import parse_boris_project, write_boris_project
from observe.interop.boris_tabular import parse_boris_tabular, write_boris_tabular
from observe.interop.bundle import events_frame
from observe.interop.spreadsheet import FORMULA_CHARS, neutralise_text, restore_text
from observe.interop.tidy import parse_tidy_csv, write_tidy_csv, write_tidy_xlsx
from observe.store import Store

ATTACK = '=HYPERLINK("http://evil.example/x","open")'

_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("=+-@'\t\r\" ,;|a")),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=20,
)
COMMENTS = st.one_of(
    _TEXT, st.tuples(st.sampled_from(["", "'", "''"]), st.sampled_from(FORMULA_CHARS), _TEXT).map("".join)
)


def _events(comment: str, subject: str = "client") -> pd.DataFrame:
    return events_frame(
        [
            {
                "session": "S1",
                "client": "K01",
                "observer": "ana",
                "subject": subject,
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 1.0,
                "end_s": 2.5,
                "comment": comment,
            },
            {
                "session": "S1",
                "client": "K01",
                "observer": "ana",
                "subject": subject,
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": 3.0,
                "comment": "-2 plain",
            },
        ]
    )


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _assert_no_formula_cells(rows: list[list[str]]) -> None:
    """No text cell starts a formula (a number such as -0.5 is a number, not text)."""
    for row in rows:
        for cell in row:
            assert _is_number(cell) or not cell.startswith(FORMULA_CHARS), cell


def _csv_rows(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))


def test_the_finding_hyperlink_comment_is_inert_in_every_spreadsheet_export() -> None:
    events = _events(ATTACK)
    for data, delimiter in (
        (write_tidy_csv(events), ","),
        (write_boris_tabular(events, delimiter="\t"), "\t"),
        (write_boris_tabular(events, delimiter=","), ","),
    ):
        rows = _csv_rows(data, delimiter)
        _assert_no_formula_cells(rows)
        assert any(cell == "'" + ATTACK for row in rows for cell in row)
    book = openpyxl.load_workbook(io.BytesIO(write_tidy_xlsx(events)))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert "'" + ATTACK in [c.value for c in cells]
    # numbers stay numbers
    assert {c.value for c in cells if c.column_letter == "H"} >= {1.0, 3.0}
    project = json.loads(write_boris_project(events))
    assert project["observations"]["S1"]["events"][0][4] == "'" + ATTACK


def test_neutralise_is_a_bijection() -> None:
    for text in ["=1", "'=1", "''=1", "'plain", "plain", "", "-", "@x", "\tx", "\rx", "+"]:
        assert restore_text(neutralise_text(text)) == text
        assert not neutralise_text(text).startswith(FORMULA_CHARS)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(comment=COMMENTS)
def test_tidy_csv_round_trip_is_lossless(comment: str) -> None:
    events = _events(comment)
    data = write_tidy_csv(events)
    _assert_no_formula_cells(_csv_rows(data, ","))
    back = parse_tidy_csv(data, filename="e.csv").all_events()
    assert sorted(back["comment"]) == sorted(events["comment"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(comment=COMMENTS.map(lambda c: c.replace("\r", "")))  # XML turns a bare CR into LF
def test_tidy_xlsx_round_trip_is_lossless(comment: str) -> None:
    events = _events(comment)
    back = parse_tidy_csv(write_tidy_xlsx(events), filename="e.xlsx").all_events()
    assert sorted(back["comment"]) == sorted(events["comment"])


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    comment=COMMENTS.map(lambda c: c.replace("\r", " ").strip() or "x"),
    delimiter=st.sampled_from(["\t", ","]),
)
def test_boris_tabular_round_trip_is_lossless(comment: str, delimiter: str) -> None:
    # BORIS flattens line breaks to spaces and our reader joins START/STOP comments: plain text here
    events = _events(comment)
    data = write_boris_tabular(events, delimiter=delimiter)
    _assert_no_formula_cells(_csv_rows(data, delimiter))
    back = parse_boris_tabular(data, filename="e.tsv" if delimiter == "\t" else "e.csv").all_events()
    assert sorted(back["comment"]) == sorted(events["comment"])


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(comment=COMMENTS.map(lambda c: c if c.strip() else ""))  # BORIS: blank = no comment
def test_boris_project_round_trip_is_lossless(comment: str) -> None:
    events = _events(comment)
    back = parse_boris_project(write_boris_project(events)).all_events()
    assert sorted(back["comment"]) == sorted(events["comment"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_workspace_tables_are_neutralised(fmt: str) -> None:
    from observe.interop.exports import _table_bytes
    from observe.interop.spreadsheet import safe_csv

    table = pd.DataFrame({"session": ["=cmd|' /C calc'!A0", "S2"], "share": [-0.5, 0.25]})
    data = _table_bytes(table, fmt, "timebudget")
    if fmt == "csv":
        rows = _csv_rows(data, ",")
        _assert_no_formula_cells([r[:1] for r in rows])
        assert rows[1][1] == "-0.5"  # a number is written as a number
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        assert sheet["A2"].data_type != "f" and sheet["A2"].value.startswith("'")
        assert sheet["B2"].value == -0.5
    audit = pd.DataFrame({"detail": ["@SUM(1+1)*cmd"], "id": [1]})  # the audit log's download
    _assert_no_formula_cells(_csv_rows(safe_csv(audit), ","))


def test_research_export_csvs_are_neutralised(demo_copy: Store) -> None:
    from observe.interop.research_export import _csv, research_export

    rows = _csv_rows(_csv(pd.DataFrame({"comment": ["+1 call me", "-"], "x": [-1.0, 2.0]})), ",")
    assert rows[1] == ["'+1 call me", "-1.0"] and rows[2][0] == "'-"  # a number stays a number

    store = demo_copy  # the demo workspace (research exports never read a video)
    code = store.sessions()[0].code
    frame = store.events_frame(session=code)
    assert len(frame)
    archive = zipfile.ZipFile(io.BytesIO(research_export(store, include_notes=True, seed=1)))
    for name in archive.namelist():
        if name.endswith(".csv"):
            _assert_no_formula_cells(_csv_rows(archive.read(name), ","))
