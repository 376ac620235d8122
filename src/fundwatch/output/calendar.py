"""Calls -> an RFC 5545 calendar that imports right in Outlook, Google, Apple and Thunderbird.

- Every escape and fold is icalendar's; nothing here writes iCalendar text by hand.
- Timed deadlines are written in UTC (``DTSTART:20251126T160000Z``): every parser
  reads that right, while the VTIMEZONE icalendar writes (many dates on one RDATE
  line) puts summer deadlines an hour late in vobject and ical.js.
- All-day deadlines are ``DTSTART;VALUE=DATE`` with DTEND the next day.
- UIDs come from the call id and the deadline's label (or position), so a
  re-import updates the events instead of adding copies; SEQUENCE and
  LAST-MODIFIED come from the call (raised by every edit that shows here).
- Alarms follow the event's own properties (Outlook rejects a VALARM first).

Speed: icalendar builds and folds each content line character by character
(~45 us a line here). What is the same for many events (DTSTAMP and TRANSP for
all, SEQUENCE, LAST-MODIFIED, URL and CATEGORIES for the events of one call, each
VALARM) is serialised once by icalendar and its lines reused; only the lines that
differ (UID, SUMMARY, DTSTART, DTEND, DESCRIPTION) are built for each event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch import __version__
from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import Call, Deadline, stable_slug
from fundwatch.domain.timeutil import Clock, Duration, city, human, parse_option_duration

if TYPE_CHECKING:
    from icalendar import Event

PROFILES = ("generic", "outlook", "google")
GOOGLE_NOTE = (
    "Google Calendar ignores the reminders of imported calendars: set your own on this event."
)


class Milestone(NamedTuple):
    """A preparation step some time before each deadline ("Partner letters=21d")."""

    name: str
    before: Duration


def parse_milestone(text: str) -> Milestone:
    name, sep, span = text.rpartition("=")
    if not sep or not name.strip():
        raise BadValue(
            f"--milestone: '{text}' is not NAME=DURATION", hint='such as "Partner letters=21d"'
        )
    return Milestone(name.strip(), parse_option_duration(span, "--milestone"))


def parse_milestones(texts: Sequence[str]) -> tuple[Milestone, ...]:
    """Milestones with names distinct enough for distinct UIDs."""
    milestones = tuple(parse_milestone(t) for t in texts)
    seen: dict[str, str] = {}
    for m in milestones:
        key = stable_slug(m.name)
        if key in seen:
            raise BadValue(
                f"--milestone: '{seen[key]}' and '{m.name}' are one name to a calendar",
                hint="give each milestone its own name",
            )
        seen[key] = m.name
    return milestones


class Options(NamedTuple):
    alarms: tuple[Duration, ...] = ()
    profile: str = "generic"
    milestones: tuple[Milestone, ...] = ()
    name: str = "EU funding deadlines"


def calendar(calls: Iterable[Call], clock: Clock, options: Options) -> bytes:
    """The whole calendar, CRLF line endings, lines folded at 75 octets."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", f"-//fundwatch//fundwatch {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", options.name)
    cal.add("name", options.name)
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    alarms: dict[tuple[int, str, bool], bytes] = {}  # serialised VALARMs, as needed
    # DTSTAMP is "now": with --as-of, that day (an export is then reproducible)
    common = _lines(dtstamp=clock.now_utc.replace(microsecond=0), transp="TRANSPARENT")
    parts = [head[: -len(end)]]
    for call in calls:
        shared = common + _call_lines(call)
        for event, lead in _events(call, clock, options):
            parts.append(_assemble(event, shared, alarms, lead))
    if len(parts) == 1:
        parts.append(_placeholder())
    parts.append(end)
    return b"".join(parts)


def _placeholder() -> bytes:
    """A calendar needs one component at least (RFC 5545 3.6): with no deadline to show,
    an empty time zone definition (UTC) keeps an export that matches nothing valid."""
    from icalendar import Timezone, TimezoneStandard

    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(0))
    standard.add("tzoffsetto", timedelta(0))
    standard.add("tzname", "UTC")
    tz = Timezone()
    tz.add("tzid", "UTC")
    tz.add_component(standard)
    return bytes(tz.to_ical())


