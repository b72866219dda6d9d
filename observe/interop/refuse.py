"""All-or-nothing imports (DOMAIN §9.7): the first bad row refuses the whole file.

Importers collect :class:`Problem` s while they read and call :func:`raise_first`: the
problem on the earliest line is raised as one :class:`~observe.errors.InvalidInput`
whose ``where`` names the file and the file's own line (header = line 1) and column, or
for files without lines the observation and event index (BORIS projects) or the tier
and annotation (ELAN). Nothing is repaired: end before start, a zero-length state, a
negative or non-finite time, a time past the session, an exact duplicate row, a kind or
channel that contradicts the cue's, a point of a state cue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from observe.errors import InvalidInput


@dataclass(frozen=True, order=True)
class Problem:
    """One refused row: sortable by position, then turned into the error."""

    position: tuple[Any, ...]
    key: str = field(compare=False)
    where: str = field(compare=False)
    params: dict[str, Any] = field(compare=False, default_factory=dict)

    def error(self) -> InvalidInput:
        """The one-sentence error, located."""
        return InvalidInput(self.key, where=self.where, **self.params)


def at_line(filename: str, line: int, column: str, *, unit: str = "line") -> str:
    """``"events.csv, line 4, column end_s"``."""
    return f"{filename}, {unit} {line}, column {column}"


def line_problems(
    mask: np.ndarray,
    lines: Sequence[int] | np.ndarray,
    key: str,
    *,
    filename: str,
    column: str,
    unit: str = "line",
    params: Callable[[int], dict[str, Any]] | None = None,
) -> list[Problem]:
    """The first row of ``mask`` as a problem (one is enough: the file is refused); ``params``
    gives the message's parameters for a row position."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(hits):
        return []
    first = int(hits[0])
    extra = params(first) if params is not None else {}
    line = int(lines[first])
    return [Problem((line,), key, at_line(filename, line, column, unit=unit), extra)]


def raise_first(problems: Iterable[Problem]) -> None:
    """Raise the earliest problem, if any."""
    found = sorted(problems)
    if found:
        raise found[0].error()
