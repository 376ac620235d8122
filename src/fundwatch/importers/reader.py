"""An import source's calls: CSV and iCalendar through their readers, JSON and TOML here."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Any

from fundwatch.domain.errors import BadValue, FundwatchError, raise_all
from fundwatch.domain.fields import URL_HINT, read_call, url_problem
from fundwatch.domain.timeutil import Clock
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
    problems: list[str] = []
    for n, item in enumerate(data, 1):
        where = f"{name} item {n}"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object with a title and deadlines")
            continue
        row = "call_id" in item and "deadlines" not in item  # a row of one call's deadline
        if row:
            item = dict(item, id=item.get("call_id"), deadlines=[
                {"at": item.get("at"), "label": item.get("label")}
            ])  # fmt: skip
        elif "deadlines" not in item:
            item = dict(item, deadlines=item.get("deadline"))
        call, wrong = read_call(item, default_tz)
        problems += [p.line(where) for p in wrong]
        if call is None:
            continue
        explicit = isinstance(item.get("id"), str) and bool(item["id"])
        incoming = Incoming(call, explicit_id=explicit, where=where)
        calls.add(incoming, key=call.id if row else None)
    raise_all(name, problems)
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


def read_toml(text: str, name: str) -> list[Incoming]:
    """Another person's watchlist, read and checked as fundwatch reads its own."""
    from fundwatch.storage import codec

    watchlist, problems = codec.parse(text, Path(name))
    lines = [p.render(Path(name)) for p in problems]
    for call in watchlist.calls:  # what the watchlist only warns of, an import refuses
        if call.url and url_problem(call.url):
            lines.append(f"{name}: call '{call.id}': {url_problem(call.url)} ({URL_HINT})")
    raise_all(name, lines)
    return [
        Incoming(
            c.replace(sequence=0, modified=None, fingerprint=None, uid=None),
            explicit_id=True,
            uid=c.extra.get("uid") if isinstance(c.extra.get("uid"), str) else None,
            where=f"{name}: call '{c.id}'",
        )
        for c in watchlist.calls
    ]


# --- merging -------------------------------------------------------------------------------
