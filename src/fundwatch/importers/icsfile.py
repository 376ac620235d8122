"""Calls from an iCalendar file: a Google or Outlook export, a feed, or our own export.

Each event is a call: SUMMARY the title, DTSTART the deadline (a date stays all-day),
URL, DESCRIPTION as notes, CATEGORIES as tags, and its UID kept so that importing
the feed again changes nothing. A time is read in its TZID (IANA or a Windows name
such as "W. Europe Standard Time"), in UTC, or, floating, in the calendar's
X-WR-TIMEZONE (else the default zone). A recurring event gives its upcoming
occurrences (within two years) as the deadlines of one call.

Events of `fundwatch export ics` (UIDs ``<call id>/<stage>@fundwatch``) come back as
the calls they were made from: one call a call id, the stage from the description,
milestone events left out, so that ``export ics | import`` changes nothing.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from fundwatch.domain.errors import BadValue, FundwatchError, raise_all
from fundwatch.domain.fields import FieldProblem, parse_budget, read_call
from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock, When, city, restate, zone
from fundwatch.importers.base import Gathered, Incoming

HORIZON = timedelta(days=2 * 366)  # how far ahead a recurring event is followed
MAX_OCCURRENCES = 100
# What expanding the repeat rules of one file may cost: occurrences looked at, and
# seconds (a rule that matches nothing, such as 30 February, yields nothing to count)
FILE_ITERATIONS = 200_000
FILE_SECONDS = 2.0
LOOKBACK_PERIODS = 20  # how far before today a rule's start is moved (to find the last)
COUNTED_YEARS = 200  # a rule with COUNT is walked from its start: not from further back
_OURS = re.compile(
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<part>[^/]+)(?:/(?P<milestone>.+))?@fundwatch"
)
_KEYS = ("Stage", "Deadline", "Identifier", "Programme", "Budget", "Link")


def read_ics(text: str, name: str, clock: Clock, default_tz: str) -> list[Incoming]:
    from icalendar import Calendar

    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise FundwatchError(f"{name} is not an iCalendar file (it does not begin BEGIN:VCALENDAR)")
    if not text.rstrip().upper().endswith("END:VCALENDAR"):
        raise FundwatchError(f"{name} is cut short (it does not end END:VCALENDAR)")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError...
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise FundwatchError(f"{name} is not a readable iCalendar file: {reason}") from None
    calls = Gathered()
    problems: list[str] = []  # every event's, told at once
    budget = _Budget(name)
    for cal in calendars:
        cal_tz = _iana(str(cal.get("X-WR-TIMEZONE", ""))) or default_tz
        components = [c for c in cal.walk() if c.name in ("VEVENT", "VTODO")]
        series: dict[str, list[Any]] = {}
        for n, component in enumerate(components, 1):
            series.setdefault(str(component.get("UID") or f"#{n}"), []).append(component)
        for uid, parts in series.items():
            main = [p for p in parts if p.get("RECURRENCE-ID") is None]
            if not main:
                continue  # changes to occurrences of an event that is not here
            event = max(main, key=_sequence)
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            where = f"{name}: event '{str(event.get('SUMMARY', uid)).strip()}'"
            try:
                found = _OURS.fullmatch(uid)
                if found is None:
                    incoming = _event(event, parts, uid, cal_tz, clock, where, budget)
                    if incoming is not None:
                        calls.add(incoming)
                elif found["milestone"] is None:  # a milestone is derived, not read back
                    calls.add(_ours(event, found["id"], cal_tz), key=found["id"])
            except _Fields as exc:
                problems += [p.line(where) for p in exc.problems]
            except BadValue as exc:
                problems.append(str(FundwatchError(f"{where}: {exc.message}", exc.hint)))
            except FundwatchError:
                raise  # the file's budget (of repeat expansions) is spent: stop
            except Exception as exc:  # whatever else a damaged property makes icalendar raise
                reason = " ".join(str(exc).split())[:160] or type(exc).__name__
                problems.append(f"{where}: cannot be read ({reason})")
    raise_all(name, problems)
    if not calls.calls:
        raise FundwatchError(f"{name} holds no events", hint="export the calendar with its events")
    return calls.calls


def _sequence(component: Any) -> int:
    """SEQUENCE, the revision of an event (0 when missing or unreadable)."""
    try:
        return int(component.get("SEQUENCE", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _iana(tzid: str) -> str | None:
    """An IANA zone name for a TZID: itself, a Windows name's zone, or the zone at the
    end of a "globally unique" TZID such as ``/mozilla.org/20050126_1/Europe/Brussels``."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    tzid = tzid.strip().strip('"')
    if not tzid:
        return None
    candidates = [tzid, WINDOWS_TO_OLSON.get(tzid, "")]
    parts = tzid.strip("/").split("/")
    candidates += ["/".join(parts[i:]) for i in range(1, len(parts))]
    for name in candidates:
        if not name:
            continue
        try:
            zone(name)
        except BadValue:
            continue
        return name
    return None


