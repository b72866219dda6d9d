"""ELAN EAF import against a real ELAN file and its expected flat export; export and round trip."""

from __future__ import annotations

import csv
import io

import pytest
from _strategies import canonical, event_rows
from hypothesis import HealthCheck, given, settings

from observe.errors import InvalidInput
from observe.interop.bundle import events_frame
from observe.interop.elan import parse_eaf, write_eaf
from tests.conftest import shared_fixtures


def test_fixture_matches_expected_flat_export() -> None:
    base = shared_fixtures() / "elan"
    bundle = parse_eaf((base / "speach_test.eaf").read_bytes(), filename="speach_test.eaf")
    expected = sorted(
        (row[0], row[1], float(row[2]), float(row[3]), row[5])
        for row in csv.reader(
            io.StringIO((base / "speach_test.eaf.tsv").read_text(encoding="utf-8")), delimiter="\t"
        )
    )
    tier_of = {(t.subject, t.channel): t for t in bundle.tiers}
    ev = bundle.observations[0].events
    got = sorted(
        (
            tier_of[(r.subject, r.channel)].tier_id,
            tier_of[(r.subject, r.channel)].participant,
            r.start_s,
            r.end_s,
            r.cue.removesuffix(f" [{r.channel}]"),  # a value on several tiers: one cue per tier
        )
        for r in ev.itertuples()
    )
    assert len(got) == 43
    # the flat export keeps the leading space of " リンゴ"; cue codes are stripped
    assert got == sorted((t, p, s, e, v.strip()) for t, p, s, e, v in expected)
    assert {t.tier_id: t.n_annotations for t in bundle.tiers} == {
        "Person1 (Utterance)": 8,
        "marker": 3,
        "Person1 (Chunk)": 12,
        "Person1 (ChunkLanguage)": 12,
        "Person1 (Language)": 8,
    }
    languages = {c.code: c.description for c in bundle.scheme if c.channel == "ChunkLanguage"}
    assert languages == {"en": "English", "jp": "Japanese"}


def test_tier_name_conventions() -> None:
    ev = events_frame(
        [
            {
                "session": "S",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 0,
                "end_s": 1,
            }
        ]
    )
    text = write_eaf(ev).decode()
    # a foreign file has no observe properties: the tier name and participant decide
    foreign = text.replace("observe:tier:", "other:").replace('TIER_ID="client-GAZE"', 'TIER_ID="K GAZE"')
    foreign = foreign.replace('PARTICIPANT="client"', "")
    bundle = parse_eaf(foreign.encode(), filename="f.eaf")
    assert [(t.tier_id, t.subject, t.channel) for t in bundle.tiers] == [("K GAZE", "K", "GAZE")]


def test_overlapping_annotations_on_one_tier_are_cut_and_reported() -> None:
    ev = events_frame(
        [
            {
                "session": "S",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 0,
                "end_s": 5,
            }
        ]
    )
    text = write_eaf(ev).decode()
    # put a second, overlapping annotation on the same tier
    extra = '<TIME_SLOT TIME_SLOT_ID="ts90" TIME_VALUE="3000" /><TIME_SLOT TIME_SLOT_ID="ts91" TIME_VALUE="8000" /></TIME_ORDER>'
    text = text.replace("</TIME_ORDER>", extra, 1)
    annotation = (
        '<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a90" TIME_SLOT_REF1="ts90" TIME_SLOT_REF2="ts91">'
        "<ANNOTATION_VALUE>G_DOWN</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION></TIER>"
    )
    text = text.replace("</TIER>", annotation, 1)
    bundle = parse_eaf(text.encode(), filename="o.eaf")
    ev = bundle.observations[0].events
    assert ev[["cue", "start_s", "end_s"]].values.tolist() == [["G_EYE", 0.0, 3.0], ["G_DOWN", 3.0, 8.0]]
    assert [w.message_key for w in bundle.warnings] == ["interop.warn.eaf_overlap"]


def test_refused() -> None:
    for data in (b"<ANNOTATION_DOCUMENT><broken", b"<?xml version='1.0'?><ANNOTATION_DOCUMENT/>", b"not xml"):
        with pytest.raises(InvalidInput) as err:
            parse_eaf(data, filename="x.eaf")
        assert err.value.key == "interop.eaf.bad_file"
    two = events_frame([{"session": s, "cue": "c", "kind": "point", "start_s": 1} for s in ("A", "B")])
    with pytest.raises(InvalidInput):
        write_eaf(two)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows(sessions=("S1",)))
def test_eaf_round_trip_is_lossless(events) -> None:
    back = parse_eaf(write_eaf(events), filename="whatever.eaf")
    assert canonical(back.all_events()) == canonical(events)
    assert back.warnings == ()


def test_a_value_on_several_tiers_keeps_every_annotation() -> None:
    """speach_test.eaf writes "en"/"jp" on both the Language and the ChunkLanguage tier: as one
    cue they would share one channel and 21 annotations were cut or dropped. Each tier keeps its
    own cue, so nothing is cut, dropped or merged (DOMAIN §9.7: refused or kept, never repaired)."""
    from observe.interop.detect import parse_file
    from observe.interop.preview import preview
    from observe.store import Store
    from tests.conftest import shared_fixtures

    data = (shared_fixtures() / "elan" / "speach_test.eaf").read_bytes()
    bundle = parse_file(data, filename="speach_test.eaf")
    events = bundle.observations[0].events
    assert events.groupby("cue")["channel"].nunique().max() == 1
    shown = preview(bundle, Store.open("sqlite://"))
    assert shown.ok, shown.problem
    keys = {w.message_key for w in shown.warnings}
    assert not keys & {"interop.warn.overlap_cut", "interop.warn.overlap_dropped"}, keys
    assert shown.counts["events"] == 43  # every annotation of the fixture
