"""The Funding & Tenders Portal's answers as typed topics (no network here).

Two sources, one result type (``Topic``):

* the SEDIA search API (``parse_search_page``): metadata values are lists of strings,
  ``actions`` and ``budgetOverview`` are JSON text inside those lists, ``keywords`` is a
  list or one JSON-encoded string, and a few rows carry their fields at the top level;
* the daily bulk file ``grantsTenders.json`` (``parse_bulk``): epoch milliseconds and
  ``{id, abbreviation, description}`` objects.

Rules, from the portal's documented answers (tests/fixtures holds real ones):

* A deadline is a Brussels calendar day at 17:00 Brussels time: any instant the portal
  gives (``00:00+0000`` on current rows, ``17:00+0000`` on legacy ones, ``23:00Z`` the
  evening before) is converted to Europe/Brussels and only its date is kept. Cascade
  calls (type 8) keep their own instant, shown in Brussels time.
* The status is worked out from the dates and a ``Clock`` (``Topic.status``); the portal's
  own (``portal_status``) goes stale and is kept for information only.
* The budget is the topic's own line of ``budgetTopicActionMap`` (the map covers the
  whole call, siblings included), never the first line.
* One topic can come as several rows (current, legacy, stub): ``merge`` keeps one.

Anything of an unexpected shape raises ``FundwatchError`` naming what and where.
This module imports no HTTP library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any, NamedTuple

from fundwatch.domain import model
from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.domain.model import Call, Deadline, sort_deadlines
from fundwatch.domain.timeutil import Clock, zone

SEARCH_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
TOPIC_URL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"
    "/topic-details/{identifier}"
)
PORTAL_ZONE = "Europe/Brussels"
DEADLINE_TIME = time(17, 0)

CURRENT_SOURCE = "SEDIA"
LEGACY_SOURCE = "SEDIA_PRD_CENTRICITY"
BULK_SOURCE = "grantsTenders"

STATUS_BY_CODE = {"31094501": "forthcoming", "31094502": "open", "31094503": "closed"}
STATUS_CODES = {name: code for code, name in STATUS_BY_CODE.items()}

# frameworkProgramme codes (portal-format §1.4); the facet API has the full list of 64.
PROGRAMMES = {
    "43108390": "Horizon Europe",
    "43152860": "Digital Europe",
    "44181033": "European Defence Fund",
    "43353764": "Erasmus+",
    "43251814": "Creative Europe",
    "43251589": "CERV",
    "43252476": "Single Market Programme",
    "43252405": "LIFE",
    "43332642": "EU4Health",
    "43298916": "Euratom",
    "43251567": "CEF",
    "43089234": "Innovation Fund",
    "31045243": "Horizon 2020",
    "111111": "EU External Action / NDICI",
}

_HINT = "the portal's data is not in the shape fundwatch knows; try again later or report it"


class Topic(NamedTuple):
    """One portal topic (type 1), call for proposals (2), tender (0) or cascade call (8)."""

    identifier: str
    title: str
    call_identifier: str | None
    call_title: str | None
    programme: str | None  # human name from PROGRAMMES; None for a code not in it
    portal_status: str | None  # "forthcoming", "open", "closed" or the raw code: a hint only
    opens: date | None  # a Brussels calendar day
    deadlines: tuple[Deadline, ...]  # sorted; 17:00 Europe/Brussels except type 8
    url: str | None
    budget: int | None  # euros, the topic's own budget line
    type: str  # "1", "2", "8", "0"
    source: str | None  # "SEDIA", "SEDIA_PRD_CENTRICITY" (legacy), "grantsTenders", None
    deadline_model: str | None = None  # "single-stage", "two-stage", "multiple cut-off"
    keywords: tuple[str, ...] = ()
    described: bool = False  # the row carries a description (a current row, not a stub)

    def status(self, clock: Clock) -> str:
        """``forthcoming`` before it opens, ``closed`` once every deadline passed, else open.

        The same answer as ``Call.status`` for the call ``topic_to_call`` makes.
        """
        opens_later = self.opens is not None and self.opens > clock.today
        return model.status(opens_later, self.deadlines, clock)

    def next_deadline(self, clock: Clock) -> Deadline | None:
        """The first deadline not yet passed; None once all have passed."""
        return model.next_deadline(self.deadlines, clock)


# --- the SEDIA search API ----------------------------------------------------------------


def parse_search_page(data: Any, where: str = "portal answer") -> list[Topic]:
    """The topics of one page of the search API, in the order of the page (not merged)."""
    results = _envelope_list(data, where, "results")
    return [_search_row(row, f"{where}: result {n}") for n, row in enumerate(results, 1)]


def _search_row(row: Any, ctx: str) -> Topic:
    if not isinstance(row, dict):
        raise _bad(f"{ctx} is {_kind(row)}, not an object")
    meta = row.get("metadata")
    if meta is None:
        meta = row  # a few type-8 rows carry their fields at the top level
    elif not isinstance(meta, dict):
        raise _bad(f"{ctx}: metadata is {_kind(meta)}, not an object")
    kind = _first(meta, "type", ctx) or _first(row, "type", ctx) or ""
    identifier = _first(meta, "identifier", ctx)
    if identifier is None and kind not in ("", "1"):
        identifier = _first(meta, "callIdentifier", ctx) or _first(row, "reference", ctx)
    if identifier is None:
        raise _bad(f"{ctx}: no identifier")
    ctx = f"{ctx} ({identifier})"

    actions = _actions(_json_value(meta, "actions", ctx), ctx)
    action = actions[0] if actions else {}
    model = _first(meta, "deadlineModel", ctx) or _model(action, ctx)
    model = model.lower() if model else None

    own_time = kind == "8"
    key = "deadlineDate"
    values: list[Any] = _values(meta, key, ctx)
    if not values and own_time:
        key = "closingDate"
        values = _values(meta, key, ctx)
    if not values:
        key = "actions: deadlineDates"
        values = _list(action.get("deadlineDates"), key, ctx)
    deadlines = [_deadline(_moment(v, key, ctx), own_time) for v in values]

    start: Any = _first(meta, "startDate", ctx)
    key = "startDate"
    if start is None:
        start, key = action.get("plannedOpeningDate"), "actions: plannedOpeningDate"
    opens = _day(_moment(start, key, ctx)) if start is not None else None

    status_code = _first(meta, "status", ctx) or _code(action.get("status"), "actions: status", ctx)
    source = _first(meta, "DATASOURCE", ctx) or _first(meta, "datasource", ctx)
    if source is None and row.get("databaseLabel") == CURRENT_SOURCE:
        source = CURRENT_SOURCE
    own_url = _first(meta, "url", ctx) or _first(row, "url", ctx)
    budget = _own_budget(_json_value(meta, "budgetOverview", ctx), identifier, ctx)
    if budget is None and kind not in ("", "1"):
        budget = _plain_budget(meta, ctx)
    code = _first(meta, "frameworkProgramme", ctx)
    title = _first(meta, "title", ctx) or _first(row, "title", ctx) or _first(row, "summary", ctx)
    return Topic(
        identifier=identifier,
        title=title or "",
        call_identifier=_first(meta, "callIdentifier", ctx),
        call_title=_first(meta, "callTitle", ctx),
        programme=PROGRAMMES.get(code) if code else None,
        portal_status=_status_word(status_code),
        opens=opens,
        deadlines=_labelled(deadlines, model, identifier),
        url=TOPIC_URL.format(identifier=identifier) if kind in ("", "1") else own_url,
        budget=budget,
        type=kind,
        source=source,
        deadline_model=model,
        keywords=_keywords(meta.get("keywords"), ctx),
        described=bool(_first(meta, "descriptionByte", ctx) or _first(meta, "description", ctx)),
    )


def _values(meta: dict[str, Any], key: str, ctx: str) -> list[str]:
    """A metadata field as a list of strings: ``["a"]``, ``"a"`` and ``[1]`` alike."""
    value = meta.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise _bad(f"{ctx}: {key} holds {_kind(item)} where text was expected")
        out.append(item if isinstance(item, str) else str(item))
    return out


def _first(meta: dict[str, Any], key: str, ctx: str) -> str | None:
    """The first non-blank value of a field, stripped; None when there is none."""
    for value in _values(meta, key, ctx):
        if value.strip():
            return value.strip()
    return None


def _json_value(meta: dict[str, Any], key: str, ctx: str) -> Any:
    """A field that holds JSON text inside a list (``actions``, ``budgetOverview``).

    Already-decoded values are accepted too; several strings are decoded one by one
    and their lists joined. None when the field is absent or empty.
    """
    raw = meta.get(key)
    items = raw if isinstance(raw, list) else [raw]
    decoded: list[Any] = []
    for item in items:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError as exc:
                raise _bad(f"{ctx}: {key} is not valid JSON ({exc})") from None
        decoded.append(item)
    if not decoded:
        return None
    if len(decoded) == 1:
        return decoded[0]
    return [x for item in decoded for x in (item if isinstance(item, list) else [item])]


def _actions(value: Any, ctx: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise _bad(f"{ctx}: actions holds {_kind(item)}, not an object")
    return items


def _code(
    value: Any, key: str, ctx: str, fields: tuple[str, ...] = ("id", "abbreviation")
) -> str | None:
    """``{"id": 31094502, "abbreviation": "Open"}`` -> the first of ``fields`` it has, as
    text; a plain string or number stands for itself."""
    if value is None:
        return None
    if isinstance(value, list):  # one bulk-file fixture has a list of objects
        return _code(value[0], key, ctx, fields) if value else None
    if isinstance(value, dict):
        for field in fields:
            inner = value.get(field)
            if isinstance(inner, str | int) and not isinstance(inner, bool) and str(inner):
                return str(inner)
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value) or None
    raise _bad(f"{ctx}: {key} is {_kind(value)}")


def _model(action: dict[str, Any], ctx: str) -> str | None:
    procedure = action.get("submissionProcedure")
    return _code(procedure, "actions: submissionProcedure", ctx, ("abbreviation",))


def _status_word(code: str | None) -> str | None:
    if code is None:
        return None
    return STATUS_BY_CODE.get(code, code.lower())


def _list(value: Any, key: str, ctx: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    raise _bad(f"{ctx}: {key} is {_kind(value)}, not a list of dates")


def _keywords(value: Any, ctx: str) -> tuple[str, ...]:
    """A list of keywords, or (legacy rows) one JSON-encoded list inside a list."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) == 1 and isinstance(items[0], str) and items[0].lstrip().startswith("["):
        try:
            items = json.loads(items[0])
        except ValueError as exc:
            raise _bad(f"{ctx}: keywords is not valid JSON ({exc})") from None
        if not isinstance(items, list):
            raise _bad(f"{ctx}: keywords is {_kind(items)}, not a list")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise _bad(f"{ctx}: keywords holds {_kind(item)} where text was expected")
        if item.strip():
            out.append(item.strip())
    return tuple(out)


# --- budgets ----------------------------------------------------------------------------


def _own_budget(overview: Any, identifier: str, ctx: str) -> int | None:
    """The sum of the topic's own budget lines: those whose ``action`` starts with
    ``"<identifier> "``. The map covers every topic of the call; its first line is
    usually a sibling's."""
    if overview is None:
        return None
    if not isinstance(overview, dict):
        raise _bad(f"{ctx}: budgetOverview is {_kind(overview)}, not an object")
    table = overview.get("budgetTopicActionMap")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise _bad(f"{ctx}: budgetTopicActionMap is {_kind(table)}, not an object")
    total: int | None = None
    for lines in table.values():
        for line in lines if isinstance(lines, list) else [lines]:
            if not isinstance(line, dict):
                raise _bad(f"{ctx}: budgetTopicActionMap holds {_kind(line)}, not an object")
            action = line.get("action")
            if not isinstance(action, str):
                continue
            if action.startswith(identifier + " ") or action.strip() == identifier:
                amount = _line_amount(line.get("budgetYearMap"), ctx)
                if amount is not None:
                    total = amount if total is None else total + amount
    return total


def _line_amount(years: Any, ctx: str) -> int | None:
    if years is None:
        return None
    if not isinstance(years, dict):
        raise _bad(f"{ctx}: budgetYearMap is {_kind(years)}, not an object")
    amounts = [_amount(v, f"{ctx}: budgetYearMap") for v in years.values() if v not in (None, "")]
    return sum(amounts) if amounts else None


_AMOUNT = re.compile(r"\d+(?:\.\d+)?")
# Some 500 times the EU's yearly budget: more is garbage, and 400 nines would not
# even fit a float (round() of it raised OverflowError).
MAX_AMOUNT = 10**14


def _amount(value: Any, ctx: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace(",", "")
    else:
        raise _bad(f"{ctx} holds {_kind(value)}, not an amount")
    if not _AMOUNT.fullmatch(text):
        raise _bad(f"{ctx}: {_shown(value)} is not an amount")
    return _euros(text, value, ctx)


def _euros(text: str, value: Any, ctx: str) -> int:
    """Whole euros from digits (``_AMOUNT``), or a FundwatchError for an absurd amount."""
    amount = float(text)
    if not amount <= MAX_AMOUNT:  # also inf
        raise _bad(f"{ctx}: {_shown(value)} is not a plausible amount")
    return round(amount)


def _plain_budget(meta: dict[str, Any], ctx: str) -> int | None:
    """Types 2 and 8: a ``budget`` number string, in euros only."""
    text = _first(meta, "budget", ctx)
    currency = _first(meta, "currency", ctx)
    if text is None or (currency is not None and currency.upper() != "EUR"):
        return None
    compact = text.replace(" ", "").replace(",", "")
    return _euros(compact, text, f"{ctx}: budget") if _AMOUNT.fullmatch(compact) else None


# --- dates ------------------------------------------------------------------------------


@cache
def _moment_pattern() -> re.Pattern[str]:
    """Compiled when first needed (~1.5 ms, which `search --help` need not pay)."""
    return re.compile(
        r"(\d{4})-(\d{2})-(\d{2})"
        r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
        r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
        r"(?:\s+[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+)?",  # "2024-09-27+02:00 Europe/Brussels"
        re.IGNORECASE,
    )


def _moment(value: Any, key: str, ctx: str) -> date | datetime:
    """A portal date value: a date (a Brussels calendar day) or an aware instant.

    Accepts ``2025-11-26T00:00:00.000+0000``, ``2025-11-26`` and epoch milliseconds
    (an int, or digits in a string), in the years 1990 to 2100 (YEARS); anything else
    is "not a date". A date-time without an offset is taken as UTC.
    """
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _in_range(datetime.fromtimestamp(value / 1000, UTC))
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit() and len(text) >= 9:
                return _in_range(datetime.fromtimestamp(int(text) / 1000, UTC))
            m = _moment_pattern().fullmatch(text)
            if m:
                return _in_range(_from_match(m))
    except (ValueError, OverflowError, OSError):
        pass
    raise _bad(f"{ctx}: {key} {_shown(value)} is not a date")


def _from_match(m: re.Match[str]) -> date | datetime:
    day = date(int(m[1]), int(m[2]), int(m[3]))
    if m[4] is None:
        return day  # a date alone, with or without an offset, is a Brussels day
    offset = (m[7] or "Z").upper()
    if offset != "Z" and ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:] or '00'}"
    clock = f"{m[4]}:{m[5]}:{m[6] or '00'}"
    return datetime.fromisoformat(f"{day.isoformat()}T{clock}{offset.replace('Z', '+00:00')}")


