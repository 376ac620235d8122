"""Saved portal searches and the new topics they found, as the watchlist keeps them.

The watchlist holds them in a ``[[searches]]`` array of tables that a person can edit::

    [[searches]]
    name = "smart manufacturing SMEs"     # unique, case-insensitively
    text = "smart manufacturing"           # the portal's free text ("***": everything)
    status = ["forthcoming", "open"]       # from the topics' dates (default these two)
    programme = ["Horizon Europe"]         # names or portal codes (default any)
    kind = ["topic", "cascade"]            # topic, cascade, external (default the first two)
    closing_within = "60d"                 # optional: next deadline within
    opening_within = "30d"                 # optional: opens within
    # written by sync:
    last_run = 2026-03-02T07:00:00Z        # when sync last ran it
    count = 42                             # how many topics matched then (or the portal's
    too_broad = false                      #   count of results, when too broad)
    recorded_for = "3f1c..."               # the text and filters seen was recorded for
    seen = ["HORIZON-...", ...]            # every topic it has matched
    [[searches.new]]                       # topics new at a sync, kept KEEP_NEW
    identifier = "..."; title = "..."; kind = "topic"; found = <UTC time>
    opens = 2026-02-04; timezone = "Europe/Brussels"; deadlines = [2026-04-15T17:00:00]
    url = "..."; programme = "..."

A search without ``seen`` has never run: its first run records what it matches
without calling any of it new. So does the next run of a search whose text or filters
were edited (``recorded_for`` no longer fits). Keys fundwatch does not know are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from fundwatch.domain import model
from fundwatch.domain.errors import BadValue, WatchlistError
from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock, Duration, parse_duration

KINDS = {"topic": "1", "cascade": "8", "external": "2"}  # the portal's record types
KIND_OF_TYPE = {code: kind for kind, code in KINDS.items()}
DEFAULT_KINDS = ("topic", "cascade")
STATUSES = ("forthcoming", "open", "closed")
DEFAULT_STATUSES = ("forthcoming", "open")
KEEP_NEW = timedelta(days=92)  # as long as sync keeps changes: past any reminder window
MAX_SEEN = 5000  # identifiers remembered per search; the oldest go first
NAME_LENGTH = 80
TABLE = "searches"

_DEFINITION = ("name", "text", "status", "programme", "kind", "closing_within", "opening_within")
_STATE = ("last_run", "count", "too_broad", "recorded_for", "seen", "new")
_FOUND = ("identifier", "title", "kind", "programme", "opens", "timezone", "deadlines", "url",
          "found")  # fmt: skip


class Found(NamedTuple):
    """A topic a saved search matched for the first time, as sync saw it."""

    search: str
    identifier: str
    title: str
    kind: str  # topic, cascade, external (or the portal's type code)
    opens: date | None
    deadlines: tuple[Deadline, ...]
    url: str | None
    programme: str | None
    found: datetime  # UTC: the sync that found it
    extra: dict[str, Any] | None = None  # keys fundwatch does not know, kept

    def status(self, clock: Clock) -> str:
        opens_later = self.opens is not None and self.opens > clock.today
        return model.status(opens_later, self.deadlines, clock)

    def next_deadline(self, clock: Clock) -> Deadline | None:
        return model.next_deadline(self.deadlines, clock)


class SavedSearch(NamedTuple):
    name: str
    text: str = "***"
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    programmes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = DEFAULT_KINDS
    closing_within: Duration | None = None
    opening_within: Duration | None = None
    last_run: datetime | None = None
    hits: int | None = None  # the table's count
    too_broad: bool = False
    seen: tuple[str, ...] | None = None  # None: never run
    recorded_for: str | None = None  # the definition's fingerprint when seen was recorded
    new: tuple[Found, ...] = ()
    extra: dict[str, Any] | None = None  # keys fundwatch does not know, kept

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(KINDS[k] for k in self.kinds)

    def filters(self) -> str:
        """``status open, forthcoming; kind topic; closing within 60d``: what narrows it."""
        parts = []
        if self.statuses != DEFAULT_STATUSES:
            parts.append("status " + ", ".join(self.statuses))
        if self.programmes:
            parts.append("programme " + ", ".join(self.programmes))
        if self.kinds != DEFAULT_KINDS:
            parts.append("kind " + ", ".join(self.kinds))
        if self.closing_within is not None:
            parts.append(f"closing within {self.closing_within}")
        if self.opening_within is not None:
            parts.append(f"opening within {self.opening_within}")
        return "; ".join(parts)

    @property
    def fingerprint(self) -> str:
        """A short digest of what the search asks (text and filters): a search edited by
        hand starts afresh at its next run."""
        import hashlib
        import json

        shape = [
            " ".join(self.text.casefold().split()),
            sorted(self.statuses),
            sorted(p.casefold().strip() for p in self.programmes),
            sorted(self.kinds),
            str(self.closing_within or ""),
            str(self.opening_within or ""),
        ]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]

    @property
    def fresh_start(self) -> bool:
        """Its next run records what it matches without reporting any of it: it has
        never run, or it was edited since it recorded what it has seen."""
        if self.seen is None:
            return True
        return self.recorded_for is not None and self.recorded_for != self.fingerprint

    def latest(self) -> list[Found]:
        """The topics new at this search's last run."""
        return [f for f in self.new if self.last_run is not None and f.found == self.last_run]


