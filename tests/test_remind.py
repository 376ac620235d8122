"""`fundwatch remind`: the weekly reminder, its window and weeks, and every format.

The grouping rules are tested on ``remind.build`` with calls made here and a frozen
``Clock`` (fast, one edge per case); the command itself through the CLI's entry,
in-process (the ``fw`` fixture: isolated files, TZ=Europe/Brussels, NO_COLOR=1) with
``--as-of``. Outputs are checked exactly: JSON as whole objects, CSV byte for byte,
HTML parsed back with the standard library's parser. ``--post`` is not tested here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from conftest import ok, one_error
from helpers import md_cells

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.query import Filters
from fundwatch.domain.reminder import Change, Reminder, Week, build, sync_changes, week_span
from fundwatch.domain.timeutil import Clock, parse_duration
from fundwatch.output import report

BXL = "Europe/Brussels"
KYIV = "Europe/Kyiv"
NYC = "America/New_York"
AS_OF = "2026-11-10"  # a Tuesday in ISO week 46 of 2026 (Mon 9 - Sun 15 Nov)
DAYS14 = parse_duration("14d")
NO_FILTERS = Filters()

ANSI = re.compile("[\x1b\x9b]")
BOX_DRAWING = re.compile("[\u2500-\u257f]")


def as_json(r):
    ok(r)
    assert r.err == ""
    return json.loads(r.out)


def write(path: Path, text: str) -> str:
    """Write a watchlist; returns its path for ``--file``."""
    path.write_text(text, encoding="utf-8")
    return str(path)


def clock(day: str, tz: str = BXL, hour: int = 0, minute: int = 0) -> Clock:
    """``day`` at ``hour:minute`` in ``tz``, like ``--as-of "DAY HH:MM"``."""
    d = date.fromisoformat(day)
    return Clock(datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZoneInfo(tz)), tz)


def call(call_id: str, *deadlines: Deadline, **fields) -> Call:
    fields.setdefault("title", call_id.replace("-", " ").capitalize())
    return Call(call_id, deadlines=tuple(deadlines), **fields)


def placed(r: Reminder) -> dict[str, tuple[str, int]]:
    """``{call_id[/label]: (section, days_left)}``: "today" or the ISO week of each row."""
    out = {}
    for section, rows in [("today", r.today)] + [(w.iso, w.rows) for w in r.weeks]:
        for row in rows:
            key = row.call.id + (f"/{row.deadline.label}" if row.deadline.label else "")
            assert key not in out, key
            out[key] = (section, row.days_left)
    return out


def sections_of(doc: dict) -> dict[str, list[str]]:
    """The JSON reminder as ``{"today": [ids], "2026-W46": [ids], ...}`` in order."""
    out = {"today": [d["call_id"] for d in doc["due_today"]]} if doc["due_today"] else {}
    for week in doc["due"]:
        out[week["iso_week"]] = [d["call_id"] for d in week["deadlines"]]
    return out


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide CJK 2, combining marks 0, else 1."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def md_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of ``text`` as rows of cells (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            current.append(md_cells(line))
        else:
            current = None
    for table in tables:
        assert len(table) >= 3, table  # header, separator and at least one row
        assert all(re.fullmatch(r"-{3}:?", c) for c in table[1][:1]), table[1]
        del table[1]
    return tables


# --- the watchlist of most CLI tests -------------------------------------------------------

# As of Tue 10 Nov 2026 with the default 14-day window (last day Tue 24 Nov), in Brussels:
#   today-late       10 Nov 23:30      due today (has not passed at 00:00)
#   late-yesterday    9 Nov 23:30      passed in Brussels; in Kyiv it is 10 Nov 00:30, today
#   yesterday         9 Nov 17:00 and all day: passed
#   w46              12 Nov 17:00 (Stage 1, W46) and 24 Nov 17:00 (Stage 2, day 14, W48)
#   edge-allday      24 Nov, all day (day 14: in)
#   beyond           25 Nov 00:00 and 25 Nov all day (day 15: out; 24 Nov 18:00 in New York)
#   ny               15 Nov 20:00 New York = Mon 16 Nov 02:00 Brussels (W47; W46 in New York)
#   sunday-late      15 Nov 23:30 (Sunday, W46; Monday 00:30 in Kyiv, W47)
#   opens-soon       opens 20 Nov (in 10 days); opens-later 25 Nov (day 15: out)
#   sent, gone       submitted and dropped, due 13 Nov
WATCHLIST = """\
version = 1

[[calls]]
id = "today-late"
title = "Due tonight"
programme = "Horizon Europe / EIC"
identifier = "HE-TODAY"
url = "https://example.org/today"
tags = ["eic"]
deadline = 2026-11-10T23:30:00

[[calls]]
id = "late-yesterday"
title = "Late yesterday"
deadline = 2026-11-09T23:30:00

[[calls]]
id = "yesterday"
title = "Closed yesterday"
deadlines = [{ at = 2026-11-09T17:00:00 }, { at = 2026-11-09, label = "All day" }]

[[calls]]
id = "w46"
title = "Mid-week call"
programme = "Digital Europe"
identifier = "DIGITAL-2026-01"
url = "https://example.org/w46"
tags = ["digital"]
deadlines = [
  { at = 2026-11-12T17:00:00, label = "Stage 1" },
  { at = 2026-11-24T17:00:00, label = "Stage 2" },
]

[[calls]]
id = "edge-allday"
title = "Last day, all day"
deadline = 2026-11-24

[[calls]]
id = "beyond"
title = "Day fifteen"
deadlines = [{ at = 2026-11-25T00:00:00 }, { at = 2026-11-25, label = "All day" }]

[[calls]]
id = "ny"
title = "New York call"
timezone = "America/New_York"
url = "http://example.com/ny"
deadline = 2026-11-15T20:00:00

[[calls]]
id = "sunday-late"
title = "Sunday night"
deadline = 2026-11-15T23:30:00

[[calls]]
id = "opens-soon"
title = "Opening soon"
programme = "Horizon Europe / EIC"
tags = ["eic"]
opens = 2026-11-20
deadline = 2027-02-01T17:00:00

[[calls]]
id = "opens-later"
title = "Opening on day fifteen"
opens = 2026-11-25
deadline = 2027-02-01T17:00:00

[[calls]]
id = "sent"
title = "Already submitted"
state = "submitted"
deadline = 2026-11-13T17:00:00

