"""``python -m observe users ...``: accounts for team mode.

Whoever runs the CLI holds the database URL (its credentials), so the CLI acts as the
local administrator; that is how the first administrator of a team workspace is made::

    python -m observe --db postgresql://... users add dewi --role administrator

Passwords are read with ``getpass`` (not echoed) or, for scripts, from standard input
with ``--password-stdin``; never from an argument (it would stay in the shell history
and the process list).
"""

from __future__ import annotations

import argparse
import getpass
import sys

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
    add.set_defaults(run=cmd_add)

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


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInput("access.password_mismatch")
    return first


def cmd_add(args: argparse.Namespace, store: Store) -> int:
    from observe.auth import hash_password

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