# A portal date outside these years is a wrong type or a wrong unit, not a date: ``5``
# read as epoch milliseconds is 1 January 1970, and would move a deadline there.
YEARS = (1990, 2100)


def _in_range(moment: date | datetime) -> date | datetime:
    """``moment``, once it is known to have a Brussels day in a plausible year (YEARS);
    else ValueError. (9999-12-31T23:00+0000 has none: it is year 10000 there.)"""
    if isinstance(moment, datetime):
        moment.astimezone(zone(PORTAL_ZONE))
    if not YEARS[0] <= _day(moment).year <= YEARS[1]:
        raise ValueError(f"year {_day(moment).year}")
    return moment


def _day(moment: date | datetime) -> date:
    """The Brussels calendar day of a portal value."""
    if isinstance(moment, datetime):
        return moment.astimezone(zone(PORTAL_ZONE)).date()
    return moment


def _deadline(moment: date | datetime, own_time: bool) -> Deadline:
    """17:00 Brussels on the value's Brussels day; with ``own_time`` (type 8) the
    instant itself, as Brussels wall time."""
    if own_time and isinstance(moment, datetime):
        at = moment.astimezone(zone(PORTAL_ZONE)).replace(tzinfo=None)
    else:
        at = datetime.combine(_day(moment), DEADLINE_TIME)
    return Deadline(at, PORTAL_ZONE)


