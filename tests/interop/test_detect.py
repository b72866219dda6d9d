"""Format detection by content (FORMATS.md "Format detection")."""

from __future__ import annotations

import gzip

import pytest

from observe.errors import InvalidInput
from observe.interop.bundle import events_frame
from observe.interop.detect import detect_format, parse_file
from observe.interop.tidy import write_tidy_json, write_tidy_parquet, write_tidy_xlsx
from tests.conftest import shared_fixtures


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("boris/test.boris", "boris_project"),
        ("boris/test_export_events_tabular.tsv", "boris_tabular"),
        ("boris/test_export_events_tabular.csv", "boris_tabular"),
        ("boris/test_export_events_tabular.xlsx", "boris_tabular"),
        ("boris/boris-9.12.3-exports/observation1_tabular_events.xlsx", "boris_tabular"),
        ("boris/boris-9.12.3-exports/observation1_tabular_events.csv", "boris_tabular"),
        ("boris/boris-9.12.3-exports/observation2_aggregated_events.tsv", "boris_aggregated"),
        ("elan/speach_test.eaf", "eaf"),
    ],
)
def test_fixture_formats(name: str, fmt: str) -> None:
    data = (shared_fixtures() / name).read_bytes()
    assert detect_format(data, name) == fmt
    assert parse_file(data, filename=name).source_format.startswith(fmt.split("_")[0])


def test_our_formats_and_gzip() -> None:
    ev = events_frame([{"session": "S", "cue": "P_NOD", "kind": "point", "start_s": 1.0}])
    assert detect_format(write_tidy_json(ev), "e.json") == "tidy_json"
    assert detect_format(write_tidy_parquet(ev), "e.parquet") == "tidy_parquet"
    assert detect_format(write_tidy_xlsx(ev), "e.xlsx") == "tidy_csv"
    boris = (shared_fixtures() / "boris" / "test.boris").read_bytes()
    assert detect_format(gzip.compress(boris), "p.boris.gz") == "boris_project"


def test_unknown_and_mismatched() -> None:
    with pytest.raises(InvalidInput) as err:
        detect_format(b"hello world\n", "x.txt")
    assert err.value.key == "interop.unknown_format"
    eaf = (shared_fixtures() / "elan" / "speach_test.eaf").read_bytes()
    with pytest.raises(InvalidInput) as err:
        parse_file(eaf, filename="x.eaf", fmt="boris")
    assert err.value.key == "interop.format_mismatch"
    assert parse_file(eaf, filename="x.eaf", fmt="elan").n_events == 43