def _local(prop: Any, cal_tz: str) -> tuple[When, str]:
    """A DTSTART-like property as a local time and the zone it is in."""
    value = _dt(prop, "start")
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise BadValue("its start is not a date or a date-time")
        return value, cal_tz
    if value.tzinfo is None:  # floating: the calendar's own zone
        return value.replace(microsecond=0), cal_tz
    named = _iana(str(prop.params.get("TZID", "")))
    if named is not None:  # as written, in the zone it names
        return value.replace(tzinfo=None, microsecond=0), named
    local = value.astimezone(zone(cal_tz)).replace(tzinfo=None, microsecond=0)
    return local, cal_tz


def _dt(prop: Any, what: str) -> Any:
    """A date property's value; one icalendar could not read is a BadValue."""
    try:
        return prop.dt
    except Exception:  # icalendar's BrokenCalendarProperty, or no value at all
        raw = prop.to_ical().decode() if hasattr(prop, "to_ical") else str(prop)
        raise BadValue(f"its {what} '{raw}' is not a date") from None


def _dates(component: Any, key: str) -> list[Any]:
    value = component.get(key)
    if value is None:
        return []
    lists = value if isinstance(value, list) else [value]
    return [_dt(d, key) for item in lists for d in getattr(item, "dts", [item])]


def _event(
    event: Any, parts: list[Any], uid: str, cal_tz: str, clock: Clock, where: str,
    budget: _Budget | None = None,
) -> Incoming | None:  # fmt: skip
    start = event.get("DUE") if event.name == "VTODO" else None
    start = start if start is not None else event.get("DTSTART")
    if start is None:
        if event.name == "VTODO":
            return None  # a task with no date is no deadline
        raise BadValue("it has no start (DTSTART)")
    at, tz = _local(start, cal_tz)
    if event.get("RRULE") is not None:
        times = _occurrences(event, parts, _Series(start, at, tz), clock, budget or _Budget(""))
    else:
        times = [at]
    title = " ".join(str(event.get("SUMMARY", "")).split()) or "(untitled event)"
    categories = getattr(event, "categories", None) or []
    tags = [str(c).strip() for c in categories]
    notes = str(event.get("DESCRIPTION", "")).strip() or None
    url = str(event.get("URL", "")).strip() or None
    call = _call(
        title=title,
        deadlines=[Deadline(t, tz) for t in times],
        url=url,
        timezone=tz,
        tags=tags,
        notes=notes,
    )
    return Incoming(call, uid=None if uid.startswith("#") else uid, where=where)


class _Fields(Exception):
    """The problems the rules of domain.fields found in an event."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems


def _call(**raw: Any) -> Call:
    """The event's call, its fields checked by the rules every reader applies."""
    call, problems = read_call(raw, raw["timezone"])
    if call is None:
        raise _Fields(problems)
    return call


class _Series:
    """How a recurring event repeats: in the zone its DTSTART is written in (17:00
    Brussels stays 17:00 across a DST change; 15:00 UTC stays 15:00 UTC, which is 16:00
    in Brussels in winter), each occurrence then restated in the call's zone ``tz``.
    All-day events repeat by date."""

    def __init__(self, prop: Any, at: When, tz: str) -> None:
        self.tz = tz
        self.all_day = not isinstance(at, datetime)
        value = _dt(prop, "start")
        if self.all_day or not isinstance(at, datetime):
            self.frame: Any = None
            self.first = datetime.combine(at, time(0))
        elif value.tzinfo is None or _iana(str(prop.params.get("TZID", ""))) is not None:
            self.frame = zone(tz)  # floating (the calendar's zone) or a named zone
            self.first = at.replace(tzinfo=self.frame)
        else:
            self.frame = value.tzinfo  # UTC, or a VTIMEZONE with a name we cannot place
            self.first = value.replace(microsecond=0)

    def moment(self, value: Any, end_of_day: bool = False) -> datetime:
        """An EXDATE, RDATE, RECURRENCE-ID or UNTIL value in the series' own terms."""
        if self.all_day:
            day = value
            if isinstance(value, datetime):
                day = (value.astimezone(zone(self.tz)) if value.tzinfo else value).date()
            return datetime.combine(day, time.max if end_of_day else time(0))
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=self.frame)
        return datetime.combine(value, time.max if end_of_day else time(0), tzinfo=self.frame)

    def local(self, moment: datetime) -> When:
        """An occurrence as the deadline is written: a date, or a wall time in ``tz``."""
        if self.all_day:
            return moment.date()
        return moment.astimezone(zone(self.tz)).replace(tzinfo=None)


