"""Exports are per observation (DOMAIN §9.8): a double-coded session exports its reference
observation unless the user chooses; "all" writes one unit / file / observation per observer,
named by observer, never two observers' events in one stream."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pandas as pd
import pytest

from observe.governance.demo import create_demo
from observe.interop.exports import ALL_OBSERVERS, Selection, export_file, observers_for_export
from observe.store import Store

SESSION = "K01-S03"  # the demo's double-coded session: obs.ani (reference) and obs.budi
REFERENCE, OTHER = "obs.ani", "obs.budi"


@pytest.fixture(scope="module")
def store() -> Store:
    store = Store.open("sqlite://")
    create_demo(store)
    ref = [o for o in store.observations(session=SESSION) if o.is_reference]
    assert [o.observer for o in ref] == [REFERENCE]
    return store


def _export(store: Store, kind: str, fmt: str | None = None, observer: str | None = None) -> bytes:
    return export_file(store, kind, fmt, selection=Selection(session=SESSION, observer=observer)).data


def _boris_ids(data: bytes) -> set[str]:
    frame = pd.read_csv(io.BytesIO(data), sep="\t", dtype=str)
    return set(frame["Observation id"])


def _sdis_units(data: bytes) -> list[str]:
    return re.findall(r"^<([^>]*)>$", data.decode(), flags=re.MULTILINE)


def test_default_is_the_reference_observation(store: Store) -> None:
    events = pd.read_csv(io.BytesIO(_export(store, "events", "csv")), dtype=str)
    assert set(events["observer"]) == {REFERENCE}
    assert _boris_ids(_export(store, "boris")) == {SESSION}
    assert _sdis_units(_export(store, "sdis")) == [SESSION]
    project = json.loads(_export(store, "boris_project"))
    assert list(project["observations"]) == [SESSION]
    eaf = _export(store, "eaf").decode()
    assert not re.search(r'TIER_ID="[^"]*-2"', eaf)  # the finding: a second observer's lane
    budget = pd.read_csv(io.BytesIO(_export(store, "timebudget")))
    assert set(budget["observer"]) == {REFERENCE}


def test_a_named_observer(store: Store) -> None:
    events = pd.read_csv(io.BytesIO(_export(store, "events", "csv", OTHER)), dtype=str)
    assert set(events["observer"]) == {OTHER}
    openness = pd.read_csv(io.BytesIO(_export(store, "openness", "csv", OTHER)))
    assert set(openness["observer"]) == {OTHER}


def test_all_observers_one_unit_each_named_by_observer(store: Store) -> None:
    units = {f"{SESSION}_{REFERENCE}", f"{SESSION}_{OTHER}"}
    assert set(_sdis_units(_export(store, "sdis", observer=ALL_OBSERVERS))) == units
    assert _boris_ids(_export(store, "boris", observer=ALL_OBSERVERS)) == units
    project = json.loads(_export(store, "boris_project", observer=ALL_OBSERVERS))
    assert set(project["observations"]) == units
    archive = zipfile.ZipFile(io.BytesIO(_export(store, "eaf", observer=ALL_OBSERVERS)))
    assert set(archive.namelist()) == {f"{u}.eaf" for u in units}
    budget = pd.read_csv(io.BytesIO(_export(store, "timebudget", observer=ALL_OBSERVERS)))
    assert set(budget["observer"]) == {REFERENCE, OTHER}


def test_all_observers_streams_are_not_mixed(store: Store) -> None:
    """Each BORIS observation holds exactly one observer's events (as many as that observer coded)."""
    from observe.interop.boris_project import parse_boris_project

    bundle = parse_boris_project(_export(store, "boris_project", observer=ALL_OBSERVERS))
    counts = {o.observer: o.n_events for o in store.observations(session=SESSION)}
    for obs in bundle.observations:
        observer = obs.name.split("_", 1)[1]
        assert len(obs.events) == counts[observer]


def test_the_observer_choice_lists_who_coded(store: Store) -> None:
    assert observers_for_export(store, Selection(session=SESSION)) == [REFERENCE, OTHER]


def test_cli_observer_all(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from observe.cli import main

    db = tmp_path / "w.db"
    disk = Store.open(f"sqlite:///{db}")
    create_demo(disk)
    disk.close()
    out = tmp_path / "x.sds"
    args = ["--db", str(db), "export", "sdis", "--session", SESSION, "-o", str(out)]
    assert main([*args, "--observer", "all"]) == 0
    assert set(_sdis_units(out.read_bytes())) == {f"{SESSION}_{REFERENCE}", f"{SESSION}_{OTHER}"}
    assert main(args) == 0
    assert _sdis_units(out.read_bytes()) == [SESSION]
