"""compare(): results, bad input, properties, JSON output, more than two observers."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.analysis.agreement import AgreementResult, alpha_by_channel, compare, compare_observers
from observe.analysis.agreement.simulate import second_observer, simulate_observation
from observe.errors import InvalidInput
from observe.i18n import catalog

PACKAGE = Path(__file__).resolve().parents[2] / "observe" / "analysis" / "agreement"


def _ev(rows: list[tuple], duration: float = 10.0, **columns: object) -> pd.DataFrame:
    """Rows (subject, channel, cue, kind, start, end) → tidy events of one observation."""
    frame = pd.DataFrame(rows, columns=["subject", "channel", "cue", "kind", "start_s", "end_s"])
    return frame.assign(duration_s=duration, **columns)


GAZE = [
    ("client", "GAZE", "G_EYE", "state", 0.0, 4.0),
    ("client", "GAZE", "G_AWAY", "state", 4.0, 7.0),
    ("client", "GAZE", "G_DOWN", "state", 7.0, 10.0),
]


@pytest.fixture(scope="module")
def pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    a = simulate_observation(duration_s=300.0, n_events=150, seed=11)
    return a, second_observer(a, seed=12)


def test_result_shape(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = pair
    r = compare(a, b)
    assert isinstance(r, AgreementResult)
    assert (r.session, r.observer_a, r.observer_b) == ("SIM-S01", "obs_a", "obs_b")
    assert r.span == (0.0, 300.0) and r.n_units == 300
    channels = r.time_unit[r.time_unit["level"] == "channel"]
    assert len(channels) == 10  # 5 ME&E channels × 2 subjects
    assert set(r.time_unit["verdict"]) <= {
        "undefined",
        "insufficient",
        "below_training",
        "training",
        "research",
    }
    # every matrix tallies all units
    for (subject, channel, cue), m in r.unit_matrices.items():
        assert int(m.to_numpy().sum()) == 300, (subject, channel, cue)
    # base rates of each observer sum to 1 per channel
    sums = r.base_rates.groupby(["subject", "channel"])[["rate_a", "rate_b"]].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    # event matrices: margins equal the number of events; nil–nil is zero
    for (subject, channel), m in r.event_matrices.items():
        row = r.events[(r.events["subject"] == subject) & (r.events["channel"] == channel)].iloc[0]
        assert m.iloc[:-1].to_numpy().sum() == row["events_a"]
        assert m.iloc[:, :-1].to_numpy().sum() == row["events_b"]
        assert m.iloc[-1, -1] == 0
        assert row["matches"] + row["confusions"] + row["only_a"] == row["events_a"]
    outcomes = r.event_pairs["outcome"].value_counts()
    assert outcomes["match"] == r.events["matches"].sum()


def test_verdict_follows_kappa(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = pair
    t = compare(a, b).time_unit
    for row in t.itertuples():
        if not math.isnan(row.kappa) and row.kappa >= 0.8:
            assert row.verdict == "research"
        elif not math.isnan(row.kappa) and row.kappa < 0.6:
            assert row.verdict == "insufficient"


def test_disagreement_runs_by_hand() -> None:
    b = _ev([GAZE[0], ("client", "GAZE", "G_DOWN", "state", 4.0, 10.0)])
    r = compare(_ev(GAZE), b)
    runs = r.disagreements
    assert runs[["start_s", "end_s", "cue_a", "cue_b"]].values.tolist() == [[4.0, 7.0, "G_AWAY", "G_DOWN"]]


def test_to_dict_is_strict_json(pair: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = pair
    b = b.assign(coded_s=290.0)  # B stopped coding at 290 s of the 300 s session (DOMAIN §9.3)
    d = compare(a, b, tolerance=2.0, boris=True).to_dict()
    text = json.dumps(d, allow_nan=False)  # NaN must have become null
    back = json.loads(text)
    assert back["unit"] == 1.0 and back["tolerance"] == 2.0 and back["span"] == [0.0, 290.0]
    assert {"time_unit", "events", "unit_matrices", "event_matrices", "notes", "boris"} <= set(back)
    assert back["coded_s"] == [300.0, 290.0] and back["coverage"] == pytest.approx(290 / 300)
    assert back["notes"][0]["key"] == "agreement.unequal_lengths"
    assert "290" in back["notes"][0]["message"]
    m = back["event_matrices"][0]
    assert m["labels_a"][-1] == "∅" and len(m["counts"]) == len(m["labels_a"])
    assert -1 <= back["boris"]["kappa"] <= 1


# --------------------------------------------------------------------------- properties


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), unit=st.sampled_from([0.5, 1.0, 2.0]))
def test_identical_observations_agree_perfectly(seed: int, unit: float) -> None:
    a = simulate_observation(duration_s=120.0, n_events=60, seed=seed)
    r = compare(a, a.assign(observer="other", observation_id="x2"), unit=unit)
    kappas = r.time_unit["kappa"].to_numpy(dtype=float)
    assert np.all(np.isclose(kappas, 1.0) | (np.isnan(kappas) & (r.time_unit["p_o"] == 1.0)))
    assert (r.time_unit["p_o"] == 1.0).all()
    assert (r.events["f1"] == 1.0).all() and (r.events["matches"] == r.events["events_a"]).all()
    assert r.disagreements.empty


@st.composite
def _observation(draw: st.DrawFn) -> pd.DataFrame:
    # states kept inside [5, 90) of a 100 s session, so a shift of < 1 s moves nothing out of the span
    bounds = sorted(
        draw(st.lists(st.floats(5, 90).map(lambda x: round(x, 3)), min_size=2, max_size=12, unique=True))
    )
    cues = draw(
        st.lists(
            st.sampled_from(["G_EYE", "G_AWAY", "G_DOWN"]), min_size=len(bounds) - 1, max_size=len(bounds) - 1
        )
    )
    rows = [
        ("client", "GAZE", c, "state", s, e) for c, s, e in zip(cues, bounds[:-1], bounds[1:], strict=True)
    ]
    points = draw(st.lists(st.floats(5, 90).map(lambda x: round(x, 3)), max_size=8))
    rows += [
        ("client", "POINT", draw(st.sampled_from(["P_NOD", "P_SIGH"])), "point", t, math.nan) for t in points
    ]
    return _ev(rows, duration=100.0)


@settings(max_examples=40, deadline=None)
@given(_observation(), st.floats(-0.99, 0.99))
def test_shift_below_tolerance_keeps_event_agreement_perfect(events: pd.DataFrame, shift: float) -> None:
    moved = events.assign(start_s=events["start_s"] + shift, end_s=events["end_s"] + shift)
    r = compare(events, moved)
    assert (r.events["f1"] == 1.0).all()
    assert (r.events["precision"] == 1.0).all() and (r.events["recall"] == 1.0).all()
    assert r.events["onset_mean"].to_numpy() == pytest.approx(abs(shift), abs=1e-9)
    kappa = r.events["kappa"].to_numpy(dtype=float)
    assert np.all(np.isclose(kappa, 1.0) | np.isnan(kappa))


# --------------------------------------------------------------------------- bad input


def test_one_observer_only() -> None:
    with pytest.raises(InvalidInput) as err:
        compare(_ev(GAZE), None)
    assert err.value.key == "agreement.one_observer"


def test_observation_without_events() -> None:
    with pytest.raises(InvalidInput) as err:
        compare(_ev(GAZE, observer="ana"), _ev([], observer="budi"))
    assert err.value.key == "agreement.no_events_observation"


def test_frames_must_hold_one_observation_of_one_session() -> None:
    two = pd.concat([_ev(GAZE, observation_id="o1"), _ev(GAZE, observation_id="o2")])
    with pytest.raises(InvalidInput) as err:
        compare(two, _ev(GAZE))
    assert err.value.key == "agreement.several_observations" and err.value.params["count"] == 2
    with pytest.raises(InvalidInput) as err:
        compare(_ev(GAZE, session="K01-S01"), _ev(GAZE, session="K01-S02"))
    assert err.value.key == "agreement.different_sessions"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"unit": 0.0}, "agreement.bad_unit"),
        ({"unit": float("nan")}, "agreement.bad_unit"),
        ({"tolerance": -1.0}, "agreement.bad_tolerance"),
        ({"point_tolerance": float("inf")}, "agreement.bad_tolerance"),
        ({"unit": 60.0}, "agreement.span_too_short"),
    ],
)
def test_bad_parameters(kwargs: dict, key: str) -> None:
    with pytest.raises(InvalidInput) as err:
        compare(_ev(GAZE), _ev(GAZE), **kwargs)
    assert err.value.key == key


def test_missing_columns() -> None:
    with pytest.raises(InvalidInput) as err:
        compare(_ev(GAZE).drop(columns=["kind"]), _ev(GAZE))
    assert err.value.key == "agreement.missing_columns"


def test_unequal_coded_extents_use_the_common_span_and_say_so() -> None:
    r = compare(_ev(GAZE, duration=10.0), _ev(GAZE, duration=10.0, coded_s=8.0))
    assert r.span == (0.0, 8.0) and r.n_units == 8
    (note,) = r.notes
    assert note.key == "agreement.unequal_lengths" and note.params["span"] == 8.0
    assert "8.0" in note.message("id")


def test_no_events_in_a_channel_gives_a_partial_result_that_says_so() -> None:
    a = _ev(GAZE + [("client", "TRUNK", "T_FWD", "state", 0.0, 10.0)], observer="ana")
    b = _ev(GAZE, observer="budi")
    r = compare(a, b)
    trunk = r.time_unit[r.time_unit["channel"] == "TRUNK"].iloc[0]
    assert trunk["reason"] == "agreement.reason.no_events_b" and trunk["events_b"] == 0
    assert trunk["p_o"] == 0.0  # budi's TRUNK is NV throughout
    gaze = r.time_unit[r.time_unit["channel"] == "GAZE"].iloc[0]
    assert gaze["kappa"] == 1.0 and pd.isna(gaze["reason"])
    notes = [n for n in r.notes if n.key == "agreement.no_events_series"]
    assert len(notes) == 1 and notes[0].params["observer"] == "budi" and "TRUNK" in notes[0].message()
    ev = r.events[r.events["channel"] == "TRUNK"].iloc[0]
    assert ev["only_a"] == 1 and ev["reason"] == "agreement.reason.no_events_b"
    assert math.isnan(ev["precision"]) and ev["recall"] == 0.0 and ev["f1"] == 0.0


def test_different_scheme_versions_compare_shared_cues_and_report_the_rest() -> None:
    a = _ev(GAZE + [("client", "POINT", "P_NOD", "point", 2.0, math.nan)], scheme_version="1")
    b_rows = [
        GAZE[0],
        ("client", "GAZE", "G_PHONE", "state", 4.0, 7.0),  # a cue only version 2 has
        GAZE[2],
        ("client", "POINT", "P_NOD", "point", 2.2, math.nan),
        ("client", "POINT", "P_WINK", "point", 5.0, math.nan),
    ]
    b = _ev(b_rows, scheme_version="2")
    unchecked = compare(a, b)
    assert unchecked.notes[0].key == "agreement.scheme_mismatch_unchecked"
    shared = {"G_EYE", "G_AWAY", "G_DOWN", "G_NV", "P_NOD"}
    r = compare(a, b, cues=shared)
    assert r.cues_left_out == ("G_PHONE", "P_WINK")
    note = r.notes[0]
    assert note.key == "agreement.scheme_mismatch" and "G_PHONE, P_WINK" in note.message()
    gaze = r.time_unit[r.time_unit["channel"] == "GAZE"].iloc[0]
    # the 3 units B coded G_PHONE are left out rather than counted as disagreement
    assert gaze["n_units"] == 7 and gaze["p_o"] == 1.0
    assert "P_WINK" not in set(r.time_unit["cue"])


def test_same_observation_on_both_sides_is_flagged() -> None:
    ev = _ev(GAZE, observation_id="o1")
    assert compare(ev, ev).notes[0].key == "agreement.same_observation"


# --------------------------------------------------------------------------- more than two observers


def test_alpha_by_channel_equals_krippendorff_package() -> None:
    a = simulate_observation(duration_s=120.0, n_events=60, seed=3)
    frames = [a, second_observer(a, seed=4, jitter_s=1.0), second_observer(a, seed=5, confusion=0.2)]
    out = alpha_by_channel(frames, unit=1.0)
    assert (out["n_observers"] == 3).all()
    mids = np.arange(120) + 0.5
    for channel in ("GAZE", "FACE"):
        codes = []
        for f in frames:
            s = f[(f["subject"] == "client") & (f["channel"] == channel)]
            idx = np.searchsorted(s["start_s"].to_numpy(), mids, side="right") - 1
            codes.append(s["cue"].to_numpy()[np.maximum(idx, 0)])
            codes[-1] = np.where(idx < 0, f"{channel[0]}_NV", codes[-1])
        labels = {c: i for i, c in enumerate(sorted(set(np.concatenate(codes))))}
        data = np.array([[labels[c] for c in row] for row in codes], dtype=float)
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        got = out[(out["subject"] == "client") & (out["channel"] == channel) & (out["cue"] == "")]["alpha"]
        assert float(got.iloc[0]) == pytest.approx(expected, abs=1e-9)


def test_alpha_needs_two_observers() -> None:
    with pytest.raises(InvalidInput) as err:
        alpha_by_channel([_ev(GAZE)])
    assert err.value.key == "agreement.alpha_two_observers"


# --------------------------------------------------------------------------- messages


def test_every_message_key_is_in_the_catalogue_in_both_languages() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.glob("*.py"))
    keys = set(re.findall(r'"(agreement\.[a-z_.]+[a-z_])"', source))
    keys |= {
        f"agreement.verdict.{v}"
        for v in ("undefined", "insufficient", "below_training", "training", "research")
    }
    keys |= {f"agreement.icc_band.{v}" for v in ("undefined", "poor", "moderate", "good", "excellent")}
    keys |= {f"agreement.alpha_band.{v}" for v in ("undefined", "reliable", "tentative", "unreliable")}
    messages = catalog()
    assert len(keys) > 30
    for key in keys:
        assert key in messages, key
        assert messages[key].get("en") and messages[key].get("id"), key


def test_compare_observers_picks_two_observers_of_one_session() -> None:
    both = pd.concat([_ev(GAZE, observer="ana"), _ev(GAZE[:2], observer="budi"), _ev(GAZE, observer="cici")])
    r = compare_observers(both, "ana", "budi", unit=0.5)
    assert (r.observer_a, r.observer_b, r.unit) == ("ana", "budi", 0.5)
    with pytest.raises(InvalidInput) as err:
        compare_observers(both, "ana", "dodi")
    assert err.value.key == "agreement.observer_not_found" and "budi, cici" in str(err.value)
    with pytest.raises(InvalidInput) as err:
        compare_observers(both, "ana", "ana")
    assert err.value.key == "agreement.one_observer"
