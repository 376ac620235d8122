"""`fundwatch publish FOLDER|URL`: a folder to serve and subscribe to, or a CalDAV
calendar kept in step."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fundwatch.cli.app import command
from fundwatch.cli.commands.export import PROFILE_HELP, Profile, calendar_items, export_recorded
from fundwatch.cli.context import Session, out
from fundwatch.domain.errors import FundwatchError, UsageProblem, WatchlistError
from fundwatch.domain.model import Call
from fundwatch.domain.query import Filters

if TYPE_CHECKING:
    from fundwatch.output import calendar
    from fundwatch.output.ledger import Ledger

REFRESH_HOURS = 12
HORIZON = "365d"  # deadlines.json and the page: the next twelve months


class PublishFormat(StrEnum):
    text = "text"
    json = "json"


@command(
    "publish",
    filters=True,
    example=[
        "fundwatch publish ~/www/deadlines --base-url https://team.example/fw/",
        "fundwatch publish https://cloud.example/remote.php/dav/calendars/al/fw/",
        "fundwatch publish http://127.0.0.1:5232/alice/funding/ --dry-run",
    ],
)
def publish(
    session: Session,
    filters: Filters,
    target: Annotated[
        str,
        typer.Argument(
            metavar="FOLDER|URL",
            help="A folder to write (deadlines.ics, deadlines.json, index.html), or a "
            "CalDAV calendar's URL.",
            show_default=False,
        ),
    ],
    profile: Annotated[Profile, typer.Option("--profile", help=PROFILE_HELP)] = Profile.generic,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="Where the folder is served: prints the subscription address and puts it "
            "on the page.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="CalDAV: say what would change, send no change.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="CalDAV: overwrite events someone changed on the server."),
    ] = False,
    fmt: Annotated[
        PublishFormat, typer.Option("--format", help="What to print: a line, or JSON.")
    ] = PublishFormat.text,
) -> int | None:
    """Publish the deadlines: a folder to serve and subscribe to, or a CalDAV calendar.

    CalDAV credentials: FUNDWATCH_CALDAV_USER and FUNDWATCH_CALDAV_PASSWORD, or ~/.netrc.

    Alarms and milestones come from the settings, the calendar's name from calendar_name."""
    from datetime import timedelta

    from fundwatch.output import calendar
    from fundwatch.publishing import caldav

    settings = session.settings
    options = calendar.options_for(profile.value, settings.alarms, False, settings.milestones)
    options = options._replace(name=settings.calendar_name, stable=True)
    if not target.strip():  # an unset "$DIR": not the current folder
        raise UsageProblem("FOLDER|URL is empty", hint="give the folder to write or a CalDAV URL")
    if caldav.is_url(target):
        if base_url is not None:
            raise UsageProblem("--base-url is for a folder; a CalDAV calendar has its own URL")
        return _to_caldav(session, filters, caldav.collection_url(target), options, dry_run,
                          force, fmt)  # fmt: skip
    if dry_run or force:
        raise UsageProblem("--dry-run and --force are for a CalDAV URL, not a folder")
    if "://" in target:
        raise UsageProblem(
            f"'{target.split('://')[0]}://' is not a CalDAV address", hint="use http(s)://"
        )
    options = options._replace(refresh=timedelta(hours=REFRESH_HOURS))
    _to_folder(session, filters, Path(target), options, base_url, fmt)
    return None