def _lines(**props: Any) -> bytes:
    """The content lines of some event properties, as icalendar writes them."""
    from icalendar import Event

    event = Event()
    for name, value in props.items():
        if value is not None and value != []:
            event.add(name.replace("_", "-"), value)
    text = bytes(event.to_ical())
    begin, end = b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n"
    assert text.startswith(begin) and text.endswith(end)
    return text[len(begin) : -len(end)]


def _call_lines(call: Call) -> bytes:
    """The lines every event of one call shares."""
    return _lines(
        sequence=call.sequence,
        last_modified=call.modified,
        url=_uri(call.url) if call.url else None,
        categories=[_text(t) for t in call.tags],
    )


def _assemble(
    event: Event, shared: bytes, alarms: dict[tuple[int, str, bool], bytes], lead: Lead
) -> bytes:
    """BEGIN, the event's own lines, the shared lines, its VALARMs, END."""
    own = bytes(event.to_ical(sorted=False))  # in the order added
    end = b"END:VEVENT\r\n"
    assert own.endswith(end)
    blocks = []
    for key in lead:
        if key not in alarms:
            alarms[key] = _alarm(*key)
        blocks.append(alarms[key])
    return _restore(own[: -len(end)] + shared + b"".join(blocks) + end)


# --- text ---

# icalendar 7.3 takes the two characters backslash and N in a text value for the
# escape of a line break, so "\\server\Notes" would come back broken. Such a
# backslash travels as a private-use character (4 octets in UTF-8, never folded
# apart) and becomes an escaped backslash (2 octets) once icalendar has done its work;
# that character itself, meaningless in a title, is dropped from the text.
_BACKSLASH = "\U000f0000"


# RFC 5545 TEXT holds no control characters but tab and (escaped) line breaks
# (and U+FEFF, a byte order mark, which readers drop from the start of a value)
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFEFF])


def _uri(url: str) -> str:
    """A URL as a URI value: spaces, control characters and non-ASCII percent-encoded
    (a URI is not escaped like TEXT, so a line break would end the property)."""
    from urllib.parse import quote

    return quote(url.strip(), safe="".join(chr(c) for c in range(0x21, 0x7F)))


def _text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    return value.replace(_BACKSLASH, "").replace("\\N", _BACKSLASH + "N")


def _restore(data: bytes) -> bytes:
    return data.replace(_BACKSLASH.encode(), b"\\\\")


# --- events --------------------------------------------------------------------------------


def _parts(call: Call) -> list[str]:
    """The UID part of each deadline, decided for each on its own, so that adding or
    removing one leaves the others' UIDs alone: a labelled deadline goes by its
    label ("cut-off-1"; a repeated label gets "-2"), an unlabelled one by its place
    among the unlabelled ("deadline-1")."""
    parts: list[str] = []
    unlabelled = 0
    for d in call.deadlines:
        if d.label:
            base = stable_slug(d.label)
        else:
            unlabelled += 1
            base = f"deadline-{unlabelled}"
        part, n = base, 1
        while part in parts:
            n += 1
            part = f"{base}-{n}"
        parts.append(part)
    return parts


def uid(call: Call, part: str, milestone: str | None = None) -> str:
    """``<call id>/<stage>[/<milestone>]@fundwatch``: ids cannot hold '/', so no two
    events share one."""
    tail = f"/{stable_slug(milestone)}" if milestone else ""
    return f"{call.id}/{part}{tail}@fundwatch"


# each alarm: days before the event, the milestone's name, and whether the event is all-day
Lead = list[tuple[int, str, bool]]


def count_events(calls: Sequence[Call], options: Options) -> int:
    return sum(len(c.deadlines) for c in calls) * (1 + len(options.milestones))


def _events(call: Call, clock: Clock, options: Options) -> Iterable[tuple[Event, Lead]]:
    """Each deadline's event, then its milestones', with their alarms."""
    for d, part in zip(call.deadlines, _parts(call), strict=True):
        lead = [(_days_before(d, a), "", d.all_day) for a in options.alarms]
        yield _event(call, d, clock, options, uid(call, part)), lead
        for m in options.milestones:
            at = _shifted(d, m.before)
            event = _event(call, d, clock, options, uid(call, part, m.name), m, at)
            yield event, [(_days_before(d, a, at), m.name, d.all_day) for a in options.alarms]


