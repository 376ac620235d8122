"""The terminal: rich tables coloured by urgency. The only module that imports rich."""

from __future__ import annotations

import sys
from typing import TextIO

from fundwatch.formats import Grid, one_line


def urgency_style(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left < 0:
        return "dim"
    if days_left <= 3:
        return "bold red"
    if days_left <= 14:
        return "yellow"
    return ""


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def print_grid(grid: Grid, stream: TextIO | None = None) -> None:
    """A rich table on a terminal (colour unless NO_COLOR is set)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream or sys.stdout, highlight=False)
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption=grid.caption or None,
        caption_justify="left",
        pad_edge=False,
    )
    for i, header in enumerate(grid.headers):
        table.add_column(header, justify="right" if i in grid.right else "left", overflow="fold")
    for row, days in zip(grid.rows, grid.days_left, strict=True):
        table.add_row(*(Text(one_line(c)) for c in row), style=urgency_style(days))
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
        fields.add_row(key, Text(value))
    console.print(fields)
    console.print()
    print_grid(grid, stream)