class _Budget:
    """What is left of a file's budget for expanding repeat rules."""

    def __init__(self, name: str) -> None:
        import time as clock

        self.name = name
        self.left = FILE_ITERATIONS
        self.clock = clock.process_time  # CPU time: a busy machine does not fail an import
        self.ends = clock.process_time() + FILE_SECONDS

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0 or self.clock() > self.ends:
            raise FundwatchError(
                f"{self.name}: its repeating events are too costly to expand "
                f"(more than {FILE_ITERATIONS:,} occurrences or {FILE_SECONDS:g} s of CPU time)",
                hint="fundwatch follows a repeating event two years ahead; "
                "export the calendar without repeating events, or with fewer",
            )


_DAYS_IN = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_PERIODS = {"SECONDLY": "seconds", "MINUTELY": "minutes", "HOURLY": "hours", "DAILY": "days",
            "WEEKLY": "weeks"}  # fmt: skip


def _never(rule: Any) -> bool:
    """A rule whose BYMONTH and BYMONTHDAY never meet (30 February): it has no
    occurrence, and the rule library would look for one up to the year 9999."""
    months = [int(m) for m in rule.get("BYMONTH", [])]
    days = [int(d) for d in rule.get("BYMONTHDAY", [])]
    if not months or not days or any(d < 0 for d in days):
        return False
    return all(d > _DAYS_IN.get(m, 31) for m in months for d in days)


