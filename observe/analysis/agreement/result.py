"""The result of comparing two observations (:class:`AgreementResult`) and its JSON form."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observe.analysis.agreement.boris import BorisKappa
from observe.analysis.agreement.stats import _json_float


@dataclass(frozen=True)
class Note:
    """Something the reader must know about a result (what was left out, and why).

    ``key`` is a translation key (``observe/i18n/catalog/agreement.json``);
    ``params`` fill its placeholders.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The note as one sentence in ``lang``."""
        from observe.i18n import t

        return t(self.key, lang, **self.params)


@dataclass(frozen=True)
class AgreementResult:
    """Agreement between two observations of one session (see :func:`observe.analysis.agreement.compare.compare`).

    Attributes
    ----------
    session, observer_a, observer_b : str
        Who and what was compared (A is the reference for precision/recall).
    unit, tolerance : float
        Unit Δ and boundary tolerance τ in seconds.
    span : tuple of float
        The common observed span [start, end) that was cut into units.
    n_units : int
        Number of units in the span.
    time_unit : DataFrame
        One row per subject × ME&E channel (``level="channel"``, ``cue=""``) and
        per subject × other cue (``level="cue"``): columns :data:`TIME_UNIT_COLUMNS`.
        ``rate_a``/``rate_b`` are the share of units with the cue present (cue
        rows); channel base rates are in ``base_rates``. ``reason`` is a
        translation key when something is missing, else None.
    base_rates : DataFrame
        Share of units per code and observer for every ME&E channel.
    unit_matrices : dict
        ``(subject, channel, cue) → DataFrame`` agreement table, rows A, columns B
        (after the tolerance, so it tallies exactly what the kappa used).
    events : DataFrame
        Event-based agreement per subject × channel: columns :data:`EVENT_COLUMNS`.
    event_matrices : dict
        ``(subject, channel) → DataFrame`` (K+1)² table with the nil row/column.
    event_pairs : DataFrame
        Every event's fate: ``outcome`` in match/confusion/only_a/only_b.
    disagreements : DataFrame
        Runs of units where the ME&E codes differ (τ = 0), longest first.
    notes : tuple of Note
        What was left out or assumed (unequal lengths, scheme versions...).
    cues_left_out : tuple of str
        Cues not compared because they are outside ``cues``.
    boris : BorisKappa or None
        BORIS's composite kappa when asked for.
    coded_s : tuple of float
        The coded extent E of observation A and B.
    length_s : float
        The session length T (the shorter one if the two differ).
    """

    session: str
    observer_a: str
    observer_b: str
    unit: float
    tolerance: float
    span: tuple[float, float]
    n_units: int
    time_unit: pd.DataFrame
    base_rates: pd.DataFrame
    unit_matrices: Mapping[tuple[str, str, str], pd.DataFrame]
    events: pd.DataFrame
    event_matrices: Mapping[tuple[str, str], pd.DataFrame]
    event_pairs: pd.DataFrame
    disagreements: pd.DataFrame
    notes: tuple[Note, ...] = ()
    cues_left_out: tuple[str, ...] = ()
    boris: BorisKappa | None = None
    coded_s: tuple[float, float] = (math.nan, math.nan)
    length_s: float = math.nan

    @property
    def coverage(self) -> float:
        """Share of the session that was compared: span end / session length T (DOMAIN §9.3)."""
        return self.span[1] / self.length_s if self.length_s > 0 else math.nan

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """A JSON-ready dict (NaN → null) for ``python -m observe agreement --json``.

        Examples
        --------
        >>> import json
        >>> from observe.analysis.agreement import compare
        >>> ev = pd.DataFrame({"subject": "client", "channel": "GAZE", "cue": ["G_EYE", "G_AWAY"],
        ...                    "kind": "state", "start_s": [0.0, 5.0], "end_s": [5.0, 10.0]})
        >>> d = compare(ev, ev).to_dict()
        >>> json.loads(json.dumps(d))["time_unit"][0]["kappa"]
        1.0
        """
        return {
            "session": self.session,
            "observer_a": self.observer_a,
            "observer_b": self.observer_b,
            "unit": self.unit,
            "tolerance": self.tolerance,
            "span": list(self.span),
            "n_units": self.n_units,
            "coded_s": [_json_float(x) for x in self.coded_s],
            "length_s": _json_float(self.length_s),
            "coverage": _json_float(self.coverage),
            "time_unit": _records(self.time_unit),
            "base_rates": _records(self.base_rates),
            "unit_matrices": [_matrix_dict(k, m) for k, m in self.unit_matrices.items()],
            "events": _records(self.events),
            "event_matrices": [_matrix_dict(k, m) for k, m in self.event_matrices.items()],
            "disagreements": _records(self.disagreements),
            "notes": [
                {"key": n.key, "params": dict(n.params), "message": n.message(lang)} for n in self.notes
            ],
            "cues_left_out": list(self.cues_left_out),
            "boris": None
            if self.boris is None
            else {
                "kappa": _json_float(self.boris.kappa),
                "p_o": _json_float(self.boris.stats.p_o),
                "n": self.boris.stats.n,
                "first_s": self.boris.first_s,
                "last_s": self.boris.last_s,
            },
        }


# --------------------------------------------------------------------------- output helpers


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def _matrix(table: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
    """Agreement table with labelled axes: rows observer A, columns observer B."""
    # object-dtype labels: building Arrow-backed string indexes costs more than the table itself
    return pd.DataFrame(
        table, index=pd.Index(rows, name="A", dtype=object), columns=pd.Index(cols, name="B", dtype=object)
    )


def _concat_columns(parts: list[dict[str, np.ndarray]], columns: Sequence[str]) -> pd.DataFrame:
    if not parts:
        return _frame([], columns)
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_float(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def _matrix_dict(key: tuple[str, ...], matrix: pd.DataFrame) -> dict[str, Any]:
    names = ("subject", "channel", "cue")[: len(key)]
    return {
        **dict(zip(names, key, strict=True)),
        "labels_a": [str(x) for x in matrix.index],
        "labels_b": [str(x) for x in matrix.columns],
        "counts": matrix.to_numpy().astype(int).tolist(),
    }
