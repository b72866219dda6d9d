"""``python -m observe openness`` and ``python -m observe sequence``: the dashboards from the command line.

* ``openness --session S [--observer O] [--window 60] [--json]``: per-window openness and attending,
  the session indices with their CI;
* ``openness --client C [--json]``: per-session indices, trend with slope CI, the referral flag and
  its reason in words;
* ``sequence --given counselor:T_FWD --target client:G_EYE [--window 5] [--sessions ...] [--json]``:
  per-session and pooled tallies, adjusted residual, Yule's Q and the time-shift p-value.

Every output carries the parameters used and (for the index) the limitations text (DOMAIN §3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from observe.analysis.openness import LIMITATIONS_KEY, OpennessParams
from observe.analysis.resistance import ReferralParams
from observe.i18n import LANGUAGES, t
from observe.model import EXHAUSTIVE_CHANNELS
from observe.reports import dashboards
from observe.store import Store

_WINDOW_COLUMNS = ["window", "start_s", "end_s", "oi", "n_pos", "n_neg", "P", "c_P", "D", "reason"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the ``openness`` and ``sequence`` commands (see ``observe.commands``)."""
    oi = sub.add_parser(
        "openness",
        parents=[common],
        help="openness and attending index of a session, or a client's progress and referral flag",
    )
    which = oi.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", help="session code, e.g. K01-S03")
    which.add_argument("--client", help="client code: all their sessions, trend and referral flag")
    oi.add_argument("--observer", help="whose coding (default: the reference, else the most coded one)")
    d = OpennessParams()
    oi.add_argument("--window", type=float, default=d.window_s, help="window W in seconds (default 60)")
    oi.add_argument("--step", type=float, help="window step in seconds (default: W; curves only)")
    oi.add_argument("--c-min", type=float, default=d.c_min, help="minimum channel coverage (default 0.5)")
    oi.add_argument("--lam", type=float, default=d.lam, help="point-balance shrinkage λ (default 1)")
    oi.add_argument(
        "--m", type=int, default=d.m, help="points for full weight; baseline sessions (default 5)"
    )
    oi.add_argument("--weights", help="channel weights, e.g. GAZE=2,ARMS=0.5 (default 1 each)")
    oi.add_argument("--point-weight", type=float, default=d.point_weight, help="weight of the point balance")
    oi.add_argument(
        "--block", type=int, default=d.block, help="bootstrap block length in windows (default 5)"
    )
    oi.add_argument(
        "--boot", type=int, default=d.n_boot, help="bootstrap resamples B (default 2000; 0 = no CI)"
    )
    oi.add_argument("--seed", type=int, default=d.seed, help="bootstrap seed")
    r = ReferralParams()
    oi.add_argument("--last-n", type=int, default=r.n_sessions, help="referral: last N sessions (default 3)")
    oi.add_argument("--rho", type=float, default=r.rho, help="referral: resistance per 10 min ρ (default 3)")
    oi.add_argument("--delta", type=float, default=r.delta, help="referral: maximum OI slope δ (default 0)")
    oi.add_argument(
        "--k", type=int, default=r.k, help="referral: distinct counselor responses tried (default 2)"
    )
    oi.add_argument("--lang", choices=list(LANGUAGES), default="en", help="language of reasons and texts")
    oi.add_argument("--json", action="store_true", help="print JSON instead of a short text report")
    oi.set_defaults(run=cmd_openness)

    seq = sub.add_parser(
        "sequence", parents=[common], help="does a given cue precede a target cue? (Bakeman & Quera)"
    )
    seq.add_argument("--given", required=True, action="append", help="e.g. counselor:T_FWD (repeatable)")
    seq.add_argument("--target", required=True, action="append", help="e.g. client:G_EYE (repeatable)")
    seq.add_argument("--window", type=float, default=5.0, help="window after each given onset, s (default 5)")
    seq.add_argument("--unit", type=float, default=1.0, help="time unit Δ in seconds (default 1)")
    seq.add_argument("--before", action="store_true", help="control: the window before each onset instead")
    seq.add_argument("--sessions", nargs="+", default=(), help="only these sessions")
    seq.add_argument("--clients", nargs="+", default=(), help="only these clients' sessions")
    seq.add_argument("--counselors", nargs="+", default=(), help="only these counselors' sessions")
    seq.add_argument("--observer", help="whose coding (default: the reference, else the most coded one)")
    seq.add_argument("--perm", type=int, default=1000, help="circular time shifts per session (0 = no test)")
    seq.add_argument("--seed", type=int, default=0, help="seed of the time shifts")
    seq.add_argument("--json", action="store_true", help="print JSON instead of a table")
    seq.set_defaults(run=cmd_sequence)


def _weights(text: str | None) -> dict[str, float]:
    weights = dict.fromkeys(EXHAUSTIVE_CHANNELS, 1.0)
    for part in (text or "").split(","):
        if part.strip():
            name, _, value = part.partition("=")
            weights[name.strip().upper()] = float(value)
    return weights


