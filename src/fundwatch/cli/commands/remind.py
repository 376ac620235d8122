"""`fundwatch remind`: the weekly reminder for people, e-mail and chat."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from fundwatch.cli.app import command, option
from fundwatch.cli.commands.watchlist import AllOpt
from fundwatch.cli.context import Session, out
from fundwatch.cli.options import Opt
from fundwatch.domain.errors import FundwatchError, UsageProblem
from fundwatch.domain.query import Filters
from fundwatch.output.tables import zone_caption

if TYPE_CHECKING:
    from fundwatch.domain.discovery import Found
    from fundwatch.domain.reminder import Reminder
    from fundwatch.domain.timeutil import Clock, Duration
    from fundwatch.publishing.mail import Server
    from fundwatch.storage.codec import Watchlist


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


@command(
    filters=True,
    example=[
        "fundwatch remind",
        "fundwatch remind --within 3w --format html > reminder.html",
        "fundwatch remind --post --webhook https://chat.example.org/hooks/KEY",
        "fundwatch remind --exit-code || echo nothing due",
    ],
)
def remind(
    session: Session,
    filters: Filters,
    within: Annotated[
        str, typer.Option("--within", metavar="DUR", help="Window from today: 14d, 3w, 1m.")
    ] = "14d",
    fmt: Annotated[
        RemindFormat | None,
        option(
            Opt(
                ("--format",),
                "format",
                "Output format (default table: text when not on a terminal).",
                choices=RemindFormat,
                show_default=False,
            )
        ),
    ] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Send it to a chat webhook (implied by --webhook).")
    ] = False,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="Chat webhook (else FUNDWATCH_WEBHOOK, else the setting webhook).",
            show_default=False,
        ),
    ] = None,
    webhook_file: Annotated[
        str | None,
        typer.Option(
            "--webhook-file",
            metavar="PATH",
            help="Read the chat webhook's URL from PATH (- for standard input); unlike "
            "--webhook, it does not show in `ps`.",
            show_default=False,
        ),
    ] = None,
    post_format: Annotated[
        PostFormat | None,
        option(
            Opt(
                ("--post-format",),
                "post_format",
                "Chat kind (default: from the webhook's host).",
                metavar="KIND",
                choices=PostFormat,
            )
        ),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help=f"Exit {NOTHING_DUE} when nothing is due.")
    ] = False,
    all_: AllOpt = False,
    mail: Annotated[
        str | None,
        typer.Option(
            "--mail",
            metavar="TO[,TO...]",
            show_default=False,
            help="Send it by e-mail (settings smtp_host, mail_from...; see README).",
        ),
    ] = None,
) -> int | None:
    """The weekly reminder: due today, due within DUR by week, opening soon, changed.

    Prints nothing when there is nothing to say, so that cron mails nothing.
    """
    from fundwatch.domain import reminder as reminders
    from fundwatch.domain.timeutil import parse_option_duration
    from fundwatch.output import report

    span = parse_option_duration(within, "--within")
    if post or webhook is not None:  # a webhook given is one to post to
        if fmt is not None:
            raise UsageProblem(
                f"{'--post' if post else '--webhook'} posts in the chat's own format: "
                f"--format {fmt.value} cannot go with it",
                hint="--post-format chooses the chat kind; without --post, --format prints",
            )
        post = True
    fmt = fmt or RemindFormat.table
    # the webhook is checked first, so that a wrong one shows in an empty week too
    if webhook is not None and webhook_file is not None:
        raise UsageProblem("give --webhook or --webhook-file, not both")
    if webhook_file is not None:
        webhook = _read_webhook_file(webhook_file)
    target = _webhook(session, webhook, post_format) if post else None
    mailing = _mailing(session, mail) if mail is not None else None
    clock = session.clock
    watchlist = session.load()
    reminder = reminders.build(
        watchlist.calls, clock, span, filters, all_, watchlist.extra.get("sync")
    )
    reminder = reminder._replace(new_topics=_new_topics(watchlist, clock, span))
    if not reminder.empty and mailing is not None:
        _mail(reminder, *mailing)
    if not reminder.empty and (mailing is None or target is not None):
        if target is not None:
            _post(reminder, *target)
        elif fmt is RemindFormat.table:
            _table(reminder)
        else:
            out(report.render(reminder, fmt.value))
    return NOTHING_DUE if exit_code and not reminder.due else None


def _new_topics(watchlist: Watchlist, clock: Clock, span: Duration) -> tuple[Found, ...]:
    """What saved searches found new at the syncs within the window (not yet watched)."""
    from fundwatch.domain import discovery

    searches = discovery.read_searches(watchlist.extra)
    return tuple(discovery.recent(searches, watchlist.calls, clock, span))


def _table(reminder: Reminder) -> None:
    """Rich tables on a terminal, then the changes as the text format lists them; the
    text format when piped."""
    from fundwatch.output import report
    from fundwatch.output.terminal import is_terminal, print_grid

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


def _read_webhook_file(path: str) -> str:
    """The first line of PATH (or standard input) that is not blank nor a # comment."""
    from pathlib import Path

    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(65536)
        else:
            with Path(path).open("rb") as f:
                data = f.read(65536)
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise FundwatchError(f"--webhook-file: no file {path}") from None
    except IsADirectoryError:
        raise FundwatchError(f"--webhook-file: {path} is a folder") from None
    except OSError as exc:
        raise FundwatchError(f"--webhook-file: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FundwatchError(f"--webhook-file: {name} is not UTF-8 text") from None
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    raise FundwatchError(f"--webhook-file: {name} holds no URL", hint="put the URL on a line")


def _webhook(session: Session, url: str | None, kind: PostFormat | None) -> tuple[str, str]:
    """The webhook URL (option, FUNDWATCH_WEBHOOK, setting) and its chat kind."""
    from fundwatch import net
    from fundwatch.publishing import webhook

    url = url or session.settings.webhook
    if not url:
        raise FundwatchError(
            "no chat webhook to post to",
            hint="give --webhook-file PATH, set FUNDWATCH_WEBHOOK, or the setting webhook",
        )
    net.check_url(url, "chat webhook")
    return url, webhook.kind_for(url, kind.value if kind else None)


def _post(reminder: Reminder, url: str, kind: str) -> None:
    from fundwatch import net
    from fundwatch.output import report
    from fundwatch.publishing import webhook

    sent = webhook.post(url, report.chat(reminder, kind), reminder, kind)
    if sys.stderr.isatty():
        sys.stderr.write(f"Posted to {net.host(url)} ({kind}, {sent} message{'s' * (sent > 1)}).\n")


def _mailing(session: Session, to: str) -> tuple[list[str], tuple[str, str], Server]:
    """The recipients, the sender and the SMTP server, checked before anything is sent
    (so that a mistake shows in an empty week too)."""
    from fundwatch.publishing import mail

    settings = session.settings
    return mail.recipients(to), mail.sender(settings), mail.server(settings)


def _mail(reminder: Reminder, to: list[str], sender: tuple[str, str], server: Server) -> None:
    from fundwatch.output import report
    from fundwatch.publishing import mail

    msg = mail.message(
        report.headline(reminder), report.text(reminder), report.page(reminder), sender, to
    )
    mail.send(msg, server)
    if sys.stderr.isatty():
        sys.stderr.write(f"Mailed to {', '.join(to)} through {server.name}.\n")