def check_name(name: str) -> str:
    """A search's name: one printable line, at most NAME_LENGTH characters."""
    text = " ".join(name.split())
    if not text:
        raise BadValue("a saved search needs a name", hint="such as 'smart manufacturing SMEs'")
    if not text.isprintable() or len(text) > NAME_LENGTH:
        raise BadValue(
            f"'{text[:NAME_LENGTH]}' is not a name for a saved search",
            hint=f"printable text of at most {NAME_LENGTH} characters",
        )
    return text


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    return _choices(kinds, tuple(KINDS), "kind", "topic, cascade or external") or DEFAULT_KINDS


def check_statuses(statuses: Iterable[str]) -> tuple[str, ...]:
    hint = "forthcoming, open or closed"
    return _choices(statuses, STATUSES, "status", hint) or DEFAULT_STATUSES


def _choices(
    values: Iterable[str], allowed: Sequence[str], what: str, hint: str
) -> tuple[str, ...]:
    """``values`` in lower case, each once; BadValue for one not ``allowed``."""
    out: list[str] = []
    for value in values:
        v = value.strip().lower()
        if v not in allowed:
            raise BadValue(f"unknown {what} '{value}'", hint=hint)
        if v not in out:
            out.append(v)
    return tuple(out)


# --- reading and writing the table ---------------------------------------------------------


def read_searches(extra: dict[str, Any]) -> list[SavedSearch]:
    """The watchlist's saved searches; a WatchlistError naming the search and key for
    anything that cannot be read."""
    raw = extra.get(TABLE)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(f"'{TABLE}' should be a list of tables ([[{TABLE}]])")
    out: list[SavedSearch] = []
    names: set[str] = set()
    for n, item in enumerate(raw, 1):
        where = f"[[{TABLE}]] number {n}"
        if not isinstance(item, dict):
            raise _bad(f"{where} is not a table")
        try:
            search = _read(item, where)
        except BadValue as exc:
            raise _bad(f"{where}: {exc.message}") from None
        if search.name.casefold() in names:
            raise _bad(f"{where}: a second search named '{search.name}'")
        names.add(search.name.casefold())
        out.append(search)
    return out


