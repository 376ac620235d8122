"""Imported calls merged into the watchlist.

Reading a source gives ``Incoming`` calls (import_csv, import_ics and the JSON and
TOML readers below); ``merge`` matches each to a call already on the watchlist (same
identifier, else same calendar UID or id, else same title and first deadline) and
updates it, or adds it. A merge never takes away what is the user's own: the state
of a call already watched, its notes, its tags (new ones are added); and it removes
no deadline (a source may list only some).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from fundwatch.domain.change import Change
from fundwatch.domain.model import (
    Call,
    Deadline,
    slugify,
    sort_deadlines,
    unique_id,
)
from fundwatch.domain.timeutil import Clock, restate
from fundwatch.importers.base import Incoming


class Outcome(NamedTuple):
    kind: str  # "added", "updated" or "unchanged"
    call: Call
    texts: tuple[str, ...] = ()

    def changes(self) -> list[Change]:
        """What the import changed in the call, as sync and remind say changes."""
        return [Change(self.call.id, t, self.call.identifier) for t in self.texts]

    def line(self, dry_run: bool) -> str:
        verb = {"added": "would add", "updated": "would update"} if dry_run else {}
        head = f"{verb.get(self.kind, self.kind)} {self.call.id}"
        if self.kind == "added":
            n = len(self.call.deadlines)
            count = f"{n} deadline{'s' * (n != 1)}" if n else "deadline TBC"
            return f"{head}: {self.call.title} ({count})"
        return f"{head}: {'; '.join(self.texts)}"


def _title_key(call: Call) -> tuple[str, datetime | date | None]:
    first = call.deadlines[0].instant if call.deadlines else None
    return " ".join(call.title.casefold().split()), first


class _Index:
    """Where to find a call on the watchlist by each of the keys an import matches on."""

    def __init__(self, calls: Iterable[Call]) -> None:
        self.by_identifier: dict[str, Call] = {}
        self.by_uid: dict[str, Call] = {}
        self.by_id: dict[str, Call] = {}
        self.by_title: dict[tuple[str, Any], Call] = {}
        for call in calls:
            self.add(call)

    def add(self, call: Call) -> None:
        if call.identifier:  # any case, as `add` and `show` take it
            self.by_identifier.setdefault(call.identifier.casefold(), call)
        uid = call.extra.get("uid")
        if isinstance(uid, str):
            self.by_uid.setdefault(uid, call)
        self.by_id[call.id] = call
        self.by_title.setdefault(_title_key(call), call)

    def match(self, new: Incoming) -> Call | None:
        call = new.call
        if call.identifier and call.identifier.casefold() in self.by_identifier:
            return self.by_identifier[call.identifier.casefold()]
        if new.uid and new.uid in self.by_uid:
            return self.by_uid[new.uid]
        if new.explicit_id and call.id in self.by_id:
            found = self.by_id[call.id]
            if not _told_apart(found, new):
                return found
        by_title = self.by_title.get(_title_key(call))
        return by_title if by_title is not None and not _told_apart(by_title, new) else None


def _told_apart(call: Call, new: Incoming) -> bool:
    """Two calls that both have an identifier, or both a calendar UID, and differ in it,
    are two calls, whatever their titles and ids say."""
    uid = call.extra.get("uid")
    theirs = new.call.identifier
    if call.identifier and theirs and call.identifier.casefold() != theirs.casefold():
        return True
    return isinstance(uid, str) and new.uid is not None and uid != new.uid


def merge(
    calls: list[Call], incoming: Sequence[Incoming], clock: Clock
) -> tuple[list[Call], list[Outcome]]:
    """The watchlist's calls with ``incoming`` merged in, and what happened to each."""
    from fundwatch.domain.fields import restamp

    result = list(calls)
    place = {c.id: i for i, c in enumerate(result)}  # also the ids taken
    index = _Index(result)
    outcomes: list[Outcome] = []
    counters: dict[str, int] = {}  # unique_id's: ids in linear time
    for new in incoming:
        found = index.match(new)
        if found is None:
            call = _new_call(new, place.keys(), clock, counters)
            place[call.id] = len(result)
            result.append(call)
            index.add(call)
            outcomes.append(Outcome("added", call))
            continue
        current = result[place[found.id]]
        updated, texts = updated_call(current, new, clock)
        if texts:
            updated = restamp(updated, clock.now)
            result[place[found.id]] = updated
            index.add(updated)
            outcomes.append(Outcome("updated", updated, tuple(texts)))
        else:
            outcomes.append(Outcome("unchanged", current))
    return result, outcomes


