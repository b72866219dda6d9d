"""Every download the workspace offers, as bytes with a file name: one call for the page and the CLI.

Kinds and formats (:data:`EXPORTS`): tidy ``events`` (CSV, XLSX, Parquet, JSON), ``boris``
tabular events (current layout, TSV/CSV), a ``boris_project`` BORIS can open, ELAN ``eaf``
(one file per session, zipped when several), ``sdis`` for GSEQ, the ``timebudget`` and
``openness`` tables (CSV/XLSX) and the de-identified ``research`` export (a zip, see
:mod:`observe.interop.research_export`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from observe.errors import InvalidInput
from observe.interop.boris_project import write_boris_project
from observe.interop.boris_tabular import write_boris_tabular
from observe.interop.elan import write_eaf
from observe.interop.sdis import write_sdis
from observe.interop.spreadsheet import safe_csv, safe_xlsx
from observe.interop.tidy import write_tidy_csv, write_tidy_json, write_tidy_parquet, write_tidy_xlsx
from observe.model import EXPORT_COLUMNS
from observe.store import Store

#: kind → the formats it can be written in (the first is the default)
EXPORTS: dict[str, tuple[str, ...]] = {
    "events": ("csv", "xlsx", "parquet", "json"),
    "boris": ("tsv", "csv"),
    "boris_project": ("boris",),
    "eaf": ("eaf",),
    "sdis": ("sds",),
    "timebudget": ("csv", "xlsx"),
    "openness": ("csv", "xlsx"),
    "research": ("zip",),
}
MIME = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "boris": "application/json",
    "eaf": "application/xml",
    "sds": "text/plain",
    "zip": "application/zip",
    "html": "text/html",
}


@dataclass(frozen=True)
class ExportFile:
    """One download: its file name, content and MIME type."""

    filename: str
    data: bytes
    mime: str


#: ``Selection.observer`` value for "every observer, one unit each" (DOMAIN §9.8).
ALL_OBSERVERS = "all"


@dataclass(frozen=True)
class Selection:
    """Which events: a session, a client (None = all), and whose coding.

    ``observer`` None = each session's reference observation (else its most coded one, as
    the session review picks it); a name = that observer's; :data:`ALL_OBSERVERS` = every
    observer, each written as its own unit (SDIS), observation (BORIS) or time budget / openness
    block named ``<session>_<observer>``, or its own tier set in the session's EAF (``client-GAZE
    (obs.ani)``) — never two observers' events in one stream (DOMAIN §9.8).
    """

    session: str | None = None
    client: str | None = None
    observer: str | None = None

    def stem(self) -> str:
        return "-".join(p for p in (self.session or self.client, self.observer) if p) or "workspace"


def export_file(
    store: Store,
    kind: str,
    fmt: str | None = None,
    *,
    selection: Selection | None = None,
    include_notes: bool = False,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExportFile:
    """Write the ``kind`` export of the selected events in ``fmt``.

    Parameters
    ----------
    store : Store
        The workspace (read only).
    kind, fmt : str
        A key of :data:`EXPORTS` and one of its formats (default: its first).
    selection : Selection, optional
        Narrow to a session, client and/or observer.
    include_notes, seed
        Research export only: keep free-text notes and comments; seed of the random codes.
    progress : callable, optional
        ``progress(done, total)`` with growing counts up to ``total`` (sessions analysed, then the file).

    Raises
    ------
    InvalidInput
        Unknown kind or format, or nothing to export.

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> f = export_file(store, "boris", "tsv", selection=Selection(session="K01-S01"))
    >>> f.filename, f.data.split(b"\\t")[0]
    ('K01-S01-boris.tsv', b'Observation id')
    """
    if kind not in EXPORTS:
        raise InvalidInput("export.unknown_kind", kind=kind, kinds=", ".join(EXPORTS))
    fmt = fmt or EXPORTS[kind][0]
    if fmt not in EXPORTS[kind]:
        raise InvalidInput("export.unknown_format", kind=kind, format=fmt, formats=", ".join(EXPORTS[kind]))
    selection = selection or Selection()
    if kind != "research":  # the research export checks and records itself (observe.governance.research)
        store.log_export("export.tidy", what=kind, session=selection.session, client=selection.client)
    if kind == "research":
        from observe.interop.research_export import research_export

        data = research_export(
            store, selection=selection, include_notes=include_notes, seed=seed, progress=progress
        )
        return ExportFile(f"{selection.stem()}-research.zip", data, MIME["zip"])
    if kind in ("timebudget", "openness"):
        steps: list[int] = [1]  # sessions, then one step for writing the file

        def sessions_done(done: int, total: int) -> None:
            steps[0] = total + 1
            if progress is not None:
                progress(done, total + 1)

        table = analysis_table(store, kind, selection, progress=sessions_done)
        data = _table_bytes(table, fmt, kind)
        if progress is not None:
            progress(steps[0], steps[0])
        return ExportFile(f"{selection.stem()}-{kind}.{fmt}", data, MIME[fmt])
    if progress is not None:
        progress(0, 1)
    events = events_for_export(store, selection)
    writer = _WRITERS[kind]
    name, data = writer(store, events, fmt, selection)
    if progress is not None:
        progress(1, 1)
    return ExportFile(name, data, MIME[name.rsplit(".", 1)[-1]])


#: What follows the contract columns in the events export: enough to recreate the sessions, and
#: each row's coding scheme (name, version), so that an import finds or rebuilds it.
EXPORT_EXTRAS = ("counselor", "session_number", "session_date", "duration_s", "scheme", "scheme_version")


def tidy_events(
    store: Store, *, session: str | None = None, observer: str | None = None, client: str | None = None
) -> pd.DataFrame:
    """The events export (``python -m observe events``): the contract columns first
    (``observe.model.EXPORT_COLUMNS``), then :data:`EXPORT_EXTRAS`; times to the millisecond."""
    if session:
        store.session(session)  # a clear "no such session" rather than an empty file
    frame = store.events_frame(session=session, observer=observer, client=client)
    out = frame[list(EXPORT_COLUMNS + EXPORT_EXTRAS)].copy()
    out["start_s"] = out["start_s"].round(3)
    out["end_s"] = out["end_s"].round(3)
    out["session_date"] = out["session_date"].astype(str)
    return out


def events_for_export(store: Store, selection: Selection) -> pd.DataFrame:
    """The tidy events export of a selection, one observation per session unless every observer
    is asked for (see :class:`Selection`); refuses an empty selection."""
    observer = selection.observer if selection.observer != ALL_OBSERVERS else None
    frame = tidy_events(store, session=selection.session, observer=observer, client=selection.client)
    if selection.observer is None and len(frame):
        chosen = _chosen_observers(store, selection)
        keep = [chosen.get(s) == o for s, o in zip(frame["session"], frame["observer"], strict=True)]
        frame = frame[keep]
    if frame.empty:
        raise InvalidInput("export.nothing")
    return frame.reset_index(drop=True)


def _chosen_observers(store: Store, selection: Selection) -> dict[str, str]:
    """Session → the observer of its reference observation (else the most coded one)."""
    from observe.reports.dashboards import pick_observations

    observations = store.observations(session=selection.session)
    return {code: obs.observer for code, obs in pick_observations(observations).items()}


def observers_for_export(store: Store, selection: Selection) -> list[str]:
    """The observers that coded the selected sessions (for the observer choice of a page)."""
    codes = set(_session_codes(store, selection))
    return sorted({o.observer for o in store.observations(session=selection.session) if o.session in codes})


def _units(events: pd.DataFrame, sel: Selection) -> tuple[pd.DataFrame, dict[str, str]]:
    """Events whose ``session`` is the unit to write, and unit → session code. With every
    observer, a unit is one observer's coding of one session: ``<session>_<observer>``."""
    if sel.observer != ALL_OBSERVERS:
        return events, {str(s): str(s) for s in events["session"].unique()}
    unit = events["session"].astype(str) + "_" + events["observer"].astype(str)
    return events.assign(session=unit), dict(zip(unit, events["session"].astype(str), strict=True))


