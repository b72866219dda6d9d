"""Plural forms: "1 row is not valid", never "1 rows are not valid" (CLDR plural rules per language)."""

from __future__ import annotations

import pytest

from observe.i18n import catalog, t


def test_one_row_is_singular_and_two_are_plural() -> None:
    assert "1 row is not valid" in t("import.bad_rows", "en", count=1, rows="x")
    assert "2 rows are not valid" in t("import.bad_rows", "en", count=2, rows="x")
    assert "0 rows are not valid" in t("import.bad_rows", "en", count=0, rows="x")
    # Indonesian nouns do not inflect for number
    assert "1 baris tidak valid" in t("import.bad_rows", "id", count=1, rows="x")


@pytest.mark.parametrize(
    ("key", "one"),
    [
        ("interop.warn.time_text", "in 1 row (row 4)"),
        ("interop.warn.kind_guessed", "in 1 row and"),
        ("interop.warn.overlap_cut", "1 state in"),
        ("interop.warn.subject_left_out", "The event of subject"),
    ],
)
def test_import_warnings_speak_of_one_in_the_singular(key: str, one: str) -> None:
    params = {"n": 1, "rows": "4", "session": "S1", "subject": "x"}
    assert one in t(key, "en", **params)


def test_every_plural_form_belongs_to_a_message_with_the_same_placeholders() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    forms = [k for k in catalog() if k.rsplit(".", 1)[-1] in ("zero", "one", "two", "few", "many")]
    assert forms
    for key in forms:
        base = catalog()[key.rsplit(".", 1)[0]]
        for lang, text in catalog()[key].items():
            assert fields(text) <= fields(base[lang]) | {"count", "n"}, key
