"""The neutral result of every importer: what a file holds, before anything is stored.

Every ``parse_*`` function in :mod:`observe.interop` returns an :class:`ImportBundle`.
It is validated and complete, so the page can show a preview (codes, subjects,
observations, warnings) and the store can write it in one transaction, or not at
all. Nothing here touches the database.

Events use the tidy columns of :data:`observe.model.EXPORT_COLUMNS` with
``session`` = the source observation id and ``subject`` = the source subject name
("" = BORIS's "No focal subject"); mapping them to counselor/client is the
user's choice, made later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from observe.model import EXPORT_COLUMNS

#: Modifier string in the tidy frame: ``"intensity=2;context=K"`` ("" = none).
MODIFIER_PAIR_SEP = ";"
MODIFIER_KV_SEP = "="

_TEXT_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c not in ("start_s", "end_s"))


@dataclass(frozen=True)
class CueDefinition:
    """One behaviour (cue) defined by the source file's ethogram or vocabulary.

    ``modifiers`` holds the modifier sets in the source's order, as
    ``(set name, allowed values)`` pairs.
    """

    code: str
    channel: str = ""
    kind: str = "state"  # "state" or "point"
    key: str = ""
    description: str = ""
    modifiers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportWarning:
    """Something the importer fixed or skipped.

    ``row`` is the 1-based row (tabular files: the spreadsheet row, header included;
    BORIS projects: the position in the observation's event list, ``unit`` "event") or None when the
    warning is about the whole file. ``message_key`` is a translation key of
    ``observe/i18n/catalog/interop.json``; ``params`` fill it in.
    """

    row: int | None
    message_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: what ``row`` counts: ``"row"`` of a table, or ``"event"`` of a BORIS project's observation
    unit: str = "row"

    def message(self, lang: str = "en") -> str:
        """The warning as one sentence in ``lang``.

        >>> ImportWarning(12, "interop.warn.restarted", {"code": "s", "session": "o1"}, unit="event").message()[-10:]
        '(event 12)'
        """
        from observe.i18n import t

        text = t(self.message_key, lang, **dict(self.params))
        return text if self.row is None else f"{text} ({t(f'interop.{self.unit}', lang)} {self.row})"


@dataclass(frozen=True, eq=False)
class ImportedObservation:
    """One coded observation found in the file (a BORIS observation, an EAF file...).

    ``events`` is a tidy frame with exactly the :data:`~observe.model.EXPORT_COLUMNS`.
    ``attributes`` holds the independent variables (label → value as text).
    ``duration_s`` is the observation length when the file states it (media length),
    else None. ``source_records`` counts the event records read from the file (a
    BORIS state counts twice: START and STOP) so a preview can show both numbers.
    ``scheme`` is the coding scheme the file names (name, version), if it names one.
    """

    name: str
    events: pd.DataFrame
    date: str = ""
    description: str = ""
    media: tuple[str, ...] = ()
    duration_s: float | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    source_records: int = 0
    #: the file's own line (CSV; JSON record, Parquet row) of each event, when it has lines
    lines: tuple[int, ...] = ()
    #: where each event sits in a file without lines (ELAN: "tier K-GAZE, annotation a12")
    origins: tuple[str, ...] = ()
    #: the coding scheme the file names for these events (our tidy export: ``scheme``,
    #: ``scheme_version``; version None = the latest of that name); None = the file names none
    scheme: tuple[str, int | None] | None = None

    def where(self, file_name: str, unit: str = "line") -> list[str]:
        """Each event's place in the file, for a refusal that names it (DOMAIN §9.7): the file's
        line, else the event's own origin, else the observation (a BORIS observation id).

        >>> ev = events_frame([{"cue": "P_NOD", "kind": "point", "start_s": 1.0}])
        >>> ImportedObservation("o1", ev, lines=(4,)).where("e.csv")
        ['e.csv, line 4']
        >>> ImportedObservation("o1", ev).where("p.boris")
        ['p.boris, observation o1']
        """
        name = file_name or "file"
        if len(self.lines) == len(self.events) and self.lines:
            return [f"{name}, {unit} {line}" for line in self.lines]
        if len(self.origins) == len(self.events) and self.origins:
            return [f"{name}, {origin}" for origin in self.origins]
        return [f"{name}, observation {self.name}"] * len(self.events)


@dataclass(frozen=True)
class TierInfo:
    """An ELAN tier and the (subject, channel) the importer suggests for it."""

    tier_id: str
    participant: str
    linguistic_type: str
    parent: str
    subject: str
    channel: str
    kind: str
    n_annotations: int
    role: str = "events"  # "events", "modifiers" or "comments"


@dataclass(frozen=True, eq=False)
class ImportBundle:
    """Everything one file holds, validated, in memory.

    ``source_format`` names the parser (``"boris_project"``, ``"boris_tabular"``,
    ``"boris_aggregated"``, ``"eaf"``, ``"tidy"``).
    """

    source_format: str
    scheme: tuple[CueDefinition, ...]
    subjects: tuple[str, ...]
    observations: tuple[ImportedObservation, ...]
    warnings: tuple[ImportWarning, ...] = ()
    tiers: tuple[TierInfo, ...] = ()
    # where it came from (set by observe.interop.detect.parse_file): the file's name and SHA-256,
    # kept with the import so the same file is not imported twice by accident (DOMAIN §9.7)
    file_name: str = ""
    sha256: str = ""
    #: what :attr:`ImportedObservation.lines` count: "line", "record" or "row"
    line_unit: str = "line"

    @property
    def n_events(self) -> int:
        """Number of tidy events over all observations."""
        return sum(len(o.events) for o in self.observations)

    def all_events(self) -> pd.DataFrame:
        """All observations' events in one tidy frame."""
        frames = [o.events for o in self.observations if len(o.events)]
        return pd.concat(frames, ignore_index=True) if frames else events_frame([])


# ---------------------------------------------------------------- tidy frame helpers


def events_frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """A frame with exactly the export columns, text columns as str and times rounded to ms.

    Examples
    --------
    >>> f = events_frame([{"session": "s1", "cue": "G_EYE", "kind": "point", "start_s": 1.2345}])
    >>> list(f.columns) == list(EXPORT_COLUMNS), float(f.loc[0, "start_s"]), f.loc[0, "subject"]
    (True, 1.234, '')
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    out = pd.DataFrame(index=range(len(frame)))
    for col in EXPORT_COLUMNS:
        if col in ("start_s", "end_s"):
            values = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
            out[col] = np.round(np.asarray(values, dtype="float64"), 3)
        elif col in frame:
            out[col] = frame[col].fillna("").astype(str).to_numpy(dtype=object)
        else:
            out[col] = ""
    for col in _TEXT_COLUMNS:
        out[col] = out[col].astype(object)
    return out


def ms(value: float) -> float:
    """Seconds rounded to the millisecond, the precision of every format we read."""
    return round(float(value), 3)


def format_modifiers(pairs: Iterable[tuple[str, str]]) -> str:
    """Join ``(key, value)`` pairs as ``"k=v;k=v"``, skipping empty and BORIS ``None`` values.

    >>> format_modifiers([("intensity", "2"), ("context", "None"), ("side", "L")])
    'intensity=2;side=L'
    """
    parts = []
    for key, value in pairs:
        value = clean_modifier_value(value)
        if value:
            parts.append(f"{key.strip()}{MODIFIER_KV_SEP}{value}")
    return MODIFIER_PAIR_SEP.join(parts)


def parse_modifiers(text: str) -> list[tuple[str, str]]:
    """Split ``"k=v;k=v"`` into pairs; an item without ``=`` gets the key ``""``.

    >>> parse_modifiers("intensity=2;side=L")
    [('intensity', '2'), ('side', 'L')]
    """
    pairs = []
    for item in str(text).split(MODIFIER_PAIR_SEP):
        if not item.strip():
            continue
        key, sep, value = item.partition(MODIFIER_KV_SEP)
        pairs.append((key.strip(), value.strip()) if sep else ("", key.strip()))
    return pairs


def clean_modifier_value(value: str) -> str:
    """A modifier value as recorded: stripped, ``None``/``NA`` = unset → ""."""
    value = str(value).strip()
    return "" if value in ("None", "NA", "nan") else value


def is_missing(value: Any) -> bool:
    """True for None, NaN and empty text."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def summarize_rows(rows: Sequence[int] | Sequence[str], limit: int = 10) -> str:
    """Rows as ``"3, 7, 12 … (+5 more)"`` for a warning that covers many rows."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown if len(rows) <= limit else f"{shown} … (+{len(rows) - limit})"
