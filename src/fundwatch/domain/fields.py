"""The rules of a call's fields, written once for every reader.

The watchlist file (storage.codec), `add` and `edit` (below), JSON and TOML import
(importers.reader), CSV (importers.csvfile), iCalendar (importers.icsfile) and the
portal (portal.topics) all check a call's fields here: each rule takes a value as a
source gives it (the text of a cell or an option, a TOML or JSON value) and returns
the field's value, or raises BadValue with the one wording of that mistake.
``read_call`` applies every rule to one call and returns all its problems, each with
the field (and deadline) it is in, so that a reader only adds where it was:
``calls.toml line 14: …``, ``calls.csv row 7, column C (Deadline): …``,
``calls.json item 3: …``, ``--state: …``.

A deadline that is empty or ``TBC``/``TBD``/``to be confirmed`` (any case) is no
deadline: a call may have none yet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple

from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import (
    ID_PATTERN,
    STATES,
    Call,
    Deadline,
    slugify,
    sort_deadlines,
    unique_id,
)
from fundwatch.domain.timeutil import DEFAULT_ZONE, When, localize, parse_when, zone

ID_HINT = "use letters, digits, '-', '_' and '.', such as eic-accelerator-2026"
STATE_HINT = "one of " + ", ".join(STATES)
URL_HINT = "give an http:// or https:// address"
NOT_YET = ("tbc", "tbd", "to be confirmed")  # a deadline not published yet
TAG_SEPARATORS = re.compile(r"[,;\n]")
DEADLINE_SEPARATORS = re.compile(r"[;\n]")
DEADLINE_KEYS = ("at", "label", "timezone")


# --- one rule a field ----------------------------------------------------------------------


def shown(value: Any) -> str:
    """A value in a message: text quoted, anything else as JSON writes it."""
    if isinstance(value, str):
        return f"'{value}'"
    import json

    return json.dumps(value, default=str, ensure_ascii=False)


def text(value: Any, field: str) -> str | None:
    """A text field: None when empty; anything but text is an error."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadValue(f"{field} must be text, not {shown(value)}")
    return value


def check_title(value: Any) -> str:
    """Any text but blank, kept as written (the options and cells are trimmed before)."""
    title = text(value, "title")
    if title is None or not title.strip():
        raise BadValue("no title")
    return title


def check_id(value: Any) -> str:
    call_id = text(value, "id")
    if call_id is None or not ID_PATTERN.fullmatch(call_id):
        raise BadValue(f"'{call_id or ''}' is not a valid id", hint=ID_HINT)
    return call_id


def check_state(value: Any) -> str:
    """One of STATES, in any case; none given is ``watching``."""
    state = text(value, "state")
    if state is None:
        return "watching"
    if state.strip().lower() not in STATES:
        raise BadValue(f"unknown state '{state}'", hint=STATE_HINT)
    return state.strip().lower()


def check_zone(value: Any, default: str = DEFAULT_ZONE) -> str:
    """An IANA zone name; none given is ``default``."""
    tz = text(value, "timezone")
    if tz is None:
        return default
    zone(tz)  # "unknown time zone '...'"
    return tz


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a web address (http or https with a host), or None."""
    found = re.match(r"(?i)https?://([^/?#\s]+)", url.strip())
    if found is None:
        return f"url '{url}' is not an http(s) address"
    return None


def check_url(value: Any) -> str | None:
    """An http(s) address; a ``javascript:``, ``mailto:`` or bare ``www.`` one is refused."""
    url = text(value, "url")
    if url is None or not url.strip():
        return None
    problem = url_problem(url)
    if problem:
        raise BadValue(problem, hint=URL_HINT)
    return url


def split_tags(value: Any) -> tuple[str, ...]:
    """Tags from a list (each item one tag, as written) or a text (split at ``,`` ``;``
    and line breaks, each trimmed); blank and repeated ones left out."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [t.strip() for t in TAG_SEPARATORS.split(value)]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    if not all(isinstance(t, str) for t in items):
        raise BadValue(f"tags must be a list of text, not {shown(value)}")
    return tuple(dict.fromkeys(t for t in items if t.strip()))


def parse_budget(text: str) -> int | float | str:
    compact = text.strip().replace("_", "")
    # (a number of thousands of digits, which int() refuses, stays text)
    if re.fullmatch(r"\d{1,30}", compact):
        return int(compact)
    if re.fullmatch(r"\d{1,30}\.\d{1,30}", compact):
        return float(compact)
    return text.strip()


