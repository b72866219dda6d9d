"""Bounded imports: over a limit, one clear sentence naming the limit and its setting, and the
refusal itself stays small and quick (measured in a fresh process: peak RSS and wall time)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observe.errors import InvalidInput
from observe.interop.boris_project import parse_boris_project
from observe.interop.boris_tabular import parse_boris_tabular
from observe.interop.bundle import events_frame
from observe.interop.detect import parse_file
from observe.interop.elan import parse_eaf, write_eaf
from observe.interop.limits import ImportLimits
from observe.interop.tidy import (
    parse_tidy_csv,
    parse_tidy_json,
    parse_tidy_parquet,
    write_tidy_csv,
    write_tidy_json,
    write_tidy_parquet,
    write_tidy_xlsx,
)

MEMORY_BUDGET_MB = 512
TIME_BUDGET_S = 10.0
REPO = Path(__file__).resolve().parents[2]


def _events(n: int):  # type: ignore[no-untyped-def]
    return events_frame(
        [
            {
                "session": "S1",
                "subject": "client",
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": float(i),
            }
            for i in range(n)
        ]
    )


def _refusal(call, setting: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as info:
        call()
    message = info.value.message("en")
    assert setting in message and "\n" not in message, message
    assert info.value.message("id") != info.value.key
    return message


def _measure(path: Path) -> dict[str, object]:
    """Parse ``path`` with parse_file in a fresh interpreter; its peak RSS, time and outcome."""
    code = textwrap.dedent(
        f"""
        import json, sys, time
        from pathlib import Path

        # Linux keeps a process's peak RSS across exec (the parent test worker's, here):
        # reset the high-water mark, then read it back (VmHWM) after the parse.
        Path("/proc/self/clear_refs").write_text("5")

        def peak_kb():
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])

        from observe.errors import InvalidInput
        from observe.interop.detect import parse_file
        data = Path({str(path)!r}).read_bytes()
        base = peak_kb()
        start = time.perf_counter()
        try:
            parse_file(data, filename={path.name!r})
            outcome = "imported"
        except InvalidInput as err:
            outcome = err.message("en")
        took = time.perf_counter() - start
        peak = peak_kb()
        print(json.dumps({{"outcome": outcome, "seconds": took, "peak_mb": peak / 1024, "base_mb": base / 1024}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _parquet_bomb(path: Path, rows: int) -> None:
    """``rows`` rows of one dictionary-encoded value per column: a few hundred kB on disk."""
    chunk = 1_000_000
    schema = pa.schema([("session", pa.string()), ("cue", pa.string()), ("start_s", pa.float64())])
    with pq.ParquetWriter(path, schema, use_dictionary=True, compression="zstd") as writer:
        session = pa.array(["S1"] * chunk)
        cue = pa.array(["P_NOD"] * chunk)
        start = pa.array([1.0] * chunk)
        table = pa.table([session, cue, start], schema=schema)
        for _ in range(rows // chunk):
            writer.write_table(table, row_group_size=chunk)


@pytest.mark.slow
def test_parquet_bomb_is_refused_small_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.parquet"
    _parquet_bomb(path, 50_000_000)
    assert path.stat().st_size < 2_000_000  # the finding: a small file, 50 million rows
    result = _measure(path)
    assert "import.max_rows" in str(result["outcome"]), result
    assert float(result["peak_mb"]) < MEMORY_BUDGET_MB, result
    assert float(result["seconds"]) < TIME_BUDGET_S, result


@pytest.mark.slow
def test_million_column_csv_is_refused_small_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = "session,cue,start_s," + ",".join(f"c{i}" for i in range(1_000_000))
    path.write_text(header + "\nS1,P_NOD,1.0\n")
    result = _measure(path)
    assert "import.max_columns" in str(result["outcome"]), result
    assert float(result["peak_mb"]) < MEMORY_BUDGET_MB, result
    assert float(result["seconds"]) < TIME_BUDGET_S, result


@pytest.mark.slow
def test_gzip_bomb_is_refused_small_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.boris.gz"
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
        out.write(b'{"project_format_version": "7.0", "x": "')
        block = b" " * (1 << 20)
        for _ in range(400):
            out.write(block)
        out.write(b'"}')
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 1_000_000
    result = _measure(path)
    assert "import.max_bytes" in str(result["outcome"]), result
    assert float(result["peak_mb"]) < MEMORY_BUDGET_MB, result
    assert float(result["seconds"]) < TIME_BUDGET_S, result


def test_parquet_rows_are_read_from_the_metadata() -> None:
    data = write_tidy_parquet(_events(11))
    message = _refusal(lambda: parse_tidy_parquet(data, limits=ImportLimits(max_rows=10)), "import.max_rows")
    assert "10 rows" in message
    assert parse_tidy_parquet(data, limits=ImportLimits(max_rows=11)).n_events == 11


def test_parquet_long_cell_is_measured_on_the_dictionary() -> None:
    events = _events(3)
    events.loc[1, "comment"] = "x" * 101
    data = write_tidy_parquet(events)
    _refusal(
        lambda: parse_tidy_parquet(data, limits=ImportLimits(max_cell_chars=100)), "import.max_cell_chars"
    )


def test_csv_rows_columns_cells_and_bytes() -> None:
    data = write_tidy_csv(_events(12))
    _refusal(lambda: parse_tidy_csv(data, limits=ImportLimits(max_rows=11)), "import.max_rows")
    _refusal(lambda: parse_tidy_csv(data, limits=ImportLimits(max_columns=5)), "import.max_columns")
    _refusal(lambda: parse_tidy_csv(data, limits=ImportLimits(max_bytes=100)), "import.max_bytes")
    long = _events(2)
    long.loc[0, "comment"] = "a, b; c " * 30
    text = write_tidy_csv(long)
    _refusal(lambda: parse_tidy_csv(text, limits=ImportLimits(max_cell_chars=200)), "import.max_cell_chars")
    assert parse_tidy_csv(text, limits=ImportLimits(max_cell_chars=240)).n_events == 2


def test_a_wide_body_row_is_refused() -> None:
    data = b"session,cue,start_s\nS1,P_NOD,1.0\nS1,P_NOD,2.0," + b",".join([b"x"] * 200) + b"\n"
    _refusal(lambda: parse_tidy_csv(data, limits=ImportLimits(max_columns=64)), "import.max_columns")


def test_xlsx_dimension_rows_and_columns() -> None:
    data = write_tidy_xlsx(_events(12))
    _refusal(
        lambda: parse_tidy_csv(data, filename="e.xlsx", limits=ImportLimits(max_rows=11)), "import.max_rows"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["session", "cue", "start_s", *[f"c{i}" for i in range(70)]])
    sheet.append(["S1", "P_NOD", 1.0])
    buffer = io.BytesIO()
    book.save(buffer)
    _refusal(lambda: parse_tidy_csv(buffer.getvalue(), filename="w.xlsx"), "import.max_columns")


def test_json_records_are_bounded_before_parsing() -> None:
    data = write_tidy_json(_events(12))
    _refusal(lambda: parse_tidy_json(data, limits=ImportLimits(max_rows=11)), "import.max_rows")
    # ten thousand empty records over the bound: refused by counting, not parsing
    flood = ("[" + ",".join(["{}"] * 30_000) + "]").encode()
    _refusal(lambda: parse_tidy_json(flood, limits=ImportLimits(max_rows=10)), "import.max_rows")


def test_boris_project_events_are_counted() -> None:
    events = [[float(i), "", "p", "", ""] for i in range(12)]
    project = {
        "project_format_version": "7.0",
        "behaviors_conf": {"0": {"code": "p", "type": "Point event"}},
        "observations": {"o1": {"type": "LIVE", "events": events}},
    }
    data = json.dumps(project).encode()
    _refusal(lambda: parse_boris_project(data, limits=ImportLimits(max_rows=11)), "import.max_rows")
    assert parse_boris_project(data, limits=ImportLimits(max_rows=12)).n_events == 12


def test_boris_tabular_rows() -> None:
    rows = "".join(f"o1\tclient\tp\tPOINT\t{i}.000\n" for i in range(12))
    data = ("Observation id\tSubject\tBehavior\tBehavior type\tTime\n" + rows).encode()
    _refusal(lambda: parse_boris_tabular(data, limits=ImportLimits(max_rows=11)), "import.max_rows")


def test_eaf_annotations_and_entities() -> None:
    data = write_eaf(_events(12))
    _refusal(lambda: parse_eaf(data, limits=ImportLimits(max_rows=11)), "import.max_rows")
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ANNOTATION_DOCUMENT>&a;</ANNOTATION_DOCUMENT>'
    with pytest.raises(InvalidInput):
        parse_eaf(laughs)


def test_parse_file_checks_the_size_first() -> None:
    _refusal(
        lambda: parse_file(b"x" * 2000, filename="e.csv", limits=ImportLimits(max_bytes=1000)),
        "import.max_bytes",
    )


def test_limits_come_from_the_store_settings(tmp_path: Path) -> None:
    from observe.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        assert ImportLimits.from_store(store) == ImportLimits()
        store.set_setting("import.max_rows", 5)
        store.set_setting("import.max_columns", "nonsense")
        limits = ImportLimits.from_store(store)
        assert limits.max_rows == 5 and limits.max_columns == ImportLimits().max_columns
    finally:
        store.close()


def test_defaults_are_at_least_the_brief() -> None:
    limits = ImportLimits()
    assert limits.max_rows >= 1_000_000 and limits.max_columns >= 64
