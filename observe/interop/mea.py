"""Read motion-energy series: rMEA's text format and our own CSV.

Both readers return a frame with columns ``time_s``, ``client``, ``counselor``
(one row per sample) ready for :func:`observe.analysis.synchrony.synchrony`.

* **rMEA text** (the MEA program's output, read by rMEA ``readMEA``): an optional
  header line such as ``"pat" "th"``, then one row per frame, columns separated by
  white space (or a comma/semicolon). Column 1 is the patient (client, s1),
  column 2 the therapist (counselor, s2). The file holds no frame rate, so it must
  be given (rMEA's sample data: 25 fps).
* **Our CSV**: ``time_s`` plus ``client`` and ``counselor``; or, as written by
  :func:`observe.video.motion.motion_energy`, one column per region named
  ``client_<part>`` / ``counselor_<part>``, which are summed per person (rMEA also
  sums several columns per subject).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observe.analysis.synchrony import (
    SynchronyParams,
    json_floats,
    json_records,
    shuffle_surrogates,
    surrogate_test,
    synchrony,
)
from observe.errors import InvalidInput

PERSONS = ("client", "counselor")


def read_rmea_text(path: str | Path, *, fps: float = 25.0) -> pd.DataFrame:
    """Read an MEA/rMEA text file: patient (client) in column 1, therapist (counselor) in column 2.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "1_01.txt")
    >>> _ = open(p, "w").write('"pat" "th"\\n3 5\\n0 1\\n')
    >>> read_rmea_text(p, fps=25).to_dict("list")
    {'time_s': [0.0, 0.04], 'client': [3.0, 0.0], 'counselor': [5.0, 1.0]}
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("synchrony.unreadable_file", path=str(path)) from exc
    rows: list[list[float]] = []
    for number, line in enumerate(lines, start=1):
        fields = [f for f in re.split(r"[\s,;]+", line.strip()) if f]
        if not fields:
            continue
        try:
            values = [math.nan if f.upper() in ("NA", "NAN") else float(f) for f in fields]
        except ValueError:
            if not rows:  # a header line such as "pat" "th"
                continue
            raise InvalidInput("synchrony.bad_line", path=path.name, line=number) from None
        if len(values) < 2:
            raise InvalidInput("synchrony.bad_line", path=path.name, line=number)
        rows.append(values[:2])
    if not rows:
        raise InvalidInput("synchrony.empty_series", path=path.name)
    data = np.asarray(rows, dtype=float)
    return pd.DataFrame({"time_s": np.arange(len(data)) / fps, "client": data[:, 0], "counselor": data[:, 1]})


def person_series(series: pd.DataFrame) -> pd.DataFrame:
    """``time_s``, ``client``, ``counselor``: a person's own column, or the sum of its ROI columns.

    ROI columns are ``client_<part>`` / ``counselor_<part>`` as written by
    :func:`observe.video.motion.motion_energy`; rMEA likewise sums several
    columns per subject. A sample is NaN only where all of a person's parts are.

    Examples
    --------
    >>> df = pd.DataFrame({"time_s": [0.04], "client_head": [1.0], "client_body": [2.0], "counselor_body": [4.0]})
    >>> person_series(df).to_dict("list")
    {'time_s': [0.04], 'client': [3.0], 'counselor': [4.0]}
    """
    out = pd.DataFrame({"time_s": series["time_s"]})
    for person in PERSONS:
        if person in series.columns:
            out[person] = pd.to_numeric(series[person], errors="coerce")
            continue
        parts = [c for c in series.columns if str(c).startswith(person + "_")]
        if not parts:
            raise InvalidInput("synchrony.missing_columns", columns=person)
        out[person] = series[parts].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
    out.attrs = dict(series.attrs)
    return out


def read_series_csv(path: str | Path) -> tuple[pd.DataFrame, float]:
    """Read our CSV (``time_s`` + ``client``/``counselor`` or per-region columns); return (series, fps).

    The frame rate comes from the median step of ``time_s``; steps that differ
    from it by more than 1 % are refused, because the lags assume a fixed rate.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("synchrony.unreadable_file", path=str(path)) from exc
    if "time_s" not in raw.columns:
        raise InvalidInput("synchrony.missing_columns", columns="time_s")
    raw["time_s"] = pd.to_numeric(raw["time_s"], errors="coerce")
    out = person_series(raw)
    if len(out) < 2 or out["time_s"].isna().any():
        raise InvalidInput("synchrony.empty_series", path=path.name)
    steps = np.diff(out["time_s"].to_numpy())
    step = float(np.median(steps))
    if not step > 0 or np.any(np.abs(steps - step) > 0.01 * step):
        raise InvalidInput("synchrony.irregular_time", path=path.name)
    return out, 1.0 / step


def read_series(path: str | Path, *, fps: float | None = None) -> tuple[pd.DataFrame, float]:
    """Read either format (a ``.csv`` with a ``time_s`` header is ours); return (series, fps).

    For an rMEA text file ``fps`` defaults to 25; for our CSV a given ``fps`` must
    agree with ``time_s`` within 1 %.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput("synchrony.unreadable_file", path=str(path))
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    if "time_s" in first:
        series, found = read_series_csv(path)
        if fps is not None and abs(found - fps) > 0.01 * fps:
            raise InvalidInput("synchrony.fps_mismatch", given=fps, found=round(found, 3))
        return series, fps if fps is not None else round(found, 6)
    rate = 25.0 if fps is None else fps
    return read_rmea_text(path, fps=rate), rate


def synchrony_report(
    series_path: str | Path,
    *,
    fps: float | None = None,
    lag: float = 5.0,
    window: float = 30.0,
    step: float = 10.0,
    n_surrogates: int = 100,
    seed: int = 0,
    rmea_compat: bool = False,
) -> dict[str, Any]:
    """Read a series file, compute synchrony and shuffle surrogates; JSON-ready dict.

    ``series_path`` is our CSV (``time_s``, ``client``, ``counselor``) or an rMEA
    text file (two columns, patient then therapist); ``fps`` is needed for the
    latter (default 25) and inferred from ``time_s`` for the former.
    ``n_surrogates=0`` skips the surrogates.
    """
    series, fps_found = read_series(series_path, fps=fps)
    params = SynchronyParams(
        fps=fps_found, lag_s=lag, win_s=window, inc_s=step, n_surrogates=n_surrogates, seed=seed
    )
    if rmea_compat:
        params = replace(params, rmea_compat=True, outlier_sd=None)
    result = synchrony(series, params)
    report: dict[str, Any] = {
        "series": str(series_path),
        "n_samples": result.n_samples,
        "params": asdict(params),
        "summary": json_floats(result.summary()),
        "windows": json_records(result.windows),
    }
    if n_surrogates:
        test = surrogate_test(result.grand_aver, shuffle_surrogates(series, params))
        report["surrogates"] = json_floats({k: v for k, v in asdict(test).items() if k != "surrogates"}) | {
            "method": "segment_shuffle",
            "grand_aver": list(json_floats(list(test.surrogates))),
        }
    return report