[[calls]]
id = "gone"
title = "Dropped"
state = "dropped"
deadline = 2026-11-13

[sync]
at = 2026-11-06T08:00:00Z
changes = [{ call = "w46", text = "Stage 1 moved from 5 Nov to 12 Nov" }]
"""


def rec(call_id, title, at, days_left, local=None, label=None, all_day=False, **fields):
    """A deadline row of the JSON reminder."""
    return {
        "call_id": call_id,
        "title": title,
        "programme": fields.get("programme"),
        "identifier": fields.get("identifier"),
        "url": fields.get("url"),
        "at": at,
        "label": label,
        "all_day": all_day,
        "days_left": days_left,
        "local": local or at,
    }


W46 = {"programme": "Digital Europe", "identifier": "DIGITAL-2026-01",
       "url": "https://example.org/w46"}  # fmt: skip

EXPECTED_JSON = {
    "as_of": "2026-11-10T00:00:00+01:00",
    "timezone": "Europe/Brussels",
    "within": "14d",
    "due_today": [
        rec(
            "today-late",
            "Due tonight",
            "2026-11-10T23:30:00+01:00",
            0,
            programme="Horizon Europe / EIC",
            identifier="HE-TODAY",
            url="https://example.org/today",
        ),
    ],
    "due": [
        {
            "week": "Week 46, 9-15 Nov 2026",
            "iso_week": "2026-W46",
            "deadlines": [
                rec("w46", "Mid-week call", "2026-11-12T17:00:00+01:00", 2, label="Stage 1", **W46),
                rec("sunday-late", "Sunday night", "2026-11-15T23:30:00+01:00", 5),
            ],
        },
        {
            "week": "Week 47, 16-22 Nov 2026",
            "iso_week": "2026-W47",
            "deadlines": [
                rec(
                    "ny",
                    "New York call",
                    "2026-11-15T20:00:00-05:00",
                    6,
                    local="2026-11-16T02:00:00+01:00",
                    url="http://example.com/ny",
                ),
            ],
        },
        {
            "week": "Week 48, 23-29 Nov 2026",
            "iso_week": "2026-W48",
            "deadlines": [
                rec("edge-allday", "Last day, all day", "2026-11-24", 14, all_day=True),
                rec(
                    "w46", "Mid-week call", "2026-11-24T17:00:00+01:00", 14, label="Stage 2", **W46
                ),
            ],
        },
    ],
    "opening": [
        {
            "call_id": "opens-soon",
            "title": "Opening soon",
            "programme": "Horizon Europe / EIC",
            "identifier": None,
            "url": None,
            "opens": "2026-11-20",
            "days_left": 10,
        }
    ],
    "changes": {
        "synced_at": "2026-11-06T08:00:00+00:00",
        "items": [
            {
                "call_id": "w46",
                "text": "Stage 1 moved from 5 Nov to 12 Nov",
                "seen": "2026-11-06T08:00:00+00:00",
            }
        ],
    },
}

EXPECTED_TEXT = """\
Funding deadlines: 6 due within 14d, 1 today, 1 call opening
Times in Europe/Brussels, as of Tue 10 Nov 2026 00:00

Due today
Deadline                Left  Call         Stage  Identifier
Tue 10 Nov 2026 23:30  today  Due tonight         HE-TODAY
    Horizon Europe / EIC · https://example.org/today

Week 46, 9-15 Nov 2026
Deadline               Left  Call           Stage    Identifier
Thu 12 Nov 2026 17:00    2d  Mid-week call  Stage 1  DIGITAL-2026-01
    Digital Europe · https://example.org/w46
Sun 15 Nov 2026 23:30    5d  Sunday night

Week 47, 16-22 Nov 2026
Deadline                                Left  Call           Stage  Identifier
Mon 16 Nov 2026 02:00 (20:00 New York)    6d  New York call
    http://example.com/ny

Week 48, 23-29 Nov 2026
Deadline                  Left  Call               Stage    Identifier
Tue 24 Nov 2026, all day   14d  Last day, all day
Tue 24 Nov 2026 17:00      14d  Mid-week call      Stage 2  DIGITAL-2026-01
    Digital Europe · https://example.org/w46

Opening within 14d
Opens             In  Call          Identifier
Fri 20 Nov 2026  10d  Opening soon
    Horizon Europe / EIC

