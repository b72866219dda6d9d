"""Synchrony (DOMAIN §7): golden values from rMEA 1.3.0, formula checks, bad input."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from observe.analysis.synchrony import (
    SynchronyParams,
    cohens_d,
    n_windows,
    preprocess,
    recombination_surrogates,
    remove_outliers,
    shuffle_segments,
    shuffle_surrogates,
    smooth,
    surrogate_test,
    synchrony,
    wlcc,
)
from observe.errors import InvalidInput
from observe.i18n import catalog
from observe.interop.mea import read_rmea_text, read_series, read_series_csv, synchrony_report
from tests.conftest import shared_fixtures

TOL = 1e-9
NORMAL = [f"{i}_01" for i in range(200, 210)]


def rmea_dir() -> Path:
    return shared_fixtures() / "rmea"


def golden() -> dict:
    return json.loads((rmea_dir() / "golden" / "golden.json").read_text())


def load(name: str, group: str = "normal") -> pd.DataFrame:
    return read_rmea_text(rmea_dir() / "data" / group / f"{name}.txt", fps=25)


def hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------- golden (rMEA 1.3.0)


@pytest.mark.parametrize("name", NORMAL)
def test_rmea_golden_per_dyad(name: str) -> None:
    uid = f"normal_{int(name[:3])}_1"
    ref = golden()["dyads"][uid]
    res = synchrony(load(name), SynchronyParams.rmea(fps=25))
    w = res.windows
    assert res.n_samples == ref["n_samples"] == 15000
    assert len(w) == ref["n_win"] == 57
    assert res.grand_aver == pytest.approx(ref["grandAver"], abs=TOL, rel=0)
    assert res.lag_zero_mean == pytest.approx(ref["lag_zero_mean"], abs=TOL, rel=0)
    for ours, theirs in [
        ("all_lags", "all_lags"),
        ("lag_zero", "lag_zero"),
        ("s1_lead", "s1_lead"),
        ("s2_lead", "s2_lead"),
        ("best_lag_s", "bestLag"),
    ]:
        np.testing.assert_allclose(w[ours], ref[theirs], atol=TOL, rtol=0, err_msg=ours)
    assert [hms(s) for s in w["start_s"]] == ref["win_start"]
    assert [hms(s) for s in w["end_s"]] == ref["win_end"]
    assert res.ccf.shape == (57, 251)
    assert (w["reason"] == "").all()


def test_rmea_golden_per_window_csv_including_lead_0() -> None:
    table = pd.read_csv(rmea_dir() / "golden" / "per_window.csv")
    for uid, ref in table.groupby("uid"):
        name = f"{uid.split('_')[1]}_01"
        w = synchrony(load(name), SynchronyParams.rmea()).windows
        for col in ["all_lags", "lag_zero", "s1_lead", "s2_lead", "s1_lead_0", "s2_lead_0"]:
            np.testing.assert_allclose(w[col], ref[col], atol=TOL, rtol=0, err_msg=f"{uid} {col}")
        np.testing.assert_allclose(w["best_lag_s"], ref["bestLag"], atol=TOL, rtol=0)


def test_rmea_golden_full_ccf_matrix() -> None:
    ref = pd.read_csv(rmea_dir() / "golden" / "ccf_matrix_normal_200_01.csv", index_col=0)
    res = synchrony(load("200_01"), SynchronyParams.rmea())
    lags = [float(c.removeprefix("lag")) for c in ref.columns]
    np.testing.assert_allclose(res.ccf.columns.to_numpy(), lags, atol=1e-12)
    np.testing.assert_allclose(res.ccf.to_numpy(), ref.to_numpy(), atol=TOL, rtol=0)
    long = res.table()
    assert len(long) == 57 * 251 and list(long.columns) == ["window", "lag_s", "value"]


def test_rmea_golden_preprocessing_stages() -> None:
    ref = pd.read_csv(rmea_dir() / "golden" / "preprocessed_normal_200_01.csv")
    raw = load("200_01")
    for ours, theirs in [("client", "patient"), ("counselor", "therapist")]:
        np.testing.assert_array_equal(raw[ours], ref[f"raw_{theirs}"])
        smoothed = smooth(raw[ours].to_numpy(), fps=25, width_s=0.5, rmea_compat=True)
        np.testing.assert_allclose(smoothed, ref[f"smooth_{theirs}"], atol=TOL, rtol=0)
    pre = preprocess(raw, SynchronyParams.rmea())
    np.testing.assert_allclose(pre["client"], ref["scaled_patient"], atol=TOL, rtol=0)
    np.testing.assert_allclose(pre["counselor"], ref["scaled_therapist"], atol=TOL, rtol=0)


@pytest.mark.parametrize(
    ("file", "params", "preprocessed"),
    [
        ("summary_lag5_win60_inc30.csv", SynchronyParams.rmea(lag_s=5, win_s=60, inc_s=30), True),
        ("summary_rawinput_lag5_win30_inc10.csv", SynchronyParams.rmea(), False),
    ],
)
def test_rmea_golden_other_settings(file: str, params: SynchronyParams, preprocessed: bool) -> None:
    ref = pd.read_csv(rmea_dir() / "golden" / file)
    for row in ref.itertuples():
        raw = load(f"{row.uid.split('_')[1]}_01")
        res = synchrony(raw, params) if preprocessed else wlcc(raw, params)
        assert res.grand_aver == pytest.approx(row.grandAver, abs=TOL, rel=0)
        assert res.lag_zero_mean == pytest.approx(row.lag_zero_mean, abs=TOL, rel=0)
        if "n_win" in ref.columns:
            assert len(res.windows) == row.n_win


def test_default_departs_from_rmea_only_in_documented_ways() -> None:
    raw = load("200_01")
    rmea = synchrony(raw, SynchronyParams.rmea()).grand_aver
    # golden/README.md: a centred 13-sample mean gives 0.15016 instead of 0.14612
    centred = synchrony(raw, SynchronyParams(outlier_sd=None)).grand_aver
    assert rmea == pytest.approx(0.14612147008578419, abs=TOL)
    assert centred == pytest.approx(0.15016, abs=5e-5)


def test_dropout_dyads_run_without_na() -> None:
    res = synchrony(load("105_01", "dropout"), SynchronyParams.rmea())
    # golden/README.md example value for dropout_105_1
    assert res.grand_aver == pytest.approx(0.22073606698025014, abs=TOL)
    assert res.lag_zero_mean == pytest.approx(0.23501260781262193, abs=TOL)


# --------------------------------------------------------------------------- formulas


def test_n_windows_formula() -> None:
    p = SynchronyParams(fps=25)
    assert n_windows(15000, p) == math.ceil((15000 - 750 - 125 + 1) / 250) == 57
    assert n_windows(875, p) == 1
    assert n_windows(874, p) == 0


def test_cells_match_pearson_on_domain_sample_ranges() -> None:
    """DOMAIN §7 window i = samples i·inc+1 … i·inc+win+L; ℓ ≥ 0 shifts the counselor."""
    rng = np.random.default_rng(3)
    s1, s2 = rng.normal(size=300), rng.normal(size=300)
    p = SynchronyParams(fps=10, lag_s=0.5, win_s=6, inc_s=2, fisher_z=False, absolute=False)
    res = wlcc(pd.DataFrame({"client": s1, "counselor": s2}), p)
    win, lag, inc = 60, 5, 20
    for i in (0, 3, len(res.windows) - 1):
        x, y = s1[i * inc : i * inc + win + lag], s2[i * inc : i * inc + win + lag]
        for ell in (-5, -2, 0, 1, 5):
            if ell >= 0:
                expected = stats.pearsonr(x[:win], y[ell : ell + win])[0]
            else:
                expected = stats.pearsonr(x[-ell : -ell + win], y[:win])[0]
            assert res.ccf.loc[i + 1, ell / 10] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("delay", [4, -7])
def test_lag_sign_positive_when_client_leads(delay: int) -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(size=1200)
    noise = rng.normal(scale=0.2, size=1200)
    lead, follow = base, np.roll(base, abs(delay)) + noise
    cols = {"client": lead, "counselor": follow} if delay > 0 else {"client": follow, "counselor": lead}
    res = wlcc(pd.DataFrame(cols), SynchronyParams(fps=10, lag_s=1, win_s=20, inc_s=10))
    assert (res.windows["best_lag_s"] == delay / 10).all()
    summary = res.summary()
    if delay > 0:
        assert summary["s1_lead_mean"] > summary["s2_lead_mean"]
    else:
        assert summary["s2_lead_mean"] > summary["s1_lead_mean"]


def test_fisher_z_clamped_and_absolute() -> None:
    x = np.tile([0.0, 1.0, 3.0, 2.0], 50)
    res = wlcc(
        pd.DataFrame({"client": x, "counselor": -2 * x + 1}), SynchronyParams(fps=4, lag_s=0, win_s=10)
    )
    assert (res.ccf.to_numpy() == 10.0).all()  # r = -1 -> z = -inf -> -10 -> |z| = 10


def test_identical_series_give_na_cells_as_rmea() -> None:
    """rMEA: fewer than 2 differing pairs -> NA (not a perfect correlation)."""
    x = np.random.default_rng(2).normal(size=200)
    res = wlcc(pd.DataFrame({"client": x, "counselor": x}), SynchronyParams(fps=10, lag_s=0.5, win_s=5))
    assert res.ccf[0.0].isna().all()
    assert res.ccf.drop(columns=0.0).notna().all().all()


def test_window_with_too_many_na_is_na_with_reason() -> None:
    rng = np.random.default_rng(8)
    s1, s2 = rng.normal(size=400), rng.normal(size=400)
    s1[:40] = np.nan  # window 1 = samples 0..54: 40 NaN > 27.5
    s2[100:103] = np.nan  # window 3 has 3 NaN: computed on complete pairs
    p = SynchronyParams(fps=10, lag_s=0.5, win_s=5, inc_s=5, fisher_z=False, absolute=False)
    res = wlcc(pd.DataFrame({"client": s1, "counselor": s2}), p)
    assert res.windows.loc[0, "reason"] == "too_many_na"
    assert res.ccf.loc[1].isna().all()
    assert res.windows.loc[0, ["all_lags", "best_lag_s"]].isna().all()
    x, y = s1[100:150], s2[100:150]
    ok = ~np.isnan(y)
    assert res.ccf.loc[3, 0.0] == pytest.approx(stats.pearsonr(x[ok], y[ok])[0], abs=1e-12)
    assert res.grand_aver == pytest.approx(np.nanmean(res.ccf.to_numpy()))


# --------------------------------------------------------------------------- preprocessing


def test_rmea_smoothing_quirks_on_ones() -> None:
    """golden/README.md: interior = 12 samples / 12.5; t=1 uses a[1..6]; last 5 samples 0."""
    out = smooth(np.ones(100), fps=25, width_s=0.5, rmea_compat=True)
    assert out[0] == pytest.approx(6 / 12.5)
    assert out[50] == pytest.approx(12 / 12.5)
    assert (out[-5:] == 0).all() and out[-6] == pytest.approx(12 / 12.5)


def test_rmea_smoothing_window_is_t_minus_6_to_t_plus_5() -> None:
    impulse = np.zeros(60)
    impulse[30] = 12.5
    out = smooth(impulse, fps=25, width_s=0.5, rmea_compat=True)
    assert np.flatnonzero(out).tolist() == list(range(25, 37))  # t - 6 <= 30 <= t + 5


def test_default_smoothing_is_symmetric_and_keeps_edges() -> None:
    impulse = np.zeros(60)
    impulse[30] = 13.0
    out = smooth(impulse, fps=25, width_s=0.5)
    assert np.flatnonzero(out).tolist() == list(range(24, 37))
    np.testing.assert_allclose(smooth(np.full(50, 3.0), fps=25, width_s=0.5), 3.0)


def test_na_in_smoothing_window() -> None:
    x = np.full(40, 2.0)
    x[20] = np.nan
    default = smooth(x, fps=25, width_s=0.5)
    rmea = smooth(x, fps=25, width_s=0.5, rmea_compat=True)
    assert np.isnan(default[20]) and np.isnan(rmea[20])
    assert default[19] == pytest.approx(2.0 * 12 / 13)  # NA counted as 0
    # 0-based sample 20 lies in the window t-6..t+5 of 0-based t = 15..26, which all become 0
    assert np.flatnonzero(rmea == 0).tolist() == [*range(15, 20), *range(21, 27), *range(35, 40)]


def test_outliers_become_na() -> None:
    x = np.r_[np.arange(200.0) % 5 + 1, 500.0]
    assert np.isnan(remove_outliers(x, 10)[-1])
    assert not np.isnan(remove_outliers(x, 10)[:-1]).any()
    pre = preprocess(pd.DataFrame({"client": x, "counselor": x[::-1]}), SynchronyParams(smooth_s=None))
    assert pre["client"].isna().sum() == 1
    raw_kept = preprocess(pd.DataFrame({"client": x, "counselor": x[::-1]}), SynchronyParams.rmea())
    assert raw_kept["client"].notna().all()


# --------------------------------------------------------------------------- invariants


series_strategy = st.lists(
    st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=120, max_size=200
).map(np.array)


@settings(max_examples=25, deadline=None)
@given(series_strategy, st.floats(min_value=0.1, max_value=50))
def test_swapping_persons_mirrors_lags_and_scaling_does_not_matter(a: np.ndarray, k: float) -> None:
    a = a + np.arange(a.size) % 3  # every window varies, so no window is all NA
    rng = np.random.default_rng(int(a.sum()) % 1000)
    b = rng.permutation(a) + rng.normal(size=a.size)
    p = SynchronyParams(fps=10, lag_s=1, win_s=5, inc_s=3, smooth_s=None, outlier_sd=None, scale=False)
    res = wlcc(pd.DataFrame({"client": a, "counselor": b}), p)
    swapped = wlcc(pd.DataFrame({"client": b, "counselor": a}), p)
    np.testing.assert_allclose(res.ccf.to_numpy(), swapped.ccf.to_numpy()[:, ::-1], atol=1e-9, equal_nan=True)
    scaled = wlcc(pd.DataFrame({"client": a * k, "counselor": b}), p)
    np.testing.assert_allclose(res.ccf.to_numpy(), scaled.ccf.to_numpy(), atol=1e-6, equal_nan=True)
    values = res.ccf.to_numpy()
    assert np.all((values[~np.isnan(values)] >= 0) & (values[~np.isnan(values)] <= 10))


# --------------------------------------------------------------------------- surrogates and effect size


def test_shuffle_segments_permutes_whole_segments() -> None:
    df = pd.DataFrame({"client": np.arange(105.0), "counselor": np.arange(105.0) + 1000})
    out = shuffle_segments(df, segment_s=1, fps=10, rng=np.random.default_rng(1))
    for col in ("client", "counselor"):
        values = out[col].to_numpy()
        assert sorted(values) == sorted(df[col])
        starts = [v for v in values if (v % 1000) % 10 == 0]
        assert len(starts) == 11
    assert not np.array_equal(out["client"] % 1000, out["counselor"] % 1000)  # independent orders
    again = shuffle_segments(df, segment_s=1, fps=10, rng=np.random.default_rng(1))
    pd.testing.assert_frame_equal(out, again)


def test_real_synchrony_exceeds_shuffle_and_recombination_surrogates() -> None:
    rng = np.random.default_rng(11)
    sessions = {}
    for k in range(3):
        base = np.abs(np.convolve(rng.normal(size=3000), np.ones(5), "same"))
        follow = np.r_[np.zeros(6), base[:-6]] + 0.3 * np.abs(rng.normal(size=3000))
        sessions[f"s{k}"] = pd.DataFrame({"client": base, "counselor": follow})
    p = SynchronyParams(fps=10, lag_s=2, win_s=30, inc_s=10, segment_s=30, n_surrogates=20, seed=3)
    real = synchrony(sessions["s0"], p).grand_aver
    sur = shuffle_surrogates(sessions["s0"], p)
    assert sur.shape == (20,) and (real > sur).all()
    test = surrogate_test(real, sur)
    assert test.p == pytest.approx(1 / 21) and test.es > 3
    recomb = recombination_surrogates(sessions, p)
    assert len(recomb) == 6 and (recomb["client_session"] != recomb["counselor_session"]).all()
    assert (recomb["grand_aver"] < min(synchrony(s, p).grand_aver for s in sessions.values())).all()
    np.testing.assert_array_equal(sur, shuffle_surrogates(sessions["s0"], p))  # seeded


def test_surrogate_test_formula() -> None:
    sur = [0.1, 0.2, 0.3, 0.4]
    t = surrogate_test(0.3, sur)
    assert t.es == pytest.approx((0.3 - 0.25) / np.std(sur, ddof=1))
    assert t.p == pytest.approx((1 + 2) / 5) and t.n_exceeding == 2


def test_cohens_d_matches_pingouin() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(0.2, 0.05, 10), rng.normal(0.15, 0.04, 30)
    assert cohens_d(a, b) == pytest.approx(pg.compute_effsize(a, b, paired=False, eftype="cohen"))


# --------------------------------------------------------------------------- bad input


def test_session_shorter_than_one_window() -> None:
    df = pd.DataFrame({"client": np.arange(100.0), "counselor": np.arange(100.0)[::-1]})
    with pytest.raises(InvalidInput) as err:
        synchrony(df, SynchronyParams(fps=25))
    assert err.value.key == "synchrony.too_short" and "35" in str(err.value)


@pytest.mark.parametrize("subject", ["client", "counselor"])
def test_constant_series_is_refused(subject: str) -> None:
    df = pd.DataFrame({"client": np.arange(2000.0) % 7, "counselor": np.arange(2000.0) % 5})
    df[subject] = 3.0
    with pytest.raises(InvalidInput) as err:
        synchrony(df, SynchronyParams(fps=25))
    assert err.value.key == "synchrony.constant_series" and subject in str(err.value)


def test_locally_constant_window_is_na_with_reason() -> None:
    x = np.random.default_rng(0).normal(size=300)
    y = x.copy() + 1
    y[:60] = 0.0
    p = SynchronyParams(fps=10, lag_s=0.5, win_s=5, inc_s=5, smooth_s=None, outlier_sd=None)
    w = synchrony(pd.DataFrame({"client": x, "counselor": y}), p).windows
    assert w.loc[0, "reason"] == "no_variance" and np.isnan(w.loc[0, "all_lags"])


def test_all_windows_na_is_an_error_not_a_nan_table() -> None:
    x = np.full(300, np.nan)
    x[::3] = 1.0  # two thirds missing everywhere
    df = pd.DataFrame({"client": x, "counselor": np.arange(300.0) % 7})
    p = SynchronyParams(fps=10, lag_s=0.5, win_s=5, inc_s=5, smooth_s=None, outlier_sd=None, scale=False)
    with pytest.raises(InvalidInput) as err:
        wlcc(df, p)
    assert err.value.key == "synchrony.no_valid_windows"


def test_bad_parameters() -> None:
    with pytest.raises(InvalidInput):
        SynchronyParams(fps=0)
    with pytest.raises(InvalidInput):
        SynchronyParams(win_s=-1)
    with pytest.raises(InvalidInput):
        synchrony(pd.DataFrame({"client": [1.0]}))


# --------------------------------------------------------------------------- readers and report


def test_read_rmea_text_fixture() -> None:
    df = load("200_01")
    assert len(df) == 15000 and list(df.columns) == ["time_s", "client", "counselor"]
    assert df.loc[0, "client"] == 1550 and df.loc[0, "counselor"] == 6948
    assert df["time_s"].iloc[-1] == pytest.approx(14999 / 25)


def test_read_series_csv_sums_regions_and_checks_time(tmp_path: Path) -> None:
    t = np.arange(10) / 25
    path = tmp_path / "s.csv"
    pd.DataFrame(
        {"time_s": t, "client_head": 1.0, "client_body": 2.0, "counselor_head": 3.0, "counselor_body": 4.0}
    ).to_csv(path, index=False)
    df, fps = read_series_csv(path)
    assert fps == pytest.approx(25) and (df["client"] == 3).all() and (df["counselor"] == 7).all()
    t[5:] += 0.5
    pd.DataFrame({"time_s": t, "client": 1.0, "counselor": 2.0}).to_csv(path, index=False)
    with pytest.raises(InvalidInput, match="time"):
        read_series(path)


def test_synchrony_report_is_strict_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    a = np.abs(rng.normal(size=1500))
    path = tmp_path / "series.csv"
    pd.DataFrame({"time_s": np.arange(1500) / 25, "client": a, "counselor": np.roll(a, 5) + 0.1}).to_csv(
        path, index=False
    )
    report = synchrony_report(path, lag=1, window=10, step=5, n_surrogates=5)
    text = json.dumps(report, allow_nan=False)
    assert report["params"]["fps"] == pytest.approx(25)
    assert len(report["windows"]) == n_windows(1500, SynchronyParams(lag_s=1, win_s=10, inc_s=5))
    assert report["summary"]["best_lag_median_s"] == pytest.approx(0.2)
    assert report["surrogates"]["n"] == 5 and "grand_aver" in text


def test_synchrony_report_on_rmea_text_file_reproduces_golden() -> None:
    path = rmea_dir() / "data" / "normal" / "200_01.txt"
    report = synchrony_report(path, fps=25, n_surrogates=0, rmea_compat=True)
    ref = golden()["dyads"]["normal_200_1"]
    assert report["summary"]["grand_aver"] == pytest.approx(ref["grandAver"], abs=TOL)
    assert [w["best_lag_s"] for w in report["windows"]] == pytest.approx(ref["bestLag"], abs=TOL)
    assert "surrogates" not in report and report["params"]["rmea_compat"] is True


def test_every_error_key_is_translated() -> None:
    root = Path(__file__).resolve().parents[2] / "observe"
    keys = set()
    for path in [root / "analysis" / "synchrony.py", root / "interop" / "mea.py"]:
        keys |= set(re.findall(r'"(synchrony\.[a-z_]+)"', path.read_text()))
    assert keys
    for key in keys:
        texts = catalog().get(key)
        assert texts and texts.get("en") and texts.get("id"), key