def _to_folder(
    session: Session,
    filters: Filters,
    folder: Path,
    options: calendar.Options,
    base_url: str | None,
    fmt: PublishFormat,
) -> None:
    from fundwatch.domain.query import selected, upcoming_rows
    from fundwatch.domain.timeutil import parse_option_duration
    from fundwatch.output import calendar, page, tables, timeline
    from fundwatch.publishing.folder import check_folder, write_folder

    if base_url is not None:
        from fundwatch.net import check_url

        check_url(base_url, "--base-url")
        base_url = base_url.strip()
        if "?" in base_url or "#" in base_url:  # the feed's name goes after the path
            raise UsageProblem(
                "--base-url has a query or fragment",
                hint="give the folder's address, e.g. https://team.example/deadlines/",
            )
    check_folder(folder)
    clock = session.clock
    counts = {"events": 0, "cancelled": 0}
    written: list[str] = []

    def write(calls: list[Call], ledger: Ledger) -> None:
        items = calendar_items(calls, ledger, session, filters, False, options)
        counts["events"] = sum(not i.cancelled for i in items)
        counts["cancelled"] = sum(i.cancelled for i in items)
        rows = upcoming_rows(calls, clock, parse_option_duration(HORIZON, "--within"), filters)
        sections = page.sections(rows, clock, options.name, base_url)
        picture = timeline.for_page(selected(calls, clock, filters), clock)
        page.insert_section(sections, page.Section("timeline", picture), before="months")
        written.extend(
            write_folder(
                folder,
                {
                    "deadlines.ics": calendar.document(items, options),
                    "deadlines.json": tables.to_json(
                        [tables.upcoming_record(r) for r in rows]
                    ).encode(),
                    "index.html": page.page(sections, options.name).encode(),
                },
            )
        )

    export_recorded(session, clock.now_utc, write)
    web, subscribe = page.feed_links(base_url)
    if fmt is PublishFormat.json:
        record = {
            "folder": str(folder),
            "events": counts["events"],
            "cancelled": counts["cancelled"],
            "written": written,
            "feed": web if base_url else None,
            "subscribe": subscribe if base_url else None,
        }
        out(tables.to_json(record))
        return
    what = ", ".join(written) if written else "nothing changed"
    line = f"Published {counts['events']} event{'s' * (counts['events'] != 1)}"
    if counts["cancelled"]:
        line += f" and {counts['cancelled']} cancelled"
    out(f"{line} to {folder} ({what}).\n")
    if base_url:
        out(f"Subscribe: {subscribe}\n")


def _to_caldav(
    session: Session,
    filters: Filters,
    url: str,
    options: calendar.Options,
    dry_run: bool,
    force: bool,
    fmt: PublishFormat,
) -> int | None:

    from fundwatch import net
    from fundwatch.domain.fields import restamp
    from fundwatch.output import calendar, tables
    from fundwatch.output.ledger import Ledger
    from fundwatch.publishing import caldav
    from fundwatch.storage import store

    login = caldav.credentials(url)
    clock = session.clock
    now = clock.now_utc
    watchlist = session.load()
    calls = [restamp(c, now) for c in watchlist.calls]
    ledger = Ledger.of(watchlist.extra)
    state = caldav.state_of(watchlist.extra, url)
    before = dict(state)
    stale = any(c.fingerprint != c.calendar_fingerprint() for c in watchlist.calls)
    items = calendar_items(calls, ledger, session, filters, False, options)
    start, end = calendar.head(options, method=False)
    resources = {i.uid: (start + i.data + end, i.cancelled) for i in items}
    try:
        with net.client(timeout=20.0) as client:
            if login is not None:
                client.auth = caldav.login(*login)
            progress = net.Progress(f"Publishing to {net.host(url)}", fmt is PublishFormat.text)
            try:
                outcome = caldav.sync(
                    caldav.Server(client, url),
                    resources,
                    state,
                    dry_run,
                    force,
                    lambda n: progress.update(
                        f"Publishing to {net.host(url)}: {n}/{len(resources)}"
                    ),
                )
            finally:
                progress.close()
    finally:
        # also when the run failed half way: what was written is ours on the next run
        if not dry_run and (stale or ledger.changed or state != before):
            try:
                with store.transaction(session.path) as changed:
                    changed.calls = [restamp(c, now) for c in changed.calls]
                    ledger.store(changed.extra)
                    caldav.store_state(changed.extra, url, state)
            except WatchlistError as exc:
                sys.stderr.write(f"warning: calendar changes not recorded: {exc}\n")
    if fmt is PublishFormat.json:
        out(tables.to_json({"dry_run": dry_run, **outcome.record()}))
    else:
        out(("dry run, nothing sent: would have " if dry_run else "") + outcome.line() + "\n")
    if outcome.foreign:
        n = len(outcome.foreign)
        foreign = FundwatchError(
            f"{n} event{'s' * (n > 1)} at {net.host(url)} with this watchlist's "
            f"UID{'s' * (n > 1)} {'were' if n > 1 else 'was'} not written from this "
            f"watchlist (another watchlist publishes the same call there?), left alone: "
            f"{', '.join(outcome.foreign[:3])}{' ...' if n > 3 else ''}",
            hint="publish again with --force to take them over",
        )
        if not outcome.conflicts:
            raise foreign
        sys.stderr.write(f"error: {foreign}\n")
    if outcome.conflicts:
        n = len(outcome.conflicts)
        raise FundwatchError(
            f"{n} event{'s were' if n > 1 else ' was'} changed on the server at "
            f"{net.host(url)} since fundwatch wrote {'them' if n > 1 else 'it'} (412), "
            f"not overwritten: {', '.join(outcome.conflicts[:3])}{' ...' if n > 3 else ''}",
            hint="publish again with --force to overwrite",
        )
    return None
