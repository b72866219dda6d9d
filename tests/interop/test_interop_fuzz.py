"""Fuzz: malformed files give a bundle (possibly with warnings) or InvalidInput, never another exception.

Every importer receives mutated real fixtures (truncated, bytes flipped, inserted or deleted,
lines shuffled or duplicated, delimiters swapped, gzip-wrapped), random bytes and broken CSV.
The parsers write nothing, so a refused import cannot change the database; the
store-side half of that guarantee is tested with the store.
"""

from __future__ import annotations

import gzip
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observe.errors import InvalidInput
from observe.interop.boris_project import parse_boris_project
from observe.interop.boris_tabular import parse_boris_aggregated, parse_boris_tabular
from observe.interop.bundle import ImportBundle, events_frame
from observe.interop.detect import parse_file
from observe.interop.elan import parse_eaf
from observe.interop.tidy import (
    parse_tidy_csv,
    parse_tidy_json,
    parse_tidy_parquet,
    write_tidy_csv,
    write_tidy_json,
    write_tidy_parquet,
)
from observe.model import EXPORT_COLUMNS
from tests.conftest import shared_fixtures

PARSERS = {
    "boris_project": parse_boris_project,
    "boris_tabular": parse_boris_tabular,
    "boris_aggregated": parse_boris_aggregated,
    "eaf": parse_eaf,
    "tidy_csv": parse_tidy_csv,
    "tidy_json": parse_tidy_json,
    "tidy_parquet": parse_tidy_parquet,
    "auto": lambda data, filename: parse_file(data, filename=filename),
}
#: the default run: a quick look per parser (raise with OBSERVE_FUZZ_EXAMPLES for a long hunt)
EXAMPLES_PER_PARSER = int(os.environ.get("OBSERVE_FUZZ_EXAMPLES", "40"))

_FIXTURES = [
    "boris/test.boris",
    "boris/test_with_leading_trailing_spaces_in_modifiers.boris",
    "boris/test_export_events_tabular.tsv",
    "boris/test_export_events_tabular.csv",
    "boris/test_export_events_tabular.xlsx",
    "boris/boris-9.12.3-exports/observation1_tabular_events.tsv",
    "boris/boris-9.12.3-exports/observation1_tabular_events.xlsx",
    "boris/boris-9.12.3-exports/observation2_aggregated_events.tsv",
    "elan/speach_test.eaf",
]


def _seeds() -> list[tuple[str, bytes]]:
    base = shared_fixtures()
    seeds = [(name.rsplit("/", 1)[-1], (base / name).read_bytes()) for name in _FIXTURES]
    small = events_frame(
        [
            {
                "session": "S",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 1,
                "end_s": 2,
            },
            {
                "session": "S",
                "subject": "client",
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": 1.5,
            },
        ]
    )
    seeds += [
        ("e.csv", write_tidy_csv(small)),
        ("e.json", write_tidy_json(small)),
        ("e.parquet", write_tidy_parquet(small)),
    ]
    seeds.append(("test.boris.gz", gzip.compress(seeds[0][1])))
    return seeds


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, bytes]:
    seeds = _SEEDS
    name, data = draw(st.sampled_from(seeds))
    how = draw(
        st.sampled_from(
            ["truncate", "flip", "insert", "delete", "lines", "delimiter", "gzip", "random", "csv"]
        )
    )
    if how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] = draw(st.integers(0, 255))
        data = bytes(buf)
    elif how == "insert":
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.binary(min_size=1, max_size=40)) + data[i:]
    elif how == "delete":
        i = draw(st.integers(0, len(data)))
        data = data[:i] + data[i + draw(st.integers(1, 200)) :]
    elif how == "lines":
        lines = data.split(b"\n")
        lines = draw(st.permutations(lines)) if len(lines) < 60 else lines[::-1]
        data = b"\n".join(lines + lines[: draw(st.integers(0, 3))])
    elif how == "delimiter":
        a, b = draw(
            st.sampled_from([(b"\t", b","), (b",", b";"), (b"\t", b" "), (b'"', b"'"), (b"\r\n", b"\r")])
        )
        data = data.replace(a, b)
    elif how == "gzip":
        data = gzip.compress(data)[: draw(st.integers(0, 4000))]
    elif how == "random":
        data = draw(st.binary(max_size=300))
    else:
        cell = st.text(alphabet='ab1.,;:"\t\n\r-e9 ', max_size=8)
        header = draw(
            st.sampled_from(
                [
                    "Observation id\tSubject\tBehavior\tBehavior type\tTime",
                    "session,cue,kind,start_s,end_s",
                    "Time\tMedia file path\tSubject\tBehavior\tStatus",
                    "Start (s)\tStop (s)\tBehavior",
                ]
            )
        )
        rows = draw(st.lists(st.lists(cell, max_size=7), max_size=8))
        data = (header + "\n" + "\n".join("\t".join(r) for r in rows)).encode()
    return name, data