def _event(
    call: Call,
    d: Deadline,
    clock: Clock,
    options: Options,
    event_uid: str,
    milestone: Milestone | None = None,
    at: date | datetime | None = None,
) -> Event:
    from icalendar import Event

    stage = f" ({d.label})" if d.label else ""
    event = Event()  # the lines shared with other events are added by calendar()
    event.add("uid", event_uid)
    if milestone is None:
        event.add("summary", _text(f"Deadline: {call.title}{stage}"))
    else:
        event.add("summary", _text(f"{milestone.name}: {call.title}{stage}"))
    start = at if at is not None else (d.utc if d.utc is not None else d.at)
    event.add("dtstart", start)
    if not isinstance(start, datetime):  # a timed one has no DTEND: it ends as it starts
        event.add("dtend", start + timedelta(days=1))
    event.add("description", _text(_description(call, d, milestone, options.profile)))
    return event


def _description(call: Call, d: Deadline, milestone: Milestone | None, profile: str) -> str:
    lines = []  # the title is the SUMMARY's
    if milestone is not None:
        lines += [f"{milestone.name}, {milestone.before} before the deadline of:", call.title]
    if d.label:
        lines.append(f"Stage: {d.label}")
    lines.append(f"Deadline: {deadline_text(d)}")
    for key, value in (
        ("Identifier", call.identifier),
        ("Programme", call.programme),
        ("Budget", call.budget),
        ("Link", call.url),
    ):
        if value is not None and value != "":
            lines.append(f"{key}: {value}")
    if call.notes:
        lines += ["", call.notes]
    if profile == "google":
        lines += ["", GOOGLE_NOTE]
    return "\n".join(lines)


def deadline_text(d: Deadline) -> str:
    """``Wed 26 Nov 2025, 17:00 Brussels time`` (the deadline in its own zone)."""
    if d.all_day:
        return f"{human(d.at)} (all day)"
    local = d.local
    assert isinstance(local, datetime)
    return f"{human(local.date())}, {local:%H:%M} {city(d.timezone)} time"


def _shifted(d: Deadline, span: Duration) -> date | datetime:
    """The moment ``span`` before the deadline, in wall-clock time of its own zone."""
    if d.all_day:
        return span.before(datetime.combine(d.at, time(0))).date()
    local = d.local
    assert isinstance(local, datetime)
    return span.before(local).astimezone(UTC)


# --- alarms ----------------------------------------------------------------------------------


def _days_before(d: Deadline, span: Duration, at: date | datetime | None = None) -> int:
    """An alarm ``span`` before the event, in days (a month is as long as it is)."""
    start = at if at is not None else (d.local if not d.all_day else d.at)
    if isinstance(start, datetime):
        return (start - span.before(start)).days
    anchor = datetime.combine(start, time(0))
    return (anchor - span.before(anchor)).days


def _alarm(days: int, milestone: str, all_day: bool) -> bytes:
    """A VALARM ``days`` before; for an all-day event at 09:00 that day, not midnight."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    alarm.add("description", _text(f"{milestone or 'Funding deadline'} {when}"))
    alarm.add("trigger", timedelta(days=-days, hours=9 if all_day else 0))
    return bytes(alarm.to_ical())


def options_for(
    profile: str,
    alarms: Sequence[str],
    no_alarms: bool,
    milestones: Sequence[str],
) -> Options:
    """Options from what the command line and settings say, for a calendar profile."""
    if profile not in PROFILES:
        raise BadValue(f"unknown profile '{profile}'", hint="one of " + ", ".join(PROFILES))
    spans: tuple[Duration, ...] = ()
    if not no_alarms and profile != "google":
        spans = tuple(_alarm_span(a) for a in alarms)
        if profile == "outlook":
            spans = spans[:1]  # Outlook keeps one reminder an event
    return Options(spans, profile, parse_milestones(milestones))


def _alarm_span(text: str) -> Duration:
    return parse_option_duration(text, "--alarm")
