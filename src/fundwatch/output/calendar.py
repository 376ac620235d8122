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

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch import __version__
from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import Call, Deadline, stable_slug
from fundwatch.domain.timeutil import Clock, Duration, city, human, parse_option_duration
from fundwatch.output.ledger import Entry, Ledger, stamp_text, start_text
from fundwatch.output.ledger import stamp as stamp_of
from fundwatch.output.ledger import when as when_of

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
    refresh: timedelta | None = None  # REFRESH-INTERVAL and X-PUBLISHED-TTL of a feed
    stable: bool = False  # DTSTAMP: each event's last change, not now (a published feed)


class Item(NamedTuple):
    """One event as it goes out: its UID, its VEVENT (BEGIN to END), whether it is a
    cancellation, and the call it belongs to (None for a call no longer there)."""

    uid: str
    data: bytes
    cancelled: bool
    call: Call | None


def calendar(calls: Iterable[Call], clock: Clock, options: Options) -> bytes:
    """The whole calendar, CRLF line endings, lines folded at 75 octets."""
    return document(build(calls, clock, options), options)


def head(options: Options, method: bool = True) -> tuple[bytes, bytes]:
    """The calendar's lines before its components, and its last line. CalDAV resources
    carry no METHOD (RFC 4791 4.1); a published feed says how often to look again."""
    from icalendar import Calendar, vDuration, vText

    cal = Calendar()
    cal.add("prodid", f"-//fundwatch//fundwatch {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", "PUBLISH")
    # vText: icalendar writes these two as they are, ';' ',' '\\' unescaped
    cal.add("x-wr-calname", vText(options.name))
    cal.add("name", vText(options.name))
    if options.refresh is not None and method:
        cal.add("refresh-interval", options.refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(options.refresh))
    text = bytes(cal.to_ical())
    end = b"END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)], end


def document(items: Iterable[Item], options: Options) -> bytes:
    start, end = head(options)
    parts = [start, *(item.data for item in items)]
    if len(parts) == 1:
        parts.append(_placeholder())
    parts.append(end)
    return b"".join(parts)


def resource(item: Item, options: Options) -> bytes:
    """One event as a calendar of its own (a CalDAV resource)."""
    start, end = head(options, method=False)
    return start + item.data + end


