"""Rows -> JSON, CSV, Markdown and plain text, each escaped for where it goes.

JSON and CSV are the scripting contract (their keys are in cli-contract.md). The
human formats share one ``Grid`` so that a terminal table, a piped table and a
Markdown table show the same columns. Nothing here imports rich.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.model import one_line as one_line  # for every output
from fundwatch.domain.query import CallRow, DeadlineRow
from fundwatch.domain.timeutil import Clock, city, human, iso
from fundwatch.output.presentation import LIST_CSV, NOT_YET, UPCOMING_CSV, shown_deadline
from fundwatch.output.presentation import SOON_DAYS as SOON_DAYS  # re-exported: the thresholds
from fundwatch.output.presentation import URGENT_DAYS as URGENT_DAYS

# --- records (JSON shapes of the contract) ----------------------------------------------


def deadline_record(d: Deadline, clock: Clock) -> dict[str, Any]:
    return {
        "at": iso(d.local),
        "label": d.label,
        "all_day": d.all_day,
        "days_left": d.days_left(clock),
    }


def call_record(call: Call, clock: Clock) -> dict[str, Any]:
    nxt = call.next_deadline(clock)
    return {
        "id": call.id,
        "title": call.title,
        "programme": call.programme,
        "identifier": call.identifier,
        "url": call.url,
        "tags": list(call.tags),
        "state": call.state,
        "status": call.status(clock),
        "opens": iso(call.opens_local()),
        "timezone": call.timezone,
        "deadlines": [deadline_record(d, clock) for d in call.deadlines],
        "next_deadline": iso(nxt.local) if nxt else None,
        "budget": call.budget,
        "notes": call.notes,
    }


def upcoming_record(row: DeadlineRow) -> dict[str, Any]:
    c, d = row.call, row.deadline
    return {
        "call_id": c.id,
        "title": c.title,
        "programme": c.programme,
        "identifier": c.identifier,
        "url": c.url,
        "at": iso(d.local),
        "label": d.label,
        "all_day": d.all_day,
        "days_left": row.days_left,
    }


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


# --- CSV --------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets in most of Europe split on ";", and some on tabs, instead of ","
_OTHER_SEPARATORS = re.compile(r"([;\t])")
_QUOTED = frozenset(',"\r\n;\t')


def _defuse(text: str) -> str:
    # after any apostrophes of its own: "'=1" gets one more, so that it reads back as
    # written (`import` takes one apostrophe off what it finds before a formula)
    if text.lstrip("'").lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """A cell that a spreadsheet will show as text, never run as a formula.

    Text starting with = + - @, a tab or a carriage return (also after spaces) gets a
    leading apostrophe, as OWASP advises; so does each piece that a spreadsheet
    splitting on ";" or tab would make a cell of its own (``ok;@SUM(1)`` ->
    ``ok;'@SUM(1)``). Numbers are left as numbers.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    pieces = _OTHER_SEPARATORS.split(str(value))
    for i in range(2, len(pieces), 2):
        pieces[i] = _defuse(pieces[i])
    return _defuse("".join(pieces))


def _csv_field(value: Any) -> str:
    """As csv.writer writes it, and quoted also when it holds ";" or a tab."""
    text = value if isinstance(value, str) else str(value)
    if any(ch in _QUOTED for ch in text):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = [",".join(_csv_field(h) for h in header)]
    lines += [",".join(_csv_field(csv_cell(v)) for v in row) for row in rows]
    return "".join(line + "\r\n" for line in lines)


def calls_csv(calls: Sequence[Call], clock: Clock) -> str:
    rows = []
    for call in calls:
        rec = call_record(call, clock)
        nxt = call.next_deadline(clock)
        rec["tags"] = "; ".join(call.tags)
        rec["days_left"] = nxt.days_left(clock) if nxt else None
        rec["deadlines"] = "; ".join(
            f"{d['label']}: {d['at']}" if d["label"] else d["at"] for d in rec["deadlines"]
        )
        rows.append([rec[k] for k in LIST_CSV])
    return to_csv(LIST_CSV, rows)


def upcoming_csv(rows: Sequence[DeadlineRow]) -> str:
    return to_csv(UPCOMING_CSV, [list(upcoming_record(r).values()) for r in rows])


# --- the human grid ---------------------------------------------------------------------


class Grid:
    """Columns and rows of text, with the days left of each row for colouring by urgency."""

    def __init__(
        self,
        headers: list[str],
        right: frozenset[int] = frozenset(),  # right-aligned columns
        link_column: int = 0,  # the column Markdown links to the row's URL
        caption: str = "",
        keep: frozenset[int] = frozenset(),  # never wrapped on a terminal
        squeeze: frozenset[int] = frozenset(),  # cut short first on a narrow terminal
    ) -> None:
        self.headers = headers
        self.right = right
        self.keep = keep
        self.squeeze = squeeze
        self.link_column = link_column
        self.caption = caption
        self.rows: list[list[str]] = []
        self.days_left: list[int | None] = []
        self.links: list[str | None] = []

    def add(self, cells: list[str], days_left: int | None, link: str | None = None) -> None:
        self.rows.append(cells)
        self.days_left.append(days_left)
        self.links.append(link)


def when_text(d: Deadline, clock: Clock) -> str:
    """The deadline in the viewer's zone, with its own zone's time when that differs."""
    text = human(d.viewed(clock))
    if d.all_day:
        return f"{text}, all day"
    if d.differs_for(clock):
        own = d.local
        # on its own line in a terminal table; one_line() joins it for plain text
        text += f"\n({own:%H:%M} {city(d.timezone)})"
    return text


def days_text(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{-days}d ago"
    return f"{days}d"


def zone_caption(clock: Clock) -> str:
    return f"Times in {clock.tz_name}, as of {human(clock.now)}"


def calls_grid(rows: Sequence[CallRow], clock: Clock) -> Grid:
    grid = Grid(
        ["ID", "Title", "Programme", "Status", "Next deadline", "Left"],
        right=frozenset({5}),
        link_column=1,
        caption=zone_caption(clock),
        keep=frozenset({3, 4, 5}),
        squeeze=frozenset({2}),
    )
    for r in rows:
        c = r.call
        nxt = NOT_YET if not c.deadlines else ""
        shown = shown_deadline(r.next, c.deadlines)
        if shown is not None:
            nxt = when_text(shown, clock)
            if shown.label:
                nxt += f" [{shown.label}]"
        left = "" if r.status == "closed" else days_text(r.days_left)
        grid.add(
            [c.id, c.title, c.programme or "", r.status, nxt, left],
            None if r.status == "closed" else r.days_left,
            c.url,
        )
    return grid


def upcoming_grid(rows: Sequence[DeadlineRow], clock: Clock) -> Grid:
    grid = Grid(
        ["Deadline", "Left", "Call", "Stage", "Programme", "ID"],
        right=frozenset({1}),
        link_column=2,
        caption=zone_caption(clock),
        keep=frozenset({0, 1}),
        squeeze=frozenset({4}),
    )
    for r in rows:
        c = r.call
        grid.add(
            [when_text(r.deadline, clock), days_text(r.days_left), c.title,
             r.deadline.label or "", c.programme or "", c.id],
            r.days_left,
            c.url,
        )  # fmt: skip
    return grid


# --- plain text -------------------------------------------------------------------------


def cell_width(text: str) -> int:
    """Columns on screen: wide (CJK, emoji) count 2, combining marks and format
    characters 0 (an accent typed as letter + combining mark takes one column)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def to_text(grid: Grid, below: frozenset[int] = frozenset()) -> str:
    """Aligned columns, no colour, no box drawing, never cropped.

    The columns in ``below`` (long ones: programme, link) go on an indented line
    under their row instead, so that a mail reader's lines stay short.
    """
    shown = [i for i in range(len(grid.headers)) if i not in below]
    table = [[grid.headers[i] for i in shown]] + [
        [one_line(row[i]) for i in shown] for row in grid.rows
    ]
    widths = [max(cell_width(row[j]) for row in table) for j in range(len(shown))]
    lines = []
    for n, row in enumerate(table):
        cells = []
        for j, cell in enumerate(row):
            pad = " " * (widths[j] - cell_width(cell))
            cells.append(pad + cell if shown[j] in grid.right else cell + pad)
        lines.append("  ".join(cells).rstrip())
        extra = [one_line(grid.rows[n - 1][i]) for i in sorted(below)] if n else []
        if any(extra):
            lines.append("    " + " · ".join(e for e in extra if e))
    return "\n".join(lines) + "\n"


# --- Markdown ---------------------------------------------------------------------------

# '@' too: Mattermost and Rocket.Chat would notify @all or @channel in a title
_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\|*_`[]<>~#@"})


def html_text(value: object) -> str:
    """Text for HTML and XML: one line, escaped (quotes too), control characters shown
    as U+FFFD (not allowed in HTML; they would reach a terminal mail reader raw)."""
    import html  # not at the top: `list` and `upcoming` never need it

    return html.escape(one_line(str(value)), quote=True)


def md_escape(text: str) -> str:
    """Text for a Markdown table cell: no cell breaks, no markup, no HTML, one line."""
    return one_line(text).translate(_MD_SPECIAL)


def web_url(url: str | None) -> str | None:
    """An http(s) URL safe to put in a link (spaces, brackets and non-ASCII
    percent-encoded); None for anything else (javascript:, mailto:, a typo)."""
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    return "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in " ()<>[]{}|\\`\"'" else
        "".join(f"%{b:02X}" for b in ch.encode()) for ch in url
    )  # fmt: skip


def md_link(text: str, url: str | None) -> str:
    label = md_escape(text)
    safe = web_url(url)
    return f"[{label}]({safe})" if safe else label


def to_markdown(grid: Grid) -> str:
    align = ["---:" if i in grid.right else "---" for i in range(len(grid.headers))]
    lines = ["| " + " | ".join(md_escape(h) for h in grid.headers) + " |",
             "| " + " | ".join(align) + " |"]  # fmt: skip
    for row, link in zip(grid.rows, grid.links, strict=True):
        cells = [
            md_link(c, link) if i == grid.link_column else md_escape(c) for i, c in enumerate(row)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