def _labelled(
    deadlines: Iterable[Deadline], model: str | None, identifier: str
) -> tuple[Deadline, ...]:
    """Sorted, without repeats, labelled: "Stage 1" / "Stage 2 (invited)" for two-stage,
    "Cut-off 1..n" for several deadlines (or a multiple cut-off model), none for one."""
    seen: set[datetime] = set()
    unique: list[Deadline] = []
    for d in sort_deadlines(list(deadlines)):
        key = d.utc if d.utc is not None else datetime.combine(d.at, time(0))
        if key not in seen:
            seen.add(key)
            unique.append(d)
    two_stage = model == "two-stage" or identifier.lower().endswith("-two-stage")
    if two_stage:
        names = ["Stage 1", "Stage 2 (invited)"]
        labels = [names[i] if i < 2 else f"Stage {i + 1}" for i in range(len(unique))]
    elif len(unique) > 1 or model == "multiple cut-off":
        labels = [f"Cut-off {i + 1}" for i in range(len(unique))]
    else:
        return tuple(Deadline(d.at, d.timezone) for d in unique)
    return tuple(Deadline(d.at, d.timezone, label) for d, label in zip(unique, labels, strict=True))


# --- several rows for one topic -------------------------------------------------------------


def _rank(t: Topic) -> tuple[bool, bool, bool, bool, bool]:
    current = t.source == CURRENT_SOURCE and t.portal_status is not None and t.described
    has_status = t.portal_status is not None
    return (current, bool(t.deadlines), has_status, t.described, t.source == CURRENT_SOURCE)


