"""Saved searches against the portal: their query, the filters applied on our side, and
a run of them all (bounded) for `sync`.

The portal filters on record type, status and programme (``terms``); it ignores date
ranges, and its status goes stale, so the status (from the dates), the closing and
opening windows are applied here to the topics it sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from fundwatch.domain.discovery import KIND_OF_TYPE, Found, SavedSearch, recorded, too_broad
from fundwatch.domain.errors import BadValue
from fundwatch.domain.query import window_end
from fundwatch.domain.timeutil import Clock
from fundwatch.portal import client
from fundwatch.portal.topics import Topic


class Plan(NamedTuple):
    """A search ready to run: its query, and the programme names it keeps."""

    text: str
    query: dict[str, Any]
    programmes: frozenset[str]  # names from client.programme_codes (or bare codes)


def plan(search: SavedSearch) -> Plan:
    """The portal query of ``search``; BadValue for a programme no code matches."""
    chosen = client.programme_codes(search.programmes)
    query = client.search_query(search.statuses, list(chosen), search.types)
    return Plan(search.text.strip() or client.EVERYTHING, query, frozenset(chosen.values()))


def plan_all(searches: Sequence[SavedSearch]) -> list[Plan]:
    """The plan of each search; BadValue naming the search for a programme no code
    matches."""
    plans = []
    for search in searches:
        try:
            plans.append(plan(search))
        except BadValue as exc:
            message = exc.message.removeprefix("--programme: ")
            raise BadValue(f"saved search '{search.name}': {message}", exc.hint) from None
    return plans


def matches(search: SavedSearch, planned: Plan, topic: Topic, clock: Clock) -> bool:
    """Does ``topic`` (from the portal's answer to ``planned``) pass the filters the
    portal does not apply?"""
    if topic.type and topic.type not in search.types:
        return False
    if topic.status(clock) not in search.statuses:
        return False
    # a programme code fundwatch has no name for leaves topic.programme None
    if planned.programmes and topic.programme and topic.programme not in planned.programmes:
        return False
    if search.closing_within is not None:
        nxt = topic.next_deadline(clock)
        if nxt is None or not nxt.starts(clock) < window_end(clock, search.closing_within):
            return False
    if search.opening_within is not None:
        opens = topic.opens
        if opens is None or opens < clock.today:
            return False
        if not clock.start_of(opens) < window_end(clock, search.opening_within):
            return False
    return True


def as_found(topic: Topic, search: str, now: datetime) -> Found:
    return Found(
        search=search,
        identifier=topic.identifier,
        title=topic.title,
        kind=KIND_OF_TYPE.get(topic.type, topic.type or "topic"),
        opens=topic.opens,
        deadlines=topic.deadlines,
        url=topic.url,
        programme=topic.programme,
        found=now,
    )


class Outcome(NamedTuple):
    """One saved search at a sync: the search as it is to be recorded, and what it says."""

    search: SavedSearch
    new: list[Found]
    first: bool  # its first run: ``search.hits`` topics recorded, none reported
    too_broad: bool  # ``search.hits`` is the portal's count of results
    topics: Sequence[Topic] = ()  # those it matched (none when too broad)


def run_all(
    base_url: str,
    searches: Sequence[SavedSearch],
    clock: Clock,
    watched: Iterable[str],
    *,
    progress: bool = True,
) -> list[Outcome]:
    """Every saved search, at most client.MAX_RESULTS results each, and what each found
    new (not seen by it before, not on the watchlist). All the network work happens
    here; nothing is written."""
    if not searches:
        return []
    plans = plan_all(searches)  # a bad programme fails before any request
    answers = client.bounded_searches(
        base_url, [(p.text, p.query) for p in plans], progress=progress
    )
    mine = list(watched)
    outcomes = []
    for search, planned, answer in zip(searches, plans, answers, strict=True):
        if answer.too_broad:
            broad = too_broad(search, answer.total or 0, clock.now)
            outcomes.append(Outcome(broad, [], False, True))
            continue
        matched = [t for t in answer.topics if matches(search, planned, t, clock)]
        kept = [as_found(t, search.name, clock.now) for t in matched]
        updated, fresh = recorded(search, kept, mine, clock.now)
        outcomes.append(Outcome(updated, fresh, search.fresh_start, False, matched))
    return outcomes
