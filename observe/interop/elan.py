"""ELAN ``.eaf`` annotation files, read and written with pympi-ling (FORMATS.md §5).

Reading: every time-aligned tier (and every symbolic-association tier, at its
parent's times) becomes events of one (subject, channel); the subject is the
tier's PARTICIPANT or the tier name's prefix (``"client GAZE"``, ``"K-GAZE"``), the
channel the rest. :class:`~observe.interop.bundle.TierInfo` lists the suggestions
so a person can remap them. Controlled vocabularies become cue definitions.
Overlapping annotations on one tier are trimmed (reported).

Writing: one tier per subject × channel (points on their own ``-point`` tier, as
100 ms annotations, since ELAN has no instants), one controlled vocabulary per
channel, modifiers and comments on symbolic-association child tiers. HEADER
properties record each tier's exact (subject, channel, kind) so our own files
read back losslessly.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import warnings as py_warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from observe.errors import InvalidInput
from observe.interop._read import require_data
from observe.interop.bundle import (
    CueDefinition,
    ImportBundle,
    ImportedObservation,
    ImportWarning,
    TierInfo,
    events_frame,
)
from observe.interop.limits import ImportLimits

#: Length given to a point event on export; read back as a point at its start (FORMATS §5).
POINT_ANNOTATION_MS = 100
MODIFIER_TYPE = "observe-modifiers"
COMMENT_TYPE = "observe-comments"
_PROPERTY_PREFIX = "observe:"
_SEPARATOR = re.compile(r"[-\s]")


# ----------------------------------------------------------------------------- reader


def parse_eaf(
    data: bytes, *, filename: str = "annotations.eaf", limits: ImportLimits | None = None
) -> ImportBundle:
    """Read an ELAN file into one observation named after the file.

    Raises
    ------
    InvalidInput
        Empty file or XML that is not a readable EAF document.

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "subject": "client", "channel": "GAZE", "cue": "G_EYE",
    ...                     "kind": "state", "start_s": 1.0, "end_s": 2.0}])
    >>> parse_eaf(write_eaf(ev)).observations[0].events[["subject", "channel", "cue", "end_s"]].values.tolist()
    [['client', 'GAZE', 'G_EYE', 2.0]]
    """
    limits = limits or ImportLimits()
    require_data(data, filename)
    _check_eaf(data, filename, limits)
    eaf = _load(data, filename)
    warnings: list[ImportWarning] = []
    props = _properties(eaf)
    _refuse_several_observers(props, filename)
    spans = _annotation_spans(eaf)
    tiers: list[TierInfo] = []
    rows: list[dict[str, object]] = []
    extra: dict[str, dict[str, str]] = {"modifiers": {}, "comments": {}}
    used: set[tuple[str, str, str]] = set()
    for tier_id, (align, ref, attrib, _number) in eaf.tiers.items():
        info = _tier_info(eaf, str(tier_id), attrib, len(align) + len(ref), props, used)
        tiers.append(info)
        if info.role != "events":
            for parent_id, value, _prev, _svg in ref.values():
                extra[info.role][str(parent_id)] = (value or "").strip()
            continue
        annotations = []
        for ann_id in [*align, *ref]:
            span = spans.get(ann_id)
            value = (align[ann_id][2] if ann_id in align else ref[ann_id][1]) or ""
            where = f"{filename}, tier {tier_id}, annotation {ann_id}"
            if span is None:
                raise InvalidInput("interop.refuse.eaf_unaligned", where=where)
            if not value.strip():
                raise InvalidInput("interop.refuse.eaf_empty", where=where)
            limits.check_cell(len(value), filename)
            annotations.append((span[0], span[1], value.strip(), ann_id))
        rows.extend(_tier_events(info, annotations, warnings, filename))
    _one_channel_per_cue(rows, warnings)
    for row in rows:
        ann_id = str(row.pop("_ann"))
        row["modifiers"] = extra["modifiers"].get(ann_id, "")
        row["comment"] = extra["comments"].get(ann_id, "")
        row["_origin"] = f"tier {row.pop('_tier')}, annotation {ann_id}"
    session = props.get("session") or _stem(filename)
    for row in rows:
        row.update(session=session, client=props.get("client", ""), observer=props.get("observer", ""))
    rows.sort(key=lambda r: (float(r["start_s"]), str(r["subject"]), str(r["channel"]), str(r["cue"])))  # type: ignore[arg-type]
    events = events_frame(rows)
    origins = tuple(str(row["_origin"]) for row in rows)  # a refusal names the annotation
    media = tuple(
        str(m.get("RELATIVE_MEDIA_URL") or m.get("MEDIA_URL") or "")
        for m in eaf.media_descriptors
        if isinstance(m, dict)
    )
    observation = ImportedObservation(
        name=session,
        events=events,
        date=str(eaf.adocument.get("DATE", "")),
        media=tuple(m for m in media if m),
        duration_s=None,
        source_records=sum(len(a) + len(r) for a, r, _, _ in eaf.tiers.values()),
        origins=origins,
    )
    return ImportBundle(
        source_format="eaf",
        scheme=_scheme(eaf, tiers, events),
        subjects=tuple(dict.fromkeys(events["subject"])),
        observations=(observation,),
        warnings=tuple(warnings),
        tiers=tuple(tiers),
    )


def _check_eaf(data: bytes, filename: str, limits: ImportLimits) -> None:
    """Bounds counted on the raw bytes before the XML is parsed: size, annotations (rows), time
    slots; an EAF never declares entities, so a DTD (the "billion laughs" vector) is refused."""
    limits.check_bytes(len(data), filename)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidInput("interop.eaf.bad_file", filename=filename)
    limits.check_rows(data.count(b"_ANNOTATION"), filename)
    limits.check_rows(data.count(b"<TIME_SLOT ") // 2, filename)
    # a lane of events may carry a modifier and a comment tier, and a subject several lanes
    limits.check_columns(data.count(b"<TIER ") // 4, filename)
    gate = re.compile(rb"[^<]{%d}" % (limits.max_cell_chars + 1))
    if gate.search(data) is not None:
        limits.check_cell(limits.max_cell_chars + 1, filename)


def _load(data: bytes, filename: str) -> Any:
    """pympi reads from a path; any failure of its XML parsing means a damaged file."""
    import pympi

    handle, path = tempfile.mkstemp(suffix=".eaf")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("ignore")
            return pympi.Elan.Eaf(path, suppress_version_warning=True)
    except Exception as exc:  # pympi raises bare Exception, KeyError, IndexError, ValueError...
        raise InvalidInput("interop.eaf.bad_file", filename=filename) from exc
    finally:
        os.unlink(path)


def _one_channel_per_cue(rows: list[dict[str, object]], warnings: list[ImportWarning]) -> None:
    """A value written on several tiers (``en`` on a Language and a ChunkLanguage tier) becomes one
    cue per tier: ``en`` on the first, ``en [ChunkLanguage]`` on the others. As one cue it would
    share one channel, and the tiers' annotations would cut each other (DOMAIN §9.7: nothing is
    repaired)."""
    channels: dict[str, list[str]] = {}
    for row in rows:
        seen = channels.setdefault(str(row["cue"]), [])
        if row["channel"] not in seen:
            seen.append(str(row["channel"]))
    shared = {cue: chans for cue, chans in channels.items() if len(chans) > 1}
    for row in rows:
        chans = shared.get(str(row["cue"]))
        if chans and row["channel"] != chans[0]:
            row["cue"] = f"{row['cue']} [{row['channel']}]"
    for cue, chans in shared.items():
        codes = [cue, *(f"{cue} [{c}]" for c in chans[1:])]
        warnings.append(
            ImportWarning(
                None,
                "interop.warn.eaf_cue_per_tier",
                {"cue": cue, "channels": ", ".join(chans), "codes": ", ".join(codes)},
            )
        )


def _refuse_several_observers(props: Mapping[str, str], filename: str) -> None:
    """Our "all observers" EAF holds one tier set per observer; imported as one observation it
    would mix their codings (DOMAIN §9.8), so it is refused with the way out."""
    observers = set()
    for key, value in props.items():
        if key.startswith("tier:"):
            try:
                observers.add(str(json.loads(value).get("observer", "")))
            except (ValueError, AttributeError):
                continue
    observers.discard("")
    if len(observers) > 1:
        raise InvalidInput(
            "interop.eaf.several_observers", filename=filename, observers=", ".join(sorted(observers))
        )


def _properties(eaf: Any) -> dict[str, str]:
    out = {}
    for item in eaf.properties:
        if isinstance(item, tuple) and len(item) == 2 and str(item[0]).startswith(_PROPERTY_PREFIX):
            out[str(item[0])[len(_PROPERTY_PREFIX) :]] = "" if item[1] is None else str(item[1])
    return out


def _annotation_spans(eaf: Any) -> dict[str, tuple[int, int]]:
    """Annotation id → (start ms, end ms), resolving reference chains to their aligned ancestor."""
    spans: dict[str, tuple[int, int]] = {}
    refs: dict[str, str] = {}
    for align, ref, _attrib, _n in eaf.tiers.values():
        for ann_id, (ts1, ts2, _value, _svg) in align.items():
            start, end = eaf.timeslots.get(ts1), eaf.timeslots.get(ts2)
            if isinstance(start, int) and isinstance(end, int):
                spans[ann_id] = (start, end)
        for ann_id, (parent, _value, _prev, _svg) in ref.items():
            refs[ann_id] = parent
    for ann_id in refs:
        seen = {ann_id}
        parent = refs[ann_id]
        while parent in refs and parent not in seen:  # a cycle of references is damage, not a hang
            seen.add(parent)
            parent = refs[parent]
        if parent in spans:
            spans[ann_id] = spans[parent]
    return spans


def _tier_info(
    eaf: Any,
    tier_id: str,
    attrib: Mapping[str, str],
    n_annotations: int,
    props: Mapping[str, str],
    used: set[tuple[str, str, str]],
) -> TierInfo:
    participant = str(attrib.get("PARTICIPANT") or "").strip()
    ling = str(attrib.get("LINGUISTIC_TYPE_REF") or "")
    parent = str(attrib.get("PARENT_REF") or "")
    role = {MODIFIER_TYPE: "modifiers", COMMENT_TYPE: "comments"}.get(ling, "events")
    mapped = props.get(f"tier:{tier_id}")
    if mapped:
        try:
            spec = json.loads(mapped)
            subject, channel, kind = str(spec["subject"]), str(spec["channel"]), str(spec["kind"])
        except (ValueError, KeyError, TypeError):
            mapped = None
    if not mapped:
        subject, channel = _suggest(tier_id, participant)
        kind = "point" if ling.endswith("-point") else "state"
        if kind == "point" and channel.endswith("-point"):
            channel = channel[: -len("-point")]
        if (subject, channel, kind) in used and role == "events":
            channel = tier_id  # two tiers would merge: keep them apart under the tier name
    if role == "events":
        used.add((subject, channel, kind))
    return TierInfo(tier_id, participant, ling, parent, subject, channel, kind, n_annotations, role)


def _suggest(tier_id: str, participant: str) -> tuple[str, str]:
    """(subject, channel) from ``"client GAZE"``/``"K-GAZE"`` names and the PARTICIPANT attribute."""
    parts = _SEPARATOR.split(tier_id.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1].strip():
        prefix, rest = parts[0], parts[1].strip()
        channel = rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest
        return participant or prefix, channel
    return participant, tier_id.strip()


def _tier_events(
    info: TierInfo,
    annotations: list[tuple[int, int, str, str]],
    warnings: list[ImportWarning],
    filename: str = "annotations.eaf",
) -> list[dict[str, object]]:
    """A tier's annotations as events; one that ends before it starts, has no length or a
    negative time refuses the file (DOMAIN §9.7), named by tier and annotation."""
    for start, end, _value, ann_id in annotations:
        where = f"{filename}, tier {info.tier_id}, annotation {ann_id}"
        if start < 0:
            raise InvalidInput("interop.refuse.negative_time", where=where, value=f"{start / 1000:.3f}")
        if end < start:
            raise InvalidInput(
                "interop.refuse.end_before_start",
                where=where,
                start=f"{start / 1000:.3f}",
                end=f"{end / 1000:.3f}",
            )
        if end == start and info.kind == "state":
            raise InvalidInput("interop.refuse.zero_length", where=where, start=f"{start / 1000:.3f}")
    annotations.sort()
    rows: list[dict[str, object]] = []
    trimmed = 0
    for i, (start, end, value, ann_id) in enumerate(annotations):
        if end < start:
            warnings.append(
                ImportWarning(None, "interop.warn.eaf_reversed", {"tier": info.tier_id, "cue": value})
            )
            continue
        if info.kind == "state" and i + 1 < len(annotations) and annotations[i + 1][0] < end:
            end = annotations[i + 1][0]  # one state at a time per tier: cut at the next start
            trimmed += 1
        if info.kind == "state" and end <= start:
            warnings.append(
                ImportWarning(None, "interop.warn.eaf_empty_span", {"tier": info.tier_id, "cue": value})
            )
            continue
        rows.append(
            {
                "subject": info.subject,
                "channel": info.channel,
                "cue": value,
                "kind": info.kind,
                "start_s": start / 1000,
                "end_s": end / 1000 if info.kind == "state" else math.nan,
                "_ann": ann_id,
                "_tier": info.tier_id,
            }
        )
    if trimmed:
        warnings.append(ImportWarning(None, "interop.warn.eaf_overlap", {"tier": info.tier_id, "n": trimmed}))
    return rows


def _scheme(eaf: Any, tiers: list[TierInfo], events: pd.DataFrame) -> tuple[CueDefinition, ...]:
    cv_of_type = {
        lt_id: str(params.get("CONTROLLED_VOCABULARY_REF") or "")
        for lt_id, params in eaf.linguistic_types.items()
        if isinstance(params, dict)
    }
    channel_of_cv: dict[str, tuple[str, str]] = {}
    for tier in tiers:
        cv = cv_of_type.get(tier.linguistic_type, "")
        if cv and tier.role == "events":
            channel_of_cv.setdefault(cv, (tier.channel, tier.kind))
    cues: dict[str, CueDefinition] = {}
    for cv_id, (_descriptions, entries, _ext) in eaf.controlled_vocabularies.items():
        channel, kind = channel_of_cv.get(cv_id, (str(cv_id), "state"))
        for values, _ext_ref in entries.values():
            if not values:
                continue
            value, _lang, description = values[0]
            if value and value.strip() not in cues:
                cues[value.strip()] = CueDefinition(
                    code=value.strip(), channel=channel, kind=kind, description=str(description or "")
                )
    for cue, channel, kind in zip(events["cue"], events["channel"], events["kind"], strict=True):
        cues.setdefault(cue, CueDefinition(code=cue, channel=channel, kind=kind))
    return tuple(cues.values())


def _stem(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


# ----------------------------------------------------------------------------- writer


def write_eaf(
    events: pd.DataFrame,
    *,
    media_url: str = "",
    descriptions: Mapping[str, str] | None = None,
    author: str = "observe",
    by_observer: bool | None = None,
) -> bytes:
    """Write one session's tidy events as an ELAN 3.0 document.

    Parameters
    ----------
    events : DataFrame
        Tidy events of a single session.
    media_url : str
        The session video, referenced from the header (relative URL recommended).
    descriptions : mapping, optional
        Cue → description, written into the controlled vocabulary entries.
    by_observer : bool, optional
        Name every tier by its observer (``client-GAZE (obs.ani)``); default: when the events
        hold more than one observer's coding, which always get a tier set each.

    Raises
    ------
    InvalidInput
        The events span several sessions (an EAF file describes one recording).

    Examples
    --------
    >>> ev = events_frame([{"session": "S1", "subject": "client", "channel": "POINT", "cue": "P_NOD",
    ...                     "kind": "point", "start_s": 4.2}])
    >>> b"ANNOTATION_DOCUMENT" in write_eaf(ev)
    True
    """
    from xml.etree import ElementTree

    import pympi
    from pympi.Elan import to_adocument

    frame = events_frame(events)
    sessions = list(dict.fromkeys(frame["session"]))
    if len(sessions) > 1:
        raise InvalidInput("interop.eaf.one_session", n=len(sessions))
    eaf = pympi.Elan.Eaf(author=author)
    eaf.adocument.update(
        VERSION="3.0",
        FORMAT="3.0",
        **{"xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd"},
    )
    eaf.remove_tier("default")
    eaf.header["TIME_UNITS"] = "milliseconds"
    if media_url:
        eaf.add_linked_file(media_url, relpath=media_url)
    eaf.add_language("eng", "http://cdb.iso.org/lg/CDB-00138502-001", "English (eng)")
    observers = sorted(set(frame["observer"].astype(str)))
    for key in ("session", "client", "observer"):
        value = str(frame[key].iloc[0]) if len(frame) else ""
        eaf.add_property(_PROPERTY_PREFIX + key, ", ".join(observers) if key == "observer" else value)
    for lt, constraint in ((MODIFIER_TYPE, "Symbolic_Association"), (COMMENT_TYPE, "Symbolic_Association")):
        eaf.add_linguistic_type(lt, constraints=constraint, timealignable=False)
    for channel, group in frame.groupby("channel", sort=False):
        _add_vocabulary(eaf, str(channel), group, descriptions or {})
    # several observers (DOMAIN §9.8): one tier set each, named and annotated by observer
    for observer in observers:
        mine = frame[frame["observer"].astype(str) == observer]
        named = f" ({observer})" if len(observers) > 1 or by_observer else ""
        for (subject, channel, kind), group in mine.groupby(["subject", "channel", "kind"], sort=False):
            _add_tiers(eaf, str(subject), str(channel), str(kind), group, observer=observer, suffix=named)
    root = to_adocument(eaf, True)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _cv_id(channel: str) -> str:
    return channel or "cues"


def _add_vocabulary(eaf: Any, channel: str, group: pd.DataFrame, descriptions: Mapping[str, str]) -> None:
    cv = _cv_id(channel)
    eaf.add_controlled_vocabulary(cv)
    eaf.add_cv_description(cv, "eng", channel)
    for i, cue in enumerate(dict.fromkeys(group["cue"])):
        eaf.add_cv_entry(cv, f"{cv}_{i}", [(cue, "eng", descriptions.get(cue, ""))])
    for kind in dict.fromkeys(group["kind"]):
        lt = cv if kind == "state" else f"{cv}-point"
        eaf.add_linguistic_type(
            lt,
            param_dict={
                "LINGUISTIC_TYPE_ID": lt,
                "TIME_ALIGNABLE": "true",
                "GRAPHIC_REFERENCES": "false",
                "CONTROLLED_VOCABULARY_REF": cv,
            },
        )


def _lanes(spans: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """Spread (start, end, row) spans over as few non-overlapping lanes as possible (one tier each)."""
    lanes: list[list[tuple[int, int, int]]] = []
    for span in sorted(spans):
        for lane in lanes:
            if lane[-1][1] <= span[0]:
                lane.append(span)
                break
        else:
            lanes.append([span])
    return lanes


def _add_tiers(
    eaf: Any,
    subject: str,
    channel: str,
    kind: str,
    group: pd.DataFrame,
    *,
    observer: str = "",
    suffix: str = "",
) -> None:
    """One subject's channel as tiers (more than one when its annotations overlap), each named
    ``client-GAZE`` + ``suffix`` (`` (obs.ani)`` when several observers share the file) and
    annotated by ``observer`` (ELAN's ANNOTATOR)."""
    base = "-".join(p for p in (subject, channel) if p) or "events"
    base = f"{base}-point" if kind == "point" else base
    lt = _cv_id(channel) if kind == "state" else f"{_cv_id(channel)}-point"
    spans = []
    for row, (start, end) in enumerate(zip(group["start_s"], group["end_s"], strict=True)):
        start_ms = round(start * 1000)
        if kind == "point" or math.isnan(end):
            end_ms = start_ms + POINT_ANNOTATION_MS
        else:
            end_ms = max(round(end * 1000), start_ms + 1)
        spans.append((start_ms, end_ms, row))
    cues = group["cue"].tolist()
    modifiers = group["modifiers"].tolist()
    comments = group["comment"].tolist()
    for n, lane in enumerate(_lanes(spans)):
        name = base if n == 0 else f"{base}-{n + 1}"
        tier = name + suffix
        eaf.add_tier(tier, ling=lt, part=subject or None, ann=observer or None)
        spec = {"subject": subject, "channel": channel, "kind": kind}
        eaf.add_property(
            f"{_PROPERTY_PREFIX}tier:{tier}", json.dumps({**spec, "observer": observer} if observer else spec)
        )
        for start_ms, end_ms, row in lane:
            eaf.add_annotation(tier, start_ms, end_ms, cues[row])
        ids = {
            (eaf.timeslots[b], eaf.timeslots[e]): aid for aid, (b, e, _v, _s) in eaf.tiers[tier][0].items()
        }
        for role, lt_child, values in (
            ("modifiers", MODIFIER_TYPE, modifiers),
            ("comments", COMMENT_TYPE, comments),
        ):
            if not any(values[row] for _, _, row in lane):
                continue
            child = f"{name}-{role}{suffix}"
            eaf.add_tier(child, ling=lt_child, parent=tier, part=subject or None, ann=observer or None)
            for start_ms, end_ms, row in lane:
                if values[row]:
                    aid = eaf.generate_annotation_id()
                    eaf.annotations[aid] = child
                    eaf.tiers[child][1][aid] = (ids[(start_ms, end_ms)], values[row], None, None)
