"""The domain: calls and their deadlines, with status and days left derived from a clock."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Self

from fundwatch.domain.timeutil import DEFAULT_ZONE, Clock, When, localize, zone

STATES = ("watching", "preparing", "submitted", "dropped")
STATUSES = ("forthcoming", "open", "closed")


class Record:
    """A value object: equality, repr, pickling and ``replace()`` from its ``_fields``.

    Not a dataclass: on the 2-core machine this was built on, importing dataclasses
    (and inspect with it) took ~20 ms and making each class ~1.7 ms, a third of the
    100 ms budget of `fundwatch upcoming` (bench/bench_upcoming.py). Not a
    NamedTuple either: a Deadline works its instant out once, in __init__.
    Treat instances as immutable.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record) or type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"{type(self).__name__}({args})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        values = dict(zip(self._fields, self._values(), strict=True))
        values.update(changes)
        return type(self)(**values)


def lf(text: Any) -> Any:
    """Line breaks as LF: the watchlist's TOML writes a CR LF in a multi-line string as
    LF (tomli-w does, and TOML readers may), so text keeps LF from the start and a
    watchlist reads back exactly as it was written."""
    if not text or "\r\n" not in text:
        return text
    while "\r\n" in text:  # CR CR LF too
        text = text.replace("\r\n", "\n")
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """One line of printable text: runs of white space become one space, and control
    characters (a terminal escape in a title) become U+FFFD."""
    return _CONTROL.sub("\ufffd", " ".join(text.split()))


def next_deadline(deadlines: Iterable[Deadline], clock: Clock) -> Deadline | None:
    """The first of ``deadlines`` (in time order) not yet passed; None once all have."""
    return next((d for d in deadlines if not d.passed(clock)), None)


def status(forthcoming: bool, deadlines: Sequence[Deadline], clock: Clock) -> str:
    """A call's or a portal topic's status, derived: ``forthcoming`` before it opens,
    ``closed`` once every deadline has passed, else ``open``."""
    if forthcoming:
        return "forthcoming"
    if deadlines and all(d.passed(clock) for d in deadlines):
        return "closed"
    return "open"