Changed at the last portal sync (Fri 6 Nov 2026 09:00)
- w46: Stage 1 moved from 5 Nov to 12 Nov
"""


@pytest.fixture
def reminder_list(watchlist: Path) -> Path:
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    return watchlist


# === remind.build: the window, today, weeks ================================================


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 11, 9, 17, 0), None),  # yesterday
        (datetime(2026, 11, 9, 23, 59), None),
        (date(2026, 11, 9), None),  # yesterday, all day: over
        (datetime(2026, 11, 10, 0, 0), ("today", 0)),  # exactly now: not yet passed
        (datetime(2026, 11, 10, 23, 30), ("today", 0)),
        (date(2026, 11, 10), ("today", 0)),
        (datetime(2026, 11, 11, 0, 0), ("2026-W46", 1)),
        (datetime(2026, 11, 15, 23, 59), ("2026-W46", 5)),  # Sunday night
        (datetime(2026, 11, 16, 0, 0), ("2026-W47", 6)),  # Monday: the next week
        (datetime(2026, 11, 24, 17, 0), ("2026-W48", 14)),  # day 14 at 17:00: in
        (datetime(2026, 11, 24, 23, 59), ("2026-W48", 14)),
        (date(2026, 11, 24), ("2026-W48", 14)),  # day 14, all day: in
        (datetime(2026, 11, 25, 0, 0), None),  # day 15: out
        (date(2026, 11, 25), None),
    ],
)
def test_window_edges_with_the_default_14_days(at, expected):
    r = build([call("c", Deadline(at))], clock(AS_OF), DAYS14, NO_FILTERS)
    assert placed(r).get("c") == expected
    assert r.due is (expected is not None)


def test_later_in_the_day_what_has_passed_today_is_gone():
    c = clock(AS_OF, hour=22)  # --as-of "2026-11-10 22:00"
    calls = [
        call("at-17", Deadline(datetime(2026, 11, 10, 17, 0))),
        call("at-2330", Deadline(datetime(2026, 11, 10, 23, 30))),
        call("all-day", Deadline(date(2026, 11, 10))),
        call("day-14", Deadline(datetime(2026, 11, 24, 23, 59))),
        call("day-15", Deadline(datetime(2026, 11, 25, 0, 0))),
    ]
    r = build(calls, c, DAYS14, NO_FILTERS)
    assert placed(r) == {
        "at-2330": ("today", 0),
        "all-day": ("today", 0),
        "day-14": ("2026-W48", 14),
    }
    assert [row.call.id for row in r.today] == ["all-day", "at-2330"]  # in time order


def test_today_is_never_a_week_section():
    calls = [
        call("today", Deadline(datetime(2026, 11, 10, 17, 0))),
        call("thursday", Deadline(datetime(2026, 11, 12, 17, 0))),
    ]
    r = build(calls, clock(AS_OF), DAYS14, NO_FILTERS)
    assert [row.call.id for row in r.today] == ["today"]
    assert [(w.iso, [x.call.id for x in w.rows]) for w in r.weeks] == [("2026-W46", ["thursday"])]


@pytest.mark.parametrize(
    ("within", "last_in", "first_out"),
    [
        ("14d", date(2026, 11, 24), date(2026, 11, 25)),
        ("2w", date(2026, 11, 24), date(2026, 11, 25)),
        ("0d", date(2026, 11, 10), date(2026, 11, 11)),
        ("1m", date(2026, 12, 10), date(2026, 12, 11)),
    ],
)
def test_the_window_holds_its_whole_last_day(within, last_in, first_out):
    calls = [call("last", Deadline(last_in)), call("out", Deadline(first_out))]
    r = build(calls, clock(AS_OF), parse_duration(within), NO_FILTERS)
    assert set(placed(r)) == {"last"}


@pytest.mark.parametrize(
    ("monday", "span"),
    [
        (date(2026, 11, 9), "9-15 Nov 2026"),
        (date(2025, 11, 10), "10-16 Nov 2025"),
        (date(2026, 10, 26), "26 Oct - 1 Nov 2026"),
        (date(2026, 12, 28), "28 Dec 2026 - 3 Jan 2027"),
        (date(2025, 12, 29), "29 Dec 2025 - 4 Jan 2026"),
        (date(2027, 1, 4), "4-10 Jan 2027"),
    ],
)
def test_week_span(monday, span):
    assert week_span(monday) == span


def test_week_titles_and_iso_weeks_across_a_year_end():
    # 2026 starts on a Thursday, so it has 53 ISO weeks: W53 is Mon 28 Dec 2026 to
    # Sun 3 Jan 2027, and 3 Jan 2027 belongs to 2026-W53.
    calls = [
        call("xmas-eve", Deadline(datetime(2026, 12, 24, 17, 0))),
        call("dec-28", Deadline(datetime(2026, 12, 28, 17, 0))),
        call("jan-3", Deadline(date(2027, 1, 3))),
        call("jan-4", Deadline(datetime(2027, 1, 4, 12, 0))),
        call("jan-5", Deadline(datetime(2027, 1, 5, 17, 0))),  # day 14
        call("jan-6", Deadline(date(2027, 1, 6))),  # day 15
    ]
    r = build(calls, clock("2026-12-22"), DAYS14, NO_FILTERS)
    assert [(w.title, w.iso, w.year, w.number, w.monday, [x.call.id for x in w.rows])
            for w in r.weeks] == [
        ("Week 52, 21-27 Dec 2026", "2026-W52", 2026, 52, date(2026, 12, 21), ["xmas-eve"]),
        ("Week 53, 28 Dec 2026 - 3 Jan 2027", "2026-W53", 2026, 53, date(2026, 12, 28),
         ["dec-28", "jan-3"]),
        ("Week 1, 4-10 Jan 2027", "2027-W01", 2027, 1, date(2027, 1, 4), ["jan-4", "jan-5"]),
    ]  # fmt: skip

    # and the other way round: 30 Dec 2025 is in ISO week 1 of 2026
    r = build([call("dec-30", Deadline(date(2025, 12, 30)))], clock("2025-12-22"), DAYS14,
              NO_FILTERS)  # fmt: skip
    assert [(w.title, w.iso) for w in r.weeks] == [("Week 1, 29 Dec 2025 - 4 Jan 2026", "2026-W01")]


def test_week_44_spans_two_months():
    calls = [call("fri", Deadline(datetime(2026, 10, 30, 17, 0))),
             call("tue", Deadline(datetime(2026, 11, 3, 17, 0)))]  # fmt: skip
    r = build(calls, clock("2026-10-27"), DAYS14, NO_FILTERS)
    assert [(w.title, w.iso) for w in r.weeks] == [
        ("Week 44, 26 Oct - 1 Nov 2026", "2026-W44"),
        ("Week 45, 2-8 Nov 2026", "2026-W45"),
    ]


ZONE_CALLS = [
    call("late-yesterday", Deadline(datetime(2026, 11, 9, 23, 30))),
    call("sunday-late", Deadline(datetime(2026, 11, 15, 23, 30))),
    call("ny", Deadline(datetime(2026, 11, 15, 20, 0), NYC), timezone=NYC),
    call("day-15-midnight", Deadline(datetime(2026, 11, 25, 0, 0))),
    call("all-day", Deadline(date(2026, 11, 24))),
]


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (BXL, {
            "sunday-late": ("2026-W46", 5),
            "ny": ("2026-W47", 6),  # Mon 16 Nov 02:00 in Brussels
            "all-day": ("2026-W48", 14),
        }),
        (KYIV, {
            "late-yesterday": ("today", 0),  # 10 Nov 00:30 in Kyiv, and not passed yet
            "sunday-late": ("2026-W47", 6),  # Mon 16 Nov 00:30 in Kyiv
            "ny": ("2026-W47", 6),
            # 24 Nov ends at 00:00 in Brussels (01:00 in Kyiv): 15 days from 9 Nov 23:00
        }),
        (NYC, {
            "sunday-late": ("2026-W46", 5),  # 17:30 in New York
            "ny": ("2026-W46", 5),  # Sun 15 Nov 20:00 in New York
            "day-15-midnight": ("2026-W48", 14),  # Tue 24 Nov 18:00 in New York
            "all-day": ("2026-W48", 14),
        }),
    ],
)  # fmt: skip
def test_the_viewers_zone_decides_the_day_and_the_week(tz, expected):
    r = build(ZONE_CALLS, clock(AS_OF, tz), DAYS14, NO_FILTERS)
    assert placed(r) == expected


def test_calls_opening_within_the_window():
    deadline = Deadline(datetime(2027, 2, 1, 17, 0))
    calls = [
        call("opened-yesterday", deadline, opens=date(2026, 11, 9)),
        call("opens-today", deadline, opens=date(2026, 11, 10)),
        call("opens-20", deadline, opens=date(2026, 11, 20)),
        call("opens-day-14", deadline, opens=date(2026, 11, 24)),
        call("opens-day-15", deadline, opens=date(2026, 11, 25)),
        call("opens-a-day-14", deadline, opens=date(2026, 11, 24), state="preparing"),
        call("no-opening", deadline),
        # 24 Nov 20:00 in New York is 25 Nov 02:00 in Brussels
        call("ny-opening", Deadline(datetime(2027, 2, 1, 17, 0), NYC), timezone=NYC,
             opens=datetime(2026, 11, 24, 20, 0)),
        call("submitted", deadline, opens=date(2026, 11, 12), state="submitted"),
    ]  # fmt: skip
    r = build(calls, clock(AS_OF), DAYS14, NO_FILTERS)
    assert [(o.call.id, o.opens, o.days) for o in r.opening] == [
        ("opens-today", date(2026, 11, 10), 0),
        ("opens-20", date(2026, 11, 20), 10),
        ("opens-a-day-14", date(2026, 11, 24), 14),  # sorted by day, then id
        ("opens-day-14", date(2026, 11, 24), 14),
    ]
    assert not r.due and not r.empty

    r = build(calls, clock(AS_OF, NYC), DAYS14, NO_FILTERS)
    assert ("ny-opening", date(2026, 11, 24), 14) in [(o.call.id, o.opens, o.days)
                                                      for o in r.opening]  # fmt: skip

    r = build(calls, clock(AS_OF), DAYS14, NO_FILTERS, include_done=True)
    assert ("submitted", date(2026, 11, 12), 2) in [(o.call.id, o.opens, o.days)
                                                    for o in r.opening]  # fmt: skip


def test_submitted_and_dropped_only_when_asked():
    d = Deadline(datetime(2026, 11, 12, 17, 0))
    calls = [
        call("watching", d),
        call("preparing", d, state="preparing"),
        call("submitted", d, state="submitted"),
        call("dropped", d, state="dropped"),
    ]

    def ids(filters=NO_FILTERS, include_done=False):
        r = build(calls, clock(AS_OF), DAYS14, filters, include_done)
        return sorted(placed(r))

    assert ids() == ["preparing", "watching"]
    assert ids(include_done=True) == ["dropped", "preparing", "submitted", "watching"]
    assert ids(Filters(state=("submitted",))) == ["submitted"]
    assert ids(Filters(state=("dropped", "submitted"))) == ["dropped", "submitted"]
    assert ids(Filters(state=("preparing",))) == ["preparing"]


def test_filters_apply_to_deadlines_and_openings():
    d = Deadline(datetime(2026, 11, 12, 17, 0))
    calls = [
        call("eic", d, programme="Horizon Europe / EIC", tags=("sme",)),
        call("digital", d, programme="Digital Europe", tags=("ai",)),
        call("eic-opening", Deadline(date(2027, 3, 1)), programme="Horizon Europe / EIC",
             opens=date(2026, 11, 20)),
    ]  # fmt: skip

    def shown(filters):
        r = build(calls, clock(AS_OF), DAYS14, filters)
        return sorted(placed(r)), [o.call.id for o in r.opening]

    assert shown(Filters(programme=("eic",))) == (["eic"], ["eic-opening"])
    assert shown(Filters(tag=("AI",))) == (["digital"], [])
    assert shown(Filters(search=("opening",))) == ([], ["eic-opening"])
    assert shown(Filters(status=("forthcoming",))) == ([], ["eic-opening"])
    assert shown(Filters(status=("open",))) == (["digital", "eic"], [])


def test_sync_changes_from_the_watchlist_table():
    assert sync_changes(None) == (None, [])
    assert sync_changes({}) == (None, [])
    at = datetime(2026, 11, 6, 8, 0, tzinfo=UTC)
    assert sync_changes({"at": at, "changes": [{"call": "a", "text": "moved"}]}) == (
        at, [Change("a", "moved", seen=at)]
    )  # fmt: skip
    # a local date-time is taken as UTC; items without text are skipped
    assert sync_changes({"at": datetime(2026, 11, 6, 8, 0),
                         "changes": [{"call": "a"}, "junk", {"text": "no call"}]}) == (
        at, [Change("", "no call", seen=at)]
    )  # fmt: skip
    assert sync_changes({"at": "yesterday", "changes": "moved"}) == (None, [])


def test_empty_and_due():
    c = clock(AS_OF)
    nothing = build([call("far", Deadline(date(2027, 1, 1)))], c, DAYS14, NO_FILTERS)
    assert (nothing.empty, nothing.due) == (True, False)
    items = {"changes": [{"call": "x", "text": "t"}]}
    changed = build([], c, DAYS14, NO_FILTERS, sync={"at": c.now_utc, **items})
    assert (changed.empty, changed.due, changed.synced_at) == (False, False, c.now_utc)
    # a sync older than the window was reported before; one with no time cannot be placed
    stale = build([], c, DAYS14, NO_FILTERS, sync={"at": c.now_utc - timedelta(days=15), **items})
    assert stale.empty and stale.changes == []
    assert build([], c, DAYS14, NO_FILTERS, sync=items).empty
    today = build([call("t", Deadline(date(2026, 11, 10)))], c, DAYS14, NO_FILTERS)
    assert (today.empty, today.due) == (False, True)


# === the command: sections, zones, states, filters ==========================================


def test_json_has_every_section_exactly(fw, reminder_list):
    doc = as_json(fw("remind", "--as-of", AS_OF, "--format", "json"))
    assert list(doc) == [
        "as_of", "timezone", "within", "due_today", "due", "opening", "changes", "new_topics"
    ]  # fmt: skip
    assert doc == EXPECTED_JSON | {"new_topics": []}
    # the global option before the command, and the default window written out
    assert as_json(fw("--as-of", AS_OF, "remind", "--within", "14d", "--format", "json")) == doc


def test_text_is_aligned_plain_and_exact(fw, reminder_list):
    r = ok(fw("remind", "--as-of", AS_OF))
    assert r.err == ""
    assert r.out == EXPECTED_TEXT
    assert not ANSI.search(r.out)
    assert not BOX_DRAWING.search(r.out)
    # even when colour is forced and the terminal narrow
    forced = ok(fw("remind", "--as-of", AS_OF, env={"NO_COLOR": "", "FORCE_COLOR": "1",
                                                    "COLUMNS": "40"}))  # fmt: skip
    assert forced.out == EXPECTED_TEXT


@pytest.mark.parametrize(
    ("tz", "sections", "as_of"),
    [
        (KYIV, {
            # 10 Nov 00:00 in Kyiv is 9 Nov 23:00 in Brussels: the all-day deadline of
            # 9 Nov (a Brussels call's) is still open, and 24 Nov is 15 days away there
            "today": ["yesterday", "late-yesterday"],
            "2026-W46": ["today-late", "w46"],  # 11 Nov 00:30 in Kyiv: tomorrow
            "2026-W47": ["sunday-late", "ny"],
            "2026-W48": ["w46"],
        }, "2026-11-10T00:00:00+02:00"),
        (NYC, {
            "today": ["today-late"],
            "2026-W46": ["w46", "sunday-late", "ny"],
            "2026-W48": ["edge-allday", "w46", "beyond"],  # 25 Nov 00:00 Brussels
        }, "2026-11-10T00:00:00-05:00"),
    ],
)  # fmt: skip
def test_viewer_zone_changes_days_and_weeks(fw, reminder_list, tz, sections, as_of):
    doc = as_json(fw("remind", "--as-of", AS_OF, "--format", "json", env={"TZ": tz}))
    assert (doc["as_of"], doc["timezone"]) == (as_of, tz)
    assert sections_of(doc) == sections
    # each row says where it falls for the viewer, and keeps its own zone in "at"
    rows = {(d["call_id"], d["label"]): d for w in doc["due"] for d in w["deadlines"]}
    rows |= {(d["call_id"], d["label"]): d for d in doc["due_today"]}
    if tz == KYIV:
        assert rows["late-yesterday", None] == rec(
            "late-yesterday",
            "Late yesterday",
            "2026-11-09T23:30:00+01:00",
            0,
            local="2026-11-10T00:30:00+02:00",
        )
        assert rows["sunday-late", None]["days_left"] == 6
    else:
        assert rows["ny", None]["local"] == rows["ny", None]["at"] == "2026-11-15T20:00:00-05:00"
        assert rows["beyond", None] == rec(
            "beyond",
            "Day fifteen",
            "2026-11-25T00:00:00+01:00",
            14,
            local="2026-11-24T18:00:00-05:00",
        )
    assert doc["changes"]["synced_at"] == "2026-11-06T08:00:00+00:00"


def test_text_shows_both_zones_when_they_differ(fw, reminder_list):
    r = ok(fw("remind", "--as-of", AS_OF, env={"TZ": KYIV}))
    lines = [" ".join(line.split()) for line in r.out.splitlines()]
    assert lines[:2] == [
        "Funding deadlines: 7 due within 14d, 2 today, 1 call opening",
        "Times in Europe/Kyiv, as of Tue 10 Nov 2026 00:00",
    ]
    # a Brussels call's all-day deadline: still today at 00:00 in Kyiv (23:00 in Brussels),
    # shown as the date written
    assert "Mon 9 Nov 2026, all day today Closed yesterday All day" in lines
    assert "Tue 10 Nov 2026 00:30 (23:30 Brussels) today Late yesterday" in lines
    at = lines.index("Wed 11 Nov 2026 00:30 (23:30 Brussels) tomorrow Due tonight HE-TODAY")
    assert lines[at + 1] == "Horizon Europe / EIC · https://example.org/today"
    at = lines.index("Mon 16 Nov 2026 03:00 (20:00 New York) 6d New York call")
    assert lines[at + 1] == "http://example.com/ny"
    assert not any("Last day, all day" in line for line in lines)  # 15 days in Brussels
    assert lines[-2:] == ["Changed at the last portal sync (Fri 6 Nov 2026 10:00)",
                          "- w46: Stage 1 moved from 5 Nov to 12 Nov"]  # fmt: skip


def test_as_of_with_a_time_of_day(fw, reminder_list):
    doc = as_json(fw("remind", "--as-of", "2026-11-10 23:00", "--format", "json"))
    assert doc["as_of"] == "2026-11-10T23:00:00+01:00"
    assert [d["call_id"] for d in doc["due_today"]] == ["today-late"]  # 23:30: not yet
    doc = as_json(fw("remind", "--as-of", "2026-11-10 23:45", "--format", "json"))
    assert doc["due_today"] == []  # passed half an hour ago
    assert sections_of(doc) == {
        "2026-W46": ["w46", "sunday-late"], "2026-W47": ["ny"], "2026-W48": ["edge-allday", "w46"],
    }  # fmt: skip


def test_submitted_and_dropped_are_left_out_unless_asked(fw, reminder_list):
    base = ("remind", "--as-of", AS_OF, "--format", "json")
    assert sections_of(as_json(fw(*base)))["2026-W46"] == ["w46", "sunday-late"]
    assert sections_of(as_json(fw(*base, "--all")))["2026-W46"] == [
        "w46", "gone", "sent", "sunday-late",  # gone is all day 13 Nov: 00:00 < 17:00
    ]  # fmt: skip
    doc = as_json(fw(*base, "--state", "submitted", "--state", "dropped"))
    assert sections_of(doc) == {"2026-W46": ["gone", "sent"]}
    assert doc["opening"] == []


@pytest.mark.parametrize(
    ("filters", "sections", "opening"),
    [
        (["--tag", "eic"], {"today": ["today-late"]}, ["opens-soon"]),
        (["--programme", "digital"], {"2026-W46": ["w46"], "2026-W48": ["w46"]}, []),
        (["--search", "night", "--search", "tonight"],
         {"today": ["today-late"], "2026-W46": ["sunday-late"]}, []),
        (["--status", "forthcoming"], {}, ["opens-soon"]),
        (["--tag", "eic", "--programme", "digital"], {}, []),
    ],
)  # fmt: skip
def test_filters_apply(fw, reminder_list, filters, sections, opening):
    r = fw("remind", "--as-of", AS_OF, "--format", "json", *filters)
    if not sections and not opening:
        # nothing left to say (the sync's changes are of calls the filters leave out)
        assert (r.code, r.out, r.err) == (0, "", "")
        return
    doc = as_json(r)
    assert sections_of(doc) == sections
    assert [o["call_id"] for o in doc["opening"]] == opening


def test_bad_window_is_one_error_line(fw, reminder_list):
    r = fw("remind", "--as-of", AS_OF, "--within", "soon")
    assert "'soon'" in one_error(r)
    assert r.out == ""


def test_year_end_weeks_through_the_cli(fw, watchlist):
    path = write(
        watchlist,
        """\
