"""`fundwatch timeline`: the months ahead as a picture, in text, SVG and HTML, and the
same picture in table cells in the HTML reminder."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock
from fundwatch.output import timeline

AS_OF = "2025-10-08"
ORDER = ["ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
         "eie-investment-ecosystems", "eic-accelerator-2026"]  # fmt: skip
SVG = "{http://www.w3.org/2000/svg}"


def picture(fw, *args: str, columns: int = 80) -> list[str]:
    r = fw("timeline", "--as-of", AS_OF, "--from", "2025-09-01", *args,
           env={"COLUMNS": str(columns)})  # fmt: skip
    assert (r.code, r.err) == (0, ""), r.err
    return r.out.splitlines()


def test_the_sample_in_80_columns(fw, sample):
    lines = picture(fw)
    assert lines[0].startswith("1 Sep 2025 - 28 Feb 2026, times in Europe/Brussels")
    names, ticks, *rows, legend = lines[1:]
    assert [row.split()[0] for row in rows] == ORDER  # soonest final deadline first
    assert [row.split()[1] for row in rows[:4]] == ["12", "12", "26", "20"]
    assert [row.split()[2] for row in rows[:4]] == ["Nov", "Nov", "Nov", "Jan"]
    assert "4 Nov 2026" in rows[4]  # its last cut-off, beyond the window
    assert all(len(line) <= 80 for line in lines)
    assert all(line.isascii() for line in lines)  # piped: plain characters, no colour
    # the ruler: Sep 1 is the picture's first column; months and weeks ticked
    start = ticks.index("|")
    width = len(ticks) - start
    assert names[start:].startswith("Sep")
    assert ticks[start:].count("|") == 6 and ticks.count("'") >= 20

    def col(day: date) -> int:
        return start + (day - date(2025, 9, 1)).days * width // 181

    today = col(date(2025, 10, 8))
    assert ticks[today] == "v"
    assert all(row[today] == ":" for row in rows)  # today's line through every row
    eie = rows[3]
    assert eie.index("[") == col(date(2025, 9, 10))  # its bar starts at its opening
    assert eie.rindex("#") == col(date(2026, 1, 20))  # and ends at its deadline
    assert set(eie[start : eie.index("[")]) == {" "}
    assert rows[0][start] == "-" and rows[0].rindex("#") == col(date(2025, 11, 12))
    accelerator = rows[4]
    assert accelerator[col(date(2026, 1, 7))] == "o" and accelerator.endswith(">")
    assert "today, Wed 8 Oct 2025" in legend and "# deadline" in legend


def test_the_sample_in_200_columns_has_titles(fw, sample):
    lines = picture(fw, columns=200)
    rows = lines[3:-1]
    assert all(len(line) <= 200 for line in lines)
    assert "ssri-02-uptake-services    Uptake Acceleration Services" in rows[0]
    assert "Expanding Investment Ecosystems" in rows[3]
    ticks = lines[2]
    assert len(ticks) - ticks.index("|") >= 100  # the picture takes half the line


def test_a_long_id_is_never_cut(fw, watchlist):
    long_id = "a-very-long-call-id-that-takes-most-of-an-eighty-column-line-x"
    watchlist.write_text(
        f'version = 1\n[[calls]]\nid = "{long_id}"\ntitle = "T"\ndeadline = 2025-11-12\n',
        encoding="utf-8",
    )
    lines = picture(fw, columns=80)
    assert lines[3].startswith(long_id + "  12 Nov  ")
    assert "#" in lines[3]


def test_empty_window_prints_nothing_on_a_pipe(fw, sample):
    r = fw("timeline", "--as-of", AS_OF, "--from", "2030-01-01")
    assert (r.code, r.out, r.err) == (0, "", "")


def test_an_empty_window_on_a_terminal_says_so(fw_env, sample):
    out, err = run_on_a_terminal(fw_env, "timeline", "--as-of", AS_OF, "--months", "1",
                                 no_color=False)  # fmt: skip
    assert out == ""
    assert err == "No call has a date between 8 Oct 2025 and 7 Nov 2025.\n"


def test_filters_and_bad_values(fw, sample):
    lines = picture(fw, "--tag", "eic")
    assert [row.split()[0] for row in lines[3:-1]] == ["eic-ukrainian-tech", "eic-accelerator-2026"]
    r = fw("timeline", "--from", "31/02/2025")
    assert r.code == 1 and r.err.startswith("error: --from:") and len(r.err.splitlines()) == 1
    r = fw("timeline", "--months", "0")
    assert r.code == 2


def run_on_a_terminal(fw_env, *args: str, no_color: bool) -> tuple[str, str]:
    """The command with a pseudo-terminal as stdout (as a person runs it): its output
    and its stderr."""
    env = {k: v for k, v in fw_env.items() if k != "NO_COLOR"} | {"COLUMNS": "100"}
    if no_color:
        env["NO_COLOR"] = "1"
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "fundwatch", *args], stdout=child,
                            stderr=subprocess.PIPE, env=env)  # fmt: skip
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    assert proc.stderr is not None
    return b"".join(chunks).decode("utf-8"), proc.stderr.read().decode("utf-8")


def test_colours_on_a_terminal_and_plain_with_no_color(fw_env, sample):
    args = ("timeline", "--as-of", "2025-11-10", "--from", "2025-09-01")
    coloured, _ = run_on_a_terminal(fw_env, *args, no_color=False)
    assert "\x1b[" in coloured and "◆" in coloured and "━" in coloured
    assert "\x1b[1;31m◆" in coloured  # 12 Nov is 2 days away: red, as `upcoming` has it
    plain, _ = run_on_a_terminal(fw_env, *args, no_color=True)
    assert "\x1b" not in plain and plain.isascii()
    assert "ssri-02-uptake-services" in plain and "#" in plain


def clock(day: str) -> Clock:
    return Clock.at("Europe/Brussels", day)


def test_layout_model_and_urgency():
    calls = [
        Call("soon", "Soon", (Deadline(date(2025, 11, 12)),)),
        Call("later", "Later", (Deadline(date(2025, 11, 20)),), opens=date(2025, 11, 1)),
        Call(
            "staged",
            "Staged",
            (
                Deadline(date(2025, 11, 5), label="Stage 1"),
                Deadline(date(2026, 6, 1), label="Stage 2"),
            ),
        ),
        Call("outside", "Outside", (Deadline(date(2027, 1, 1)),)),
        Call("tbc", "TBC", (), opens=date(2025, 11, 15)),
    ]
    t = timeline.build(calls, clock("2025-11-10"), *timeline.window(date(2025, 11, 1), 1))
    assert (t.first, t.last) == (date(2025, 11, 1), date(2025, 11, 30))
    assert [r.call.id for r in t.rows] == ["soon", "later", "staged", "tbc"]
    soon, later, staged, tbc = t.rows
    assert soon.start == date(2025, 11, 1) and soon.opens is None
    assert later.start == later.opens == date(2025, 11, 1)
    assert staged.continues and [m.final for m in staged.marks] == [False]
    assert staged.marks[0].passed and staged.days_left == 203
    assert tbc.final is None and tbc.continues
    assert [timeline.urgency(r.days_left) for r in t.rows] == ["red", "amber", "calm", "passed"]
    styles = {s for line in timeline.text_lines(t, 100, fancy=True) for _, s in line}
    assert {"bold red", "yellow"} <= styles
    assert t.mondays()[0] == date(2025, 11, 3) and t.months() == [date(2025, 11, 1)]


def test_svg_is_standalone_with_text_and_titles(fw, sample, watchlist):
    text = watchlist.read_text(encoding="utf-8").replace(
        'title = "Uptake Acceleration Services"',
        'title = "Uptake <script>alert(1)</script> & \\"R&D\\"\\r\\nnext"',
    )
    watchlist.write_text(text, encoding="utf-8")
    r = fw("timeline", "--as-of", AS_OF, "--from", "2025-09-01", "--format", "svg")
    assert r.code == 0, r.err
    assert r.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = ET.fromstring(r.out.encode())
    assert root.tag == SVG + "svg"
    elements = list(root.iter())
    assert not [
        e
        for e in elements
        if e.tag in (SVG + "script", SVG + "image", SVG + "foreignObject", SVG + "style")
    ]
    for e in elements:
        assert not any("href" in name or name.startswith("on") for name in e.attrib), e.attrib
    assert "url(" not in r.out and "@import" not in r.out
    rows = root.findall(f"{SVG}g[@data-call]")
    assert [g.get("data-call") for g in rows] == ORDER
    titles = [g.find(SVG + "title").text for g in rows]
    assert titles[0].startswith(
        'ssri-02-uptake-services: Uptake <script>alert(1)</script> & "R&D" next'
    )
    assert "Deadline: Wed 12 Nov 2025 17:00" in titles[0]
    assert "Opens Wed 10 Sep 2025" in titles[3]
    assert "Cut-off 1: Wed 7 Jan 2026 17:00" in titles[4]
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "eie-investment-ecosystems" in texts and "20 Jan" in texts and "today" in texts


def test_html_page_is_self_contained(fw, sample):
    r = fw("timeline", "--as-of", AS_OF, "--from", "2025-09-01", "--format", "html")
    assert r.code == 0
    low = r.out.lower()
    assert low.startswith("<!doctype html>") and low.count("<svg") == 1
    assert "<script" not in low and "<img" not in low and "<link" not in low
    assert "src=" not in low and "href" not in low
    body = r.out.split("<svg", 1)[1]
    assert [body.index(f'data-call="{i}"') for i in ORDER] == sorted(
        body.index(f'data-call="{i}"') for i in ORDER
    )
    assert timeline.fragment.__doc__  # what the published page includes


def test_html_reminder_has_the_timeline_in_table_cells(fw, sample):
    r = fw("remind", "--as-of", "2025-11-03", "--within", "60d", "--format", "html")
    assert r.code == 0
    low = r.out.lower()
    assert "<svg" not in low and "<img" not in low
    table = r.out.split("<h2", 1)[0]  # above the tables
    order = [table.index(f'<tr data-call="{i}"') for i in ORDER[:3]]
    assert order == sorted(order)
    assert f'bgcolor="{timeline.COLOURS["amber"]}"' in table  # 12 Nov: 9 days away, amber
    assert "◆" in table
    # a week with nothing to say still prints nothing
    r = fw("remind", "--as-of", "2025-12-20", "--format", "html")
    assert (r.code, r.out) == (0, "")


def test_svg_of_an_empty_window_says_so(fw, sample):
    r = fw("timeline", "--as-of", AS_OF, "--from", "2030-01-01", "--format", "svg")
    assert r.code == 0 and "No deadline or opening in this window." in r.out
    ET.fromstring(r.out.encode())


def test_text_picture_fits_every_width(tmp_path: Path):
    calls = [Call(f"call-{n}", "Title " * n, (Deadline(date(2025, 11, n + 1)),)) for n in range(9)]
    t = timeline.build(calls, clock("2025-11-03"), *timeline.window(date(2025, 10, 1), 6))
    for width in (80, 81, 99, 120, 157, 200, 300):
        lines = timeline.to_text(t, width).splitlines()
        assert max(len(line) for line in lines) <= width, width
    assert max(len(line) for line in timeline.to_text(t, 20).splitlines()) <= 80


def test_a_window_longer_than_a_year_gives_the_year_of_every_deadline(fw, sample):
    # in 36 months "12 Nov" could be any of three; the year tells which
    rows = picture(fw, "--months", "36")[3:-1]
    assert [" ".join(row.split()[1:4]) for row in rows] == [
        "12 Nov 2025", "12 Nov 2025", "26 Nov 2025", "20 Jan 2026", "4 Nov 2026", "14 Sep 2027",
    ]  # fmt: skip
    assert picture(fw, "--months", "12")[3].split()[1:3] == ["12", "Nov"]


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_dates_beside_the_marks_are_legible():
    # "12 Nov" in 11px beside a mark, and ◆ in white on a mail cell: WCAG AA (4.5:1)
    for kind in ("red", "amber", "calm"):
        assert contrast(timeline.COLOURS[kind]) >= 4.5, kind


def columns(tr: str) -> int:
    """The columns a table row takes: its cells, each by its colspan."""
    return sum(int(span or 1) for span in re.findall(r'<td(?: colspan="(\d+)")?[ >]', tr))


def test_the_mail_table_stays_small_enough_for_gmail():
    # Gmail clips a mail whose HTML passes 102 KB ("[Message clipped]"): the tables
    # below the picture would be hidden. A bar is one cell spanning its days.
    calls = [
        Call(f"call-{n:02d}", "T", (Deadline(date(2025, 11, 4) + timedelta(days=n)),),
             opens=date(2025, 9, 1) + timedelta(days=n))
        for n in range(40)
    ]  # fmt: skip
    t = timeline.build(calls, clock("2025-11-03"), *timeline.window(date(2025, 11, 3), 2))
    table = timeline.mail_table(t)
    assert table.count("<tr data-call") == 40
    assert len(table.encode()) < 50_000, len(table.encode())  # was 256 KB
    rows = table.split("<tr")[1:]
    assert len({columns(tr) for tr in rows[1:]}) == 1  # every row as wide as the day row
    assert columns(rows[1]) == 2 + 31  # Call, Due, a column for every 2 days


def test_years_name_the_ruler_when_months_are_too_narrow(fw, sample):
    # 36 months in 80 columns: a column a month, no room for "Sep"; the years say when
    names, ticks = picture(fw, "--months", "36")[1:3]
    start = len(ticks) - len(ticks.lstrip())
    assert names.split() == ["2026", "2027", "2028"]
    assert names.index("2026") == start + 4 and ticks[start + 4] == "|"  # Jan 2026
    assert ticks.count("|") == 3 and set(ticks[start:]) == {"|", "-", "v"}  # years ticked
    # and in the SVG: year names, no month names, no week lines
    r = fw("timeline", "--as-of", AS_OF, "--from", "2020-01-01", "--months", "120",
           "--format", "svg")  # fmt: skip
    root = ET.fromstring(r.out.encode())
    texts = [t.text for t in root.iter(SVG + "text")]
    assert [str(year) for year in range(2020, 2030)] == [t for t in texts if t.isdigit()]
    assert not {"Jan", "Feb", "Mar"} & set(texts)
    assert len(root.findall(f"{SVG}line")) < 60  # was 120 month and 522 week lines


def test_an_opening_after_a_deadline_before_the_window_stays_in_the_picture():
    # a typo (opens after its deadline), the deadline before the window: the bar was
    # drawn from a day before the first, which the text picture wrapped to its right end
    # and the SVG drew over the ids
    call = Call("typo", "T", (Deadline(date(2025, 8, 1)),), opens=date(2025, 10, 15))
    t = timeline.build([call], clock("2025-10-08"), *timeline.window(date(2025, 9, 1), 6))
    (row,) = t.rows
    assert t.first <= row.start <= row.end <= t.last
    assert row.start == row.opens == date(2025, 10, 15)
    line = timeline.to_text(t, 80).splitlines()[3]
    ticks = timeline.to_text(t, 80).splitlines()[2]
    start = len(ticks) - len(ticks.lstrip())
    oct_15 = start + (date(2025, 10, 15) - t.first).days * (len(ticks) - start) // t.days
    assert line.rstrip().endswith("[") and line.index("[") == oct_15


def test_every_month_of_a_year_is_named_in_the_svg(fw, sample):
    # "Jan 2026" has no room in a twelfth of the picture: "Jan", not nothing
    r = fw("timeline", "--as-of", AS_OF, "--months", "12", "--format", "svg")
    root = ET.fromstring(r.out.encode())
    names = [t.text for t in root.iter(SVG + "text") if t.get("y") == "32"]
    assert names == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                     "Aug", "Sep"]  # fmt: skip
