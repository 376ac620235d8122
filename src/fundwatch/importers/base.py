"""What every importer gives: Incoming calls, the pieces of one call Gathered."""

from __future__ import annotations

from typing import NamedTuple

from fundwatch.domain.model import (
    Call,
    sort_deadlines,
)

FORMATS = ("ics", "csv", "json", "toml")


class Incoming(NamedTuple):
    """A call read from a source, before it is matched to the watchlist.

    ``explicit_id``: the source named the id (a watchlist, our JSON, our calendar),
    so that it may match; an id made from the title never does. ``uid``: the calendar
    event's UID, kept in the call (``uid = ...``) so that a second import matches.
    ``where``: the place in the source, for messages ("row 7").
    """

    call: Call
    explicit_id: bool = False
    uid: str | None = None
    where: str = ""


class Gathered:
    """Incoming calls in source order, the pieces of one call joined: rows of a CSV with
    one identifier, rows of `upcoming --format json` of one call, events of our own
    calendar export of one call (each piece adds its deadlines and tags)."""

    def __init__(self) -> None:
        self.calls: list[Incoming] = []
        self._at: dict[str, int] = {}

    def add(self, new: Incoming, key: str | None = None) -> None:
        if key is None or key not in self._at:
            if key is not None:
                self._at[key] = len(self.calls)
            self.calls.append(new)
            return
        old = self.calls[self._at[key]]
        call, more = old.call, new.call
        tags = (*call.tags, *(t for t in more.tags if t not in call.tags))
        both = sort_deadlines([*call.deadlines, *more.deadlines])
        self.calls[self._at[key]] = old._replace(call=call.replace(deadlines=both, tags=tags))