version = 1

[[calls]]
id = "dec-28"
title = "Monday of week 53"
deadline = 2026-12-28T17:00:00

[[calls]]
id = "jan-3"
title = "Sunday of week 53"
deadline = 2027-01-03

[[calls]]
id = "jan-4"
title = "Monday of week 1"
deadline = 2027-01-04T17:00:00

[[calls]]
id = "oct-30"
title = "Friday of week 44"
deadline = 2026-10-30T17:00:00
""",
    )
    doc = as_json(fw("remind", "--file", path, "--as-of", "2026-12-22", "--format", "json"))
    assert [(w["week"], w["iso_week"], [d["call_id"] for d in w["deadlines"]])
            for w in doc["due"]] == [
        ("Week 53, 28 Dec 2026 - 3 Jan 2027", "2026-W53", ["dec-28", "jan-3"]),
        ("Week 1, 4-10 Jan 2027", "2027-W01", ["jan-4"]),
    ]  # fmt: skip
    r = ok(fw("remind", "--file", path, "--as-of", "2026-10-27", "--format", "text"))
    assert r.out.splitlines()[3] == "Week 44, 26 Oct - 1 Nov 2026"


# === nothing to say, --exit-code ===========================================================

QUIET = """\
version = 1

[[calls]]
id = "past"
title = "Long gone"
opens = 2026-01-01
deadline = 2026-11-09T23:30:00

