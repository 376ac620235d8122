"""The option table: the global options, the shared filters and the options of `list`
and `upcoming` (names, help, defaults, choices), written once.

The typer commands (app.py, commands/watchlist.py) build their options from it, and
the fast path (fast.py) reads command lines with it, so that the two cannot drift.
This module imports no third-party code: the fast path must start without typer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch.domain.model import STATES, STATUSES


class Format(StrEnum):
    """The output formats of list, upcoming, show, config and search."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


if TYPE_CHECKING:  # the members come from the domain's lists, at run time

    class Status(StrEnum):
        """A call's status (derived from its dates)."""

    class CallState(StrEnum):
        """The user's own state of a call."""

else:
    Status = StrEnum("Status", [(s, s) for s in STATUSES])
    CallState = StrEnum("CallState", [(s, s) for s in STATES])


class Opt(NamedTuple):
    """One option: its names (the first is the long one), the key its value goes by,
    its help, and what it accepts."""

    names: tuple[str, ...]
    key: str
    help: str
    metavar: str | None = None
    choices: type[StrEnum] | None = None
    default: Any = None
    repeat: bool = False  # may be given more than once (each value kept)
    flag: bool = False  # takes no value
    show_default: bool = True

    def accepts(self, value: str) -> bool:
        return self.choices is None or value in {c.value for c in self.choices}


FILE = Opt(("--file", "-f"), "file", "Watchlist file (env FUNDWATCH_FILE).", show_default=False)
AS_OF = Opt(("--as-of",), "as_of", "Take DATE as today (env FUNDWATCH_AS_OF).", metavar="DATE",
            show_default=False)  # fmt: skip
DEBUG = Opt(("--debug",), "debug", "Show tracebacks (env FUNDWATCH_DEBUG=1).", default=False,
            flag=True)  # fmt: skip
GLOBAL = (FILE, AS_OF, DEBUG)

FILTERS = (
    Opt(("--status",), "status", "Only calls with this status (repeatable).", choices=Status,
        repeat=True, show_default=False),
    Opt(("--state",), "state", "Only calls in this state (repeatable).", choices=CallState,
        repeat=True, show_default=False),
    Opt(("--tag",), "tag", "Only calls with this tag (repeatable).", repeat=True,
        show_default=False),
    Opt(("--programme",), "programme", "Programme contains TEXT (repeatable).", repeat=True,
        show_default=False),
    Opt(("--search",), "search", "Title, id, notes... contain TEXT.", repeat=True,
        show_default=False),
)  # fmt: skip

FORMAT = Opt(("--format",), "format", "Output format.", choices=Format, default=Format.table)
WITHIN = Opt(("--within",), "within", "Window from now: 10d, 2w, 3m, 1y.", metavar="DUR",
             default="30d")  # fmt: skip
ALL = Opt(("--all",), "all", "Include calls you have submitted or dropped.", default=False,
          flag=True)  # fmt: skip

# the commands the fast path runs, with their own options (besides GLOBAL and FILTERS)
COMMANDS = {"list": (FORMAT,), "upcoming": (WITHIN, FORMAT, ALL)}
