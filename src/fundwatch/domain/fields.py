"""Calls from what the user typed: new calls for `add`, changed ones for `edit`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

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
from fundwatch.domain.timeutil import When, parse_when, zone


@dataclass(frozen=True)
class CallInput:
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


def parse_deadline(text: str, tz: str, default_time: time | None = None) -> Deadline:
    """``2026-01-20 17:00`` or ``Stage 1=16/09/2025`` (a label, '=', the date)."""
    label, sep, when = text.rpartition("=")
    if not sep:
        when = text
    try:
        at = parse_when(when, tz, default_time)
    except BadValue as exc:
        raise BadValue(f"--deadline: {exc.message}", exc.hint) from None
    return Deadline(at, tz, label.strip() or None)


def parse_budget(text: str) -> int | float | str:
    compact = text.strip().replace("_", "")
    # (a number of thousands of digits, which int() refuses, stays text)
    if re.fullmatch(r"\d{1,30}", compact):
        return int(compact)
    if re.fullmatch(r"\d{1,30}\.\d{1,30}", compact):
        return float(compact)
    return text.strip()


def _check_id(call_id: str) -> str:
    if not ID_PATTERN.fullmatch(call_id):
        raise BadValue(
            f"'{call_id}' is not a valid id",
            hint="use letters, digits, '-', '_' and '.', such as eic-accelerator-2026",
        )
    return call_id


def _check_zone(tz: str) -> None:
    try:
        zone(tz)
    except BadValue as exc:
        raise BadValue(f"--timezone: {exc.message}", exc.hint) from None


def _check_state(state: str) -> str:
    if state not in STATES:
        raise BadValue(f"unknown state '{state}'", hint="one of " + ", ".join(STATES))
    return state


def _opens(text: str, tz: str) -> When | None:
    if not text:
        return None
    try:
        return parse_when(text, tz)
    except BadValue as exc:
        raise BadValue(f"--opens: {exc.message}", exc.hint) from None


def new_call(
    given: CallInput,
    taken: set[str],
    default_tz: str,
    default_time: time | None,
    now: datetime | None = None,
) -> Call:
    """A call from `add`'s options; its id is derived from the title unless given."""
    if not given.title or not given.title.strip():
        raise BadValue("the title is empty")
    tz = given.timezone or default_tz
    _check_zone(tz)
    if given.id:
        call_id = _check_id(given.id)
        if call_id in taken:
            raise BadValue(
                f"id '{call_id}' is already in the watchlist", hint="choose another --id"
            )
    else:
        call_id = unique_id(slugify(given.title), taken)
    if not given.deadlines:
        raise BadValue("a call needs at least one --deadline")
    deadlines = sort_deadlines([parse_deadline(d, tz, default_time) for d in given.deadlines])
    call = Call(
        id=call_id,
        title=given.title.strip(),
        deadlines=deadlines,
        programme=given.programme or None,
        identifier=given.identifier or None,
        url=given.url or None,
        opens=_opens(given.opens or "", tz),
        timezone=tz,
        tags=tuple(t for t in given.tags or () if t),
        budget=parse_budget(given.budget) if given.budget else None,
        notes=given.notes or None,
        state=_check_state(given.state or "watching"),
    )
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
        tz = given.timezone
        _check_zone(tz)
        changes["timezone"] = tz
        if given.deadlines == ():
            changes["deadlines"] = sort_deadlines(
                [d.replace(timezone=tz) if d.timezone == call.timezone else d
                 for d in call.deadlines]
            )  # fmt: skip
    if given.title is not None:
        if not given.title.strip():
            raise BadValue("the title cannot be empty")
        changes["title"] = given.title.strip()
    if given.id is not None and given.id != call.id:
        new_id = _check_id(given.id)
        if new_id in taken:
            raise BadValue(f"id '{new_id}' is already in the watchlist")
        changes["id"] = new_id
    if given.deadlines:
        changes["deadlines"] = sort_deadlines(
            [parse_deadline(d, tz, default_time) for d in given.deadlines]
        )
    for key in ("programme", "identifier", "url", "notes"):
        value = getattr(given, key)
        if value is not None:
            changes[key] = value or None
    if given.opens is not None:
        changes["opens"] = _opens(given.opens, tz)
    if given.tags is not None:
        changes["tags"] = tuple(t for t in given.tags if t)
    if given.budget is not None:
        changes["budget"] = parse_budget(given.budget) if given.budget else None
    if given.state is not None:
        changes["state"] = _check_state(given.state)
    changed = [k for k, v in changes.items() if getattr(call, k) != v]
    if not changed:
        return call, []  # nothing to write, not even bookkeeping
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
