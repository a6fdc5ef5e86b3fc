"""Exceptions of perfsheet.

Data problems in a return are values (:class:`perfsheet.model.Issue`), never exceptions. Exceptions are
for unusable inputs (a broken registry, an unreadable mailbox, a bad option) and for bugs. Every
expected failure derives from :class:`PerfsheetError`; the CLI prints its Chinese message without a
traceback and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path


class PerfsheetError(Exception):
    """An expected failure with a message for the user (Chinese). Exit code 2 in the CLI."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LocatedError(PerfsheetError):
    """A problem at a place in a file a person edits (registry YAML, goals document)."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message


class RegistryError(LocatedError):
    """The goals registry (YAML) or the workspace config is invalid."""


class GoalsDocumentError(LocatedError):
    """A goals document could not be imported."""


class TemplateLintError(PerfsheetError):
    """A built template breaks a limit of Excel; this is a bug in perfsheet, not in the user's data."""

    exit_code = 2


class UsageError(PerfsheetError):
    """A bad option or argument combination."""


class SourceError(PerfsheetError):
    """A mail source (mbox, Maildir, IMAP server, folder) cannot be read."""
