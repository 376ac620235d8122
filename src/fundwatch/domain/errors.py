"""Errors that fundwatch reports to the user as one line and an exit code."""

from __future__ import annotations


class FundwatchError(Exception):
    """A problem the user can fix: printed as ``error: message (hint)``, exit 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class BadValue(FundwatchError):
    """A value given on the command line or in a file cannot be understood."""


class WatchlistError(FundwatchError):
    """The watchlist file is missing, malformed or locked."""


class NotFound(FundwatchError):
    """An id that is not in the watchlist."""


class UsageProblem(FundwatchError):
    """The command line itself is wrong in a way the option parser cannot see: exit 2."""

    exit_code = 2
