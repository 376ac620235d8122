"""Which calls and deadlines to show: filters, the call list, the upcoming window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock, Duration

# States whose deadlines no longer call for action; `upcoming` leaves them out by default.
DONE_STATES = ("submitted", "dropped")


class Filters(NamedTuple):
    """Repeated values of one filter are alternatives (OR); different filters combine (AND)."""

    status: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    programme: tuple[str, ...] = ()
    search: tuple[str, ...] = ()

    def matches(self, call: Call, clock: Clock) -> bool:
        if self.state and call.state not in self.state:
            return False
        if self.tag:
            tags = {t.casefold() for t in call.tags}
            if not any(t.casefold() in tags for t in self.tag):
                return False
        if self.programme:
            programme = (call.programme or "").casefold()
            if not any(p.casefold() in programme for p in self.programme):
                return False
        if self.search:
            haystack = _haystack(call)
            if not any(s.casefold() in haystack for s in self.search):
                return False
        return not self.status or call.status(clock) in self.status


NO_FILTERS = Filters()


def _haystack(call: Call) -> str:
    parts = [call.id, call.title, call.programme, call.identifier, call.notes, *call.tags]
    parts += [d.label for d in call.deadlines]
    return "\n".join(p for p in parts if p).casefold()


class CallRow(NamedTuple):
    """A call as `list` shows it."""

    call: Call
    status: str
    next: Deadline | None
    days_left: int | None


class DeadlineRow(NamedTuple):
    """One deadline as `upcoming` shows it."""

    call: Call
    deadline: Deadline
    days_left: int


def shown_deadline(next_one: Deadline | None, deadlines: Sequence[Deadline]) -> Deadline | None:
    """The deadline a row of calls (or portal topics) shows and sorts by: the next one,
    or for a closed call the last one, which it closed on; None when it has none yet."""
    return next_one or (deadlines[-1] if deadlines else None)


def call_rows(calls: Iterable[Call], clock: Clock, filters: Filters = NO_FILTERS) -> list[CallRow]:
    """Every matching call; open and forthcoming by next deadline (those with no
    deadline yet after the dated ones), then closed ones."""
    rows = []
    for call in calls:
        if not filters.matches(call, clock):
            continue
        nxt = call.next_deadline(clock)
        rows.append(CallRow(call, call.status(clock), nxt, nxt.days_left(clock) if nxt else None))
    far = datetime(9999, 1, 1, tzinfo=UTC)

    def key(row: CallRow) -> tuple[bool, object, str]:
        shown = shown_deadline(row.next, row.call.deadlines)
        when = shown.starts(clock) if shown else far
        closed = row.status == "closed"
        # closed calls: most recently closed first
        return (closed, -when.timestamp() if closed else when.timestamp(), row.call.id)

    return sorted(rows, key=key)


def selected(
    calls: Iterable[Call], clock: Clock, filters: Filters, include_done: bool = False
) -> list[Call]:
    """The calls that match; those submitted or dropped only with ``include_done`` or
    a --state filter (what needs doing, for `upcoming` and calendars)."""
    skip_done = not include_done and not filters.state
    return [
        c for c in calls if not (skip_done and c.state in DONE_STATES) and filters.matches(c, clock)
    ]


def window_end(clock: Clock, within: Duration) -> datetime:
    """00:00 (UTC instant) of the day after now + ``within``, in the display zone."""
    last_day = within.after(clock.now).date()
    return clock.start_of(last_day + timedelta(days=1))


def upcoming_rows(
    calls: Iterable[Call],
    clock: Clock,
    within: Duration,
    filters: Filters = NO_FILTERS,
    include_done: bool = False,
) -> list[DeadlineRow]:
    """Deadlines not yet passed whose day is at most ``within`` from today, soonest first.

    The window ends with the whole day of now + ``within`` in the display zone, so
    that it agrees with days_left: ``--within 30d`` lists everything due in 30 days
    or less, at 17:00 or all day alike.
    """
    end = window_end(clock, within)
    rows = []
    for call in selected(calls, clock, filters, include_done):
        for d in call.deadlines:
            if not d.passed(clock) and d.starts(clock) < end:
                rows.append(DeadlineRow(call, d, d.days_left(clock)))
    rows.sort(key=lambda r: (r.deadline.starts(clock), r.call.id, r.deadline.label or ""))
    return rows