def merge(topics: Iterable[Topic]) -> list[Topic]:
    """One topic per identifier, in the order each identifier first appears.

    The best row wins: a current one (DATASOURCE SEDIA, with a status and a
    description) over legacy rows (SEDIA_PRD_CENTRICITY) and stubs. Deadlines of
    rows as good as the winner are joined (cut-offs split across documents); those of
    lesser rows are used only when the winner has none, since a legacy row can hold a
    deadline that has since moved. Fields the winner lacks are filled from the others.
    """
    groups: dict[str, list[Topic]] = {}
    for t in topics:
        groups.setdefault(t.identifier, []).append(t)
    return [_merged(rows) for rows in groups.values()]


_FILLED = ("title", "call_identifier", "call_title", "programme", "opens", "url", "budget",
           "deadline_model", "keywords")  # fmt: skip


def _merged(rows: list[Topic]) -> Topic:
    if len(rows) == 1:
        return rows[0]
    ordered = sorted(rows, key=_rank, reverse=True)  # stable: first seen first among equals
    best = ordered[0]
    peers = [r for r in ordered if _rank(r) == _rank(best)]
    deadlines = [d for r in peers for d in r.deadlines]
    if not deadlines:
        deadlines = list(next((r.deadlines for r in ordered if r.deadlines), ()))
    fills: dict[str, Any] = {}
    for field in _FILLED:
        if not getattr(best, field):
            fills[field] = next(
                (getattr(r, field) for r in ordered if getattr(r, field)), getattr(best, field)
            )
    model = fills.get("deadline_model", best.deadline_model)
    return best._replace(deadlines=_labelled(deadlines, model, best.identifier), **fills)


