"""The coding scheme as a table: the printable cheat-sheet and the ``scheme`` CLI output."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from observe.scheme.model import CodingScheme

SHEET_COLUMNS = ("code", "channel", "subject", "kind", "valence", "label_en", "label_id", "key")


def cheat_sheet(scheme: CodingScheme, *, subject: str | None = None) -> pd.DataFrame:
    """One row per cue and subject: the code, its channel, point/state, valence ("NA" when
    missing), both labels and the key combination that records it (KeyboardEvent style).

    >>> from observe.scheme import default_scheme
    >>> sheet = cheat_sheet(default_scheme())
    >>> sheet.loc[(sheet.code == "G_EYE") & (sheet.subject == "counselor"), "key"].item()
    'Shift+E'
    """
    rows = []
    for cue in scheme.cues:
        for who in cue.subjects:
            if subject and who != subject:
                continue
            valence = cue.valences.get(who)
            rows.append(
                {
                    "code": cue.code,
                    "channel": cue.channel,
                    "subject": who,
                    "kind": cue.kind,
                    "valence": "NA"
                    if valence is None or math.isnan(valence)
                    else f"{valence:+.0f}".replace("+0", "0"),
                    "label_en": cue.label("en"),
                    "label_id": cue.label("id"),
                    "key": cue.keys[who].label if who in cue.keys else "",
                }
            )
    return pd.DataFrame(rows, columns=list(SHEET_COLUMNS))


def cues_table(scheme: CodingScheme) -> pd.DataFrame:
    """The cue table as in ``default.cues.csv``: what the scheme editor shows and edits."""
    rows = []
    for cue in scheme.cues:
        row = {"code": cue.code, "channel": cue.channel, "kind": cue.kind}
        for subject in scheme.subject_codes:
            row[f"key_{subject}"] = cue.keys[subject].label if subject in cue.keys else ""
            value = cue.valences.get(subject)
            row[f"valence_{subject}"] = (
                "" if value is None else ("NA" if math.isnan(value) else f"{value:.0f}")
            )
        row |= {"en": cue.label("en"), "id": cue.label("id")}
        rows.append(row)
    return pd.DataFrame(rows)


def scheme_from_table(base: CodingScheme, table: pd.DataFrame, *, name: str | None = None) -> CodingScheme:
    """A new version of ``base`` (or version 1 of a new scheme ``name``) with the edited cues;
    errors name the table row (row 1 = the first cue)."""
    from observe.errors import SchemeError
    from observe.scheme.load import cue_from_row

    cues = []
    for position, row in enumerate(table.fillna("").to_dict("records"), start=1):
        if not str(row.get("code", "")).strip():
            continue  # an empty line added in the editor
        try:
            cues.append(cue_from_row(row, list(base.subject_codes)))
        except SchemeError as exc:
            raise exc.at(f"row {position}") from exc
    rows_of = {c.code: i for i, c in enumerate(cues, start=1)}
    version = 1 if name and name != base.name else base.version + 1
    candidate = replace(base, name=name or base.name, version=version, cues=tuple(cues))
    try:
        return candidate.validate()
    except SchemeError as exc:
        code = exc.params.get("second") or exc.params.get("cue") or exc.params.get("code")
        raise exc.at(f"row {rows_of[code]}") if code in rows_of else exc from exc


def cheat_sheet_view(scheme: CodingScheme, subject: str, lang: str) -> pd.DataFrame:
    """The cheat-sheet of one person as people read it: key, code, cue, channel, state/point and
    valence, with labels in ``lang`` (what the page shows and the printable page prints)."""
    from observe.i18n import t

    sheet = cheat_sheet(scheme, subject=subject)
    channels = {c.code: c.labels.get(lang, c.code) for c in scheme.channels}
    return pd.DataFrame(
        {
            "key": sheet["key"],
            "code": sheet["code"],
            "label": sheet["label_id" if lang == "id" else "label_en"],
            "channel": sheet["channel"].map(channels),
            "kind": sheet["kind"].map(lambda k: t(f"kind.{k}", lang)),
            "valence": sheet["valence"],
        }
    )


def cheat_sheet_html(scheme: CodingScheme, lang: str) -> str:
    """A printable, self-contained cheat-sheet page: one table per person, keys first."""
    from html import escape

    from observe.i18n import t

    title = escape(f"{scheme.titles.get(lang, scheme.name)} — v{scheme.version}")
    parts = [
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
        "th,td{border:1px solid #bbb;padding:2px 6px;font-size:11pt;text-align:left}th{background:#eee}"
        "td:first-child{font-family:monospace;font-weight:bold}</style></head><body>",
        f"<h1>{title}</h1><p>{escape(t('scheme.layers_plain', lang))}</p>",
    ]
    for subject in scheme.subjects:
        view = cheat_sheet_view(scheme, subject.code, lang)
        parts.append(f"<h2>{escape(subject.labels.get(lang, subject.code))}</h2><table><tr>")
        parts.append(
            "".join(f"<th>{escape(t(f'scheme.col.{c}', lang))}</th>" for c in view.columns) + "</tr>"
        )
        for row in view.itertuples(index=False):
            parts.append("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