[[calls]]
id = "far"
title = "Far away"
deadline = 2026-11-25

[[calls]]
id = "sent"
title = "Submitted, due tomorrow"
state = "submitted"
deadline = 2026-11-11T17:00:00
"""


def test_nothing_to_say_prints_nothing(fw, watchlist):
    path = write(watchlist, QUIET)
    for fmt in ("text", "markdown", "html", "json", "csv"):
        r = fw("remind", "--file", path, "--as-of", AS_OF, "--format", fmt)
        assert (r.code, r.out, r.err) == (0, "", ""), fmt
    r = fw("remind", "--file", path, "--as-of", AS_OF, "--exit-code")
    assert (r.code, r.out, r.err) == (3, "", "")
    # an empty watchlist too
    empty = write(watchlist.with_name("empty.toml"), "version = 1\n")
    r = fw("remind", "--file", empty, "--as-of", AS_OF, "--exit-code")
    assert (r.code, r.out, r.err) == (3, "", "")


def test_exit_code_is_0_when_something_is_due(fw, watchlist):
    path = write(watchlist, QUIET.replace("2026-11-25", "2026-11-24"))  # day 14
    r = ok(fw("remind", "--file", path, "--as-of", AS_OF, "--exit-code"))
    assert r.err == ""
    assert r.out.startswith("Funding deadlines: 1 due within 14d\n")
    r = ok(fw("remind", "--file", path, "--as-of", "2026-11-24", "--exit-code"))
    assert "\nDue today\n" in r.out


def test_an_opening_or_a_change_prints_but_nothing_is_due(fw, watchlist):
    opening = write(watchlist, QUIET + '\n[[calls]]\nid = "soon"\ntitle = "Opens soon"\n'
                    "opens = 2026-11-12\ndeadline = 2027-03-01\n")  # fmt: skip
    r = fw("remind", "--file", opening, "--as-of", AS_OF, "--exit-code")
    assert (r.code, r.err) == (3, "")
    assert r.out == (
        "Funding deadlines: 0 due within 14d, 1 call opening\n"
        "Times in Europe/Brussels, as of Tue 10 Nov 2026 00:00\n"
        "\n"
        "Opening within 14d\n"
        "Opens            In  Call        Identifier\n"
        "Thu 12 Nov 2026  2d  Opens soon\n"
    )
    changed = write(watchlist.with_name("changed.toml"), QUIET + (
        '\n[sync]\nat = 2026-11-09T16:30:00Z\n'
        'changes = [{ call = "far", text = "deadline moved from 20 Nov to 25 Nov" }]\n'
    ))  # fmt: skip
    r = fw("remind", "--file", changed, "--as-of", AS_OF, "--exit-code")
    assert (r.code, r.err) == (3, "")
    assert r.out == (
        "Funding deadlines: 0 due within 14d\n"
        "Times in Europe/Brussels, as of Tue 10 Nov 2026 00:00\n"
        "\n"
        "Changed at the last portal sync (Mon 9 Nov 2026 17:30)\n"
        "- far: deadline moved from 20 Nov to 25 Nov\n"
    )
    doc = as_json(fw("remind", "--file", changed, "--as-of", AS_OF, "--format", "json"))
    assert doc["due_today"] == doc["due"] == doc["opening"] == []
    assert doc["changes"] == {
        "synced_at": "2026-11-09T16:30:00+00:00",
        "items": [
            {
                "call_id": "far",
                "text": "deadline moved from 20 Nov to 25 Nov",
                "seen": "2026-11-09T16:30:00+00:00",
            }
        ],
    }


# === formats: escaping for where the text goes =============================================

XSS_TITLE = '<script>alert(1)</script> & "R&D"'
HOSTILE = """\
version = 1

