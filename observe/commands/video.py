"""``python -m observe motion`` and ``python -m observe synchrony``: motion energy and synchrony from files.

Neither needs the workspace database (``needs_store=False``)::

    python -m observe motion session.mp4 --roi client_head=420,60,110,110 \\
        --roi counselor_head=100,50,115,115 -o series.csv
    python -m observe synchrony series.csv --lag 5 --window 30 --step 10 --json
    python -m observe synchrony dyad.txt --fps 25 --rmea --json     # an rMEA text file

Errors are one line on stderr and exit status 2 (``observe.cli.main``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from observe.errors import InvalidInput

#: Printed under every synchrony result (DOMAIN §7 caveat).
CAVEAT = (
    "Synchrony is exploratory: its link to alliance and outcome is weak "
    "(meta-analysis r = .03, Jennissen et al. 2025); never use it as a quality score."
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``motion`` and ``synchrony`` commands (see ``observe.commands``)."""
    motion = sub.add_parser(
        "motion",
        parents=[common],
        help="motion energy per region of a video (CSV: time_s and one column per region)",
    )
    motion.add_argument("video", type=Path, nargs="?", help="the video (or --batch for many)")
    motion.add_argument(
        "--roi",
        action="append",
        default=[],
        metavar="NAME=X,Y,W,H",
        help="a region in pixels, e.g. client_head=420,60,110,110; repeat for each region "
        "(client_*, counselor_*, optional background*); with --batch: default the session's stored regions",
    )
    motion.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the CSV to write (with --batch: a folder for one CSV per video, optional)",
    )
    motion.add_argument(
        "--threshold",
        default="15",
        help="gray-level threshold (default 15), or 'background' for the percentile of the background regions",
    )
    motion.add_argument(
        "--percentile", type=float, default=99.0, help="with --threshold background (99 or 95)"
    )
    motion.add_argument("--frame-step", type=int, default=1, help="analyse every k-th frame (default 1)")
    motion.add_argument(
        "--batch",
        metavar="FOLDER_OR_GLOB",
        help="every video in a folder or matching a pattern, one Dask task each; results are stored "
        "for each session's Synchrony page",
    )
    motion.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --batch: a running Dask scheduler (default: local workers)",
    )
    motion.add_argument(
        "--workers", type=int, help="with --batch: local worker processes (default: the number of cores)"
    )
    motion.add_argument(
        "--json", action="store_true", help="with --batch: print the per-video report as JSON"
    )
    motion.set_defaults(run=cmd_motion, needs_store=False)

    sync = sub.add_parser(
        "synchrony",
        parents=[common],
        help="windowed lagged cross-correlation of a motion-energy series (our CSV or rMEA text)",
    )
    sync.add_argument("series", type=Path)
    sync.add_argument(
        "--fps", type=float, help="samples per second (rMEA text: default 25; CSV: from time_s)"
    )
    sync.add_argument("--lag", type=float, default=5.0, help="largest lag in seconds (default 5)")
    sync.add_argument("--window", type=float, default=30.0, help="window length in seconds (default 30)")
    sync.add_argument("--step", type=float, default=10.0, help="window step in seconds (default 10)")
    sync.add_argument(
        "--surrogates", type=int, default=100, help="segment-shuffle surrogates (default 100; 0 = none)"
    )
    sync.add_argument(
        "--segment",
        type=float,
        default=30.0,
        help="segment length of the shuffle surrogates in seconds (default 30)",
    )
    sync.add_argument("--seed", type=int, default=0, help="seed of the surrogate shuffles")
    sync.add_argument("--rmea", action="store_true", help="rMEA 1.3.0 compatible preprocessing")
    sync.add_argument("--json", action="store_true", help="print the full result as JSON")
    sync.set_defaults(run=cmd_synchrony, needs_store=False)


def _threshold(text: str) -> int | None:
    if text.strip().lower() == "background":
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("motion.bad_param", name="threshold", value=text) from None


