"""Time: zones, dates typed by people, durations, and the clock ("now").

Deadlines are local wall times in an IANA zone (or plain dates); every comparison
between instants is made in UTC, because Python compares two datetimes that share
a tzinfo by wall time and gets the hour after a DST change wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from fundwatch.domain.errors import BadValue

DEFAULT_ZONE = "Europe/Brussels"

# A typed value is either a date (all-day) or a naive local date-time in some zone.
When = date | datetime


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a clear error for anything else."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError, IsADirectoryError, ...
        close = nearest_zone(name) if isinstance(name, str) else None
        raise BadValue(
            f"unknown time zone '{name}'",
            hint=f"did you mean {close}?"
            if close
            else "use an IANA name such as Europe/Brussels, Europe/Kyiv or America/New_York",
        ) from None


def nearest_zone(name: str) -> str | None:
    """The IANA zone a mistyped name most likely meant (Europe/Brusels), or None."""
    import difflib

    found = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.8)
    return found[0] if found else None


@cache
def _zone_names() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(available_timezones())


def system_zone_name() -> str:
    """The IANA name of this machine's zone: $TZ, then /etc/localtime, then UTC.

    $TZ may name a zone (``Europe/Brussels``, ``:Europe/Brussels``) or a zone file
    (``:/etc/localtime``). Anything else (a typing mistake, POSIX rules such as
    ``CET-1CEST``) is an error naming it: times would silently come out in UTC.
    """
    raw = os.environ.get("TZ", "")
    name = raw.lstrip(":")
    if name:
        if not name.startswith("/"):
            try:
                zone(name)
                return name
            except BadValue as exc:
                raise BadValue(
                    f"TZ: unknown time zone '{raw}'",
                    hint=exc.hint
                    if exc.hint and exc.hint.startswith("did you mean")
                    else "set TZ to an IANA name such as Europe/Brussels (POSIX rules such as "
                    "CET-1CEST are not read), or the setting display_timezone",
                ) from None
        found = _zone_of_file(name)
        if found:
            return found
        raise BadValue(
            f"TZ: '{raw}' is not a time zone file",
            hint="set TZ to an IANA name such as Europe/Brussels",
        )
    found = _zone_of_file("/etc/localtime")
    if found:
        return found
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip() or "UTC"
    except OSError:
        return "UTC"


def _zone_of_file(path: str) -> str | None:
    """``/usr/share/zoneinfo/Europe/Brussels`` (or a link to it) -> ``Europe/Brussels``."""
    try:
        target = os.path.realpath(path)
    except OSError:
        return None
    marker = "zoneinfo" + os.sep
    if marker in target:
        return target.split(marker, 1)[1]
    return None


def city(zone_name: str) -> str:
    """A short human name for a zone: Europe/Brussels -> Brussels; Etc/GMT+5 -> UTC-5
    (POSIX signs are the other way round: Etc/GMT+5 is five hours behind UTC)."""
    name = zone_name.rsplit("/", 1)[-1].replace("_", " ")
    if zone_name.startswith("Etc/GMT") and name[3:4] in ("+", "-") and name[4:].isdigit():
        hours = int(name[4:])
        return "UTC" if hours == 0 else f"UTC{'-' if name[3] == '+' else '+'}{hours}"
    return name


class _Lazy:
    """A regular expression compiled when first used: compiling the four of this
    module costs ~4 ms, and `upcoming --as-of 2025-10-08 --within 30d` needs none."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags

    @property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)  # re caches compiled patterns

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)


# --- dates typed by people ---------------------------------------------------------------

_YEAR_FIRST = _Lazy(
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:(?:T|\s+)(?P<rest>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?))?",
    re.IGNORECASE,
)
_TIME = _Lazy(r"(\d{1,2}):(\d{2})")
# Two defaults that differ in every field: a field that comes out different was not typed.
_DEFAULT_A = datetime(2001, 1, 1, 1, 1, 1)
_DEFAULT_B = datetime(2002, 2, 2, 2, 2, 2)


def parse_when(text: str, tz: str = DEFAULT_ZONE, default_time: time | None = None) -> When:
    """Read a date or date-time as a person types it, for a deadline in zone ``tz``.

    ISO first (``2025-11-12`` is 12 November), then day-first (``12/11/2025``,
    ``12.11.2025``, ``26 November 2025``, each with or without a time). A value with
    an offset (``2025-11-26T16:00Z``) is converted to ``tz``. A date alone stays a
    date unless ``default_time`` is given. Impossible dates and junk raise BadValue.
    """
    raw = text.strip()
    if not raw:
        raise BadValue("empty date", hint="write a date such as 26/11/2025 or 2025-11-26 17:00")
    if raw[-1:].isalpha() or raw.endswith(")"):
        marked = _ZONE_WORDS.search(raw)
        rest = raw[: marked.start()].rstrip(" \t,(") if marked else ""
        if marked and rest:
            return _in_named_zone(raw, rest, marked, tz, default_time)
    if len(raw) == 10 and raw[4] == raw[7] == "-":
        day: date | None = None
        # the common case (a plain ISO date) without compiling a regex
        with suppress(ValueError):
            day = date.fromisoformat(raw)
        if day is not None:
            check_year(day, raw)
            return _dated(day, default_time)
    m = _YEAR_FIRST.fullmatch(raw)
    value = _from_iso(raw, m) if m else _from_day_first(raw)
    check_year(value, raw)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            try:
                value = value.astimezone(zone(tz)).replace(tzinfo=None)
            except (ValueError, OverflowError):  # an offset of a day or more
                raise BadValue(f"'{raw}' is not a time fundwatch can place") from None
        value = value.replace(microsecond=0)
        check_exists(value, tz, raw)
        return value
    return _dated(value, default_time)


FIRST_YEAR, LAST_YEAR = 1900, 2999


def check_year(value: date, raw: str | None = None) -> None:
    """Years 1900 to 2999: others are typing mistakes, and years 1 and 9999 have no
    room for the time zone arithmetic every deadline needs."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        shown = raw if raw is not None else value.isoformat()
        raise BadValue(
            f"'{shown}' is not a date fundwatch takes",
            hint=f"the year must be from {FIRST_YEAR} to {LAST_YEAR}",
        )


def check_exists(value: datetime, tz: str, raw: str | None = None) -> None:
    """A wall time that the zone skips (02:30 on the day clocks go forward) is an error:
    the deadline would be an hour off whichever way it was read."""
    aware = value.replace(tzinfo=zone(tz))
    back = aware.astimezone(UTC).astimezone(zone(tz)).replace(tzinfo=None)
    if back != value:
        shown = raw if raw is not None else value.isoformat(sep=" ", timespec="minutes")
        raise BadValue(
            f"'{shown}' does not exist in {tz}: the clocks skip that hour",
            hint=f"give the time the deadline really has, such as {back:%H:%M}",
        )


def _dated(value: date, default_time: time | None) -> When:
    return datetime.combine(value, default_time) if default_time is not None else value


def _from_iso(raw: str, m: re.Match[str]) -> When:
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    try:
        day = date(y, mo, d)
    except ValueError as exc:
        raise BadValue(f"'{raw}' is not a valid date: {exc}") from None
    rest = m["rest"]
    if not rest:
        return day
    try:
        return datetime.fromisoformat(
            f"{day.isoformat()}T{_pad_time(rest.replace(' ', '').upper())}"
        )
    except ValueError as exc:
        raise BadValue(f"'{raw}' is not a valid date-time: {exc}") from None


def _pad_time(rest: str) -> str:
    # fromisoformat wants 09:00, people write 9:00.
    return re.sub(r"^(\d):", r"0\1:", rest)


_NUMERIC = _Lazy(
    r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?:(?:\s+|T)(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2}))?)?"
)


def _from_day_first(raw: str) -> When:
    m = _NUMERIC.fullmatch(raw)
    if m:
        # 12/11/2025 is 12 November, and 12/13/2025 an error: dateutil would
        # quietly read the latter month-first.
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        try:
            day = date(year, int(m["m"]), int(m["d"]))
            if m["h"] is None:
                return day
            return datetime.combine(day, time(int(m["h"]), int(m["min"]), int(m["s"] or 0)))
        except ValueError as exc:
            raise BadValue(f"'{raw}' is not a valid date: {exc}", hint="write DD/MM/YYYY") from None
    return _from_words(raw)


# `17:00 Brussels time` (the portal's wording), `17:00 CET`, `17:00 CEST`
# (no run of blanks before the words: searching with one is quadratic or worse)
_ZONE_WORDS = _Lazy(
    r"\b(?:(?P<brussels>brussels(?:[ \t]+local)?[ \t]+time)"
    r"|(?P<cet>CEST|CET|central[ \t]+european(?:[ \t]+summer)?[ \t]+time))[ \t]*\)?$",
    re.IGNORECASE,
)
CENTRAL_EUROPE = ("CET", "CEST")


def _in_named_zone(
    raw: str, rest: str, marked: re.Match[str], tz: str, default_time: time | None
) -> When:
    """A date-time followed by the zone it is stated in: Brussels time is converted to
    ``tz``; CET or CEST (Central European Time) is read in ``tz`` when that zone keeps
    Central European Time, and is an error otherwise (which offset was meant?)."""
    if marked["brussels"]:
        value = parse_when(rest, DEFAULT_ZONE, default_time)
        return restate(value, DEFAULT_ZONE, tz)
    value = parse_when(rest, tz, default_time)
    if isinstance(value, datetime):
        names = {zone(tz).tzname(datetime(value.year, m, 15)) for m in (1, 7)}
        if not names & set(CENTRAL_EUROPE):
            raise BadValue(
                f"'{raw}' is in Central European Time, but the call's zone {tz} is not",
                hint=f"write the time as it is in {tz}, or with an offset such as +01:00",
            )
        # in the hour that repeats when the clocks go back, the name says which one
        named = marked["cet"].upper()
        said = "CEST" if named == "CEST" or "SUMMER" in named else "CET"
        if value.replace(fold=1, tzinfo=zone(tz)).tzname() == said:
            value = value.replace(fold=1)
    return value


# `12 novembre 2025`, `20. Januar 2026 17:00`, `12 de noviembre de 2025`, `Wed 26 Nov 2025`
_WORD_DATE = _Lazy(
    r"(?:[^\W\d_]+\.?,?\s+)?"  # a weekday
    r"(?P<d>\d{1,2})(?:\.|er|st|nd|rd|th)?\s*(?:de\s+|-)?"
    r"(?P<mon>[^\W\d_]+)\.?\s*(?:de\s+|-)?(?P<y>\d{4})"
    r"(?:\s*,?\s*(?:at|à|a\s+las|alle|ore|às|um|om|o|kl\.?|-)?\s*"
    r"(?P<h>\d{1,2})[:h.](?P<min>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?:h|uhr|u))?)?",
    re.IGNORECASE,
)


def _month(word: str) -> int | None:
    """The month a name or abbreviation means in one of eight languages (CLDR), or None."""
    import unicodedata

    from fundwatch.domain.monthnames import MONTHS

    word = word.lower()
    if word in MONTHS:
        return MONTHS[word]
    plain = unicodedata.normalize("NFKD", word.replace("ł", "l"))
    return MONTHS.get("".join(ch for ch in plain if not unicodedata.combining(ch)))


def _from_month_name(raw: str) -> When | None:
    # blanks as single spaces: runs of them would make the pattern's optional
    # separators try every way of sharing a run (cubic time)
    m = _WORD_DATE.fullmatch(" ".join(raw.split()))
    if not m:
        return None
    month = _month(m["mon"])
    if month is None:
        return None
    try:
        day = date(int(m["y"]), month, int(m["d"]))
        if m["h"] is None:
            return day
        return datetime.combine(day, time(int(m["h"]), int(m["min"]), int(m["s"] or 0)))
    except ValueError as exc:
        raise BadValue(f"'{raw}' is not a valid date: {exc}") from None


def _from_words(raw: str) -> When:
    """`26 November 2025 17:00`, `2025-11-12 5pm` and other forms, through dateutil.

    Numbers alone must be DD/MM/YYYY (``_NUMERIC``): dateutil would read
    ``12 13 2025`` month-first without a word. A year written first stays first.
    """
    import warnings

    from dateutil import parser

    if not any(ch.isalpha() for ch in raw):
        raise BadValue(
            f"'{raw}' is not a date",
            hint="write DD/MM/YYYY, YYYY-MM-DD or '26 November 2025', optionally with HH:MM",
        )
    named = _from_month_name(raw)
    if named is not None:
        return named
    year_first = re.match(r"\d{4}[-/.]", raw) is not None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a = parser.parse(raw, dayfirst=not year_first, yearfirst=year_first, default=_DEFAULT_A)
            b = parser.parse(raw, dayfirst=not year_first, yearfirst=year_first, default=_DEFAULT_B)
        if any(issubclass(w.category, parser.UnknownTimezoneWarning) for w in caught):
            raise BadValue(
                f"'{raw}' names a time zone fundwatch cannot place",
                hint="leave it out (the call's zone applies) or give an offset such as +01:00",
            )
    except (ValueError, OverflowError) as exc:
        reason = str(exc).split(":")[0]
        if "out of range" in reason or "must be in" in reason:
            raise BadValue(f"'{raw}' is not a valid date: {reason}") from None
        raise BadValue(
            f"'{raw}' is not a date",
            hint="write DD/MM/YYYY, YYYY-MM-DD or '26 November 2025', optionally with HH:MM",
        ) from None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        raise BadValue(
            f"'{raw}' is not a full date",
            hint="give day, month and year, such as 26/11/2025",
        )
    if a.hour != b.hour:
        return a.date()  # no time typed
    # "5pm" gives the hour alone: the minutes and seconds not typed are zero
    result: datetime = a.replace(
        minute=a.minute if a.minute == b.minute else 0,
        second=a.second if a.second == b.second else 0,
    )
    return result


def parse_time_of_day(text: str) -> time:
    """``17:00`` -> time(17, 0)."""
    m = _TIME.fullmatch(text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise BadValue(f"'{text}' is not a time of day", hint="write HH:MM, such as 17:00")
    return time(int(m[1]), int(m[2]))


# --- durations ----------------------------------------------------------------------------

_DURATION_PART = _Lazy(r"(\d+)\s*(days?|d|weeks?|w|months?|m|years?|y)(?![a-z])", re.IGNORECASE)


class Duration(NamedTuple):
    """A span in calendar terms: months (and years) move the date, days the clock."""

    months: int = 0
    days: int = 0
    text: str = ""

    def after(self, start: datetime) -> datetime:
        """``start`` plus this span, in wall-clock time of ``start``'s zone."""
        return self._shift(start, 1)

    def before(self, end: datetime) -> datetime:
        """``end`` minus this span, in wall-clock time of ``end``'s zone."""
        return self._shift(end, -1)

    def _shift(self, moment: datetime, sign: int) -> datetime:
        local = moment.replace(tzinfo=None)
        try:
            if self.months:
                from dateutil.relativedelta import relativedelta

                local = local + relativedelta(months=sign * self.months)
            local = local + timedelta(days=sign * self.days)
        except (ValueError, OverflowError):
            raise BadValue(
                f"'{self.text}' from {moment:%d/%m/%Y} is beyond the calendar (year 1 to 9999)",
                hint="use a shorter span",
            ) from None
        return local.replace(tzinfo=moment.tzinfo)

    def __str__(self) -> str:
        return self.text