[[calls]]
id = "xss"
title = '<script>alert(1)</script> & "R&D"'
programme = "A|B <b>bold</b>"
identifier = "ID|1"
url = "javascript:alert(1)"
deadlines = [{ at = 2026-11-12T17:00:00, label = "Stage | 1" }]

[[calls]]
id = "formula"
title = '=HYPERLINK("http://evil","x")'
programme = "+cmd"
identifier = "@SUM(A1)"
url = "https://example.org/a b)c|d"
deadlines = [{ at = 2026-11-10, label = "-2" }]

[[calls]]
id = "esc"
title = "\\u001b[31mRed\\u001b[0m [link](https://evil.example) *bold*"
url = "JAVASCRIPT:alert(2)"
deadline = 2026-11-13

[[calls]]
id = "opener"
title = "Opens | soon <i>"
url = "https://example.org/open?x=1&y=2"
opens = 2026-11-11
deadline = 2027-01-10

[sync]
at = 2026-11-06T08:00:00Z
changes = [{ call = "xss", text = "<img src=x onerror=alert(1)> moved | =1+1" }]
"""


@pytest.fixture
def hostile(watchlist: Path) -> Path:
    watchlist.write_text(HOSTILE, encoding="utf-8")
    return watchlist


def test_text_has_no_escapes_and_no_box_drawing(fw, hostile):
    r = ok(fw("remind", "--as-of", AS_OF, "--format", "text"))
    assert not ANSI.search(r.out), r.out
    assert not BOX_DRAWING.search(r.out)
    assert "\ufffd[31mRed\ufffd[0m [link](https://evil.example) *bold*" in r.out
    assert XSS_TITLE in r.out  # plain text: nothing to escape
    assert "- xss: <img src=x onerror=alert(1)> moved | =1+1\n" in r.out


def on_terminal(fw_env: dict[str, str], *args: str) -> str:
    """What ``fundwatch ARGS`` prints with its stdout on a pseudo-terminal (the rich
    tables, as a person sees them); the terminal's CR LF line ends read as LF."""
    import os
    import pty
    import subprocess
    import sys

    main, secondary = pty.openpty()
    command = [sys.executable, "-m", "fundwatch", *args]
    proc = subprocess.Popen(
        command, env=fw_env, stdin=subprocess.DEVNULL, stdout=secondary, stderr=subprocess.PIPE
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 1 << 16)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b"", err
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_the_terminal_table_shows_the_changes_too(fw_env, hostile):
    shown = on_terminal(fw_env, "remind", "--as-of", AS_OF)
    assert "Due today" in shown and BOX_DRAWING.search(shown)  # the rich tables
    assert shown.endswith(
        "\nChanged at the last portal sync (Fri 6 Nov 2026 09:00)\n"
        "- xss: <img src=x onerror=alert(1)> moved | =1+1\n"
    )


