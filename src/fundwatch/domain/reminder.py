"""The weekly reminder: what is due today, due within a window (by ISO week), opening
soon, and what changed at the portal syncs within the window.

The changes come from the watchlist's top-level ``[sync]`` table, which the portal
sync writes (``at``, the last sync, and ``changes = [{ call = "id", text = "...",
seen = <time> }]``, the changes of recent syncs); it is empty until a sync has run.
A change is shown while it was seen within the window (a weekly reminder reports a
change once or twice, not every week until it is dropped). Changes written without
``seen`` (as syncs wrote them before keeping changes) count as seen at ``at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from fundwatch.domain.change import Change
from fundwatch.domain.discovery import Found
from fundwatch.domain.model import Call
from fundwatch.domain.query import DeadlineRow, Filters, selected, upcoming_rows, window_end
from fundwatch.domain.timeutil import Clock, Duration


class Week(NamedTuple):
    """Deadlines of one ISO week, Monday to Sunday, in the viewer's zone."""

    year: int
    number: int
    monday: date
    rows: list[DeadlineRow]

    @property
    def title(self) -> str:
        return f"Week {self.number}, {week_span(self.monday)}"

    @property
    def iso(self) -> str:
        return f"{self.year}-W{self.number:02d}"


class Opening(NamedTuple):
    call: Call
    opens: date  # in the viewer's zone
    days: int  # from today


class Reminder(NamedTuple):
    clock: Clock
    within: Duration
    today: list[DeadlineRow]
    weeks: list[Week]
    opening: list[Opening]
    changes: list[Change]
    synced_at: datetime | None
    new_topics: tuple[Found, ...] = ()  # found by saved searches (domain.discovery.recent)

    @property
    def due(self) -> bool:
        """Is any deadline due (today or within the window)?"""
        return bool(self.today or self.weeks)

    @property
    def empty(self) -> bool:
        """Nothing to say at all: the reminder prints nothing."""
        return not (self.due or self.opening or self.changes or self.new_topics)


def week_span(monday: date) -> str:
    """``9-15 Nov 2026``, ``26 Oct - 1 Nov 2026``, ``28 Dec 2026 - 3 Jan 2027``."""
    sunday = monday + timedelta(days=6)
    if monday.year != sunday.year:
        return f"{monday.day} {monday:%b %Y} - {sunday.day} {sunday:%b %Y}"
    if monday.month != sunday.month:
        return f"{monday.day} {monday:%b} - {sunday.day} {sunday:%b %Y}"
    return f"{monday.day}-{sunday.day} {sunday:%b %Y}"


def build(
    calls: Iterable[Call],
    clock: Clock,
    within: Duration,
    filters: Filters,
    include_done: bool = False,
    sync: dict[str, Any] | None = None,
) -> Reminder:
    calls = list(calls)
    chosen = selected(calls, clock, filters, include_done)
    rows = upcoming_rows(chosen, clock, within, include_done=True)
    today = [r for r in rows if r.days_left == 0]
    weeks: dict[tuple[int, int], Week] = {}
    for r in rows:
        if r.days_left == 0:
            continue
        day = r.deadline.day(clock)
        year, number, weekday = day.isocalendar()
        key = (year, number)
        if key not in weeks:
            weeks[key] = Week(year, number, day - timedelta(days=weekday - 1), [])
        weeks[key].rows.append(r)
    last_day = window_end(clock, within).astimezone(clock.tz).date() - timedelta(days=1)
    opening = []
    for call in chosen:
        opens = _opens_day(call, clock)
        if opens is not None and clock.today <= opens <= last_day:
            opening.append(Opening(call, opens, (opens - clock.today).days))
    opening.sort(key=lambda o: (o.opens, o.call.id))
    synced_at, changes = sync_changes(sync)
    # a change seen before the window was reported before; one with no time cannot be placed
    since = within.before(clock.now).astimezone(UTC)
    changes = [c for c in changes if c.seen is not None and c.seen >= since]
    # changes of the calls the filters leave out are left out too (a change to a call
    # no longer in the watchlist, such as its removal, always shows)
    shown = {c.id for c in chosen}
    known = {c.id for c in calls}
    changes = [c for c in changes if c.call_id in shown or c.call_id not in known]
    return Reminder(clock, within, today, list(weeks.values()), opening, changes, synced_at)


def _opens_day(call: Call, clock: Clock) -> date | None:
    opens = call.opens_local()
    if opens is None:
        return None
    if isinstance(opens, datetime):
        return opens.astimezone(clock.tz).date()
    return opens


def sync_changes(sync: dict[str, Any] | None) -> tuple[datetime | None, list[Change]]:
    """The last sync's time and the recorded changes, from the watchlist's ``[sync]``
    table; each change seen when it says, else at the last sync."""
    if not isinstance(sync, dict):
        return None, []
    at = _utc(sync.get("at"))
    items = sync.get("changes", [])
    changes = [
        Change(str(item.get("call", "")), str(item.get("text", "")),
               seen=_utc(item.get("seen")) or at)
        for item in items if isinstance(item, dict) and item.get("text")
    ] if isinstance(items, list) else []  # fmt: skip
    return at, changes


def _utc(value: Any) -> datetime | None:
    """A TOML date-time as an aware UTC one (a local one is taken as UTC); else None."""
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
