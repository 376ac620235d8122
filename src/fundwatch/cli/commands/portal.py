"""`fundwatch search` and `fundwatch watch`: the Funding & Tenders Portal, live.

The requests are portal_client's, the parsing portal's; this module turns options into
a query, topics into rows and calls, and failures into one line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fundwatch.cli import options
from fundwatch.cli.app import Format, Status, command, option
from fundwatch.cli.commands.watchlist import FormatOpt
from fundwatch.cli.context import Session, emit, out
from fundwatch.cli.options import Opt
from fundwatch.domain.errors import FundwatchError, UsageProblem
from fundwatch.output.tables import one_line

if TYPE_CHECKING:
    from fundwatch.domain.discovery import Found, SavedSearch
    from fundwatch.domain.model import Call
    from fundwatch.domain.timeutil import Clock
    from fundwatch.output.tables import Grid
    from fundwatch.portal.topics import Topic

SEARCH_LIMIT = 50
ID_LENGTH = 80  # a watched topic's id is its identifier as a slug, whole

# search's long option names leave its choice lists less room
SearchFormatOpt = Annotated[Format, option(options.FORMAT, fit=0)]


# --- search ---------------------------------------------------------------------------------


class Kind(StrEnum):
    topic = "topic"
    cascade = "cascade"
    external = "external"


@command(
    example=[
        "fundwatch search security",
        'fundwatch search --programme "Horizon Europe" --status open --limit 20',
        'fundwatch search "soil health" --closing-within 2m --save soil',
        "fundwatch search ukraine --format json",
    ]
)
def search(
    session: Session,
    text: Annotated[
        str | None,
        typer.Argument(
            metavar="TEXT",
            help="Words to look for ('***' or nothing: every topic).",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        list[Status] | None,
        option(
            Opt(
                ("--status",),
                "status",
                "Only topics with this status, from their dates "
                "(repeatable; default: forthcoming and open).",
                choices=Status,
                show_default=False,
            ),
            fit=0,
        ),
    ] = None,
    programme: Annotated[
        list[str] | None,
        typer.Option(
            "--programme",
            help="Only this programme: its name, part of it or its portal code "
            "('Horizon Europe', LIFE, digital, 43108390); repeatable.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        list[Kind] | None,
        option(
            Opt(
                ("--kind",),
                "kind",
                "Grant topics, cascade calls (FSTP, run by EU "
                "projects) or external-action calls (repeatable; default: topic and "
                "cascade).",
                choices=Kind,
                show_default=False,
            ),
            fit=0,
        ),
    ] = None,
    closing_within: Annotated[
        str | None,
        typer.Option(
            "--closing-within",
            metavar="DUR",
            help="Next deadline within DUR (30d, 2m).",
            show_default=False,
        ),
    ] = None,
    opening_within: Annotated[
        str | None,
        typer.Option(
            "--opening-within",
            metavar="DUR",
            help="Opens within DUR (30d, 2m).",
            show_default=False,
        ),
    ] = None,
    save: Annotated[
        str | None,
        typer.Option(
            "--save",
            metavar="NAME",
            help="Keep this search under NAME: `sync` then reports new topics it finds.",
            show_default=False,
        ),
    ] = None,
    saved: Annotated[
        str | None,
        typer.Option(
            "--saved", metavar="NAME", help="Run the saved search NAME.", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N topics.")] = SEARCH_LIMIT,
    fmt: SearchFormatOpt = Format.table,
) -> None:
    """Search the Funding & Tenders Portal live: identifier, title, status, next deadline.

    With --save NAME it is kept; sync then reports the topics it finds for the first time.
    """
    from fundwatch.domain import discovery
    from fundwatch.domain.timeutil import parse_option_duration
    from fundwatch.portal import client
    from fundwatch.portal import discovery as finder

    if saved is not None:
        given = [text, save, closing_within, opening_within]
        if any(v is not None for v in given) or status or programme or kind:
            raise UsageProblem(
                "--saved NAME runs the search as it was saved: give no TEXT, filter or --save"
            )
        wanted_search = _saved(session, saved)
    else:
        wanted_search = discovery.SavedSearch(
            name=discovery.check_name(save) if save is not None else "search",
            text=(text or "").strip() or client.EVERYTHING,
            statuses=discovery.check_statuses(s.value for s in status or ()),
            programmes=tuple(p.strip() for p in programme or ()),
            kinds=discovery.check_kinds(k.value for k in kind or ()),
            closing_within=parse_option_duration(closing_within, "--closing-within")
            if closing_within is not None
            else None,
            opening_within=parse_option_duration(opening_within, "--opening-within")
            if opening_within is not None
            else None,
        )
    planned = finder.plan(wanted_search)
    clock = session.clock
    url = session.settings.portal_url

    def wanted(topic: Topic) -> bool:
        return finder.matches(wanted_search, planned, topic, clock)

    if save is not None:
        rows = _save(session, wanted_search)[:limit]
    else:

        def enough(topics: list[Topic]) -> bool:
            return sum(map(wanted, topics)) >= limit

        try:
            topics = client.search_pages(url, planned.text, planned.query, enough=enough)
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


def _saved(session: Session, name: str) -> SavedSearch:
    """The saved search ``name``, or one error line naming those there are."""
    from fundwatch.domain import discovery

    searches = _searches(session)
    found = discovery.find(searches, name)
    if found is None:
        raise _unknown(name, searches)
    return found


def _unknown(name: str, searches: Sequence[SavedSearch]) -> FundwatchError:
    names = ", ".join(f"'{s.name}'" for s in searches)
    return FundwatchError(
        f"no saved search named '{name}'",
        hint=f"saved: {names}" if names else "save one: fundwatch search TEXT --save NAME",
    )


def _searches(session: Session) -> list[SavedSearch]:
    from fundwatch.domain import discovery

    if not session.path.exists():
        return []
    return discovery.read_searches(session.load().extra)


def _save(session: Session, search: SavedSearch) -> list[Topic]:
    """Run ``search`` as sync does (its first run: bounded, what it matches recorded),
    and keep it; the topics it matched."""
    from fundwatch.domain import discovery
    from fundwatch.portal import client
    from fundwatch.portal.discovery import run_all
    from fundwatch.storage import store

    if discovery.find(_searches(session), search.name) is not None:
        raise _taken(search.name)
    [ran] = run_all(session.settings.portal_url, [search], session.clock, ())
    if ran.too_broad:
        raise FundwatchError(
            f"'{search.name}' is too broad: the portal has {ran.search.hits} results for it "
            f"(a saved search may have at most {client.MAX_RESULTS}); nothing saved",
            hint="narrow it with more words, --status, --programme or --kind",
        )
    with store.transaction(session.path, create=True) as watchlist:
        searches = discovery.read_searches(watchlist.extra)
        if discovery.find(searches, search.name) is not None:
            raise _taken(search.name)
        watchlist.extra[discovery.TABLE] = discovery.searches_table([*searches, ran.search])
    n = len(ran.topics)
    sys.stderr.write(
        f"Saved search '{search.name}': {n} topic{'s' * (n != 1)} "
        "recorded; `fundwatch sync` reports the new ones it finds.\n"
    )
    return list(ran.topics)


def _taken(name: str) -> FundwatchError:
    import shlex

    # as a shell takes it: quoted, and after -- when it looks like an option
    arg = ("-- " if name.startswith("-") else "") + shlex.quote(name)
    return FundwatchError(
        f"there is already a saved search named '{name}'",
        hint=f"choose another name, or remove it first: fundwatch searches remove {arg}",
    )


class SearchesAction(StrEnum):
    list = "list"
    remove = "remove"


@command(
    example=[
        "fundwatch searches",
        "fundwatch searches --format json",
        "fundwatch searches remove soil",
    ]
)
def searches(
    session: Session,
    action: Annotated[
        SearchesAction,
        typer.Argument(
            metavar="[list|remove]",
            help="list (the default), or remove NAME.",
            show_default=False,
        ),
    ] = SearchesAction.list,
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="The search to remove.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The saved portal searches: name, query, filters, last run, topics seen.

    `fundwatch searches remove NAME` forgets one (and what it has seen).
    """
    from fundwatch.domain import discovery
    from fundwatch.storage import store

    if action is SearchesAction.remove:
        if name is None:
            raise UsageProblem("name the search to remove: fundwatch searches remove NAME")
        if not session.path.exists():
            _saved(session, name)  # says how to save one
        # as written: a search that cannot be read can still be removed
        with store.transaction(session.path) as watchlist:
            gone = discovery.drop(watchlist.extra, name)
            if gone is None:
                raise _unknown(name, discovery.read_searches(watchlist.extra))
        out(f"Removed saved search '{one_line(gone)}'.\n")
        return
    if name is not None:
        raise UsageProblem(f"unexpected '{name}': `fundwatch searches` lists them all")
    saved = _searches(session)
    clock = session.clock
    emit(
        fmt.value,
        lambda: searches_grid(saved, clock),
        lambda: [search_record(s) for s in saved],
        lambda: searches_csv(saved),
        "No saved searches (save one: fundwatch search TEXT --save NAME).",
        len(saved),
    )


