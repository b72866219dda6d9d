"""Hotkeys written the way a person reads them (``g``, ``Shift+G``, ``Shift+[``) and
bound the way the browser reports them (``KeyboardEvent.code`` + Shift).

Binding the physical key (``code``) rather than the produced character keeps
``Shift+[`` one key on every layout (DOMAIN §1: US-QWERTY positions).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from observe.errors import SchemeError

_PUNCTUATION_CODES: dict[str, str] = {
    "-": "Minus",
    "=": "Equal",
    "[": "BracketLeft",
    "]": "BracketRight",
    ";": "Semicolon",
    "'": "Quote",
    ",": "Comma",
    ".": "Period",
    "/": "Slash",
    "\\": "Backslash",
    "`": "Backquote",
}
_CODE_SYMBOLS = {code: symbol for symbol, code in _PUNCTUATION_CODES.items()}

#: Keys the recorder keeps for itself (transport, undo, comment, layer swap).
RESERVED_CODES: frozenset[str] = frozenset(
    {"Space", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Backspace", "Enter", "Escape", "Backquote"}
)


@dataclass(frozen=True, order=True)
class Hotkey:
    """One key combination: a ``KeyboardEvent.code`` and whether Shift is held."""

    code: str
    shift: bool = False

    @classmethod
    def parse(cls, text: str) -> Hotkey:
        """Read ``g``, ``G``, ``Shift+G``, ``5``, ``Shift+[`` (case of a letter does not matter).

        >>> Hotkey.parse("Shift+[")
        Hotkey(code='BracketLeft', shift=True)
        """
        raw = text.strip()
        shift = False
        if raw.lower().startswith("shift+") and len(raw) > len("shift+"):
            shift, raw = True, raw[len("shift+") :]
        if len(raw) != 1:
            raise SchemeError("scheme.bad_key", key=text)
        if raw.lower() in string.ascii_lowercase:
            code = "Key" + raw.upper()
        elif raw in string.digits:
            code = "Digit" + raw
        elif raw in _PUNCTUATION_CODES:
            code = _PUNCTUATION_CODES[raw]
        else:
            raise SchemeError("scheme.bad_key", key=text)
        if code in RESERVED_CODES:
            raise SchemeError("scheme.reserved_key", key=text)
        return cls(code, shift)

    @property
    def symbol(self) -> str:
        """The unshifted character printed on the key (``g``, ``5``, ``[``)."""
        if self.code.startswith("Key"):
            return self.code[3:].lower()
        if self.code.startswith("Digit"):
            return self.code[5:]
        return _CODE_SYMBOLS[self.code]

    @property
    def label(self) -> str:
        """KeyboardEvent style for people and cheat-sheets: ``g`` or ``Shift+G``."""
        return f"Shift+{self.symbol.upper()}" if self.shift else self.symbol

    def __str__(self) -> str:
        return self.label
