"""The dashboards service layer on the demo workspace and on hand-built sessions.

Golden values come from DOMAIN.md (§3 openness worked example, §5 sequential worked example),
run through the whole path store → valences → analysis; the demo stories (K01 opens up,
K02 reaches the referral flag, K03 has the special-needs profile) are checked as stories.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from observe import charts
from observe.analysis.openness import OpennessParams, openness
from observe.analysis.resistance import ReferralParams
from observe.cli import main
from observe.errors import InvalidInput, NotFound
from observe.interop.exports import Selection, export_file
from observe.model import Observation, make_event
from observe.reports import dashboards as d
from observe.scheme import CodingScheme
from observe.store import Store

FAST = OpennessParams(n_boot=200)


@pytest.fixture(scope="module")
def demo_path(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dash") / "demo.db"
    shutil.copy(demo_workspace, path)  # the demo workspace, without videos (no dashboard reads one)
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Store:
    return Store.open(str(demo_path))


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path) -> Store:
    copy = tmp_path / "copy.db"
    shutil.copy(demo_path, copy)
    return Store.open(str(copy))


def _session_with(events: list[tuple], duration: float) -> tuple[Store, str]:
    """A fresh in-memory workspace with one session coded by ``obs`` with these events."""
    store = Store.open("sqlite://")
    store.add_client("K1")
    store.add_counselor("C1")
    session = store.add_session("K1", "C1", date=dt.date(2026, 1, 5), duration_s=duration)
    obs = store.open_observation(session.code, "obs")
    scheme = store.scheme()
    store.import_events(obs.id, [make_event(scheme, *e) for e in events])
    return store, session.code


# -- the demo stories ------------------------------------------------------------------------------------------------


def test_k02_reaches_the_referral_flag(demo: Store) -> None:
    p = d.client_progress(demo, "K02", FAST)
    assert p.referral.status == "raised"
    assert all(p.referral.conditions.values())
    assert "alih tangan kasus" in p.referral.text("id")
    assert (p.sessions["rr_per_10min"] >= 3).all()


def test_k01_opens_up(demo: Store) -> None:
    p = d.client_progress(demo, "K01", FAST)
    assert p.trend["slope"] > 0 and p.trend["ci_low"] > 0
    assert p.referral.status == "not_raised"
    assert p.sessions["delta_first"].iloc[-1] > 0
    assert list(p.sessions["session_number"]) == [1, 2, 3, 4, 5, 6]


def test_k03_uses_the_special_needs_profile(demo: Store) -> None:
    review = d.session_review(demo, "K03-S02", params=FAST)
    assert review.profile == "special_needs"
    assert review.valences[("client", "G_AWAY")] == 0.0  # gaze aversion is not closure for this child
    assert review.valences[("counselor", "G_AWAY")] == -1.0  # counselor valences stay
    # the same events with the default profile: G_AWAY counts as closed, so openness is lower
    default = {**review.valences, ("client", "G_AWAY"): -1.0, ("client", "G_DOWN"): -1.0,
               ("client", "P_LOOKAWAY_Q"): -1.0}  # fmt: skip
    plain = openness(review.events, default, params=FAST).sessions["oi"].iloc[0]
    assert (review.events["cue"] == "G_AWAY").any()
    assert review.index["oi"] > plain


def test_a_client_override_changes_the_index(demo_copy: Store) -> None:
    before = d.client_progress(demo_copy, "K01", FAST)
    demo_copy.update_client("K01", valence_overrides={"A_CROSS": 1.0})
    after = d.client_progress(demo_copy, "K01", FAST)
    assert after.valence_hash != before.valence_hash
    assert (after.sessions["oi"] > before.sessions["oi"]).all()  # crossed arms now count as open


def test_counselor_view_pairs_windows_and_correlates(demo: Store) -> None:
    v = d.counselor_view(demo, "C01", FAST)
    assert set(v.sessions["client"]) == {"K01", "K03"}
    one = v.windows[v.windows["session"] == "K01-S02"].dropna(subset=["attending", "oi"])
    r = np.corrcoef(one["attending"], one["oi"])[0, 1]
    row = v.sessions.set_index("session").loc["K01-S02"]
    assert row["r_same"] == pytest.approx(r)
    assert row["n_same"] == len(one) == 15


def test_data_version_changes_with_a_new_event(demo_copy: Store) -> None:
    before = d.data_version(demo_copy, client="K01")
    obs = demo_copy.observations(session="K01-S01")[0]
    demo_copy.reopen_observation(obs.id)
    demo_copy.import_events(obs.id, [make_event(demo_copy.scheme(), "client", "P_NOD", 12.0)])
    assert d.data_version(demo_copy, client="K01") != before


def test_pick_observations_prefers_the_chosen_observer(demo: Store) -> None:
    both = demo.observations(session="K01-S03")
    assert {o.observer for o in both} == {"obs.ani", "obs.budi"}
    most = max(both, key=lambda o: o.n_events).observer
    assert d.pick_observations(both)["K01-S03"].observer == most
    assert d.session_review(demo, "K01-S03", "obs.budi", FAST).observer == "obs.budi"


# -- golden values through the whole path ----------------------------------------------------------------------------


def test_domain_openness_worked_example_through_the_store() -> None:
    """DOMAIN §3: one 60 s client window → −0.086 state-only, −0.017 with points."""
    states = [("client", "G_EYE", 0.0, 30.0), ("client", "G_DOWN", 30.0, 50.0), ("client", "G_NV", 50.0, 60.0),
              ("client", "T_FWD", 0.0, 15.0), ("client", "T_UP", 15.0, 60.0), ("client", "A_CROSS", 0.0, 60.0),
              ("client", "F_SMILE", 0.0, 10.0), ("client", "F_NEUT", 10.0, 60.0),
              ("client", "S_CROSS_TO", 0.0, 60.0)]  # fmt: skip
    points = [("client", "P_NOD", t) for t in (5.0, 20.0, 40.0)]
    points += [("client", "R3_REFUSE", 25.0), ("client", "P_SELFTOUCH", 7.0), ("client", "P_SELFTOUCH", 9.0)]
    store, code = _session_with(states, 60.0)
    assert round(d.session_review(store, code).index["oi"], 3) == -0.086
    store, code = _session_with(states + points, 60.0)
    review = d.session_review(store, code)
    assert round(review.index["oi"], 3) == -0.017
    assert review.index["ci_reason"] == "analysis.openness.too_few_windows_for_ci"


def test_domain_sequential_worked_example_through_the_store() -> None:
    """DOMAIN §5: a = 25, b = 175, c = 35, d = 1565 → z = 7.66, Q = 0.73."""
    leans = np.arange(40) * 45.0  # 40 lean onsets, windows [t, t+5) do not overlap → G = 200 units
    inside = leans[:25] + 2.0  # 25 eye-contact onsets inside G
    outside = leans[:35] + 20.0  # 35 outside every window
    events = [("counselor", "T_FWD", float(t), float(t) + 5.0) for t in leans]
    events += [("counselor", "T_UP", float(t) + 5.0, float(t) + 45.0) for t in leans]
    events += [("client", "G_EYE", float(t), float(t) + 0.5) for t in np.r_[inside, outside]]
    store, _ = _session_with(events, 1800.0)
    r = d.cue_patterns(store, ["counselor:T_FWD"], ["client:G_EYE"], n_perm=0)
    row = r.table.iloc[0]
    assert (row["a"], row["b"], row["c"], row["d"]) == (25, 175, 35, 1565)
    assert round(row["z"], 2) == 7.66 and round(row["yules_q"], 2) == 0.73
    pooled = r.pooled.iloc[0]
    assert round(pooled["pooled_z"], 2) == 7.66 and pooled["n_sessions"] == 1


def test_cue_patterns_pool_and_filter(demo: Store) -> None:
    r = d.cue_patterns(demo, [("counselor", "T_FWD")], ["client:G_EYE", "client:P_NOD"], n_perm=50,
                       filters=d.SessionFilter(clients=("K01", "K03"), numbers=(2, 4)))  # fmt: skip
    assert len(r.pooled) == 2
    assert set(r.table["client"]) == {"K01", "K03"} and set(r.sessions) == {
        f"{c}-S0{n}" for c in ("K01", "K03") for n in (2, 3, 4)
    }
    for _, pooled in r.pooled.iterrows():
        sub = r.table[r.table["target"] == pooled["target"]]
        assert [pooled[c] for c in "abcd"] == [sub[c].sum() for c in "abcd"]
    assert r.table["p_value"].between(0, 1).all()
    special = d.cue_patterns(
        demo, ["C:T_FWD"], ["K:G_EYE"], n_perm=0, filters=d.SessionFilter(special_needs=True)
    )
    assert set(special.table["client"]) == {"K03"}


# -- bad input: "not enough data", never a traceback or a silent zero ------------------------------------------------


def test_a_session_without_events_says_not_enough_data() -> None:
    store, code = _session_with([], 600.0)
    review = d.session_review(store, code)
    assert review.problems == (d.NO_EVENTS,) and review.openness is None
    assert math.isnan(review.index["oi"])
    progress = d.client_progress(store, "K1")
    assert progress.sessions["reason"].tolist() == [d.NO_EVENTS]
    assert progress.referral.status == "not_enough_data"


def test_a_session_nobody_coded_says_so(demo_copy: Store) -> None:
    demo_copy.add_session("K01", "C01", date=dt.date(2026, 12, 1), duration_s=600.0)
    code = demo_copy.sessions(client="K01")[-1].code
    assert d.session_review(demo_copy, code).problems == (d.NO_OBSERVATION,)
    table = d.client_progress(demo_copy, "K01", FAST).sessions
    assert table.set_index("session").loc[code, "reason"] == d.NO_EVENTS


def test_a_single_session_has_no_trend() -> None:
    store, _ = _session_with([("client", "G_EYE", 0.0, 300.0), ("client", "T_UP", 0.0, 300.0)], 300.0)
    p = d.client_progress(store, "K1", referral_params=ReferralParams())
    assert math.isnan(p.trend["slope"]) and p.trend["reason"] == "analysis.openness.too_few_sessions"
    assert p.referral.status == "not_enough_data"
    assert p.problems == ("analysis.openness.too_few_sessions",)


def test_a_window_longer_than_the_session(demo: Store) -> None:
    review = d.session_review(demo, "K01-S01", params=OpennessParams(window_s=2000, n_boot=0))
    assert review.index["reason"] == "analysis.openness.window_longer_than_session"
    assert "analysis.openness.window_longer_than_session" in review.problems
    assert review.openness is not None and review.openness.windows.empty


def test_unknown_things_are_clear_errors(demo: Store) -> None:
    with pytest.raises(NotFound):
        d.session_review(demo, "NOPE-S01")
    with pytest.raises(NotFound):
        d.client_progress(demo, "K77")
    with pytest.raises(InvalidInput, match="client:G_EYE"):
        d.cue_patterns(demo, ["T_FWD"], ["client:G_EYE"])
    with pytest.raises(InvalidInput, match="counselor:NOT_A_CUE"):
        d.cue_patterns(demo, ["counselor:NOT_A_CUE"], ["client:G_EYE"])
    with pytest.raises(InvalidInput):
        d.cue_patterns(demo, ["counselor:T_FWD"], ["client:G_EYE"], window_s=0)
    none = d.cue_patterns(
        demo, ["counselor:T_FWD"], ["client:G_EYE"], filters=d.SessionFilter(clients=("K77",))
    )
    assert none.problems == (d.NO_SESSIONS,) and none.pooled.empty


def test_a_cue_removed_from_a_newer_scheme_keeps_its_valence(demo: Store) -> None:
    old = demo.scheme()
    newer = old.next_version(cues=tuple(c for c in old.cues if c.code != "G_DOWN"))
    valences = d.client_valences([newer, old], "cultural")
    assert valences[("client", "G_DOWN")] == 0.0  # from the old version, with the cultural profile
    assert ("client", "G_DOWN") not in d.client_valences([newer])


def test_progress_summary_is_printable(demo: Store) -> None:
    text = d.progress_summary_html(d.client_progress(demo, "K03", FAST), "en")
    assert text.startswith("<!doctype html>") and "@media print" in text
    assert text.count("<tr>") == 1 + 4  # header + four sessions
    assert "not validated" in text and "window_s = 60.0" in text


# -- DOMAIN §9: the coded extent, partial sessions, pooling by scheme, exports -----------------------------------------


def _coded(monkeypatch: pytest.MonkeyPatch, target: object, extents: dict[str, float]) -> None:
    """Observations coded only to E (what the store's finish step records, ``Observation.coded_s``).

    ``target`` is a store (this one only) or the ``Store`` class (every store the CLI opens).
    """
    real = target.observations  # type: ignore[attr-defined]

    def observations(*args: object, **kwargs: object) -> list[Observation]:
        found = real(*args, **kwargs)
        return [replace(o, coded_s=extents.get(o.session, o.coded_s)) for o in found]

    monkeypatch.setattr(target, "observations", observations)


def _first_20_s() -> list[tuple]:
    """The issue's case: 15 cues in the first 20 s of a 15-minute session."""
    events: list[tuple] = [
        ("client", c, 0.0, None) for c in ("G_EYE", "T_FWD", "A_OPEN", "F_SMILE", "S_RELAX")
    ]
    events += [("client", "P_NOD", float(t)) for t in range(2, 20, 2)]  # 9 nods
    events += [("client", "P_LAUGH", 19.0)]
    return events


def test_a_partially_coded_session_says_so_and_reports_its_coded_extent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, code = _session_with(_first_20_s(), 900.0)
    whole = d.session_review(store, code)  # no coded extent recorded: the whole session, as before
    assert whole.coverage == 1.0 and not whole.partial and whole.coverage_note() is None
    _coded(monkeypatch, store, {code: 20.0})
    review = d.session_review(store, code)
    # 20 s of 900: coverage 2%; a 60 s window does not fit in 20 s, so there is no +1.00 with a CI
    assert review.coverage == pytest.approx(20 / 900) and review.partial
    assert review.index["partial"] and review.index["coverage"] == pytest.approx(20 / 900)
    assert (
        math.isnan(review.index["oi"])
        and review.index["reason"] == "analysis.openness.window_longer_than_session"
    )
    assert "2%" in review.coverage_note("en") and "2%" in review.coverage_note("id")
    # the time budget covers [0, 20]: no bar runs to 900 s, and each channel's shares add up to 1
    tb = review.time_budget
    assert tb["interval_s"].eq(20.0).all() and tb["total_s"].max() == 20.0
    me_e = tb[tb["kind"] == "state"].groupby("channel")["share_session"].sum()
    assert np.allclose(me_e.to_numpy(), 1.0)
    assert review.resistance["observed_min"] == pytest.approx(20 / 60)


def test_partial_sessions_stay_out_of_the_trend_and_the_referral_flag(
    monkeypatch: pytest.MonkeyPatch, demo_copy: Store
) -> None:
    before = d.client_progress(demo_copy, "K02", FAST)
    assert before.referral.status == "raised" and before.trend["n_sessions"] == 5
    length = demo_copy.session("K02-S05").duration_s
    _coded(monkeypatch, demo_copy, {"K02-S05": 0.3 * length})
    p = d.client_progress(demo_copy, "K02", FAST)
    row = p.sessions.set_index("session").loc["K02-S05"]
    assert row["partial"] and row["coverage"] == pytest.approx(0.3)
    assert (p.trend["n_sessions"], p.trend["n_partial"]) == (4, 1)
    assert math.isnan(row["delta_first"])  # nor in the baseline-relative view
    assert p.referral.left_out == (5,) and p.referral.sessions == (2, 3, 4)
    assert "5" in p.referral.text("en") and d.partial_notes(p.sessions) == ["K02-S05: partially coded (30%)"]
    assert "partially coded (30%)" in d.progress_summary_html(p, "en")
    fig = charts.openness_trend_figure(p.sessions, trend=p.trend)
    ring = next(tr for tr in fig.data if tr.name == "Partially coded (not in the trend)")
    assert list(ring.x) == [5.0] and ring.marker.symbol == "circle-open"
    view = d.counselor_view(demo_copy, demo_copy.session("K02-S05").counselor, FAST)
    k02 = view.sessions[view.sessions["client"] == "K02"].set_index("session")
    assert bool(k02.loc["K02-S05", "partial"]) and k02["partial"].sum() == 1
    assert view.clients.set_index("client").loc["K02", "n_sessions"] == len(k02) - 1


def test_cue_patterns_pool_only_sessions_of_the_same_scheme_meaning() -> None:
    leans = [("counselor", "T_FWD", float(t), float(t) + 5.0) for t in range(0, 600, 60)]
    looks = [("client", "G_EYE", float(t) + 2.0, float(t) + 4.0) for t in range(0, 600, 60)]
    store, first = _session_with(leans + looks, 600.0)
    base = store.scheme()
    data = base.to_dict()
    data["name"] = "boris_import"
    data["cues"] = [{**c, "valences": {**c["valences"], "client": -1.0}} if c["code"] == "G_EYE" else c
                    for c in data["cues"]]  # fmt: skip
    other = CodingScheme.from_dict(data)
    second = store.add_session("K1", "C1", date=dt.date(2026, 1, 12), duration_s=600.0)
    obs = store.open_observation(second.code, "obs", scheme=other)
    store.import_events(obs.id, [make_event(other, *e) for e in leans + looks])
    r = d.cue_patterns(store, ["counselor:T_FWD"], ["client:G_EYE"], n_perm=0)
    assert r.sessions == (first,) and set(r.table["session"]) == {first}
    assert r.pooled["n_sessions"].iloc[0] == 1 and r.reference == f"default v{base.version}"
    (left,) = r.left_out
    assert left.session == second.code and left.key == "analysis.pooling.other_valence"
    table = r.left_out_table("id")
    assert table["session"].tolist() == [second.code] and "boris_import" in table["text"].iloc[0]


def test_time_budget_export_keeps_full_precision_and_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    store, code = _session_with([("client", "G_EYE", 0.0, 100.0), ("client", "G_AWAY", 100.0, 300.0)], 300.0)
    _coded(monkeypatch, store, {code: 290.0})
    made = export_file(store, "timebudget", "csv", selection=Selection(session=code))
    exported = pd.read_csv(io.BytesIO(made.data)).set_index("cue")
    review = d.session_review(store, code).time_budget.set_index("cue")
    # 100/290 = 0.3448275862068966: a %.6g export would write 0.344828
    assert exported.loc["G_EYE", "share_session"] == review.loc["G_EYE", "share_session"] == 100 / 290
    assert exported["coverage"].eq(290 / 300).all()


def test_cli_json_carries_coverage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo_copy: Store, tmp_path: Path
) -> None:
    path = str(tmp_path / "copy.db")  # the database behind demo_copy
    length = demo_copy.session("K01-S03").duration_s
    _coded(monkeypatch, Store, {"K01-S03": 0.4 * length})
    assert main(["--db", path, "openness", "--session", "K01-S03", "--boot", "0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["coverage"] == pytest.approx(0.4) and data["partial"] and data["openness"]["coverage"] == 0.4
    assert "40%" in data["coverage_text"]
    assert main(["--db", path, "agreement", "--session", "K01-S03", "--observers", "obs.ani", "obs.budi",
                 "--json"]) == 0  # fmt: skip
    agreement = json.loads(capsys.readouterr().out)
    assert agreement["coverage"] == pytest.approx(0.4) and agreement["span"][1] == pytest.approx(0.4 * length)


def test_cli_sequence_lists_the_sessions_left_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(tmp_path / "two_schemes.db")
    store = Store.open(path)
    store.add_client("K1")
    store.add_counselor("C1")
    scheme = store.scheme()
    data = scheme.to_dict()
    data.update(name="boris_import", cues=[c for c in data["cues"] if c["code"] != "T_FWD"])
    other = CodingScheme.from_dict(data)
    for day, used in ((5, scheme), (12, other)):
        session = store.add_session("K1", "C1", date=dt.date(2026, 1, day), duration_s=120.0)
        obs = store.open_observation(session.code, "obs", scheme=used)
        rows = [("client", "G_EYE", 3.0, 10.0), ("counselor", "T_UP", 0.0, 120.0)]
        store.import_events(obs.id, [make_event(used, *e) for e in rows])
    store.close()
    assert main(["--db", path, "sequence", "--given", "counselor:T_FWD", "--target", "client:G_EYE",
                 "--perm", "0", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert len(out["sessions"]) == 1 and [x["reason"] for x in out["left_out"]] == [
        "analysis.pooling.missing_cue"
    ]
    assert "counselor:T_FWD" in out["left_out"][0]["text"]
