"""Every "DOMAIN §n" / "FORMATS §n" cited in observe/ is a heading of docs/DOMAIN.md or docs/FORMATS.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = {"DOMAIN": REPO / "docs" / "DOMAIN.md", "FORMATS": REPO / "docs" / "FORMATS.md"}
NUMBER = r"\d+(?:\.\d+)*"
# "DOMAIN §3", "DOMAIN.md §9.3", "DOMAIN §3–§4", "DOMAIN §9.1, §9.3", "FORMATS §1.1/§1.2"
SECTION_REF = re.compile(rf"\b(DOMAIN|FORMATS)(?:\.md)?\s*(§\s*{NUMBER}(?:\s*[–/,-]\s*§\s*{NUMBER})*)")
# DOMAIN "Data model": a section cited by its heading text
NAMED_REF = re.compile(r"\b(DOMAIN|FORMATS)(?:\.md)?\s+\"([^\"]+)\"")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")


def _headings(doc: str) -> tuple[set[str], list[str]]:
    """The section numbers (``"9.3"``) and heading texts of a document."""
    numbers, texts = set(), []
    for line in DOCS[doc].read_text(encoding="utf-8").splitlines():
        m = HEADING.match(line)
        if m:
            text = m.group(1)
            texts.append(text)
            number = re.match(rf"({NUMBER})\.?\s", text)
            if number:
                numbers.add(number.group(1))
    return numbers, texts


def _references() -> list[tuple[str, str, str]]:
    """(file:line, document, section number or heading text) of every citation in observe/."""
    found = []
    for path in sorted((REPO / "observe").rglob("*.py")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.relative_to(REPO)}:{i}"
            for m in SECTION_REF.finditer(line):
                found += [(where, m.group(1), n) for n in re.findall(NUMBER, m.group(2))]
            found += [(where, m.group(1), m.group(2)) for m in NAMED_REF.finditer(line)]
    return found


def test_the_pattern_finds_the_forms_used() -> None:
    line = 'see DOMAIN §3–§4, DOMAIN.md §9.1, §9.3 and FORMATS §1.1/§1.2, DOMAIN "Data model"'
    numbers = [(m.group(1), re.findall(NUMBER, m.group(2))) for m in SECTION_REF.finditer(line)]
    assert numbers == [("DOMAIN", ["3", "4"]), ("DOMAIN", ["9.1", "9.3"]), ("FORMATS", ["1.1", "1.2"])]
    assert [m.group(2) for m in NAMED_REF.finditer(line)] == ["Data model"]


def test_observe_cites_the_docs() -> None:
    refs = _references()
    assert len(refs) > 100  # the docstrings do cite the docs; an empty scan would prove nothing
    assert {doc for _, doc, _ in refs} == {"DOMAIN", "FORMATS"}


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_cited_section_is_a_heading(doc: str) -> None:
    numbers, texts = _headings(doc)
    missing = [
        f"{where}: {doc} {'§' + ref if ref[0].isdigit() else repr(ref)}"
        for where, which, ref in _references()
        if which == doc
        and (ref not in numbers if ref[0].isdigit() else not any(ref.lower() in t.lower() for t in texts))
    ]
    assert not missing, "sections cited in observe/ but missing from docs/:\n" + "\n".join(missing)