class Deadline(Record):
    """One deadline: a local date-time in ``timezone``, or a date alone (all-day)."""

    __slots__ = ("_end", "at", "extra", "label", "timezone", "utc")
    _fields = ("at", "timezone", "label", "extra")
    at: When
    timezone: str
    label: str | None
    extra: dict[str, Any]
    utc: datetime | None  # the instant of a timed deadline, worked out once
    _end: datetime | None  # the end of an all-day deadline, worked out when first asked

    def __init__(
        self,
        at: When,
        timezone: str = DEFAULT_ZONE,
        label: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.at = at
        self.timezone = timezone
        self.label = lf(label)
        self.extra = extra if extra is not None else {}
        self.utc = localize(at, timezone).astimezone(UTC) if isinstance(at, datetime) else None
        self._end = None

    @property
    def ends(self) -> datetime:
        """The instant it is over: a timed deadline's own; for an all-day one the end of
        its date in its own zone (the call's), the same for every viewer."""
        if self.utc is not None:
            return self.utc
        if self._end is None:
            self._end = localize(self.at + timedelta(days=1), self.timezone).astimezone(UTC)
        return self._end

    @property
    def all_day(self) -> bool:
        return not isinstance(self.at, datetime)

    @property
    def instant(self) -> datetime | date:
        """What the deadline means, whatever zone it is written in: its instant (UTC),
        or the date of an all-day one. 11:00 New York and 17:00 Brussels are one."""
        return self.utc if self.utc is not None else self.at

    @property
    def local(self) -> When:
        """The deadline in its own zone: an aware date-time, or the date."""
        return self.at if self.all_day else localize(self.at, self.timezone)

    def starts(self, clock: Clock) -> datetime:
        """The UTC instant at which the deadline falls; an all-day one, 00:00 of its day
        for the viewer (see ``day``)."""
        if self.utc is not None:
            return self.utc
        return clock.start_of(self.day(clock))

    def passed(self, clock: Clock) -> bool:
        """Timed: the instant is behind us. All-day: its date is over in its own zone."""
        if self.utc is not None:
            return self.utc < clock.now_utc
        # zones are at most 26 hours apart: most dates are decided without the instant
        ahead = (self.at - clock.today).days
        if ahead >= 2 or ahead <= -3:
            return ahead < 0
        return self.ends <= clock.now_utc

    def day(self, clock: Clock) -> date:
        """The calendar date of the deadline for the viewer: the date of its instant in
        the display zone; for an all-day deadline, as many days from the viewer's today
        as its date is from today in its own zone (15 Dec in Brussels is "today" in Tokyo
        at 03:00 on 16 Dec, when it is still 15 Dec in Brussels)."""
        if self.utc is not None:
            return self.utc.astimezone(clock.tz).date()
        at: date = self.at
        if clock.tz_name == self.timezone:
            return at
        own_today = clock.now_utc.astimezone(zone(self.timezone)).date()
        return at + (clock.today - own_today)

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


class Call(Record):
    """A funding call on the watchlist. ``extra`` holds keys fundwatch does not know."""

    __slots__ = ("budget", "deadlines", "extra", "fingerprint", "id", "identifier", "modified",
                 "notes", "opens", "programme", "sequence", "state", "tags", "timezone",
                 "title", "uid", "url")  # fmt: skip
    _fields = ("id", "title", "deadlines", "programme", "identifier", "url", "opens",
               "timezone", "tags", "budget", "notes", "state", "extra", "sequence",
               "modified", "fingerprint", "uid")  # fmt: skip
    id: str
    title: str
    deadlines: tuple[Deadline, ...]
    programme: str | None
    identifier: str | None
    url: str | None
    opens: When | None
    timezone: str
    tags: tuple[str, ...]
    budget: int | float | str | None
    notes: str | None
    state: str
    extra: dict[str, Any]
    # calendar bookkeeping (the `calendar` table in the file): `sequence` goes up and
    # `modified` (UTC) is set whenever what the call's events show changes, as told by
    # `fingerprint`, so that re-imported events update (changes.restamp)
    sequence: int
    modified: datetime | None
    fingerprint: str | None
    # the stem of its events' UIDs when it is no longer the id (`edit --id` keeps the old
    # one, so that calendars update the events instead of adding copies)
    uid: str | None

    def __init__(
        self,
        id: str,
        title: str,
        deadlines: tuple[Deadline, ...],
        programme: str | None = None,
        identifier: str | None = None,
        url: str | None = None,
        opens: When | None = None,
        timezone: str = DEFAULT_ZONE,
        tags: tuple[str, ...] = (),
        budget: int | float | str | None = None,
        notes: str | None = None,
        state: str = "watching",
        extra: dict[str, Any] | None = None,
        sequence: int = 0,
        modified: datetime | None = None,
        fingerprint: str | None = None,
        uid: str | None = None,
    ) -> None:
        self.id = id
        self.title = lf(title)
        self.deadlines = tuple(deadlines)
        self.programme = lf(programme)
        self.identifier = lf(identifier)
        self.url = lf(url)
        self.opens = opens
        self.timezone = timezone
        self.tags = tuple(lf(t) for t in tags)
        self.budget = lf(budget) if isinstance(budget, str) else budget
        self.notes = lf(notes)
        self.state = state
        self.extra = extra if extra is not None else {}
        self.sequence = sequence
        self.modified = modified
        self.fingerprint = fingerprint
        self.uid = uid

    @property
    def stem(self) -> str:
        """What its events' UIDs start with: the id it had when first recorded."""
        return self.uid or self.id

    def calendar_fingerprint(self) -> str:
        """A digest of everything the call's calendar events show (not its state)."""
        import hashlib

        shown = (
            self.id, self.title, self.programme, self.identifier, self.url, self.tags,
            self.budget, self.notes, self.timezone,
            [(str(d.at), d.timezone, d.label) for d in self.deadlines],
        )  # fmt: skip
        return hashlib.blake2b(repr(shown).encode(), digest_size=8).hexdigest()

    def next_deadline(self, clock: Clock) -> Deadline | None:
        """The first deadline not yet passed; None once all have passed."""
        return next_deadline(self.deadlines, clock)

    def status(self, clock: Clock) -> str:
        """``forthcoming`` before it opens, ``closed`` once its last deadline passed, else
        open. A call with no deadline yet (TBC) is forthcoming until it opens, and
        without an opening date."""
        not_yet = False
        if self.opens is not None:
            if isinstance(self.opens, datetime):
                not_yet = localize(self.opens, self.timezone).astimezone(UTC) > clock.now_utc
            else:
                not_yet = self.opens > clock.today
        if self.opens is None and not self.deadlines:
            not_yet = True  # no date at all yet
        return status(not_yet, self.deadlines, clock)

    def opens_local(self) -> When | None:
        if self.opens is None or not isinstance(self.opens, datetime):
            return self.opens
        return localize(self.opens, self.timezone)


# Ukrainian letters as its national romanisation (2010) writes them, and the few more
# of Russian and Belarusian: ids and UIDs of Cyrillic titles and labels stay readable.
_CYRILLIC = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъў",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia",
     "e", "y", "e", "", "u"],
    strict=True,
))  # fmt: skip
_APOSTROPHES = "'\u2019\u02bc"
_TRANSLIT = str.maketrans({**_CYRILLIC, **dict.fromkeys(_APOSTROPHES, "")})
_WORD_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}  # Європа -> yevropa


