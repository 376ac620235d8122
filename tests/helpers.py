"""Small helpers shared by several test files."""

from __future__ import annotations


def md_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, honouring backslash escapes."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, cell, i = [], "", 1
    while i < len(line) - 1:
        ch = line[i]
        if ch == "\\":
            cell += line[i : i + 2]
            i += 2
            continue
        if ch == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
        i += 1
    cells.append(cell.strip())
    return cells


# issue 11's example: a call with an identifier and three cut-offs
ACCELERATOR_2027 = """version = 1

[[calls]]
id = "eic-accelerator-2027"
title = "EIC Accelerator 2027"
identifier = "HORIZON-EIC-2027-ACCELERATOR-01"
deadlines = [
    { at = 2027-01-07T17:00:00, label = "Cut-off 1" },
    { at = 2027-03-04T17:00:00, label = "Cut-off 2" },
    { at = 2027-09-02T17:00:00, label = "Cut-off 3" },
]
"""
