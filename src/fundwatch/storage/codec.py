"""The watchlist's TOML: text to calls and back, every call validated with its line.

Unknown keys are kept; a hand-written single deadline is one line.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from fundwatch.domain.errors import BadValue, NotFound, WatchlistError
from fundwatch.domain.model import ID_PATTERN, Call, Deadline, slugify, unique_id
from fundwatch.domain.timeutil import When, localize

FORMAT_VERSION = 1
LOCK_TIMEOUT = 30.0
CALL_KEYS = (
    "id",
    "title",
    "programme",
    "identifier",
    "url",
    "state",
    "tags",
    "budget",
    "opens",
    "timezone",
    "deadline",
    "deadlines",
    "notes",
    "calendar",
)


class Watchlist:
    """The file's content: its calls in file order plus any top-level keys we do not know."""

    def __init__(
        self,
        calls: list[Call] | None = None,
        version: int = FORMAT_VERSION,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.calls = calls if calls is not None else []
        self.version = version
        self.extra = extra if extra is not None else {}

    def calls_between(self, start: datetime, end: datetime) -> list[Call]:
        """Calls that may have a deadline between two instants (a superset is fine)."""
        return self.calls

    def ids(self) -> set[str]:
        """The ids in use, and the UID stems that calls renamed by `edit --id` keep (a new
        call by such an id would give its events the same UIDs)."""
        return {c.id for c in self.calls} | {c.uid for c in self.calls if c.uid}

    def get(self, call_id: str) -> Call:
        for call in self.calls:
            if call.id == call_id:
                return call
        raise NotFound(f"no call with id '{call_id}'", hint="`fundwatch list` shows the ids")

    def find(self, key: str) -> Call:
        """The call ``key`` names: its id or its official identifier (any case), or the
        start of one id alone (``eic-acc`` for ``eic-accelerator-2027``)."""
        key = key.strip()
        for call in self.calls:
            if call.id == key:
                return call
        folded = key.casefold()
        # `LAB` is lab, not lab2; an id and another call's identifier alike: both are told
        found = [
            c for c in self.calls
            if c.id.casefold() == folded or (c.identifier or "").casefold() == folded
        ]  # fmt: skip
        if not found and folded:
            found = [c for c in self.calls if c.id.casefold().startswith(folded)]
        if len(found) == 1:
            return found[0]
        if not found:
            return self.get(key)  # says there is none
        shown = ", ".join(c.id for c in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise NotFound(
            f"'{key}' could be any of {len(found)} calls: {shown}{more}",
            hint="give more of the id",
        )

    def put(self, call: Call, old_id: str | None = None) -> None:
        """Replace the call ``old_id`` (default: same id) or append a new one."""
        key = old_id or call.id
        for i, existing in enumerate(self.calls):
            if existing.id == key:
                self.calls[i] = call
                return
        self.calls.append(call)

    def remove(self, call_id: str) -> Call:
        call = self.get(call_id)
        self.calls.remove(call)
        return call


class Problem(NamedTuple):
    line: int | None
    message: str
    hint: str | None = None

    def render(self, path: Path) -> str:
        where = f"{path} line {self.line}" if self.line else str(path)
        text = f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


# --- reading -----------------------------------------------------------------------------


def toml_error(path: Path, exc: ValueError, source: str = "") -> WatchlistError:
    """``calls.toml line 14: invalid date or datetime`` from tomllib's message."""
    text = str(exc)
    found = re.search(r"\s*\(at (?:line (\d+), column \d+|end of document)\)", text)
    if not found:
        return WatchlistError(f"{path}: {text}")
    line = found[1] or source.rstrip("\n").count("\n") + 1
    text = text[: found.start()] + text[found.end() :]
    return WatchlistError(f"{path} line {line}: {text[:1].lower() + text[1:]}")


def parse(text: str, path: Path) -> tuple[Watchlist, list[Problem]]:
    """Parse and validate watchlist text; every problem is returned with its line."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except RecursionError:
        return Watchlist(), [Problem(None, "lists or tables nested too deeply")]
    except tomllib.TOMLDecodeError as exc:
        err = toml_error(path, exc, text)
        m = re.match(rf"{re.escape(str(path))} line (\d+): (.*)", err.message)
        return Watchlist(), [Problem(int(m[1]), m[2]) if m else Problem(None, err.message)]
    except ValueError:  # int() of a number of over 4,300 digits (tomllib lets it through)
        return Watchlist(), [Problem(None, "a number of more than 4,300 digits")]
    return _Reader(text).read(data)


class _Taken:
    """The ids in any of ``parts``, without copying them into one set for each call."""

    def __init__(self, *parts: Container[str]) -> None:
        self.parts = parts

    def __contains__(self, value: object) -> bool:
        return any(value in part for part in self.parts)


class _Reader:
    """Turns parsed TOML into calls, collecting problems with the line they sit on."""

    _HEADER = re.compile(r"\s*\[\[\s*calls\s*\]\]")
    _KEY = re.compile(r"""\s*(["']?)([A-Za-z0-9_-]+)\1\s*=""")

    def __init__(self, text: str) -> None:
        self.text = text
        self.problems: list[Problem] = []
        self._places: list[tuple[int, dict[str, int]]] | None = None
        self._top: dict[str, int] = {}
        self.explicit: set[str] = set()
        self.counters: dict[str, int] = {}  # unique_id's, so that ids cost linear time

    def line(self, index: int | None, key: str | None = None) -> int | None:
        """Line of call ``index`` (its ``key`` if found), or of a top-level ``key``."""
        if self._places is None:
            self._places = []
            current: dict[str, int] | None = None
            quote: str | None = None  # inside a multi-line string opened by this
            for n, line in enumerate(self.text.splitlines(), 1):
                if quote is not None:
                    if line.count(quote) % 2:
                        quote = None
                    continue
                for q in ('"""', "'''"):
                    if line.count(q) % 2:
                        quote = q
                if self._HEADER.match(line):
                    current = {}
                    self._places.append((n, current))
                elif line.lstrip().startswith("["):
                    current = None
                elif (m := self._KEY.match(line)) is not None:
                    # top-level keys come before the first [[calls]]; subtables are skipped
                    target = current if current is not None else None if self._places else self._top
                    if target is not None:
                        target.setdefault(m[2], n)
        if index is None:
            return self._top.get(key or "")
        if index < len(self._places):
            start, keys = self._places[index]
            return keys.get(key or "", start)
        return self._top.get("calls")

    def problem(
        self, index: int | None, key: str | None, message: str, hint: str | None = None
    ) -> None:
        self.problems.append(Problem(self.line(index, key), message, hint))

    def read(self, data: dict[str, Any]) -> tuple[Watchlist, list[Problem]]:
        version = data.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            self.problem(None, "version", f"version must be a whole number, not {version!r}")
            version = FORMAT_VERSION
        elif version > FORMAT_VERSION:
            self.problem(
                None,
                "version",
                f"this watchlist has format version {version}, newer than this fundwatch reads",
                hint="upgrade fundwatch",
            )
        raw_calls = data.get("calls", [])
        if not isinstance(raw_calls, list):
            self.problem(None, "calls", "'calls' must be an array of tables ([[calls]])")
            raw_calls = []
        extra = {k: v for k, v in data.items() if k not in ("version", "calls")}
        calls: list[Call] = []
        seen: dict[str, int] = {}
        # ids derived from titles must not take an id written further down
        self.explicit = {
            r["id"] for r in raw_calls if isinstance(r, dict) and isinstance(r.get("id"), str)
        }
        for index, raw in enumerate(raw_calls):
            if not isinstance(raw, dict):
                self.problem(index, None, f"call {index + 1} is not a table")
                continue
            call = self.call(index, raw, seen)
            if isinstance(raw.get("id"), str):
                seen.setdefault(raw["id"], index)
            if call is not None:
                seen.setdefault(call.id, index)
                calls.append(call)
        problems = sorted(self.problems, key=lambda p: p.line or 0)
        return Watchlist(calls, version, extra), problems

    def call(self, index: int, raw: dict[str, Any], seen: dict[str, int]) -> Call | None:
        """One [[calls]] table, checked by the rules of domain.fields."""
        # imported here: a watchlist read from the cache (`upcoming`) needs no rules
        from fundwatch.domain.fields import check_id, read_call

        before = len(self.problems)
        call_id = raw.get("id")
        name = f"call '{call_id}'" if isinstance(call_id, str) else f"call {index + 1}"
        if call_id is None:
            title = raw.get("title")
            base = slugify(title) if isinstance(title, str) else "call"
            call_id = unique_id(base, _Taken(seen, self.explicit), self.counters)
            name = f"call '{call_id}'"
        else:
            try:
                check_id(call_id)
            except BadValue as exc:
                self.problem(index, "id", f"{name}: {exc.message}", exc.hint)
                call_id = f"#{index + 1}"
            else:
                if call_id in seen:
                    self.problem(
                        index, "id", f"id '{call_id}' is used twice", hint="ids must be unique"
                    )
        if "deadline" in raw and "deadlines" in raw:
            self.problem(
                index,
                "deadlines",
                f"{name}: has both 'deadline' and 'deadlines'",
                hint="keep one of them",
            )
        book = raw.get("calendar", {})
        sequence, modified, fingerprint = None, None, None
        if isinstance(book, dict):
            sequence, modified = book.get("sequence", 0), book.get("modified")
        if (
            not isinstance(book, dict)
            or not isinstance(sequence, int)
            or isinstance(sequence, bool)
            or sequence < 0
            or (modified is not None and not isinstance(modified, datetime))
        ):
            self.problem(
                index, "calendar", f"{name}: calendar must be {{ sequence = N, modified = ... }}",
                hint="fundwatch writes this table itself; delete it to start again",
            )  # fmt: skip
            return None
        if modified is not None:
            modified = modified.astimezone(UTC) if modified.tzinfo else modified.replace(tzinfo=UTC)
        if isinstance(book.get("fingerprint"), str):
            fingerprint = book["fingerprint"]
        stem = book.get("uid")
        if stem is not None and (not isinstance(stem, str) or not ID_PATTERN.fullmatch(stem)):
            self.problem(
                index, "calendar", f"{name}: calendar uid must be an id such as 'eic-2025'",
                hint="fundwatch writes this table itself; delete the line to start again",
            )  # fmt: skip
            return None
        fields = {k: raw.get(k) for k in CALL_KEYS if k not in ("deadline", "calendar")}
        fields["id"] = call_id if not call_id.startswith("#") else None  # told above
        fields["deadlines"] = raw["deadline"] if "deadline" in raw else raw.get("deadlines")
        call, problems = read_call(
            fields,
            keep_extra=True,
            web_only=False,  # a watchlist's odd link is a warning of `check`, not an error
            sequence=sequence,
            modified=modified,
            fingerprint=fingerprint,
            uid=stem if stem != call_id else None,
            extra={k: v for k, v in raw.items() if k not in CALL_KEYS},
        )
        for p in problems:
            key = (
                ("deadline" if "deadline" in raw else "deadlines")
                if p.field == "deadlines"
                else p.field
            )
            self.problem(index, key, f"{name}: {p.text()}", p.hint)
        if len(self.problems) > before:
            return None
        return call


def parse_or_raise(text: str, path: Path) -> Watchlist:
    watchlist, problems = parse(text, path)
    if problems:
        more = len(problems) - 1
        hint = f"{more} more problem{'s' * (more > 1)}: run `fundwatch check`" if more else None
        raise WatchlistError(problems[0].render(path), hint)
    return watchlist


def doubts(watchlist: Watchlist) -> list[str]:
    """Things that are valid but probably not meant: `check` prints them as warnings."""
    from fundwatch.domain.fields import url_problem

    notes = []
    owners: dict[str, str] = {}
    for call in watchlist.calls:
        if call.identifier:
            other = owners.setdefault(call.identifier, call.id)
            if other != call.id:
                notes.append(f"calls '{other}' and '{call.id}' share identifier {call.identifier}")
        if call.url and url_problem(call.url):
            notes.append(f"call '{call.id}': {url_problem(call.url)}")
        if call.opens is not None and call.deadlines:
            first = call.deadlines[0].at
            opens = call.opens
            if isinstance(first, datetime) != isinstance(opens, datetime):
                first = first.date() if isinstance(first, datetime) else first
                opens = opens.date() if isinstance(opens, datetime) else opens
            if first < opens:  # both dates or both date-times after the lines above
                notes.append(f"call '{call.id}': first deadline is before it opens")
    return notes


# --- writing -----------------------------------------------------------------------------


def dumps(watchlist: Watchlist) -> str:
    import tomli_w

    doc: dict[str, Any] = {"version": watchlist.version, **watchlist.extra}
    doc["calls"] = [call_to_dict(c) for c in watchlist.calls]
    if "calendar" in doc:  # the calendar bookkeeping (output.ledger) after the calls
        doc["calendar"] = doc.pop("calendar")
    return tomli_w.dumps(doc, multiline_strings=True)


def call_to_dict(call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {"id": call.id, "title": call.title}
    for key in ("programme", "identifier", "url"):
        if getattr(call, key):
            out[key] = getattr(call, key)
    out["state"] = call.state
    if call.tags:
        out["tags"] = list(call.tags)
    if call.budget is not None:
        out["budget"] = call.budget
    if call.opens is not None:
        out["opens"] = call.opens
    out["timezone"] = call.timezone
    ds = call.deadlines
    if not ds:
        pass  # no deadline yet (TBC)
    elif len(ds) == 1 and not ds[0].label and ds[0].timezone == call.timezone and not ds[0].extra:
        out["deadline"] = _written_at(ds[0])
    else:
        out["deadlines"] = [_deadline_to_dict(d, call.timezone) for d in ds]
    if call.notes:
        out["notes"] = call.notes
    book: dict[str, Any] = {}
    if call.sequence:
        book["sequence"] = call.sequence
    if call.modified is not None:
        book["modified"] = call.modified
    if call.fingerprint:
        book["fingerprint"] = call.fingerprint
    if call.uid and call.uid != call.id:
        book["uid"] = call.uid
    if book:
        out["calendar"] = book
    out.update(call.extra)
    return out


def _written_at(d: Deadline) -> When:
    """The deadline's local time as the file keeps it; in the hour that repeats when
    the clocks go back, the second one carries its offset (a plain local time reads
    back as the first)."""
    at = d.at
    if isinstance(at, datetime) and at.fold:
        first = localize(at.replace(fold=0), d.timezone)
        if localize(at, d.timezone).utcoffset() != first.utcoffset():
            return localize(at, d.timezone)
    return at


def _deadline_to_dict(d: Deadline, call_tz: str) -> dict[str, Any]:
    out: dict[str, Any] = {"at": _written_at(d)}
    if d.label:
        out["label"] = d.label
    if d.timezone != call_tz:
        out["timezone"] = d.timezone
    out.update(d.extra)
    return out
