"""The domain: calls and their deadlines, with status and days left derived from a clock."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from fundwatch.timeutil import DEFAULT_ZONE, Clock, When, localize, zone

STATES = ("watching", "preparing", "submitted", "dropped")
STATUSES = ("forthcoming", "open", "closed")


# Call and Deadline have no __slots__: pickle (the watchlist cache) restores a plain
# __dict__ several times faster than it calls a frozen dataclass's __setstate__.
@dataclass(frozen=True)
class Deadline:
    """One deadline: a local date-time in ``timezone``, or a date alone (all-day)."""

    at: When
    timezone: str = DEFAULT_ZONE
    label: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # the instant of a timed deadline, worked out once
    utc: datetime | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.at, datetime):
            object.__setattr__(self, "utc", localize(self.at, self.timezone).astimezone(UTC))

    @property
    def all_day(self) -> bool:
        return not isinstance(self.at, datetime)

    @property
    def local(self) -> When:
        """The deadline in its own zone: an aware date-time, or the date."""
        return self.at if self.all_day else localize(self.at, self.timezone)

    def starts(self, clock: Clock) -> datetime:
        """The UTC instant at which the deadline falls (00:00 of the day if all-day)."""
        if self.utc is not None:
            return self.utc
        return clock.start_of(self.at)

    def passed(self, clock: Clock) -> bool:
        """Timed: the instant is behind us. All-day: the whole day is over."""
        if self.utc is not None:
            return self.utc < clock.now_utc
        return self.at < clock.today

    def day(self, clock: Clock) -> date:
        """The calendar date of the deadline for the viewer."""
        if self.utc is not None:
            return self.utc.astimezone(clock.tz).date()
        return self.at

    def days_left(self, clock: Clock) -> int:
        return (self.day(clock) - clock.today).days

    def viewed(self, clock: Clock) -> When:
        """The deadline as the viewer sees it: in the display zone, or the date."""
        if self.utc is not None:
            return self.utc.astimezone(clock.tz)
        return self.at

    def differs_for(self, clock: Clock) -> bool:
        """True when the viewer's wall clock shows another time than the deadline's own."""
        if not isinstance(self.at, datetime):
            return False
        own = localize(self.at, self.timezone)
        return own.utcoffset() != own.astimezone(clock.tz).utcoffset()


def _sort_key(d: Deadline) -> datetime:
    if d.utc is not None:
        return d.utc
    return datetime.combine(d.at, time(0), tzinfo=zone(d.timezone)).astimezone(UTC)


def sort_deadlines(deadlines: list[Deadline] | tuple[Deadline, ...]) -> tuple[Deadline, ...]:
    return tuple(sorted(deadlines, key=_sort_key))


@dataclass(frozen=True)
class Call:
    """A funding call on the watchlist. ``extra`` holds keys fundwatch does not know."""

    id: str
    title: str
    deadlines: tuple[Deadline, ...]
    programme: str | None = None
    identifier: str | None = None
    url: str | None = None
    opens: When | None = None
    timezone: str = DEFAULT_ZONE
    tags: tuple[str, ...] = ()
    budget: int | float | str | None = None
    notes: str | None = None
    state: str = "watching"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def next_deadline(self, clock: Clock) -> Deadline | None:
        """The first deadline not yet passed, else the last one."""
        for d in self.deadlines:
            if not d.passed(clock):
                return d
        return self.deadlines[-1] if self.deadlines else None

    def status(self, clock: Clock) -> str:
        """``forthcoming`` before it opens, ``closed`` once its last deadline passed, else open."""
        if self.opens is not None:
            if isinstance(self.opens, datetime):
                not_yet = localize(self.opens, self.timezone).astimezone(UTC) > clock.now_utc
            else:
                not_yet = self.opens > clock.today
            if not_yet:
                return "forthcoming"
        if self.deadlines and all(d.passed(clock) for d in self.deadlines):
            return "closed"
        return "open"

    def opens_local(self) -> When | None:
        if self.opens is None or not isinstance(self.opens, datetime):
            return self.opens
        return localize(self.opens, self.timezone)


def slugify(text: str, limit: int = 40) -> str:
    """``EIC call to support UA tech SMEs`` -> ``eic-call-to-support-ua-tech-smes``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "call"


def unique_id(base: str, taken: set[str] | frozenset[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