def analysis_table(
    store: Store, kind: str, selection: Selection, *, progress: Callable[[int, int], None] | None = None
) -> pd.DataFrame:
    """The time budget or the openness/attending windows of every selected session: one chosen
    observation per session (as the session review picks it, or the selection's observer), or
    one block per observer with :data:`ALL_OBSERVERS`; an ``observer`` column says whose.
    ``progress(done, total)`` before the first and after each session."""
    from observe.reports.dashboards import session_review

    parts = []
    codes = _session_codes(store, selection)
    total = len(codes)
    for done, code in enumerate(codes):
        if progress is not None:
            progress(done, total)
        if selection.observer == ALL_OBSERVERS:
            whose: list[str | None] = [*sorted({o.observer for o in store.observations(session=code)})]
        else:
            whose = [selection.observer]
        for observer in whose:
            review = session_review(store, code, observer)
            if kind == "timebudget":
                parts.append(review.time_budget.assign(observer=review.observer))
                continue
            for result in (review.openness, review.attending):
                if result is not None:
                    parts.append(
                        result.windows.assign(
                            observer=review.observer,
                            index_subject=result.subject,
                            valence_hash=result.valence_hash,
                        )
                    )
    if progress is not None:
        progress(total, total)
    parts = [p for p in parts if len(p)]
    if not parts:
        raise InvalidInput("export.nothing")
    return pd.concat(parts, ignore_index=True)