def build(
    calls: Iterable[Call],
    clock: Clock,
    options: Options,
    ledger: Ledger | None = None,
    everything: Sequence[Call] = (),
    live: Callable[[Call], bool] | None = None,
    matches: Callable[[Call], bool] | None = None,
) -> list[Item]:
    """The events of ``calls``, each with its VALARMs.

    With a ``ledger`` (the watchlist's calendar bookkeeping), UIDs and SEQUENCEs follow
    it and it is brought up to date: ``everything`` is the whole watchlist, ``live``
    says whose events are still wanted (their absence from ``calls`` is a filter's
    doing, not a cancellation); an event recorded before that no call makes any more is
    cancelled, and goes out as such when its call is gone or ``matches``."""
    alarms: dict[tuple[int, str, bool], bytes] = {}  # serialised VALARMs, as needed
    now = clock.now_utc.replace(microsecond=0)
    transp = _lines(transp="TRANSPARENT")
    stamps: dict[datetime, bytes] = {}
    sequences: dict[int, bytes] = {}

    def stamp(when: datetime) -> bytes:
        if when not in stamps:
            stamps[when] = _lines(dtstamp=when)
        return stamps[when]

    def sequence(n: int) -> bytes:
        if n not in sequences:
            sequences[n] = _lines(sequence=n)
        return sequences[n]

    # DTSTAMP is "now": with --as-of, that day (an export is then reproducible); a
    # published feed has each event's last change instead, so that it stays the same
    items: list[Item] = []
    chosen = list(calls)
    resolved: dict[int, list[str]] = {}
    if ledger is not None:
        produced: set[str] = set()
        index: dict[str, list[str]] = {}  # the recorded UIDs by stem
        for recorded in ledger.entries:
            index.setdefault(recorded.split("/", 1)[0], []).append(recorded)
        for call in everything:
            if live is None or live(call):
                bases = _resolve(call, ledger, index.get(call.stem, []))
                resolved[id(call)] = bases
                produced.update(f"{b}@fundwatch" for b in bases)
                produced.update(
                    f"{b}/{stable_slug(m.name)}@fundwatch"
                    for b in bases
                    for m in options.milestones
                )
    for call in chosen:
        rest = _call_lines(call)
        digest_of_call = repr((call.url, call.tags)).encode()
        bases = resolved.get(id(call)) or [f"{call.stem}/{p}" for p in _parts(call)]
        for event, lead, event_uid, start, summary in _events(call, clock, options, bases):
            own = bytes(event.to_ical(sorted=False))  # in the order added
            own = own[: -len(b"END:VEVENT\r\n")]
            blocks = []
            for key in lead:
                if key not in alarms:
                    alarms[key] = _alarm(*key)
                blocks.append(alarms[key])
            alarm_bytes = b"".join(blocks)
            seq, changed = call.sequence, call.modified or now
            if ledger is not None:
                digest = _digest(own + digest_of_call + alarm_bytes)
                seq, changed = _record(ledger, event_uid, call, start, summary, digest, now)
            when = changed if options.stable else now
            data = own + stamp(when) + transp + sequence(seq) + rest + alarm_bytes
            items.append(Item(event_uid, _restore(data + b"END:VEVENT\r\n"), False, call))
    if ledger is not None:
        by_stem = {c.stem: c for c in everything}
        for event_uid in sorted(ledger.entries):
            if event_uid in produced:
                continue
            entry = ledger.entries[event_uid]
            if not entry.gone:
                entry = entry._replace(
                    gone=clock.today.strftime("%Y%m%d"),
                    sequence=entry.sequence + 1,
                    changed=stamp_text(now),
                )
                ledger.entries[event_uid] = entry
            if ledger.expired(entry, clock.today):
                del ledger.entries[event_uid]
                continue
            owner = by_stem.get(event_uid.split("/", 1)[0])
            if owner is None or matches is None or matches(owner):
                when = now if not options.stable else stamp_of(entry.changed)
                data = _cancelled(event_uid, entry) + stamp(when) + transp
                data += sequence(entry.sequence) + b"END:VEVENT\r\n"
                items.append(Item(event_uid, _restore(data), True, owner))
    return items


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.blake2b(data, digest_size=6).hexdigest()


def _record(
    ledger: Ledger,
    event_uid: str,
    call: Call,
    start: date | datetime,
    summary: str,
    digest: str,
    now: datetime,
) -> tuple[int, datetime]:
    """The event's SEQUENCE and time of last change, its record brought up to date: a
    new event starts at its call's SEQUENCE; one that shows something new, or comes
    back after a cancellation, goes one higher."""
    old = ledger.entries.get(event_uid)
    began = start_text(start)
    if old is None:
        seq, changed = call.sequence, call.modified or now
    elif old.digest != digest or old.gone:
        seq, changed = max(call.sequence, old.sequence + 1), now
    else:
        seq, changed = max(call.sequence, old.sequence), stamp_of(old.changed)
    alias = old.alias if old is not None else ""
    ledger.entries[event_uid] = Entry(
        began, seq, digest, stamp_text(changed), "", alias, summary.replace("\n", " ")
    )
    return seq, changed


def _cancelled(event_uid: str, entry: Entry) -> bytes:
    """The VEVENT of a cancelled event, up to its shared lines."""
    from icalendar import Event

    event = Event()
    event.add("uid", event_uid)
    event.add("summary", _text(entry.summary))
    start = when_of(entry.start)
    event.add("dtstart", start)
    if not isinstance(start, datetime):
        event.add("dtend", start + timedelta(days=1))
    event.add("status", "CANCELLED")
    own = bytes(event.to_ical(sorted=False))
    return own[: -len(b"END:VEVENT\r\n")]


