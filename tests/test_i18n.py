"""Translations (observe/i18n): complete catalogues, no key defined twice, every key the
code uses exists, placeholders agree between languages, locale formatting."""

from __future__ import annotations

import ast
import datetime as dt
import json
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from observe import errors, i18n
from observe.i18n import LANGUAGES, catalog, t

REPO = Path(__file__).resolve().parents[1]
CATALOG_DIR = REPO / "observe" / "i18n" / "catalog"
# Calls whose first argument is a message key: t(...), ctx.t(...) and every user-facing error.
ERROR_CLASSES = {
    name
    for name, obj in vars(errors).items()
    if isinstance(obj, type) and issubclass(obj, errors.ObserveError)
}
KEY_ARG = {"t": 0} | {name: 0 for name in ERROR_CLASSES} | {"ImportWarning": 1, "_warn": 2}


def source_files() -> Iterator[Path]:
    yield from sorted((REPO / "observe").rglob("*.py"))
    yield from sorted((REPO / "pages").glob("*.py"))
    if (REPO / "app.py").exists():
        yield REPO / "app.py"


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def used_keys() -> Iterator[tuple[str, str, bool]]:
    """(where, key or key prefix, is_prefix) for every literal key passed to a key-taking call."""
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            position = KEY_ARG.get(_callee(node) or "")
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield where, arg.value, False
            elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
                yield where, str(arg.values[0].value), True  # f"home.count.{name}": some key must start so


def test_every_key_has_english_and_indonesian() -> None:
    for key, texts in catalog().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(isinstance(v, str) and v.strip() for v in texts.values()), key


def test_indonesian_is_a_translation_not_a_copy() -> None:
    """A few keys may read the same in both (names, abbreviations such as kappa or ICC)."""
    same = [k for k, v in catalog().items() if v["en"] == v["id"]]
    assert len(same) <= 0.05 * len(catalog()), same


def test_no_key_is_defined_twice() -> None:
    seen: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob("*.json")):

        def refuse_duplicates(pairs: list[tuple[str, object]], name: str = path.name) -> dict[str, object]:
            keys = [k for k, _ in pairs]
            duplicated = {k for k in keys if keys.count(k) > 1}
            assert not duplicated, f"{name} defines {sorted(duplicated)} twice"
            return dict(pairs)

        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=refuse_duplicates)
        for key in data:
            assert key not in seen, f"{key} is in both {seen.get(key)} and {path.name}"
            seen[key] = path.name
    assert set(seen) == set(catalog())


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_placeholders_match_between_languages() -> None:
    for key, texts in catalog().items():
        assert _fields(texts["en"]) == _fields(texts["id"]), key


def test_every_key_used_in_the_code_exists() -> None:
    keys = set(catalog())
    found = list(used_keys())
    assert len(found) > 100  # the scan really finds the calls
    missing = [
        f"{where}: {key}{'*' if prefix else ''}"
        for where, key, prefix in found
        if (not any(k.startswith(key) for k in keys) if prefix else key not in keys)
    ]
    assert missing == [], "keys used but not in any catalogue:\n" + "\n".join(missing)


def test_navigation_pages_have_titles_and_descriptions() -> None:
    from observe.ui.page import NAVIGATION

    for _path, key, _icon in NAVIGATION:
        assert key in catalog(), key
        if key != "nav.home":
            assert key + ".about" in catalog(), key + ".about"


def test_t_fills_parameters_and_falls_back() -> None:
    en = t("record.no_session", "en", ref="K09-S01")
    indonesian = t("record.no_session", "id", ref="K09-S01")
    assert "K09-S01" in en and "K09-S01" in indonesian and en != indonesian
    assert t("no.such.key", "id") == "no.such.key"  # visible on the page, never a crash
    assert t("record.no_session", "fr", ref="x") == t("record.no_session", "en", ref="x")


def test_errors_speak_both_languages() -> None:
    error = errors.InvalidInput("event.end_before_start", start=5.0, end=4.0)
    assert str(error) == error.message("en")
    assert error.message("id") != error.message("en") and "5.0" in error.message("id")
    located = error.at("file.csv, line 3")
    assert located.message("id").startswith("file.csv, line 3: ")


@pytest.mark.parametrize(
    ("value", "lang", "digits", "text"),
    [
        (1234.5, "en", 2, "1,234.5"),
        (1234.5, "id", 2, "1.234,5"),
        (1234567, "id", 0, "1.234.567"),
        (1234567, "en", 0, "1,234,567"),
        (0.25, "id", 2, "0,25"),
        (-3.5, "en", 1, "-3.5"),
    ],
)
def test_numbers_per_locale(value: float, lang: str, digits: int, text: str) -> None:
    """CLDR conventions: English groups with commas, Indonesian with dots and a decimal comma."""
    assert i18n.number(value, lang, digits) == text


def test_dates_per_locale() -> None:
    day = dt.date(2026, 8, 28)
    assert i18n.date(day, "en") == "Aug 28, 2026"
    assert i18n.date(day, "id") == "28 Agu 2026"
    assert i18n.date(dt.date(2026, 5, 1), "id") == "1 Mei 2026"
