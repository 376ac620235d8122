"""The terminal: rich tables coloured by urgency. The only module that imports rich."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from fundwatch.output.presentation import urgency
from fundwatch.output.tables import Grid, one_line

_STYLES = {"past": "dim", "urgent": "bold red", "soon": "yellow", "": ""}


def urgency_style(days_left: int | None) -> str:
    return _STYLES[urgency(days_left)]


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _cell(text: str) -> Any:
    """A cell's text; a second line (the deadline's own zone) is dimmed."""
    from rich.text import Text

    first, _, rest = text.partition("\n")
    cell = Text(one_line(first))
    if rest:
        cell.append("\n" + one_line(rest), style="dim")
    return cell


def print_grid(grid: Grid, stream: TextIO | None = None) -> None:
    """A rich table on a terminal (colour unless NO_COLOR is set)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream or sys.stdout, highlight=False)
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption=grid.caption or None,
        caption_justify="left",
        pad_edge=False,
        padding=(0, 1),
    )
    # On a narrow terminal the squeezable columns (programme) go, rather than the id.
    shown = [i for i in range(len(grid.headers)) if console.width >= 110 or i not in grid.squeeze]
    for i in shown:
        header = grid.headers[i]
        table.add_column(
            header,
            justify="right" if i in grid.right else "left",
            no_wrap=i in grid.keep or i in grid.squeeze,
            overflow="ellipsis" if i in grid.squeeze else "fold",
            max_width=24 if i in grid.squeeze else None,
            min_width=None if i in grid.keep or i in grid.squeeze else 12,
        )
    for row, days in zip(grid.rows, grid.days_left, strict=True):
        table.add_row(*(_cell(row[i]) for i in shown), style=urgency_style(days))
    console.print(table)


def print_fields(pairs: list[tuple[str, str]], grid: Grid, stream: TextIO | None = None) -> None:
    """One call: its fields as a two-column list, then its deadlines."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream or sys.stdout, highlight=False)
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column(overflow="fold")
    for key, value in pairs:
        fields.add_row(key, Text("\n".join(one_line(line) for line in value.splitlines())))
    console.print(fields)
    console.print()
    print_grid(grid, stream)


def print_runs(lines: list[list[tuple[str, str]]], stream: TextIO | None = None) -> None:
    """Lines of (text, style) runs, coloured unless NO_COLOR is set; never wrapped."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
    for line in lines:
        text = Text(no_wrap=True, overflow="ignore")
        for part, style in line:
            text.append(part, style=style or None)
        console.print(text)
