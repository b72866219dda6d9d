"""``python -m observe agreement``: inter-observer agreement of two observations of a session.

Prints the per-channel time-unit kappas with p_o, κ_max, PABAK, the number of
codes and the verdict, then event-based agreement and the notes — the numbers
of the agreement page — or, with ``--json``, ``AgreementResult.to_dict()``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from observe.errors import InvalidInput
from observe.i18n import t
from observe.reports import agreement
from observe.reports.summary import coverage_text
from observe.store import Store

_UNIT_COLUMNS = ("subject", "channel", "kappa", "p_o", "kappa_max", "pabak", "n_codes", "n_units", "verdict")
_EVENT_COLUMNS = ("subject", "channel", "events_a", "events_b", "matches", "kappa", "precision", "recall", "f1",
                  "verdict")  # fmt: skip


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``agreement`` command."""
    cmd = sub.add_parser(
        "agreement",
        parents=[common],
        help="inter-observer agreement of two observations of a session (kappa per channel, event F1)",
    )
    cmd.add_argument("--session", required=True, help="session code, e.g. K01-S03")
    cmd.add_argument(
        "--observers", nargs=2, required=True, metavar=("A", "B"), help="two observers (A is the reference)"
    )
    cmd.add_argument("--unit", type=float, default=1.0, help="time unit in seconds (default 1)")
    cmd.add_argument(
        "--tolerance", type=float, default=0.0, help="boundary tolerance τ in seconds (default 0)"
    )
    cmd.add_argument("--json", action="store_true", help="print the full result as JSON")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, store: Store) -> int:
    """Compare, print, return the exit status (errors are raised and printed by ``observe.cli``)."""
    a, b = args.observers
    agreement.check_unit(args.unit)
    if a == b:
        raise InvalidInput("agreement.one_observer")
    result = agreement.compare_session(store, args.session, a, b, unit=args.unit, tolerance=args.tolerance)
    # The CLI acts as the local administrator (unblinded); it says when a number may still change.
    for obs in store.observations(session=args.session):
        if obs.observer in (a, b) and obs.status != "finished":
            print(
                t("agreement_cli.unfinished", "en", observer=obs.observer, session=args.session),
                file=sys.stderr,
            )
    reopened = [o for o in store.reopened_after_unblinding(args.session) if o in (a, b)]
    for observer in reopened:
        print(t("agreement.reopened_after_unblinding", "en", observer=observer), file=sys.stderr)
    if args.json:
        payload = result.to_dict("en") | {"reopened_after_unblinding": reopened}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    channels = result.time_unit.loc[result.time_unit["level"] == "channel", list(_UNIT_COLUMNS)]
    print(f"{result.session}: {a} (A) vs {b} (B), unit {args.unit:g} s, tolerance {args.tolerance:g} s, "
          f"{result.n_units} units, {coverage_text(result.coverage)} of the session coded by both")  # fmt: skip
    print("\ntime-unit kappa per channel")
    print(_text(channels))
    print("\nevent-based agreement")
    print(_text(result.events.loc[:, list(_EVENT_COLUMNS)]))
    for note in result.notes:
        print(f"note: {note.message('en')}")
    return 0


def _text(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)"
    return frame.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
