"""The coding-scheme value objects and their rules."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from observe.errors import SchemeError
from observe.scheme.hotkeys import Hotkey

NA = math.nan  # a missing valence (not-visible codes): never counted as 0
KINDS = ("state", "point")


@dataclass(frozen=True)
class Subject:
    """A person who is coded: ``client``, ``counselor`` (or e.g. ``parent`` in a custom scheme)."""

    code: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Channel:
    """A group of cues. In an exhaustive (ME&E) channel exactly one state runs at any time."""

    code: str
    exhaustive: bool
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Modifier:
    """An optional attribute of an event, e.g. intensity 1–3."""

    code: str
    values: tuple[str, ...]
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Cue:
    """One code of the scheme.

    ``keys`` and ``valences`` are per subject; a cue applies to the subjects that
    appear in either. A valence is +1, 0, −1 or NaN (missing, e.g. not visible).
    """

    code: str
    channel: str
    kind: str
    labels: Mapping[str, str]
    keys: Mapping[str, Hotkey] = field(default_factory=dict)
    valences: Mapping[str, float] = field(default_factory=dict)

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.keys, *self.valences]))

    @property
    def not_visible(self) -> bool:
        """Not-visible codes (``*_NV``) make their channel unobservable (DOMAIN §3)."""
        return self.code.endswith("_NV")

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True)
class CodingScheme:
    """A named, versioned coding scheme. Build it with :func:`observe.scheme.load_scheme`
    or :meth:`from_dict`; both validate."""

    name: str
    version: int
    titles: Mapping[str, str]
    subjects: tuple[Subject, ...]
    channels: tuple[Channel, ...]
    cues: tuple[Cue, ...]
    modifiers: tuple[Modifier, ...] = ()
    #: profile name → {"labels": {lang: text}, "client": {cue: valence}}
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    # -- look-ups -----------------------------------------------------------------
    def cue(self, code: str) -> Cue:
        for cue in self.cues:
            if cue.code == code:
                return cue
        raise SchemeError("scheme.unknown_cue", cue=code, scheme=self.name, version=self.version)

    def channel(self, code: str) -> Channel:
        for channel in self.channels:
            if channel.code == code:
                return channel
        raise SchemeError("scheme.unknown_channel_code", channel=code)

    @property
    def subject_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.subjects)

    def cues_for(self, subject: str) -> tuple[Cue, ...]:
        return tuple(c for c in self.cues if subject in c.subjects)

    def keymap(self, subject: str) -> dict[Hotkey, Cue]:
        """Hotkey → cue for one subject (unique: :meth:`validate` refuses clashes)."""
        return {c.keys[subject]: c for c in self.cues if subject in c.keys}

    def not_visible_cue(self, channel: str, subject: str) -> Cue | None:
        """The ``*_NV`` cue of an exhaustive channel for ``subject``, if the scheme has one."""
        for cue in self.cues_for(subject):
            if cue.channel == channel and cue.not_visible:
                return cue
        return None

    # -- valences ---------------------------------------------------------------------
    def valences(
        self, profile: str = "default", overrides: Mapping[str, float] | None = None
    ) -> dict[tuple[str, str], float]:
        """``{(subject, cue): valence}`` with the client's profile and per-client overrides applied.

        Resolution order per DOMAIN §2: per-client override → profile → default.
        Profiles and overrides change client valences only; counselor valences are fixed.

        >>> from observe.scheme import default_scheme
        >>> default_scheme().valences("cultural")[("client", "G_DOWN")]
        0.0
        """
        if profile != "default" and profile not in self.profiles:
            raise SchemeError("scheme.unknown_profile", profile=profile)
        table = {(s, c.code): float(v) for c in self.cues for s, v in c.valences.items()}
        layers = [self.profiles.get(profile, {}).get("client", {}), overrides or {}]
        for layer in layers:
            for code, value in layer.items():
                self.cue(code)  # an override must name a real cue
                table[("client", code)] = float(value)
        return table

    def valence_hash(self, profile: str = "default", overrides: Mapping[str, float] | None = None) -> str:
        """A short fingerprint of the valences in force, stored with every result (DOMAIN §2)."""
        items = sorted(
            (s, c, None if math.isnan(v) else v) for (s, c), v in self.valences(profile, overrides).items()
        )
        return hashlib.sha256(json.dumps([self.name, self.version, items]).encode()).hexdigest()[:12]

    # -- rules --------------------------------------------------------------------------
    def validate(self) -> CodingScheme:
        """Refuse duplicate codes, unknown channels/subjects, bad kinds or valences and
        two cues on one key for one subject. Returns ``self`` for chaining."""
        _unique("scheme.duplicate_subject", [s.code for s in self.subjects])
        _unique("scheme.duplicate_channel", [c.code for c in self.channels])
        _unique("scheme.duplicate_code", [c.code for c in self.cues])
        channels = {c.code for c in self.channels}
        subjects = set(self.subject_codes)
        for cue in self.cues:
            if cue.channel not in channels:
                raise SchemeError("scheme.unknown_channel", cue=cue.code, channel=cue.channel)
            if cue.kind not in KINDS:
                raise SchemeError("scheme.bad_kind", cue=cue.code, kind=cue.kind)
            if not cue.subjects:
                raise SchemeError("scheme.no_subject", cue=cue.code)
            for subject in cue.subjects:
                if subject not in subjects:
                    raise SchemeError("scheme.unknown_subject", cue=cue.code, subject=subject)
            for value in cue.valences.values():
                if not (math.isnan(value) or value in (-1.0, 0.0, 1.0)):
                    raise SchemeError("scheme.bad_valence", cue=cue.code, value=value)
            if self.channel(cue.channel).exhaustive and cue.kind != "state":
                raise SchemeError("scheme.point_in_exhaustive", cue=cue.code, channel=cue.channel)
        for subject in subjects:
            seen: dict[Hotkey, str] = {}
            for cue in self.cues:
                key = cue.keys.get(subject)
                if key is None:
                    continue
                if key in seen:
                    raise SchemeError(
                        "scheme.key_clash", key=key.label, subject=subject, first=seen[key], second=cue.code
                    )
                seen[key] = cue.code
        return self

    # -- (de)serialisation ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the one stored in the database."""
        return {
            "name": self.name,
            "version": self.version,
            "titles": dict(self.titles),
            "subjects": [{"code": s.code, "labels": dict(s.labels)} for s in self.subjects],
            "channels": [
                {"code": c.code, "exhaustive": c.exhaustive, "labels": dict(c.labels)} for c in self.channels
            ],
            "modifiers": [
                {"code": m.code, "values": list(m.values), "labels": dict(m.labels)} for m in self.modifiers
            ],
            "cues": [
                {
                    "code": c.code,
                    "channel": c.channel,
                    "kind": c.kind,
                    "labels": dict(c.labels),
                    "keys": {s: k.label for s, k in c.keys.items()},
                    "valences": {s: (None if math.isnan(v) else v) for s, v in c.valences.items()},
                }
                for c in self.cues
            ],
            "profiles": {name: dict(p) for name, p in self.profiles.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodingScheme:
        """Rebuild and validate a scheme from :meth:`to_dict` output (e.g. an edited copy)."""
        try:
            scheme = cls(
                name=str(data["name"]),
                version=int(data["version"]),
                titles=dict(data.get("titles", {})),
                subjects=tuple(Subject(s["code"], dict(s["labels"])) for s in data["subjects"]),
                channels=tuple(
                    Channel(c["code"], bool(c["exhaustive"]), dict(c["labels"])) for c in data["channels"]
                ),
                modifiers=tuple(
                    Modifier(m["code"], tuple(m["values"]), dict(m["labels"]))
                    for m in data.get("modifiers", [])
                ),
                cues=tuple(
                    Cue(
                        code=c["code"],
                        channel=c["channel"],
                        kind=c["kind"],
                        labels=dict(c["labels"]),
                        keys={s: Hotkey.parse(k) for s, k in c.get("keys", {}).items() if k},
                        valences={
                            s: (NA if v is None else float(v)) for s, v in c.get("valences", {}).items()
                        },
                    )
                    for c in data["cues"]
                ),
                profiles=dict(data.get("profiles", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemeError("scheme.malformed", detail=str(exc)) from exc
        return scheme.validate()

    def next_version(self, **changes: Any) -> CodingScheme:
        """A copy with ``changes`` applied and the version number raised, validated."""
        return replace(self, version=self.version + 1, **changes).validate()


def _unique(key: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise SchemeError(key, code=code)
        seen.add(code)
