"""Read a coding scheme from its files: ``<name>.toml`` + ``<name>.cues.csv``."""

from __future__ import annotations

import csv
import io
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from observe.errors import SchemeError
from observe.scheme.hotkeys import Hotkey
from observe.scheme.model import NA, Channel, CodingScheme, Cue, Modifier, Subject

DATA_DIR = Path(__file__).with_name("data")
CUE_COLUMNS = ("code", "channel", "kind", "en", "id")


@cache
def default_scheme() -> CodingScheme:
    """The scheme shipped with observe (DOMAIN §1), validated."""
    return load_scheme(DATA_DIR / "default.toml")


def load_scheme(path: Path) -> CodingScheme:
    """Load and validate a scheme; errors name the file and, for cues, the line.

    The cue table has columns ``code, channel, kind, en, id`` and, per subject,
    ``key_<subject>`` (e.g. ``g``, ``Shift+G``) and ``valence_<subject>``
    (``1``, ``0``, ``-1``, ``NA``; empty = the cue is not for that subject).
    """
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError("scheme.unreadable", path=path.name, detail=str(exc)) from exc
    cue_path = path.with_suffix(".cues.csv")
    try:
        cue_text = cue_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SchemeError("scheme.unreadable", path=cue_path.name, detail=str(exc)) from exc
    subjects = tuple(Subject(s["code"], _labels(s)) for s in meta.get("subject", []))
    cues, lines = _read_cues(cue_text, cue_path.name, [s.code for s in subjects])
    try:
        scheme = CodingScheme(
            name=meta["name"],
            version=int(meta["version"]),
            titles={"en": meta.get("title_en", meta["name"]), "id": meta.get("title_id", meta["name"])},
            subjects=subjects,
            channels=tuple(
                Channel(c["code"], bool(c.get("exhaustive", False)), _labels(c))
                for c in meta.get("channel", [])
            ),
            modifiers=tuple(
                Modifier(m["code"], tuple(map(str, m["values"])), _labels(m))
                for m in meta.get("modifier", [])
            ),
            cues=tuple(cues),
            profiles={
                name: {"labels": _labels(p, name), "client": dict(p.get("client", {}))}
                for name, p in meta.get("profile", {}).items()
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemeError("scheme.malformed", detail=str(exc)).at(path.name) from exc
    try:
        return scheme.validate()
    except SchemeError as exc:
        line = _line_of(exc, lines)
        raise exc.at(f"{cue_path.name}, line {line}" if line else path.name) from exc


def _labels(entry: dict[str, Any], fallback: str = "") -> dict[str, str]:
    english = entry.get("en") or entry.get("code") or fallback
    return {"en": english, "id": entry.get("id") or english}


def _read_cues(text: str, filename: str, subjects: list[str]) -> tuple[list[Cue], dict[str, list[int]]]:
    """Cues and, per code, the line numbers it stands on (for error messages)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CUE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SchemeError("scheme.missing_columns", columns=", ".join(missing)).at(filename)
    cues: list[Cue] = []
    lines: dict[str, list[int]] = {}
    for row in reader:
        line = reader.line_num
        try:
            cues.append(cue_from_row(row, subjects))
        except SchemeError as exc:
            raise exc.at(f"{filename}, line {line}") from exc
        lines.setdefault(row["code"], []).append(line)
    return cues, lines


def cue_from_row(row: dict[str, str], subjects: list[str]) -> Cue:
    """One cue from a row of the cue table (the CSV file and the page's editor share it)."""
    keys: dict[str, Hotkey] = {}
    valences: dict[str, float] = {}
    for subject in subjects:
        if key := str(row.get(f"key_{subject}") or "").strip():
            keys[subject] = Hotkey.parse(key)
        raw = str(row.get(f"valence_{subject}") or "").strip()
        if raw:
            valences[subject] = _valence(raw, row["code"])
    return Cue(
        code=str(row["code"] or "").strip(),
        channel=str(row["channel"] or "").strip(),
        kind=str(row["kind"] or "").strip(),
        labels={"en": str(row["en"] or "").strip(), "id": str(row["id"] or "").strip()},
        keys=keys,
        valences=valences,
    )


def _valence(raw: str, code: str) -> float:
    if raw.upper() == "NA":
        return NA
    try:
        return float(raw)
    except ValueError:
        raise SchemeError("scheme.bad_valence", cue=code, value=raw) from None


def _line_of(exc: SchemeError, lines: dict[str, list[int]]) -> int | None:
    """The line a validation error points at: the second of a pair, else the cue named."""
    code = exc.params.get("second") or exc.params.get("cue") or exc.params.get("code")
    found = lines.get(str(code))
    return found[-1] if found else None
