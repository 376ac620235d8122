"""`fundwatch import`: calls from a spreadsheet, a calendar or another watchlist, merged.

Reading a source gives ``Incoming`` calls (import_csv, import_ics and the JSON and
TOML readers below); ``merge`` matches each to a call already on the watchlist (same
identifier, else same calendar UID or id, else same title and first deadline) and
updates it, or adds it. A merge never takes away what is the user's own: the state
of a call already watched, its notes, its tags (new ones are added), deadlines with
a label of the user's (as sync keeps them) and deadlines that have passed.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

from fundwatch.errors import BadValue, FundwatchError
from fundwatch.model import (
    ID_PATTERN,
    STATES,
    Call,
    Deadline,
    slugify,
    sort_deadlines,
    unique_id,
)
from fundwatch.timeutil import Clock, When, parse_when, restate, zone

FORMATS = ("ics", "csv", "json", "toml")
MAX_BYTES = 50 * 1024 * 1024
EXTENSIONS = {
    ".ics": "ics", ".ical": "ics", ".ifb": "ics", ".icalendar": "ics",
    ".csv": "csv", ".tsv": "csv", ".tab": "csv",
    ".json": "json",
    ".toml": "toml",
}  # fmt: skip
CONTENT_TYPES = {
    "text/calendar": "ics",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/json": "json",
    "application/toml": "toml",
}


class Incoming(NamedTuple):
    """A call read from a source, before it is matched to the watchlist.

    ``explicit_id``: the source named the id (a watchlist, our JSON, our calendar),
    so that it may match; an id made from the title never does. ``uid``: the calendar
    event's UID, kept in the call (``uid = ...``) so that a second import matches.
    ``where``: the place in the source, for messages ("row 7").
    """

    call: Call
    explicit_id: bool = False
    uid: str | None = None
    where: str = ""


class Gathered:
    """Incoming calls in source order, the pieces of one call joined: rows of a CSV with
    one identifier, rows of `upcoming --format json` of one call, events of our own
    calendar export of one call (each piece adds its deadlines and tags)."""

    def __init__(self) -> None:
        self.calls: list[Incoming] = []
        self._at: dict[str, int] = {}

    def add(self, new: Incoming, key: str | None = None) -> None:
        if key is None or key not in self._at:
            if key is not None:
                self._at[key] = len(self.calls)
            self.calls.append(new)
            return
        old = self.calls[self._at[key]]
        call, more = old.call, new.call
        tags = (*call.tags, *(t for t in more.tags if t not in call.tags))
        both = sort_deadlines([*call.deadlines, *more.deadlines])
        self.calls[self._at[key]] = old._replace(call=call.replace(deadlines=both, tags=tags))


class Source(NamedTuple):
    name: str  # for messages: the file's name, the URL's host, "standard input"
    data: bytes
    format: str


# --- reading the source ------------------------------------------------------------------


def read_source(source: str, fmt: str | None, timeout: float) -> Source:
    """The bytes of a path, an http(s) URL or ``-`` (standard input), and their format."""
    import sys

    kind = None
    if source == "-":
        name, data = "standard input", sys.stdin.buffer.read(MAX_BYTES + 1)
    elif source.lower().startswith(("http://", "https://", "webcal://")):
        name, data, kind = _fetch(source, timeout)
    else:
        name, data = Path(source).name, _read_file(Path(source))
    if len(data) > MAX_BYTES:
        raise FundwatchError(f"{name} is larger than {MAX_BYTES // 2**20} MiB")
    if fmt is None:
        fmt = _format_of(source if source != "-" else "", kind, data, name)
    return Source(name, data, fmt)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FundwatchError(f"no file {path}") from None
    except IsADirectoryError:
        raise FundwatchError(f"{path} is a folder, not a file to import") from None
    except OSError as exc:
        raise FundwatchError(f"cannot read {path}: {exc.strerror}") from None


def _fetch(url: str, timeout: float) -> tuple[str, bytes, str | None]:
    """GET ``url`` (webcal:// is https://); errors name the host only, as URLs of
    private calendar feeds carry a secret."""
    import httpx

    from fundwatch import net

    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    net.check_url(url, "import URL")
    line = net.Progress(f"Fetching from {net.host(url)}…", enabled=True)
    try:
        # a URL that moves is followed: calendar feeds do
        with (
            net.client(timeout=timeout) as http,
            http.stream("GET", url, follow_redirects=True) as response,
        ):
            # what a server says may quote the URL it was asked, the last of a redirect
            seen = [url, *(str(r.url) for r in response.history), str(response.url)]
            if response.status_code >= 300:
                response.read()
                message = net.failure(response, url).message
                for each in seen:
                    message = net.redact(message, each)
                raise FundwatchError(message, hint="check the URL") from None
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BYTES:
                    break
    except httpx.HTTPError as exc:
        raise net.failure(exc, url) from None
    finally:
        line.close()
    data = b"".join(chunks)
    if kind in ("text/html", "application/xhtml+xml") or data.lstrip()[:14].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        raise FundwatchError(
            f"server at {net.host(url)} answered a web page, not a file to import",
            hint="a login page? use the calendar's or the file's own address (its export link)",
        )
    return net.host(url), data, kind or None


def _format_of(path: str, content_type: str | None, data: bytes, name: str) -> str:
    """From the extension, else the content type, else the content itself."""
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(path).path if "://" in path else path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if content_type in CONTENT_TYPES:
        return CONTENT_TYPES[content_type]
    _check_text(data, name)  # the whole is decoded once, when it is read
    head = data[:8192].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if head.upper().startswith("BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(("[", "{")):
        return "json"
    first = head.split("\n", 1)[0].strip()
    if first.startswith("[") or (
        "=" in first and first.split("=", 1)[0].strip().replace("_", "").isalnum()
    ):
        return "toml"
    return "csv"


def _check_text(data: bytes, name: str) -> None:
    """A workbook or a binary file is an error; UTF-16 (with its BOM) is text."""
    if data.startswith(b"PK\x03\x04"):
        raise FundwatchError(
            f"{name} is a spreadsheet workbook (.xlsx or .ods), not text",
            hint="save it as CSV from your spreadsheet (File > Save as > CSV), then import that",
        )
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FundwatchError(f"{name} is not a text file", hint="import a CSV, ICS, JSON or TOML")


def decode(data: bytes, name: str) -> str:
    """Text from bytes as spreadsheets and calendars save it: UTF-8 (with or without a
    BOM), UTF-16 with a BOM (Excel's "Unicode text"), else Windows-1252 (Excel's
    "CSV" on a European Windows). A binary file is an error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    _check_text(data, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FundwatchError(
            f"{name} is neither UTF-8 nor Windows-1252 text", hint="save it as UTF-8"
        ) from None


def read_calls(
    source: Source,
    clock: Clock,
    default_tz: str,
    default_time: time | None,
    mapping: Sequence[str] = (),
) -> list[Incoming]:
    """The calls of a source, in its order; an error names the place that is wrong."""
    if mapping and source.format != "csv":
        raise BadValue("--map applies to CSV files only")
    text = decode(source.data, source.name)
    if source.format == "csv":
        from fundwatch.import_csv import read_csv

        calls = read_csv(text, source.name, default_tz, default_time, mapping)
    elif source.format == "ics":
        from fundwatch.import_ics import read_ics

        calls = read_ics(text, source.name, clock, default_tz)
    elif source.format == "json":
        calls = read_json(text, source.name, default_tz)
    elif source.format == "toml":
        calls = read_toml(text, source.name)
    else:
        raise BadValue(f"unknown format '{source.format}'", hint="one of " + ", ".join(FORMATS))
    if not calls:
        raise FundwatchError(f"{source.name} holds no calls")
    return calls


# --- JSON and TOML -----------------------------------------------------------------------


def read_json(text: str, name: str, default_tz: str) -> list[Incoming]:
    """Calls as `list --format json` writes them (or rows of `upcoming --format json`,
    grouped by call), or an object with such a list under ``calls``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FundwatchError(
            f"{name} line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("calls"), list):
        data = data["calls"]
    if not isinstance(data, list):
        raise FundwatchError(
            f"{name}: expected a list of calls, as `fundwatch list --format json` writes",
        )
    calls = Gathered()
    for n, item in enumerate(data, 1):
        where = f"{name} item {n}"
        if not isinstance(item, dict):
            raise FundwatchError(f"{where}: expected an object with a title and deadlines")
        if "call_id" in item and "deadlines" not in item:  # a row of one call's deadline
            incoming = _json_row(item, where, default_tz)
            calls.add(incoming, key=incoming.call.id)
        else:
            calls.add(_json_call(item, where, default_tz))
    return calls.calls


def _text(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FundwatchError(f"{where}: '{key}' must be text, not {json.dumps(value)}")
    return value


def _json_when(value: Any, tz: str, where: str) -> When:
    if not isinstance(value, str):
        raise FundwatchError(f"{where}: expected a date as text, not {json.dumps(value)}")
    try:
        return parse_when(value, tz)
    except BadValue as exc:
        raise FundwatchError(f"{where}: {exc.message}", exc.hint) from None


def _json_zone(item: dict[str, Any], where: str, default_tz: str) -> str:
    tz = _text(item, "timezone", where) or default_tz
    try:
        zone(tz)
    except BadValue as exc:
        raise FundwatchError(f"{where}: {exc.message}", exc.hint) from None
    return tz


def _json_call(item: dict[str, Any], where: str, default_tz: str) -> Incoming:
    title = _text(item, "title", where)
    if not title or not title.strip():
        raise FundwatchError(f"{where}: no title")
    tz = _json_zone(item, where, default_tz)
    raw = item.get("deadlines")
    if raw is None and item.get("deadline") is not None:
        raw = [item["deadline"]]
    if not isinstance(raw, list) or not raw:
        raise FundwatchError(f"{where}: no deadlines", hint='give "deadlines": [{"at": ...}]')
    deadlines = []
    for k, d in enumerate(raw, 1):
        here = f"{where}, deadline {k}"
        if isinstance(d, str):
            d = {"at": d}
        if not isinstance(d, dict) or "at" not in d:
            raise FundwatchError(f'{here}: expected {{"at": ..., "label": ...}}')
        d_tz = _json_zone(d, here, tz)
        deadlines.append(Deadline(_json_when(d["at"], d_tz, here), d_tz, _text(d, "label", here)))
    tags = item.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.replace(";", ",").split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FundwatchError(f"{where}: 'tags' must be a list of text")
    state = _text(item, "state", where) or "watching"
    if state not in STATES:
        raise FundwatchError(
            f"{where}: unknown state '{state}'", hint="one of " + ", ".join(STATES)
        )
    budget = item.get("budget")
    if isinstance(budget, bool) or not isinstance(budget, int | float | str | None):
        raise FundwatchError(f"{where}: 'budget' must be a number or text")
    opens = item.get("opens")
    call_id = _text(item, "id", where)
    call = Call(
        id=call_id or slugify(title),
        title=title,
        deadlines=sort_deadlines(deadlines),
        programme=_text(item, "programme", where),
        identifier=_text(item, "identifier", where),
        url=_text(item, "url", where),
        opens=_json_when(opens, tz, f"{where}, opens") if opens else None,
        timezone=tz,
        tags=tuple(t for t in tags if t),
        budget=budget if budget != "" else None,
        notes=_text(item, "notes", where),
        state=state,
    )
    return Incoming(call, explicit_id=_valid_id(call_id), where=where)


def _json_row(item: dict[str, Any], where: str, default_tz: str) -> Incoming:
    """A row of `upcoming --format json`: one deadline of a call."""
    merged = dict(item, id=item.get("call_id"), deadlines=[{"at": item.get("at")}])
    if item.get("label"):
        merged["deadlines"][0]["label"] = item["label"]
    return _json_call(merged, where, default_tz)


def _valid_id(call_id: str | None) -> bool:
    return call_id is not None and ID_PATTERN.fullmatch(call_id) is not None


def read_toml(text: str, name: str) -> list[Incoming]:
    """Another person's watchlist, read and checked as fundwatch reads its own."""
    from fundwatch import store

    watchlist, problems = store.parse(text, Path(name))
    if problems:
        more = len(problems) - 1
        hint = f"and {more} more problem{'s' * (more > 1)}" if more else None
        raise FundwatchError(problems[0].render(Path(name)), hint)
    return [
        Incoming(
            c.replace(sequence=0, modified=None, fingerprint=None),
            explicit_id=True,
            uid=c.extra.get("uid") if isinstance(c.extra.get("uid"), str) else None,
            where=f"{name}: call '{c.id}'",
        )
        for c in watchlist.calls
    ]


# --- merging -------------------------------------------------------------------------------


class Outcome(NamedTuple):
    kind: str  # "added", "updated" or "unchanged"
    call: Call
    texts: tuple[str, ...] = ()

    def line(self, dry_run: bool) -> str:
        verb = {"added": "would add", "updated": "would update"} if dry_run else {}
        head = f"{verb.get(self.kind, self.kind)} {self.call.id}"
        if self.kind == "added":
            n = len(self.call.deadlines)
            return f"{head}: {self.call.title} ({n} deadline{'s' * (n != 1)})"
        return f"{head}: {'; '.join(self.texts)}"


def _title_key(call: Call) -> tuple[str, datetime | date | None]:
    first = call.deadlines[0].instant if call.deadlines else None
    return " ".join(call.title.casefold().split()), first


class _Index:
    """Where to find a call on the watchlist by each of the keys an import matches on."""

    def __init__(self, calls: Iterable[Call]) -> None:
        self.by_identifier: dict[str, Call] = {}
        self.by_uid: dict[str, Call] = {}
        self.by_id: dict[str, Call] = {}
        self.by_title: dict[tuple[str, Any], Call] = {}
        for call in calls:
            self.add(call)

    def add(self, call: Call) -> None:
        if call.identifier:
            self.by_identifier.setdefault(call.identifier, call)
        uid = call.extra.get("uid")
        if isinstance(uid, str):
            self.by_uid.setdefault(uid, call)
        self.by_id[call.id] = call
        self.by_title.setdefault(_title_key(call), call)

    def match(self, new: Incoming) -> Call | None:
        call = new.call
        if call.identifier and call.identifier in self.by_identifier:
            return self.by_identifier[call.identifier]
        if new.uid and new.uid in self.by_uid:
            return self.by_uid[new.uid]
        if new.explicit_id and call.id in self.by_id:
            found = self.by_id[call.id]
            if not _told_apart(found, new):
                return found
        by_title = self.by_title.get(_title_key(call))
        return by_title if by_title is not None and not _told_apart(by_title, new) else None


def _told_apart(call: Call, new: Incoming) -> bool:
    """Two calls that both have an identifier, or both a calendar UID, and differ in it,
    are two calls, whatever their titles and ids say."""
    uid = call.extra.get("uid")
    if call.identifier and new.call.identifier and call.identifier != new.call.identifier:
        return True
    return isinstance(uid, str) and new.uid is not None and uid != new.uid


def merge(
    calls: list[Call], incoming: Sequence[Incoming], clock: Clock
) -> tuple[list[Call], list[Outcome]]:
    """The watchlist's calls with ``incoming`` merged in, and what happened to each."""
    from fundwatch.changes import restamp

    result = list(calls)
    place = {c.id: i for i, c in enumerate(result)}  # also the ids taken
    index = _Index(result)
    outcomes: list[Outcome] = []
    for new in incoming:
        found = index.match(new)
        if found is None:
            call = _new_call(new, place.keys(), clock)
            place[call.id] = len(result)
            result.append(call)
            index.add(call)
            outcomes.append(Outcome("added", call))
            continue
        current = result[place[found.id]]
        updated, texts = updated_call(current, new, clock)
        if texts:
            updated = restamp(updated, clock.now)
            result[place[found.id]] = updated
            index.add(updated)
            outcomes.append(Outcome("updated", updated, tuple(texts)))
        else:
            outcomes.append(Outcome("unchanged", current))
    return result, outcomes


def _new_call(new: Incoming, taken: Container[str], clock: Clock) -> Call:
    from fundwatch.changes import restamp

    call = new.call
    base = call.id if new.explicit_id else slugify(call.title)
    extra = dict(call.extra)
    if new.uid:
        extra["uid"] = new.uid
    call = call.replace(id=unique_id(base, taken), extra=extra)
    return restamp(call, clock.now)


def updated_call(old: Call, new: Incoming, clock: Clock) -> tuple[Call, list[str]]:
    """``old`` with what ``new`` says of it, and the changes in words (none: the same).

    The source describes the call (title, programme, identifier, link, opening,
    budget, deadlines); the user's own fields stay: state, notes (filled only where
    there were none), tags (the source's are added), the time zone.
    """
    from fundwatch.sync import _opening_text

    inc = new.call
    texts: list[str] = []
    changes: dict[str, Any] = {}
    if inc.title != old.title:
        texts.append(f"title changed from '{old.title}' to '{inc.title}'")
        changes["title"] = inc.title
    for key in ("programme", "identifier", "url", "budget"):
        value = getattr(inc, key)
        if value is not None and value != getattr(old, key):
            was = getattr(old, key)
            texts.append(f"{key} {'changed' if was is not None else 'added'}")
            changes[key] = value
    if inc.opens is not None:
        opens = restate(inc.opens, inc.timezone, old.timezone)
        if opens != old.opens:
            texts.append(_opening_text(old.opens, opens))
            changes["opens"] = opens
    added = [t for t in inc.tags if t not in old.tags]
    if added:
        texts.append("tags added: " + ", ".join(added))
        changes["tags"] = (*old.tags, *added)
    if inc.notes and not old.notes:
        texts.append("notes added")
        changes["notes"] = inc.notes
    deadlines, said = _merged_deadlines(old, inc, clock)
    if said:
        texts += said
        changes["deadlines"] = deadlines
    return (old.replace(**changes) if changes else old), texts


def _merged_deadlines(old: Call, inc: Call, clock: Clock) -> tuple[tuple[Deadline, ...], list[str]]:
    """The source's deadlines in place of the old ones, in the old call's zone; kept:
    the user's own labelled deadlines the source does not name, and passed ones the
    source no longer lists (a feed that shows only what is to come, say)."""
    from fundwatch.sync import _deadline_changes, is_portal_deadline

    exact = {(d.instant, d.label): d for d in old.deadlines}
    by_instant: dict[Any, Deadline] = {}
    for d in old.deadlines:
        by_instant.setdefault(d.instant, d)
    theirs: list[Deadline] = []
    for d in inc.deadlines:
        tz = old.timezone if d.timezone == inc.timezone else d.timezone
        mine = exact.get((d.instant, d.label))
        if mine is None and d.label is None:  # a source without labels keeps ours
            mine = by_instant.get(d.instant)
        if mine is not None:  # the same moment: as the watchlist writes it
            theirs.append(mine)
        else:
            theirs.append(Deadline(restate(d.at, d.timezone, tz), tz, d.label, d.extra))
    theirs_list = list(sort_deadlines(theirs))
    instants = {d.instant for d in theirs_list}
    labels = {d.label for d in theirs_list if d.label}

    def own(d: Deadline) -> bool:
        """A label of the user's: any, on a call the portal does not know; else one
        that is not the portal's ("Stage n", "Cut-off n")."""
        return bool(d.label) and (not old.identifier or not is_portal_deadline(d))

    kept = [
        d
        for d in old.deadlines
        if d.instant not in instants and ((own(d) and d.label not in labels) or d.passed(clock))
    ]
    merged = sort_deadlines([*theirs_list, *kept])
    if list(merged) == list(old.deadlines):
        return old.deadlines, []
    compared = [d for d in old.deadlines if d not in kept]
    return merged, _deadline_changes(compared, theirs_list) or ["deadlines changed"]
