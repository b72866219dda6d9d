"""What every benchmark shares: the timer, the pass/fail of a row against its target, the table.

A row is ``{"name", "ours_s", "floor_s", "ratio", "target"}``. ``target`` is a number (pass
when ``ratio <= target``), a text starting with ``<=`` or ``>=`` and a number (``">= 10
(times faster than real time)"``: pass when the comparison holds), or ``None``/``"info"``
(informational, neither passes nor fails).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

NAME_WIDTH = 80
_TEXT_TARGET = re.compile(r"\s*(<=|>=)\s*([0-9.eE+-]+)")


def best_of(fn: Callable[[], object], repeat: int = 1) -> float:
    """The fastest of ``repeat`` calls of ``fn``, in seconds of ``time.perf_counter``.

    The minimum, not the mean: load from other processes only ever adds time.

    Examples
    --------
    >>> best_of(lambda: sum(range(10)), repeat=3) >= 0.0
    True
    """
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def time_pair(
    ours: Callable[[], object], floor: Callable[[], object], repeat: int, *, warm: bool = True
) -> tuple[float, float]:
    """Best-of-``repeat`` times of ``ours`` and ``floor``, the two calls alternated so that
    both see the same machine load; with ``warm`` each is called once untimed first (imports,
    caches). Returns ``(ours_s, floor_s)``."""
    if warm:
        ours(), floor()
    ours_s = floor_s = float("inf")
    for _ in range(repeat):
        floor_s = min(floor_s, best_of(floor))
        ours_s = min(ours_s, best_of(ours))
    return ours_s, floor_s


def passed(row: Mapping[str, Any]) -> bool | None:
    """Whether ``row["ratio"]`` meets ``row["target"]``; ``None`` for an informational row.

    Examples
    --------
    >>> passed({"ratio": 2.0, "target": 3.0}), passed({"ratio": 2.0, "target": ">= 10 (x)"})
    (True, False)
    >>> passed({"ratio": 2.0, "target": None}) is None
    True
    """
    target = row.get("target")
    if isinstance(target, bool) or target is None:
        return None
    if isinstance(target, (int, float)):
        return float(row["ratio"]) <= target
    match = _TEXT_TARGET.match(str(target))
    if match is None:  # "info" and other free text
        return None
    op, bound = match.groups()
    return float(row["ratio"]) <= float(bound) if op == "<=" else float(row["ratio"]) >= float(bound)


def _target_text(target: object) -> str:
    if target is None:
        return "info"
    if isinstance(target, (int, float)):
        return f"≤{target:g}"
    return str(target)


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as a fixed-width text table (name, ours, floor, ratio, target, ok)."""
    width = min(NAME_WIDTH, max([len("benchmark")] + [len(str(r["name"])) for r in rows]))
    lines = [f"{'benchmark':<{width}} {'ours s':>9} {'floor s':>9} {'ratio':>7} {'ok':>3}  target"]
    for r in rows:
        ok = {True: "yes", False: "NO", None: ""}[passed(r)]
        lines.append(
            f"{str(r['name'])[:width]:<{width}} {float(r['ours_s']):>9.3f} {float(r['floor_s']):>9.3f}"
            f" {float(r['ratio']):>7.2f} {ok:>3}  {_target_text(r.get('target'))}"
        )
    return "\n".join(lines)


def print_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    """Print the table, then the rows as JSON (for scripts)."""
    print(table(rows))
    print(json.dumps(list(rows), indent=1, default=float))