def search_record(s: SavedSearch) -> dict[str, Any]:
    from fundwatch.domain.timeutil import iso

    return {
        "name": s.name,
        "text": s.text,
        "status": list(s.statuses),
        "programme": list(s.programmes),
        "kind": list(s.kinds),
        "closing_within": str(s.closing_within) if s.closing_within else None,
        "opening_within": str(s.opening_within) if s.opening_within else None,
        "last_run": iso(s.last_run),
        "count": s.hits,
        "too_broad": s.too_broad,
        "seen": len(s.seen) if s.seen is not None else None,
        "new_at_last_run": len(s.latest()),
    }


SEARCHES_CSV = ("name", "text", "status", "programme", "kind", "closing_within", "opening_within",
                "last_run", "count", "too_broad", "seen", "new_at_last_run")  # fmt: skip


def searches_csv(saved: Sequence[SavedSearch]) -> str:
    from fundwatch.output.tables import to_csv

    rows = []
    for s in saved:
        rec = search_record(s)
        rows.append([("; ".join(v) if isinstance(v, list) else v) for v in rec.values()])
    return to_csv(SEARCHES_CSV, rows)


def searches_grid(saved: Sequence[SavedSearch], clock: Clock) -> Grid:
    from fundwatch.domain.timeutil import human
    from fundwatch.output.tables import Grid

    grid = Grid(["Name", "Query", "Filters", "Last run", "Seen"], right=frozenset({4}))
    for s in saved:
        last = human(s.last_run.astimezone(clock.tz)) if s.last_run else "never"
        if s.too_broad:
            seen = f"too broad ({s.hits})"
        elif s.seen is None:
            seen = "-"
        else:
            fresh = len(s.latest())
            seen = f"{len(s.seen)}" + (f" ({fresh} new)" if fresh else "")
        grid.add([s.name, s.text, s.filters(), last, seen], None)
    return grid


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


