"""Resistance episodes, rate per 10 min and referral flag (DOMAIN §4)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from observe.analysis.resistance import (
    ReferralParams,
    referral_flag,
    resistance_episodes,
    resistance_sessions,
)
from observe.errors import InvalidInput
from observe.i18n import catalog, t
from tests.analysis._events import client_valences, frame, point, process, state


def _session() -> pd.DataFrame:
    rows = [
        process("R1_FORMAL", 0, 120),
        process("R2_SILENT", 100, 160),  # overlaps R1 by 20 s: counted once
        {**process("R2_SILENT", 500, 0), "end_s": np.nan},  # still running: closes at 600
        point("R3_REFUSE", 200),
        point("R3_ARGUE", 210),
        point("P_NOD", 220),
        process("D_DISCLOSE", 300, 390),
        process("D_STRENGTH", 400, 430),
        point("CR_TOPIC", 205, subject="counselor"),
        point("CR_TOPIC", 215, subject="counselor"),
        point("CR_PARENT", 230, subject="counselor"),
        state("A_CROSS", 0, 300),
        state("A_OPEN", 300, 600),
    ]
    return frame(rows, duration=600.0, client="K1", session_number=1)


def test_rate_components_by_hand() -> None:
    r = resistance_sessions(_session()).iloc[0]
    # R1 ∪ R2 = [0,160) + [500,600) = 260 s; N_R3 = 2; T_obs = 10 min
    assert r["r12_min"] == pytest.approx(260 / 60)
    assert r["n_r3"] == 2
    assert r["rr_per_10min"] == pytest.approx(10 * (2 + 260 / 60) / 10)
    assert r["disclosure_min"] == pytest.approx(1.5) and r["strengths_min"] == pytest.approx(0.5)
    assert (r["CR_TOPIC"], r["CR_PARENT"], r["CR_MOTIV"], r["responses_tried"]) == (2, 1, 0, 1)
    assert r["client"] == "K1" and r["reason"] == ""


def test_sessions_without_resistance_have_zero_rate_not_missing() -> None:
    ev = pd.concat([_session(), frame([state("G_EYE", 0, 300)], session="S2", duration=300.0, client="K1")])
    r = resistance_sessions(ev).set_index("session")
    assert r.loc["S2", "rr_per_10min"] == 0 and r.loc["S2", "reason"] == ""


def test_no_observed_time_gives_reason() -> None:
    ev = frame([point("R3_REFUSE", 0)], duration=0.0)
    r = resistance_sessions(ev).iloc[0]
    assert math.isnan(r["rr_per_10min"]) and r["reason"] == "analysis.resistance.no_observed_time"
    with pytest.raises(InvalidInput):
        resistance_sessions(ev.iloc[0:0])


def test_episodes_with_closed_states() -> None:
    ep = resistance_episodes(_session(), valences=client_valences())
    assert ep["type"].tolist() == ["R1", "closed", "R2", "R3", "R3", "R2"]
    assert ep["end_s"].iloc[-1] == 600  # running state closed at the session end
    assert ep.loc[ep["type"] == "closed", "cue"].tolist() == ["A_CROSS"]
    assert "closed" not in set(resistance_episodes(_session())["type"])


# --------------------------------------------------------------------------- referral flag


def _client(
    rr: list[float], oi: list[float], share: float = 0.8, tried: tuple[str, ...] = ("CR_TOPIC", "CR_MOTIV")
):
    n = len(rr)
    res = pd.DataFrame({"session_number": range(1, n + 1), "rr_per_10min": rr})
    for cue in ("CR_TOPIC", "CR_MOTIV", "CR_LOWER", "CR_RAISE", "CR_STRENGTH"):
        res[cue] = [1 if cue in tried and i == n - 1 else 0 for i in range(n)]
    ois = pd.DataFrame({"session_number": range(1, n + 1), "oi": oi, "share_defined": share})
    return res, ois


def test_flag_raised_with_reasons_in_both_languages() -> None:
    flag = referral_flag(*_client([1.0, 3.5, 4.0, 3.0], [0.3, 0.1, 0.1, 0.05]))
    assert flag.raised and flag.status == "raised"
    assert flag.sessions == (2, 3, 4)
    assert all(flag.conditions.values())
    keys = [r.key for r in flag.reasons]
    assert keys[0] == "analysis.referral.raised" and "analysis.referral.involve_parents" not in keys
    for lang in ("en", "id"):
        text = flag.text(lang)
        assert "alih tangan kasus" in text and not re.search(r"\{\w+\}", text)
    assert "3 sessions" in flag.text("en")


def test_abk_adds_involve_parents_first() -> None:
    flag = referral_flag(*_client([4.0, 4.0, 4.0], [0.1, 0.1, 0.1]), special_needs=True)
    assert flag.reasons[1].key == "analysis.referral.involve_parents"
    assert "parents first" in flag.text("en") and "orang tua" in flag.text("id")


@pytest.mark.parametrize(
    ("rr", "oi", "share", "tried", "failed"),
    [
        ([4.0, 2.9, 4.0], [0.1, 0.1, 0.1], 0.8, ("CR_TOPIC", "CR_MOTIV"), "resistance"),
        ([4.0, 4.0, 4.0], [0.1, 0.2, 0.3], 0.8, ("CR_TOPIC", "CR_MOTIV"), "no_improvement"),
        ([4.0, 4.0, 4.0], [0.1, 0.1, 0.1], 0.8, ("CR_TOPIC",), "responses"),
        ([4.0, 4.0, 4.0], [0.1, 0.1, 0.1], 0.4, ("CR_TOPIC", "CR_MOTIV"), "coverage"),
    ],
)
def test_each_condition_can_block_the_flag(rr, oi, share, tried, failed) -> None:  # type: ignore[no-untyped-def]
    flag = referral_flag(*_client(rr, oi, share, tried))
    assert flag.status == "not_raised" and not flag.raised
    assert [k for k, v in flag.conditions.items() if not v] == [failed]
    assert flag.reasons[1].key == f"analysis.referral.cond.{failed}"


def test_flag_thresholds_are_configurable() -> None:
    args = _client([2.0, 2.0, 2.0], [0.1, 0.1, 0.1])
    assert not referral_flag(*args).raised
    assert referral_flag(*args, params=ReferralParams(rho=2.0)).raised
    assert referral_flag(*_client([4.0, 4.0], [0.1, 0.1]), params=ReferralParams(n_sessions=2)).raised


def test_flag_not_enough_data() -> None:
    few = referral_flag(*_client([5.0, 5.0], [0.1, 0.1]))
    assert few.status == "not_enough_data" and few.reasons[0].params == {"have": 2, "need": 3}
    missing_oi = referral_flag(*_client([5.0, 5.0, 5.0], [0.1, np.nan, 0.1]))
    assert missing_oi.status == "not_enough_data"
    assert missing_oi.reasons[0].key == "analysis.referral.unknown.no_improvement"
    with pytest.raises(InvalidInput):
        ReferralParams(n_sessions=1)


def test_flag_from_events_end_to_end() -> None:
    from observe.analysis.openness import OpennessParams, openness_sessions

    def client_sessions(silences: list[float]) -> pd.DataFrame:
        parts = []
        for i, silent in enumerate(silences, start=1):
            rows = [process("R2_SILENT", 0, silent)] + [
                state(c, 0, 600) for c in ("G_AWAY", "T_BACK", "A_CROSS")
            ]
            rows += [point("CR_MOTIV", 30, subject="counselor"), point("CR_LOWER", 40, subject="counselor")]
            parts.append(frame(rows, session=f"S{i}", duration=600.0, client="K1", session_number=i))
        return pd.concat(parts, ignore_index=True)

    p = OpennessParams(n_boot=0)
    # R2 for 200, 240, 300 s of 10 min → RR = 3.3, 4, 5 per 10 min; OI = −1 throughout (slope 0)
    ev = client_sessions([200, 240, 300])
    assert referral_flag(resistance_sessions(ev), openness_sessions(ev, client_valences(), params=p)).raised
    # RR = 1, 2, 3: only the last session reaches ρ = 3
    ev = client_sessions([60, 120, 180])
    flag = referral_flag(resistance_sessions(ev), openness_sessions(ev, client_valences(), params=p))
    assert flag.status == "not_raised" and flag.conditions["resistance"] is False


def test_all_reason_keys_are_translated() -> None:
    keys = {k for k in catalog() if k.startswith(("analysis.referral", "analysis.resistance"))}
    assert len(keys) >= 10
    for key in keys:
        assert catalog()[key]["id"] and catalog()[key]["id"] != catalog()[key]["en"]
        assert t(key, "id") != key
