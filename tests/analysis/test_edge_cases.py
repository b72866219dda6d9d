"""DOMAIN §9, one meaning everywhere: one golden test per rule, each running every analysis the
rule touches on one small hand-computed example, so a new analysis cannot disagree.

The expected numbers are computed by hand in the comments (DOMAIN §3–§6 formulas).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from observe.analysis.agreement import alpha_by_channel, compare
from observe.analysis.cooccurrence import cooccurrence
from observe.analysis.intervals import sample_states_at_midpoints
from observe.analysis.openness import openness, openness_sessions, openness_trend, openness_windows
from observe.analysis.pooling import split_by_scheme
from observe.analysis.resistance import referral_flag, resistance_episodes, resistance_sessions
from observe.analysis.sequence import (
    contingency_stats,
    sequence_table,
    shift_test,
    transition_matrix,
    yules_q,
)
from observe.analysis.timebudget import time_budget
from observe.errors import InvalidInput
from observe.reports.agreement import openness_icc
from observe.scheme import CodingScheme, default_scheme
from tests.analysis._events import client_valences, counselor_valences, frame, point, process, state

VAL = {**client_valences(), **counselor_valences()}
GIVEN, TARGET = ("counselor", "T_FWD"), ("client", "P_NOD")
NAN = math.nan
CLIENT_OPEN = ("G_EYE", "T_UP", "A_OPEN", "F_NEUT", "S_CROSS_TO")  # valences +1, 0, +1, 0, 0


def _pair(ev: pd.DataFrame, **b_columns: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    return ev, ev.assign(observer="b", **b_columns)


#: Every analysis of observe.analysis, as a one-argument call on a tidy frame of one observation.
ANALYSES: dict[str, Callable[[pd.DataFrame], object]] = {
    "openness": lambda ev: openness(ev, VAL),
    "attending": lambda ev: openness(ev, VAL, subject="counselor"),
    "time budget": time_budget,
    "resistance rate": resistance_sessions,
    "resistance episodes": resistance_episodes,
    "sequence": lambda ev: sequence_table(ev, given=GIVEN, target=TARGET),
    "shift test": lambda ev: shift_test(ev, given=GIVEN, target=TARGET, n_perm=5, min_shift_s=5),
    "transitions": transition_matrix,
    "co-occurrence": cooccurrence,
    "time units": sample_states_at_midpoints,
    "kappa and event agreement": lambda ev: compare(*_pair(ev)),
    "alpha": lambda ev: alpha_by_channel(list(_pair(ev))),
    "ICC of openness": lambda ev: openness_icc(pd.concat(_pair(ev), ignore_index=True), VAL),
}


# --------------------------------------------------------------------------- rule 1: the closed interval [0, T]


def _rule1() -> pd.DataFrame:
    """T = 60 s. Client: five open-ish states for the whole session, a nod and a refusal at exactly T.
    Counselor: upright, then leans forward at 57 s."""
    rows = [state(c, 0, 60) for c in CLIENT_OPEN]
    rows += [point("P_NOD", 60), point("R3_REFUSE", 60)]
    rows += [state("T_UP", 0, 57, "counselor"), state("T_FWD", 57, 60, "counselor")]
    return frame(rows, duration=60.0)


def test_rule1_a_point_at_exactly_T_counts_in_every_analysis() -> None:
    ev = _rule1()
    # openness: one window [0, 60] (the last window is closed): n+ = 1 (nod), n− = 1 (refusal)
    # P = (1 − 1)/(2 + 1) = 0, c_P = 2/5 = 0.4; states Σω c O = 1 + 0 + 1 + 0 + 0 = 2 over Σω c = 5
    # OI = (2 + 0.4·0)/(5 + 0.4) = 0.370370 (without the nod: (2 − 0.1)/5.2 = 0.365)
    w = openness_windows(ev, VAL)
    assert len(w) == 1 and (w["n_pos"].iloc[0], w["n_neg"].iloc[0]) == (1, 1)
    assert w["oi"].iloc[0] == pytest.approx(2 / 5.4)
    # time budget: both points counted once in [0, 60]
    tb = time_budget(ev).set_index("cue")
    assert tb.loc["P_NOD", "count"] == 1 and tb.loc["R3_REFUSE", "count"] == 1
    # resistance: RR = 10·(N_R3 + M_R12)/T_obs = 10·(1 + 0)/1 min = 10 per 10 min
    rr = resistance_sessions(ev).iloc[0]
    assert rr["n_r3"] == 1 and rr["rr_per_10min"] == pytest.approx(10.0)
    assert resistance_episodes(ev)["start_s"].tolist() == [60.0]
    # sequence, 1 s units 0..59: G = units starting in [57, 62) → 57, 58, 59; T = the unit holding
    # the nod's onset at 60 → the last unit, 59. a = 1, b = 2, c = 0, d = 57
    row = sequence_table(ev, given=GIVEN, target=TARGET).iloc[0]
    assert (row["a"], row["b"], row["c"], row["d"]) == (1, 2, 0, 57)
    assert "client:P_NOD" in set(transition_matrix(ev)["from"]) | set(transition_matrix(ev)["to"])
    # agreement of two identical codings: the nod is present in unit 59 only (|60 − 59.5| ≤ ½),
    # and event matching pairs both points (it used to drop a point at the span end)
    r = compare(*_pair(ev))
    nod = r.time_unit.set_index("cue").loc["P_NOD"]
    assert nod["events_a"] == 1 and nod["rate_a"] == pytest.approx(1 / 60) and nod["p_o"] == 1.0
    points = r.events.set_index("channel").loc["POINT"]
    assert (points["events_a"], points["matches"], points["only_a"]) == (2, 2, 0)
    alpha = alpha_by_channel(list(_pair(ev))).set_index("cue")
    assert alpha.loc["P_NOD", "alpha"] == 1.0  # a series with one present unit: defined and perfect


@pytest.mark.parametrize("name", list(ANALYSES))
@pytest.mark.parametrize("when", [-1.0, 61.0])
def test_rule1_times_outside_0_T_are_refused_not_clamped(name: str, when: float) -> None:
    ev = pd.concat([_rule1(), frame([point("P_NOD", when)], duration=60.0)], ignore_index=True)
    with pytest.raises(InvalidInput) as err:
        ANALYSES[name](ev)
    assert err.value.key in ("analysis.bad_time", "analysis.time_beyond_session")


# --------------------------------------------------------------------------- rule 2: zero-length states


@pytest.mark.parametrize("name", list(ANALYSES))
def test_rule2_zero_length_states_are_refused_by_every_analysis(name: str) -> None:
    ev = pd.concat([_rule1(), frame([state("A_CROSS", 30, 30)], duration=60.0)], ignore_index=True)
    with pytest.raises(InvalidInput) as err:
        ANALYSES[name](ev)
    assert err.value.key == "analysis.zero_length_state"
    assert "A_CROSS" in err.value.message("en") and "A_CROSS" in err.value.message("id")
    # a state that ends where the next one starts is fine (the rule-1 counselor lane does that at 57 s)
    ANALYSES[name](_rule1())


# --------------------------------------------------------------------------- rule 3: the coded extent [0, E]


def _rule3(coded: float | None = 120.0) -> pd.DataFrame:
    """T = 600 s, coded to E = 120 s (coverage 0.2). Client: five states still running, reluctant
    silence from 60 s still running, a refusal at 30 s, nods at 90 s and at exactly E.
    Counselor: upright, then a running forward lean from 100 s."""
    rows = [state(c, 0, NAN) for c in CLIENT_OPEN]
    rows += [process("R2_SILENT", 60, NAN), point("R3_REFUSE", 30), point("P_NOD", 90), point("P_NOD", 120)]
    rows += [state("T_UP", 0, 100, "counselor"), state("T_FWD", 100, NAN, "counselor")]
    ev = frame(rows, duration=600.0)
    return ev if coded is None else ev.assign(coded_s=coded)


def test_rule3_every_analysis_runs_over_the_coded_extent_and_reports_coverage() -> None:
    ev = _rule3()
    # openness, W = 60: windows [0, 60) and [60, 120] only (not 10 windows up to T)
    # w0: n− = 1 → P = −1/2, c_P = 0.2 → OI = (2 − 0.1)/5.2 = 0.365385
    # w1: n+ = 2 (90 s and 120 s = E) → P = 2/3, c_P = 0.4 → OI = (2 + 0.26667)/5.4 = 0.419753
    # session: equal observable time → mean = 0.392569; coverage = 120/600 = 0.2 → partial
    r = openness(ev, VAL)
    assert r.windows["end_s"].tolist() == [60.0, 120.0]
    assert r.windows["oi"].tolist() == pytest.approx([1.9 / 5.2, (2 + 0.4 * 2 / 3) / 5.4])
    s = r.sessions.iloc[0]
    assert s["oi"] == pytest.approx((1.9 / 5.2 + (2 + 0.4 * 2 / 3) / 5.4) / 2)
    assert (s["length_s"], s["coded_s"], s["coverage"], s["partial"]) == (600.0, 120.0, 0.2, True)
    att = openness(ev, VAL, subject="counselor").sessions.iloc[0]
    assert (att["n_windows"], att["coverage"], att["partial"]) == (2, 0.2, True)
    # the same keyword instead of the column gives the same numbers
    assert openness(_rule3(None), VAL, coded_s=120.0).sessions["oi"].iloc[0] == pytest.approx(s["oi"])
    # time budget over [0, 120]: running states end at E and are counted as running
    tb = time_budget(ev).set_index(["subject", "cue"])
    assert tb["interval_s"].eq(120.0).all() and tb["coverage"].eq(0.2).all()
    assert tb.loc[("client", "G_EYE"), ["total_s", "share_session", "n_running"]].tolist() == [120.0, 1.0, 1]
    assert tb.loc[("client", "R2_SILENT"), "total_s"] == 60.0
    assert tb.loc[("counselor", "T_FWD"), "total_s"] == 20.0  # 100 → 120, not → 600
    assert tb.loc[("client", "P_NOD"), ["count", "rate_per_min"]].tolist() == [2, 1.0]
    # resistance: T_obs = 2 min; N_R3 = 1, M_R12 = 1 min (60 → 120) → RR = 10·2/2 = 10
    rr = resistance_sessions(ev).iloc[0]
    assert (rr["observed_min"], rr["n_r3"], rr["r12_min"], rr["rr_per_10min"]) == (2.0, 1, 1.0, 10.0)
    assert (rr["coverage"], rr["partial"]) == (0.2, True)
    ep = resistance_episodes(ev).set_index("type")
    assert ep.loc["R2", ["start_s", "end_s"]].tolist() == [60.0, 120.0]
    # sequence: 120 units; G = 100..104; T = units 90 and 119 (the nod at E) → a=0 b=5 c=2 d=113
    seq = sequence_table(ev, given=GIVEN, target=TARGET).iloc[0]
    assert (seq["a"], seq["b"], seq["c"], seq["d"], seq["coverage"]) == (0, 5, 2, 113, 0.2)
    shift = shift_test(ev, given=GIVEN, target=TARGET, n_perm=20).iloc[0]
    assert shift["q_obs"] == pytest.approx(seq["yules_q"]) and shift["n_perm"] == 20
    # co-occurrence: counselor lean × client eye contact = 100 → 120 = 20 s of the 120 coded
    co = cooccurrence(ev).set_index(["first_cue", "second_cue"]).loc[("T_FWD", "G_EYE")]
    assert (co["overlap_s"], co["share_of_session"], co["coverage"]) == (20.0, 20 / 120, 0.2)
    units = sample_states_at_midpoints(ev)
    assert units["unit"].max() == 119
    # transitions: 11 onsets up to E → 10 lag-1 pairs; a nod moved to 300 s (after E) is left out → 9
    assert transition_matrix(ev)["count"].sum() == 10
    assert transition_matrix(ev.assign(start_s=ev["start_s"].replace(90.0, 300.0)))["count"].sum() == 9


def test_rule3_agreement_compares_the_common_coded_extent() -> None:
    a = _rule3(120.0)
    # B coded the whole session and saw one more nod at 300 s, after A stopped
    b = pd.concat([_rule3(600.0), frame([point("P_NOD", 300)], duration=600.0, coded_s=600.0)])
    b = b.assign(observer="b")
    r = compare(a, b)
    assert r.span == (0.0, 120.0) and r.n_units == 120 and r.coverage == pytest.approx(0.2)
    assert r.coded_s == (120.0, 600.0) and r.to_dict()["coverage"] == pytest.approx(0.2)
    gaze = r.time_unit[(r.time_unit["subject"] == "client") & (r.time_unit["channel"] == "GAZE")].iloc[0]
    assert gaze["p_o"] == 1.0  # A's uncoded 120..600 is not compared as NV
    points = r.events.set_index("channel").loc["POINT"]
    assert (points["events_b"], points["matches"], points["only_b"]) == (3, 3, 0)  # the 300 s nod is out
    # alpha: units after A's E are missing for A, not NV: every remaining unit agrees (G_EYE), so
    # alpha has no variation to judge (undefined) instead of a large disagreement
    alpha = alpha_by_channel([a, b]).set_index(["subject", "channel", "cue"])
    assert alpha.loc[("client", "GAZE", ""), "band"] == "undefined"
    # ICC of per-window openness: A has 2 windows, B 10; only the 2 both coded are paired
    icc = openness_icc(pd.concat([a, b], ignore_index=True), VAL).set_index("subject").loc["client"]
    assert (icc["n_windows"], icc["n_dropped"]) == (2, 8)


def test_rule3_partial_sessions_stay_out_of_trends_and_the_referral_flag() -> None:
    sessions = []
    for number in (1, 2, 3, 4):
        coded = 120.0 if number == 4 else 600.0  # session 4 coded 20% only
        ev = _rule3(coded).assign(session=f"S{number}", client="K1", session_number=number)
        sessions.append(ev)
    ev = pd.concat(sessions, ignore_index=True)
    oi = openness_sessions(ev, VAL)
    assert oi.set_index("session_number")["partial"].tolist() == [False, False, False, True]
    trend = openness_trend(oi).iloc[0]
    assert (trend["n_sessions"], trend["n_partial"]) == (3, 1)
    flag = referral_flag(resistance_sessions(ev), oi)
    assert flag.sessions == (1, 2, 3) and flag.left_out == (4,)
    assert flag.reasons[-1].key == "analysis.referral.partial_left_out"


# --------------------------------------------------------------------------- rule 4: NV before the first code


def _rule4() -> tuple[pd.DataFrame, pd.DataFrame]:
    """T = 60 s. A codes eye contact from 20 s only; B from 0 s."""
    a = frame([state("G_EYE", 20, 60), point("P_NOD", 40)], duration=60.0)
    b = frame([state("G_EYE", 0, 60), point("P_NOD", 40)], duration=60.0, observer="b")
    return a, b


def test_rule4_a_channel_is_not_visible_before_its_first_code_everywhere() -> None:
    a, b = _rule4()
    # time budget: 20 s of G_NV (uncoded), 40 s of G_EYE → shares 1/3 + 2/3 = 1
    tb = time_budget(a).set_index("cue")
    assert tb.loc["G_NV", ["total_s", "filled_s"]].tolist() == [20.0, 20.0]
    assert tb.loc[["G_EYE", "G_NV"], "share_session"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert tb.loc[["G_EYE", "G_NV"], "share_session"].sum() == pytest.approx(1.0)
    assert tb.loc["G_EYE", "share_observable"] == 1.0
    # openness: the first 20 s are unobservable (coverage 2/3), not a neutral 0: O_GAZE stays +1
    w = openness_windows(a, VAL).iloc[0]
    assert (w["D_GAZE"], w["c_GAZE"], w["O_GAZE"]) == (40.0, pytest.approx(2 / 3), 1.0)
    # kappa: units 0..19 are NV for A → the same base rates as the time budget, p_o = 40/60
    r = compare(a, b)
    rates = r.base_rates[r.base_rates["channel"] == "GAZE"].set_index("code")
    assert rates["rate_a"].to_dict() == pytest.approx({"G_EYE": 2 / 3, "G_NV": 1 / 3})
    assert r.time_unit.set_index("channel").loc["GAZE", "p_o"] == pytest.approx(2 / 3)
    # the unit sampler leaves those units without a state (None = not visible for a ME&E channel)
    assert sample_states_at_midpoints(a)["cue"].isna().sum() == 20
    # sequence sensitivity: dropping units where G_NV is active drops the 20 uncoded units too
    seq = sequence_table(a, given=("client", "G_EYE"), target=TARGET, exclude=[("client", "G_NV")]).iloc[0]
    assert seq["n"] == 40
    # alpha: A's NV units disagree with B's eye contact → defined and below 1
    alpha = alpha_by_channel([a, b]).set_index("channel").loc["GAZE", "alpha"]
    assert alpha < 1.0


# --------------------------------------------------------------------------- rule 5: zero cells


def test_rule5_q_and_or_come_from_the_same_corrected_table() -> None:
    # a = 0, b = 5, c = 2, d = 113 (the rule-3 tally): add 0.5 to every cell for Q and OR alike
    # OR = 0.5·113.5/(5.5·2.5) = 4.127273; Q = (OR − 1)/(OR + 1) = 0.609929 (raw Q would be −1)
    s = contingency_stats(0, 5, 2, 113)
    assert s.odds_ratio == pytest.approx(0.5 * 113.5 / (5.5 * 2.5))
    assert s.yules_q == pytest.approx((s.odds_ratio - 1) / (s.odds_ratio + 1))
    assert s.corrected and not s.interpretable  # a + c = 2 < 5
    # a = b = c = 0, d = 359: OR = 0.5·359.5/0.25 = 719, Q = 718/720; not interpretable
    e = contingency_stats(0, 0, 0, 359)
    assert (e.odds_ratio, e.yules_q, e.interpretable) == (
        pytest.approx(719.0),
        pytest.approx(718 / 720),
        False,
    )
    # no zero cell: nothing added (DOMAIN §5 worked example)
    assert contingency_stats(25, 175, 35, 1565).yules_q == pytest.approx(33000 / 45250)
    # the same rule in the per-session table, the shift test's observed and permuted Q, and pooling
    ev = _rule3()
    row = sequence_table(ev, given=GIVEN, target=TARGET).iloc[0]
    assert row["yules_q"] == pytest.approx(s.yules_q) and row["odds_ratio"] == pytest.approx(s.odds_ratio)
    assert shift_test(ev, given=GIVEN, target=TARGET, n_perm=10).iloc[0]["q_obs"] == pytest.approx(s.yules_q)
    cells = np.array([[0, 5, 2, 113], [0, 0, 0, 359], [3, 0, 4, 50], [25, 175, 35, 1565]])
    vector = yules_q(*cells.T)
    for (a, b, c, d), q in zip(cells, vector, strict=True):
        one = contingency_stats(int(a), int(b), int(c), int(d))
        assert q == pytest.approx(one.yules_q) == pytest.approx((one.odds_ratio - 1) / (one.odds_ratio + 1))
        assert np.sign(one.yules_q) == np.sign(math.log(one.odds_ratio))

    from observe.reports.cue_patterns import _pool

    pooled = _pool(sequence_table(ev, given=GIVEN, target=TARGET).assign(p_value=NAN), "g", "t")
    assert pooled["pooled_q"] == pytest.approx(s.yules_q) and pooled["pooled_or"] == pytest.approx(
        s.odds_ratio
    )


# --------------------------------------------------------------------------- rule 6: pooling by scheme


def _other_scheme(**changes: object) -> CodingScheme:
    data = default_scheme().to_dict()
    data.update(name="boris_import", **changes)
    return CodingScheme.from_dict(data)


def test_rule6_pooling_keeps_only_schemes_with_the_same_cues_and_valences() -> None:
    ref = default_scheme()
    cues = ref.to_dict()["cues"]
    without_nod = _other_scheme(cues=[c for c in cues if c["code"] != "P_NOD"])
    flipped = _other_scheme(cues=[{**c, "valences": {**c["valences"], "client": -1.0}}
                                  if c["code"] == "P_NOD" else c for c in cues])  # fmt: skip
    same = _other_scheme()
    kept, left = split_by_scheme(
        [("S1", "ani", ref), ("S2", "ani", without_nod), ("S3", "ani", flipped), ("S4", "ani", same)],
        [GIVEN, TARGET],
        ref,
    )
    assert kept == ["S1", "S4"]  # another name with the same cues and valences pools fine
    assert [(x.session, x.key) for x in left] == [
        ("S2", "analysis.pooling.missing_cue"),
        ("S3", "analysis.pooling.other_valence"),
    ]
    assert "client:P_NOD" in left[0].message("en") and "+1" in left[1].message("id")
