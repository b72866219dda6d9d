"""Agreement statistics against the DOMAIN §6 worked example and independent libraries."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from observe.analysis.agreement import (
    alpha_band,
    icc_2_1,
    icc_band,
    kappa_from_table,
    krippendorff_alpha_nominal,
    verdict,
)
from observe.analysis.agreement.stats import binary_scores, contingency
from observe.errors import InvalidInput

# DOMAIN §6 worked example: GAZE, 1 s units, rows coder A (EYE, AWAY, DOWN), columns coder B.
WORKED = np.array([[47, 3, 1], [1, 39, 3], [5, 4, 17]])


def test_worked_example_domain_6() -> None:
    s = kappa_from_table(WORKED)
    assert s.n == 120 and s.n_codes == 3
    assert s.p_o == pytest.approx(103 / 120)
    assert s.p_e == pytest.approx(5227 / 14400)
    assert round(s.p_o, 3) == 0.858
    assert round(s.p_e, 3) == 0.363
    assert round(s.kappa, 2) == 0.78
    assert round(s.kappa_max, 2) == 0.93
    assert round(s.pabak, 2) == 0.79
    assert s.reason is None


def test_worked_example_equals_sklearn_on_expanded_units() -> None:
    # expand the table into 120 unit pairs and let scikit-learn compute kappa independently
    a, b = np.nonzero(WORKED)
    reps = WORKED[a, b]
    units_a, units_b = np.repeat(a, reps), np.repeat(b, reps)
    assert kappa_from_table(WORKED).kappa == pytest.approx(cohen_kappa_score(units_a, units_b), abs=1e-12)
    assert (contingency(units_a, units_b, 3) == WORKED).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=200).filter(
        lambda pairs: len({p for pair in pairs for p in pair}) > 1
    )
)
def test_kappa_equals_sklearn(pairs: list[tuple[int, int]]) -> None:
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    s = kappa_from_table(contingency(a, b, 5))
    expected = cohen_kappa_score(a, b)
    if math.isnan(expected):
        assert math.isnan(s.kappa)
    else:
        assert s.kappa == pytest.approx(expected, abs=1e-9)
    assert s.p_o == pytest.approx(np.mean(a == b))


def test_pabak_two_categories_is_two_po_minus_one() -> None:
    s = kappa_from_table([[90, 4], [2, 4]])
    assert s.pabak == pytest.approx(2 * 0.94 - 1)


def test_single_shared_code_makes_kappa_undefined_not_zero() -> None:
    s = kappa_from_table([[50]])
    assert math.isnan(s.kappa) and s.p_o == 1.0
    assert s.reason == "agreement.kappa_undefined"
    empty = kappa_from_table(np.zeros((2, 2)))
    assert math.isnan(empty.kappa) and empty.n == 0 and empty.reason == "agreement.no_units"


def test_non_square_table_is_rejected() -> None:
    with pytest.raises(ValueError):
        kappa_from_table([[1, 2, 3], [4, 5, 6]])


def test_binary_scores() -> None:
    # rows A absent/present, columns B absent/present: both present 2, only A 2, only B 1
    precision, recall, f1 = binary_scores(np.array([[5, 1], [2, 2]]))
    assert (precision, recall) == (pytest.approx(2 / 3), pytest.approx(0.5))
    assert f1 == pytest.approx(2 * 2 / (4 + 3))
    p, r, f = binary_scores(np.array([[10, 0], [0, 0]]))
    assert math.isnan(p) and math.isnan(r) and math.isnan(f)


@pytest.mark.parametrize(
    ("value", "measure", "expected"),
    [
        (0.59, "kappa", "insufficient"),
        (0.60, "kappa", "below_training"),
        (0.69, "kappa", "below_training"),
        (0.70, "kappa", "training"),
        (0.79, "f1", "training"),
        (0.80, "f1", "research"),
        (float("nan"), "kappa", "undefined"),
        (0.49, "icc", "insufficient"),
        (0.50, "icc", "below_training"),
        (0.75, "icc", "research"),
    ],
)
def test_policy_verdicts(value: float, measure: str, expected: str) -> None:
    assert verdict(value, measure) == expected


def test_unknown_measure_is_a_user_error() -> None:
    with pytest.raises(InvalidInput):
        verdict(0.5, "alpha")


def test_bands() -> None:
    assert [icc_band(v) for v in (0.4, 0.6, 0.8, 0.95, float("nan"))] == [
        "poor",
        "moderate",
        "good",
        "excellent",
        "undefined",
    ]
    assert [alpha_band(v) for v in (0.9, 0.7, 0.5)] == ["reliable", "tentative", "unreliable"]


# --------------------------------------------------------------------------- ICC(2,1)


def _pingouin_icc2(df: pd.DataFrame) -> float:
    table = pg.intraclass_corr(df, targets="window", raters="observer", ratings="score")
    # pingouin ≥ 0.6 names Shrout & Fleiss ICC(2,1) "ICC(A,1)"; older versions "ICC2"
    row = table[table["Type"].isin(["ICC2", "ICC(A,1)"])]
    return float(row["ICC"].iloc[0])


@settings(max_examples=30, deadline=None)
@given(
    n_windows=st.integers(3, 15),
    n_observers=st.integers(2, 4),
    seed=st.integers(0, 10_000),
)
def test_icc_equals_pingouin(n_windows: int, n_observers: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 1, n_windows)
    bias = rng.normal(0, 0.3, n_observers)
    scores = truth[:, None] + bias[None, :] + rng.normal(0, 0.5, (n_windows, n_observers))
    df = pd.DataFrame(
        {
            "window": np.repeat(np.arange(n_windows), n_observers),
            "observer": np.tile([f"o{i}" for i in range(n_observers)], n_windows),
            "score": scores.ravel(),
        }
    )
    res = icc_2_1(df)
    assert res.icc == pytest.approx(_pingouin_icc2(df), abs=1e-9)
    assert res.n_windows == n_windows and res.n_observers == n_observers


def test_icc_drops_incomplete_windows_and_reports_them() -> None:
    df = pd.DataFrame(
        {
            "window": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5],
            "observer": ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a"],
            "score": [0.1, 0.2, 0.5, 0.4, 0.9, np.nan, 0.3, 0.35, 0.7, 0.6, 0.3],
        }
    )
    res = icc_2_1(df)
    assert res.n_windows == 4 and res.n_dropped == 2
    complete = df[df["window"].isin([0, 1, 3, 4])]
    assert res.icc == pytest.approx(_pingouin_icc2(complete), abs=1e-9)


def test_icc_not_enough_data_is_explicit() -> None:
    one = icc_2_1(pd.DataFrame({"window": [0, 1], "observer": ["a", "a"], "score": [0.1, 0.2]}))
    assert math.isnan(one.icc) and one.reason == "agreement.icc_two_observers"
    short = icc_2_1(pd.DataFrame({"window": [0, 0], "observer": ["a", "b"], "score": [0.1, 0.2]}))
    assert math.isnan(short.icc) and short.reason == "agreement.icc_two_windows"
    assert short.to_dict()["icc"] is None
    with pytest.raises(InvalidInput) as err:
        icc_2_1(pd.DataFrame({"window": [0], "rater": ["a"], "score": [1.0]}))
    assert err.value.key == "agreement.missing_columns"


def test_icc_custom_column_names() -> None:
    df = pd.DataFrame({"w": [0, 0, 1, 1, 2, 2], "who": list("ababab"), "oi": [0.1, 0.2, 0.5, 0.4, 0.9, 0.9]})
    res = icc_2_1(df, window="w", observer="who", score="oi")
    renamed = df.rename(columns={"w": "window", "who": "observer", "oi": "score"})
    assert res.icc == pytest.approx(_pingouin_icc2(renamed), abs=1e-9)


# --------------------------------------------------------------------------- Krippendorff's alpha


@settings(max_examples=40, deadline=None)
@given(
    n_observers=st.integers(2, 5),
    n_units=st.integers(5, 60),
    n_codes=st.integers(2, 5),
    missing=st.floats(0.0, 0.3),
    seed=st.integers(0, 10_000),
)
def test_alpha_equals_krippendorff_package(
    n_observers: int, n_units: int, n_codes: int, missing: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_codes, n_units)
    data = np.where(
        rng.random((n_observers, n_units)) < 0.8, truth, rng.integers(0, n_codes, (n_observers, n_units))
    )
    data = np.where(rng.random(data.shape) < missing, -1, data)
    if len(np.unique(data[data >= 0])) < 2 or ((data >= 0).sum(axis=0) >= 2).sum() == 0:
        return  # no variation or nothing pairable: the package raises, ours returns NaN
    expected = krippendorff.alpha(
        reliability_data=np.where(data < 0, np.nan, data).astype(float), level_of_measurement="nominal"
    )
    if math.isnan(expected):  # e.g. no unit with two values left: both say "undefined"
        assert math.isnan(krippendorff_alpha_nominal(data))
    else:
        assert krippendorff_alpha_nominal(data) == pytest.approx(expected, abs=1e-9)


def test_alpha_without_variation_is_nan() -> None:
    assert math.isnan(krippendorff_alpha_nominal(np.zeros((3, 10), dtype=int)))
