"""Coding schemes: subjects, channels, cues, valences, hotkeys and their versions.

A scheme is plain data. The default one ships as ``data/default.toml`` (subjects,
channels, modifiers, valence profiles) plus ``data/default.cues.csv`` (one cue a
line), so a mistake in it is reported with the file and line that hold it.
Schemes are stored in the database as the JSON of :meth:`CodingScheme.to_dict`.
"""

from observe.scheme.hotkeys import Hotkey
from observe.scheme.load import default_scheme, load_scheme
from observe.scheme.model import Channel, CodingScheme, Cue, Modifier, Subject

__all__ = [
    "Channel",
    "CodingScheme",
    "Cue",
    "Hotkey",
    "Modifier",
    "Subject",
    "default_scheme",
    "load_scheme",
]
