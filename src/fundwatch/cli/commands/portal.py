"""`fundwatch search` and `fundwatch watch`: the Funding & Tenders Portal, live.

The requests are portal_client's, the parsing portal's; this module turns options into
a query, topics into rows and calls, and failures into one line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fundwatch.cli.app import Format, Status, command
from fundwatch.cli.commands.watchlist import FormatOpt
from fundwatch.cli.context import Session, emit, out
from fundwatch.domain.errors import FundwatchError, UsageProblem

if TYPE_CHECKING:
    from fundwatch.domain.model import Call
    from fundwatch.domain.timeutil import Clock
    from fundwatch.output.tables import Grid
    from fundwatch.portal.topics import Topic

SEARCH_LIMIT = 50
LIVE = ("forthcoming", "open")  # what `search` shows without --status
ID_LENGTH = 80  # a watched topic's id is its identifier as a slug, whole


# --- search ---------------------------------------------------------------------------------


@command()
def search(
    session: Session,
    text: Annotated[
        str,
        typer.Argument(metavar="TEXT", help="Words to look for ('***' or nothing: every topic)."),
    ] = "***",
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            help="Only topics with this status, from their dates (repeatable; "
            "default: forthcoming and open).",
            show_default=False,
        ),
    ] = None,
    programme: Annotated[
        list[str] | None,
        typer.Option(
            "--programme",
            help="Only this programme: its name or part of it ('Horizon Europe', LIFE, "
            "digital); repeatable.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N topics.")] = SEARCH_LIMIT,
    fmt: FormatOpt = Format.table,
) -> None:
    """Search the Funding & Tenders Portal live: identifier, title, status, next deadline."""
    from fundwatch.portal import client

    statuses = tuple(s.value for s in status) if status else LIVE
    programmes = client.programme_codes(programme or ())
    query = client.search_query(statuses, list(programmes))
    clock = session.clock
    names = set(programmes.values())

    def wanted(topic: Topic) -> bool:
        if names and topic.programme not in names:
            return False
        return topic.status(clock) in statuses

    def enough(topics: list[Topic]) -> bool:
        return sum(map(wanted, topics)) >= limit

    url = session.settings.portal_url
    try:
        topics = client.search_pages(url, text.strip() or "***", query, enough=enough)
    except client.TooManyPages as exc:
        sys.stderr.write(f"warning: {exc.message}; showing those read ({exc.hint})\n")
        topics = exc.topics
    rows = [t for t in topics if wanted(t)][:limit]
    emit(
        fmt.value,
        lambda: topics_grid(rows, clock),
        lambda: [topic_record(t, clock) for t in rows],
        lambda: topics_csv(rows, clock),
        "No topics on the portal match.",
        len(rows),
    )


def topic_record(topic: Topic, clock: Clock) -> dict[str, Any]:
    """One search result as JSON: the row's columns, then what `list` gives a call."""
    from fundwatch.domain.timeutil import iso
    from fundwatch.output.tables import deadline_record

    nxt = topic.next_deadline(clock)
    return {
        "identifier": topic.identifier,
        "title": topic.title,
        "status": topic.status(clock),
        "next_deadline": iso(nxt.local) if nxt else None,
        "days_left": nxt.days_left(clock) if nxt else None,
        "url": topic.url,
        "opens": iso(topic.opens),
        "programme": topic.programme,
        "deadlines": [deadline_record(d, clock) for d in topic.deadlines],
        "budget": topic.budget,
    }


def topics_csv(topics: Sequence[Topic], clock: Clock) -> str:
    from fundwatch.output.presentation import SEARCH_CSV
    from fundwatch.output.tables import to_csv

    rows = []
    for topic in topics:
        rec = topic_record(topic, clock)
        rec["deadlines"] = "; ".join(
            f"{d['label']}: {d['at']}" if d["label"] else d["at"] for d in rec["deadlines"]
        )
        rows.append([rec[k] for k in SEARCH_CSV])
    return to_csv(SEARCH_CSV, rows)