# --- the bulk file grantsTenders.json --------------------------------------------------------


def parse_bulk(data: Any, where: str = "grantsTenders.json") -> list[Topic]:
    """Every entry of ``{"fundingData": {"GrantTenderObj": [...]}}``, in file order."""
    funding = _envelope(data, where).get("fundingData")
    entries = _envelope_list(funding, f"{where}: fundingData", "GrantTenderObj")
    return [_bulk_entry(e, f"{where}: entry {n}") for n, e in enumerate(entries, 1)]


def _bulk_entry(entry: Any, ctx: str) -> Topic:
    if not isinstance(entry, dict):
        raise _bad(f"{ctx} is {_kind(entry)}, not an object")
    identifier = _first(entry, "identifier", ctx)
    if identifier is None:
        raise _bad(f"{ctx}: no identifier")
    ctx = f"{ctx} ({identifier})"
    kind = _first(entry, "type", ctx) or ""
    actions = _actions(entry.get("actions"), ctx)
    action = actions[0] if actions else {}

    key = "deadlineDatesLong"
    values = _list(entry.get(key), key, ctx)
    if not values:
        key = "actions: deadlineDates"
        values = _list(action.get("deadlineDates"), key, ctx)
    deadlines = [_deadline(_moment(v, key, ctx), kind == "8") for v in values]

    start = entry.get("plannedOpeningDateLong")
    key = "plannedOpeningDateLong"
    if start is None:
        start, key = action.get("plannedOpeningDate"), "actions: plannedOpeningDate"
    opens = _day(_moment(start, key, ctx)) if start is not None else None

    model = _first(entry, "deadlineModel", ctx) or _model(action, ctx)
    model = model.lower() if model else None
    code = _code(entry.get("frameworkProgramme"), "frameworkProgramme", ctx)
    return Topic(
        identifier=identifier,
        title=_first(entry, "title", ctx) or "",
        call_identifier=_first(entry, "callIdentifier", ctx),
        call_title=_first(entry, "callTitle", ctx),
        programme=PROGRAMMES.get(code) if code else None,
        portal_status=_status_word(_code(entry.get("status"), "status", ctx)),
        opens=opens,
        deadlines=_labelled(deadlines, model, identifier),
        url=TOPIC_URL.format(identifier=identifier) if kind == "1" else _first(entry, "url", ctx),
        budget=None,  # not in the bulk file (topicDetails has it)
        type=kind,
        source=BULK_SOURCE,
        deadline_model=model,
        keywords=_keywords(entry.get("keywords"), ctx),
        described=False,
    )


