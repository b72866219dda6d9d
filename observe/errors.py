"""Errors a user may see.

Every error carries a translation key and its parameters, so a page can show it
in the user's language (``err.message(lang)``) while ``str(err)`` stays English
for logs and the CLI.
"""

from __future__ import annotations

from typing import Any


class ObserveError(Exception):
    """Base of every error the app reports to a person (never a bug)."""

    def __init__(self, key: str, /, *, where: str | None = None, **params: Any) -> None:
        self.key = key
        self.params = params
        self.where = where  # e.g. "default.cues.csv, line 12": where in a file the problem is
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The one-sentence message in ``lang``."""
        from observe.i18n import t

        text = t(self.key, lang, **self.params)
        return f"{self.where}: {text}" if self.where else text

    def at(self, where: str) -> ObserveError:
        """The same error, located (``where``) — for loaders that know the file and line."""
        located = type(self)(self.key, where=where, **self.params)
        located.__cause__ = self
        return located


class InvalidInput(ObserveError):
    """A value from a form, file or argument is not acceptable."""


class SchemeError(InvalidInput):
    """A coding-scheme file or edit is not valid."""


class NotFound(ObserveError):
    """A named session, observation, client or event does not exist."""


class DatabaseError(ObserveError):
    """The database cannot be opened, is not an observe database, or refused a write."""


class PermissionDenied(ObserveError):
    """The acting user's role does not allow this action."""


class ObservationFinished(ObserveError):
    """A coding write (keypress, undo, redo, edit, note) on a finished observation: reopen it first."""
