"""Which observations a pooled analysis may use: one coding scheme's meaning (DOMAIN §9.6).

A pooled analysis (several sessions or clients) only adds up observations whose coding
scheme has every cue asked for, for the same subject, with the same default valence as
the reference scheme. Sessions coded with another scheme (a BORIS import with its own
codes, an older version that valued a cue differently) are left out and listed with
the reason, never silently mixed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from observe.scheme import CodingScheme

Code = tuple[str, str]  # (subject, cue)

MISSING_CUE = "analysis.pooling.missing_cue"
OTHER_VALENCE = "analysis.pooling.other_valence"


@dataclass(frozen=True)
class LeftOut:
    """A session kept out of a pooled analysis, and why (a translation key and its parameters)."""

    session: str
    observer: str
    scheme: str
    version: int
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """One sentence: which session and why, in ``lang``."""
        from observe.i18n import t

        reason = t(self.key, lang, scheme=self.scheme, version=self.version, **self.params)
        return t("analysis.pooling.left_out", lang, session=self.session, reason=reason)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """A plain row for tables and JSON."""
        return {"session": self.session, "observer": self.observer, "scheme": self.scheme,
                "version": self.version, "reason": self.key, "text": self.message(lang)}  # fmt: skip


def scheme_difference(
    scheme: CodingScheme, reference: CodingScheme, codes: Iterable[Code]
) -> tuple[str, dict[str, Any]] | None:
    """Why ``scheme`` cannot be pooled with ``reference`` for ``codes`` (key, params), or None.

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> ref = default_scheme()
    >>> scheme_difference(ref, ref, [("client", "G_EYE")]) is None
    True
    """
    mine, theirs = scheme.valences("default"), reference.valences("default")
    known = {(s, c.code) for c in scheme.cues for s in c.subjects}
    for subject, cue in codes:
        code = f"{subject}:{cue}"
        if (subject, cue) not in known:
            return MISSING_CUE, {"code": code}
        ours, expected = mine.get((subject, cue)), theirs.get((subject, cue))
        if not _same(ours, expected):
            return OTHER_VALENCE, {"code": code, "valence": _show(ours), "expected": _show(expected)}
    return None


def reference_scheme(
    candidates: Sequence[CodingScheme], codes: Iterable[Code], preferred: CodingScheme | None = None
) -> CodingScheme | None:
    """The scheme whose meaning a pooled analysis uses.

    ``preferred`` (the workspace's current default scheme) when it has every code;
    otherwise the candidate used most often that has them (ties: the first).

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> reference_scheme([default_scheme()], [("client", "G_EYE")]).name
    'default'
    """
    codes = list(codes)

    def has_all(s: CodingScheme) -> bool:
        known = {(subj, c.code) for c in s.cues for subj in c.subjects}
        return all(code in known for code in codes)

    if preferred is not None and has_all(preferred):
        return preferred
    counts: dict[tuple[str, int], int] = {}
    first: dict[tuple[str, int], CodingScheme] = {}
    for s in candidates:
        if has_all(s):
            key = (s.name, s.version)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, s)
    if not counts:
        return None
    return first[max(counts, key=lambda k: counts[k])]


def split_by_scheme(
    observations: Iterable[tuple[str, str, CodingScheme]],
    codes: Sequence[Code],
    reference: CodingScheme,
) -> tuple[list[str], list[LeftOut]]:
    """The sessions that may be pooled, and those left out with the reason.

    Parameters
    ----------
    observations
        ``(session, observer, scheme)`` of each chosen observation.
    codes
        The ``(subject, cue)`` codes the analysis asks for.
    reference
        The scheme whose cues and valences count (see :func:`reference_scheme`).

    Examples
    --------
    >>> from observe.scheme import default_scheme
    >>> ref = default_scheme()
    >>> other = ref.from_dict({**ref.to_dict(), "name": "boris_import",
    ...     "cues": [c for c in ref.to_dict()["cues"] if c["code"] != "G_EYE"]})
    >>> kept, left = split_by_scheme([("S1", "ani", ref), ("S2", "ani", other)], [("client", "G_EYE")], ref)
    >>> kept, [(x.session, x.key) for x in left]
    (['S1'], [('S2', 'analysis.pooling.missing_cue')])
    """
    kept: list[str] = []
    left: list[LeftOut] = []
    for session, observer, scheme in observations:
        why = scheme_difference(scheme, reference, codes)
        if why is None:
            kept.append(session)
        else:
            left.append(LeftOut(session, observer, scheme.name, scheme.version, why[0], why[1]))
    return kept, left


def _same(a: float | None, b: float | None) -> bool:
    a_na = a is None or math.isnan(a)
    b_na = b is None or math.isnan(b)
    return (a_na and b_na) or (not a_na and not b_na and float(a) == float(b))  # type: ignore[arg-type]


def _show(v: float | None) -> str:
    return "NA" if v is None or math.isnan(v) else f"{v:+g}"
