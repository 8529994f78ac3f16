"""The project's own exception types: each carries where the problem is and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from senlib.store.lockholder import Holder


class SenlibError(Exception):
    """Base error: a message a SENCo understands, an optional place, and a fix."""

    def __init__(self, message: str, *, place: str | None = None, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.place = place
        self.fix = fix

    def __str__(self) -> str:
        parts = [self.message]
        if self.place:
            parts.append(f"Where: {self.place}.")
        if self.fix:
            parts.append(f"How to fix: {self.fix}")
        return " ".join(parts)


class DatabaseBusyError(SenlibError):
    """Another process holds the database file; `holder` says which, when known."""

    def __init__(self, message: str, *, place: str | None = None, fix: str | None = None, holder: Holder | None = None):
        super().__init__(message, place=place, fix=fix)
        self.holder = holder


class DashboardLinkError(SenlibError):
    """The running dashboard could not be reached, or stopped answering, while it ran a command for the command line."""


class DatabaseError(SenlibError):
    """The database file cannot be opened or is not one of ours."""


class InputError(SenlibError):
    """Bad input from the user: a date, an option, a file."""
