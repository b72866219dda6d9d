"""SDIS timed-event export: syntax per FORMATS.md §4, codes, NV fill."""

from __future__ import annotations

import datetime as dt
import re

from _strategies import event_rows
from hypothesis import HealthCheck, given, settings

from observe.interop.bundle import events_frame
from observe.interop.sdis import write_sdis

_CODE = r"[A-Za-z][A-Za-z0-9_]*"
_EVENT = re.compile(rf"^({_CODE}),(\d+\.\d{{3}})-(\d+\.\d{{3}})$")


def validate_sdis(text: str) -> list[tuple[str, list[tuple[str, float, float]]]]:
    """An independent reading of the SDIS timed-event grammar of FORMATS §4; raises on any violation.

    Comment lines start with ``%``; the declaration (data type first) ends with ``;``; each session is
    ``<label>`` then ``code,onset-offset`` tokens (offset exclusive, so onset < offset) ending with ``/``.
    """
    lines = [ln for ln in text.splitlines() if not ln.startswith("%")]
    body = "\n".join(lines)
    declaration, sep, data = body.partition(";")
    assert sep and declaration.split()[0] in ("Event", "State", "Timed", "Interval", "Multievent")
    assert declaration.split()[0] == "Timed"
    sessions = []
    for chunk in data.split("/")[:-1]:
        tokens = chunk.split()
        assert tokens and re.fullmatch(r"<[^<>/;]+>", tokens[0]), tokens[:1]
        events = []
        for token in tokens[1:]:
            match = _EVENT.match(token)
            assert match, token
            onset, offset = float(match.group(2)), float(match.group(3))
            assert onset < offset, token
            events.append((match.group(1), onset, offset))
        assert [e[1] for e in events] == sorted(e[1] for e in events)
        sessions.append((tokens[0][1:-1], events))
    assert not data.split("/")[-1].strip()
    return sessions


def test_example_session() -> None:
    ev = events_frame(
        [
            {
                "session": "K01-S03",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 12.3,
                "end_s": 15.8,
            },
            {
                "session": "K01-S03",
                "subject": "client",
                "channel": "POINT",
                "cue": "P_NOD",
                "kind": "point",
                "start_s": 20.0,
            },
            {
                "session": "K01-S03",
                "subject": "counselor",
                "channel": "TRUNK",
                "cue": "T_FWD",
                "kind": "state",
                "start_s": 0.0,
                "end_s": 30.0,
            },
        ]
    )
    text = write_sdis(ev, created=dt.datetime(2026, 1, 1)).decode()
    assert validate_sdis(text) == [
        ("K01-S03", [("C_T_FWD", 0.0, 30.0), ("K_G_EYE", 12.3, 15.8), ("K_P_NOD", 20.0, 20.001)])
    ]


def test_not_visible_time_is_written_explicitly() -> None:
    ev = events_frame(
        [
            {
                "session": "S",
                "subject": "client",
                "channel": "GAZE",
                "cue": "G_EYE",
                "kind": "state",
                "start_s": 2.0,
                "end_s": 5.0,
            }
        ]
    )
    text = write_sdis(ev, nv_codes={"GAZE": "G_NV"}, durations={"S": 10.0}).decode()
    assert validate_sdis(text)[0][1] == [("K_G_NV", 0.0, 2.0), ("K_G_EYE", 2.0, 5.0), ("K_G_NV", 5.0, 10.0)]


def test_open_state_closes_at_session_end_and_codes_are_cleaned() -> None:
    ev = events_frame(
        [
            {
                "session": "a/b",
                "subject": "parent",
                "channel": "X",
                "cue": "look-at toy",
                "kind": "state",
                "start_s": 1.0,
            }
        ]
    )
    sessions = validate_sdis(write_sdis(ev, durations={"a/b": 9.5}).decode())
    assert sessions == [("a_b", [("parent_look_at_toy", 1.0, 9.5)])]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows())
def test_every_export_is_valid_sdis(events) -> None:
    sessions = validate_sdis(write_sdis(events, nv_codes={"GAZE": "G_NV", "FACE": "F_NV"}).decode())
    assert [s for s, _ in sessions] == list(dict.fromkeys(events["session"]))
    coded = sum(len(e) for _, e in sessions)
    assert coded >= len(events)
