"""`fundwatch timeline`: the months ahead as a picture, in text, SVG and HTML, and the
same picture in table cells in the HTML reminder."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
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


def test_filters_and_bad_values(fw, sample):
    lines = picture(fw, "--tag", "eic")
    assert [row.split()[0] for row in lines[3:-1]] == ["eic-ukrainian-tech", "eic-accelerator-2026"]
    r = fw("timeline", "--from", "31/02/2025")
    assert r.code == 1 and r.err.startswith("error: --from:") and len(r.err.splitlines()) == 1
    r = fw("timeline", "--months", "0")
    assert r.code == 2


def run_on_a_terminal(fw_env, *args: str, no_color: bool) -> str:
    """The command with a pseudo-terminal as stdout (as a person runs it)."""
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
    return b"".join(chunks).decode("utf-8")


def test_colours_on_a_terminal_and_plain_with_no_color(fw_env, sample):
    args = ("timeline", "--as-of", "2025-11-10", "--from", "2025-09-01")
    coloured = run_on_a_terminal(fw_env, *args, no_color=False)
    assert "\x1b[" in coloured and "◆" in coloured and "━" in coloured
    assert "\x1b[1;31m◆" in coloured  # 12 Nov is 2 days away: red, as `upcoming` has it
    plain = run_on_a_terminal(fw_env, *args, no_color=True)
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
    assert 'bgcolor="#e37400"' in table  # 12 Nov: 9 days away, amber
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
