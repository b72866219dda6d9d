"""``python -m observe export KIND --format F -o PATH`` and ``report --session S -o PATH``.

(``import FILE [--as boris|elan|csv]`` lives in :mod:`observe.cli`: it predates this module.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from observe.commands.progress import terminal_progress
from observe.interop.exports import EXPORTS, Selection, export_file
from observe.store import Store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    export = sub.add_parser(
        "export",
        parents=[common],
        help="export events (tidy, BORIS, ELAN, SDIS), time budget, openness or a de-identified research zip",
    )
    export.add_argument("kind", choices=tuple(EXPORTS))
    export.add_argument("--format", dest="fmt", help="file format (default: the kind's first); see --help")
    export.add_argument("--session", help="only this session (code)")
    export.add_argument("--client", help="only this client")
    export.add_argument(
        "--observer",
        metavar="NAME|all",
        help="whose coding: an observer, or 'all' (per observer, named by observer: one SDIS unit, BORIS "
        "observation, EAF tier set, table block or tidy row set); default: each session's reference "
        "observation",
    )
    export.add_argument(
        "--include-notes", action="store_true", help="research export: keep free-text notes and comments"
    )
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    export.epilog = "; ".join(f"{k}: {', '.join(v)}" for k, v in EXPORTS.items())
    export.set_defaults(run=cmd_export)

    report = sub.add_parser("report", parents=[common], help="printable HTML report of a session or a client")
    target = report.add_mutually_exclusive_group(required=True)
    target.add_argument("--session", help="session code, e.g. K01-S03")
    target.add_argument("--client", help="client code: one report across the client's sessions")
    report.add_argument("--observer", help="whose coding (default: the reference, else the most coded)")
    report.add_argument("--lang", choices=("en", "id"), default="en")
    report.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    report.set_defaults(run=cmd_report)


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    selection = Selection(session=args.session, client=args.client, observer=args.observer)
    exported = export_file(
        store,
        args.kind,
        args.fmt,
        selection=selection,
        include_notes=args.include_notes,
        progress=terminal_progress(f"export {args.kind}"),
    )
    args.output.write_bytes(exported.data)
    print(f"wrote {args.output} ({len(exported.data):,} bytes)", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace, store: Store) -> int:
    from observe.interop.report import client_report_html, session_report_html

    if args.session:
        page = session_report_html(store, args.session, observer=args.observer, lang=args.lang)
    else:
        page = client_report_html(store, args.client, observer=args.observer, lang=args.lang)
    args.output.write_text(page, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
