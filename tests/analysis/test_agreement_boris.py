"""BORIS-compatible kappa reproduces BORIS's own expected values on its test project.

Expected numbers: ../shared/fixtures/boris/EXPECTED.md §1 (BORIS ``tests/test_irr.py``,
re-run with BORIS 9.12.3). The project is read with our BORIS importer, which
keeps BORIS's "No focal subject" as the empty subject ``""``.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd
import pytest

from observe.analysis.agreement import boris_kappa
from observe.errors import InvalidInput
from observe.interop.boris_project import parse_boris_project
from tests.conftest import shared_fixtures

NO_FOCAL = ""  # the importer's name for BORIS's "No focal subject"


@cache
def _observations() -> dict[str, pd.DataFrame]:
    path = shared_fixtures() / "boris" / "test.boris"
    bundle = parse_boris_project(path.read_bytes(), filename=path.name)
    return {o.name: o.events for o in bundle.observations}


# (obs1, obs2, subjects, behaviours, interval, expected K) — EXPECTED.md §1 rows 1–6
CASES = [
    ("observation #1", "observation #1", ["subject1", "subject2"], ["s", "p"], 1.0, 1.0),
    ("observation #1", "observation #2", ["subject1", "subject2"], ["s"], 1.0, -0.036),
    ("observation #2", "observation #2 (copy)", [NO_FOCAL, "subject1", "subject2"], ["s"], 1.0, 0.988),
    ("observation #2", "observation #2 (copy)", [NO_FOCAL, "subject1", "subject2"], ["s"], 3.0, 1.0),
    ("observation #2", "observation #2 (copy)", [NO_FOCAL, "subject1", "subject2"], ["p"], 1.0, 0.866),
    ("observation #2", "observation #2 (copy)", [NO_FOCAL, "subject1", "subject2"], ["p"], 3.0, 0.798),
]


@pytest.mark.parametrize(("obs1", "obs2", "subjects", "cues", "unit", "expected"), CASES)
def test_reproduces_boris_irr_kappa(
    obs1: str, obs2: str, subjects: list[str], cues: list[str], unit: float, expected: float
) -> None:
    obs = _observations()
    result = boris_kappa(obs[obs1], obs[obs2], unit=unit, subjects=subjects, cues=cues)
    # BORIS prints K rounded to 3 decimals
    assert round(result.kappa, 3) == expected
    # the table tallies one cell per tick and subject, subjects pooled
    n_ticks = round((result.last_s - result.first_s) / unit) + 1
    assert result.stats.n == n_ticks * len(subjects)
    assert int(result.table.to_numpy().sum()) == result.stats.n


def test_observation_without_events_is_reported_not_scored() -> None:
    # EXPECTED.md §1 row 7: BORIS returns its −100 sentinel ("the observation has no recorded events")
    obs = _observations()
    with pytest.raises(InvalidInput) as err:
        boris_kappa(
            obs["observation #2"],
            obs["observation without events"],
            unit=1.0,
            subjects=[NO_FOCAL, "subject1", "subject2"],
            cues=["s"],
        )
    assert err.value.key == "agreement.no_events_observation"


def test_composite_categories_hand_example() -> None:
    # two subjects; at t = 1 subject x codes state s and point p together: one composite category
    a = pd.DataFrame(
        {
            "subject": ["x", "x", "y"],
            "cue": ["s", "p", "s"],
            "kind": ["state", "point", "state"],
            "start_s": [0.0, 1.2, 0.0],
            "end_s": [2.0, math.nan, 2.0],
        }
    )
    b = a.iloc[[0, 2]]  # B missed the point
    result = boris_kappa(a, b, unit=1.0)
    # ticks 0, 1, 2 (first onset 0 to last offset 2, inclusive); the point at 1.2 is within ½ of tick 1
    assert result.first_s == 0.0 and result.last_s == 2.0
    assert set(result.table.index) == {"x: s", "x: s+p", "y: s"}
    assert result.table.loc["x: s+p", "x: s"] == 1
    assert result.stats.n == 6 and result.stats.p_o == pytest.approx(5 / 6)