def _new_call(
    new: Incoming, taken: Container[str], clock: Clock, counters: dict[str, int] | None = None
) -> Call:
    from fundwatch.domain.fields import restamp

    call = new.call
    base = call.id if new.explicit_id else slugify(call.title)
    extra = dict(call.extra)
    if new.uid:
        extra["uid"] = new.uid
    call = call.replace(id=unique_id(base, taken, counters), extra=extra)
    return restamp(call, clock.now)


def updated_call(old: Call, new: Incoming, clock: Clock) -> tuple[Call, list[str]]:
    """``old`` with what ``new`` says of it, and the changes in words (none: the same).

    The source describes the call (title, programme, identifier, link, opening,
    budget, deadlines); the user's own fields stay: state, notes (filled only where
    there were none), tags (the source's are added), the time zone.
    """
    from fundwatch.portal.sync import opening_text

    inc = new.call
    texts: list[str] = []
    changes: dict[str, Any] = {}
    if inc.title != old.title:
        texts.append(f"title changed from '{old.title}' to '{inc.title}'")
        changes["title"] = inc.title
    for key in ("programme", "identifier", "url", "budget"):
        value = getattr(inc, key)
        same = (
            key == "identifier"
            and value is not None
            and value.casefold() == ((old.identifier or "").casefold())
        )  # the one on the watchlist, written as the user or the portal has it
        if value is not None and value != getattr(old, key) and not same:
            was = getattr(old, key)
            texts.append(f"{key} {'changed' if was is not None else 'added'}")
            changes[key] = value
    if inc.opens is not None:
        opens = restate(inc.opens, inc.timezone, old.timezone)
        if opens != old.opens:
            texts.append(opening_text(old.opens, opens))
            changes["opens"] = opens
    added = [t for t in inc.tags if t not in old.tags]
    if added:
        texts.append("tags added: " + ", ".join(added))
        changes["tags"] = (*old.tags, *added)
    if inc.notes and not old.notes:
        texts.append("notes added")
        changes["notes"] = inc.notes
    # a row with no deadline yet (TBC) says nothing of the deadlines the call has
    deadlines, said = _merged_deadlines(old, inc, clock) if inc.deadlines else ((), [])
    if said:
        texts += said
        changes["deadlines"] = deadlines
    return (old.replace(**changes) if changes else old), texts


def _merged_deadlines(old: Call, inc: Call, clock: Clock) -> tuple[tuple[Deadline, ...], list[str]]:
    """The source's deadlines added to the old ones (in the old call's zone), and what
    that changed in words.

    A source adds and updates deadlines; it never removes one, whatever it leaves out:
    a file may list only a window of them (`upcoming --format json`), a feed only what
    is to come. Only `sync` removes a deadline (the portal's). Each deadline of the
    source is, in this order: one the watchlist has (the same instant, with its label or
    none), a new label for the one at its instant, the watchlist's deadline of its
    label moved, the one unlabelled deadline of the call moved (when each side has one
    alone), or a new deadline."""
    from fundwatch.portal.sync import deadline_changes

    result = list(old.deadlines)
    texts: list[str] = []
    unlabelled_old = [d for d in old.deadlines if d.label is None]
    unlabelled_new = [d for d in inc.deadlines if d.label is None]
    one_each = len(unlabelled_old) == 1 and len(unlabelled_new) == 1
    for d in sort_deadlines(inc.deadlines):
        if any(x.instant == d.instant and d.label in (None, x.label) for x in result):
            continue  # the same moment: as the watchlist writes it
        tz = old.timezone if d.timezone == inc.timezone else d.timezone
        theirs = Deadline(restate(d.at, d.timezone, tz), tz, d.label, d.extra)
        place = next((i for i, x in enumerate(result) if x.instant == d.instant), None)
        if place is None and d.label is not None:
            place = next((i for i, x in enumerate(result) if x.label == d.label), None)
        if place is None and d.label is None and one_each:
            place = result.index(unlabelled_old[0])
        if place is None:
            result.append(theirs)
            texts += deadline_changes([], [theirs])
        else:
            texts += deadline_changes([result[place]], [theirs])
            result[place] = theirs
    if not texts:
        return old.deadlines, []
    return sort_deadlines(result), texts