def _romanised(text: str) -> str:
    text = re.sub(rf"(?<![\w{_APOSTROPHES}])[єїйюя]", lambda m: _WORD_START[m[0]], text.lower())
    return text.translate(_TRANSLIT)


def slugify(text: str, limit: int = 40) -> str:
    """``EIC call to support UA tech SMEs`` -> ``eic-call-to-support-ua-tech-smes``;
    ``Підтримка МСП`` -> ``pidtrymka-msp``; ``Straße & Øresund`` -> ``strasse-oresund``;
    ``Στάδιο 1`` -> ``stadio-1``.

    Ukrainian (and Russian, Belarusian) as the national romanisation writes it; every
    other letter through anyascii (ISC licence), imported only for such a text."""
    text = _romanised(text)
    if not text.isascii():
        from anyascii import anyascii

        text = anyascii(text).lower()
    return _cut(re.sub(r"[^a-z0-9]+", "-", text).strip("-"), limit)


def _cut(slug: str, limit: int) -> str:
    if len(slug) > limit:
        cut = slug[: limit + 1]  # a word ending right at the limit stays whole
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]
    return slug or "call"


def _slug_as_before(text: str, limit: int) -> str:
    """slugify as it was before anyascii: letters without an ASCII decomposition (ß, ø,
    Greek) left out. Calendar UIDs are made with it, so that they stay what earlier
    exports made them and calendars update their events instead of adding copies."""
    ascii_text = unicodedata.normalize("NFKD", _romanised(text)).encode("ascii", "ignore")
    return _cut(re.sub(r"[^a-z0-9]+", "-", ascii_text.decode()).strip("-"), limit)


def stable_slug(text: str, limit: int = 60) -> str:
    """A slug that tells texts apart, for calendar UIDs: ``slugify`` as it was, and a
    digest of the text when it has letters a slug cannot spell (Greek, Chinese,
    Arabic...), so that ``Στάδιο 1`` and ``Φάση 1`` do not both become ``1``."""
    import hashlib

    slug = _slug_as_before(text, limit)
    folded = _romanised(text)
    # Latin letters a slug cannot spell (ł, ß, ø) are left out as before: their UIDs
    # stay what earlier exports made them
    if all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in folded):
        return slug
    digest = hashlib.blake2b(text.strip().encode(), digest_size=4).hexdigest()
    return digest if slug == "call" else f"{slug}-{digest}"


def unique_id(base: str, taken: Container[str], counters: dict[str, int] | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``... the first not in ``taken``.

    Callers that allocate many ids pass the same ``counters`` each time: the search for
    a base then starts where the last one ended, so that n calls sharing a title cost n
    steps, not n**2 (ids are only ever added to ``taken`` meanwhile)."""
    if base not in taken:
        return base
    n = counters.get(base, 2) if counters is not None else 2
    while f"{base}-{n}" in taken:
        n += 1
    if counters is not None:
        counters[base] = n + 1
    return f"{base}-{n}"


ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
