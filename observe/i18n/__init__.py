"""Translation and locale formatting: every UI string goes through :func:`t`.

Catalogues live in ``catalog/*.json``, one file per area of the app, each mapping
a key to ``{"en": ..., "id": ...}``. Files are merged at first use; a key defined
twice or missing a language is a bug that a test catches.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal

LANGUAGES: dict[str, str] = {"en": "English", "id": "Bahasa Indonesia"}
DEFAULT_LANGUAGE = "en"
_CATALOG_DIR = Path(__file__).with_name("catalog")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """All messages, ``{key: {lang: text}}``, merged from every catalogue file."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_CATALOG_DIR.glob("*.json")):
        for key, texts in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"{path.name}: message key {key!r} is defined twice")
            merged[key] = texts
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in.

    An unknown key returns the key itself, so a missing translation is visible
    on the page instead of crashing it (and the i18n test fails).

    >>> t("app.title", "id")
    'observe — pengamatan perilaku nonverbal'
    """
    texts = catalog().get(key)
    if texts is None:
        return key
    texts = catalog().get(_plural_key(key, lang, params), texts)
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return text.format(**params) if params else text


def _plural_key(key: str, lang: str, params: dict[str, Any]) -> str:
    """``key.one`` (or another CLDR plural form: ``zero``, ``two``, ``few``, ``many``) when the
    message counts (``count`` or ``n``) and the language's plural rule gives that form for the
    number, so "1 row is not valid" reads right; the key itself is the ``other`` form.

    >>> _plural_key("import.bad_rows", "en", {"count": 1}), _plural_key("import.bad_rows", "id", {"count": 1})
    ('import.bad_rows.one', 'import.bad_rows')
    """
    count = params.get("count", params.get("n"))
    if not isinstance(count, int) or isinstance(count, bool):
        return key
    form = _plural_rule(lang)(count)
    return key if form == "other" else f"{key}.{form}"


@cache
def _plural_rule(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(lang).plural_form


def number(value: float, lang: str = DEFAULT_LANGUAGE, digits: int = 2) -> str:
    """``value`` with the locale's separators, e.g. ``1,234.5`` (en) or ``1.234,5`` (id)."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return _babel_decimal(value, format=pattern, locale=lang)


def date(value: dt.date, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date written the locale's way, e.g. ``28 Aug 2026`` (en) or ``28 Agu 2026`` (id)."""
    return _babel_date(value, format="medium", locale=lang)