def test_markdown_tables_keep_their_cells_and_link_only_http(fw, hostile):
    r = ok(fw("remind", "--as-of", AS_OF, "--format", "markdown"))
    assert r.err == ""
    assert "\x1b" not in r.out
    tables = md_tables(r.out)
    assert [len(t[0]) for t in tables] == [6, 6, 5]  # due today, week 46, opening
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table
    assert tables[0][0] == ["Deadline", "Left", "Call", "Stage", "Programme", "Identifier"]
    assert tables[2][0] == ["Opens", "In", "Call", "Programme", "Identifier"]
    today, week, opening = (t[1:] for t in tables)  # \@ below: no chat mention
    assert today == [["Tue 10 Nov 2026, all day", "today",
                      '[=HYPERLINK("http://evil","x")](https://example.org/a%20b%29c%7Cd)',
                      "-2", "+cmd", r"\@SUM(A1)"]]  # fmt: skip
    assert week == [
        ["Thu 12 Nov 2026 17:00", "2d", r'\<script\>alert(1)\</script\> & "R&D"', r"Stage \| 1",
         r"A\|B \<b\>bold\</b\>", r"ID\|1"],
        ["Fri 13 Nov 2026, all day", "3d",
         "\ufffd\\[31mRed\ufffd\\[0m \\[link\\](https://evil.example) \\*bold\\*", "", "", ""],
    ]  # fmt: skip
    link = r"[Opens \| soon \<i\>](https://example.org/open?x=1&y=2)"
    assert opening == [["Wed 11 Nov 2026", "tomorrow", link, "", ""]]
    # links only ever to http(s)
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", r.out)
    assert targets == ["https://example.org/a%20b%29c%7Cd", "https://example.org/open?x=1&y=2"]
    assert "javascript" not in r.out.lower()
    assert r.out.endswith(
        "**Changed at the last portal sync (Fri 6 Nov 2026 09:00)**\n\n"
        "- xss: \\<img src=x onerror=alert(1)\\> moved \\| =1+1\n"
    )


class Page(HTMLParser):
    """Every element, attribute and text of an HTML page; checks that tags nest."""

    VOID: ClassVar[set[str]] = {
        "meta", "br", "hr", "img", "link", "input", "col", "area", "base", "wbr", "source",
        "track", "embed",
    }  # fmt: skip

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.texts: dict[str, list[str]] = {}  # tag -> the text of each such element
        self._open_text: list[list[str]] = []
        self.decl: list[str] = []
        self.feed(source)
        self.close()
        assert self.stack == [], self.stack

    def handle_decl(self, decl: str) -> None:
        self.decl.append(decl)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)
            self._open_text.append([])

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()
        text = "".join(self._open_text.pop())
        self.texts.setdefault(tag, []).append(text)
        if self._open_text:
            self._open_text[-1].append(text)

    def handle_data(self, data):
        if self._open_text:
            self._open_text[-1].append(data)


FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "style", "object", "embed", "form",
                  "base", "svg", "math", "video", "audio", "source", "frame", "frameset",
                  "input", "button", "applet"}  # fmt: skip
RESOURCE_ATTRS = {"src", "srcset", "background", "action", "formaction", "poster", "data",
                  "xlink:href", "lowsrc", "dynsrc", "codebase", "cite", "longdesc"}  # fmt: skip


def test_html_is_one_self_contained_escaped_page(fw, hostile):
    r = ok(fw("remind", "--as-of", AS_OF, "--format", "html"))
    assert r.err == ""
    source = r.out
    page = Page(source)

    assert page.decl == ["DOCTYPE html"]
    tags = [t for t, _ in page.elements]
    assert tags.count("html") == tags.count("head") == tags.count("body") == 1
    assert not FORBIDDEN_TAGS & set(tags), set(tags)
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in RESOURCE_ATTRS, (tag, name)
            if name == "style":  # inline styles only, fetching nothing
                low = (value or "").lower()
                assert "url(" not in low and "@import" not in low and "expression" not in low
                assert "javascript" not in low
            if name == "href":
                assert tag == "a", tag
                assert value and value.startswith(("https://", "http://")), value
        if tag == "meta":
            assert "http-equiv" not in attrs
    hrefs = [a.get("href") for t, a in page.elements if t == "a"]
    # percent-encoded where a mail client would cut the link
    assert hrefs == ["https://example.org/a%20b%29c%7Cd", "https://example.org/open?x=1&y=2"]
    assert "<script" not in source.lower()
    assert "javascript" not in source.lower()

    # the hostile title: escaped in the source, exactly itself once parsed
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;R&amp;D&quot;" in source
    cells = page.texts["td"]
    assert XSS_TITLE in cells
    assert "A|B <b>bold</b>" in cells
    assert "Stage | 1" in cells
    assert '=HYPERLINK("http://evil","x")' in cells  # the linked one
    assert "Opens | soon <i>" in page.texts["a"]
    assert page.texts["li"] == ["xss: <img src=x onerror=alert(1)> moved | =1+1"]
    assert page.texts["h2"] == [
        "Due today", "Week 46, 9-15 Nov 2026", "Opening within 14d",
        "Changed at the last portal sync (Fri 6 Nov 2026 09:00)",
    ]  # fmt: skip
    assert page.texts["title"] == ["Funding deadlines: 3 due within 14d, 1 today, 1 call opening"]
    assert page.texts["th"][:6] == ["Deadline", "Left", "Call", "Stage", "Programme",
                                    "Identifier"]  # fmt: skip


