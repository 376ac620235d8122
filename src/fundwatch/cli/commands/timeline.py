"""`fundwatch timeline`: the months ahead as a picture (text, SVG or an HTML page)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from fundwatch.cli.app import command
from fundwatch.cli.context import Session, out
from fundwatch.domain.errors import BadValue
from fundwatch.domain.query import Filters


class TimelineFormat(StrEnum):
    text = "text"
    svg = "svg"
    html = "html"


@command(
    filters=True,
    example=[
        "fundwatch timeline",
        "fundwatch timeline --months 12 --state preparing",
        "fundwatch timeline --format svg > timeline.svg",
        "fundwatch timeline --format html --tag eic > deadlines.html",
    ],
)
def timeline(
    session: Session,
    filters: Filters,
    months: Annotated[
        int, typer.Option("--months", metavar="N", min=1, max=120, help="Months to show.")
    ] = 6,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="DATE", help="First day shown (default: today).", show_default=False
        ),
    ] = None,
    fmt: Annotated[
        TimelineFormat,
        typer.Option("--format", help="text (coloured on a terminal), svg or html."),
    ] = TimelineFormat.text,
) -> None:
    """The months ahead as a picture: a bar per call, a mark per deadline, today's line.

    Soonest final deadline first; calls with nothing in the window are left out.
    Piped or with NO_COLOR: plain characters, no colour.
    """
    import os
    import shutil
    import sys
    from datetime import datetime

    from fundwatch.domain.query import call_rows
    from fundwatch.domain.timeutil import parse_when
    from fundwatch.output import timeline as pictures
    from fundwatch.output.terminal import is_terminal

    clock = session.clock
    first = clock.today
    if start is not None:
        try:
            given = parse_when(start, clock.tz_name)
        except BadValue as exc:
            raise BadValue(f"--from: {exc.message}", exc.hint) from None
        first = given.date() if isinstance(given, datetime) else given
    first, last = pictures.window(first, months)
    calls = [r.call for r in call_rows(session.load().calls, clock, filters)]
    picture = pictures.build(calls, clock, first, last)
    if fmt is TimelineFormat.svg:
        out(pictures.svg(picture))
        return
    if fmt is TimelineFormat.html:
        out(pictures.page(picture))
        return
    terminal = is_terminal()
    if not picture.rows:
        if terminal:
            sys.stderr.write(f"No call has a date between {picture.span_text(' and ')}.\n")
        return
    width = shutil.get_terminal_size((80, 24)).columns
    if terminal and not os.environ.get("NO_COLOR"):
        from fundwatch.output.terminal import print_runs

        print_runs(pictures.text_lines(picture, width, fancy=True))
    else:
        out(pictures.to_text(picture, width))
