"""BORIS project import against the real fixtures and their independent summaries, and export."""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter

import pytest
from _strategies import canonical, event_rows
from hypothesis import HealthCheck, given, settings

from observe.errors import InvalidInput
from observe.interop.boris_project import parse_boris_project, write_boris_project
from observe.interop.bundle import events_frame
from tests.conftest import shared_fixtures

PROJECTS = [
    "test.boris",
    "test2.boris",
    "test_without_media_files_paths.boris",
    "test_with_leading_trailing_spaces_in_modifiers.boris",
]
NO_FOCAL = "No focal subject"


def _load(name: str):
    base = shared_fixtures() / "boris"
    summary = json.loads((base / "summaries" / name.replace(".boris", ".summary.json")).read_text())
    return (base / name).read_bytes(), summary


def _raw_modifier(tidy: str, sets: list[dict]) -> str:
    """Back from our "set=value" pairs to BORIS's "v1|v2" string (None for an unset set)."""
    if not sets:
        return ""
    values = dict(p.split("=", 1) for p in tidy.split(";") if p)
    return "|".join(values.get(s["name"].strip(), "None") for s in sets)


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_counts_match_summary(name: str) -> None:
    data, summary = _load(name)
    bundle = parse_boris_project(data, filename=name)
    assert len(bundle.observations) == summary["n_observations"]
    assert sum(o.source_records for o in bundle.observations) == summary["n_events_total"]
    assert [c.code for c in bundle.scheme] == [b["code"] for b in summary["ethogram"]]
    sets = {b["code"]: b["modifier_sets"] or [] for b in summary["ethogram"]}
    for obs, expected in zip(bundle.observations, summary["observations"], strict=True):
        assert obs.name == expected["id"]
        ev = obs.events
        assert (ev["kind"] == "point").sum() == expected["n_point_events"]
        states = ev[ev["kind"] == "state"]
        paired = states[states["end_s"].notna()]
        unpaired = states[states["end_s"].isna()] if obs.duration_s is None else states.iloc[0:0]
        # every BORIS record is accounted for: a point is one record, a paired state two
        records = Counter()
        for row in ev.itertuples():
            key = f"{row.subject or NO_FOCAL}|{row.cue}"
            records[key] += (
                1 if row.kind == "point" or (isinstance(row.end_s, float) and math.isnan(row.end_s)) else 2
            )
        assert dict(records) == expected["events_by_subject_behavior"]
        bouts: dict[str, list[float]] = {}
        for row in paired.itertuples():
            raw = _raw_modifier(row.modifiers, sets[row.cue])
            key = f"{row.subject or NO_FOCAL}|{row.cue}" + (f"|{raw}" if raw else "")
            bouts.setdefault(key, []).append(row.end_s - row.start_s)
        assert {k: len(v) for k, v in bouts.items()} == {
            k: v["n_bouts"] for k, v in expected["state_bouts"].items()
        }
        for key, durations in bouts.items():
            assert sum(durations) == pytest.approx(expected["state_bouts"][key]["total_duration_s"], abs=1e-6)
        assert [(r.subject or NO_FOCAL, r.cue, r.start_s) for r in unpaired.itertuples()] == [
            (u["subject"], u["behavior"], u["time"]) for u in expected["unpaired_state_events"]
        ]
        assert dict(obs.attributes) == expected["independent_variables"]


def test_unpaired_state_is_closed_and_reported() -> None:
    data, _ = _load("test.boris")
    bundle = parse_boris_project(data, filename="test.boris")
    warned = [w for w in bundle.warnings if w.message_key == "interop.warn.unpaired_closed"]
    assert [(w.params["session"], w.params["code"], w.params["time"]) for w in warned] == [
        ("live not paired", "s", "26.862")
    ]
    assert "26.862" in warned[0].message("en") and "26.862" in warned[0].message("id")


def test_expected_bouts_of_observation_2() -> None:
    """EXPECTED.md §4 lists the bouts of observation #2 independently of the summaries."""
    data, _ = _load("test.boris")
    obs = {o.name: o for o in parse_boris_project(data, filename="test.boris").observations}["observation #2"]
    s = obs.events[(obs.events["cue"] == "s") & (obs.events["subject"] == "")]
    assert list(zip(s["start_s"], s["end_s"], strict=True)) == [
        (1.8, 8.125),
        (10.25, 23.35),
        (26.775, 31.475),
        (227.765, 253.49),
        (255.34, 261.14),
        (303.79, 307.765),
    ]
    assert obs.duration_s == pytest.approx(539.92)


