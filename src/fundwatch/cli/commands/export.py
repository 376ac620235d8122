"""`fundwatch export ics`: the watchlist as a calendar file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fundwatch.cli.app import app, command, examples
from fundwatch.cli.commands.watchlist import AllOpt
from fundwatch.cli.context import Session
from fundwatch.domain.errors import FundwatchError, WatchlistError
from fundwatch.domain.model import Call
from fundwatch.domain.query import Filters, selected

if TYPE_CHECKING:
    from fundwatch.output import calendar
    from fundwatch.output.ledger import Ledger

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


def export_recorded(
    session: Session, now: datetime, write: Callable[[list[Call], Ledger], None]
) -> None:
    """Hand ``write`` the calls with their calendar bookkeeping up to date and the
    watchlist's record of the events that went out (output.ledger, which ``write``
    brings up to date through calendar.build), and record both in the watchlist (so
    that a deadline moved by hand raises SEQUENCE once, not on every export, and a
    cancelled event goes out for 90 days) only once ``write`` has succeeded: a failed
    export leaves the watchlist as it was.

    A watchlist that cannot be written (read-only, locked) still exports, with a
    warning: its sequences cannot rise, so calendars may keep moved deadlines."""
    from fundwatch.domain.fields import restamp
    from fundwatch.output.ledger import Ledger
    from fundwatch.storage import store

    watchlist = session.load()  # from the cache: usually nothing needs recording
    calls = watchlist.calls
    ledger = Ledger.of(watchlist.extra)
    stale = not all(c.fingerprint == c.calendar_fingerprint() for c in calls)
    # restamp() depends on the call and ``now`` alone: the stamps recorded below, under
    # the lock, are the ones written out here without it (a slow pipe or a FIFO as the
    # output must not keep other commands from the watchlist)
    write([restamp(c, now) for c in calls] if stale else calls, ledger)
    if not stale and not ledger.changed:
        return
    try:
        with store.transaction(session.path) as changed:
            changed.calls = [restamp(c, now) for c in changed.calls]
            ledger.store(changed.extra)
    except WatchlistError as exc:
        sys.stderr.write(f"warning: calendar changes not recorded: {exc}\n")


def calendar_items(
    calls: list[Call],
    ledger: Ledger,
    session: Session,
    filters: Filters,
    include_done: bool,
    options: calendar.Options,
) -> list[calendar.Item]:
    """The events an export or a publication carries: those of the chosen calls, and
    the cancellations of the last 90 days (the ledger is brought up to date)."""
    from fundwatch.domain.query import DONE_STATES
    from fundwatch.output import calendar

    clock = session.clock
    done = include_done or bool(filters.state)
    return calendar.build(
        selected(calls, clock, filters, include_done),
        clock,
        options,
        ledger,
        everything=calls,
        live=lambda c: done or c.state not in DONE_STATES,
        matches=lambda c: filters.matches(c, clock),
    )


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

    def write(calls: list[Call], ledger: Ledger) -> None:
        nonlocal events
        items = calendar_items(calls, ledger, session, filters, all_, options)
        data = calendar.document(items, options)
        events = sum(not i.cancelled for i in items)
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