def topics_grid(topics: Sequence[Topic], clock: Clock) -> Grid:
    from fundwatch.output.presentation import shown_deadline
    from fundwatch.output.tables import Grid, days_text, when_text, zone_caption

    grid = Grid(
        ["Identifier", "Title", "Status", "Next deadline", "Left"],
        right=frozenset({4}),
        link_column=1,
        caption=zone_caption(clock),
        keep=frozenset({2, 3, 4}),
    )
    for topic in topics:
        status = topic.status(clock)
        nxt = topic.next_deadline(clock)
        shown = shown_deadline(nxt, topic.deadlines)
        when = ""
        if shown is not None:
            when = when_text(shown, clock) + (f" [{shown.label}]" if shown.label else "")
        days = nxt.days_left(clock) if nxt is not None and status != "closed" else None
        grid.add([topic.identifier, topic.title, status, when, days_text(days)], days, topic.url)
    return grid


# --- watch ----------------------------------------------------------------------------------


@command()
def watch(
    session: Session,
    identifiers: Annotated[
        list[str],
        typer.Argument(
            metavar="IDENTIFIER...",
            help="Official topic ids, such as HORIZON-CL3-2025-01-SSRI-04.",
            show_default=False,
        ),
    ],
) -> None:
    """Add portal topics to the watchlist by their identifier, filled from the portal.

    Prints the new ids; those the portal does not know or you already watch are skipped.
    """
    from fundwatch.portal import client
    from fundwatch.storage import store

    asked = list(dict.fromkeys(i.strip() for i in identifiers if i.strip()))
    if not asked:
        raise UsageProblem("give at least one identifier, such as HORIZON-CL3-2025-01-SSRI-04")
    path = session.path
    owners = _owners(session.load().calls) if path.exists() else {}
    watched = [i for i in asked if i.casefold() in owners]
    wanted = [i for i in asked if i.casefold() not in owners]
    found = client.fetch_topics(session.settings.portal_url, wanted) if wanted else {}
    unknown = [i for i in wanted if i not in found]

    added: list[str] = []
    undated: list[str] = []
    with store.transaction(path, create=True) as watchlist:
        owners = _owners(watchlist.calls)  # another process may have added some meanwhile
        taken = watchlist.ids()
        for identifier, topic in found.items():
            if identifier.casefold() in owners or topic.identifier.casefold() in owners:
                watched.append(identifier)
                continue
            call = _new_call(session, topic, taken)
            if call is None:
                undated.append(identifier)
                continue
            watchlist.calls.append(call)
            taken.add(call.id)
            owners[topic.identifier.casefold()] = call.id
            added.append(call.id)
        problems = _problems(unknown, watched, undated, owners)
        if not added:  # raised inside: nothing is written, not even a new empty file
            raise FundwatchError("; ".join(problems) or "nothing to add", hint=_hint(unknown))
    for problem in problems:
        sys.stderr.write(f"warning: {problem}\n")
    out("".join(f"{call_id}\n" for call_id in added))


def _owners(calls: Iterable[Call]) -> dict[str, str]:
    """Identifier (case-folded) -> the id of the call that watches it."""
    return {c.identifier.casefold(): c.id for c in calls if c.identifier}


def _new_call(session: Session, topic: Topic, taken: set[str]) -> Call | None:
    """The call for a topic, its id the identifier as a slug; None without a deadline."""
    from fundwatch.domain.fields import restamp
    from fundwatch.domain.model import slugify, unique_id
    from fundwatch.portal.topics import topic_to_call

    if not topic.deadlines:
        return None
    now = session.clock.now
    call_id = unique_id(slugify(topic.identifier, limit=ID_LENGTH), taken)
    return restamp(topic_to_call(topic, call_id, now=now), now)


def _problems(
    unknown: list[str], watched: list[str], undated: list[str], owners: dict[str, str]
) -> list[str]:
    problems = []
    if unknown:
        problems.append("the portal does not know " + ", ".join(unknown))
    if watched:
        shown = [f"{i} (as '{owners.get(i.casefold(), '?')}')" for i in watched]
        problems.append("already watched: " + ", ".join(shown))
    if undated:
        problems.append(
            "no deadline on the portal for " + ", ".join(undated)
            + " (add it by hand: fundwatch add TITLE --deadline WHEN --identifier ID)"
        )  # fmt: skip
    return problems


def _hint(unknown: list[str]) -> str | None:
    if not unknown:
        return None
    return "the identifier is on the topic's page; `fundwatch search TEXT` finds topics"
