"""The calendar bookkeeping of the watchlist: each event that went out to a calendar.

`export ics` and `publish` record, under each event's UID, what the event last showed
(its start, its summary, a digest of the rest), the SEQUENCE it went out with, when it
last changed, and the day it was cancelled. From this:

- an event that leaves (its call removed, dropped or submitted, its deadline dropped)
  goes out once more with its UID, ``STATUS:CANCELLED`` and SEQUENCE raised, for
  ``KEEP_DAYS`` days; then its record is forgotten;
- an event whose alarms or text changed goes out with SEQUENCE raised;
- a deadline whose label changed keeps its UID (the record notes the new label's part).

The records live in the watchlist's top-level ``[calendar.events]`` table, one string a
line (``UID = "START SEQUENCE DIGEST CHANGED GONE ALIAS SUMMARY"``): short to read back
for every command, and written by fundwatch alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

KEEP_DAYS = 90
TABLE = "calendar"
EVENTS = "events"


class Entry(NamedTuple):
    start: str  # DTSTART as written: 20260304T160000Z, or 20260304 for an all-day event
    sequence: int  # the SEQUENCE it last went out with
    digest: str  # of what it shows, but for DTSTAMP, SEQUENCE and LAST-MODIFIED
    changed: str  # when it last changed (UTC, 20251010T120000Z): DTSTAMP in published feeds
    gone: str  # the day it was cancelled (20260110), "" while it is live
    alias: str  # the UID part of the deadline it stands for after a new label, or ""
    summary: str

    def dumps(self) -> str:
        fields = (self.start, str(self.sequence), self.digest, self.changed)
        return " ".join((*fields, self.gone or "-", self.alias or "-", self.summary))

    @classmethod
    def loads(cls, text: Any) -> Entry | None:
        """The record, or None for one that does not read (it is then forgotten)."""
        if not isinstance(text, str):
            return None
        pieces = text.split(" ", 6)
        if len(pieces) != 7 or not pieces[1].isdigit():
            return None
        start, sequence, digest, changed, gone, alias, summary = pieces
        try:
            when(start)
            stamp(changed)
            if gone != "-":
                datetime.strptime(gone, "%Y%m%d")
        except ValueError:
            return None
        return cls(
            start,
            int(sequence),
            digest,
            changed,
            "" if gone == "-" else gone,
            "" if alias == "-" else alias,
            summary,
        )

    def gone_day(self) -> date | None:
        return datetime.strptime(self.gone, "%Y%m%d").date() if self.gone else None


def start_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def when(text: str) -> date | datetime:
    """A recorded start back as a UTC date-time, or a date."""
    if "T" in text:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(text, "%Y%m%d").date()


def stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def stamp_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class Record(Protocol):
    def dumps(self) -> str: ...


R = TypeVar("R")


def records(
    extra: Mapping[str, Any], path: tuple[str, ...], loads: Callable[[Any], R | None]
) -> dict[str, R]:
    """The records kept as ``uid = "text"`` in the table at ``path`` of a watchlist's
    top-level keys (``[calendar.events]``, ``[calendar.caldav."URL"]``); a record that
    does not read is left out (it is rebuilt)."""
    node: Any = extra
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    found: dict[str, R] = {}
    if isinstance(node, dict):
        for uid, text in node.items():
            value = loads(text)
            if value is not None:
                found[uid] = value
    return found


def store_records(
    extra: dict[str, Any], path: tuple[str, ...], entries: Mapping[str, Record]
) -> None:
    """Write records into the table at ``path`` (sorted by UID: stable diffs); tables left
    empty are removed, so a watchlist that never published gains no keys."""
    key, rest = path[0], path[1:]
    if rest:
        child = extra.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        store_records(child, rest, entries)
        if child:
            extra[key] = child
        else:
            extra.pop(key, None)
    elif entries:
        extra[key] = {uid: entries[uid].dumps() for uid in sorted(entries)}
    else:
        extra.pop(key, None)


class Ledger:
    """The records, changed in place by the calendar writer (output.calendar.build);
    ``changed`` tells whether the watchlist needs writing."""

    def __init__(self, entries: Mapping[str, Entry] | None = None) -> None:
        self.entries: dict[str, Entry] = dict(entries or {})
        self.original = dict(self.entries)

    @classmethod
    def of(cls, extra: Mapping[str, Any]) -> Ledger:
        """The records in a watchlist's top-level keys (``Watchlist.extra``)."""
        return cls(records(extra, (TABLE, EVENTS), Entry.loads))

    @property
    def changed(self) -> bool:
        return self.entries != self.original

    def store(self, extra: dict[str, Any]) -> None:
        """Write the records into a watchlist's top-level keys (sorted: stable diffs)."""
        store_records(extra, (TABLE, EVENTS), self.entries)

    def expired(self, entry: Entry, today: date) -> bool:
        gone = entry.gone_day()
        return gone is not None and (today - gone).days > KEEP_DAYS
