"""The command line starts at once (issue 15): ``observe --help`` imports no command module and
neither pandas nor SQLAlchemy; a command imports only its own module; the table of commands
and the modules that register them agree."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from observe.cli import COMMANDS, _common, build_parser

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "sqlalchemy", "numpy", "scipy", "streamlit", "observe.store", "observe.commands")


def imported_after(*argv: str, cwd: Path = REPO) -> tuple[int, list[str]]:
    """Run ``observe ARGV`` in a fresh interpreter; its exit status and the heavy modules it imported."""
    code = (
        "import json, sys\nfrom observe.cli import main\n"
        f"try:\n    status = main({list(argv)!r})\nexcept SystemExit as exc:\n    status = exc.code\n"
        f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
        "print(json.dumps([status, heavy]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )
    status, heavy = json.loads(done.stderr.strip().splitlines()[-1])
    return int(status or 0), heavy


def test_help_imports_no_command_and_no_pandas() -> None:
    status, heavy = imported_after("--help")
    assert status == 0 and heavy == []


def test_a_command_imports_its_own_module_only(tmp_path: Path) -> None:
    status, heavy = imported_after("--db", str(tmp_path / "x.db"), "motion", "--help")
    assert status == 0
    assert [m for m in heavy if m.startswith("observe.commands")] == [
        "observe.commands",
        "observe.commands.video",
    ]
    assert "pandas" not in heavy and "sqlalchemy" not in heavy


def test_every_command_is_in_the_table_with_its_module_and_help() -> None:
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub, _common())
        registered = {a.dest: a.help for a in sub._choices_actions}
        assert registered == {n: h for n, (m, h) in COMMANDS.items() if m == module}, module
    full = build_parser()  # every module, in full
    names = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert sorted(names) == sorted(COMMANDS)


@pytest.mark.parametrize("command", ["demo", "openness", "users", "export"])
def test_the_help_of_a_command_is_complete(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser([command, "--help"]).parse_args([command, "--help"])
    lazy = capsys.readouterr().out
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    assert lazy == capsys.readouterr().out and "--db" in lazy
