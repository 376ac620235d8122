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


class SourceProblems(FundwatchError):
    """Every problem of a source (an import's CSV, JSON or calendar), one line each:
    printed before the error line, which counts them."""

    MOST = 50  # lines shown; then "and N more"

    def __init__(self, name: str, lines: list[str]) -> None:
        n = len(lines)
        super().__init__(f"{name}: {n} problem{'s' * (n != 1)}, nothing imported")
        self.lines = lines

    def shown(self) -> list[str]:
        """The first MOST lines, then how many more."""
        more = len(self.lines) - self.MOST
        return self.lines[: self.MOST] + ([f"and {more} more"] if more > 0 else [])


def raise_all(name: str, lines: list[str]) -> None:
    """Nothing when there is no problem; the one problem as its own error; else all."""
    if len(lines) == 1:
        raise FundwatchError(lines[0])
    if lines:
        raise SourceProblems(name, lines)
