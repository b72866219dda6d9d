"""The command line: ``python -m observe [--db URL] COMMAND ...``.

A second face of the same core for researchers and scripts. Every command takes
``--db`` (an SQLAlchemy URL or an SQLite file path; default: ``OBSERVE_DB``, then
``.streamlit/secrets.toml``, then ``data/observe.db``). Errors are one line on
stderr and exit status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from observe.errors import InvalidInput, ObserveError
from observe.store import Store

log = logging.getLogger("observe.cli")
Command = Callable[[argparse.Namespace, Store], int]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database: an SQLAlchemy URL (sqlite:///file.db, postgresql://user@host/db) or an SQLite file path",
    )
    parser = argparse.ArgumentParser(
        prog="python -m observe",
        description="observe: record and analyse nonverbal behaviour in counseling sessions.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="create or reset the demo workspace")
    demo.add_argument("--remove", action="store_true", help="remove the demo workspace instead")
    demo.set_defaults(run=cmd_demo)

    sessions = sub.add_parser("sessions", parents=[common], help="list sessions")
    sessions.add_argument("--client", help="only this client's sessions")
    sessions.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sessions.set_defaults(run=cmd_sessions)

    events = sub.add_parser("events", parents=[common], help="export events as tidy CSV or JSON")
    events.add_argument("--session", help="only this session (code, e.g. K01-S03)")
    events.add_argument("--observer", help="only this observer")
    events.add_argument("--client", help="only this client")
    events.add_argument("--format", choices=("csv", "json"), default="csv")
    events.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    events.set_defaults(run=cmd_events)

    imp = sub.add_parser(
        "import", parents=[common], help="import a BORIS project/export, an ELAN .eaf or tidy CSV/JSON events"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--as", dest="fmt", choices=("boris", "elan", "csv"), help="the file's kind (default: detected)"
    )
    imp.add_argument(
        "--subject",
        action="append",
        default=[],
        metavar="SOURCE=OURS",
        help='map a source subject to client/counselor/other ("" = leave out), e.g. --subject "Subject 1=client"',
    )
    imp.add_argument("--client", help="client code of the imported sessions (BORIS/ELAN)")
    imp.add_argument("--counselor", help="counselor code of the imported sessions (BORIS/ELAN)")
    imp.add_argument("--observer", help="observer name of the imported observations (BORIS/ELAN)")
    imp.add_argument(
        "--dry-run", action="store_true", help="check the file and say what would be created; write nothing"
    )
    imp.set_defaults(run=cmd_import)

    scheme = sub.add_parser(
        "scheme", parents=[common], help="print the coding scheme (the hotkey cheat-sheet)"
    )
    scheme.add_argument("--format", choices=("csv", "json"), default="csv")
    scheme.add_argument("--name", default="default")
    scheme.add_argument("--version", type=int, help="a stored version (default: the latest)")
    scheme.set_defaults(run=cmd_scheme)

    check = sub.add_parser("check", parents=[common], help="integrity report of the stored data")
    check.set_defaults(run=cmd_check)

    for module in _command_modules():
        module.register(sub, common)
    return parser


def _command_modules() -> list[Any]:
    """The modules of ``observe.commands``, in name order."""
    import observe.commands as package

    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = None
    try:
        if getattr(args, "needs_store", True):
            store = Store.open(getattr(args, "db", None))
        return int(args.run(args, store))
    except ObserveError as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail_text(f"{exc.filename or ''}: {exc.strerror or exc}".strip(": "))
    except Exception as exc:  # a bug: say so in one line, keep the traceback for the log
        log.exception("unexpected error")
        return _fail_text(
            f"unexpected {type(exc).__name__}: {exc} (a bug in observe; please report it with the command you ran)"
        )
    finally:
        if store is not None:
            store.close()


def _fail(exc: ObserveError) -> int:
    return _fail_text(exc.message("en"))


def _fail_text(message: str) -> int:
    print(f"observe: error: {message}", file=sys.stderr)
    return 2


def _emit(text: str, output: Path | None = None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


# -- commands ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from observe.demo import create_demo

    if args.remove:
        store.remove_demo()
        print("demo workspace removed")
        return 0
    counts = create_demo(store, reset=True)
    store.set_setting("demo_offered", True)
    print("demo workspace created: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_sessions(args: argparse.Namespace, store: Store) -> int:
    from observe.workspace import sessions_overview

    frame = sessions_overview(store, client=args.client)
    frame["date"] = frame["date"].astype(str)
    if args.format == "json":
        _emit(frame.to_json(orient="records", indent=1) + "\n")
    elif args.format == "csv":
        _emit(frame.to_csv(index=False))
    else:
        _emit((frame.to_string(index=False) if len(frame) else "no sessions") + "\n")
    return 0


def cmd_events(args: argparse.Namespace, store: Store) -> int:
    from observe.interop.exports import tidy_events

    frame = tidy_events(store, session=args.session, observer=args.observer, client=args.client)
    store.log_export("export.tidy", what="events", session=args.session, client=args.client)
    if args.format == "json":
        text = frame.to_json(orient="records", indent=1, double_precision=3) + "\n"
    else:
        from observe.interop.spreadsheet import safe_csv

        text = safe_csv(frame, float_format="%.3f").decode("utf-8")
    _emit(text, args.output)
    return 0


def cmd_import(args: argparse.Namespace, store: Store) -> int:
    from dataclasses import replace

    from observe.interop.detect import parse_file
    from observe.interop.limits import ImportLimits
    from observe.interop.preview import apply_import, default_mapping, preview

    limits = ImportLimits.from_store(store)
    bundle = parse_file(args.file.read_bytes(), filename=args.file.name, fmt=args.fmt, limits=limits)
    mapping = default_mapping(bundle, store)
    subjects = dict(mapping.subjects)
    for item in args.subject:
        source, sep, ours = item.partition("=")
        if not sep:
            raise InvalidInput("import.bad_subject_option", value=item)
        subjects[source.strip()] = ours.strip()
    chosen = {
        k: v
        for k, v in (("client", args.client), ("counselor", args.counselor), ("observer", args.observer))
        if v
    }
    mapping = replace(mapping, subjects=subjects, **chosen)
    shown = preview(bundle, store, mapping)
    for warning in shown.warnings:
        print(f"warning: {warning.message('en')}", file=sys.stderr)
    if shown.problem is not None and args.dry_run:
        return _fail_text(shown.problem)
    counts = shown.counts if args.dry_run else apply_import(store, bundle, mapping)
    verb = "would import" if args.dry_run else "imported"
    mapped = ", ".join(
        f"{s or '(no focal subject)'} → {m or '(left out)'}"
        for s, m in shown.subjects[["source", "mapped_to"]].itertuples(index=False)
    )
    print(
        f"{verb} {counts['events']} events in {counts['observations']} observations ({counts['new_sessions']} new sessions)"
        + (f"; subjects: {mapped}" if not bundle.source_format.startswith("tidy") else "")
    )
    return 0


def cmd_scheme(args: argparse.Namespace, store: Store) -> int:
    from observe.scheme.sheet import cheat_sheet

    sheet = cheat_sheet(store.scheme(args.name, args.version))
    if args.format == "json":
        _emit(json.dumps(sheet.to_dict("records"), ensure_ascii=False, indent=1) + "\n")
    else:
        _emit(sheet.to_csv(index=False, lineterminator="\n"))
    return 0


def cmd_check(args: argparse.Namespace, store: Store) -> int:
    from observe.store.integrity import check

    findings = check(store)
    counts = store.counts()
    print(f"schema revision {store.schema_revision()}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for finding in findings:
        print(f"- {finding.where}: {finding.problem}")
    print("no problems found" if not findings else f"{len(findings)} problems found")
    return 0 if not findings else 1
