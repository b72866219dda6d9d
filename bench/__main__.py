"""Run every benchmark (``bench/bench_*.py``) and print one table of ratios, then JSON.

Each module's ``run(quick=False)`` returns rows ``{"name", "ours_s", "floor_s", "ratio", "target"}``:
our time over the time of the unavoidable floor measured in the same run (raw sqlite3, a
bare pandas pass, OpenCV decoding alone...), so machines of different speed compare.
``python -m bench --quick`` runs smaller sizes; ``python -m bench store openness`` runs some.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

from bench._common import passed, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("only", nargs="*", help="benchmark names (store, openness, ...); default all")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--json",
        type=Path,
        nargs="?",
        const=None,
        metavar="FILE",
        help="the rows as JSON (always printed after the table); with FILE also written there",
    )
    args = parser.parse_args(argv)
    folder = Path(__file__).parent
    names = sorted(
        m.name[len("bench_") :] for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )
    chosen = [n for n in names if not args.only or n in args.only]
    rows = []
    for name in chosen:
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        for row in module.run(quick=args.quick):
            rows.append({"bench": name, **row, "pass": passed(row)})
        print(f"[{name}: {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    print(table(rows))
    text = json.dumps(rows, indent=1, default=float)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if all(r["pass"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
