"""Calls from a CSV file as spreadsheets save it.

European Excel writes ``;`` between cells (``,`` is the decimal mark there), a BOM
before UTF-8, Windows line endings, and quoted cells with line breaks inside. The
header row is matched by name, case-insensitively, with the usual synonyms ("Call",
"Closing date", "Program", "Link"); ``--map "Column=field"`` names the rest. Dates
are read as people type them (day-first). Rows that share an identifier (or an id)
are one call with several deadlines. A first line ``sep=;`` (Excel's) names the
separator. Each row's fields pass the rules of domain.fields; every bad row is told
(SourceProblems), each naming the row as a spreadsheet numbers it (the header is
row 1) and the column by letter and name. A row with more or fewer cells than the
header is an error: its columns would shift.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import time
from typing import Any

from fundwatch.domain.errors import BadValue, FundwatchError, raise_all
from fundwatch.domain.fields import parse_budget, read_call
from fundwatch.importers.base import Gathered, Incoming

# field -> the headers that mean it (compared once folded: lower case, words only)
SYNONYMS: dict[str, tuple[str, ...]] = {
    # most specific first: of two columns that could be the title, "Call title" wins
    "title": ("title", "call title", "topic title", "call name", "call", "topic", "titel",
              "titre", "subject", "summary", "name"),
    "deadline": ("deadline", "deadlines", "closing date", "submission deadline",
                 "deadline date", "due date", "due", "close date", "closing", "frist",
                 "date limite", "next deadline", "date"),
    "label": ("label", "stage", "cut off", "cutoff"),
    "opens": ("opens", "opening", "opening date", "open date", "start date", "opens on"),
    "programme": ("programme", "program", "funding programme", "funding program",
                  "framework", "programme name", "program name"),
    "identifier": ("identifier", "topic id", "topic identifier", "call identifier",
                   "call id", "reference", "topic code", "code"),
    "url": ("url", "link", "website", "web", "web page", "page", "call link"),
    "tags": ("tags", "tag", "keywords", "categories", "category", "labels"),
    "notes": ("notes", "note", "comments", "comment", "remarks", "description"),
    "budget": ("budget", "total budget", "amount", "funding", "budget eur"),
    "state": ("state", "my state", "our state"),
    "timezone": ("timezone", "time zone", "tz", "zone"),
    "id": ("id", "slug"),
}  # fmt: skip
FIELDS = tuple(SYNONYMS)
IGNORED = ("status", "days left", "days", "next deadline")  # derived: never read back
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def fold(header: str) -> str:
    """``"Closing Date "`` -> ``closing date``; ``Cut-off`` -> ``cut off``."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.casefold().lstrip("\ufeff")).split())


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the letters a spreadsheet shows."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _dialect(text: str) -> str:
    """The separator: of ``,``, ``;`` and tab, the one that splits the header row into
    the most known columns (then the most columns)."""
    first = next(iter(io.StringIO(text, newline="")), "")
    best, score = ",", (-1, -1)
    for sep in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=sep), [])
        known = sum(1 for c in cells if _field_of(fold(c)) is not None)
        if (known, len(cells)) > score:
            best, score = sep, (known, len(cells))
    return best


def _field_of(folded: str) -> str | None:
    for field, names in SYNONYMS.items():
        if folded in names:
            return field
    return None


