"""An import source's calls: CSV and iCalendar through their readers, JSON and TOML here."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Any

from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.domain.model import (
    ID_PATTERN,
    STATES,
    Call,
    Deadline,
    slugify,
    sort_deadlines,
)
from fundwatch.domain.timeutil import Clock, When, parse_when, zone
from fundwatch.importers.base import FORMATS, Gathered, Incoming
from fundwatch.importers.source import Source, decode


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
        from fundwatch.importers.csvfile import read_csv

        calls = read_csv(text, source.name, default_tz, default_time, mapping)
    elif source.format == "ics":
        from fundwatch.importers.icsfile import read_ics

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
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise FundwatchError(
            f"{name} line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # a number of over 4,300 digits; NaN or Infinity
        reason = str(exc).split(":")[0]
        if "digits" in reason:
            reason = "a number of more than 4,300 digits"
        raise FundwatchError(f"{name}: not valid JSON ({reason})") from None
    except RecursionError:
        raise FundwatchError(f"{name}: JSON nested too deeply to be a list of calls") from None
    try:  # "\ud800" is valid JSON, but half a character: no file could hold it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end].encode("utf-8", "backslashreplace").decode()
        raise FundwatchError(
            f"{name}: not valid text (a lone surrogate {bad}, half of a character)"
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


def _no_constant(name: str) -> Any:
    """NaN and Infinity, which Python's json reads but JSON does not have."""
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number that Python reads as infinite (1e999) is refused too."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


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
    from fundwatch.storage import codec

    watchlist, problems = codec.parse(text, Path(name))
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