def _moved_start(first: datetime, rule: Any, target: datetime) -> datetime:
    """``first`` moved forward by whole periods of the rule (FREQ times INTERVAL) to the
    last such moment at or before ``target``: the same occurrences from there on, without
    walking to them one by one from a start decades ago. Rules with COUNT stay."""
    if rule.get("COUNT") or first >= target:
        return first
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    if freq in _PERIODS:
        period = timedelta(**{_PERIODS[freq]: interval})
        return first + period * ((target - first) // period)
    if freq in ("MONTHLY", "YEARLY"):
        step = interval * (12 if freq == "YEARLY" else 1)
        months = (target.year - first.year) * 12 + target.month - first.month
        k = months // step
        for back in range(k, max(k - 9, 0), -1):  # a 31st or a 29 February: an earlier one
            total = first.month - 1 + back * step
            try:
                return first.replace(year=first.year + total // 12, month=total % 12 + 1)
            except ValueError:
                continue
    return first


class _YearsUpTo:
    """The rule library looks for occurrences until ``datetime.MAXYEAR`` (9999) even when
    UNTIL has long passed, if none matches; within this block it stops at ``year``.

    Only the rule library's own view of the ``datetime`` module changes (a stand-in
    with another MAXYEAR), never the standard module that every thread shares, and
    one block at a time: two imports in threads of one process cannot leave the
    limit lowered, as saving and restoring a shared global in each would."""

    def __init__(self, year: int) -> None:
        self.year = year

    def __enter__(self) -> None:
        import datetime as real
        import types

        from dateutil import rrule

        _YEARS_LOCK.acquire()
        self.saved = rrule.datetime  # type: ignore[attr-defined]
        clamped = types.ModuleType("datetime")
        clamped.__dict__.update(real.__dict__)
        clamped.MAXYEAR = min(self.year, real.MAXYEAR)  # type: ignore[attr-defined]
        rrule.datetime = clamped  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        from dateutil import rrule

        rrule.datetime = self.saved  # type: ignore[attr-defined]
        _YEARS_LOCK.release()


_YEARS_LOCK = threading.RLock()


def _occurrences(
    event: Any, parts: list[Any], series: _Series, clock: Clock, budget: _Budget
) -> list[When]:
    """The upcoming occurrences of a recurring event (the last one, if all have passed),
    moved or cancelled as its RECURRENCE-ID components say.

    Expansion is clamped before it starts: a rule's start is moved to shortly before
    today (``_moved_start``), the search ends with the year after the horizon, a rule
    that can never match is not expanded, and the whole file has a budget (``_Budget``).
    """
    from dateutil.rrule import rruleset, rrulestr
    from icalendar import vRecur

    if series.all_day:
        now: datetime = datetime.combine(clock.now.astimezone(zone(series.tz)).date(), time(0))
    else:
        now = clock.now_utc
    rules = event.get("RRULE")
    found = rruleset()
    for rule in rules if isinstance(rules, list) else [rules]:
        rule = vRecur(dict(rule))
        until = rule.get("UNTIL")
        if until:  # a date means the end of that day; an aware start needs a UTC end
            end = series.moment(until[0], end_of_day=True)
            rule["UNTIL"] = [end if series.all_day else end.astimezone(UTC)]
        try:
            if _never(rule):
                continue
            # from LOOKBACK_PERIODS before today (or the end, if it has ended): the last
            # occurrence that passed is still found, when there is one that recent
            target = now if not until else min(now, rule["UNTIL"][0])
            if series.first.tzinfo is not None:
                target = target.astimezone(series.first.tzinfo)
            start = _moved_start(series.first, rule, target - _span(rule) * LOOKBACK_PERIODS)
            if rule.get("COUNT") and start.year < now.year - COUNTED_YEARS:
                raise ValueError(f"it counts from more than {COUNTED_YEARS} years ago")
            text = rule.to_ical().decode()  # type: ignore[no-untyped-call]
            found.rrule(rrulestr(text, dtstart=start, ignoretz=series.all_day))  # type: ignore[arg-type]
        except (ValueError, TypeError, OverflowError) as exc:
            raise BadValue(f"its repeat rule cannot be read ({exc})") from None
    for value in _dates(event, "RDATE"):
        found.rdate(series.moment(value))
    for value in _dates(event, "EXDATE"):
        found.exdate(series.moment(value))
    overrides = {
        series.local(series.moment(_dt(p.get("RECURRENCE-ID"), "RECURRENCE-ID"))): p
        for p in parts
        if p.get("RECURRENCE-ID") is not None
    }
    upcoming: list[When] = []
    last: When | None = None
    with _YearsUpTo((now + HORIZON).year):
        for n, moment in enumerate(found):
            budget.spend()
            if moment > now + HORIZON or len(upcoming) >= MAX_OCCURRENCES or n > 100_000:
                break
            key = series.local(moment)
            override = overrides.get(key)
            if override is not None:
                if str(override.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                if override.get("DTSTART") is not None:
                    key = _local(override.get("DTSTART"), series.tz)[0]
            if moment >= now:
                upcoming.append(key)
            else:
                last = key
    budget.spend(0)
    return upcoming or ([last] if last is not None else [series.local(series.first)])


def _span(rule: Any) -> timedelta:
    """About one period of the rule (FREQ times INTERVAL)."""
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    if freq in _PERIODS:
        return timedelta(**{_PERIODS[freq]: interval})
    return timedelta(days=(366 if freq == "YEARLY" else 31) * interval)


# --- our own events ----------------------------------------------------------------------


def _ours(event: Any, call_id: str, cal_tz: str) -> Incoming:
    """An event of `fundwatch export ics`: call ``call_id`` with one of its deadlines."""
    fields, notes = _description(str(event.get("DESCRIPTION", "")))
    label = fields.get("Stage")
    tz = _zone_named(fields.get("Deadline", ""), cal_tz)
    start = event.get("DTSTART")
    if start is None:
        raise BadValue("it has no start (DTSTART)")
    at, given_tz = _local(start, tz)
    at = restate(at, given_tz, tz)
    deadline = Deadline(at, tz, label)
    title = str(event.get("SUMMARY", ""))
    title = title.removeprefix("Deadline: ")
    if label:
        title = title.removesuffix(f" ({label})")
    categories = getattr(event, "categories", None) or []
    call = _call(
        id=call_id,
        title=title,
        deadlines=[deadline],
        programme=fields.get("Programme"),
        identifier=fields.get("Identifier"),
        url=fields.get("Link") or str(event.get("URL", "")) or None,
        timezone=tz,
        tags=[str(c) for c in categories],
        budget=parse_budget(fields["Budget"]) if fields.get("Budget") else None,
        notes=notes,
    )
    return Incoming(call, explicit_id=True, where=f"event of call '{call_id}'")


def _description(text: str) -> tuple[dict[str, str], str | None]:
    """The ``Key: value`` lines our export writes, and the notes after the first blank line."""
    from fundwatch.output.calendar import GOOGLE_NOTE

    head, _, rest = text.partition("\n\n")
    fields: dict[str, str] = {}
    for line in head.split("\n"):
        key, sep, value = line.partition(": ")
        if sep and key in _KEYS:
            fields.setdefault(key, value)
    rest = rest.removesuffix(GOOGLE_NOTE).removesuffix("\n\n") if rest != GOOGLE_NOTE else ""
    return fields, rest or None


def _zone_named(deadline_line: str, fallback: str) -> str:
    """``Wed 26 Nov 2025, 17:00 Brussels time`` -> Europe/Brussels."""
    found = re.search(r"\d{2}:\d{2} (.+) time$", deadline_line)
    if found is None:
        return fallback
    wanted = found[1]
    if city(fallback) == wanted:
        return fallback
    return _zones_by_city().get(wanted, fallback)


@cache
def _zones_by_city() -> dict[str, str]:
    """City -> zone, read once from the zone database (the first zone of a name)."""
    from zoneinfo import available_timezones

    found: dict[str, str] = {}
    for name in sorted(n for n in available_timezones() if "/" in n):
        found.setdefault(city(name), name)
    return found
