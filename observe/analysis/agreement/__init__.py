"""Inter-observer agreement (DOMAIN §6): time-unit and event-based kappa, ICC, alpha.

Public entry points:

* :func:`compare` — two observations of one session → :class:`AgreementResult`
  (per subject × channel kappas, matrices, event matching, notes; ``to_dict()``
  for the CLI's JSON);
* :func:`compare_observers` — the same, picking two observers from one session's frame;
* :func:`alpha_by_channel` — Krippendorff's alpha when more than two observers coded;
* :func:`icc_2_1` — ICC(2,1) of per-window scores (e.g. openness) between observers;
* :func:`boris_kappa` — BORIS's composite-category time-unit kappa, for cross-checks;
* :func:`kappa_from_table`, :func:`verdict` — the statistics and the app policy.
"""

from observe.analysis.agreement.alpha import alpha_by_channel
from observe.analysis.agreement.boris import BorisKappa, boris_kappa
from observe.analysis.agreement.compare import (
    NIL,
    AgreementResult,
    Note,
    compare,
    compare_observers,
)
from observe.analysis.agreement.stats import (
    VERDICTS,
    IccResult,
    KappaStats,
    alpha_band,
    icc_2_1,
    icc_band,
    kappa_from_table,
    krippendorff_alpha_nominal,
    verdict,
)

__all__ = [
    "NIL",
    "VERDICTS",
    "AgreementResult",
    "BorisKappa",
    "IccResult",
    "KappaStats",
    "Note",
    "alpha_band",
    "alpha_by_channel",
    "boris_kappa",
    "compare",
    "compare_observers",
    "icc_2_1",
    "icc_band",
    "kappa_from_table",
    "krippendorff_alpha_nominal",
    "verdict",
]