@command(
    example=[
        "fundwatch watch HORIZON-CL3-2025-01-SSRI-04",
        "fundwatch watch HORIZON-CL3-2025-01-SSRI-04 HORIZON-EIE-2026-01-CONNECT-02",
    ]
)
def watch(
    session: Session,
    identifiers: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="IDENTIFIER...",
            help="Official topic ids, such as HORIZON-CL3-2025-01-SSRI-04.",
            show_default=False,
        ),
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Every topic new at the last sync's saved searches.")
    ] = False,
    search_name: Annotated[
        str | None,
        typer.Option(
            "--search",
            metavar="NAME",
            help="With --new: only this saved search's.",
            show_default=False,
        ),
    ] = None,
) -> int | None:
    """Add portal topics to the watchlist by their identifier, filled from the portal.

    Prints the new ids; those the portal does not know or you already watch are skipped.
    """
    from fundwatch.portal import client
    from fundwatch.storage import store

    if new:
        if identifiers:
            raise UsageProblem("give identifiers or --new, not both")
        asked = _new_of_last_sync(session, search_name)
        if not asked:
            return None
    elif search_name is not None:
        raise UsageProblem("--search NAME goes with --new")
    else:
        asked = list(dict.fromkeys(i.strip() for i in identifiers or () if i.strip()))
    if not asked:
        raise UsageProblem("give at least one identifier, such as HORIZON-CL3-2025-01-SSRI-04")
    path = session.path
    owners = _owners(session.load().calls) if path.exists() else {}
    watched = [i for i in asked if i.casefold() in owners]
    wanted = [i for i in asked if i.casefold() not in owners]
    found = client.fetch_topics(session.settings.portal_url, wanted) if wanted else {}
    found |= _found_by_searches(session, [i for i in wanted if i not in found])
    unknown = [i for i in wanted if i not in found]

    added: list[str] = []
    with store.transaction(path, create=True) as watchlist:
        owners = _owners(watchlist.calls)  # another process may have added some meanwhile
        taken = watchlist.ids()
        for identifier, topic in found.items():
            if identifier.casefold() in owners or topic.identifier.casefold() in owners:
                watched.append(identifier)
                continue
            call = _new_call(session, topic, taken)
            watchlist.calls.append(call)
            taken.add(call.id)
            owners[topic.identifier.casefold()] = call.id
            added.append(call.id)
        problems = _problems(unknown, watched, owners)
        if not added:  # raised inside: nothing is written, not even a new empty file
            raise FundwatchError("; ".join(problems) or "nothing to add", hint=_hint(unknown))
    for problem in problems:
        sys.stderr.write(f"warning: {problem}\n")
    out("".join(f"{call_id}\n" for call_id in added))
    return None


