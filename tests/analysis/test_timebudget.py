"""Time budget: BORIS's own expected values, the mHMMbayes 1 Hz data, properties, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observe.analysis.timebudget import time_budget
from observe.errors import InvalidInput
from tests.analysis._events import frame, point, state
from tests.conftest import shared_fixtures

# --------------------------------------------------------------------------- BORIS (EXPECTED.md §3)


def boris_events(observation: str) -> pd.DataFrame:
    """Tidy frame from a BORIS project observation: state codes toggle START/STOP per (subject, code, modifier)."""
    project = json.loads((shared_fixtures() / "boris" / "test.boris").read_text())
    kinds = {b["code"]: b["type"] for b in project["behaviors_conf"].values()}
    rows, open_states = [], {}
    for time, subject, code, modifier, *_ in project["observations"][observation]["events"]:
        subject = subject or "No focal subject"
        if kinds[code] == "Point event":
            rows.append(
                {
                    "subject": subject,
                    "cue": code,
                    "kind": "point",
                    "start_s": time,
                    "end_s": np.nan,
                    "modifiers": modifier,
                }
            )
        elif (subject, code, modifier) in open_states:
            rows[open_states.pop((subject, code, modifier))]["end_s"] = time
        else:
            open_states[(subject, code, modifier)] = len(rows)
            rows.append(
                {
                    "subject": subject,
                    "cue": code,
                    "kind": "state",
                    "start_s": time,
                    "end_s": np.nan,
                    "modifiers": modifier,
                }
            )
    df = pd.DataFrame(rows)
    df.insert(0, "session", observation)
    df.insert(1, "observer", "boris")
    df["channel"] = "X"
    df["duration_s"] = 1000.0
    return df


def boris_cases() -> list[dict]:
    return json.loads((shared_fixtures() / "boris" / "time_budget_cases.json").read_text())


def _r3(x: float) -> float | str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 3)


FIELDS = {"duration": "total_s", "duration_mean": "mean_s", "duration_stdev": "sd_s", "number": "count",
          "inter_duration_mean": "iei_mean_s", "inter_duration_stdev": "iei_sd_s"}  # fmt: skip


@pytest.mark.parametrize("case", ["test_time_budget1", "test_time_budget3", "test_time_budget5"])
def test_reproduces_boris_time_budget(case: str) -> None:
    spec = next(c for c in boris_cases() if c["test"] == case)
    p = spec["parameters"]
    ev = boris_events(spec["observations"][0])
    wanted = [(s, b) for s in p["selected subjects"] for b in p["selected behaviors"]]
    tb = time_budget(
        ev, start_s=p["start time"], end_s=p["end time"], cues=wanted, modifiers=p["include modifiers"]
    )
    for exp in spec["expected"]:
        rows = tb[(tb["subject"] == exp["subject"]) & (tb["cue"] == exp["behavior"])]
        if p["include modifiers"] and exp["modifiers"]:
            rows = rows[rows["modifiers"] == exp["modifiers"]]
        assert len(rows) == 1, exp
        got = rows.iloc[0]
        for field, col in FIELDS.items():
            want = exp[field]
            want = int(want) if field == "number" else want
            assert _r3(got[col]) == want, (case, exp["subject"], exp["behavior"], field)


def test_boris_time_budget2_uses_the_rerun_value() -> None:
    # EXPECTED.md: BORIS's test says 0.0, BORIS 9.12.3 returns 1.575 (points at 314.490 and 316.065);
    # the points fall outside the nominal 0-100 s, so take the whole observation here
    tb = time_budget(boris_events("observation #2"), cues=[("subject2", "p")])
    row = tb.iloc[0]
    assert row["count"] == 2 and _r3(row["iei_mean_s"]) == 1.575 and math.isnan(row["iei_sd_s"])
    assert math.isnan(row["total_s"])  # points have no duration (BORIS "NA", not 0)


def test_boris_time_budget4_points() -> None:
    # the unpaired state is "UNPAIRED" in BORIS; here it runs to the end, so only the points are compared
    tb = time_budget(boris_events("live not paired"), start_s=0, end_s=26.862)
    p = tb[tb["cue"] == "p"].iloc[0]
    assert (p["count"], _r3(p["iei_mean_s"]), _r3(p["iei_sd_s"])) == (5, 3.272, 0.309)


# --------------------------------------------------------------------------- real 1 Hz data (mHMMbayes)


def mhmm_events(dyad: int) -> pd.DataFrame:
    """Runs of equal codes in the 1 Hz rows as states; row k covers [k−1, k) (fixture README)."""
    data = pd.read_csv(shared_fixtures() / "mhmm" / "nonverbal.csv")
    d = data[data["dyad_id"] == dyad].sort_values("time_s")
    rows = []
    for col, subject, channel in [("patient_looking_label", "client", "GAZE"), ("therapist_looking_label", "counselor", "GAZE"),
                                  ("patient_vocalizing_label", "client", "VOICE"), ("therapist_vocalizing_label", "counselor", "VOICE")]:  # fmt: skip
        codes = d[col].to_numpy()
        change = np.r_[True, codes[1:] != codes[:-1]]
        starts = np.flatnonzero(change)
        ends = np.r_[starts[1:], len(codes)]
        for s, e in zip(starts, ends, strict=True):
            rows.append(
                {
                    "subject": subject,
                    "channel": channel,
                    "cue": codes[s],
                    "kind": "state",
                    "start_s": float(s),
                    "end_s": float(e),
                }
            )
    return frame(rows, session=f"dyad{dyad}", duration=float(len(d)))


@pytest.mark.parametrize("dyad", [1, 8])
def test_mhmm_counts_match_r(dyad: int) -> None:
    counts = (
        pd.read_csv(shared_fixtures() / "mhmm" / "nonverbal_per_dyad_counts.csv")
        .set_index("dyad_id")
        .loc[dyad]
    )
    tb = time_budget(mhmm_events(dyad)).set_index(["subject", "channel", "cue"])
    # seconds per code = rows per code (R table()); speaking bouts = R rle() runs of code 2
    assert tb.loc[("client", "GAZE", "looking"), "total_s"] == counts["p_look_2"]
    assert tb.loc[("counselor", "VOICE", "back_channeling"), "total_s"] == counts["t_voc_3"]
    assert tb.loc[("client", "VOICE", "speaking"), "count"] == counts["p_speak_bouts"]
    assert tb.loc[("counselor", "VOICE", "speaking"), "count"] == counts["t_speak_bouts"]
    assert tb.xs(("client", "VOICE"), level=["subject", "channel"])["total_s"].sum() == counts["n"]


# --------------------------------------------------------------------------- properties


@st.composite
def me_e_channel(draw: st.DrawFn) -> tuple[pd.DataFrame, float]:
    n = draw(st.integers(1, 12))
    bounds = sorted(draw(st.lists(st.floats(0.5, 500), min_size=n, max_size=n, unique=True)))
    cues = draw(
        st.lists(st.sampled_from(["G_EYE", "G_AWAY", "G_DOWN", "G_NV"]), min_size=n + 1, max_size=n + 1)
    )
    edges = [0.0, *bounds]
    length = bounds[-1] + draw(st.floats(0.5, 100))
    rows = [state(cues[i], edges[i], edges[i + 1]) for i in range(n)]
    rows.append({**state(cues[n], edges[n], 0), "end_s": np.nan})  # last state runs to the end
    return frame(rows, duration=length), length


@settings(max_examples=60, deadline=None)
@given(me_e_channel())
def test_me_e_channel_durations_add_up_to_observed_time(case: tuple[pd.DataFrame, float]) -> None:
    ev, length = case
    tb = time_budget(ev)
    assert tb["total_s"].sum() == pytest.approx(length)
    visible = tb[~tb["cue"].str.endswith("_NV")]
    if len(visible):
        assert visible["share_observable"].sum() == pytest.approx(1.0)
    assert tb["share_session"].sum() == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(me_e_channel(), st.floats(0, 200), st.floats(1, 300))
def test_clipped_interval_adds_up_too(case: tuple[pd.DataFrame, float], a: float, width: float) -> None:
    ev, length = case
    b = min(a + width, length)
    if b <= a:
        return
    tb = time_budget(ev, start_s=a, end_s=b)
    assert tb["total_s"].sum() == pytest.approx(b - a)


# --------------------------------------------------------------------------- bad input and details


def test_points_and_zero_length_states() -> None:
    ev = frame([point("P_NOD", 5), point("P_NOD", 9), point("P_NOD", 20), state("A_OPEN", 0, 60)])
    tb = time_budget(ev).set_index("cue")
    assert tb.loc["P_NOD", "count"] == 3 and tb.loc["P_NOD", "iei_mean_s"] == pytest.approx(7.5)
    assert tb.loc["P_NOD", "rate_per_min"] == pytest.approx(3.0)
    assert math.isnan(tb.loc["P_NOD", "share_observable"])
    assert tb.loc["A_OPEN", "share_observable"] == 1.0
    # DOMAIN §9.2: a zero-length state is refused, not counted apart
    with pytest.raises(InvalidInput) as err:
        time_budget(frame([state("A_CROSS", 3, 3), state("A_OPEN", 0, 60)]))
    assert err.value.key == "analysis.zero_length_state"


def test_requested_but_never_coded_cue_gets_a_zero_row() -> None:
    tb = time_budget(frame([state("G_EYE", 0, 60)]), cues=[("client", "G_EYE"), ("client", "G_OLD")])
    row = tb.set_index("cue").loc["G_OLD"]
    assert row["count"] == 0 and math.isnan(row["total_s"])


def test_bad_input() -> None:
    ev = frame([state("G_EYE", 0, 60)])
    with pytest.raises(InvalidInput):
        time_budget(ev.iloc[0:0])
    with pytest.raises(InvalidInput) as err:
        time_budget(ev, start_s=10, end_s=5)
    assert err.value.key == "analysis.timebudget.bad_interval"
    with pytest.raises(InvalidInput):
        time_budget(ev.drop(columns=["cue"]))
