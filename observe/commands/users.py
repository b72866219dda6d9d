"""``python -m observe users ...``: accounts for team mode; ``audit`` and ``erase`` (administrators).

In team mode every command runs as an account (``--as NAME``, observe.cli); the one
exception is the first administrator of a workspace that has none::

    OBSERVE_MODE=team python -m observe --db postgresql://... users add dewi --role administrator

After that, accounts are managed by an administrator:
``OBSERVE_MODE=team python -m observe --as dewi users add ani --role observer``.

Passwords are read with ``getpass`` (not echoed) or, for scripts, from standard input
with ``--password-stdin``; never from an argument (it would stay in the shell history
and the process list).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

from observe.errors import InvalidInput
from observe.model import ROLES
from observe.store import Store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("users", parents=[common], help="accounts and roles (team mode)")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", parents=[common], help="create a user with a password")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="observer")
    add.add_argument("--name", help="display name")
    add.add_argument("--counselor", help="for a counselor user: the counselor code they are")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(run=cmd_add, bootstrap=True)

    listing = actions.add_parser("list", parents=[common], help="list users and roles")
    listing.set_defaults(run=cmd_list)

    passwd = actions.add_parser("passwd", parents=[common], help="set a user's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(run=cmd_passwd)

    disable = actions.add_parser("disable", parents=[common], help="disable an account (its coding stays)")
    disable.add_argument("username")
    disable.set_defaults(run=cmd_disable, active=False)

    enable = actions.add_parser("enable", parents=[common], help="enable a disabled account")
    enable.add_argument("username")
    enable.set_defaults(run=cmd_disable, active=True)

    unlock = actions.add_parser("unlock", parents=[common], help="lift a lock after failed sign-ins")
    unlock.add_argument("username")
    unlock.set_defaults(run=cmd_unlock)

    audit = sub.add_parser("audit", parents=[common], help="print the audit trail (administrators)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.add_argument("--since", type=_day, metavar="DATE", help="only rows from this date on (YYYY-MM-DD)")
    audit.set_defaults(run=cmd_audit)

    erase = sub.add_parser(
        "erase", parents=[common], help="erase a client completely: data, videos, caches (administrators)"
    )
    erase.add_argument("--client", required=True, metavar="CODE")
    erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    erase.add_argument("--media", type=Path, help="the media folder (default: the configured one)")
    erase.set_defaults(run=cmd_erase)


def _day(text: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def cmd_audit(args: argparse.Namespace, store: Store) -> int:
    log = store.audit_log(since=args.since).iloc[::-1]  # oldest first, as a log reads
    for row in log.itertuples(index=False):
        at = row.at.isoformat() if hasattr(row.at, "isoformat") else str(row.at)
        if args.json:
            detail = json.loads(row.detail or "{}")
            record = {"at": at, "username": row.username, "action": row.action, "entity": row.entity}
            print(json.dumps(record | {"entity_id": row.entity_id, "detail": detail}, ensure_ascii=False))
        else:
            print(f"{at}\t{row.username}\t{row.action}\t{row.entity}\t{row.entity_id or ''}\t{row.detail}")
    return 0


def cmd_erase(args: argparse.Namespace, store: Store) -> int:
    if not args.yes:
        raise InvalidInput("access.erase_yes", code=args.client)
    counts = store.erase_client(args.client, confirm=args.client, media_folder=args.media)
    print("client erased: " + ", ".join(f"{v} {k}" for k, v in counts.items() if k != "erasure"))
    print(f"erasure id {counts.get('erasure', '')}".rstrip())
    return 0


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInput("access.password_mismatch")
    return first


def cmd_add(args: argparse.Namespace, store: Store) -> int:
    from observe.governance.auth import hash_password

    password = read_password(args.password_stdin)
    hash_password(password, args.username)  # refuse a weak password before the account exists
    store.add_user(args.username, role=args.role, display_name=args.name)
    store.set_password(args.username, password)
    if args.counselor:
        store.link_counselor(args.username, args.counselor)
    print(f"user {args.username} ({args.role}) created")
    return 0


def cmd_list(args: argparse.Namespace, store: Store) -> int:
    for user in store.users():
        flags = [] if user.active else ["disabled"]
        flags += ["demo"] if user.is_demo else []
        counselor = store.linked_counselor(user.username)
        flags += [f"counselor {counselor}"] if counselor else []
        print(f"{user.username}\t{user.role}\t{', '.join(flags)}".rstrip())
    return 0


def cmd_passwd(args: argparse.Namespace, store: Store) -> int:
    store.user(args.username)  # a clear "no such user" before asking for a password
    store.set_password(args.username, read_password(args.password_stdin))
    print(f"password of {args.username} changed")
    return 0


def cmd_disable(args: argparse.Namespace, store: Store) -> int:
    store.set_active(args.username, args.active)
    print(f"user {args.username} {'enabled' if args.active else 'disabled'}")
    return 0


def cmd_unlock(args: argparse.Namespace, store: Store) -> int:
    had = store.unlock(args.username)
    print(f"user {args.username} unlocked" if had else f"user {args.username} was not locked")
    return 0
