"""Store-level agreement (observe.reports.agreement): scheme versions, display tables, training summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from observe.coding import blind
from observe.reports import agreement
from observe.scheme import default_scheme
from observe.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.open("sqlite://")
    s.add_client("K01")
    s.add_counselor("C01")
    for number in (1, 2):
        s.add_session("K01", "C01", number=number, date=dt.date(2026, 3, number * 7), duration_s=60)
    yield s
    s.close()


def code(store: Store, session: str, observer: str, cues: list[tuple[str, float, float]], **kw) -> int:  # type: ignore[no-untyped-def]
    obs = store.open_observation(session, observer, **kw)
    for cue, start, end in cues:
        store.add_event(obs.id, "client", cue, start, end)
    store.finish_observation(obs.id)
    return obs.id


def test_different_scheme_versions_compare_the_shared_cues(store: Store) -> None:
    v1 = default_scheme()
    v2 = v1.next_version(cues=tuple(c for c in v1.cues if c.code != "G_TASK"))
    code(store, "K01-S01", "ani", [("G_EYE", 0.0, 30.0), ("G_TASK", 30.0, 40.0), ("G_AWAY", 40.0, 60.0)])
    code(store, "K01-S01", "budi", [("G_EYE", 0.0, 30.0), ("G_AWAY", 30.0, 60.0)], scheme=v2)
    result = agreement.compare_session(store, "K01-S01", "ani", "budi")
    assert result.cues_left_out == ("G_TASK",)
    assert any(n.key == "agreement.scheme_mismatch" and "G_TASK" in n.message() for n in result.notes)
    gaze = result.time_unit[result.time_unit["channel"] == "GAZE"].iloc[0]
    assert gaze["n_units"] == 50 and gaze["kappa"] == pytest.approx(1.0)  # G_TASK's 10 units left out


def test_display_tables_round_translate_and_label(store: Store) -> None:
    code(store, "K01-S01", "ani", [("G_EYE", 0.0, 30.0), ("G_AWAY", 30.0, 60.0)])
    code(store, "K01-S01", "budi", [("G_EYE", 0.0, 33.0), ("G_AWAY", 33.0, 60.0)])
    result = agreement.compare_session(store, "K01-S01", "ani", "budi")
    table = agreement.channel_table(result, "id", default_scheme())
    assert list(table.columns) == list(agreement.CHANNEL_COLUMNS)
    row = table.iloc[0]
    assert (row["subject"], row["channel"]) == ("Klien", "Sorot mata")
    assert row["p_o"] == round(57 / 60, 3)
    assert row["verdict"] == "layak untuk penelitian"  # κ = .9 ≥ .80
    assert row["base_rates"] == "G_EYE 50/55%, G_AWAY 50/45%"
    runs = agreement.largest_disagreements(result, "en", default_scheme())
    assert runs[["start_s", "end_s"]].values.tolist() == [[30.0, 33.0]]
    assert runs["text"].iloc[0].startswith("**0:30–0:33** · Client · Gaze: ani coded `G_AWAY`")
    names = agreement.matrices(result, "events", "en", default_scheme())
    assert list(names) == ["Client · Gaze"] and "∅" in names["Client · Gaze"].index
    with pytest.raises(Exception, match="no agreement matrix"):
        agreement.matrices(result, "pairs")


def test_training_summary_against_the_reference_by_date(store: Store) -> None:
    for session, cut in (("K01-S01", 45.0), ("K01-S02", 31.0)):
        ref = code(store, session, "dewi", [("G_EYE", 0.0, 30.0), ("G_AWAY", 30.0, 60.0)])
        code(store, session, "budi", [("G_EYE", 0.0, cut), ("G_AWAY", cut, 60.0)])
        blind.set_reference(store, ref)
    summary = agreement.training_summary(store)
    assert summary["session"].tolist() == ["K01-S01", "K01-S02"]  # oldest first
    # by hand: p_e = .5 in both (the reference is half EYE, half AWAY); κ = (p_o − .5)/.5
    for session, p_o in (("K01-S01", 45 / 60), ("K01-S02", 59 / 60)):
        got = summary.loc[summary["session"] == session].iloc[0]
        assert got["lowest_kappa"] == pytest.approx((p_o - 0.5) / 0.5)
        assert got["passed"] == ("0/1" if p_o < 0.8 else "1/1")
    assert summary["verdict"].tolist() == ["insufficient", "research"]  # training shows progress
    shown = agreement.training_table(summary, "en", default_scheme())
    assert shown["lowest_channel"].tolist() == ["Client · Gaze"] * 2
    assert "lowest_subject" not in shown


def test_training_summary_skips_unfinished_work(store: Store) -> None:
    ref = code(store, "K01-S01", "dewi", [("G_EYE", 0.0, 60.0)])
    blind.set_reference(store, ref)
    store.open_observation("K01-S01", "budi")
    assert agreement.training_summary(store).empty


def test_openness_icc_reasons() -> None:
    ev = pd.DataFrame({"session": "S1", "observer": "a", "subject": "client", "channel": ["GAZE", "TRUNK"],
                       "cue": ["G_EYE", "T_UP"], "kind": "state", "start_s": 0.0, "end_s": float("nan"),
                       "duration_s": 600.0})  # fmt: skip
    icc = agreement.openness_icc(ev, {("client", "G_EYE"): 1, ("client", "T_UP"): 0}, subjects=["client"])
    assert icc["reason"].tolist() == ["agreement.icc_two_observers"]


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_check_unit(value: float) -> None:
    with pytest.raises(Exception, match="time unit"):
        agreement.check_unit(value)


def test_clock() -> None:
    assert [agreement.clock(s) for s in (0, 59.9, 60, 3600)] == ["0:00", "0:59", "1:00", "1:00:00"]
