"""The months ahead as a picture: one row per call, a bar from its opening (or the
left edge) to its last deadline, a mark per deadline, a month ruler with week ticks
and a line for today.

``build()`` turns calls, a clock and a window into a layout model (``Timeline``,
pure data: days, no columns or pixels); the renderers draw it: ``text_lines``
(styled runs for a terminal, or plain ASCII for a pipe), ``svg`` (a standalone
picture, or a fragment for a page), ``page`` (one self-contained HTML page) and
``mail_table`` (HTML table cells with background colours, for e-mail, where SVG
and images are dropped or blocked). Everything is escaped for where it goes;
nothing here imports rich.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import Call
from fundwatch.domain.query import window_end
from fundwatch.domain.reminder import Reminder
from fundwatch.domain.timeutil import Clock, Duration, human
from fundwatch.output.presentation import SOON_DAYS, URGENT_DAYS
from fundwatch.output.tables import cell_width, one_line, when_text
from fundwatch.output.terminal import urgency_style

DEFAULT_MONTHS = 6


class Mark(NamedTuple):
    """One deadline of a row, in the window."""

    day: date  # in the viewer's zone
    label: str
    final: bool  # the call's last deadline (else a stage or a cut-off)
    passed: bool
    days_left: int
    text: str  # as tables show it: "Wed 12 Nov 2025 17:00"


class Row(NamedTuple):
    """One call: its bar (clipped to the window) and its deadlines in the window."""

    call: Call
    opens: date | None  # its opening day, when known
    start: date  # where the bar starts: the opening, or the window's first day
    end: date  # where it ends: the last deadline, or the window's last day
    final: date | None  # the last deadline's day (None: no deadline yet)
    marks: tuple[Mark, ...]
    days_left: int | None  # to the next deadline not passed; None when all passed
    continues: bool  # the bar goes on past the window's end


class Timeline(NamedTuple):
    first: date  # the first day shown
    last: date  # the last day shown
    clock: Clock
    rows: tuple[Row, ...]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def today(self) -> date | None:
        """Today, when it is in the window."""
        today = self.clock.today
        return today if self.first <= today <= self.last else None

    def months(self) -> list[date]:
        """The first day of every month that starts in the window (and the first day)."""
        out = [self.first]
        day = _next_month(self.first)
        while day <= self.last:
            out.append(day)
            day = _next_month(day)
        return out

    def years(self) -> list[date]:
        """The first day shown and every 1 January in the window."""
        return [self.first] + [day for day in self.months()[1:] if day.month == 1]

    def mondays(self) -> list[date]:
        day = self.first + timedelta(days=-self.first.weekday() % 7)
        out = []
        while day <= self.last:
            out.append(day)
            day += timedelta(days=7)
        return out

    @property
    def over_a_year(self) -> bool:
        """A day and month may come twice in the window: dates need their year."""
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month >= 12

    def span_text(self, between: str = " - ") -> str:
        return f"{_day(self.first, True)}{between}{_day(self.last, True)}"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _day(day: date, year: bool = False) -> str:
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def window(start: date, months: int) -> tuple[date, date]:
    """``months`` calendar months from ``start``: its first and last day."""
    end = Duration(months, 0, f"{months}m").after(datetime.combine(start, datetime.min.time()))
    if end.year > 9998:
        raise BadValue(f"{months} months from {start:%d/%m/%Y} is beyond the calendar")
    return start, end.date() - timedelta(days=1)


def for_page(calls: Iterable[Call], clock: Clock, months: int = DEFAULT_MONTHS) -> str:
    """The timeline of the next ``months`` from today as an HTML fragment (an inline
    SVG in a <figure>), for a page that includes it, such as a published index.html."""
    return fragment(build(calls, clock, *window(clock.today, months)))


def build(calls: Iterable[Call], clock: Clock, first: date, last: date) -> Timeline:
    """The rows of the calls with a date (opening or deadline) in ``first..last``,
    soonest final deadline first (calls with no deadline yet last)."""
    rows = []
    for call in calls:
        row = _row(call, clock, first, last)
        if row is not None:
            rows.append(row)
    far = datetime.max.replace(tzinfo=UTC)

    def key(row: Row) -> tuple[datetime, str]:
        call = row.call
        return (call.deadlines[-1].starts(clock) if call.deadlines else far, call.id)

    rows.sort(key=key)
    return Timeline(first, last, clock, tuple(rows))


def of_reminder(r: Reminder) -> Timeline:
    """The reminder's window (today to today + within) with its calls: those due in it
    and those opening in it."""
    calls: dict[str, Call] = {}
    for row in [*r.today, *(x for week in r.weeks for x in week.rows)]:
        calls.setdefault(row.call.id, row.call)
    for opening in r.opening:
        calls.setdefault(opening.call.id, opening.call)
    last = window_end(r.clock, r.within).astimezone(r.clock.tz).date() - timedelta(days=1)
    return build(calls.values(), r.clock, r.clock.today, last)


def _row(call: Call, clock: Clock, first: date, last: date) -> Row | None:
    opens_at = call.opens_local()
    opens = None
    if opens_at is not None:
        opens = opens_at.astimezone(clock.tz).date() if isinstance(opens_at, datetime) else opens_at
    deadlines = call.deadlines
    final = deadlines[-1].day(clock) if deadlines else None
    marks = []
    for n, d in enumerate(deadlines):
        day = d.day(clock)
        if first <= day <= last:
            marks.append(
                Mark(day, d.label or "", n == len(deadlines) - 1, d.passed(clock),
                     d.days_left(clock), when_text(d, clock).replace("\n", " "))
            )  # fmt: skip
    opens_in = opens is not None and first <= opens <= last
    if not marks and not opens_in:
        return None
    start = opens if opens is not None and opens_in else first
    end = min(final, last) if final is not None else last
    if end < start:  # a deadline before the opening (a typo): the bar is the deadline,
        start, end = (end, end) if end >= first else (start, start)  # or in view, the opening
    nxt = call.next_deadline(clock)
    return Row(
        call, opens, start, end, final, tuple(marks), nxt.days_left(clock) if nxt else None,
        final is None or final > last,
    )  # fmt: skip


def urgency(days: int | None) -> str:
    """``red`` (due within URGENT_DAYS), ``amber`` (within SOON_DAYS), ``calm``, or
    ``passed`` (nothing left to do)."""
    if days is None or days < 0:
        return "passed"
    return "red" if days <= URGENT_DAYS else "amber" if days <= SOON_DAYS else "calm"


def hover(row: Row, clock: Clock) -> str:
    """What a pointer over a bar tells: the call and every deadline (one per line)."""
    call = row.call
    lines = [f"{one_line(call.id)}: {one_line(call.title)}"]
    if row.opens is not None:
        lines.append(f"Opens {human(row.opens)}")
    for d in call.deadlines:
        label = one_line(d.label) if d.label else "Deadline"
        state = " (passed)" if d.passed(clock) else ""
        lines.append(f"{label}: {when_text(d, clock).replace(chr(10), ' ')}{state}")
    if not call.deadlines:
        lines.append("Deadline not known yet")
    return "\n".join(lines)


# --- text ----------------------------------------------------------------------------------

Run = tuple[str, str]  # text and its style (a rich style name; "" for none)
Line = list[Run]


class Glyphs(NamedTuple):
    bar: str
    passed: str  # the part of a bar behind today
    final: str
    stage: str
    opens: str
    today: str
    today_bar: str  # today's line crossing a bar
    more: str  # the bar goes on past the right edge
    ruler: str
    month: str
    week: str
    today_tick: str


FANCY = Glyphs("━", "─", "◆", "◇", "┣", "│", "┿", "▶", "─", "┬", "·", "▼")
PLAIN = Glyphs("=", "-", "#", "o", "[", ":", ":", ">", "-", "|", "'", "v")

MIN_WIDTH = 80
MIN_PICTURE = 36
GAP = "  "


def _cols(t: Timeline, width: int) -> list[int]:
    """The column of each day of the window."""
    return [min(width - 1, n * width // t.days) for n in range(t.days)]


def text_lines(t: Timeline, width: int, fancy: bool = False) -> list[Line]:
    """The picture as lines of styled runs, ``width`` columns wide (at least 80; an id
    longer than the room leaves is never cut: the line grows instead)."""
    g = FANCY if fancy else PLAIN
    width = max(MIN_WIDTH, width)
    ids = [one_line(r.call.id) for r in t.rows]
    dates = [_due(r, t) for r in t.rows]
    id_w = max([cell_width(i) for i in ids], default=0)
    date_w = max([len(d) for d in dates], default=0)
    room = width - id_w - len(GAP) - date_w - len(GAP)
    # titles only where the picture keeps at least 60 columns (and half the line)
    wanted = max(60, width // 2)
    title_w = min(room - wanted - len(GAP), max([_w(r.call.title) for r in t.rows], default=0))
    if title_w < 24:
        title_w = 0
    pic_w = max(MIN_PICTURE, room - (title_w + len(GAP) if title_w else 0))
    left_w = id_w + (len(GAP) + title_w if title_w else 0) + len(GAP) + date_w + len(GAP)
    cols = _cols(t, pic_w)

    def col(day: date) -> int:
        return cols[(day - t.first).days]

    today = col(t.today) if t.today is not None else None

    lines: list[Line] = []
    caption = f"{t.span_text()}, times in {t.clock.tz_name}, as of {human(t.clock.now)}"
    lines.append([(caption, "dim")])
    # the ruler: month names, then ticks; where a month has under 3 columns, the years
    names = [" "] * pic_w
    months = t.months()
    by_year = pic_w * 30 < 3 * t.days
    spans = t.years() if by_year else months
    for n, first in enumerate(spans):
        at = col(first)
        stop = col(spans[n + 1]) if n + 1 < len(spans) else pic_w
        for label in (
            (str(first.year),) if by_year
            else (f"{first:%b %Y}" if n == 0 or first.month == 1 else f"{first:%b}",
                  f"{first:%b}", f"{first:%b}"[0])
        ):  # fmt: skip
            if at + len(label) < stop:  # a gap before the next name
                names[at : at + len(label)] = label
                break
    lines.append([(" " * left_w, ""), ("".join(names).rstrip(), "bold")])
    ticks = [g.ruler] * pic_w
    if not by_year:
        for monday in t.mondays():
            ticks[col(monday)] = g.week
    elif pic_w * 30 >= 2 * t.days:  # months lightly, where they stand apart
        for first in months:
            ticks[col(first)] = g.week
    begins = t.first.day == 1 and (t.first.month == 1 or not by_year)  # a month, a year
    for first in spans if begins else spans[1:]:
        ticks[col(first)] = g.month
    tick_runs: Line = [(" " * left_w, ""), ("".join(ticks), "dim")]
    if today is not None:
        tick_runs = [
            (" " * left_w, ""), ("".join(ticks[:today]), "dim"), (g.today_tick, "bold magenta"),
            ("".join(ticks[today + 1 :]), "dim"),
        ]  # fmt: skip
    lines.append(tick_runs)

    for row, ident, due in zip(t.rows, ids, dates, strict=True):
        style = _style(row.days_left)
        runs: Line = [(ident + " " * (id_w - cell_width(ident)), "bold")]
        if title_w:
            runs.append((GAP + _cut(one_line(row.call.title), title_w), "dim"))
        runs.append((GAP + due.rjust(date_w) + GAP, style))
        runs += _bar_runs(row, t, g, pic_w, col, today, style)
        lines.append(_merge(runs))

    legend = (
        f"{g.final} deadline  {g.stage} stage or cut-off  {g.opens} opens  "
        f"{g.more} goes on"
        + (f"  {g.today} today, {human(t.clock.today)}" if today is not None else "")
    )
    lines.append([(legend, "dim")])
    return lines


def _w(text: str) -> int:
    return cell_width(one_line(text))


def _cut(text: str, width: int) -> str:
    """``text`` in exactly ``width`` columns: padded, or cut with an ellipsis."""
    if cell_width(text) <= width:
        return text + " " * (width - cell_width(text))
    out, used = "", 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out.rstrip() + "…" + " " * (width - 1 - cell_width(out.rstrip()))


def _due(row: Row, t: Timeline) -> str:
    """The final deadline's day: ``12 Nov``, with its year when past the window or
    when the window is longer than a year."""
    if row.final is None:
        return "TBC"
    return _day(row.final, t.over_a_year or not (t.first <= row.final <= t.last))


def _style(days: int | None) -> str:
    """As `upcoming` colours its rows; nothing left to do: dim."""
    return "dim" if days is None else urgency_style(days)


def _bar_runs(
    row: Row,
    t: Timeline,
    g: Glyphs,
    width: int,
    at: Callable[[date], int],
    today: int | None,
    style: str,
) -> Line:
    cells: list[Run] = [(" ", "")] * width
    start, end = at(row.start), at(row.end)
    for c in range(start, end + 1):
        behind = today is not None and c < today
        cells[c] = (g.passed, "dim") if behind else (g.bar, style)
    if row.opens is not None and row.start == row.opens:
        cells[start] = (g.opens, style or "bold")
    if row.continues:
        cells[width - 1] = (g.more, style)
    if today is not None:
        if cells[today][0] == " ":
            cells[today] = (g.today, "magenta")
        else:
            cells[today] = (g.today_bar, "magenta")
    # stages first, so that a final deadline in the same column wins
    for mark in sorted(row.marks, key=lambda m: m.final):
        mark_style = "dim" if mark.passed else _style(mark.days_left) or "bold"
        cells[at(mark.day)] = (g.final if mark.final else g.stage, mark_style)
    while cells and cells[-1][0] == " ":
        cells.pop()
    return cells


def _merge(runs: Line) -> Line:
    """Neighbouring runs of one style as one."""
    out: Line = []
    for text, style in runs:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        else:
            out.append((text, style))
    return out


def to_text(t: Timeline, width: int = MIN_WIDTH, fancy: bool = False) -> str:
    """The picture without colour (plain ASCII unless ``fancy``)."""
    return "".join(
        "".join(text for text, _ in line).rstrip() + "\n" for line in text_lines(t, width, fancy)
    )


# --- SVG and HTML ------------------------------------------------------------------------------

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
COLOURS = {"red": "#d93025", "amber": "#b06000", "calm": "#1a73e8", "passed": "#9aa0a6"}
TINTS = {"red": "#f6aea9", "amber": "#fbd38d", "calm": "#aecbfa", "passed": "#dadce0"}
TODAY = "#8430ce"
ROW_H = 36
TOP = 58


def _x(value: str) -> str:
    """Text for XML and HTML: one line, escaped."""
    return html.escape(one_line(value), quote=True)


def _multi(value: str) -> str:
    """Several lines (a tooltip), each escaped."""
    return "&#10;".join(_x(line) for line in value.split("\n"))


def svg(t: Timeline, width: int = 960, standalone: bool = True) -> str:
    """The picture as SVG: real text, a <title> per row (the call and its deadlines,
    shown on hover), presentation attributes only (no CSS, no script, no external
    font or image), so that browsers and image viewers draw it alike. Each row's <g>
    carries ``data-call`` and ``data-final`` (its last deadline)."""
    chars = max([cell_width(one_line(r.call.id)) for r in t.rows], default=10)
    label_w = max(150, int(chars * 7.4) + 24)
    # an id is never cut and never runs into the bars: a long one widens the picture
    width = max(width, label_w + width - max(150, width // 2))
    plot_x, plot_w = label_w, width - label_w - 64
    height = TOP + ROW_H * max(1, len(t.rows)) + 34
    per_day = plot_w / t.days

    def x(day: date) -> float:
        return round(plot_x + (day - t.first).days * per_day, 1)

    parts = []
    if standalone:
        parts.append('<?xml version="1.0" encoding="UTF-8"?>')
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" font-size="12"'
        + ("" if standalone else ' style="max-width:100%;height:auto"')  # fits a phone
        + ">"
    )
    parts.append(f"<title>{_x('Deadlines ' + t.span_text())}</title>")
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    bottom = TOP + ROW_H * max(1, len(t.rows))
    # months (or years, where a month is too narrow for its name): bands, names, ticks
    months = t.months()
    by_year = plot_w < 30 * len(months)  # "Sep" and a gap
    spans = t.years() if by_year else months
    for n, first in enumerate(spans):
        stop = spans[n + 1] if n + 1 < len(spans) else t.last + timedelta(days=1)
        x0, x1 = x(first), x(stop)
        if n % 2:
            parts.append(
                f'<rect x="{x0}" y="{TOP - 22}" width="{round(x1 - x0, 1)}" '
                f'height="{bottom - TOP + 22}" fill="#f5f7fa"/>'
            )
        if by_year:
            name = str(first.year)
        else:
            name = f"{first:%b %Y}" if n == 0 or first.month == 1 else f"{first:%b}"
        fits = x1 - x0 >= len(name) * 8 + 6  # bold 12px: up to 8px a character, a gap
        if fits or (not by_year and x1 - x0 >= 30):  # else "Jan" for "Jan 2026"
            parts.append(
                f'<text x="{x0 + 4}" y="{TOP - 26}" font-weight="bold" fill="#3c4043">'
                f"{_x(name if fits else first.strftime('%b'))}</text>"
            )
        parts.append(
            f'<line x1="{x0}" y1="{TOP - 22}" x2="{x0}" y2="{bottom}" stroke="#c4c7c5" '
            'stroke-width="1"/>'
        )
    for monday in [] if by_year else t.mondays():
        mx = x(monday)
        parts.append(
            f'<line x1="{mx}" y1="{TOP - 8}" x2="{mx}" y2="{TOP - 2}" stroke="#80868b" '
            'stroke-width="1"/>'
        )
        parts.append(
            f'<line x1="{mx}" y1="{TOP}" x2="{mx}" y2="{bottom}" stroke="#eceff1" '
            'stroke-width="1"/>'
        )
    parts.append(
        f'<line x1="{plot_x}" y1="{TOP - 2}" x2="{plot_x + plot_w}" y2="{TOP - 2}" '
        'stroke="#80868b" stroke-width="1"/>'
    )
    for n, row in enumerate(t.rows):
        parts.append(_svg_row(row, t, n, x, plot_x, plot_w, label_w))
    if not t.rows:
        parts.append(
            f'<text x="{plot_x + 8}" y="{TOP + 22}" fill="#5f6368">'
            "No deadline or opening in this window.</text>"
        )
    if t.today is not None:
        tx = round(x(t.today) + per_day / 2, 1)
        parts.append(
            f'<line x1="{tx}" y1="{TOP - 14}" x2="{tx}" y2="{bottom}" stroke="{TODAY}" '
            'stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{tx}" y="{bottom + 14}" text-anchor="middle" font-size="10" '
            f'font-weight="bold" fill="{TODAY}">today</text>'
        )
    parts.append(_svg_legend(t, bottom + 28, width))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _diamond(cx: float, cy: float, r: float, fill: str, stroke: str) -> str:
    points = f"{cx},{cy - r} {cx + r},{cy} {cx},{cy + r} {cx - r},{cy}"
    return f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'


def _svg_row(
    row: Row,
    t: Timeline,
    n: int,
    at: Callable[[date], float],
    plot_x: int,
    plot_w: int,
    label_w: int,
) -> str:
    top = TOP + n * ROW_H
    mid = top + ROW_H / 2
    day_w = plot_w / t.days
    kind = urgency(row.days_left)
    colour, tint = COLOURS[kind], TINTS[kind]
    call = row.call
    out = [
        f'<g data-call="{_x(call.id)}" data-final="{row.final.isoformat() if row.final else ""}">',
        f"<title>{_multi(hover(row, t.clock))}</title>",
        f'<rect x="0" y="{top}" width="{plot_x + plot_w + 64}" height="{ROW_H}" '
        'fill="#ffffff" fill-opacity="0"/>',
        f'<line x1="8" y1="{top + ROW_H}" x2="{plot_x + plot_w}" y2="{top + ROW_H}" '
        'stroke="#eceff1" stroke-width="1"/>',
        f'<text x="8" y="{top + 15}" font-weight="bold" fill="#202124">{_x(call.id)}</text>',
        f'<text x="8" y="{top + 29}" font-size="11" fill="#5f6368">'
        f"{_x(_cut(one_line(call.title), max(8, (label_w - 16) // 6)).rstrip())}</text>",
    ]
    x0 = at(row.start)
    x1 = at(row.end) + day_w
    today = t.today
    if today is not None and row.start < today:
        split = min(at(today), x1)
        out.append(_bar(x0, split, mid, TINTS["passed"]))
        if split < x1:
            out.append(_bar(split, x1, mid, tint))
    else:
        out.append(_bar(x0, x1, mid, tint))
    if row.opens is not None and row.start == row.opens:
        out.append(f'<rect x="{x0}" y="{mid - 7}" width="3" height="14" rx="1" fill="{colour}"/>')
    if row.continues:
        xe = plot_x + plot_w
        out.append(
            f'<polygon points="{xe},{mid - 6} {xe + 8},{mid} {xe},{mid + 6}" fill="{colour}"/>'
        )
    for mark in sorted(row.marks, key=lambda m: m.final):
        cx = round(at(mark.day) + day_w / 2, 1)
        mc = COLOURS[urgency(None if mark.passed else mark.days_left)]
        out.append(
            _diamond(cx, mid, 7, mc, "#ffffff")
            if mark.final
            else _diamond(cx, mid, 5, "#ffffff", mc)
        )
    # the final deadline's date beside its mark (or at the right edge when it is beyond)
    due = _due(row, t)
    if row.final is not None and not row.continues:
        fx = round(at(row.final) + day_w / 2, 1)
        if fx + 12 + len(due) * 6.5 <= plot_x + plot_w + 60:
            out.append(
                f'<text x="{fx + 11}" y="{mid + 4}" font-size="11" fill="{colour}">{_x(due)}</text>'
            )
        else:
            out.append(
                f'<text x="{fx - 11}" y="{mid + 4}" font-size="11" text-anchor="end" '
                f'fill="{colour}">{_x(due)}</text>'
            )
    else:
        out.append(
            f'<text x="{plot_x + plot_w - 4}" y="{mid - 8}" font-size="10" text-anchor="end" '
            f'fill="{colour}">{_x(("last " + due) if row.final else "no deadline yet")}</text>'
        )
    out.append("</g>")
    return "\n".join(out)


def _bar(x0: float, x1: float, mid: float, fill: str) -> str:
    return (
        f'<rect x="{round(x0, 1)}" y="{mid - 4}" width="{round(max(2.0, x1 - x0), 1)}" '
        f'height="8" rx="4" fill="{fill}"/>'
    )


def _svg_legend(t: Timeline, y: int, width: int) -> str:
    out = [
        _diamond(14, y - 4, 6, COLOURS["calm"], "#ffffff"),
        f'<text x="26" y="{y}" font-size="11" fill="#3c4043">deadline</text>',
        _diamond(96, y - 4, 5, "#ffffff", COLOURS["calm"]),
        f'<text x="106" y="{y}" font-size="11" fill="#3c4043">stage or cut-off</text>',
        f'<rect x="212" y="{y - 10}" width="3" height="12" rx="1" fill="{COLOURS["calm"]}"/>',
        f'<text x="222" y="{y}" font-size="11" fill="#3c4043">opens</text>',
        f'<rect x="270" y="{y - 8}" width="22" height="8" rx="4" fill="{TINTS["red"]}"/>',
        f'<text x="298" y="{y}" font-size="11" fill="#3c4043">due within {URGENT_DAYS} days</text>',
        f'<rect x="400" y="{y - 8}" width="22" height="8" rx="4" fill="{TINTS["amber"]}"/>',
        f'<text x="428" y="{y}" font-size="11" fill="#3c4043">within {SOON_DAYS} days</text>',
    ]
    caption = f"Times in {t.clock.tz_name}, as of {human(t.clock.now)}"
    out.append(
        f'<text x="{width - 8}" y="{y}" font-size="11" text-anchor="end" fill="#5f6368">'
        f"{_x(caption)}</text>"
    )
    return "\n".join(out)


def fragment(t: Timeline, width: int = 960) -> str:
    """The picture for a page that includes it (the published index.html): an inline
    <svg> in a <figure>, no XML declaration."""
    return (
        '<figure class="fundwatch-timeline" style="margin:0;overflow-x:auto">\n'
        + svg(t, width, standalone=False)
        + "</figure>\n"
    )


def page(t: Timeline, width: int = 960) -> str:
    """One self-contained page with the picture: no scripts, nothing fetched."""
    title = f"Funding deadlines {t.span_text()}"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_x(title)}</title></head>",
        f'<body style="margin:0;padding:16px;color:#202124;background:#ffffff;font-family:{FONT}">',
        f'<h1 style="font-size:20px;margin:0 0 12px">{_x(title)}</h1>',
        fragment(t, width).rstrip("\n"),
        "</body></html>",
    ]) + "\n"  # fmt: skip


# --- e-mail: table cells ------------------------------------------------------------------------


def mail_table(t: Timeline, max_columns: int = 45, chart_px: int = 480) -> str:
    """The picture as an HTML table for e-mail: a column per day (or per few days in a
    long window), cells coloured with bgcolor and inline styles; a deadline's cell
    also carries a character (◆ deadline, ◇ stage or cut-off) for readers that drop
    colours. Each row's <tr> carries ``data-call``."""
    per = max(1, -(-t.days // max_columns))
    buckets = [t.first + timedelta(days=i) for i in range(0, t.days, per)]

    def index(day: date) -> int:
        return (day - t.first).days // per

    today = index(t.today) if t.today is not None else None
    cell_w = max(8, min(28, chart_px // len(buckets)))
    font = f"font-family:{FONT}"
    base = f"padding:0;width:{cell_w}px;min-width:{cell_w}px;text-align:center"
    label = "padding:2px 10px 2px 0;white-space:nowrap"

    def edge(n: int) -> str:
        """Today's column has a line on its left."""
        return f";border-left:2px solid {TODAY}" if n == today else ""

    spans: list[tuple[date, int]] = []
    for day in buckets:
        if spans and (spans[-1][0].year, spans[-1][0].month) == (day.year, day.month):
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((day, 1))
    months = "".join(
        f'<td colspan="{n}" style="padding:0 2px;font-size:11px;font-weight:bold;'
        f'color:#3c4043;text-align:left;border-left:1px solid #c4c7c5;white-space:nowrap">'
        f"{_x(_month_name(day, n * cell_w, k == 0))}</td>"
        for k, (day, n) in enumerate(spans)
    )
    head = [
        f'<tr><td style="{label}"></td><td style="{label}"></td>{months}</tr>',
    ]
    if per == 1:
        days = "".join(
            f'<td width="{cell_w}" style="{base};font-size:9px;line-height:14px;'
            f"color:{TODAY if n == today else '#5f6368'};"
            f"font-weight:{'bold' if n == today else 'normal'};"
            f'border-bottom:1px solid #c4c7c5{edge(n)}">{day.day}</td>'
            for n, day in enumerate(buckets)
        )
    else:
        days = "".join(
            f'<td width="{cell_w}" style="{base};font-size:1px;line-height:4px;'
            f'border-bottom:1px solid #c4c7c5{edge(n)}">&nbsp;</td>'
            for n in range(len(buckets))
        )
    head.append(
        f'<tr><td style="{label};font-size:11px;color:#5f6368">Call</td>'
        f'<td style="{label};font-size:11px;color:#5f6368">Due</td>{days}</tr>'
    )
    rows = []
    for row in t.rows:
        kind = urgency(row.days_left)
        colour, tint = COLOURS[kind], TINTS[kind]
        fill: dict[int, tuple[str, str]] = {}
        for n in range(index(row.start), index(row.end) + 1):
            behind = t.today is not None and buckets[n] + timedelta(days=per - 1) < t.today
            fill[n] = (TINTS["passed"] if behind else tint, "")
        for mark in sorted(row.marks, key=lambda m: m.final):
            mc = COLOURS[urgency(None if mark.passed else mark.days_left)]
            fill[index(mark.day)] = (mc, "◆" if mark.final else "◇")
        cells = []
        n = 0
        while n < len(buckets):
            bg, char = fill.get(n, ("", ""))
            # neighbouring columns alike are one cell (Gmail clips a mail past 102 KB)
            span = 1
            while (
                not char
                and n + span < len(buckets)
                and n + span != today
                and fill.get(n + span, ("", "")) == (bg, "")
            ):
                span += 1
            w = cell_w * span
            style = f"padding:0;width:{w}px;text-align:center;font-size:10px;line-height:14px;"
            style += "border-top:4px solid #ffffff;border-bottom:4px solid #ffffff"
            if bg:
                style += f";background:{bg};color:#ffffff"
            attrs = (f' colspan="{span}"' if span > 1 else "") + f' width="{w}"'
            attrs += f' bgcolor="{bg}"' if bg else ""
            cells.append(f'<td{attrs} style="{style}{edge(n)}">{char}</td>')
            n += span
        rows.append(
            f'<tr data-call="{_x(row.call.id)}">'
            f'<td style="{label};font-size:12px;font-weight:bold;color:#202124">'
            f"{_x(row.call.id)}</td>"
            f'<td style="{label};font-size:12px;color:{colour}">{_x(_due(row, t))}</td>'
            + "".join(cells)
            + "</tr>"
        )
    legend = (
        f'<p style="margin:6px 0 16px;font-size:11px;color:#5f6368;{font}">'
        "◆ deadline &nbsp; ◇ stage or cut-off &nbsp; "
        f'<span style="color:{TODAY};font-weight:bold">|</span> today'
        + (f" &nbsp; (a column for every {per} days)" if per > 1 else "")
        + "</p>"
    )
    return (
        '<table cellpadding="0" cellspacing="0" border="0" role="presentation" '
        f'style="border-collapse:collapse;margin:8px 0 0;{font}">\n'
        + "\n".join(head + rows)
        + "\n</table>\n"
        + legend
    )


def _month_name(day: date, room_px: int, first: bool) -> str:
    """``Nov 2025`` where there is room, ``Nov`` where less, nothing where none."""
    long = f"{day:%b %Y}"
    if (first or day.month == 1) and room_px >= 8 * len(long):
        return long
    return f"{day:%b}" if room_px >= 26 else ""
