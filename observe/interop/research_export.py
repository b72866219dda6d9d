"""The de-identified research export: one zip for statistics software (issue 6, "Export").

Identities (client, counselor, observer) become random codes that are stable across
the files of ONE export and differ between exports; the key is never written, so the
codes cannot be traced back without the workspace. Dates become session numbers;
free-text notes and event comments are dropped unless explicitly included. A
``metadata.json`` records the scheme versions, the valence fingerprints and every
analysis parameter, so a result can be reproduced.

Files: ``events.csv`` (tidy events), ``sessions.csv``, ``openness.csv`` (session index
per subject), ``timebudget.csv``, ``metadata.json``, ``README.txt``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from observe.errors import InvalidInput
from observe.governance.research import pseudonyms, research_events
from observe.store import Store

if TYPE_CHECKING:
    from observe.interop.exports import Selection

FORMAT_VERSION = 1


def research_export(
    store: Store,
    *,
    selection: Selection | None = None,
    include_notes: bool = False,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The zipped de-identified export of the selected sessions.

    Parameters
    ----------
    store : Store
        The workspace (read only).
    selection : Selection, optional
        Narrow to a client, a session or an observer.
    include_notes : bool
        Keep event comments and session notes (free text may name people: off by default).
    seed : int, optional
        Seed of the random codes (tests); default: a fresh random seed per export.
    progress : callable, optional
        ``progress(done, total)``: one step per session analysed, the last when the zip is written.

    Examples
    --------
    >>> import io, zipfile
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> names = zipfile.ZipFile(io.BytesIO(research_export(store, seed=1))).namelist()
    >>> sorted(names)
    ['README.txt', 'events.csv', 'metadata.json', 'openness.csv', 'sessions.csv', 'timebudget.csv']
    """
    from dataclasses import replace

    from observe.analysis.openness import OpennessParams
    from observe.interop.exports import ALL_OBSERVERS, Selection, events_for_export, zip_files

    selection = selection or Selection()
    store = store.research_view()  # audited; a researcher reads consenting clients' sessions only
    rng = random.Random(secrets.randbits(64) if seed is None else seed)
    # every observer's coding (pseudonymised): reliability work needs them all
    everyone = selection if selection.observer else replace(selection, observer=ALL_OBSERVERS)
    events = events_for_export(store, everyone)
    # only what may leave for research: consenting clients, finished observations (audited)
    allowed = research_events(store)[["session", "observer"]].drop_duplicates()
    events = events.merge(allowed, on=["session", "observer"], how="inner")
    if events.empty:
        raise InvalidInput("export.nothing")
    sessions = [store.session(str(code)) for code in events["session"].unique()]
    clients = pseudonyms((s.client for s in sessions), "P", rng)
    counselors = pseudonyms((s.counselor for s in sessions), "T", rng)
    observers = pseudonyms(events["observer"].unique(), "O", rng)
    session_codes = {s.code: f"{clients[s.client]}-S{s.number:02d}" for s in sessions}

    def recode(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for column, codes in (
            ("session", session_codes),
            ("client", clients),
            ("counselor", counselors),
            ("observer", observers),
        ):
            if column in frame:
                frame[column] = frame[column].astype(str).map(codes)
        return frame.drop(columns=[c for c in ("session_date", "event_id", "observation_id") if c in frame])

    out_events = recode(events)
    if not include_notes:
        out_events["comment"] = ""
    session_table = pd.DataFrame(
        {
            "session": [session_codes[s.code] for s in sessions],
            "client": [clients[s.client] for s in sessions],
            "counselor": [counselors[s.counselor] for s in sessions],
            "session_number": [s.number for s in sessions],
            "duration_s": [s.duration_s for s in sessions],
            "n_events": [int((events["session"] == s.code).sum()) for s in sessions],
            **({"notes": [s.notes for s in sessions]} if include_notes else {}),
        }
    )
    total = len(sessions) + 1

    def tick(done: int) -> None:
        if progress is not None:
            progress(done, total)

    tick(0)
    openness, budget = _session_tables(store, selection, sessions, tick)
    params = OpennessParams().as_dict()
    metadata: dict[str, Any] = {
        "format": "observe research export",
        "format_version": FORMAT_VERSION,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "identities": "random codes, stable within this export only; the key is not stored",
        "dates": "replaced by session numbers",
        "free_text_included": include_notes,
        "schemes": sorted(
            {f"{name}:{version}" for name, version in store.schemes()}
            & {f"{n}:{v}" for n, v in _used_schemes(store, sessions)}
        ),
        "analysis_parameters": {
            "openness": params,
            "time_budget": {"interval": "0 to each session's length", "modifiers": False},
            "observation_choice": "reference observation, else the most coded one (session review)",
        },
        "valence_hashes": sorted(set(openness.pop("valence_hash").dropna().astype(str)))
        if len(openness)
        else [],
        "counts": {"sessions": len(sessions), "events": len(out_events)},
    }
    files = {
        "events.csv": _csv(out_events),
        "sessions.csv": _csv(session_table),
        "openness.csv": _csv(recode(openness)),
        "timebudget.csv": _csv(recode(budget)),
        "metadata.json": json.dumps(metadata, indent=1, ensure_ascii=False, default=str).encode("utf-8"),
        "README.txt": _README.encode("utf-8"),
    }
    data = zip_files(files)
    tick(total)
    return data


def _session_tables(
    store: Store, selection: Selection, sessions: list[Any], tick: Callable[[int], None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The openness/attending index and the time budget of each exported session, both from one
    session review per session (as the session-review page picks the observation)."""
    from observe.reports.dashboards import session_review

    indices, budgets = [], []
    for done, info in enumerate(sessions, start=1):
        review = session_review(store, info.code, selection.observer)
        for result in (review.openness, review.attending):
            if result is not None and len(result.sessions):
                indices.append(
                    result.sessions.assign(index_subject=result.subject, valence_hash=result.valence_hash)
                )
        if len(review.time_budget):
            budgets.append(review.time_budget.assign(observer=review.observer))
        tick(done)
    if not indices or not budgets:
        raise InvalidInput("export.nothing")
    return pd.concat(indices, ignore_index=True), pd.concat(budgets, ignore_index=True)


def _used_schemes(store: Store, sessions: list[Any]) -> set[tuple[str, int]]:
    used = set()
    for info in sessions:
        for obs in store.observations(session=info.code):
            used.add((obs.scheme_name, int(obs.scheme_version)))
    return used


def _csv(frame: pd.DataFrame) -> bytes:
    from observe.interop.spreadsheet import safe_csv

    # full precision (the shortest repr that round-trips), as every table export (issue 14 item 8):
    # %.6g cut shares to 6 digits and times past 1000 s to 10 ms
    return safe_csv(frame)


_README = """observe research export (de-identified)

events.csv      one row per coded event (tidy columns; times in seconds, states [start_s, end_s))
sessions.csv    one row per session: pseudonymous codes, session number, length, number of events
openness.csv    openness (client) and attending (counselor) index per session, with the reason when missing
timebudget.csv  time budget per subject and cue per session
metadata.json   scheme versions, valence fingerprints and every analysis parameter

Client (P-...), counselor (T-...) and observer (O-...) codes are random and hold only within this
export. Dates were replaced by session numbers. Free-text notes and comments are left out unless
the export says free_text_included = true.
"""
