"""Properties over arbitrary values (hypothesis): whatever a title, note, tag, label,
zone or date holds, the watchlist reads back exactly as written, every export reads
back to the same values, and no value can add structure to where it goes (an event,
a spreadsheet formula, an HTML element, a Markdown cell, a TOML table).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import vobject
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import Call, Deadline, sort_deadlines
from fundwatch.domain.query import call_rows
from fundwatch.domain.timeutil import Clock, check_exists
from fundwatch.importers import merge, reader
from fundwatch.importers.source import Source
from fundwatch.output import calendar as ics
from fundwatch.output import tables as formats
from fundwatch.storage import codec

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLOCK = Clock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "Europe/Brussels")
ZONES = ["Europe/Brussels", "Europe/Kyiv", "America/New_York", "Asia/Tokyo", "UTC",
         "Australia/Lord_Howe", "Pacific/Kiritimati", "America/St_Johns", "Etc/GMT+5"]  # fmt: skip

# any text: control characters, line breaks, quotes, TOML, CSV, HTML and iCalendar syntax
TRICKY = ["\r\n", "\n", "\r", "\t", '"""', "'''", "\\", "\\N", ";", ",", "|", "=", "+", "-",
          "@", "<script>", "&amp;", "]]", "[[calls]]", "END:VEVENT", "BEGIN:VEVENT", "\x1b[31m",
          "\u2028", "\ufeff", "🇺🇦", "Київ", "\u0301", "*", "_", "`", "#"]  # fmt: skip
text = st.lists(
    st.one_of(st.text(st.characters(codec="utf-8"), max_size=12), st.sampled_from(TRICKY)),
    max_size=6,
).map("".join)
title = text.filter(lambda t: t.strip() != "")


@st.composite
def deadlines(draw: st.DrawFn, tz: str) -> Deadline:
    if draw(st.booleans()):
        at: date | datetime = draw(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
    else:
        day = draw(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
        at = datetime.combine(day, draw(st.times()).replace(microsecond=0, fold=0))
        try:
            check_exists(at, tz)
        except BadValue:
            assume(False)
    label = draw(st.one_of(st.none(), title))
    return Deadline(at, tz, label)


@st.composite
def calls(draw: st.DrawFn, n: int) -> Call:
    tz = draw(st.sampled_from(ZONES))
    own = draw(st.lists(deadlines(tz), min_size=1, max_size=3))
    opens = draw(st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2100, 1, 1))))
    return Call(
        id=f"call-{n}",
        title=draw(title),
        deadlines=sort_deadlines(own),
        programme=draw(st.one_of(st.none(), title)),
        identifier=draw(
            st.one_of(
                st.none(),
                st.from_regex(r"[A-Z][A-Z0-9-]{0,30}", fullmatch=True).map(f"{{}}-{n}".format),
            )
        ),
        url=draw(st.one_of(st.none(), text.map(lambda t: "https://example.org/" + t))),
        opens=opens,
        timezone=tz,
        tags=tuple(dict.fromkeys(draw(st.lists(title, max_size=3)))),
        budget=draw(st.one_of(st.none(), st.integers(0, 10**12), title)),
        notes=draw(st.one_of(st.none(), title)),
        state=draw(st.sampled_from(["watching", "preparing", "submitted", "dropped"])),
    )


watchlists = st.integers(1, 4).flatmap(lambda k: st.tuples(*(calls(n) for n in range(k))))


# --- the watchlist ---------------------------------------------------------------------------


@PROPERTY
@given(watchlists)
def test_the_watchlist_reads_back_exactly(items):
    written = codec.dumps(codec.Watchlist(list(items)))
    back, problems = codec.parse(written, Path("calls.toml"))
    assert problems == []
    assert back.calls == list(items)
    assert codec.dumps(back) == written


# --- iCalendar ---------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """What an iCalendar text keeps of a value: LF line breaks, no control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in value
        if ch in "\t\n" or not (ord(ch) < 0x20 or ord(ch) in (0x7F, 0xFEFF, 0xF0000))
    )


@PROPERTY
@given(watchlists)
def test_every_deadline_is_one_event_at_its_instant_in_two_readers(items):
    data = ics.calendar(items, CLOCK, ics.Options(alarms=(), milestones=()))
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    expected = [(c, d) for c in items for d in c.deadlines]
    assert len(events) == len(expected)
    parsed = next(iter(vobject.readComponents(data.decode())))
    assert len(parsed.contents.get("vevent", [])) == len(expected)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for event, (call, d) in zip(events, expected, strict=True):
        stage = f" ({d.label})" if d.label else ""
        assert str(event["SUMMARY"]) == _clean(f"Deadline: {call.title}{stage}")
        start = event.decoded("DTSTART")
        assert start == (d.utc if d.utc is not None else d.at)
        assert [str(c) for c in getattr(event, "categories", [])] == [_clean(t) for t in call.tags]


# --- CSV, JSON, Markdown ------------------------------------------------------------------------

FORMULA = ("=", "+", "-", "@", "\t", "\r")