def _read(item: dict[str, Any], where: str) -> SavedSearch:
    name = check_name(_text(item, "name") or "")
    seen_raw = item.get("seen")
    seen = None if seen_raw is None else tuple(_texts(item, "seen"))
    new = tuple(_found(name, f, where) for f in _tables(item, "new"))
    count = item.get("count")
    return SavedSearch(
        name=name,
        text=(_text(item, "text") or "***").strip() or "***",
        statuses=check_statuses(_texts(item, "status")),
        programmes=tuple(_texts(item, "programme")),
        kinds=check_kinds(_texts(item, "kind")),
        closing_within=_duration(item, "closing_within"),
        opening_within=_duration(item, "opening_within"),
        last_run=_utc(item.get("last_run")),
        hits=count if isinstance(count, int) and not isinstance(count, bool) else None,
        too_broad=item.get("too_broad") is True,
        seen=seen,
        recorded_for=_text(item, "recorded_for"),
        new=new,
        extra={k: v for k, v in item.items() if k not in _DEFINITION + _STATE},
    )


def _found(search: str, item: dict[str, Any], where: str) -> Found:
    identifier = _text(item, "identifier")
    found = _utc(item.get("found"))
    if not identifier or found is None:
        raise BadValue("a new topic needs an identifier and the time it was found")
    zone = _text(item, "timezone") or "Europe/Brussels"
    deadlines = []
    for value in item.get("deadlines") or []:
        if not isinstance(value, date):
            raise BadValue(f"{identifier}: deadlines holds {value!r}, not a date-time")
        deadlines.append(Deadline(value, zone))
    opens = item.get("opens")
    return Found(
        search=search,
        identifier=identifier,
        title=_text(item, "title") or "",
        kind=_text(item, "kind") or "topic",
        opens=opens if isinstance(opens, date) and not isinstance(opens, datetime) else None,
        deadlines=tuple(deadlines),
        url=_text(item, "url"),
        programme=_text(item, "programme"),
        found=found,
        extra={k: v for k, v in item.items() if k not in _FOUND} or None,
    )


def searches_table(searches: Sequence[SavedSearch]) -> list[dict[str, Any]]:
    """The ``[[searches]]`` array of tables for the watchlist; defaults left out."""
    return [_table(s) for s in searches]


def _table(s: SavedSearch) -> dict[str, Any]:
    t: dict[str, Any] = {"name": s.name, "text": s.text}
    if s.statuses != DEFAULT_STATUSES:
        t["status"] = list(s.statuses)
    if s.programmes:
        t["programme"] = list(s.programmes)
    if s.kinds != DEFAULT_KINDS:
        t["kind"] = list(s.kinds)
    if s.closing_within is not None:
        t["closing_within"] = str(s.closing_within)
    if s.opening_within is not None:
        t["opening_within"] = str(s.opening_within)
    t.update(s.extra or {})
    if s.last_run is not None:
        t["last_run"] = s.last_run
    if s.hits is not None:
        t["count"] = s.hits
    if s.too_broad:
        t["too_broad"] = True
    if s.recorded_for is not None:
        t["recorded_for"] = s.recorded_for
    if s.seen is not None:
        t["seen"] = list(s.seen)
    if s.new:
        t["new"] = [_found_table(f) for f in s.new]
    return t


def _found_table(f: Found) -> dict[str, Any]:
    t: dict[str, Any] = {"identifier": f.identifier, "title": f.title, "kind": f.kind}
    if f.programme:
        t["programme"] = f.programme
    if f.opens is not None:
        t["opens"] = f.opens
    if f.deadlines:
        t["timezone"] = f.deadlines[0].timezone
        t["deadlines"] = [d.at for d in f.deadlines]
    if f.url:
        t["url"] = f.url
    t["found"] = f.found
    t.update(f.extra or {})
    return t


def find(searches: Sequence[SavedSearch], name: str) -> SavedSearch | None:
    key = " ".join(name.split()).casefold()
    return next((s for s in searches if s.name.casefold() == key), None)


def drop(extra: dict[str, Any], name: str) -> str | None:
    """Takes the search ``name`` out of the watchlist's ``[[searches]]`` as written, even
    when a search there cannot be read (so that a broken one can be removed); its name,
    or None when no table has that name. The other tables are left as they are."""
    raw = extra.get(TABLE)
    if not isinstance(raw, list):
        return None
    key = " ".join(name.split()).casefold()
    for item in raw:
        given = item.get("name") if isinstance(item, dict) else None
        if isinstance(given, str) and " ".join(given.split()).casefold() == key:
            rest = [t for t in raw if t is not item]
            if rest:
                extra[TABLE] = rest
            else:
                del extra[TABLE]
            return " ".join(given.split())
    return None


