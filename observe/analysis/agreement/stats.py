"""Agreement statistics on ready-made tables: Cohen's kappa and its companions,
ICC(2,1) and Krippendorff's alpha (nominal), plus the app's policy verdicts.

Everything here is a few lines of arithmetic on a contingency table or a score
matrix (DOMAIN §6); the tests check each one against scikit-learn, pingouin and
the ``krippendorff`` package and against the DOMAIN §6 worked example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observe.errors import InvalidInput

#: Keys of the policy verdicts (DOMAIN §6 "App policy"); translate with ``agreement.verdict.<key>``.
VERDICTS: tuple[str, ...] = ("undefined", "insufficient", "below_training", "training", "research")


@dataclass(frozen=True)
class KappaStats:
    """Cohen's kappa of one agreement table with the numbers DOMAIN §6 shows beside it.

    Attributes
    ----------
    kappa, p_o, p_e, kappa_max, pabak : float
        Cohen's kappa, observed and chance agreement, the largest kappa the
        marginals allow, and prevalence- and bias-adjusted kappa. NaN when
        undefined (see ``reason``).
    n : int
        Number of tallies (units or events) in the table.
    n_codes : int
        Number of categories K (rows of the square table); PABAK uses it.
    reason : str or None
        Translation key saying why kappa is NaN, else None.
    """

    kappa: float
    p_o: float
    p_e: float
    kappa_max: float
    pabak: float
    n: int
    n_codes: int
    reason: str | None = None


def kappa_from_table(table: np.ndarray | pd.DataFrame) -> KappaStats:
    """Cohen's kappa and companions from a square K×K table (rows coder A, columns coder B).

    p_o = Σn_kk/N, p_e = Σn_k·n_·k/N², κ = (p_o − p_e)/(1 − p_e);
    κ_max uses p_o,max = Σmin(n_k·, n_·k)/N; PABAK = (K·p_o − 1)/(K − 1) (DOMAIN §6).

    Parameters
    ----------
    table : array or DataFrame
        Square table of counts; an event-based table may carry a structural
        zero in its nil–nil cell, which is simply a zero here.

    Returns
    -------
    KappaStats
        NaN kappa with ``reason="agreement.kappa_undefined"`` when p_e = 1
        (both coders used one and the same code throughout), and all NaN with
        ``reason="agreement.no_units"`` for an empty table.

    Examples
    --------
    >>> s = kappa_from_table([[47, 3, 1], [1, 39, 3], [5, 4, 17]])
    >>> round(s.p_o, 3), round(s.p_e, 3), round(s.kappa, 2), round(s.kappa_max, 2), round(s.pabak, 2)
    (0.858, 0.363, 0.78, 0.93, 0.79)
    """
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"an agreement table must be square, got shape {counts.shape}")
    k = counts.shape[0]
    n = float(counts.sum())
    if n == 0:
        nan = math.nan
        return KappaStats(nan, nan, nan, nan, nan, 0, k, "agreement.no_units")
    rows, cols = counts.sum(axis=1), counts.sum(axis=0)
    p_o = float(np.trace(counts)) / n
    p_e = float(rows @ cols) / n**2
    p_o_max = float(np.minimum(rows, cols).sum()) / n
    pabak = (k * p_o - 1.0) / (k - 1.0) if k > 1 else math.nan
    if math.isclose(p_e, 1.0):
        return KappaStats(math.nan, p_o, p_e, math.nan, pabak, int(n), k, "agreement.kappa_undefined")
    kappa = (p_o - p_e) / (1.0 - p_e)
    kappa_max = (p_o_max - p_e) / (1.0 - p_e)
    return KappaStats(kappa, p_o, p_e, kappa_max, pabak, int(n), k)


def contingency(a: np.ndarray, b: np.ndarray, n_codes: int) -> np.ndarray:
    """The K×K table of two integer code series (codes 0..K−1), rows ``a``, columns ``b``.

    Examples
    --------
    >>> contingency(np.array([0, 1, 1]), np.array([0, 1, 0]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    flat = np.bincount(a.astype(np.int64) * n_codes + b.astype(np.int64), minlength=n_codes * n_codes)
    return flat.reshape(n_codes, n_codes)


def binary_scores(table: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of a 2×2 present/absent table (index 1 = present), A as reference.

    precision = both/|B present|, recall = both/|A present|, F1 = 2PR/(P+R)
    (the event-based definitions of DOMAIN §6 applied to units). NaN when a
    denominator is zero; F1 is 1 when neither coder marked any unit.

    Examples
    --------
    >>> binary_scores(np.array([[5, 1], [2, 2]]))
    (0.6666666666666666, 0.5, 0.5714285714285714)
    """
    both = float(table[1, 1])
    n_a, n_b = float(table[1, :].sum()), float(table[:, 1].sum())
    return _prf(both, n_a, n_b)


def _prf(matches: float, n_a: float, n_b: float) -> tuple[float, float, float]:
    precision = matches / n_b if n_b else math.nan
    recall = matches / n_a if n_a else math.nan
    # F1 = 2·matches/(|A|+|B|), the same as 2PR/(P+R) but defined when one side is empty.
    f1 = 2.0 * matches / (n_a + n_b) if (n_a + n_b) else math.nan
    return precision, recall, f1


def verdict(value: float, measure: str = "kappa") -> str:
    """The app-policy verdict for a reliability value (DOMAIN §6 "App policy").

    Parameters
    ----------
    value : float
        The coefficient; NaN gives ``"undefined"``.
    measure : {"kappa", "f1", "icc"}
        Time-unit kappa and event F1: < .60 insufficient, ≥ .70 training pass,
        ≥ .80 research use; ICC(2,1): < .50 insufficient, ≥ .75 both. Values
        between the insufficient and training bounds are ``"below_training"``.

    Returns
    -------
    str
        One of :data:`VERDICTS`; the page shows ``t("agreement.verdict." + key)``.

    Examples
    --------
    >>> [verdict(v) for v in (0.5, 0.65, 0.75, 0.85, float("nan"))]
    ['insufficient', 'below_training', 'training', 'research', 'undefined']
    >>> verdict(0.8, "icc")
    'research'
    """
    bounds = {"kappa": (0.60, 0.70, 0.80), "f1": (0.60, 0.70, 0.80), "icc": (0.50, 0.75, 0.75)}
    if measure not in bounds:
        raise InvalidInput("agreement.bad_measure", measure=measure)
    if value is None or not math.isfinite(value):
        return "undefined"
    low, train, research = bounds[measure]
    if value >= research:
        return "research"
    if value >= train:
        return "training"
    return "below_training" if value >= low else "insufficient"


def icc_band(value: float) -> str:
    """Koo & Li (2016) band of an ICC: poor < .50 ≤ moderate < .75 ≤ good < .90 < excellent.

    Examples
    --------
    >>> icc_band(0.8)
    'good'
    """
    if not math.isfinite(value):
        return "undefined"
    if value < 0.50:
        return "poor"
    if value < 0.75:
        return "moderate"
    return "good" if value <= 0.90 else "excellent"


def alpha_band(value: float) -> str:
    """Krippendorff's band: ≥ .800 reliable, ≥ .667 tentative, else unreliable (DOMAIN §6).

    Examples
    --------
    >>> alpha_band(0.7)
    'tentative'
    """
    if not math.isfinite(value):
        return "undefined"
    if value >= 0.800:
        return "reliable"
    return "tentative" if value >= 0.667 else "unreliable"


@dataclass(frozen=True)
class IccResult:
    """ICC(2,1) of a windows × observers score matrix.

    Attributes
    ----------
    icc : float
        Two-way random, absolute agreement, single rater (Shrout & Fleiss 1979); NaN if undefined.
    n_windows, n_observers : int
        Targets and coders used (windows with a missing score are dropped).
    n_dropped : int
        Windows left out because some observer has no score there.
    ms_r, ms_c, ms_e : float
        Mean squares of rows (windows), columns (observers) and error.
    band, verdict : str
        Koo & Li band and app-policy verdict.
    reason : str or None
        Translation key when the ICC is NaN.
    """

    icc: float
    n_windows: int
    n_observers: int
    n_dropped: int
    ms_r: float
    ms_c: float
    ms_e: float
    band: str
    verdict: str
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (NaN → None)."""
        return {k: _json_float(v) for k, v in self.__dict__.items()}


def icc_2_1(
    scores: pd.DataFrame, *, window: str = "window", observer: str = "observer", score: str = "score"
) -> IccResult:
    """ICC(2,1) of per-window scores (e.g. the openness index) between observers.

    ICC(2,1) = (MS_R − MS_E)/(MS_R + (k−1)MS_E + k(MS_C − MS_E)/n), with R the
    windows (targets), C the observers, k observers and n windows (DOMAIN §6).

    Parameters
    ----------
    scores : DataFrame
        Tidy frame, one row per window and observer.
    window, observer, score : str
        Column names of the target, the rater and the rating.

    Returns
    -------
    IccResult
        NaN with a reason when fewer than two observers or two complete windows.

    Examples
    --------
    >>> df = pd.DataFrame({"window": [1, 1, 2, 2, 3, 3], "observer": list("ababab"),
    ...                    "score": [0.1, 0.2, 0.5, 0.4, 0.9, 0.9]})
    >>> round(icc_2_1(df).icc, 3)
    0.977
    """
    missing = [c for c in (window, observer, score) if c not in scores.columns]
    if missing:
        raise InvalidInput("agreement.missing_columns", what="scores", columns=", ".join(missing))
    wide = scores.pivot_table(index=window, columns=observer, values=score, aggfunc="mean", dropna=False)
    k = wide.shape[1]
    complete = wide.dropna()
    n = complete.shape[0]
    dropped = wide.shape[0] - n
    nan = math.nan
    if k < 2:
        return IccResult(
            nan, n, k, dropped, nan, nan, nan, "undefined", "undefined", "agreement.icc_two_observers"
        )
    if n < 2:
        return IccResult(
            nan, n, k, dropped, nan, nan, nan, "undefined", "undefined", "agreement.icc_two_windows"
        )
    y = complete.to_numpy(dtype=float)
    grand = y.mean()
    ss_r = k * ((y.mean(axis=1) - grand) ** 2).sum()
    ss_c = n * ((y.mean(axis=0) - grand) ** 2).sum()
    ss_e = ((y - grand) ** 2).sum() - ss_r - ss_c
    ms_r, ms_c = float(ss_r / (n - 1)), float(ss_c / (k - 1))
    ms_e = float(ss_e / ((n - 1) * (k - 1)))
    denominator = ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n
    if denominator <= 0:
        return IccResult(
            nan, n, k, dropped, ms_r, ms_c, ms_e, "undefined", "undefined", "agreement.icc_no_variance"
        )
    value = float((ms_r - ms_e) / denominator)
    return IccResult(value, n, k, dropped, ms_r, ms_c, ms_e, icc_band(value), verdict(value, "icc"))


def krippendorff_alpha_nominal(codes: np.ndarray) -> float:
    """Krippendorff's alpha, nominal level, of an observers × units matrix of integer codes.

    Missing values are negative codes. Built from the coincidence matrix:
    α = 1 − (n−1)·Σ_u (m_u² − Σ_c n_uc²)/(m_u − 1) / (n² − Σ_c n_c²), over units
    with m_u ≥ 2 values (Krippendorff 2004; DOMAIN §6).

    Examples
    --------
    >>> round(krippendorff_alpha_nominal(np.array([[0, 1, 1, 0], [0, 1, 0, 0], [0, 1, 1, -1]])), 3)
    0.667
    """
    data = np.asarray(codes, dtype=np.int64)
    n_codes = int(data.max()) + 1 if data.size and data.max() >= 0 else 0
    if n_codes == 0:
        return math.nan
    units = data.shape[1]
    valid = data >= 0
    # per-unit counts n_uc via one bincount over (unit, code) pairs
    unit_idx = np.broadcast_to(np.arange(units), data.shape)[valid]
    n_uc = np.bincount(unit_idx * n_codes + data[valid], minlength=units * n_codes).reshape(units, n_codes)
    m_u = n_uc.sum(axis=1)
    pairable = m_u >= 2
    n_uc, m_u = n_uc[pairable], m_u[pairable]
    n_total = float(m_u.sum())
    if n_total == 0:
        return math.nan
    disagree_o = float((((m_u**2) - (n_uc**2).sum(axis=1)) / (m_u - 1)).sum())
    n_c = n_uc.sum(axis=0).astype(float)
    disagree_e = n_total**2 - float((n_c**2).sum())
    if disagree_e == 0:
        # one value only: no variation, alpha undefined (the krippendorff package raises here)
        return math.nan
    return 1.0 - (n_total - 1.0) * disagree_o / disagree_e


def _json_float(value: object) -> object:
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