def _resolve(call: Call, ledger: Ledger, recorded: list[str]) -> list[str]:
    """Each deadline's UID without its ``@fundwatch``: the one it was recorded under.

    A deadline goes by its label's part (``stem/stage-1``); one whose label changed
    keeps the UID recorded for it: the record notes the new part (its alias), found
    first by the same start, else when one deadline is new and one recorded has no
    deadline any more (``edit --deadline`` with a new label)."""
    stem = call.stem
    parts = _parts(call)
    entries = ledger.entries
    out: list[str | None] = [None] * len(parts)
    claimed: set[str] = set()
    for i, part in enumerate(parts):
        full = f"{stem}/{part}@fundwatch"
        entry = entries.get(full)
        if entry is not None and not entry.alias:
            out[i] = full
            claimed.add(full)
    if len(claimed) < len(parts):
        by_alias = {entries[u].alias: u for u in recorded if entries[u].alias and u not in claimed}
        for i, part in enumerate(parts):
            if out[i] is None and part in by_alias:
                out[i] = by_alias[part]
                claimed.add(by_alias[part])
    left = [i for i in range(len(parts)) if out[i] is None]
    if left:
        naturals = {f"{stem}/{p}@fundwatch" for p in parts}
        candidates = [
            u
            for u in recorded
            if u.count("/") == 1 and u not in claimed and u not in naturals and not entries[u].gone
        ]
        starts = [start_text(_start(d)) for d in call.deadlines]
        for i in list(left):
            for u in candidates:
                if entries[u].start == starts[i]:
                    out[i] = u
                    candidates.remove(u)
                    left.remove(i)
                    break
        if len(left) == 1 and len(candidates) == 1:
            out[left[0]] = candidates[0]
            left = []
        for i, paired in enumerate(out):
            if paired is not None and paired not in claimed:
                claimed.add(paired)
                entries[paired] = entries[paired]._replace(alias=parts[i])
        for i in left:
            full, n = f"{stem}/{parts[i]}@fundwatch", 1
            while full in claimed or full in entries:  # its part stands for another now
                n += 1
                full = f"{stem}/{parts[i]}-{n}@fundwatch"
            out[i] = full
            claimed.add(full)
    return [u.removesuffix("@fundwatch") for u in out if u is not None]


def _start(d: Deadline) -> date | datetime:
    return d.utc if d.utc is not None else d.at


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
    """The lines every event of one call shares (SEQUENCE is each event's own)."""
    return _lines(
        last_modified=call.modified,
        url=_uri(call.url) if call.url else None,
        categories=[_text(t) for t in call.tags],
    )


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
    return f"{call.stem}/{part}{tail}@fundwatch"


# each alarm: days before the event, the milestone's name, and whether the event is all-day
Lead = list[tuple[int, str, bool]]


def count_events(calls: Sequence[Call], options: Options) -> int:
    return sum(len(c.deadlines) for c in calls) * (1 + len(options.milestones))


def _events(
    call: Call, clock: Clock, options: Options, bases: Sequence[str]
) -> Iterable[tuple[Event, Lead, str, date | datetime, str]]:
    """Each deadline's event, then its milestones', with their alarms, UIDs, starts and
    summaries; ``bases`` are the deadlines' UIDs without ``@fundwatch``."""
    for d, base in zip(call.deadlines, bases, strict=True):
        lead = [(_days_before(d, a), "", d.all_day) for a in options.alarms]
        event, summary = _event(call, d, clock, options, f"{base}@fundwatch")
        yield event, lead, f"{base}@fundwatch", _start(d), summary
        for m in options.milestones:
            at = _shifted(d, m.before)
            event_uid = f"{base}/{stable_slug(m.name)}@fundwatch"
            event, summary = _event(call, d, clock, options, event_uid, m, at)
            yield (
                event,
                [(_days_before(d, a, at), m.name, d.all_day) for a in options.alarms],
                event_uid,
                at,
                summary,
            )


def _event(
    call: Call,
    d: Deadline,
    clock: Clock,
    options: Options,
    event_uid: str,
    milestone: Milestone | None = None,
    at: date | datetime | None = None,
) -> tuple[Event, str]:
    from icalendar import Event

    stage = f" ({d.label})" if d.label else ""
    event = Event()  # the lines shared with other events are added by build()
    event.add("uid", event_uid)
    if milestone is None:
        summary = f"Deadline: {call.title}{stage}"
    else:
        summary = f"{milestone.name}: {call.title}{stage}"
    event.add("summary", _text(summary))
    start = at if at is not None else (d.utc if d.utc is not None else d.at)
    event.add("dtstart", start)
    if not isinstance(start, datetime):  # a timed one has no DTEND: it ends as it starts
        event.add("dtend", start + timedelta(days=1))
    event.add("description", _text(_description(call, d, milestone, options.profile)))
    return event, summary


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