def cmd_motion(args: argparse.Namespace, store: object = None) -> int:
    from observe.commands.progress import terminal_progress
    from observe.video.motion import motion_command

    if args.batch:
        return _motion_batch(args)
    if args.video is None or args.output is None or not args.roi:
        raise InvalidInput("motion.cli_usage")
    series = motion_command(
        args.video,
        args.roi,
        args.output,
        threshold=_threshold(args.threshold),
        percentile=args.percentile,
        frame_step=args.frame_step,
        on_progress=terminal_progress(f"motion {args.video.name}"),
    )
    print(
        f"wrote {args.output}: {len(series)} samples at {series.attrs['fps']:g} per second, "
        f"threshold {series.attrs['threshold']} gray levels, regions "
        + ", ".join(c for c in series.columns if c != "time_s")
    )
    return 0


def _motion_batch(args: argparse.Namespace) -> int:
    """``--batch``: every video on Dask; exit 1 if some failed (the others are done and stored)."""
    from observe.commands.progress import terminal_progress
    from observe.reports.synchrony_batch import motion_batch
    from observe.store import Store
    from observe.video.motion import MotionParams, parse_roi

    if args.video is not None:
        raise InvalidInput("motion.cli_usage")
    if args.workers is not None and args.workers < 1:
        raise InvalidInput("motion.bad_param", name="workers", value=args.workers)
    params = MotionParams(
        threshold=_threshold(args.threshold), percentile=args.percentile, frame_step=args.frame_step
    )
    rois = [parse_roi(text) for text in args.roi]
    store = Store.open(getattr(args, "db", None))
    try:
        rows = motion_batch(
            store,
            args.batch,
            rois,
            params,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=terminal_progress("motion videos"),
            out_dir=args.output,
        )
    finally:
        store.close()
    failed = [r for r in rows if r["status"] == "failed"]
    if args.json:
        json.dump({"videos": rows, "n_videos": len(rows), "n_failed": len(failed)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in rows:
            what = r["error"] if r["status"] == "failed" else f"{r['samples']} samples"
            print(f"{r['status']:<8} {r['session'] or '-':<10} {Path(r['video']).name}: {what}")
        print(f"{len(rows) - len(failed)} of {len(rows)} videos done, {len(failed)} failed")
    return 1 if failed else 0


def cmd_synchrony(args: argparse.Namespace, store: object = None) -> int:
    from observe.analysis.synchrony import SynchronyParams
    from observe.interop.mea import read_series
    from observe.reports.synchrony import analyse_series

    series, fps = read_series(args.series, fps=args.fps)
    settings = {
        "fps": fps,
        "lag_s": args.lag,
        "win_s": args.window,
        "inc_s": args.step,
        "segment_s": args.segment,
        "n_surrogates": args.surrogates,
        "seed": args.seed,
    }
    params = SynchronyParams.rmea(**settings) if args.rmea else SynchronyParams(**settings)
    report = analyse_series(series, params).report()
    report["series"] = str(args.series)
    report["caveat"] = CAVEAT
    if args.json:
        json.dump(report, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    print(_text(report))
    return 0


def _text(report: dict[str, Any]) -> str:
    """A short human-readable summary of the JSON report."""
    s = report["summary"]

    def num(value: float | None, digits: int = 3) -> str:
        return "NA" if value is None else f"{value:.{digits}f}"

    lag = s["best_lag_median_s"]
    who = {"counselor": "counselor leads", "client": "client leads"}.get(report["leader"], "no leader")
    lines = [
        f"series        {report['series']} ({report['n_samples']} samples at {report['params']['fps']:g}/s)",
        f"windows       {s['n_windows']} ({s['n_windows_na']} without a value)",
        f"grandAver     {num(s['grand_aver'])}",
        f"lag zero      {num(s['lag_zero_mean'])}",
        f"best lag      {num(lag, 2)} s ({who})",
    ]
    sur = report.get("shuffle")
    if sur:
        lines.append(
            f"vs shuffled   ES {num(sur['es'], 2)}, p {num(sur['p'], 4)} "
            f"(surrogate mean {num(sur['surrogate_mean'])}, n {sur['n']})"
        )
    lines += [f"note          {text}" for text in report["problems"].values()]
    lines.append(report["caveat"])
    return "\n".join(lines)