# --- for the commands -------------------------------------------------------------------------


def topic_to_call(topic: Topic, call_id: str, *, now: datetime | None = None) -> Call:
    """A watchlist call filled from a topic (for `watch`); the user's fields stay empty.
    A forthcoming topic without a deadline yet is kept as such (TBC): `sync` fills it in."""
    from fundwatch.domain.fields import read_call

    raw = {
        "id": call_id,
        "title": topic.title or topic.identifier,
        "deadlines": topic.deadlines,
        "programme": topic.programme,
        "identifier": topic.identifier,
        "url": topic.url,
        "opens": topic.opens,
        "timezone": PORTAL_ZONE,
        "budget": topic.budget,
    }
    call, problems = read_call(
        raw, PORTAL_ZONE, modified=now.astimezone(UTC).replace(microsecond=0) if now else None
    )
    if call is None:  # the rules every reader applies: a link that is not http(s), say
        raise FundwatchError(problems[0].line(f"topic {topic.identifier}"))
    return call


def identifier_query(ids: Iterable[str]) -> dict[str, Any]:
    """The search API's ``query`` part that selects topics by identifier (§1.3)."""
    wanted = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if not wanted:
        raise BadValue("no identifiers to look up")
    return {"bool": {"must": [{"terms": {"identifier": wanted}}]}}


# --- errors -----------------------------------------------------------------------------------


def _envelope(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"{where}: expected a JSON object, got {_kind(data)}")
    return data


def _envelope_list(data: Any, where: str, key: str) -> list[Any]:
    body = _envelope(data, where)
    if key not in body:
        raise _bad(f"{where}: no '{key}'")
    items = body[key]
    if not isinstance(items, list):
        raise _bad(f"{where}: '{key}' is {_kind(items)}, not a list")
    return items


def _bad(message: str) -> FundwatchError:
    return FundwatchError(message, hint=_HINT)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {_shown(value)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return f"'{text}'" if len(text) <= 40 else f"'{text[:39]}…'"