def test_json_keeps_values_as_they_are(fw, hostile):
    doc = as_json(fw("remind", "--as-of", AS_OF, "--format", "json"))
    week = doc["due"][0]
    assert (week["week"], week["iso_week"]) == ("Week 46, 9-15 Nov 2026", "2026-W46")
    assert week["deadlines"][0] == rec(
        "xss",
        XSS_TITLE,
        "2026-11-12T17:00:00+01:00",
        2,
        label="Stage | 1",
        programme="A|B <b>bold</b>",
        identifier="ID|1",
        url="javascript:alert(1)",
    )
    assert week["deadlines"][1]["title"] == (
        "\x1b[31mRed\x1b[0m [link](https://evil.example) *bold*"
    )
    assert doc["opening"] == [{
        "call_id": "opener", "title": "Opens | soon <i>", "programme": None,
        "identifier": None, "url": "https://example.org/open?x=1&y=2", "opens": "2026-11-11",
        "days_left": 1,
    }]  # fmt: skip
    assert doc["changes"]["items"] == [
        {
            "call_id": "xss",
            "text": "<img src=x onerror=alert(1)> moved | =1+1",
            "seen": "2026-11-06T08:00:00+00:00",
        }
    ]


def test_csv_rows_and_neutralised_formulas(fw_bytes, hostile):
    code, out, err = fw_bytes("remind", "--as-of", AS_OF, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.decode("utf-8") == (
        "section,week,call_id,title,programme,identifier,url,at,label,all_day,days_left,text\r\n"
        'today,,formula,"\'=HYPERLINK(""http://evil"",""x"")",\'+cmd,\'@SUM(A1),'
        "https://example.org/a b)c|d,2026-11-10,'-2,true,0,\r\n"
        'due,2026-W46,xss,"<script>alert(1)</script> & ""R&D""",A|B <b>bold</b>,ID|1,'
        "javascript:alert(1),2026-11-12T17:00:00+01:00,Stage | 1,false,2,\r\n"
        "due,2026-W46,esc,\x1b[31mRed\x1b[0m [link](https://evil.example) *bold*,,,"
        "JAVASCRIPT:alert(2),2026-11-13,,true,3,\r\n"
        "opening,,opener,Opens | soon <i>,,,https://example.org/open?x=1&y=2,2026-11-11,,"
        "true,1,\r\n"
        "changed,,xss,,,,,,,,,<img src=x onerror=alert(1)> moved | =1+1\r\n"
    )


def test_csv_neutralises_a_formula_in_a_change(fw_bytes, watchlist):
    path = write(watchlist, QUIET + (
        '\n[sync]\nat = 2026-11-09T16:30:00Z\n'
        'changes = [{ call = "far", text = "=cmd|\' /C calc\'!A0" }, '
        '{ call = "far", text = " -5 days" }]\n'
    ))  # fmt: skip
    code, out, err = fw_bytes("remind", "--file", path, "--as-of", AS_OF, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.decode("utf-8") == (
        "section,week,call_id,title,programme,identifier,url,at,label,all_day,days_left,text\r\n"
        "changed,,far,,,,,,,,,'=cmd|' /C calc'!A0\r\n"
        "changed,,far,,,,,,,,,' -5 days\r\n"
    )


def test_remind_accepts_the_table_format_of_the_contract(fw, reminder_list):
    """cli-contract.md: formats are table (default on a terminal), json, csv, markdown;
    `remind` *also* text and html. Piped, a table carries no colour or box drawing."""
    r = ok(fw("remind", "--as-of", AS_OF, "--format", "table"))
    assert not ANSI.search(r.out) and not BOX_DRAWING.search(r.out)
    assert "Week 46, 9-15 Nov 2026" in r.out
    assert "Due tonight" in r.out


# === text alignment with wide and combining characters =====================================


@pytest.mark.parametrize(
    "title",
    [
        "Innovación énergétique",  # precomposed (NFC)
        "中文标题 créé",  # wide characters take two columns
        unicodedata.normalize("NFD", "Innovación énergétique"),  # combining accents: none
    ],
    ids=["nfc", "wide", "nfd"],
)
def test_text_columns_line_up_on_screen(title):
    calls = [
        call("odd", Deadline(datetime(2026, 11, 12, 17, 0), label="S1"), title=title),
        call("plain", Deadline(datetime(2026, 11, 13, 17, 0), label="S2"), title="Plain"),
    ]
    r = build(calls, clock(AS_OF), DAYS14, NO_FILTERS)
    lines = report.text(r).splitlines()
    table = [line for line in lines[lines.index("Week 46, 9-15 Nov 2026") + 1 :][:5]
             if not line.startswith("    ")]  # fmt: skip
    header, *rows = table[:3]
    column = display_width(header[: header.index("Stage")])
    for row, stage in zip(rows, ("S1", "S2"), strict=True):
        at = row.index(stage)
        assert display_width(row[:at]) == column, (row, table)


def test_week_title_and_iso_of_week_objects():
    w = Week(2026, 53, date(2026, 12, 28), [])
    assert (w.title, w.iso) == ("Week 53, 28 Dec 2026 - 3 Jan 2027", "2026-W53")
    w = Week(2027, 1, date(2027, 1, 4), [])
    assert (w.title, w.iso) == ("Week 1, 4-10 Jan 2027", "2027-W01")
