"""The command line: ``python -m observe [--db URL] COMMAND ...``.

A second face of the same core for researchers and scripts. Every command takes
``--db`` (an SQLAlchemy URL or an SQLite file path; default: ``OBSERVE_DB``, then
``.streamlit/secrets.toml``, then ``data/observe.db``). Errors are one line on
stderr and exit status 2; nothing is half-written.

Who acts: in local mode the CLI is the local administrator, as the pages are. In team mode
(``OBSERVE_MODE=team`` or ``[observe] mode`` in secrets.toml) every command runs as an
account, ``python -m observe --as NAME COMMAND ...``, signed in with the password from
``OBSERVE_PASSWORD`` or asked on a terminal; the store's checks and audit trail then apply
to that account exactly as on the pages. Without ``--as`` a team-mode command is refused,
except creating the first administrator of an empty team workspace (``users add``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from observe.errors import InvalidInput, ObserveError

if TYPE_CHECKING:  # the store (SQLAlchemy, pandas) is imported only when a command runs
    from observe.store import Store

log = logging.getLogger("observe.cli")
Command = Callable[[argparse.Namespace, "Store"], int]

#: Every command: name → (the module whose ``register(sub, common)`` adds it, its one-line help).
#: Only the module of the command that runs is imported (``observe --help`` imports none, so it
#: starts at once); a new command is one row here plus its ``register`` in the module.
#: tests/test_cli_lazy.py checks that this table and the modules agree.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("observe.cli", "create or reset the demo workspace"),
    "sessions": ("observe.cli", "list sessions"),
    "events": ("observe.cli", "export events as tidy CSV or JSON"),
    "import": ("observe.cli", "import a BORIS project/export, an ELAN .eaf or tidy CSV/JSON events"),
    "scheme": ("observe.cli", "print the coding scheme (the hotkey cheat-sheet)"),
    "check": ("observe.cli", "integrity report of the stored data"),
    "serve": ("observe.cli", "start the app in the browser (streamlit run; more options go to streamlit)"),
    "agreement": (
        "observe.commands.agreement",
        "inter-observer agreement of two observations of a session (kappa per channel, event F1)",
    ),
    "openness": (
        "observe.commands.analysis",
        "openness and attending index of a session, or a client's progress and referral flag",
    ),
    "sequence": ("observe.commands.analysis", "does a given cue precede a target cue? (Bakeman & Quera)"),
    "export": (
        "observe.commands.interop",
        "export events (tidy, BORIS, ELAN, SDIS), time budget, openness or a de-identified research zip",
    ),
    "report": ("observe.commands.interop", "printable HTML report of a session or a client"),
    "finish": (
        "observe.commands.finish",
        "finish an observation: record where coding stopped (E); running states end there",
    ),
    "reopen": ("observe.commands.finish", "reopen a finished observation to code more"),
    "users": ("observe.commands.users", "accounts and roles (team mode)"),
    "audit": ("observe.commands.users", "print the audit trail (administrators)"),
    "erase": ("observe.commands.users", "erase a client completely: data, videos, caches (administrators)"),
    "motion": (
        "observe.commands.video",
        "motion energy per region of a video (CSV: time_s and one column per region)",
    ),
    "synchrony": (
        "observe.commands.video",
        "windowed lagged cross-correlation of a motion-energy series (our CSV or rMEA text)",
    ),
}
#: Global options that take a value (the command name is the first other word on the line).
GLOBAL_VALUE_OPTIONS = ("--db", "--as")  # --as NAME: the acting user


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database: an SQLAlchemy URL (sqlite:///file.db, postgresql://user@host/db) or an SQLite file path",
    )
    return common


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the chosen command in full, every other one by name and help only.

    Without ``argv`` every command is built in full (and every command module imported).
    """
    common = _common()
    parser = argparse.ArgumentParser(
        prog="observe",
        description="observe: record and analyse nonverbal behaviour in counseling sessions.",
        parents=[common],
    )
    parser.add_argument(
        "--as",
        dest="acting_as",
        metavar="NAME",
        help="team mode: run as this account (password from OBSERVE_PASSWORD or asked on a terminal)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if argv is None:
        modules = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
    else:
        chosen = chosen_command(argv)
        modules = [COMMANDS[chosen][0]] if chosen else []
    for name in modules:
        importlib.import_module(name).register(sub, common)
    for name, (_, help_text) in COMMANDS.items():  # the others: listed, not built
        if name not in sub.choices:
            sub.add_parser(name, help=help_text, parents=[common])
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line (the first word that is not a global option or its value).

    >>> chosen_command(["--db", "demo.db", "demo", "--remove"]), chosen_command(["--help"])
    ('demo', None)
    """
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in GLOBAL_VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """The core commands (the rows of :data:`COMMANDS` whose module is ``observe.cli``)."""

    def add(name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=COMMANDS[name][1])
        return parser

    demo = add("demo")
    demo.add_argument("--remove", action="store_true", help="remove the demo workspace instead")
    demo.add_argument(
        "--wait",
        action="store_true",
        help="make the demo videos before returning (default: in the background, about half a minute)",
    )
    demo.add_argument("--no-videos", action="store_true", help="no demo videos (the coded sessions only)")
    demo.set_defaults(run=cmd_demo)

    sessions = add("sessions")
    sessions.add_argument("--client", help="only this client's sessions")
    sessions.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sessions.set_defaults(run=cmd_sessions)

    events = add("events")
    events.add_argument("--session", help="only this session (code, e.g. K01-S03)")
    events.add_argument("--observer", help="only this observer")
    events.add_argument("--client", help="only this client")
    events.add_argument("--format", choices=("csv", "json"), default="csv")
    events.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    events.set_defaults(run=cmd_events)

    imp = add("import")
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
    imp.add_argument(
        "--new-copy",
        action="store_true",
        help="import the file (or BORIS observation) again although it was imported before",
    )
    imp.set_defaults(run=cmd_import)

    scheme = add("scheme")
    scheme.add_argument("--format", choices=("csv", "json"), default="csv")
    scheme.add_argument("--name", default="default")
    scheme.add_argument("--version", type=int, help="a stored version (default: the latest)")
    scheme.set_defaults(run=cmd_scheme)

    check = add("check")
    check.set_defaults(run=cmd_check)

    serve = add("serve")
    serve.set_defaults(run=cmd_serve, needs_store=False, passes_through=True)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args, extra = parser.parse_known_args(words)
    if extra and not getattr(args, "passes_through", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    store = None
    try:
        if getattr(args, "needs_store", True):
            from observe.store import Store

            store = Store.open(getattr(args, "db", None))
            store = acting_store(store, args)
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


def acting_store(store: Store, args: argparse.Namespace, environ: dict[str, str] | None = None) -> Store:
    """The store as the CLI's identity: the local administrator in local mode; in team mode
    the ``--as`` account after signing in (refused without ``--as``, but for the first
    administrator of a workspace that has none)."""
    import os

    from observe.errors import PermissionDenied
    from observe.governance.access import TEAM, configured_mode

    env = dict(os.environ) if environ is None else environ
    name = getattr(args, "acting_as", None)
    if configured_mode(env) != TEAM:
        return store.as_user(name) if name else store
    if not name:
        if getattr(args, "bootstrap", False) and not store.has_active_administrator():
            return store
        raise PermissionDenied("access.cli_identity")
    password = env.get("OBSERVE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise PermissionDenied("access.cli_identity")
        import getpass

        password = getpass.getpass(f"password for {name}: ")
    user = store.authenticate(name, password)
    return store.as_user(user.username)


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
    from observe.governance.demo import create_demo

    if args.remove:
        store.remove_demo()
        print("demo workspace removed")
        return 0
    counts = create_demo(store, reset=True, videos=args.wait)
    store.set_setting("demo_offered", True)
    print("demo workspace created: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if not args.wait and not args.no_videos:
        from observe.governance.demo import start_demo_videos

        start_demo_videos(store)
        print("its session videos are being made in the background (about half a minute)")
    return 0


def cmd_serve(args: argparse.Namespace, store: None) -> int:
    """``streamlit run`` the app (``app.py`` and ``pages/``, from the checkout or the installed package)."""
    from observe.ui.app_files import app_dir, streamlit_flags

    env = dict(os.environ)
    if getattr(args, "db", None):
        env["OBSERVE_DB"] = args.db
    root = app_dir()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(root / "app.py"),
        *streamlit_flags(root),
        *args.extra,
    ]
    sys.stdout.flush()
    # the server takes this process's place: a stop signal (Ctrl+C, terminate) reaches it directly
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter and app file
    return 0  # not reached


def cmd_sessions(args: argparse.Namespace, store: Store) -> int:
    from observe.reports.workspace import observations_overview, sessions_overview

    frame = sessions_overview(store, client=args.client)
    frame["date"] = frame["date"].astype(str)
    if args.format == "json":
        records = json.loads(frame.to_json(orient="records"))
        observations = observations_overview(store, client=args.client)
        for record in records:
            record["observations"] = observations.get(record["session"], [])
        _emit(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
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

    from observe.commands.progress import terminal_progress
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
    shown = preview(bundle, store, mapping, new_copy=args.new_copy)
    for warning in shown.warnings:
        print(f"warning: {warning.message('en')}", file=sys.stderr)
    if shown.problem is not None and args.dry_run:
        return _fail_text(shown.problem)
    counts = (
        shown.counts
        if args.dry_run
        else apply_import(
            store,
            bundle,
            mapping,
            new_copy=args.new_copy,
            filename=args.file.name,
            data=args.file.read_bytes(),
            progress=terminal_progress(f"import {args.file.name}"),
        )
    )
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