def parse_option_duration(text: str, option: str) -> Duration:
    """parse_duration, with the option's name in the error."""
    try:
        return parse_duration(text)
    except BadValue as exc:
        raise BadValue(f"{option}: {exc.message}", exc.hint) from None


def parse_duration(text: str) -> Duration:
    """``10d``, ``2w``, ``3m``, ``1y`` (and sums such as ``1m2w``)."""
    raw = text.strip()
    if raw[:-1].isdigit() and raw[-1:] in ("d", "w", "m", "y"):  # the usual "30d"
        n, unit = int(raw[:-1]), raw[-1]
        if unit in ("d", "w"):
            return Duration(0, n * (7 if unit == "w" else 1), raw)
        return Duration(n * (12 if unit == "y" else 1), 0, raw)
    pos, months, days = 0, 0, 0
    for m in _DURATION_PART.finditer(raw):
        if raw[pos : m.start()].strip():
            break
        n, unit = int(m[1]), m[2][0].lower()
        if unit == "d":
            days += n
        elif unit == "w":
            days += 7 * n
        elif unit == "m":
            months += n
        else:
            months += 12 * n
        pos = m.end()
    else:
        if pos and not raw[pos:].strip():
            return Duration(months, days, raw)
    raise BadValue(
        f"'{text}' is not a duration", hint="write a number and a unit: 10d, 2w, 3m or 1y"
    )