def check_budget(value: Any) -> int | float | str | None:
    """A number, or text such as ``100 M€`` (kept as text: a source that has no numbers,
    a cell or an option, reads digits with parse_budget first)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadValue(f"budget must be a number or text, not {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        # nan and inf are TOML, but no budget; JSON output would not be JSON
        raise BadValue("budget must be a finite number")
    return value


def check_when(value: Any, tz: str, default_time: time | None = None) -> When:
    """A date or date-time as a source holds it (TOML's own dates, or text as people
    write it) as a local When in ``tz``."""
    from fundwatch.domain.timeutil import check_exists, check_year

    if isinstance(value, datetime):
        check_year(value)
        if value.tzinfo is None:
            check_exists(value, tz)
            return value
        return value.astimezone(zone(tz)).replace(tzinfo=None)
    if isinstance(value, date):
        check_year(value)
        return value
    if isinstance(value, str):
        return parse_when(value, tz, default_time)
    if isinstance(value, time):
        raise BadValue(f"{value} is a time without a date")
    raise BadValue(f"{shown(value)} is not a date")


def not_yet(value: Any) -> bool:
    """No deadline yet: nothing, empty, ``TBC``, ``TBD`` or ``to be confirmed``."""
    if value is None:
        return True
    return isinstance(value, str) and value.strip().rstrip(".").strip().casefold() in ("", *NOT_YET)


def deadline_text(
    text: str, tz: str, default_time: time | None = None, label: str | None = None
) -> Deadline | None:
    """``20/01/2026 17:00``, ``Stage 1=08/04/2027`` or ``Stage 1: 2027-04-08T17:00:00+02:00``
    (as our CSV writes it) as a deadline; None when it is TBC (``Stage 2: TBC`` too)."""
    if not_yet(text):
        return None
    try:
        return Deadline(parse_when(text, tz, default_time), tz, label)
    except BadValue as exc:
        error = exc
    for sep in (": ", "="):  # the last separator after which a date follows
        own, found, when = text.rpartition(sep)
        if not found or not own.strip() or not when.strip():
            continue
        if not_yet(when):
            return None
        try:
            return Deadline(parse_when(when, tz, default_time), tz, own.strip())
        except BadValue as exc:
            if sep == "=":  # LABEL=WHEN: what is wrong is WHEN
                error = exc
    raise error


class FieldProblem(NamedTuple):
    """A field's problem: ``field`` (a key of read_call's input), the message and hint,
    and for a deadline of several, its number (from 1)."""

    field: str
    message: str
    hint: str | None = None
    item: int | None = None

    @property
    def subject(self) -> str | None:
        """What the message is about when the place does not say: ``opens``,
        ``deadline``, ``deadline 2``."""
        if self.field in ("deadline", "deadlines"):
            return "deadline" if self.item is None else f"deadline {self.item}"
        if self.field == "opens":
            return "opens"
        return None

    def text(self, subject: bool = True) -> str:
        """The message, after its subject (``deadline 2: …``) unless the place names it."""
        about = self.subject if subject else (f"deadline {self.item}" if self.item else None)
        return f"{about}: {self.message}" if about else self.message

    def line(self, where: str, subject: bool = True) -> str:
        """``where: message (hint)``: the line a reader prints."""
        out = f"{where}: {self.text(subject)}"
        return f"{out} ({self.hint})" if self.hint else out


def check_deadlines(
    value: Any, tz: str, default_time: time | None = None, keep_extra: bool = False
) -> tuple[tuple[Deadline, ...], list[FieldProblem]]:
    """Deadlines from one value or a list: a date, a date-time, text (``;`` or a line
    break between several, each as deadline_text reads it) or a table ``{ at, label,
    timezone }`` (other keys kept with ``keep_extra``). TBC ones are left out."""
    if isinstance(value, str):
        items: list[Any] = [p for p in DEADLINE_SEPARATORS.split(value) if p.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    out: list[Deadline] = []
    problems: list[FieldProblem] = []
    for n, item in enumerate(items, 1):
        number = n if len(items) > 1 else None
        try:
            found = _deadline(item, tz, default_time, keep_extra)
        except BadValue as exc:
            problems.append(FieldProblem("deadlines", exc.message, exc.hint, number))
            continue
        if found is not None:
            out.append(found)
    return sort_deadlines(out), problems


def _deadline(item: Any, tz: str, default_time: time | None, keep_extra: bool) -> Deadline | None:
    if isinstance(item, Deadline):
        return item
    if not isinstance(item, dict):
        if not_yet(item):
            return None
        if isinstance(item, str):
            return deadline_text(item, tz, default_time)
        return Deadline(check_when(item, tz, default_time), tz)
    d_tz = check_zone(item.get("timezone"), tz)
    label = text(item.get("label"), "label")
    if "at" not in item:
        raise BadValue("has no date ('at')", hint="give it one, such as at = 2026-01-20T17:00:00")
    if not_yet(item["at"]):
        return None
    at = check_when(item["at"], d_tz, default_time)
    extra = {k: v for k, v in item.items() if k not in DEADLINE_KEYS} if keep_extra else {}
    return Deadline(at, d_tz, label, extra)


# --- one call ------------------------------------------------------------------------------

FIELDS = ("id", "title", "programme", "identifier", "url", "state", "tags", "budget", "opens",
          "timezone", "deadlines", "label", "notes")  # fmt: skip


def read_call(
    raw: Mapping[str, Any],
    default_tz: str = DEFAULT_ZONE,
    default_time: time | None = None,
    keep_extra: bool = False,
    web_only: bool = True,
    **more: Any,
) -> tuple[Call | None, list[FieldProblem]]:
    """A call from its fields as a source gives them (the keys of FIELDS; a missing
    ``id`` is made from the title; ``label`` names a single unlabelled deadline), or
    None and every problem. ``web_only=False`` takes any link (the watchlist's own,
    where `check` warns of it instead). ``more`` goes to the Call as it is (the watchlist's
    bookkeeping and unknown keys)."""
    problems: list[FieldProblem] = []

    def rule(field: str, check: Any, *args: Any) -> Any:
        try:
            return check(raw.get(field), *args)
        except BadValue as exc:
            problems.append(FieldProblem(field, exc.message, exc.hint))
            return None

    title = rule("title", check_title)
    call_id = rule("id", check_id) if raw.get("id") is not None else slugify(title or "")
    tz = rule("timezone", check_zone, default_tz)
    here = tz or default_tz  # a wrong zone is told once; the dates are checked all the same
    state = rule("state", check_state)
    texts = {key: rule(key, text, key) for key in ("programme", "identifier", "notes")}
    url = rule("url", check_url) if web_only else rule("url", text, "url")
    tags = rule("tags", split_tags)
    budget = rule("budget", check_budget)
    opens = None
    if not not_yet(raw.get("opens")):
        opens = rule("opens", check_when, here)
    label = rule("label", text, "label")
    deadlines, wrong = check_deadlines(raw.get("deadlines"), here, default_time, keep_extra)
    problems += wrong
    if label and len(deadlines) == 1 and deadlines[0].label is None:
        deadlines = (deadlines[0].replace(label=label),)
    if problems:
        return None, problems
    call = Call(
        id=call_id,
        title=title,
        deadlines=deadlines,
        opens=opens,
        timezone=tz,
        state=state,
        url=url,
        tags=tags,
        budget=budget,
        **texts,
        **more,
    )
    return call, []


# --- add and edit --------------------------------------------------------------------------

# the option that gives each field, for messages: "--state: unknown state 'x'"
OPTIONS = {"title": "TITLE", "deadlines": "--deadline", "tags": "--tag"}


def option_error(problem: FieldProblem) -> BadValue:
    """A field's problem as the option it came from: ``--deadline: …``."""
    name = OPTIONS.get(problem.field, f"--{problem.field}")
    return BadValue(f"{name}: {problem.text(subject=False)}", problem.hint)


