"""`fundwatch import SOURCE`: merge calls from a file, a URL or standard input."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from fundwatch.cli.app import command
from fundwatch.cli.context import Session, out


class ImportFormat(StrEnum):
    ics = "ics"
    csv = "csv"
    json = "json"
    toml = "toml"


@command(
    "import",
    example=[
        "fundwatch import calls.csv --dry-run",
        'fundwatch import sheet.csv --map "Call name=title" --map "Closes=deadline"',
        "fundwatch import https://example.org/deadlines.ics",
        "fundwatch list --format json | fundwatch --file copy.toml import -",
    ],
)
def import_(
    session: Session,
    source: Annotated[
        str, typer.Argument(metavar="SOURCE", help="A file, an http(s) URL, or - for stdin.")
    ],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="The source's format (default: from its name or content)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be added and changed; write nothing.")
    ] = False,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="COLUMN=FIELD",
            help="CSV: read COLUMN as FIELD (title, deadline, opens, programme, identifier, "
            "url, tags, notes, budget, state, timezone, label, id, or ignore); repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Merge calls from a spreadsheet, a calendar, JSON or another watchlist.

    A call already on the watchlist (same identifier, else same calendar UID
    or id, else same title and first deadline) is updated, not added again;
    its state, notes and tags stay yours. An import adds and updates deadlines
    and removes none, whatever the source leaves out (only sync does).
    """
    from fundwatch.importers import merge, reader
    from fundwatch.importers.source import read_source
    from fundwatch.portal.client import timeout_from_env
    from fundwatch.storage import store

    settings, clock = session.settings, session.clock
    # the source is read and checked whole before the watchlist is touched
    src = read_source(source, fmt.value if fmt else None, timeout_from_env())
    incoming = reader.read_calls(
        src, clock, settings.timezone, settings.deadline_time, mapping or ()
    )
    path = session.path
    if dry_run:
        current = session.load().calls if path.exists() else []
        _, outcomes = merge.merge(current, incoming, clock)
    else:
        with store.transaction(path, create=True) as watchlist:
            watchlist.calls, outcomes = merge.merge(watchlist.calls, incoming, clock)
    for outcome in outcomes:
        if outcome.kind != "unchanged":
            out(outcome.line(dry_run) + "\n")
    counts = {kind: sum(o.kind == kind for o in outcomes) for kind in ("added", "updated")}
    unchanged = len(outcomes) - counts["added"] - counts["updated"]
    verbs = ("would add", "would update") if dry_run else ("added", "updated")
    summary = (
        f"{src.name}: {len(outcomes)} call{'s' * (len(outcomes) != 1)}, "
        f"{counts['added']} {verbs[0]}, {counts['updated']} {verbs[1]}, {unchanged} unchanged"
    )
    out(summary + (" (dry run: nothing written).\n" if dry_run else ".\n"))
