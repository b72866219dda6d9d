"""Exports are per observation (DOMAIN §9.8): a double-coded session exports its reference
observation unless the user chooses; "all" writes one unit / file / observation per observer,
named by observer, never two observers' events in one stream."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from observe.interop.exports import ALL_OBSERVERS, Selection, export_file, observers_for_export
from observe.store import Store
from tests.conftest import open_demo_copy

SESSION = "K01-S03"  # the demo's double-coded session: obs.ani (reference) and obs.budi
REFERENCE, OTHER = "obs.ani", "obs.budi"


@pytest.fixture(scope="module")
def store(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo workspace (the session-wide copy without videos: exports never read a video)."""
    store = open_demo_copy(demo_workspace, tmp_path_factory.mktemp("per-observation"))
    ref = [o for o in store.observations(session=SESSION) if o.is_reference]
    assert [o.observer for o in ref] == [REFERENCE]
    yield store
    store.close()


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
    eaf = _export(store, "eaf", observer=ALL_OBSERVERS).decode()  # ONE file, a tier set per observer
    tiers = re.findall(r'<TIER [^>]*TIER_ID="([^"]*)"', eaf)
    for observer in (REFERENCE, OTHER):
        mine = [t for t in tiers if t.endswith(f" ({observer})")]
        assert mine and all(f'TIER_ID="{t}"' in eaf for t in mine)
        assert re.search(rf'ANNOTATOR="{re.escape(observer)}"', eaf)
    assert all(t.endswith((f" ({REFERENCE})", f" ({OTHER})")) for t in tiers)
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


def test_cli_observer_all(demo_workspace: Path, tmp_path: Path) -> None:
    from observe.cli import main

    db = tmp_path / "w.db"
    shutil.copy(demo_workspace, db)
    out = tmp_path / "x.sds"
    args = ["--db", str(db), "export", "sdis", "--session", SESSION, "-o", str(out)]
    assert main([*args, "--observer", "all"]) == 0
    assert set(_sdis_units(out.read_bytes())) == {f"{SESSION}_{REFERENCE}", f"{SESSION}_{OTHER}"}
    assert main(args) == 0
    assert _sdis_units(out.read_bytes()) == [SESSION]


def test_all_observers_eaf_keeps_each_observers_annotations_on_their_tiers(store: Store) -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(_export(store, "eaf", observer=ALL_OBSERVERS))
    counts = {o.observer: o.n_events for o in store.observations(session=SESSION)}
    found = dict.fromkeys(counts, 0)
    for tier in root.iter("TIER"):
        if tier.get("PARENT_REF"):
            continue  # modifiers and comments hang on their event's annotation
        observer = tier.get("TIER_ID", "").rsplit(" (", 1)[1].rstrip(")")
        assert tier.get("ANNOTATOR") == observer
        found[observer] += len(tier.findall("ANNOTATION"))
    assert found == counts


def test_all_observers_eaf_for_several_sessions_is_one_file_per_session(store: Store) -> None:
    made = export_file(store, "eaf", selection=Selection(client="K01", observer=ALL_OBSERVERS))
    names = zipfile.ZipFile(io.BytesIO(made.data)).namelist()
    sessions = [s.code for s in store.sessions(client="K01") if not s.archived]
    assert sorted(names) == sorted(f"{s}.eaf" for s in sessions)


def test_an_eaf_of_several_observers_is_refused_on_import_with_the_reason(store: Store) -> None:
    from observe.errors import InvalidInput
    from observe.interop.elan import parse_eaf

    with pytest.raises(InvalidInput) as info:
        parse_eaf(_export(store, "eaf", observer=ALL_OBSERVERS), filename="both.eaf")
    assert REFERENCE in info.value.message("en") and OTHER in info.value.message("en")
    one = parse_eaf(_export(store, "eaf", observer=OTHER), filename="one.eaf")
    assert (
        len(one.observations[0].events)
        == {o.observer: o.n_events for o in store.observations(session=SESSION)}[OTHER]
    )


def test_all_observers_eaf_names_the_tiers_even_with_one_observer(store: Store) -> None:
    single = next(s.code for s in store.sessions() if len(store.observations(session=s.code)) == 1)
    (observer,) = [o.observer for o in store.observations(session=single)]
    made = export_file(store, "eaf", selection=Selection(session=single, observer=ALL_OBSERVERS))
    tiers = re.findall(r'<TIER [^>]*TIER_ID="([^"]*)"', made.data.decode())
    assert tiers and all(t.endswith(f" ({observer})") for t in tiers)
    plain = export_file(store, "eaf", selection=Selection(session=single)).data.decode()
    assert f"({observer})" not in "".join(re.findall(r'TIER_ID="([^"]*)"', plain))
