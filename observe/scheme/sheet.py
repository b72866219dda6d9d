"""The coding scheme as a table: the printable cheat-sheet and the ``scheme`` CLI output."""

from __future__ import annotations

import math

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
