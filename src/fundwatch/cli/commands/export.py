"""`fundwatch export ics`: the watchlist as a calendar file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fundwatch.cli.app import app, command, examples
from fundwatch.cli.commands.watchlist import AllOpt
from fundwatch.cli.context import Session
from fundwatch.domain.errors import FundwatchError, WatchlistError
from fundwatch.domain.model import Call
from fundwatch.domain.query import Filters, selected

export_app = typer.Typer(
    help="Export the watchlist (ics: an iCalendar file).",
    no_args_is_help=True,
    epilog=examples("fundwatch export ics -o deadlines.ics", "fundwatch export ics --help"),
)
app.add_typer(export_app, name="export")


class Profile(StrEnum):
    generic = "generic"
    outlook = "outlook"
    google = "google"


PROFILE_HELP = (
    "generic: every alarm; outlook: one alarm an event (Outlook keeps one); "
    "google: no alarms (Google ignores them in imported calendars)."
)


def export_recorded(session: Session, now: datetime, write: Callable[[list[Call]], None]) -> None:
    """Hand ``write`` the calls with their calendar bookkeeping up to date, and record
    that bookkeeping in the watchlist (so that a deadline moved by hand raises SEQUENCE
    once, not on every export) only once ``write`` has succeeded: a failed export
    leaves the watchlist as it was.

    A watchlist that cannot be written (read-only, locked) still exports, with a
    warning: its sequences cannot rise, so calendars may keep moved deadlines."""
    from fundwatch.domain.fields import restamp
    from fundwatch.storage import store

    calls = session.load().calls  # from the cache: usually nothing needs recording
    if all(c.fingerprint == c.calendar_fingerprint() for c in calls):
        write(calls)
        return
    # restamp() depends on the call and ``now`` alone: the stamps recorded below, under
    # the lock, are the ones written out here without it (a slow pipe or a FIFO as the
    # output must not keep other commands from the watchlist)
    write([restamp(c, now) for c in calls])
    try:
        with store.transaction(session.path) as watchlist:
            watchlist.calls = [restamp(c, now) for c in watchlist.calls]
    except WatchlistError as exc:
        sys.stderr.write(f"warning: calendar changes not recorded: {exc}\n")


@command(
    "ics",
    filters=True,
    group=export_app,
    example=[
        "fundwatch export ics -o deadlines.ics",
        "fundwatch export ics --profile outlook --alarm 3d --alarm 1d -o outlook.ics",
        'fundwatch export ics --tag eic --milestone "Partner letters=21d" > eic.ics',
    ],
)
def export_ics(
    session: Session,
    filters: Filters,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE", help="Write here; '-' is stdout.")
    ] = "-",
    alarm: Annotated[
        list[str] | None,
        typer.Option("--alarm", metavar="DUR", help="A reminder DUR before (repeatable)."),
    ] = None,
    no_alarms: Annotated[bool, typer.Option("--no-alarms", help="No reminders.")] = False,
    profile: Annotated[Profile, typer.Option("--profile", help=PROFILE_HELP)] = Profile.generic,
    milestone: Annotated[
        list[str] | None,
        typer.Option(
            "--milestone",
            metavar="NAME=DUR",
            help="Also an event DUR before each deadline (repeatable).",
        ),
    ] = None,
    all_: AllOpt = False,
) -> None:
    """An RFC 5545 calendar: one event per deadline (and per milestone)."""
    from fundwatch.output import calendar
    from fundwatch.storage.files import write_output

    settings = session.settings
    options = calendar.options_for(
        profile.value,
        alarm if alarm is not None else settings.alarms,
        no_alarms,
        milestone if milestone is not None else settings.milestones,
    )
    clock = session.clock
    events = 0

    def write(calls: list[Call]) -> None:
        nonlocal events
        chosen = selected(calls, clock, filters, all_)
        data = calendar.calendar(chosen, clock, options)
        events = calendar.count_events(chosen, options)
        if output == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        try:
            write_output(Path(output), data)
        except WatchlistError as exc:  # the output's failure, not the watchlist's
            raise FundwatchError(exc.message, exc.hint) from None

    export_recorded(session, clock.now_utc, write)
    if sys.stderr.isatty():  # a cron job refreshing a published calendar stays quiet
        where = "" if output == "-" else f" to {output}"
        sys.stderr.write(f"Wrote {events} event{'s' * (events != 1)}{where}.\n")
        if not events:
            sys.stderr.write("No deadline matched: the calendar has no events.\n")