_SEEDS: list[tuple[str, bytes]] = []


@pytest.fixture(scope="module", autouse=True)
def _load_seeds() -> None:
    if not _SEEDS:
        _SEEDS.extend(_seeds())


def _assert_valid(bundle: ImportBundle) -> None:
    for obs in bundle.observations:
        ev = obs.events
        assert tuple(ev.columns) == EXPORT_COLUMNS
        assert set(ev["kind"]) <= {"state", "point"}
        starts = ev["start_s"].to_numpy(dtype=float)
        ends = ev["end_s"].to_numpy(dtype=float)
        assert np.isfinite(starts).all() and (starts >= 0).all()
        is_point = (ev["kind"] == "point").to_numpy()
        assert np.isnan(ends[is_point]).all()
        state_ends = ends[~is_point]
        assert all(math.isnan(e) or e >= s for s, e in zip(starts[~is_point], state_ends, strict=True))
    for warning in bundle.warnings:
        assert warning.message("en") and warning.message("id")


@pytest.mark.parametrize("parser", sorted(PARSERS))
@settings(max_examples=EXAMPLES_PER_PARSER, deadline=None, suppress_health_check=list(HealthCheck))
@given(sample=malformed())
def test_parsers_only_raise_invalid_input(parser: str, sample: tuple[str, bytes]) -> None:
    name, data = sample
    try:
        bundle = PARSERS[parser](data, filename=name)
    except InvalidInput as err:
        assert err.message("en") != err.key and err.message("id") != err.key, err.key
        return
    _assert_valid(bundle)


# -- the store side: a malformed file is imported whole or refused, and a refusal changes nothing ---------------------

#: the slow run: 1,000 generated files per format through parse → preview → import into one database
STORE_EXAMPLES = int(os.environ.get("OBSERVE_FUZZ_STORE_EXAMPLES", "1000"))
#: the default run's small variant of the same test
STORE_EXAMPLES_FAST = 15


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from observe.store import Store

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    store.scheme()  # the default scheme is stored on first use: do it before the first dump
    yield store
    store.close()


_DUMPS: dict[int, object] = {}  # id(store) → its dump since the last successful import


def _import_or_refuse(parser: str, sample: tuple[str, bytes], store) -> None:  # type: ignore[no-untyped-def]
    """A clear error (translated, no traceback) and an unchanged database, or a whole import.

    A file the parser refuses never reaches the store (parsers take no store); one that
    reaches it is compared with the last full dump of every table after a refusal.
    """
    from observe.errors import ObserveError
    from observe.interop.preview import apply_import, default_mapping, preview
    from tests.store.conftest import dump_tables

    name, data = sample
    try:
        bundle = PARSERS[parser](data, filename=name)
    except InvalidInput as err:
        assert err.message("en") != err.key and err.message("id") != err.key, err.key
        return
    _assert_valid(bundle)
    before = _DUMPS.get(id(store)) or dump_tables(store)
    _DUMPS[id(store)] = before
    try:
        mapping = default_mapping(bundle, store)
        shown = preview(bundle, store, mapping)
        counts = apply_import(store, bundle, mapping)
    except ObserveError as err:
        assert err.message("en") != err.key and err.message("id") != err.key, err.key
        assert dump_tables(store) == before
        return
    _DUMPS.pop(id(store), None)
    assert shown.ok and dict(shown.counts) == counts


@pytest.mark.parametrize("parser", sorted(PARSERS))
@settings(max_examples=STORE_EXAMPLES_FAST, deadline=None, suppress_health_check=list(HealthCheck))
@given(sample=malformed())
def test_imports_are_whole_or_refused_unchanged(parser: str, sample: tuple[str, bytes], fuzz_store) -> None:  # type: ignore[no-untyped-def]
    _import_or_refuse(parser, sample, fuzz_store)


@pytest.mark.slow
@pytest.mark.parametrize("parser", sorted(p for p in PARSERS if p != "auto"))  # detection: fast variants
@settings(max_examples=STORE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(sample=malformed())
def test_refused_imports_leave_the_database_unchanged(
    parser: str, sample: tuple[str, bytes], fuzz_store
) -> None:  # type: ignore[no-untyped-def]
    _import_or_refuse(parser, sample, fuzz_store)
