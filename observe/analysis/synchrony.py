"""Nonverbal synchrony from two motion-energy series (DOMAIN §7, exploratory only).

Pipeline (Ramseyer & Tschacher 2011; rMEA by Kleinbub & Ramseyer): outliers to NA,
moving-average smoothing, scaling by the SD without centring, then windowed lagged
cross-correlation (WLCC) with Fisher z and absolute values, summarised per window
and per session, and compared with surrogate (pseudo-)synchrony.

Conventions (as rMEA ``MEAccf``): s1 = client, s2 = counselor. A **positive lag**
means the client leads and the counselor follows; a negative lag means the
counselor leads.

Two settings
------------
``SynchronyParams()`` (the default) and ``SynchronyParams.rmea()`` (rMEA 1.3.0
compatible). The compatible setting reproduces rMEA 1.3.0's ``readMEA`` →
``MEAsmooth`` → ``MEAscale`` → ``MEAccf`` results to about 1e-12 (tested against
the golden values in ``../shared/fixtures/rmea/golden/``). The default departs
from rMEA on purpose, in four places:

1. **Outliers.** The default sets values above ``outlier_sd`` (10) SDs of their
   series to NA before smoothing (DOMAIN §7: video artefacts give spikes that
   dominate a correlation). rMEA's ``readMEA`` only warns; its ``MEAoutlier`` is a
   separate, optional step, so the compatible setting has ``outlier_sd=None``.
   As in rMEA's ``MEAoutlier`` the rule is ``x > k * sd(x)`` (no centring).
2. **Smoothing window.** rMEA's ``sasFiltB`` uses ``n = 0.5 s * fs`` samples, which
   is 12.5 at 25 fps; with R's fractional ``i1:i2`` indexing every interior value
   becomes ``sum(a[t-6 .. t+5]) / 12.5``: an asymmetric 12-sample window divided by
   12.5, which shifts the series by half a sample and shrinks it by 4 %. The
   default uses a symmetric, centred window of the nearest odd length (13 samples
   at 25 fps) divided by the number of samples actually in it.
3. **Series edges.** In rMEA the first samples are damped (t = 1 is
   ``sum(a[1..6]) / 12.5``) and any window that reaches past the end is NA, set to
   0, so the last 5 samples become 0. The default shrinks the window at both edges
   instead, so the ends are neither damped nor zeroed.
4. **NA inside the smoothing window.** In rMEA one NA makes the window sum NA,
   which is then set to 0, so every smoothed value near an NA becomes 0. The
   default treats the NA itself as 0 while filtering (DOMAIN §7) and keeps its
   neighbours' real motion. In both settings the original NA positions are
   restored to NA afterwards.

Also, a window with more than half NA in either series is an NA row with a reason
here; rMEA 1.3.0 stops with an error in that case (see golden/README.md).

Window and lag sample counts are ``round(seconds * fps)``; rMEA uses the product
directly, which is the same whenever it is a whole number (e.g. at 25 fps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from observe.errors import InvalidInput

#: s1 and s2 of rMEA, in our subject names (DOMAIN §7).
S1, S2 = "client", "counselor"

#: Fisher z of |r| = 1 is infinite; rMEA clamps it to ±10 (``fisher.r2z``).
Z_CLAMP = 10.0

WINDOW_COLUMNS = [
    "window",
    "start_s",
    "end_s",
    "all_lags",
    "lag_zero",
    "s1_lead",
    "s2_lead",
    "s1_lead_0",
    "s2_lead_0",
    "best_lag_s",
    "n_na",
    "reason",
]


@dataclass(frozen=True)
class SynchronyParams:
    """Settings of the synchrony pipeline (defaults from DOMAIN §7).

    Parameters
    ----------
    fps : float
        Samples per second of both series.
    lag_s, win_s, inc_s : float
        Largest lag, window length and window step in seconds (rMEA lagSec,
        winSec, incSec).
    smooth_s : float or None
        Moving-average width in seconds; None or 0 skips smoothing.
    outlier_sd : float or None
        Values above ``outlier_sd * sd`` become NA; None keeps them.
    scale : bool
        Divide each series by its SD (no centring), as rMEA ``MEAscale``.
    fisher_z, absolute : bool
        Fisher z transform (clamped to ±10), then absolute value (rMEA r2Z, ABS).
    rmea_compat : bool
        Use rMEA 1.3.0's smoothing rule with its quirks (see module docstring).
    segment_s : float
        Segment length of the within-session shuffle surrogates.
    n_surrogates : int
        Number of shuffle surrogates B (100; at least 500 for a p value to 0.002).
    seed : int
        Seed of the surrogate shuffles, so a result can be reproduced.

    Examples
    --------
    >>> SynchronyParams(fps=25).lag_samples
    125
    >>> SynchronyParams.rmea().outlier_sd is None
    True
    """

    fps: float = 25.0
    lag_s: float = 5.0
    win_s: float = 30.0
    inc_s: float = 10.0
    smooth_s: float | None = 0.5
    outlier_sd: float | None = 10.0
    scale: bool = True
    fisher_z: bool = True
    absolute: bool = True
    rmea_compat: bool = False
    segment_s: float = 30.0
    n_surrogates: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.fps > 0 and math.isfinite(self.fps)):
            raise InvalidInput("synchrony.bad_param", name="fps", value=self.fps)
        for name in ("win_s", "inc_s", "segment_s"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise InvalidInput("synchrony.bad_param", name=name, value=value)
        if not (self.lag_s >= 0 and math.isfinite(self.lag_s)):
            raise InvalidInput("synchrony.bad_param", name="lag_s", value=self.lag_s)
        if self.outlier_sd is not None and not self.outlier_sd > 0:
            raise InvalidInput("synchrony.bad_param", name="outlier_sd", value=self.outlier_sd)
        if self.smooth_s is not None and self.smooth_s < 0:
            raise InvalidInput("synchrony.bad_param", name="smooth_s", value=self.smooth_s)
        if self.n_surrogates < 0:
            raise InvalidInput("synchrony.bad_param", name="n_surrogates", value=self.n_surrogates)
        if self.win_samples < 2 or self.inc_samples < 1:
            raise InvalidInput("synchrony.bad_param", name="win_s", value=self.win_s)

    @classmethod
    def rmea(cls, **overrides: Any) -> SynchronyParams:
        """The rMEA 1.3.0 compatible setting (readMEA, MEAsmooth, MEAscale, MEAccf defaults)."""
        return cls(**{"rmea_compat": True, "outlier_sd": None, **overrides})

    @property
    def win_samples(self) -> int:
        """Window length in samples."""
        return int(round(self.win_s * self.fps))

    @property
    def lag_samples(self) -> int:
        """Largest lag in samples."""
        return int(round(self.lag_s * self.fps))

    @property
    def inc_samples(self) -> int:
        """Window step in samples."""
        return int(round(self.inc_s * self.fps))


@dataclass(frozen=True)
class SynchronyResult:
    """Windowed lagged cross-correlation of one session.

    Attributes
    ----------
    ccf : DataFrame
        Window × lag table: index ``window`` (1-based), one column per lag in
        seconds (negative = counselor leads), values |z| (or r / z, see params).
    windows : DataFrame
        One row per window, columns :data:`WINDOW_COLUMNS`: ``all_lags`` (mean
        over lags), ``lag_zero``, ``s1_lead`` (client leads: mean of lags > 0),
        ``s2_lead`` (counselor leads: lags < 0), ``s1_lead_0``/``s2_lead_0``
        (including lag 0), ``best_lag_s`` (lag of the row maximum, first on
        ties), ``n_na`` cells, ``reason`` (why a window is NA, else "").
    grand_aver : float
        Mean of the whole table, NA cells left out (rMEA ``grandAver``).
    n_samples : int
        Length of the series analysed.
    params : SynchronyParams
    """

    ccf: pd.DataFrame
    windows: pd.DataFrame
    grand_aver: float
    n_samples: int
    params: SynchronyParams

    @property
    def lag_zero_mean(self) -> float:
        """Mean lag-zero synchrony over windows (NA windows left out)."""
        return _nanmean(self.windows["lag_zero"].to_numpy())

    def summary(self) -> dict[str, float]:
        """Session-level lead/lag summary: means over windows and the median best lag."""
        w = self.windows
        return {
            "grand_aver": self.grand_aver,
            "lag_zero_mean": self.lag_zero_mean,
            "all_lags_mean": _nanmean(w["all_lags"].to_numpy()),
            "s1_lead_mean": _nanmean(w["s1_lead"].to_numpy()),
            "s2_lead_mean": _nanmean(w["s2_lead"].to_numpy()),
            "best_lag_median_s": float(np.nanmedian(w["best_lag_s"]))
            if w["best_lag_s"].notna().any()
            else math.nan,
            "n_windows": int(len(w)),
            "n_windows_na": int((w["reason"] != "").sum()),
        }

    def table(self) -> pd.DataFrame:
        """The window × lag table in long form: window, lag_s, value."""
        long = self.ccf.rename_axis(columns="lag_s").stack(future_stack=True).rename("value").reset_index()
        return long


@dataclass(frozen=True)
class SurrogateTest:
    """Real synchrony against a surrogate distribution (DOMAIN §7 effect size).

    ``es = (real - mean) / sd`` of the surrogates; ``p = (1 + #{sur >= real}) / (B + 1)``.
    """

    real: float
    surrogate_mean: float
    surrogate_sd: float
    n: int
    es: float
    p: float
    n_exceeding: int
    surrogates: tuple[float, ...] = field(repr=False)


# --------------------------------------------------------------------------- helpers


def _nanmean(a: np.ndarray, axis: int | None = None) -> Any:
    """Mean ignoring NaN, NaN (without a warning) where everything is NaN."""
    a = np.asarray(a, dtype=float)
    valid = ~np.isnan(a)
    count = valid.sum(axis=axis)
    total = np.where(valid, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    return float(out) if axis is None else out


def _sd(x: np.ndarray) -> float:
    """Sample SD (n - 1) with NaN left out, as R's ``sd(na.omit(x))``."""
    v = x[~np.isnan(x)]
    return float(np.std(v, ddof=1)) if v.size > 1 else math.nan


def _as_pair(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in (S1, S2) if c not in series.columns]
    if missing:
        raise InvalidInput("synchrony.missing_columns", columns=", ".join(missing))
    s1 = pd.to_numeric(series[S1], errors="coerce").to_numpy(dtype=float)
    s2 = pd.to_numeric(series[S2], errors="coerce").to_numpy(dtype=float)
    return s1, s2


def _check_variance(x: np.ndarray, subject: str) -> None:
    valid = x[~np.isnan(x)]
    if valid.size < 2 or np.all(valid == valid[0]):
        raise InvalidInput("synchrony.constant_series", subject=subject)


# --------------------------------------------------------------------------- preprocessing


def remove_outliers(x: np.ndarray, k: float) -> np.ndarray:
    """Values above ``k`` SDs of the series become NaN (rMEA ``MEAoutlier`` rule ``x > k·sd(x)``).

    Examples
    --------
    >>> bool(np.isnan(remove_outliers(np.r_[np.ones(99), 1000.0], 5)[-1]))
    True
    """
    x = np.asarray(x, dtype=float).copy()
    sd = _sd(x)
    if math.isfinite(sd) and sd > 0:
        with np.errstate(invalid="ignore"):
            x[x > k * sd] = np.nan
    return x


def smooth(x: np.ndarray, *, fps: float, width_s: float, rmea_compat: bool = False) -> np.ndarray:
    """Moving average of width ``width_s`` seconds; NaN positions stay NaN.

    With ``rmea_compat`` it follows rMEA 1.3.0 ``sasFiltB`` exactly (golden/README.md
    point 2): ``n = width_s * fps`` (may be fractional), window indices
    ``trunc(max(1, t - (n-1)/2)) ...`` stepping by one while ``<= t + (n-1)/2``,
    sum divided by ``n``; a window holding an NA or reaching past the end gives 0.
    Otherwise it is a centred window of the nearest odd length, divided by the
    number of samples in it, with NaN counted as 0 while filtering.

    Examples
    --------
    >>> smooth(np.array([0.0, 3.0, 0.0, 0.0]), fps=3, width_s=1)
    array([1.5, 1. , 1. , 0. ])
    """
    x = np.asarray(x, dtype=float)
    n_total = x.size
    isna = np.isnan(x)
    filled = np.where(isna, 0.0, x)
    csum = np.concatenate([[0.0], np.cumsum(filled)])
    if rmea_compat:
        out = _smooth_rmea(filled, isna, csum, fps * width_s)
    else:
        k = int(round(width_s * fps))
        half = k // 2  # nearest odd length 2*half+1 (12.5 -> 12 -> 13 samples)
        t = np.arange(n_total)
        lo = np.maximum(t - half, 0)
        hi = np.minimum(t + half + 1, n_total)
        out = (csum[hi] - csum[lo]) / (hi - lo)
    out[isna] = np.nan
    return out


def _smooth_rmea(filled: np.ndarray, isna: np.ndarray, csum: np.ndarray, n: float) -> np.ndarray:
    """rMEA ``sasFiltB`` with R's fractional ``i1:i2`` semantics, vectorised (1-based t)."""
    n_total = filled.size
    t = np.arange(1, n_total + 1, dtype=float)
    i1 = np.maximum(t - (n - 1) / 2, 1.0)
    i2 = t + (n - 1) / 2
    # R's from:to yields floor(to - from + 1e-10) + 1 values; indices are truncated,
    # and i1 and i1 + k share a fractional part, so indices are trunc(i1) + 0..count-1.
    count = np.floor(i2 - i1 + 1e-10).astype(np.int64) + 1
    first = np.trunc(i1).astype(np.int64)  # 1-based
    last = first + count - 1
    out = np.zeros(n_total)
    inside = last <= n_total  # past the end R returns NA -> sum NA -> 0
    na_csum = np.concatenate([[0], np.cumsum(isna)])
    f, last_in = first[inside], last[inside]
    has_na = (na_csum[last_in] - na_csum[f - 1]) > 0
    sums = csum[last_in] - csum[f - 1]
    out[inside] = np.where(has_na, 0.0, sums / n)
    return out


def scale_sd(x: np.ndarray, subject: str = "?") -> np.ndarray:
    """Divide by the sample SD (NaN left out), no centring (rMEA ``MEAscale`` defaults).

    Examples
    --------
    >>> scale_sd(np.array([1.0, 3.0])).round(4).tolist()
    [0.7071, 2.1213]
    """
    sd = _sd(x)
    if not (math.isfinite(sd) and sd > 0):
        raise InvalidInput("synchrony.constant_series", subject=subject)
    return np.asarray(x, dtype=float) / sd


def preprocess(series: pd.DataFrame, params: SynchronyParams | None = None) -> pd.DataFrame:
    """Outliers → NA, smoothing, SD scaling of both series (DOMAIN §7 preprocessing).

    Parameters
    ----------
    series : DataFrame
        Columns ``client`` and ``counselor`` (motion energy, one row per sample);
        ``time_s`` is kept if present.
    params : SynchronyParams

    Returns
    -------
    DataFrame
        Same rows, ``client`` and ``counselor`` preprocessed.

    Examples
    --------
    >>> df = pd.DataFrame({"client": [1.0, 2, 3, 2, 1], "counselor": [2.0, 1, 2, 3, 2]})
    >>> preprocess(df, SynchronyParams(fps=5, smooth_s=None)).round(3)["client"].tolist()
    [1.195, 2.39, 3.586, 2.39, 1.195]
    """
    params = params or SynchronyParams()
    s1, s2 = _as_pair(series)
    out = series.copy()
    for name, x in ((S1, s1), (S2, s2)):
        _check_variance(x, name)
        if params.outlier_sd is not None:
            x = remove_outliers(x, params.outlier_sd)
        if params.smooth_s:
            x = smooth(x, fps=params.fps, width_s=params.smooth_s, rmea_compat=params.rmea_compat)
        if params.scale:
            x = scale_sd(x, name)
        out[name] = x
    return out


# --------------------------------------------------------------------------- WLCC


def _corr_fixed_vs_rows(v: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Pearson r of one vector with each row (no NaN), two-pass like R's C_cor."""
    vc = v - v.mean()
    rc = rows - rows.mean(axis=1, keepdims=True)
    num = rc @ vc
    den = np.sqrt(np.einsum("ij,ij->i", rc, rc) * (vc @ vc))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    r[den == 0] = np.nan
    differ = (rows != v).sum(axis=1)
    r[differ < 2] = np.nan  # rMEA: fewer than 2 differing pairs -> NA
    return r


def _corr_masked(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson r over complete pairs, for windows holding NaN."""
    x, y = np.broadcast_arrays(x, y)
    valid = ~(np.isnan(x) | np.isnan(y))
    n = valid.sum(axis=1)
    xz, yz = np.where(valid, x, 0.0), np.where(valid, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xz.sum(axis=1) / n
        my = yz.sum(axis=1) / n
        xc = np.where(valid, x - mx[:, None], 0.0)
        yc = np.where(valid, y - my[:, None], 0.0)
        num = (xc * yc).sum(axis=1)
        den = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
        r = num / den
    r[(den == 0) | (n < 2)] = np.nan
    differ = (valid & (x != y)).sum(axis=1)
    r[differ < 2] = np.nan
    return r


def _window_r(seg1: np.ndarray, seg2: np.ndarray, win: int, lag: int) -> np.ndarray:
    """r for lags -lag..lag of one window segment (length win + lag), DOMAIN §7 ranges."""
    sw1 = sliding_window_view(seg1, win)  # row k = seg1[k : k + win], k = 0..lag
    sw2 = sliding_window_view(seg2, win)
    if np.isnan(seg1).any() or np.isnan(seg2).any():
        neg = _corr_masked(sw1[lag:0:-1], seg2[:win][None, :]) if lag else np.empty(0)
        pos = _corr_masked(seg1[:win][None, :], sw2)
    else:
        # lag < 0 (counselor leads): x = s1[|l|+1 .. win+|l|], y = s2[1..win]
        neg = _corr_fixed_vs_rows(seg2[:win], sw1[lag:0:-1]) if lag else np.empty(0)
        # lag >= 0 (client leads): x = s1[1..win], y = s2[l+1 .. win+l]
        pos = _corr_fixed_vs_rows(seg1[:win], sw2)
    return np.concatenate([neg, pos])


def _transform(r: np.ndarray, params: SynchronyParams) -> np.ndarray:
    if params.fisher_z:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.clip(np.arctanh(np.clip(r, -1.0, 1.0)), -Z_CLAMP, Z_CLAMP)
    if params.absolute:
        r = np.abs(r)
    return r


def n_windows(n_samples: int, params: SynchronyParams) -> int:
    """Number of whole windows, ``ceil((N - win - L + 1) / inc)`` (rMEA ``MEAccf``).

    Examples
    --------
    >>> n_windows(15000, SynchronyParams(fps=25))
    57
    """
    win, lag, inc = params.win_samples, params.lag_samples, params.inc_samples
    return max(0, math.ceil((n_samples - win - lag + 1) / inc))


def wlcc(series: pd.DataFrame, params: SynchronyParams | None = None) -> SynchronyResult:
    """Windowed lagged cross-correlation of already preprocessed series (rMEA ``MEAccf``).

    Window ``i`` (0-based) holds samples ``i·inc + 1 … i·inc + win + L`` (1-based);
    lag ℓ ≥ 0 correlates ``client[1..win]`` with ``counselor[1+ℓ..win+ℓ]``, ℓ < 0
    swaps the roles. A window with more than half NA in either series is all NA
    (reason ``too_many_na``); a cell with fewer than 2 differing pairs or zero
    variance is NA.

    Parameters
    ----------
    series : DataFrame
        Columns ``client`` and ``counselor``.
    params : SynchronyParams

    Returns
    -------
    SynchronyResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a = rng.normal(size=400)
    >>> b = np.r_[np.zeros(3), a[:-3]] + rng.normal(scale=0.3, size=400)
    >>> df = pd.DataFrame({"client": a, "counselor": b})
    >>> res = wlcc(df, SynchronyParams(fps=10, lag_s=1, win_s=10, inc_s=5))
    >>> res.windows["best_lag_s"].round(2).unique().tolist()
    [0.3]
    """
    params = params or SynchronyParams()
    s1, s2 = _as_pair(series)
    n = s1.size
    win, lag, inc = params.win_samples, params.lag_samples, params.inc_samples
    count = n_windows(n, params)
    if count == 0:
        raise InvalidInput(
            "synchrony.too_short",
            duration_s=round(n / params.fps, 1),
            needed_s=round((win + lag) / params.fps, 1),
        )
    lags = np.arange(-lag, lag + 1)
    mat = np.full((count, lags.size), np.nan)
    reasons = [""] * count
    for w in range(count):
        a = w * inc
        seg1, seg2 = s1[a : a + win + lag], s2[a : a + win + lag]
        if max(np.isnan(seg1).sum(), np.isnan(seg2).sum()) > seg1.size / 2:
            reasons[w] = "too_many_na"
            continue
        mat[w] = _transform(_window_r(seg1, seg2, win, lag), params)
        if np.isnan(mat[w]).all():
            reasons[w] = "no_variance"
    if all(reasons):
        raise InvalidInput("synchrony.no_valid_windows", n_windows=count)
    lag_s = lags / params.fps
    ccf = pd.DataFrame(mat, columns=pd.Index(lag_s, name="lag_s"))
    ccf.index = pd.RangeIndex(1, count + 1, name="window")
    windows = _window_summary(mat, lags, params, reasons)
    return SynchronyResult(ccf=ccf, windows=windows, grand_aver=_nanmean(mat), n_samples=n, params=params)


def _window_summary(
    mat: np.ndarray, lags: np.ndarray, params: SynchronyParams, reasons: list[str]
) -> pd.DataFrame:
    count = mat.shape[0]
    zero = int(np.flatnonzero(lags == 0)[0])
    best = np.full(count, np.nan)
    for w in range(count):
        row = mat[w]
        if not np.isnan(row).all():
            best[w] = lags[int(np.nanargmax(row))] / params.fps  # first maximum, as which.max
    start = np.arange(count) * params.inc_s
    return pd.DataFrame(
        {
            "window": np.arange(1, count + 1),
            "start_s": start,
            "end_s": start + params.win_s,
            "all_lags": _nanmean(mat, axis=1),
            "lag_zero": mat[:, zero],
            "s1_lead": _nanmean(mat[:, zero + 1 :], axis=1) if lags.size > 1 else np.nan,
            "s2_lead": _nanmean(mat[:, :zero], axis=1) if lags.size > 1 else np.nan,
            "s1_lead_0": _nanmean(mat[:, zero:], axis=1),
            "s2_lead_0": _nanmean(mat[:, : zero + 1], axis=1),
            "best_lag_s": best,
            "n_na": np.isnan(mat).sum(axis=1),
            "reason": reasons,
        },
        columns=WINDOW_COLUMNS,
    )


def synchrony(series: pd.DataFrame, params: SynchronyParams | None = None) -> SynchronyResult:
    """Preprocess both series and run the windowed lagged cross-correlation.

    Parameters
    ----------
    series : DataFrame
        Columns ``client`` and ``counselor`` (raw motion energy), one row per sample.
    params : SynchronyParams
        ``SynchronyParams.rmea()`` reproduces rMEA 1.3.0.

    Returns
    -------
    SynchronyResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = np.abs(rng.normal(size=2000)).cumsum() % 7
    >>> df = pd.DataFrame({"client": a, "counselor": np.r_[np.zeros(10), a[:-10]]})
    >>> res = synchrony(df, SynchronyParams(fps=25, lag_s=1, win_s=20, inc_s=10))
    >>> float(res.windows["best_lag_s"].median())
    0.4
    """
    params = params or SynchronyParams()
    return wlcc(preprocess(series, params), params)


# --------------------------------------------------------------------------- surrogates


def shuffle_segments(
    series: pd.DataFrame, *, segment_s: float, fps: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Cut both series into ``segment_s`` segments and permute each series' order independently.

    The last, shorter segment takes part in the permutation like the others
    (DOMAIN §7 surrogates: segment shuffle within the session).
    """
    s1, s2 = _as_pair(series)
    seg = max(1, int(round(segment_s * fps)))
    bounds = np.arange(0, s1.size, seg)
    pieces1 = np.split(s1, bounds[1:])
    pieces2 = np.split(s2, bounds[1:])
    out = pd.DataFrame(
        {
            S1: np.concatenate([pieces1[i] for i in rng.permutation(len(pieces1))]),
            S2: np.concatenate([pieces2[i] for i in rng.permutation(len(pieces2))]),
        }
    )
    return out


def shuffle_surrogates(series: pd.DataFrame, params: SynchronyParams | None = None) -> np.ndarray:
    """grandAver of ``params.n_surrogates`` segment-shuffled copies of a session.

    The series are preprocessed once, then shuffled (so smoothing does not blur
    segment edges) with ``np.random.default_rng(params.seed)``.
    """
    params = params or SynchronyParams()
    pre = preprocess(series, params)
    if params.segment_s * params.fps * 2 > len(pre):
        raise InvalidInput("synchrony.too_few_segments", segment_s=params.segment_s)
    rng = np.random.default_rng(params.seed)
    return np.array(
        [
            wlcc(
                shuffle_segments(pre, segment_s=params.segment_s, fps=params.fps, rng=rng), params
            ).grand_aver
            for _ in range(params.n_surrogates)
        ]
    )


def recombination_surrogates(
    sessions: Mapping[str, pd.DataFrame], params: SynchronyParams | None = None
) -> pd.DataFrame:
    """grandAver of every pseudo-dyad: client of session i with counselor of session j ≠ i.

    Series are cut to the shorter length (same camera setup assumed, DOMAIN §7).

    Returns
    -------
    DataFrame
        Columns ``client_session``, ``counselor_session``, ``grand_aver``.
    """
    params = params or SynchronyParams()
    if len(sessions) < 2:
        raise InvalidInput("synchrony.need_two_sessions")
    pre = {key: preprocess(df, params) for key, df in sessions.items()}
    rows = []
    for i, a in pre.items():
        for j, b in pre.items():
            if i == j:
                continue
            n = min(len(a), len(b))
            pair = pd.DataFrame({S1: a[S1].to_numpy()[:n], S2: b[S2].to_numpy()[:n]})
            rows.append((i, j, wlcc(pair, params).grand_aver))
    return pd.DataFrame(rows, columns=["client_session", "counselor_session", "grand_aver"])


def surrogate_test(real: float, surrogates: Sequence[float] | np.ndarray) -> SurrogateTest:
    """Effect size and p of real synchrony against surrogates (DOMAIN §7).

    Examples
    --------
    >>> t = surrogate_test(0.3, [0.1, 0.2, 0.3])
    >>> round(t.es, 6), round(t.p, 6)
    (1.0, 0.5)
    """
    sur = np.asarray(surrogates, dtype=float)
    sur = sur[~np.isnan(sur)]
    if sur.size < 2:
        raise InvalidInput("synchrony.no_surrogates")
    mean, sd = float(sur.mean()), float(sur.std(ddof=1))
    exceeding = int((sur >= real).sum())
    es = (real - mean) / sd if sd > 0 else math.nan
    return SurrogateTest(
        real=float(real),
        surrogate_mean=mean,
        surrogate_sd=sd,
        n=int(sur.size),
        es=es,
        p=(1 + exceeding) / (sur.size + 1),
        n_exceeding=exceeding,
        surrogates=tuple(float(v) for v in sur),
    )


def cohens_d(real: Sequence[float] | np.ndarray, surrogate: Sequence[float] | np.ndarray) -> float:
    """Cohen's d with pooled SD between real and surrogate grandAver values of a group.

    Examples
    --------
    >>> cohens_d([2.0, 4.0], [1.0, 3.0])
    0.7071067811865475
    """
    a = np.asarray(real, dtype=float)
    b = np.asarray(surrogate, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        raise InvalidInput("synchrony.no_surrogates")
    pooled = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else math.nan


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records]


def json_floats(obj: Any) -> Any:
    """NaN becomes None so the dict is valid JSON."""
    if isinstance(obj, dict):
        return {k: json_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_floats(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj
