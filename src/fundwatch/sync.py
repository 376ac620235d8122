"""Bring watched calls up to date with the portal, and say what changed.

The portal owns a call's title, deadlines, opening date, link, budget and
programme; the user owns everything else (id, tags, notes, state, time zone).
Each change comes out as a line a person understands, and the last sync's changes
are kept in the watchlist's ``[sync]`` table for `remind`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch.model import Call, Deadline, sort_deadlines
from fundwatch.timeutil import Clock, city

if TYPE_CHECKING:
    from fundwatch.portal import Topic


class Change(NamedTuple):
    call_id: str
    identifier: str
    text: str

    def line(self) -> str:
        return f"{self.identifier}: {self.text}"


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


def _deadline_changes(old: Sequence[Deadline], new: Sequence[Deadline]) -> list[str]:
    """Moved deadlines (same number, pairwise in time order), else new and gone ones.
    Each time is given in its own zone; a zone named once when both sides share it."""
    if len(old) == len(new):
        texts = []
        for a, b in zip(old, new, strict=True):
            if (a.at, a.timezone) != (b.at, b.timezone):
                name = f"{b.label} deadline" if b.label else "deadline"
                if a.timezone == b.timezone:
                    moved = f"from {_when(a)} to {_when(b)} ({city(b.timezone)})"
                else:
                    moved = (
                        f"from {_when(a)} ({city(a.timezone)}) to {_when(b)} ({city(b.timezone)})"
                    )
                texts.append(f"{name} moved {moved}")
            elif a.label != b.label:
                texts.append(f"deadline of {_when(b)} now labelled '{b.label or ''}'")
        return texts
    before = {(d.at, d.timezone) for d in old}
    after = {(d.at, d.timezone) for d in new}
    texts = [
        f"new {d.label.lower() if d.label else 'deadline'}: {_when(d)} ({city(d.timezone)})"
        for d in new
        if (d.at, d.timezone) not in before
    ]
    texts += [
        f"deadline of {_when(d)} ({city(d.timezone)}) no longer on the portal"
        for d in old
        if (d.at, d.timezone) not in after
    ]
    return texts


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
        texts.append(f"title changed from '{call.title}' to '{topic.title}'")
        changes["title"] = topic.title
    portal_owned = [d for d in call.deadlines if is_portal_deadline(d)]
    deadlines = sort_deadlines(list(topic.deadlines))
    if deadlines and deadlines != tuple(portal_owned):
        texts += _deadline_changes(portal_owned, deadlines)
        own = [d for d in call.deadlines if not is_portal_deadline(d)]
        changes["deadlines"] = sort_deadlines([*deadlines, *own])
    if topic.opens is not None and topic.opens != call.opens:
        texts.append(f"opening moved from {_day(call.opens)} to {_day(topic.opens)}")
        changes["opens"] = topic.opens
    if topic.url and topic.url != call.url:
        texts.append("link changed" if call.url else "link added")
        changes["url"] = topic.url
    if topic.budget is not None and topic.budget != call.budget:
        texts.append(f"budget changed from {call.budget} to {topic.budget}")
        changes["budget"] = topic.budget
    if topic.programme and topic.programme != call.programme:
        texts.append(f"programme now '{topic.programme}'")
        changes["programme"] = topic.programme
    return (call.replace(**changes) if changes else call), texts


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
    from fundwatch.changes import restamp

    out: list[Call] = []
    changes: list[Change] = []
    for call in calls:
        if not call.identifier or (asked is not None and call.identifier not in asked):
            out.append(call)
            continue
        topic = topics.get(call.identifier)
        if topic is None:
            changes.append(Change(call.id, call.identifier, "topic no longer on the portal"))
            out.append(call)
            continue
        new, texts = refresh(call, topic)
        changes += [Change(call.id, call.identifier, t) for t in texts]
        out.append(restamp(new, clock.now) if texts else new)
    return out, changes


def sync_table(changes: Sequence[Change], clock: Clock) -> dict[str, Any]:
    """The watchlist's ``[sync]`` table: when, and what changed (read by `remind`)."""
    return {
        "at": clock.now.astimezone(UTC).replace(microsecond=0),
        # remind shows them under the call's own id: "<id>: deadline moved ..."
        "changes": [{"call": c.call_id, "text": c.text} for c in changes],
    }
