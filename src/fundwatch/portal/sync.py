"""Bring watched calls up to date with the portal, and say what changed.

The portal owns a call's title, deadlines, opening date, link, budget and
programme; the user owns everything else (id, tags, notes, state, time zone).
Each change comes out as a line a person understands, and the changes of recent
syncs are kept in the watchlist's ``[sync]`` table for `remind`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from fundwatch.domain.change import Change
from fundwatch.domain.model import Call, Deadline, sort_deadlines
from fundwatch.domain.timeutil import Clock, city
from fundwatch.output.tables import one_line

if TYPE_CHECKING:
    from fundwatch.portal.topics import Topic

# How long the [sync] table keeps a change: longer than any window a reminder is run
# with (--within 3m), so that a quiet sync never hides what an earlier one saw.
KEEP_CHANGES = timedelta(days=92)


def _when(d: Deadline) -> str:
    """``12 Nov 2025 17:00`` (in the deadline's own zone) or ``12 Nov 2025``."""
    at = d.at
    if isinstance(at, datetime):
        return f"{at.day} {at:%b %Y %H:%M}"
    return f"{at.day} {at:%b %Y}"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "none"
    return f"{value.day} {value:%b %Y}"


def deadline_changes(old: Sequence[Deadline], new: Sequence[Deadline]) -> list[str]:
    """What became of the deadlines, in words, compared by instant.

    Between two deadlines that both sides have, as many gone as new ones are moves
    (pairwise in time order); otherwise they are said as gone and new, so that a cut-off
    list rolling forward (the first gone, one more at the end) is not every cut-off
    "moved". Labels are said only when nothing else changed: a gone first cut-off
    renumbers all the others."""
    texts: list[str] = []
    for gone, added in _between_kept(old, new):
        if len(gone) == len(added):
            texts += [_moved(a, b) for a, b in zip(gone, added, strict=True)]
        else:
            texts += [*map(_gone, gone), *map(_new, added)]
    if texts:
        return texts
    labels = {d.instant: d.label for d in old}
    return [
        f"deadline of {_when(d)} now labelled '{d.label or ''}'"
        for d in sort_deadlines(list(new))
        if labels.get(d.instant, d.label) != d.label
    ]


def _between_kept(
    old: Sequence[Deadline], new: Sequence[Deadline]
) -> list[tuple[list[Deadline], list[Deadline]]]:
    """The deadlines gone and the new ones in each stretch between deadlines (instants)
    both sides have, in time order: [before the first kept one, ..., after the last]."""
    kept = {d.instant for d in old} & {d.instant for d in new}

    def stretches(deadlines: Sequence[Deadline]) -> list[list[Deadline]]:
        out: list[list[Deadline]] = [[]]
        passed: set[datetime | date] = set()  # a kept instant written twice ends one stretch
        for d in sort_deadlines(list(deadlines)):
            if d.instant not in kept:
                out[-1].append(d)
            elif d.instant not in passed:
                passed.add(d.instant)
                out.append([])
        return out

    return list(zip_longest(stretches(old), stretches(new), fillvalue=[]))


def _moved(a: Deadline, b: Deadline) -> str:
    """Each time in its own zone; the zone named once when both sides share it."""
    name = f"{b.label} deadline" if b.label else "deadline"
    if a.timezone == b.timezone:
        return f"{name} moved from {_when(a)} to {_when(b)} ({city(b.timezone)})"
    return f"{name} moved from {_when(a)} ({city(a.timezone)}) to {_when(b)} ({city(b.timezone)})"


def _new(d: Deadline) -> str:
    return f"new {d.label.lower() if d.label else 'deadline'}: {_when(d)} ({city(d.timezone)})"


def _gone(d: Deadline) -> str:
    return f"deadline of {_when(d)} ({city(d.timezone)}) no longer on the portal"


def _as_written(mine: Sequence[Deadline], theirs: Sequence[Deadline]) -> tuple[Deadline, ...]:
    """The portal's deadlines, those at an instant the watchlist has already written as
    the watchlist writes them (the user's zone and keys), with the portal's label."""
    by_instant = {d.instant: d for d in mine}
    out = []
    for d in theirs:
        own = by_instant.get(d.instant)
        out.append(d if own is None else own.replace(label=d.label))
    return sort_deadlines(out)


_PORTAL_LABEL = re.compile(r"(Stage \d+( \(invited\))?|Cut-off \d+)")


def is_portal_deadline(d: Deadline) -> bool:
    """The portal's deadlines are unlabelled, "Stage n" or "Cut-off n"; any other label
    is the user's own (an internal review, say), which sync keeps."""
    return d.label is None or _PORTAL_LABEL.fullmatch(d.label) is not None


def refresh(call: Call, topic: Topic) -> tuple[Call, list[str]]:
    """``call`` with the portal's fields from ``topic``, and what changed, in words."""
    texts: list[str] = []
    changes: dict[str, Any] = {}
    if topic.title and topic.title != call.title:
        texts.append(f"title changed from '{one_line(call.title)}' to '{one_line(topic.title)}'")
        changes["title"] = topic.title
    portal_owned = sort_deadlines([d for d in call.deadlines if is_portal_deadline(d)])
    deadlines = _as_written(portal_owned, topic.deadlines)
    if deadlines and deadlines != portal_owned:
        texts += deadline_changes(portal_owned, deadlines)
        own = [d for d in call.deadlines if not is_portal_deadline(d)]
        changes["deadlines"] = sort_deadlines([*deadlines, *own])
    if topic.opens is not None and topic.opens != call.opens:
        texts.append(opening_text(call.opens, topic.opens))
        changes["opens"] = topic.opens
    if topic.url and topic.url != call.url:
        texts.append("link changed" if call.url else "link added")
        changes["url"] = topic.url
    if topic.budget is not None and topic.budget != call.budget:
        texts.append(_budget_text(call.budget, topic.budget))
        changes["budget"] = topic.budget
    if topic.programme and topic.programme != call.programme:
        texts.append(f"programme now '{one_line(topic.programme)}'")
        changes["programme"] = topic.programme
    return (call.replace(**changes) if changes else call), texts


def opening_text(old: date | None, new: date) -> str:
    """``opening date set to 12 Jun 2025`` where there was none, else ``opening moved
    from 1 Jun 2025 to 12 Jun 2025``: never "from none"."""
    if old is None:
        return f"opening date set to {_day(new)}"
    return f"opening moved from {_day(old)} to {_day(new)}"


def _budget_text(old: int | float | str | None, new: int) -> str:
    """``budget set to 3000000`` where there was none: never "from None"."""
    if old is None:
        return f"budget set to {new}"
    return f"budget changed from {one_line(str(old))} to {new}"


def sync_calls(
    calls: Iterable[Call],
    topics: Mapping[str, Topic],
    clock: Clock,
    asked: set[str] | None = None,
) -> tuple[list[Call], list[Change]]:
    """Every call refreshed from the portal (those with an identifier), and the changes.

    A call whose topic the portal no longer has is kept as it is, and said so. With
    ``asked``, calls whose identifier was not asked about (added meanwhile) are left.
    """
    from fundwatch.domain.fields import restamp

    out: list[Call] = []
    changes: list[Change] = []
    for call in calls:
        if not call.identifier or (asked is not None and call.identifier not in asked):
            out.append(call)
            continue
        topic = topics.get(call.identifier)
        if topic is None:
            changes.append(Change(call.id, "topic no longer on the portal", call.identifier))
            out.append(call)
            continue
        new, texts = refresh(call, topic)
        changes += [Change(call.id, t, call.identifier) for t in texts]
        out.append(restamp(new, clock.now) if texts else new)
    return out, changes


def sync_table(changes: Sequence[Change], clock: Clock, previous: Any = None) -> dict[str, Any]:
    """The watchlist's ``[sync]`` table, read by `remind`: when the last sync ran
    (``at``), and the changes of the syncs of the last KEEP_CHANGES, each with the time
    it was seen (``seen``); `remind` shows those seen within its window.

    A sync with nothing new keeps what the ``previous`` table holds, so that a weekly
    reminder still shows Tuesday's move after Wednesday's quiet sync. A change seen
    again is kept once, at its last sighting. The table as fundwatch wrote it before
    (changes without ``seen``: all seen ``at``) is read too; other keys are kept.
    """
    from fundwatch.domain.reminder import sync_changes

    now = clock.now.astimezone(UTC).replace(microsecond=0)
    _, earlier = sync_changes(previous)
    seen: dict[tuple[str, str], datetime] = {}
    for old in earlier:
        if old.seen is not None and old.seen >= now - KEEP_CHANGES:
            seen.pop((old.call_id, old.text), None)
            seen[(old.call_id, old.text)] = old.seen
    for c in changes:
        # remind shows them under the call's own id: "<id>: deadline moved ..."
        seen.pop((c.call_id, c.text), None)
        seen[(c.call_id, c.text)] = now
    table = dict(previous) if isinstance(previous, dict) else {}
    table["at"] = now
    table["changes"] = [{"call": k, "text": t, "seen": at} for (k, t), at in seen.items()]
    return table