def test_modifier_spaces_are_stripped_and_sets_named() -> None:
    data, _ = _load("test_with_leading_trailing_spaces_in_modifiers.boris")
    bundle = parse_boris_project(data, filename="x.boris")
    assert bundle.scheme[0].modifiers == (("test 1", ("a", "c", "d")), ("test 2", ("111", "c", "d")))
    assert sorted(bundle.observations[0].events["modifiers"]) == sorted(
        ["test 1=a;test 2=c", "test 1=a", "test 2=111", "test 2=c"]
    )


def test_a_config_key_that_is_a_digit_but_not_a_number_is_ordered_last() -> None:
    """Hypothesis found it: ``"²".isdigit()`` is true but ``int("²")`` fails; such a key (BORIS
    writes "0", "1", …) is read after the numbered ones instead of raising a traceback."""
    data, _ = _load("test_with_leading_trailing_spaces_in_modifiers.boris")
    project = json.loads(data)
    behaviour = project["behaviors_conf"]["0"]
    behaviour["modifiers"] = {"\u00b2": behaviour["modifiers"]["1"], "0": behaviour["modifiers"]["0"]}
    bundle = parse_boris_project(json.dumps(project).encode(), filename="x.boris")
    assert [name for name, _ in bundle.scheme[0].modifiers] == ["test 1", "test 2"]