# --- what sync records, and what remind shows -------------------------------------------------


def recorded(
    search: SavedSearch,
    matched: Sequence[Found],
    watched: Iterable[str],
    now: datetime,
) -> tuple[SavedSearch, list[Found]]:
    """``search`` after a run that matched ``matched`` (each as a Found of this run), and
    the topics new to it: never seen by it before, and not on the watchlist.

    The first run (nothing seen yet, or the search edited since) records without
    reporting anything as new; an edited search forgets what it had seen.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    mine = {w.casefold() for w in watched}
    first = search.fresh_start
    if first:
        search = search._replace(seen=None)
    before = {i.casefold() for i in search.seen or ()}
    fresh: list[Found] = []
    if not first:
        for f in matched:
            key = f.identifier.casefold()
            if key not in before and key not in mine:
                fresh.append(f._replace(search=search.name, found=now))
                before.add(key)
    seen = list(search.seen or ())
    known = {i.casefold() for i in seen}
    for f in matched:
        if f.identifier.casefold() not in known:
            seen.append(f.identifier)
            known.add(f.identifier.casefold())
    kept = [f for f in search.new if f.found >= now - KEEP_NEW]
    updated = search._replace(
        last_run=now,
        hits=len(matched),
        too_broad=False,
        seen=tuple(seen[-MAX_SEEN:]),
        recorded_for=search.fingerprint,
        new=(*kept, *fresh),
    )
    return updated, fresh


def too_broad(search: SavedSearch, count: int, now: datetime) -> SavedSearch:
    """``search`` after a run the portal had too many results for: nothing recorded."""
    now = now.astimezone(UTC).replace(microsecond=0)
    kept = tuple(f for f in search.new if f.found >= now - KEEP_NEW)
    return search._replace(last_run=now, hits=count, too_broad=True, new=kept)


def recent(
    searches: Sequence[SavedSearch], calls: Iterable[Call], clock: Clock, within: Duration
) -> list[Found]:
    """The topics found new at syncs within ``within`` before now, less those on the
    watchlist now; newest sync first, then by search and identifier. A topic several
    searches found is there once, as the newest found it, ``search`` naming them all
    (``"a, b"``)."""
    since = within.before(clock.now).astimezone(UTC)
    watched = {c.identifier.casefold() for c in calls if c.identifier}
    found = [
        f
        for s in searches
        for f in s.new
        if f.found >= since and f.identifier.casefold() not in watched
    ]
    found.sort(key=lambda f: (-f.found.timestamp(), f.search.casefold(), f.identifier))
    first: dict[str, Found] = {}
    names: dict[str, list[str]] = {}
    for f in found:
        first.setdefault(f.identifier.casefold(), f)
        names.setdefault(f.identifier.casefold(), []).append(f.search)
    return [f._replace(search=", ".join(names[key])) for key, f in first.items()]


# --- small readers ------------------------------------------------------------------------------


def _bad(message: str) -> WatchlistError:
    return WatchlistError(
        f"the watchlist's saved searches: {message}",
        hint="fix it by hand, or remove the search: fundwatch searches remove NAME",
    )


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadValue(f"{key} should be text, not {value!r}")
    return value


def _texts(item: dict[str, Any], key: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for v in items:
        if not isinstance(v, str):
            raise BadValue(f"{key} should be text or a list of text, not {v!r}")
    return [v for v in items if v.strip()]


def _tables(item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadValue(f"{key} should be a list of tables")
    return value


def _duration(item: dict[str, Any], key: str) -> Duration | None:
    text = _text(item, key)
    if text is None or not text.strip():
        return None
    try:
        return parse_duration(text)
    except BadValue as exc:
        raise BadValue(f"{key}: {exc.message}") from None


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