def _session_codes(store: Store, selection: Selection) -> list[str]:
    if selection.session:
        return [store.session(selection.session).code]
    return [s.code for s in store.sessions(client=selection.client) if not s.archived]


def _table_bytes(table: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    if fmt == "xlsx":
        return safe_xlsx(table, sheet_name=sheet)
    # full precision (the shortest repr that round-trips): rounding is for display only
    return safe_csv(table)


# -- writers: (store, events, fmt, selection) -> (file name, bytes) -------------------------------------------------


def _session_facts(
    store: Store, events: pd.DataFrame, codes: Mapping[str, str]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Session attributes (independent variables) and dates for BORIS, per unit."""
    attributes, dates = {}, {}
    for code in events["session"].unique():
        info = store.session(codes[str(code)])
        # the import's own bookkeeping (source_*) is not one of the user's independent variables
        attributes[str(code)] = {
            str(k): str(v) for k, v in info.attributes.items() if not str(k).startswith("source_")
        }
        dates[str(code)] = info.date.isoformat()
    return attributes, dates


def _events(_store: Store, events: pd.DataFrame, fmt: str, sel: Selection) -> tuple[str, bytes]:
    writers: dict[str, Callable[[pd.DataFrame], bytes]] = {
        "csv": write_tidy_csv,
        "xlsx": write_tidy_xlsx,
        "parquet": write_tidy_parquet,
        "json": write_tidy_json,
    }
    return f"{sel.stem()}-events.{fmt}", writers[fmt](events)


def _boris(store: Store, events: pd.DataFrame, fmt: str, sel: Selection) -> tuple[str, bytes]:
    events, codes = _units(events, sel)
    attributes, dates = _session_facts(store, events, codes)
    delimiter = "\t" if fmt == "tsv" else ","
    data = write_boris_tabular(events, delimiter=delimiter, attributes=attributes, dates=dates)
    return f"{sel.stem()}-boris.{fmt}", data


def _boris_project(store: Store, events: pd.DataFrame, _fmt: str, sel: Selection) -> tuple[str, bytes]:
    events, codes = _units(events, sel)
    attributes, _dates = _session_facts(store, events, codes)
    descriptions = _cue_labels(store, events)
    data = write_boris_project(
        events, project_name=f"observe {sel.stem()}", descriptions=descriptions, attributes=attributes
    )
    return f"{sel.stem()}.boris", data


def _eaf(store: Store, events: pd.DataFrame, _fmt: str, sel: Selection) -> tuple[str, bytes]:
    """One EAF per session; with every observer, one tier set per observer in it (named by
    observer), so ELAN shows the codings one above the other on the same recording."""
    descriptions = _cue_labels(store, events)
    files = {
        f"{code}.eaf": write_eaf(group, descriptions=descriptions, by_observer=sel.observer == ALL_OBSERVERS)
        for code, group in events.groupby("session", sort=True)
    }
    if len(files) == 1:
        ((name, data),) = files.items()
        return name, data
    return f"{sel.stem()}-eaf.zip", zip_files(files)


def _sdis(store: Store, events: pd.DataFrame, _fmt: str, sel: Selection) -> tuple[str, bytes]:
    nv: dict[str, str] = {}
    for name, version in store.schemes():
        scheme = store.scheme(name, version)
        exhaustive = {c.code for c in scheme.channels if c.exhaustive}
        nv.update({c.channel: c.code for c in scheme.cues if c.not_visible and c.channel in exhaustive})
    events, codes = _units(events, sel)
    durations = {
        str(unit): float(d)
        for unit in events["session"].unique()
        if (d := store.session(codes[str(unit)]).duration_s) is not None
    }
    return f"{sel.stem()}.sds", write_sdis(events, nv_codes=nv, durations=durations)


def _cue_labels(store: Store, events: pd.DataFrame) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name, version in store.schemes():
        for cue in store.scheme(name, version).cues:
            labels.setdefault(cue.code, cue.label("en"))
    return {c: labels[c] for c in events["cue"].unique() if c in labels}


_WRITERS: Mapping[str, Callable[[Store, pd.DataFrame, str, Selection], tuple[str, bytes]]] = {
    "events": _events,
    "boris": _boris,
    "boris_project": _boris_project,
    "eaf": _eaf,
    "sdis": _sdis,
}


def zip_files(files: Mapping[str, bytes] | Sequence[tuple[str, bytes]]) -> bytes:
    """Several files in one deflated zip (names in the given order).

    >>> import zipfile, io
    >>> zipfile.ZipFile(io.BytesIO(zip_files({"a.txt": b"1", "b.txt": b"2"}))).namelist()
    ['a.txt', 'b.txt']
    """
    items = files.items() if isinstance(files, Mapping) else files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()