def _new_of_last_sync(session: Session, name: str | None) -> list[str]:
    """The identifiers new at the last sync (of one saved search), less those watched;
    says so on stderr when there are none."""
    searches = [_saved(session, name)] if name is not None else _searches(session)
    if not searches:
        raise FundwatchError(
            "there are no saved searches", hint="save one: fundwatch search TEXT --save NAME"
        )
    owners = _owners(session.load().calls)
    latest = [f for s in searches for f in s.latest()]
    asked = list(dict.fromkeys(f.identifier for f in latest))
    left = [i for i in asked if i.casefold() not in owners]
    if not left:
        said = "all already watched" if asked else "none"
        sys.stderr.write(f"No new topics to watch from the last sync ({said}).\n")
    return left


def _found_by_searches(session: Session, identifiers: list[str]) -> dict[str, Topic]:
    """Topics that saved searches found, for identifiers the portal's lookup did not
    know (cascade calls are found by search but have no identifier field to look up)."""
    if not identifiers:
        return {}
    records: dict[str, Found] = {}
    for s in _searches(session):
        for f in s.new:
            records[f.identifier.casefold()] = f
    out = {}
    for identifier in identifiers:
        record = records.get(identifier.casefold())
        if record is not None:
            out[identifier] = _as_topic(record)
    return out


def _as_topic(f: Found) -> Topic:
    from fundwatch.domain.discovery import KINDS
    from fundwatch.portal.topics import Topic

    return Topic(
        identifier=f.identifier,
        title=f.title,
        call_identifier=None,
        call_title=None,
        programme=f.programme,
        portal_status=None,
        opens=f.opens,
        deadlines=f.deadlines,
        url=f.url,
        budget=None,
        type=KINDS.get(f.kind, f.kind),
        source=None,
    )


def _owners(calls: Iterable[Call]) -> dict[str, str]:
    """Identifier (case-folded) -> the id of the call that watches it."""
    return {c.identifier.casefold(): c.id for c in calls if c.identifier}


def _new_call(session: Session, topic: Topic, taken: set[str]) -> Call:
    """The call for a topic, its id the identifier as a slug (no deadline yet: TBC)."""
    from fundwatch.domain.fields import restamp
    from fundwatch.domain.model import slugify, unique_id
    from fundwatch.portal.topics import topic_to_call

    now = session.clock.now
    call_id = unique_id(slugify(topic.identifier, limit=ID_LENGTH), taken)
    return restamp(topic_to_call(topic, call_id, now=now), now)


def _problems(unknown: list[str], watched: list[str], owners: dict[str, str]) -> list[str]:
    problems = []
    if unknown:
        problems.append("the portal does not know " + ", ".join(unknown))
    if watched:
        shown = [f"{i} (as '{owners.get(i.casefold(), '?')}')" for i in watched]
        problems.append("already watched: " + ", ".join(shown))
    return problems


def _hint(unknown: list[str]) -> str | None:
    if not unknown:
        return None
    return "the identifier is on the topic's page; `fundwatch search TEXT` finds topics"