class CallInput(NamedTuple):
    """Options of `add` and `edit`; None means "not given", "" means "clear it"."""

    title: str | None = None
    deadlines: tuple[str, ...] = ()
    opens: str | None = None
    id: str | None = None
    programme: str | None = None
    identifier: str | None = None
    url: str | None = None
    tags: tuple[str, ...] | None = None
    timezone: str | None = None
    budget: str | None = None
    notes: str | None = None
    state: str | None = None


def parse_deadline(text: str, tz: str, default_time: time | None = None) -> Deadline | None:
    """``2026-01-20 17:00``, ``Stage 1=16/09/2025`` (a label, '=', the date) or
    ``Stage 1: 16/09/2025``; None for ``TBC``."""
    try:
        return deadline_text(text, tz, default_time)
    except BadValue as exc:
        raise option_error(FieldProblem("deadlines", exc.message, exc.hint)) from None


def _checked(field: str, check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except BadValue as exc:
        raise option_error(FieldProblem(field, exc.message, exc.hint)) from None


def new_call(
    given: CallInput,
    taken: set[str],
    default_tz: str,
    default_time: time | None,
    now: datetime | None = None,
) -> Call:
    """A call from `add`'s options; its id is derived from the title unless given.
    Without --deadline (or with ``--deadline TBC``) the call has no deadline yet."""
    raw: dict[str, Any] = {k: v for k, v in given._asdict().items() if v not in (None, "")}
    raw["deadlines"] = list(given.deadlines)
    raw["title"] = (given.title or "").strip()
    if given.budget:
        raw["budget"] = parse_budget(given.budget)
    call, problems = read_call(raw, default_tz, default_time)
    if problems:
        raise option_error(problems[0])
    assert call is not None
    if given.id:
        if call.id in taken:
            raise BadValue(
                f"id '{call.id}' is already in the watchlist", hint="choose another --id"
            )
    else:
        call = call.replace(id=unique_id(call.id, taken))
    check_opening(call)
    return restamp(call, now) if now is not None else call


def edited_call(
    call: Call,
    given: CallInput,
    taken: set[str],
    default_time: time | None,
    now: datetime | None = None,
) -> tuple[Call, list[str]]:
    """``call`` with the given options applied, and the names of the fields that changed.

    A new --timezone restates the deadlines in that zone at the same wall-clock time.
    With ``now``, the calendar bookkeeping follows (see restamp).
    """
    changes: dict[str, Any] = {}
    tz = call.timezone
    if given.timezone is not None:
        tz = _checked("timezone", check_zone, given.timezone, call.timezone)
        changes["timezone"] = tz
        if given.deadlines == ():
            changes["deadlines"] = sort_deadlines(
                [d.replace(timezone=tz) if d.timezone == call.timezone else d
                 for d in call.deadlines]
            )  # fmt: skip
    if given.title is not None:
        changes["title"] = _checked("title", check_title, given.title.strip())
    if given.id is not None and given.id != call.id:
        new_id = _checked("id", check_id, given.id)
        if new_id in taken:
            raise BadValue(f"id '{new_id}' is already in the watchlist")
        changes["id"] = new_id
    if given.deadlines:
        found = [parse_deadline(d, tz, default_time) for d in given.deadlines]
        changes["deadlines"] = sort_deadlines([d for d in found if d is not None])
    for key in ("programme", "identifier", "notes"):
        value = getattr(given, key)
        if value is not None:
            changes[key] = value or None
    if given.url is not None:
        changes["url"] = _checked("url", check_url, given.url)
    if given.opens is not None:
        changes["opens"] = (
            None if not_yet(given.opens) else _checked("opens", check_when, given.opens, tz)
        )
    if given.tags is not None:
        changes["tags"] = _checked("tags", split_tags, list(given.tags))
    if given.budget is not None:
        changes["budget"] = parse_budget(given.budget) if given.budget else None
    if given.state is not None:
        changes["state"] = _checked("state", check_state, given.state)
    changed = [k for k, v in changes.items() if getattr(call, k) != v]
    if not changed:
        return call, []  # nothing to write, not even bookkeeping
    if "id" in changed:  # its events keep their UIDs (Call.stem)
        changes["uid"] = call.stem if call.stem != changes["id"] else None
    new = call.replace(**changes)
    return (restamp(new, now) if now is not None else new), changed


def restamp(call: Call, now: datetime) -> Call:
    """``call`` with its calendar bookkeeping brought up to date.

    When what its events show has changed since the fingerprint was taken (by
    `edit`, by hand in the file, by a sync), the sequence goes up and ``modified``
    is now, so that calendars take the re-imported events as updates. A call never
    fingerprinted just gets one (and ``modified``, if it had none).
    """
    mark = call.calendar_fingerprint()
    if mark == call.fingerprint:
        return call
    stamp = now.astimezone(UTC).replace(microsecond=0)
    if call.fingerprint is None:
        return call.replace(fingerprint=mark, modified=call.modified or stamp)
    return call.replace(fingerprint=mark, sequence=call.sequence + 1, modified=stamp)


def check_opening(call: Call) -> None:
    """A call cannot open after its last deadline (a date typed in the wrong field, or
    day and month swapped)."""
    if call.opens is None or not call.deadlines:
        return
    opens = localize(call.opens, call.timezone).astimezone(UTC)
    last = max(call.deadlines, key=lambda d: d.ends)
    if opens >= last.ends:
        shown = call.opens.strftime(
            "%d/%m/%Y %H:%M" if isinstance(call.opens, datetime) else "%d/%m/%Y"
        )
        raise BadValue(
            f"--opens {shown} is after the last deadline of {call.id}, {_written(last)}",
            hint="check --opens and the deadlines; dates are day first: 08/04/2027 is 8 April",
        )


def _written(d: Deadline) -> str:
    at = d.at
    if isinstance(at, datetime):
        return f"{at:%d/%m/%Y %H:%M}"
    return f"{at:%d/%m/%Y}"