def test_gzip_project_reads_the_same() -> None:
    data, summary = _load("test.boris")
    bundle = parse_boris_project(gzip.compress(data), filename="test.boris.gz")
    assert sum(o.source_records for o in bundle.observations) == summary["n_events_total"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "interop.empty_file"),
        (b"   \n", "interop.empty_file"),
        (b'{"project_format_version": "7.0", "observ', "interop.bad_json"),
        (b"[1, 2]", "interop.boris.not_project"),
        (b'{"name": 1}', "interop.boris.not_project"),
    ],
)
def test_refused_inputs(data: bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_boris_project(data, filename="p.boris")
    assert err.value.key == key


def test_truncated_and_empty_gzip_are_refused() -> None:
    data, _ = _load("test.boris")
    packed = gzip.compress(data)
    with pytest.raises(InvalidInput) as err:
        parse_boris_project(packed[: len(packed) // 2], filename="p.boris.gz")
    assert err.value.key == "interop.bad_gzip"
    with pytest.raises(InvalidInput) as err:
        parse_boris_project(gzip.compress(b""), filename="p.boris.gz")
    assert err.value.key == "interop.empty_file"


def _project(events: list, behaviors: dict | None = None) -> bytes:
    behaviors = behaviors or {
        "0": {
            "code": "A",
            "type": "State event",
            "category": "GAZE",
            "modifiers": {"0": {"name": "i", "values": ["1", "2"]}},
        },
        "1": {"code": "B", "type": "State event", "category": "GAZE", "excluded": "A"},
        "2": {"code": "p", "type": "Point event"},
    }
    return json.dumps(
        {
            "project_format_version": "7.0",
            "behaviors_conf": behaviors,
            "observations": {"o": {"type": "LIVE", "events": events}},
        }
    ).encode()


def test_pairing_per_subject_code_and_stripped_modifier() -> None:
    events = [
        [1.0, "k", "A", "1", ""],
        [2.0, "k", "A", "2", ""],  # another modifier: its own state
        [3.0, "k", "A", " 1 ", ""],  # stops the first one (spaces stripped)
        [4.0, "c", "A", "2", ""],  # another subject
        [5.0, "k", "A", "2", ""],
        [6.0, "c", "A", "2", ""],
    ]
    ev = parse_boris_project(_project(events), filename="p.boris").observations[0].events
    got = sorted(zip(ev["subject"], ev["modifiers"], ev["start_s"], ev["end_s"], strict=True))
    assert got == [("c", "i=2", 4.0, 6.0), ("k", "i=1", 1.0, 3.0), ("k", "i=2", 2.0, 5.0)]


def test_records_are_sorted_by_time_before_toggling() -> None:
    events = [[5.0, "", "A", "", ""], [1.0, "", "A", "", ""], [9.0, "", "p", "", ""]]
    ev = parse_boris_project(_project(events), filename="p.boris").observations[0].events
    assert ev[["cue", "start_s", "end_s"]].values.tolist()[0] == ["A", 1.0, 5.0]


def test_exclusion_stop_one_ms_earlier_is_snapped() -> None:
    events = [
        [1.0, "", "A", "", ""],
        [4.999, "", "A", "", ""],
        [5.0, "", "B", "", ""],
        [8.0, "", "B", "", ""],
    ]
    bundle = parse_boris_project(_project(events), filename="p.boris")
    ev = bundle.observations[0].events
    assert ev.loc[ev["cue"] == "A", "end_s"].tolist() == [5.0]
    assert any(w.message_key == "interop.warn.snapped" for w in bundle.warnings)


@pytest.mark.parametrize(
    ("record", "key"),
    [
        (["x", "", "p", "", ""], "interop.refuse.bad_record"),
        ([2.0], "interop.refuse.bad_record"),
        (None, "interop.refuse.bad_record"),
        ([float("nan"), "", "p", "", ""], "interop.refuse.bad_record"),
        ([-1, "", "p"], "interop.refuse.negative_time"),
    ],
)
def test_a_damaged_record_refuses_the_project_at_its_position(record: object, key: str) -> None:
    """All or nothing (DOMAIN §9.7): formerly skipped or clamped, now refused, by event index."""
    raw = _project([[1.0, "", "p", "", ""], record, [3.0, "", "p", "", ""]])
    with pytest.raises(InvalidInput) as info:
        parse_boris_project(raw, filename="p.boris")
    assert info.value.key == key and info.value.where is not None
    assert info.value.where.endswith(", event 2")


def test_export_is_a_boris_project_with_toggle_pairs() -> None:
    ev = events_frame(
        [
            {
                "session": "S1",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 0.0,
                "end_s": 2.0,
                "modifiers": "intensity=2",
            },
            {
                "session": "S1",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_DOWN",
                "kind": "state",
                "start_s": 2.0,
                "end_s": 3.5,
            },
            {
                "session": "S1",
                "subject": "counselor",
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": 1.25,
            },
        ]
    )
    project = json.loads(write_boris_project(ev, keys={"G_EYE": "e"}))
    behaviors = {b["code"]: b for b in project["behaviors_conf"].values()}
    assert behaviors["G_EYE"]["type"] == "State event" and behaviors["P_NOD"]["type"] == "Point event"
    assert behaviors["G_EYE"]["excluded"] == "G_DOWN" and behaviors["G_EYE"]["key"] == "e"
    assert behaviors["G_EYE"]["modifiers"]["0"]["name"] == "intensity"
    assert [s["key"] for s in project["subjects_conf"].values()] == ["F1", "F2"]
    records = project["observations"]["S1"]["events"]
    assert records[0] == [0.0, "client", "G_EYE", "2", ""]
    assert [r[0] for r in records] == sorted(r[0] for r in records)
    # STOP of G_EYE at 2.0 comes before the START of G_DOWN at 2.0
    assert [r[2] for r in records if r[0] == 2.0] == ["G_EYE", "G_DOWN"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows())
def test_project_round_trip_is_lossless(events) -> None:
    back = parse_boris_project(write_boris_project(events), filename="p.boris")
    assert canonical(back.all_events(), sort_modifiers=True) == canonical(events, sort_modifiers=True)
    assert not [w for w in back.warnings if w.message_key != "interop.warn.code_not_in_ethogram"]


def test_a_project_warning_names_the_event_not_a_row() -> None:
    """A .boris project has no rows: its warnings count events of the observation (issue 14)."""
    bundle = parse_boris_project((shared_fixtures() / "boris" / "test.boris").read_bytes())
    unpaired = [w for w in bundle.warnings if w.message_key == "interop.warn.unpaired_closed"]
    assert unpaired and all(w.row is not None for w in unpaired)
    assert unpaired[0].message("en").endswith(f"(event {unpaired[0].row})")
    assert unpaired[0].message("id").endswith(f"(kejadian {unpaired[0].row})")


def test_a_project_stop_without_start_names_events() -> None:
    from observe.interop._states import Record, pair_records

    stop = Record(7, 1.0, "", "s", "", "STOP")
    (warning,) = pair_records([stop], session="o1", end_s=None, unit="event").warnings
    assert warning.message("en").endswith("was skipped (event 7).")
    (warning,) = pair_records([stop], session="o1", end_s=None).warnings
    assert warning.message("en").endswith("was skipped (row 7).")