@PROPERTY
@given(watchlists)
def test_csv_cells_read_back_and_none_runs_as_a_formula(items):
    rows = list(csv.reader(io.StringIO(formats.calls_csv(list(items), CLOCK), newline="")))
    header, body = rows[0], rows[1:]
    assert header == list(formats.LIST_CSV) and len(body) == len(items)
    for row, call in zip(body, items, strict=True):
        assert len(row) == len(header)
        for cell in row:
            assert not cell.lstrip(" ").startswith(FORMULA)
            # nor any piece a spreadsheet splitting on ";" or tab makes of it (issue 12)
            for piece in re.split(r"[;\t]", cell)[1:]:
                assert not piece.lstrip(" ").startswith(FORMULA), (cell, piece)
        got = row[header.index("title")]
        assert got == _defused(call.title)


def _defused(text: str) -> str:
    """What a title becomes: an apostrophe before a formula start, at the beginning and
    after each ";" or tab."""

    def one(piece: str) -> str:
        return "'" + piece if piece.lstrip("'").lstrip(" ").startswith(FORMULA) else piece

    pieces = re.split(r"([;\t])", text)
    return one("".join([pieces[0], *(p if i % 2 else one(p) for i, p in enumerate(pieces[1:], 1))]))


def _plain(value: str) -> str:
    """A value as a spreadsheet cell keeps it: no NUL, no white space around it."""
    return value.replace("\x00", "").strip() or "x"


def _csv_safe(call: Call) -> Call:
    """The call with values a CSV carries as they are (tags are joined with '; ')."""
    fields = {k: _plain(getattr(call, k)) for k in ("title", "programme", "url", "notes")
              if getattr(call, k) is not None}  # fmt: skip
    if isinstance(call.budget, str):
        fields["budget"] = "EUR " + _plain(call.budget)  # text, not a number
    tags = tuple(dict.fromkeys(_plain(t.replace(";", "").replace(",", "").replace("\n", ""))
                               for t in call.tags))  # fmt: skip
    labels = [
        d.replace(label=_plain(d.label.replace(";", "").replace("\n", "")) + "·") if d.label else d
        for d in call.deadlines
    ]
    return call.replace(**fields, tags=tags, deadlines=tuple(labels))


@PROPERTY
@given(watchlists)
def test_our_csv_and_json_import_back_to_the_same_calls(items):
    exact = list(items)
    as_csv = [_csv_safe(c) for c in exact]
    for fmt, data, calls_ in (
        ("csv", formats.calls_csv(as_csv, CLOCK), as_csv),
        ("json", formats.to_json([formats.call_record(c, CLOCK) for c in exact]), exact),
    ):
        source = Source("x", data.encode(), fmt)
        incoming = reader.read_calls(source, CLOCK, "Europe/Brussels", None)
        merged, outcomes = merge.merge(calls_, incoming, CLOCK)
        assert [o.kind for o in outcomes] == ["unchanged"] * len(calls_), fmt
        assert merged == calls_


@PROPERTY
@given(watchlists)
def test_json_carries_every_value(items):
    records = json.loads(formats.to_json([formats.call_record(c, CLOCK) for c in items]))
    for rec, call in zip(records, items, strict=True):
        assert (rec["title"], rec["notes"], rec["tags"]) == (
            call.title,
            call.notes,
            list(call.tags),
        )
        assert [d["label"] for d in rec["deadlines"]] == [d.label for d in call.deadlines]


def _cells(line: str) -> int:
    """Cells of a Markdown table row: unescaped pipes, less one."""
    count, escaped = 0, False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            count += 1
    return count - 1


@PROPERTY
@given(watchlists)
def test_markdown_tables_keep_their_shape(items):
    grid = formats.calls_grid(call_rows(items, CLOCK), CLOCK)
    lines = formats.to_markdown(grid).splitlines()
    assert len(lines) == 2 + len(items)
    assert {_cells(line) for line in lines} == {len(grid.headers)}


# --- HTML (the weekly reminder page) ------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            assert not name.startswith("on"), name
            if name == "href":
                assert value.startswith(("https://", "http://")), value

    def handle_data(self, data):
        self.text.append(data)


@PROPERTY
@given(watchlists)
def test_the_reminder_page_holds_every_title_as_text_and_no_element_of_it(items):
    from fundwatch.domain import reminder as remind
    from fundwatch.domain.query import Filters
    from fundwatch.domain.timeutil import parse_duration
    from fundwatch.output import report

    near = [
        c.replace(deadlines=(Deadline(datetime.combine(CLOCK.today + timedelta(days=n + 1),
                                                       time(17)), "Europe/Brussels"),))
        for n, c in enumerate(items)
    ]  # fmt: skip
    page = report.render(remind.build(near, CLOCK, parse_duration("14d"), Filters(), True), "html")
    parser = _Page()
    parser.feed(page)
    allowed = {"html", "head", "meta", "title", "body", "h1", "h2", "h3", "p", "table", "thead",
               "tbody", "tr", "th", "td", "a", "span", "div", "small", "br", "strong"}  # fmt: skip
    assert set(parser.tags) <= allowed, set(parser.tags) - allowed
    shown = " ".join(" ".join(parser.text).split())
    for call in near:
        assert formats.one_line(call.title) in shown
