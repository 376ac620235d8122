"""`fundwatch remind`: the weekly reminder for people, e-mail and chat."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from fundwatch.app import out
from fundwatch.cli import STATE, command
from fundwatch.commands import AllOpt
from fundwatch.errors import FundwatchError
from fundwatch.formats import zone_caption
from fundwatch.query import Filters

if TYPE_CHECKING:
    from fundwatch.remind import Reminder


class RemindFormat(StrEnum):
    table = "table"
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"
    csv = "csv"


class PostFormat(StrEnum):
    slack = "slack"
    mattermost = "mattermost"
    rocketchat = "rocketchat"
    discord = "discord"
    teams = "teams"


NOTHING_DUE = 3  # --exit-code: nothing is due


@command(filters=True)
def remind(
    filters: Filters,
    within: Annotated[
        str, typer.Option("--within", metavar="DUR", help="Window from today: 14d, 3w, 1m.")
    ] = "14d",
    fmt: Annotated[
        RemindFormat,
        typer.Option("--format", help="Output format (table: text when not on a terminal)."),
    ] = RemindFormat.table,
    post: Annotated[bool, typer.Option("--post", help="Send it to a chat webhook.")] = False,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="Chat webhook (else FUNDWATCH_WEBHOOK, else the setting webhook).",
            show_default=False,
        ),
    ] = None,
    post_format: Annotated[
        PostFormat | None,
        typer.Option("--post-format", help="Chat kind (default: from the webhook's host)."),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help=f"Exit {NOTHING_DUE} when nothing is due.")
    ] = False,
    all_: AllOpt = False,
) -> None:
    """The weekly reminder: due today, due within DUR by week, opening soon, changed.

    Prints nothing when there is nothing to say, so that cron mails nothing.
    """
    from fundwatch import remind as reminders
    from fundwatch import report
    from fundwatch.timeutil import parse_option_duration

    span = parse_option_duration(within, "--within")
    # the webhook is checked first, so that a wrong one shows in an empty week too
    target = _webhook(webhook, post_format) if post else None
    clock = STATE.clock
    watchlist = STATE.load()
    reminder = reminders.build(
        watchlist.calls, clock, span, filters, all_, watchlist.extra.get("sync")
    )
    if not reminder.empty:
        if target is not None:
            _post(reminder, *target)
        elif fmt is RemindFormat.table:
            _table(reminder)
        else:
            out(report.render(reminder, fmt.value))
    if exit_code and not reminder.due:
        raise typer.Exit(NOTHING_DUE)


def _table(reminder: Reminder) -> None:
    """Rich tables on a terminal, then the changes as the text format lists them; the
    text format when piped."""
    from fundwatch import report
    from fundwatch.render import is_terminal, print_grid

    if not is_terminal():
        out(report.render(reminder, "text"))
        return
    out(f"{report.headline(reminder)}\n{zone_caption(reminder.clock)}\n")
    for title, grid in report.sections(reminder):
        grid.headers.pop()  # the link column: too wide for a screen
        for row in grid.rows:
            row.pop()
        out("\n" + title + "\n")
        print_grid(grid)
    if reminder.changes:
        out(f"\n{report.changes_title(reminder)}\n")
        out("".join(line + "\n" for line in report.change_lines(reminder)))


def _webhook(url: str | None, kind: PostFormat | None) -> tuple[str, str]:
    """The webhook URL (option, FUNDWATCH_WEBHOOK, setting) and its chat kind."""
    from fundwatch import net, webhook

    url = url or STATE.settings.webhook
    if not url:
        raise FundwatchError(
            "no chat webhook to post to",
            hint="give --webhook URL, set FUNDWATCH_WEBHOOK, or the setting webhook",
        )
    net.check_url(url, "chat webhook")
    return url, webhook.kind_for(url, kind.value if kind else None)


def _post(reminder: Reminder, url: str, kind: str) -> None:
    from fundwatch import net, report, webhook

    sent = webhook.post(url, report.chat(reminder, kind), reminder, kind)
    if sys.stderr.isatty():
        sys.stderr.write(f"Posted to {net.host(url)} ({kind}, {sent} message{'s' * (sent > 1)}).\n")
