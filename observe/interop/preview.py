"""From a parsed file to the database: what an import will create, then the import itself.

:func:`preview` is pure (it only reads the store): it maps the file's subjects to ours,
turns a foreign ethogram (BORIS, ELAN) into a new coding scheme, names the sessions,
validates every event with the same checks the write uses and says what will be
created, which codes are new and what was fixed or skipped. :func:`apply_import`
writes exactly that in ONE transaction (scheme, clients, counselors, sessions,
observations, events), or nothing: a refused import leaves the database unchanged.

Our own tidy files (the ``events`` export) name their sessions, subjects and cues
already; they are checked against the coding scheme each row names (``scheme``,
``scheme_version``) when the workspace has it, against the stored default when the file
names none, and a named scheme the workspace lacks is rebuilt from the file as a BORIS or
ELAN import builds one, so a round trip into a fresh workspace is lossless.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from observe.errors import InvalidInput, NotFound, ObserveError
from observe.interop.bundle import (
    CueDefinition,
    ImportBundle,
    ImportedObservation,
    ImportWarning,
    parse_modifiers,
    summarize_rows,
)
from observe.model import check_code
from observe.scheme import CodingScheme
from observe.scheme.hotkeys import Hotkey
from observe.scheme.model import Channel, Cue, Modifier, Subject
from observe.store import Store
from observe.store.importing import (
    WHERE,
    FramePlan,
    frame_from_bundle,
    located,
    merged_plans,
    plan_frame,
    write_plan,
)
from observe.store.imports import ImportSource
from observe.store.provenance import Provenance, check_not_imported, source_of

#: Our subject codes a person can map a source subject to ("" = leave its events out).
SUBJECT_CHOICES = ("client", "counselor", "other", "")
MAX_CODE = 60  # events.cue is VARCHAR(60)
MAX_CHANNEL = 40  # events.channel is VARCHAR(40)
_NOT_CODE = re.compile(r"[^A-Za-z0-9_]+")
_COUNSELOR = re.compile(r"counsel|konselor|therap|terapis", re.IGNORECASE)
_CLIENT = re.compile(r"client|klien|patient|pasien", re.IGNORECASE)
_TOOLS = {"boris_project": "boris", "boris_tabular": "boris", "boris_aggregated": "boris", "eaf": "elan"}


@dataclass(frozen=True)
class ImportMapping:
    """The person's choices for a foreign file.

    ``subjects`` maps each source subject ("" = BORIS's "No focal subject") to one of
    :data:`SUBJECT_CHOICES`; "" leaves that subject's events out. ``client``,
    ``counselor`` and ``observer`` name who the imported sessions belong to (created when
    missing); ``sessions`` may name the session of a source observation (default:
    ``<client>-S<nn>``, numbered after the client's stored sessions). ``scheme_name``
    names the new coding scheme. Tidy files ignore everything but ``subjects``.
    """

    subjects: Mapping[str, str] = field(default_factory=dict)
    client: str = "IMPORT"
    counselor: str = "unknown"
    observer: str = "import"
    sessions: Mapping[str, str] = field(default_factory=dict)
    scheme_name: str = ""


@dataclass(frozen=True, eq=False)
class ImportPreview:
    """What :func:`apply_import` will create, for the person to confirm.

    ``sessions`` has one row per source observation: ``source``, ``session``, ``new``
    (bool), ``events``, ``date``, ``duration_s``. ``subjects`` has ``source``, ``mapped_to``,
    ``events``. ``new_codes`` are cues the stored default scheme does not have.
    ``problem`` is the one-sentence reason the import would be refused (None = it can be
    imported). ``warnings`` lists what was fixed or skipped, with row numbers.
    """

    source_format: str
    scheme: CodingScheme
    scheme_is_new: bool
    sessions: pd.DataFrame
    subjects: pd.DataFrame
    new_codes: tuple[str, ...]
    counts: Mapping[str, int]
    warnings: tuple[ImportWarning, ...]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, eq=False)
class _Prepared:
    frame: pd.DataFrame
    scheme: CodingScheme | None  # None: the stored default scheme (tidy files)
    attributes: dict[str, dict[str, str]]
    empty: dict[tuple[str, str], dict[str, object]]
    sessions: pd.DataFrame
    subjects: pd.DataFrame
    warnings: tuple[ImportWarning, ...]
    #: a tidy file's events per coding scheme it names (None: the stored default), each
    #: planned against its own scheme; empty = ``frame`` against ``scheme``
    parts: tuple[tuple[CodingScheme | None, pd.DataFrame], ...] = ()


# ---------------------------------------------------------------------------- public API


def default_mapping(bundle: ImportBundle, store: Store | None = None) -> ImportMapping:
    """A sensible first mapping: subjects guessed from their names (``counselor``/``konselor`` →
    counselor, ``client``/``klien`` → client), else the first named subject is the client and
    the second the counselor; everything else is ``other``.

    >>> from observe.interop.bundle import ImportBundle
    >>> default_mapping(ImportBundle("boris_project", (), ("Therapist", "Kid", ""), ())).subjects
    {'Therapist': 'counselor', 'Kid': 'client', '': 'other'}
    """
    if bundle.source_format.startswith("tidy"):
        return ImportMapping(subjects={s: s for s in bundle.subjects})
    guessed: dict[str, str] = {}
    for name in bundle.subjects:
        if _COUNSELOR.search(name):
            guessed[name] = "counselor"
        elif _CLIENT.search(name):
            guessed[name] = "client"
    free = [r for r in ("client", "counselor") if r not in guessed.values()]
    for name in bundle.subjects:
        if name not in guessed:
            guessed[name] = free.pop(0) if free and name else "other"
    tool = _TOOLS.get(bundle.source_format, "import")
    stem = _slug(bundle.observations[0].name if len(bundle.observations) == 1 else tool)
    return ImportMapping(subjects=guessed, client=(stem or "IMPORT")[:30].upper(), observer=tool)


def preview(
    bundle: ImportBundle, store: Store, mapping: ImportMapping | None = None, *, new_copy: bool = False
) -> ImportPreview:
    """What importing ``bundle`` with ``mapping`` will create; reads the store, writes nothing.

    Examples
    --------
    >>> from observe.interop.detect import parse_file
    >>> store = Store.open("sqlite://")
    >>> data = b"session,client,observer,subject,cue,kind,start_s\\nK01-S01,K01,ana,client,P_NOD,point,2\\n"
    >>> p = preview(parse_file(data, filename="e.csv"), store)
    >>> p.ok, dict(p.counts)
    (True, {'events': 1, 'observations': 1, 'new_sessions': 1})
    """
    mapping = mapping or default_mapping(bundle, store)
    prepared = _prepare(bundle, store, mapping)
    scheme = prepared.scheme or store.scheme()
    default_codes = {c.code for c in store.scheme().cues}
    new_codes = tuple(c.code for c in scheme.cues if c.code not in default_codes)
    problem = None
    counts: Mapping[str, int] = {"events": len(prepared.frame), "observations": 0, "new_sessions": 0}
    scheme_is_new = prepared.scheme is not None
    try:
        check_not_imported(store, _source(bundle, prepared, new_copy))  # as apply_import would
        plan = _plan(store, prepared)
        counts = plan.counts()
        scheme_is_new = plan.scheme_id is None or any(i is None for _, i in plan.other_schemes.values())
    except ObserveError as exc:
        problem = exc.message("en")
    return ImportPreview(
        source_format=bundle.source_format,
        scheme=scheme,
        scheme_is_new=scheme_is_new,
        sessions=prepared.sessions,
        subjects=prepared.subjects,
        new_codes=new_codes,
        counts=counts,
        warnings=prepared.warnings,
        problem=problem,
    )


def apply_import(
    store: Store,
    bundle: ImportBundle,
    mapping: ImportMapping | None = None,
    *,
    new_copy: bool = False,
    filename: str | None = None,
    data: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Import ``bundle`` in ONE transaction: everything :func:`preview` announced, or nothing.
    It runs as the store's acting user, through the store's checks (``observe.store.imports``);
    the audit row names ``filename`` and the SHA-256 of ``data`` (the uploaded bytes).

    ``progress(done, total)`` counts the observations written.

    Raises
    ------
    InvalidInput
        The import is refused (bad rows, overlapping states, an empty file...); the
        database is left exactly as it was.
    """
    mapping = mapping or default_mapping(bundle, store)
    prepared = _prepare(bundle, store, mapping)
    source = _source(bundle, prepared, new_copy)
    check_not_imported(store, source)  # "already imported" before any other refusal, as preview says
    plan = _plan(store, prepared)
    plan.source = source
    return write_plan(store, plan, _audited_as(bundle, filename, data), progress=progress)


# ---------------------------------------------------------------------------- preparation


def _plan(store: Store, prepared: _Prepared) -> FramePlan:
    if len(prepared.parts) > 1:
        return merged_plans([plan_frame(store, frame, scheme=scheme) for scheme, frame in prepared.parts])
    return plan_frame(
        store,
        prepared.frame,
        scheme=prepared.scheme,
        attributes=prepared.attributes,
        empty=prepared.empty,
    )


def _audited_as(bundle: ImportBundle, filename: str | None, data: bytes | None) -> ImportSource:
    """What the audit row names: the uploaded file's name and the SHA-256 of its bytes (the
    bundle's own, from :func:`observe.interop.detect.parse_file`, when no bytes are given)."""
    if data is None and bundle.sha256:
        return ImportSource((filename or bundle.file_name or "(file)")[:80], bundle.sha256)
    return ImportSource.of(filename or bundle.file_name, data)


def _source(bundle: ImportBundle, prepared: _Prepared, new_copy: bool) -> Provenance:
    """Where the data comes from (file, BORIS observation ids), per session it writes."""
    names = dict(zip(prepared.sessions["source"], prepared.sessions["session"], strict=True))
    return source_of(bundle, names, new_copy=new_copy)


def _prepare(bundle: ImportBundle, store: Store, mapping: ImportMapping) -> _Prepared:
    if not bundle.observations:
        raise InvalidInput("import.empty")
    if bundle.source_format.startswith("tidy"):
        return _prepare_tidy(bundle, mapping, store)
    return _prepare_foreign(bundle, store, mapping)


def _check_tidy_against_scheme(bundle: ImportBundle, scheme: CodingScheme) -> None:
    """A tidy file's cue whose channel or kind contradicts the scheme refuses the file, at its
    own line (DOMAIN §9.7), and so does a cue the scheme does not have."""
    from observe.interop.refuse import Problem, at_line, raise_first

    cues = {c.code: c for c in scheme.cues}
    problems: list[Problem] = []
    for obs in bundle.observations:
        if not obs.lines:
            continue
        ev = obs.events
        for line, cue, channel, kind in zip(obs.lines, ev["cue"], ev["channel"], ev["kind"], strict=True):
            known = cues.get(cue)
            if known is None:
                where = at_line(bundle.file_name or "file", line, "cue", unit=bundle.line_unit)
                params = {"cue": cue, "scheme": f"{scheme.name} v{scheme.version}"}
                problems.append(Problem((line,), "interop.refuse.unknown_cue", where, params))
                continue
            if channel and channel != known.channel:
                params = {"cue": cue, "expected": known.channel, "found": channel}
                where = at_line(bundle.file_name or "file", line, "channel", unit=bundle.line_unit)
                problems.append(Problem((line,), "interop.refuse.channel_conflict", where, params))
            elif kind != known.kind:
                params = {"cue": cue, "expected": known.kind, "found": kind}
                where = at_line(bundle.file_name or "file", line, "kind", unit=bundle.line_unit)
                problems.append(Problem((line,), "interop.refuse.kind_conflict", where, params))
    raise_first(problems)


def _prepare_tidy(bundle: ImportBundle, mapping: ImportMapping, store: Store) -> _Prepared:
    warnings = list(bundle.warnings)
    parts = []
    for named, observations in _by_scheme(bundle).items():
        part = replace(bundle, observations=observations)
        scheme = _named_scheme(store, named)
        frame, _ = _map_subjects(frame_from_bundle(part), mapping.subjects, warnings)
        if scheme is None and named is not None:
            frame, scheme = _rebuilt_scheme(part, frame, mapping, store, named, warnings)
        else:
            _check_tidy_against_scheme(part, scheme or store.scheme())
        parts.append((scheme, frame))
    frame = pd.concat([f for _, f in parts], ignore_index=True)
    subjects = _subject_table(frame_from_bundle(bundle), mapping.subjects)
    sessions = (
        frame.groupby("session", sort=False)
        .agg(events=("cue", "size"), date=("session_date", "first"), duration_s=("duration_s", "first"))
        .reset_index()
    )
    sessions.insert(0, "source", sessions["session"])
    sessions.insert(2, "new", True)
    shown = next((scheme for scheme, _ in parts if scheme is not None), None)
    return _Prepared(frame, shown, {}, {}, sessions, subjects, tuple(warnings), tuple(parts))


def _by_scheme(bundle: ImportBundle) -> dict[tuple[str, int | None] | None, tuple[ImportedObservation, ...]]:
    """The file's observations per coding scheme it names (None: it names none)."""
    groups: dict[tuple[str, int | None] | None, list[ImportedObservation]] = {}
    for obs in bundle.observations:
        groups.setdefault(obs.scheme, []).append(obs)
    return {named: tuple(group) for named, group in groups.items()}


def _named_scheme(store: Store, named: tuple[str, int | None] | None) -> CodingScheme | None:
    """The stored scheme a tidy file names (the latest of the name when it gives no version);
    None when it names none (the default is used) or the workspace does not have it."""
    if named is None:
        return None
    name, version = named
    try:
        return store.scheme(name, version)  # the built-in default counts as stored
    except NotFound:
        return None


def _rebuilt_scheme(
    part: ImportBundle,
    frame: pd.DataFrame,
    mapping: ImportMapping,
    store: Store,
    named: tuple[str, int | None],
    warnings: list[ImportWarning],
) -> tuple[pd.DataFrame, CodingScheme]:
    """A scheme the workspace does not have, rebuilt from the file as a BORIS or ELAN import
    builds one (:func:`_scheme_from_bundle`), under the file's name and version."""
    name, version = named
    definitions: dict[str, CueDefinition] = {}
    for obs in part.observations:
        for cue, channel, kind in zip(
            obs.events["cue"], obs.events["channel"], obs.events["kind"], strict=True
        ):
            definitions.setdefault(cue, CueDefinition(code=cue, channel=channel, kind=kind))
    own = {s: s for s in frame["subject"].unique()}
    frame, scheme = _scheme_from_bundle(
        replace(part, scheme=tuple(definitions.values())),
        frame,
        replace(mapping, subjects=own, scheme_name=name),
        store,
        warnings,
    )
    return frame, scheme if version is None else replace(scheme, version=version).validate()


def _subject_table(frame: pd.DataFrame, choices: Mapping[str, str]) -> pd.DataFrame:
    """The preview's subjects table of the whole file."""
    return _map_subjects(frame, choices, [])[1]


def _prepare_foreign(bundle: ImportBundle, store: Store, mapping: ImportMapping) -> _Prepared:
    client = check_code(mapping.client, "client")
    counselor = check_code(mapping.counselor or "unknown", "counselor")
    observer = check_code(mapping.observer or "import", "observer")
    warnings = list(bundle.warnings)
    numbers = _next_numbers(store, client, len(bundle.observations))
    parts, rows, attributes, facts = [], [], {}, {}
    first = 0
    for obs, number in zip(bundle.observations, numbers, strict=True):
        code = check_code(mapping.sessions.get(obs.name) or f"{client}-S{number:02d}", "session")
        part = located(bundle, obs, first)
        first += len(part)
        part["session"] = code
        part["client"] = client
        part["observer"] = observer
        part["counselor"] = counselor
        part["session_number"] = number
        part["session_date"] = _date(obs.date)
        part["duration_s"] = _duration(obs, part, warnings)
        parts.append(part)
        attributes[code] = {
            **{str(k): str(v) for k, v in obs.attributes.items()},
            "source_format": bundle.source_format,
            "source_observation": obs.name,
            **({"source_description": obs.description} if obs.description else {}),
            **({"source_media": ";".join(obs.media)} if obs.media else {}),
        }
        facts[code] = {
            "client": client,
            "counselor": counselor,
            "session_number": number,
            "session_date": _date(obs.date),
            "duration_s": part["duration_s"].iloc[0] if len(part) else obs.duration_s,
        }
        rows.append(
            {
                "source": obs.name,
                "session": code,
                "new": True,
                "events": len(part),
                "date": part["session_date"].iloc[0] if len(part) else _date(obs.date),
                "duration_s": facts[code]["duration_s"],
            }
        )
    frame = pd.concat(parts, ignore_index=True)
    frame, subjects = _map_subjects(frame, mapping.subjects, warnings)
    frame, scheme = _scheme_from_bundle(bundle, frame, mapping, store, warnings)
    sessions = pd.DataFrame(rows)
    counted = frame.groupby("session").size()
    sessions["events"] = sessions["session"].map(counted).fillna(0).astype(int)
    # an observation whose events were all left out is still created, empty
    empty = {(s, observer): facts[s] for s in sessions.loc[sessions["events"] == 0, "session"]}
    return _Prepared(frame, scheme, attributes, empty, sessions, subjects, tuple(warnings))


def _map_subjects(
    frame: pd.DataFrame, choices: Mapping[str, str], warnings: list[ImportWarning]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    source = frame["subject"].astype(str)
    counts = source.value_counts(sort=False)
    mapped = {s: choices.get(s, s if s else "other") for s in counts.index}
    for target in set(mapped.values()) - {""}:
        check_code(target, "subject")
    table = pd.DataFrame(
        {
            "source": list(counts.index),
            "mapped_to": [mapped[s] for s in counts.index],
            "events": counts.to_numpy(),
        }
    )
    frame = frame.assign(subject=source.map(mapped))
    left_out = frame["subject"] == ""
    if left_out.any():
        for name in table.loc[table["mapped_to"] == "", "source"]:
            n = int(table.loc[table["source"] == name, "events"].iloc[0])
            warnings.append(ImportWarning(None, "interop.warn.subject_left_out", {"subject": name, "n": n}))
        frame = frame.loc[~left_out].reset_index(drop=True)
    return frame, table


def _next_numbers(store: Store, client: str, n: int) -> list[int]:
    taken = [s.number for s in store.sessions(include_archived=True) if s.client == client]
    first = max(taken, default=0) + 1
    return list(range(first, first + n))


def _date(text: str) -> str:
    try:
        return pd.Timestamp(text).date().isoformat() if text else dt.date.today().isoformat()
    except (ValueError, TypeError):
        return dt.date.today().isoformat()


def _duration(obs: object, events: pd.DataFrame, warnings: list[ImportWarning]) -> float | None:
    """The session length: the media length, stretched to the last event if one lies beyond it
    (a live observation has no media: its last event ends it)."""
    stated = getattr(obs, "duration_s", None)
    times = pd.concat([events["start_s"], events["end_s"]]).dropna()
    last = float(times.max()) if len(times) else None
    if stated is None or (isinstance(stated, float) and math.isnan(stated)):
        return last if last else None
    if last is not None and last > stated:
        warnings.append(
            ImportWarning(
                None,
                "interop.warn.beyond_media",
                {"session": getattr(obs, "name", ""), "time": f"{last:.3f}", "length": f"{stated:.3f}"},
            )
        )
        return last
    return float(stated)


# ---------------------------------------------------------------------------- the new scheme


def _slug(text: str) -> str:
    return _NOT_CODE.sub("_", text).strip("_")


def _scheme_from_bundle(
    bundle: ImportBundle,
    frame: pd.DataFrame,
    mapping: ImportMapping,
    store: Store,
    warnings: list[ImportWarning],
) -> tuple[pd.DataFrame, CodingScheme]:
    """The file's ethogram as a coding scheme: categories (BORIS) or tiers (ELAN) become channels;
    a category whose states overlap in the data is split into one channel per behaviour, since a
    channel holds one state at a time per subject (DOMAIN "Data model")."""
    definitions = {d.code: d for d in bundle.scheme}
    codes = list(dict.fromkeys([*definitions, *frame["cue"].astype(str)]))
    too_long = [c for c in codes if len(c) > MAX_CODE or not c.strip()]
    if too_long:
        raise InvalidInput("interop.code_too_long", code=too_long[0][:80], limit=MAX_CODE)
    seen_kind = frame.groupby("cue")["kind"].first().to_dict() if len(frame) else {}
    kinds = {c: definitions[c].kind if c in definitions else str(seen_kind.get(c, "point")) for c in codes}
    group_of = _groups(codes, definitions, frame)
    frame = frame.assign(cue=frame["cue"].astype(str), kind=frame["cue"].astype(str).map(kinds))
    group_of = _split_overlapping(frame, group_of, kinds)
    channel_of = _channel_codes(group_of)
    frame = frame.assign(channel=frame["cue"].map(channel_of))
    frame = _trim_overlaps(frame, warnings)
    subjects = sorted(
        {s for s in mapping.subjects.values() if s} | set(frame["subject"]),
        key=lambda s: (SUBJECT_CHOICES.index(s) if s in SUBJECT_CHOICES else 9, s),
    ) or ["other"]
    cues = tuple(
        Cue(
            code=code,
            channel=channel_of[code],
            kind=kinds[code],
            labels={"en": (definitions[code].description if code in definitions else "") or code},
            keys=_keys(code, definitions, subjects, codes),
            valences={s: math.nan for s in subjects},  # valences are the user's to set (DOMAIN §2)
        )
        for code in codes
    )
    channels = tuple(
        Channel(code, False, {"en": label or code})
        for code, label in dict.fromkeys((channel_of[c], group_of[c]) for c in codes)
    )
    scheme = CodingScheme(
        name=_scheme_name(bundle, mapping),
        version=1,
        titles={"en": f"Imported from {bundle.source_format}"},
        subjects=tuple(Subject(s, {"en": s}) for s in subjects),
        channels=channels,
        cues=cues,
        modifiers=_modifiers(bundle, frame),
    )
    return frame, _versioned(store, scheme)


def _groups(codes: list[str], definitions: Mapping[str, object], frame: pd.DataFrame) -> dict[str, str]:
    """Each cue's group: its category (BORIS) or tier channel (ELAN), else the cue itself."""
    from_events = (
        frame.loc[frame["channel"].astype(str) != ""].groupby("cue")["channel"].first().to_dict()
        if len(frame)
        else {}
    )
    out = {}
    for code in codes:
        category = getattr(definitions.get(code), "channel", "") or from_events.get(code, "")
        out[code] = str(category) or code
    return out


def _split_overlapping(
    frame: pd.DataFrame, group_of: dict[str, str], kinds: Mapping[str, str]
) -> dict[str, str]:
    states = frame.loc[frame["kind"] == "state", ["session", "subject", "cue", "start_s", "end_s"]]
    if states.empty:
        return group_of
    states = states.assign(group=states["cue"].map(group_of)).sort_values(
        ["session", "subject", "group", "start_s"]
    )
    lane = (states["session"] + "|" + states["subject"] + "|" + states["group"]).to_numpy()
    start = states["start_s"].to_numpy()
    end = states["end_s"].fillna(np.inf).to_numpy()
    cue = states["cue"].to_numpy()
    clash = (lane[1:] == lane[:-1]) & (start[1:] < end[:-1]) & (cue[1:] != cue[:-1])
    split = {group_of[c] for c in cue[1:][clash]}
    return {c: (c if g in split and kinds[c] == "state" else g) for c, g in group_of.items()}


def _channel_codes(group_of: Mapping[str, str]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for group in dict.fromkeys(group_of.values()):
        base = (_slug(group).upper() or "CHANNEL")[: MAX_CHANNEL - 4]
        code, n = base, 2
        while code in codes.values():
            code, n = f"{base}_{n}", n + 1
        codes[group] = code
    return {cue: codes[group] for cue, group in group_of.items()}


def _trim_overlaps(frame: pd.DataFrame, warnings: list[ImportWarning]) -> pd.DataFrame:
    """States left overlapping in one lane (the same behaviour with different modifiers, or two
    source subjects mapped to one) end where the next starts — our state rule — and are reported."""
    states = frame.loc[frame["kind"] == "state"].sort_values(["session", "subject", "channel", "start_s"])
    if states.empty:
        return frame
    lane = (states["session"] + "|" + states["subject"] + "|" + states["channel"]).to_numpy()
    start = states["start_s"].to_numpy()
    end = states["end_s"].to_numpy()
    same = np.append(lane[1:] == lane[:-1], False)
    next_start = np.append(start[1:], np.inf)
    cut = same & (np.isnan(end) | (end > next_start))
    if not cut.any():
        return frame
    frame = frame.copy()
    frame.loc[states.index[cut], "end_s"] = next_start[cut]
    empty = states.index[cut & (next_start <= start)]
    for session, n in states.loc[states.index[cut], "session"].value_counts().items():
        warnings.append(ImportWarning(None, "interop.warn.overlap_cut", {"session": session, "n": int(n)}))
    if len(empty):
        places = (
            [str(p) for p in frame.loc[empty, WHERE]] if WHERE in frame else [f"row {i + 1}" for i in empty]
        )
        warnings.append(
            ImportWarning(
                None, "interop.warn.overlap_dropped", {"n": len(places), "rows": summarize_rows(places)}
            )
        )
        frame = frame.drop(index=empty)
    return frame.reset_index(drop=True)


def _keys(
    code: str, definitions: Mapping[str, object], subjects: list[str], codes: list[str]
) -> dict[str, Hotkey]:
    """The source's key when it is a plain key no earlier behaviour uses (BORIS may share keys
    and ask; our recorder needs one cue per key)."""
    key = str(getattr(definitions.get(code), "key", "") or "")
    try:
        hotkey = Hotkey.parse(key) if key else None
    except ObserveError:
        return {}
    if hotkey is None:
        return {}
    earlier = codes[: codes.index(code)]
    for other in earlier:
        other_key = str(getattr(definitions.get(other), "key", "") or "")
        try:
            if other_key and Hotkey.parse(other_key) == hotkey:
                return {}
        except ObserveError:
            continue
    return {s: hotkey for s in subjects}


def _modifiers(bundle: ImportBundle, frame: pd.DataFrame) -> tuple[Modifier, ...]:
    values: dict[str, dict[str, None]] = {}
    for definition in bundle.scheme:
        for name, allowed in definition.modifiers:
            values.setdefault(name, {}).update(dict.fromkeys(allowed))
    for text in frame["modifiers"].dropna().astype(str).unique() if len(frame) else ():
        for name, value in parse_modifiers(text):
            values.setdefault(name, {})[value] = None
    return tuple(Modifier(name, tuple(v), {"en": name}) for name, v in values.items() if name)


def _scheme_name(bundle: ImportBundle, mapping: ImportMapping) -> str:
    if mapping.scheme_name:
        return mapping.scheme_name.strip()[:80]
    return f"{_TOOLS.get(bundle.source_format, 'import')}-{_slug(mapping.client).lower()}"[:80]


def _versioned(store: Store, scheme: CodingScheme) -> CodingScheme:
    """Version 1, or the stored version when identical, or the next version."""
    versions = sorted((v for n, v in store.schemes() if n == scheme.name), reverse=True)
    for version in versions:
        stored = store.scheme(scheme.name, version)
        if replace(scheme, version=version).to_dict() == stored.to_dict():
            return stored
    return replace(scheme, version=(versions[0] + 1) if versions else 1).validate()


# ---------------------------------------------------------------------------- uploads

#: File types the import page accepts (BORIS project/exports, ELAN, our tidy files).
UPLOAD_TYPES = ("boris", "gz", "tsv", "csv", "txt", "xlsx", "eaf", "json", "parquet")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a 100,000-row BORIS export is ~20 MB


def check_upload(filename: str, size: int) -> None:
    """Refuse a file of a type we do not read, or larger than :data:`MAX_UPLOAD_BYTES`.

    >>> check_upload("project.boris", 1000)
    >>> check_upload("movie.mp4", 1000)
    Traceback (most recent call last):
    ...
    observe.errors.InvalidInput: The file movie.mp4 is not a type observe imports (boris, gz, tsv, csv, txt, xlsx, eaf, json, parquet); export it from BORIS or ELAN as one of them.
    """
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in UPLOAD_TYPES:
        raise InvalidInput("import.bad_type", filename=filename, types=", ".join(UPLOAD_TYPES))
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInput("import.too_big", filename=filename, limit=MAX_UPLOAD_BYTES // (1024 * 1024))