def _parse_map(mapping: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in mapping:
        column, sep, field = item.rpartition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise BadValue(f"--map: '{item}' is not COLUMN=FIELD", hint='such as "Call name=title"')
        if field not in (*FIELDS, "ignore"):
            raise BadValue(
                f"--map: '{field}' is not a field", hint="one of " + ", ".join((*FIELDS, "ignore"))
            )
        out[fold(column)] = field
    return out


def columns(header: list[str], mapping: Sequence[str], name: str) -> dict[str, int]:
    """field -> the index of its column; an error when there is no title or deadline."""
    mapped = _parse_map(mapping)
    folded = [fold(h) for h in header]
    for column in mapped:
        if column not in folded:
            raise BadValue(
                f"--map: {name} has no column '{column}'", hint=f"its columns: {_shown(header)}"
            )
    found: dict[str, int] = {}
    for i, h in enumerate(folded):  # --map first
        field = mapped.get(h)
        if field and field != "ignore" and field not in found:
            found[field] = i
    ranked: dict[str, tuple[int, int]] = {}  # field -> (rank of its synonym, column)
    for i, h in enumerate(folded):  # then the most specific name: "Deadline" before "Date"
        if h in mapped or h in IGNORED:
            continue
        for field, names in SYNONYMS.items():
            if field not in found and h in names:
                ranked[field] = min(ranked.get(field, (len(names), i)), (names.index(h), i))
    found.update({field: i for field, (_, i) in ranked.items()})
    for need, example in (("title", "Title"), ("deadline", "Deadline")):
        if need not in found:
            raise FundwatchError(
                f"{name}: no {need} column (the header row has {_shown(header)})",
                hint=f"name one with --map \"COLUMN={need}\", or call a column '{example}'",
            )
    return found


def _shown(header: list[str], most: int = 8) -> str:
    """The header's cells for a message: one line, each cut short, the first few."""
    from fundwatch.output.tables import one_line

    cells = [one_line(h) for h in header if h.strip()]
    shown = ", ".join(f"'{c[:30]}…'" if len(c) > 30 else f"'{c}'" for c in cells[:most])
    return (shown + (f" and {len(cells) - most} more" if len(cells) > most else "")) or "none"


def read_csv(
    text: str,
    name: str,
    default_tz: str,
    default_time: time | None,
    mapping: Sequence[str] = (),
) -> list[Incoming]:
    """Every row's call; every bad row of the file is told at once (SourceProblems)."""
    text, sep = _separator_line(text, name)
    sep = sep or _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        # a quote opened and never closed runs to the end: name the row it opened in
        raise FundwatchError(
            f"{name} row {len(rows) + 1}: not readable as CSV ({exc})",
            hint='a cell that starts with " must end with " (write "" for a quote inside)',
        ) from None
    if not rows:
        raise FundwatchError(f"{name} is empty")
    header = rows[0]
    where = columns(header, mapping, name)
    calls = Gathered()
    problems: list[str] = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(_width_problem(row, number, header, name))
            continue
        new, wrong = _row(row, number, where, header, name, default_tz, default_time)
        problems += wrong
        if new is not None:
            # rows that share an identifier (or an id) are one call's deadlines
            ident = new.call.identifier
            calls.add(
                new, key=ident.casefold() if ident else (new.call.id if new.explicit_id else None)
            )
    raise_all(name, problems)
    return calls.calls


def _separator_line(text: str, name: str = "") -> tuple[str, str | None]:
    """The text without Excel's ``sep=;`` first line (``"sep=;"`` when a program
    quoted it), and the separator it names."""
    found = re.match(r'\ufeff?(?:"sep=(.)"|sep=(.))[ \t]*(\r\n|\n|\r|$)', text, re.IGNORECASE)
    if found is None:
        first = text.lstrip("\ufeff").split("\n", 1)[0].strip().strip('"')
        if first.lower().startswith("sep="):  # `sep=` or `sep=;;`: which one was meant?
            raise FundwatchError(
                f"{name}: the first line '{first}' names no separator",
                hint="write one character after sep=, such as sep=;",
            )
        return text, None
    return text[found.end() :], found[1] or found[2]


def _width_problem(row: list[str], number: int, header: list[str], name: str) -> str:
    """A row with more or fewer cells than the header: its columns would shift."""
    n, want = len(row), len(header)
    i = min(n, want)
    column = f"column {column_name(i)}" + (f" ({header[i].strip()})" if i < want else "")
    what = "more" if n > want else "fewer"
    return (
        f"{name} row {number}, {column}: {n} cells, {what} than the {want} of the header "
        "(a separator too many or missing? a cell that holds one must be in quotes)"
    )


def _cell(row: list[str], where: dict[str, int], field: str) -> str:
    i = where.get(field)
    if i is None or i >= len(row):
        return ""
    # our own CSV puts an apostrophe before what a spreadsheet would run as a formula,
    # at the start and after each ";" or tab (where a European spreadsheet splits)
    pieces = _SEPARATORS.split(_undefuse(row[i].strip()))
    for n in range(2, len(pieces), 2):
        pieces[n] = _undefuse(pieces[n])
    return "".join(pieces)


_SEPARATORS = re.compile(r"([;\t])")


def _undefuse(value: str) -> str:
    if value.startswith("'") and value.lstrip("'").lstrip(" ").startswith(_FORMULA):
        return value[1:]
    return value


def _row(
    row: list[str],
    number: int,
    where: dict[str, int],
    header: list[str],
    name: str,
    default_tz: str,
    default_time: time | None,
) -> tuple[Incoming | None, list[str]]:
    """The row's call, or None and each of its problems as a line naming its column."""
    raw: dict[str, Any] = {field: _cell(row, where, field) or None for field in where}
    raw["deadlines"] = raw.pop("deadline", None)
    if raw.get("budget"):
        raw["budget"] = parse_budget(raw["budget"])  # a cell's digits are a number
    call, problems = read_call(raw, default_tz, default_time)

    def place(field: str) -> str:
        i = where.get("deadline" if field == "deadlines" else field)
        if i is None:
            return f"{name} row {number}"
        return f"{name} row {number}, column {column_name(i)} ({header[i].strip() or field})"

    def column(field: str) -> int:
        return where.get("deadline" if field == "deadlines" else field, -1)

    ordered = sorted(problems, key=lambda p: column(p.field))  # left to right
    lines = [p.line(place(p.field), subject=False) for p in ordered]
    if call is None:
        return None, lines
    return Incoming(call, explicit_id=bool(raw.get("id")), where=f"{name} row {number}"), lines