# --- the clock ------------------------------------------------------------------------------


class Clock:
    """'Now' and the viewer's zone; every derived value (status, days left) comes from it."""

    __slots__ = ("now", "now_utc", "today", "tz", "tz_name")

    def __init__(self, now: datetime, tz_name: str) -> None:
        self.tz_name = tz_name
        self.tz = zone(tz_name)
        self.now = now.astimezone(self.tz)  # aware, in the display zone
        self.today = self.now.date()
        self.now_utc = now.astimezone(UTC)

    def __repr__(self) -> str:
        return f"Clock({self.now.isoformat()!r}, {self.tz_name!r})"

    def start_of(self, day: date) -> datetime:
        """00:00 of ``day`` in the display zone, as a UTC instant."""
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    @classmethod
    def at(cls, tz_name: str, as_of: str | None = None) -> Clock:
        """The real clock, or 00:00 of the ``as_of`` day (a time may be given too)."""
        tz = zone(tz_name)
        if not as_of:
            return cls(datetime.now(tz), tz_name)
        value = parse_when(as_of, tz_name)
        if not isinstance(value, datetime):
            value = datetime.combine(value, time(0))
        return cls(value.replace(tzinfo=tz), tz_name)


def localize(value: When, tz_name: str) -> datetime:
    """A naive local date-time in ``tz_name`` as an aware datetime (dates at 00:00)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    return value.replace(tzinfo=zone(tz_name))


def restate(value: When, from_tz: str, to_tz: str) -> When:
    """A local date-time of one zone as the wall time of another (the same instant);
    a date stays as it is."""
    if not isinstance(value, datetime) or from_tz == to_tz:
        return value
    return localize(value, from_tz).astimezone(zone(to_tz)).replace(tzinfo=None)


def iso(value: When | None) -> str | None:
    """ISO 8601 for JSON: aware date-times with their offset, dates plain."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def human(value: When) -> str:
    """``Wed 26 Nov 2025 17:00`` or ``Wed 26 Nov 2025`` for a date."""
    if isinstance(value, datetime):
        return f"{value:%a} {value.day} {value:%b %Y %H:%M}"
    return f"{value:%a} {value.day} {value:%b %Y}"