def _params(args: argparse.Namespace) -> OpennessParams:
    return OpennessParams(
        window_s=args.window, step_s=args.step or args.window, c_min=args.c_min, lam=args.lam, m=args.m,
        weights=tuple(_weights(args.weights).items()), point_weight=args.point_weight, block=args.block,
        n_boot=args.boot, seed=args.seed,
    )  # fmt: skip


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN → null, numpy scalars → numbers, dates → ISO text, frames → records."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict("records")]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _emit(data: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False, indent=1) + "\n")


def cmd_openness(args: argparse.Namespace, store: Store) -> int:
    params = _params(args)
    data = _session_report(store, args, params) if args.session else _client_report(store, args, params)
    data["limitations"] = t(LIMITATIONS_KEY, args.lang)
    if args.json:
        _emit(data)
    else:
        _print_text(data)
    return 0


def _session_report(store: Store, args: argparse.Namespace, params: OpennessParams) -> dict[str, Any]:
    r = dashboards.session_review(store, args.session, args.observer, params)
    windows = r.openness.windows[_WINDOW_COLUMNS] if r.openness is not None else pd.DataFrame()
    attending = r.attending.windows[_WINDOW_COLUMNS] if r.attending is not None else pd.DataFrame()
    return {
        "session": r.session.code,
        "client": r.session.client,
        "counselor": r.session.counselor,
        "observer": r.observer,
        "profile": r.profile,
        "overrides": dict(r.overrides),
        "valence_hash": r.openness.valence_hash if r.openness is not None else None,
        "params": r.params,
        "length_s": r.session.duration_s,
        "coded_s": r.index.get("coded_s"),
        "coverage": r.coverage,
        "partial": r.partial,
        "coverage_text": r.coverage_note(args.lang) or "",
        "openness": _with_text(r.index, args.lang),
        "attending": _with_text(r.attending_index, args.lang),
        "resistance": {k: r.resistance.get(k) for k in ("rr_per_10min", "n_r3", "r12_min", "disclosure_min")},
        "problems": [{"key": k, "text": t(k, args.lang)} for k in r.problems],
        "windows": windows,
        "attending_windows": attending,
    }


def _client_report(store: Store, args: argparse.Namespace, params: OpennessParams) -> dict[str, Any]:
    referral = ReferralParams(n_sessions=args.last_n, rho=args.rho, delta=args.delta, k=args.k)
    p = dashboards.client_progress(store, args.client, params, referral, observer=args.observer)
    flag = p.referral
    return {
        "client": p.client.code,
        "profile": p.client.valence_profile,
        "special_needs": p.client.special_needs,
        "valence_hash": p.valence_hash,
        "params": p.params,
        "referral_params": p.referral_params,
        "trend": _with_text(p.trend, args.lang),
        "attending_trend": _with_text(p.attending_trend, args.lang),
        "referral": {
            "status": flag.status,
            "raised": flag.raised,
            "conditions": dict(flag.conditions),
            "sessions": list(flag.sessions),
            "reason": flag.text(args.lang),
        },
        "problems": [{"key": k, "text": t(k, args.lang)} for k in p.problems],
        "sessions": p.sessions,
    }


def _with_text(row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The row with each ``*reason`` key also said in words (``*reason_text``)."""
    out = dict(row)
    for key in [k for k in row if k.endswith("reason")]:
        out[f"{key}_text"] = t(row[key], lang) if row[key] else ""
    return out


def _print_text(data: Mapping[str, Any]) -> None:
    def index(name: str, row: Mapping[str, Any]) -> str:
        value = row.get("oi", row.get("slope"))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{name}: – ({row.get('reason_text', '')})"
        return f"{name}: {value:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"

    if "session" in data:
        print(f"session {data['session']} (client {data['client']}, observer {data['observer']})")
        if data["coverage_text"]:
            print(data["coverage_text"])
        print(index("openness", data["openness"]))
        print(index("attending", data["attending"]))
    else:
        print(f"client {data['client']} ({data['profile']} profile)")
        print(
            data["sessions"][["session_number", "oi", "ci_low", "ci_high", "rr_per_10min"]].to_string(
                index=False
            )
        )
        print(index("slope per session", data["trend"]))
        print(f"referral flag: {data['referral']['status']} — {data['referral']['reason']}")
    for problem in data["problems"]:
        print(f"note: {problem['text']}")
    print(data["limitations"])


def cmd_sequence(args: argparse.Namespace, store: Store) -> int:
    filters = dashboards.SessionFilter(
        clients=tuple(args.clients), counselors=tuple(args.counselors), sessions=tuple(args.sessions)
    )
    result = dashboards.cue_patterns(
        store, args.given, args.target, window_s=args.window, unit_s=args.unit,
        offset_s=-args.window if args.before else 0.0, n_perm=args.perm, seed=args.seed,
        filters=filters, observer=args.observer,
    )  # fmt: skip
    data = {
        "params": result.params,
        "sessions": list(result.sessions),
        "problems": [{"key": k, "text": t(k)} for k in result.problems],
        "scheme": result.reference,
        "left_out": result.left_out_table(),
        "pooled": result.pooled,
        "per_session": result.table,
    }
    if args.json:
        _emit(data)
        return 0
    for problem in data["problems"]:
        print(f"note: {problem['text']}")
    for left in result.left_out:
        print(f"note: {left.message()}")
    if len(result.pooled):
        print(result.pooled.to_string(index=False))
        print()
        print(result.table.to_string(index=False))
    return 0
