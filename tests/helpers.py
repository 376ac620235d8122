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
