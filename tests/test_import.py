"""`fundwatch import`: spreadsheets, calendars, JSON and other watchlists, merged.

The inputs are made here the way the programs people use write them: a CSV as
European Excel saves it (BOM, ';', CRLF, quoted line breaks), an ICS as Google
Calendar exports it (X-WR-TIMEZONE, UTC times) and one as Outlook writes it (a
Windows zone name in TZID), plus round trips of fundwatch's own exports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from localserver import Answer

from fundwatch.domain.model import Call, Deadline
from fundwatch.domain.timeutil import Clock
from fundwatch.importers.base import Incoming
from fundwatch.importers.merge import merge

AS_OF = ("--as-of", "2025-10-08")


def listed(fw, *extra: str) -> dict:
    r = fw("list", "--format", "json", *AS_OF, *extra)
    assert r.code == 0, r.err
    return {c["id"]: c for c in json.loads(r.out)}


def ats(call: dict) -> list[tuple[str, str | None]]:
    return [(d["at"], d["label"]) for d in call["deadlines"]]


def calendar(path: Path, *lines: str) -> Path:
    """An iCalendar file of these content lines (CRLF endings, as calendars write them)."""
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8", newline="")
    return path


def pipe(fw_env, *args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "fundwatch", *args],
        env=fw_env, input=data, capture_output=True, timeout=60,
    )  # fmt: skip


# --- CSV as spreadsheets save it --------------------------------------------------------------

EXCEL_ROWS = [
    "Call name;Programme;Topic ID;Closing date;Opening date;Link;Tags;Comments;Budget (EUR)",
    "EIC call to support UA tech SMEs;Horizon Europe / EIC;HORIZON-EIC-2025-UKRAINIANTECH-01-01;"
    "26/11/2025 17:00;;https://example.org/ua?a=1;b=2;eic, ukraine;"
    '"Two lines;\r\nwith a semicolon";20000000',
    "Uptake Acceleration Services;Horizon Europe;HORIZON-CL3-2025-01-SSRI-02;12.11.2025 17:00;"
    "12/06/2025;;security;;",
    ";;;;;;;;",
    "Expanding Investment Ecosystems;;;20 January 2026 17:00;;;;;",
    "Soil health report;Mission Soil;;30/06/2026;;;;;",
]


def excel_csv(rows: list[str]) -> bytes:
    """What Excel's "CSV (semicolon)" writes on a European Windows, in UTF-8 with a BOM."""
    return "\ufeff".encode() + "\r\n".join(rows).encode("utf-8") + b"\r\n"


def test_excel_csv_with_bom_semicolons_crlf_and_quoted_line_breaks(fw, tmp_path, watchlist):
    src = tmp_path / "calls.csv"
    # the link's ';' would split the row: Excel quotes such a cell
    rows = list(EXCEL_ROWS)
    rows[1] = rows[1].replace("https://example.org/ua?a=1;b=2", '"https://example.org/ua?a=1;b=2"')
    src.write_bytes(excel_csv(rows))
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1] == "calls.csv: 4 calls, 4 added, 0 updated, 0 unchanged."
    calls = listed(fw)
    ua = calls["eic-call-to-support-ua-tech-smes"]
    assert ua["identifier"] == "HORIZON-EIC-2025-UKRAINIANTECH-01-01"
    assert ua["programme"] == "Horizon Europe / EIC"
    assert ua["url"] == "https://example.org/ua?a=1;b=2"
    assert ua["tags"] == ["eic", "ukraine"]
    assert ua["notes"] == "Two lines;\nwith a semicolon"
    assert ua["budget"] == 20000000
    assert ats(ua) == [("2025-11-26T17:00:00+01:00", None)]
    ssri = calls["uptake-acceleration-services"]
    assert ats(ssri) == [("2025-11-12T17:00:00+01:00", None)]
    assert ssri["opens"] == "2025-06-12"
    assert ats(calls["expanding-investment-ecosystems"]) == [("2026-01-20T17:00:00+01:00", None)]
    soil = calls["soil-health-report"]
    assert soil["deadlines"][0] | {"days_left": 0} == {
        "at": "2026-06-30", "label": None, "all_day": True, "days_left": 0,
    }  # fmt: skip


def test_windows_1252_csv_and_comma_separator(fw, tmp_path):
    src = tmp_path / "export.csv"
    src.write_bytes(
        "Title,Deadline,Program\r\nÉconomie circulaire,01/12/2025,LIFE\r\n".encode("cp1252")
    )
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    (call,) = listed(fw).values()
    assert (call["title"], call["programme"]) == ("Économie circulaire", "LIFE")
    assert ats(call) == [("2025-12-01", None)]


def test_rows_of_one_identifier_are_one_call_with_labelled_deadlines(fw, tmp_path):
    src = tmp_path / "cutoffs.csv"
    src.write_text(
        "title,identifier,stage,deadline\n"
        "EIC Accelerator,HORIZON-EIC-2026-ACCELERATOR-01,Cut-off 2,04/03/2026 17:00\n"
        "EIC Accelerator,HORIZON-EIC-2026-ACCELERATOR-01,Cut-off 1,07/01/2026 17:00\n",
        encoding="utf-8",
    )
    assert fw("import", str(src), *AS_OF).code == 0
    (call,) = listed(fw).values()
    assert ats(call) == [
        ("2026-01-07T17:00:00+01:00", "Cut-off 1"),
        ("2026-03-04T17:00:00+01:00", "Cut-off 2"),
    ]


def test_an_impossible_date_names_row_and_column_and_writes_nothing(fw, sample, tmp_path):
    before = sample.read_bytes()
    rows = ["Title;Programme;Deadline"] + [f"Call {n};P;0{n}/12/2025" for n in range(2, 7)]
    rows.append("Broken;P;31/02/2026")
    (tmp_path / "calls.csv").write_bytes(excel_csv(rows))
    r = fw("import", str(tmp_path / "calls.csv"), *AS_OF)
    assert r.code == 1
    assert r.out == ""
    assert r.err.startswith(
        "error: calls.csv row 7, column C (Deadline): '31/02/2026' is not a valid date"
    ), r.err
    assert r.err.count("\n") == 1
    assert sample.read_bytes() == before
    assert not Path(str(sample) + ".bak").exists()


def test_no_title_column_is_an_error_until_mapped(fw, tmp_path, watchlist):
    src = tmp_path / "mine.csv"
    src.write_text("Ausschreibung;Frist;Notiz\nDigital SME;15/01/2026;x\n", encoding="utf-8")
    r = fw("import", str(src), *AS_OF)
    assert r.code == 1
    assert r.err.startswith(
        "error: mine.csv: no title column (the header row has 'Ausschreibung', 'Frist', 'Notiz')"
    )
    assert "--map" in r.err
    assert not watchlist.exists()
    r = fw("import", str(src), "--map", "ausschreibung=title", "--map", "FRIST=deadline",
           "--map", "Notiz=notes", *AS_OF)  # fmt: skip
    assert r.code == 0, r.err
    (call,) = listed(fw).values()
    assert (call["title"], call["notes"], ats(call)) == ("Digital SME", "x", [("2026-01-15", None)])


def test_map_names_a_missing_column_or_an_unknown_field(fw, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("title,deadline\nA,01/01/2026\n", encoding="utf-8")
    r = fw("import", str(src), "--map", "Due=deadline")
    assert (r.code, r.err.split(" (")[0]) == (1, "error: --map: a.csv has no column 'due'")
    r = fw("import", str(src), "--map", "title=headline")
    assert r.code == 1 and "'headline' is not a field" in r.err


def test_csv_cells_we_neutralised_come_back_as_written(fw, fw_env, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text('title,deadline\n"=HYPERLINK(""http://x"")",01/01/2026\n', encoding="utf-8")
    assert fw("import", str(src), *AS_OF).code == 0
    r = fw("list", "--format", "csv", *AS_OF)
    assert "'=HYPERLINK" in r.out  # neutralised again on the way out
    out = pipe(fw_env, "import", "-", "--format", "csv", *AS_OF, data=r.out.encode())
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().endswith(
        "a.csv: 1 call, 0 added, 0 updated, 1 unchanged.\n".replace("a.csv", "standard input")
    )
    (call,) = listed(fw).values()
    assert call["title"] == '=HYPERLINK("http://x")'


# --- calendars -------------------------------------------------------------------------------

GOOGLE = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:EU calls
X-WR-TIMEZONE:Europe/Brussels
BEGIN:VEVENT
DTSTART:20251126T160000Z
DTEND:20251126T170000Z
DTSTAMP:20251001T080000Z
UID:3k1d8vq0s1b2c3d4e5f6g7h8i9@google.com
CREATED:20251001T080000Z
DESCRIPTION:Civilian applications only\\, about 40 projects.\\nSee the portal.
LAST-MODIFIED:20251001T080000Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:EIC Ukraine deadline
URL:https://example.org/eic
CATEGORIES:eic,ukraine
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260630
DTEND;VALUE=DATE:20260701
UID:allday1@google.com
SUMMARY:Final report due
END:VEVENT
BEGIN:VEVENT
DTSTART:20260120T170000
UID:floating1@google.com
SUMMARY:Investment ecosystems
END:VEVENT
BEGIN:VEVENT
DTSTART:20251020T080000Z
UID:cancelled@google.com
STATUS:CANCELLED
SUMMARY:Cancelled meeting
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def test_google_calendar_export(fw, tmp_path, watchlist):
    src = tmp_path / "basic.ics"
    src.write_text(GOOGLE, encoding="utf-8", newline="")
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    calls = listed(fw)
    assert set(calls) == {"eic-ukraine-deadline", "final-report-due", "investment-ecosystems"}
    eic = calls["eic-ukraine-deadline"]
    assert ats(eic) == [("2025-11-26T17:00:00+01:00", None)]  # 16:00 UTC in Brussels
    assert eic["timezone"] == "Europe/Brussels"
    assert eic["tags"] == ["eic", "ukraine"]
    assert eic["url"] == "https://example.org/eic"
    assert eic["notes"] == "Civilian applications only, about 40 projects.\nSee the portal."
    assert calls["final-report-due"]["deadlines"][0]["at"] == "2026-06-30"
    assert calls["final-report-due"]["deadlines"][0]["all_day"] is True
    # a floating time is read in the calendar's X-WR-TIMEZONE
    assert ats(calls["investment-ecosystems"]) == [("2026-01-20T17:00:00+01:00", None)]
    assert 'uid = "3k1d8vq0s1b2c3d4e5f6g7h8i9@google.com"' in watchlist.read_text(encoding="utf-8")
    # the same feed again changes nothing, even with the event renamed in the meantime
    before = watchlist.read_bytes()
    r = fw("import", str(src), *AS_OF)
    assert r.out == "basic.ics: 3 calls, 0 added, 0 updated, 3 unchanged.\n"
    assert watchlist.read_bytes() == before
    src.write_text(GOOGLE.replace("EIC Ukraine deadline", "EIC Ukraine (moved)").replace(
        "20251126T160000Z", "20251203T160000Z"), encoding="utf-8", newline="")  # fmt: skip
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == (
        "updated eic-ukraine-deadline: title changed from 'EIC Ukraine deadline' to "
        "'EIC Ukraine (moved)'; deadline moved from 26 Nov 2025 17:00 to 3 Dec 2025 17:00 "
        "(Brussels)"
    )


OUTLOOK = """BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
CLASS:PUBLIC
DTSTART;TZID="W. Europe Standard Time":20260707T170000
DTEND;TZID="W. Europe Standard Time":20260707T173000
DTSTAMP:20251008T090000Z
UID:040000008200E00074C5B7101A82E00800000000D0B3A8C1F0D7DB010000000000000000100000
SUMMARY;LANGUAGE=de-de:EIC Accelerator Stichtag
DESCRIPTION:Vollantrag\\n
PRIORITY:5
SEQUENCE:0
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=W. Europe Standard Time:20260107T170000
UID:winter-outlook
SUMMARY:Winter cut-off
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def test_outlook_calendar_with_a_windows_zone_name(fw, tmp_path):
    src = tmp_path / "outlook.ics"
    src.write_text(OUTLOOK, encoding="utf-8", newline="")
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    calls = listed(fw)
    summer, winter = calls["eic-accelerator-stichtag"], calls["winter-cut-off"]
    assert summer["timezone"] == winter["timezone"] == "Europe/Berlin"
    assert ats(summer) == [("2026-07-07T17:00:00+02:00", None)]
    assert ats(winter) == [("2026-01-07T17:00:00+01:00", None)]
    assert summer["notes"] == "Vollantrag"


RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:cutoffs@example.org
DTSTART;TZID=Europe/Brussels:20260107T170000
RRULE:FREQ=MONTHLY;COUNT=6
EXDATE;TZID=Europe/Brussels:20260507T170000
SUMMARY:Monthly cut-off
END:VEVENT
BEGIN:VEVENT
UID:cutoffs@example.org
RECURRENCE-ID;TZID=Europe/Brussels:20260607T170000
DTSTART;TZID=Europe/Brussels:20260610T120000
SUMMARY:Monthly cut-off (moved)
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def test_a_recurring_event_gives_its_upcoming_occurrences(fw, tmp_path):
    src = tmp_path / "feed.ics"
    src.write_text(RECURRING, encoding="utf-8", newline="")
    r = fw("import", str(src), "--as-of", "2026-03-01")
    assert r.code == 0, r.err
    (call,) = listed(fw, "--as-of", "2026-03-01").values()
    # March in winter time, April on in summer time, May excluded, June moved
    assert ats(call) == [
        ("2026-03-07T17:00:00+01:00", None),
        ("2026-04-07T17:00:00+02:00", None),
        ("2026-06-10T12:00:00+02:00", None),
    ]
    # a week later the passed occurrence is still there: importing again changes nothing
    assert fw("import", str(src), "--as-of", "2026-03-10").out.endswith("1 unchanged.\n")


def test_an_event_title_cannot_inject_structure(fw, tmp_path):
    evil = GOOGLE.replace(
        "SUMMARY:EIC Ukraine deadline",
        "SUMMARY:A\\nEND:VEVENT\\nBEGIN:VEVENT\\nSUMMARY:B ]] [[calls]]",
    )
    (tmp_path / "e.ics").write_text(evil, encoding="utf-8", newline="")
    assert fw("import", str(tmp_path / "e.ics"), *AS_OF).code == 0
    calls = listed(fw)
    assert len(calls) == 3
    assert any(
        c["title"] == "A END:VEVENT BEGIN:VEVENT SUMMARY:B ]] [[calls]]" for c in calls.values()
    )
    assert fw("check").code == 0


# --- round trips of our own exports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "export"),
    [
        ("json", ("list", "--format", "json")),
        ("csv", ("list", "--format", "csv")),
        ("ics", ("export", "ics")),
        ("ics", ("export", "ics", "--profile", "google", "--milestone", "Partner letters=21d")),
        ("json", ("upcoming", "--format", "json", "--within", "2y")),
    ],
)
def test_our_exports_come_back_unchanged(fw_bytes, fw_env, sample, fmt, export):
    r = fw_bytes(*export, *AS_OF)
    assert r.code == 0, r.err
    before = sample.read_bytes()  # after the export (which may record calendar bookkeeping)
    done = pipe(fw_env, "import", "-", "--format", fmt, *AS_OF, data=r.out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().endswith(" 0 added, 0 updated, 6 unchanged.\n"), done.stdout
    assert sample.read_bytes() == before


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_our_list_exports_rebuild_the_watchlist(fw_env, sample, tmp_path, fmt):
    exported = pipe(fw_env, "list", "--format", fmt, *AS_OF, data=b"").stdout
    elsewhere = dict(fw_env, FUNDWATCH_FILE=str(tmp_path / "other.toml"))
    done = pipe(elsewhere, "import", "-", "--format", fmt, *AS_OF, data=exported)
    assert done.returncode == 0, done.stderr
    assert pipe(elsewhere, "list", "--format", fmt, *AS_OF, data=b"").stdout == exported


def test_our_calendar_rebuilds_every_deadline_at_the_same_instant(fw, fw_env, sample, tmp_path):
    ics = fw("export", "ics", "--milestone", "Review=7d", *AS_OF).out
    elsewhere = dict(fw_env, FUNDWATCH_FILE=str(tmp_path / "other.toml"))
    done = pipe(elsewhere, "import", "-", "--format", "ics", *AS_OF, data=ics.encode())
    assert done.returncode == 0, done.stderr
    mine, theirs = listed(fw), json.loads(pipe(elsewhere, "list", "--format", "json", *AS_OF,
                                               data=b"").stdout)  # fmt: skip
    theirs = {c["id"]: c for c in theirs}
    assert set(mine) == set(theirs)
    for key, call in mine.items():
        got = theirs[key]
        for field in ("title", "programme", "identifier", "url", "tags", "notes", "budget",
                      "timezone"):  # fmt: skip
            assert got[field] == call[field], (key, field)
        assert ats(got) == ats(call), key


# --- another person's watchlist -----------------------------------------------------------------

THEIRS = """version = 1

[[calls]]
id = "open-proposals"
title = "Accelerating uptake through open proposals for advanced SME innovation"
identifier = "HORIZON-CL3-2025-01-SSRI-04"
state = "submitted"
tags = ["security", "theirs"]
notes = "Their notes"
deadline = 2025-11-19T17:00:00

[[calls]]
id = "digital-europe-ai"
title = "AI testing facilities"
programme = "Digital Europe"
state = "preparing"
deadlines = [{ at = 2026-02-10T17:00:00, label = "Stage 1" }]
"""


def test_another_watchlist_is_merged_keeping_what_is_mine(fw, sample, tmp_path):
    # my own review date on the call they also watch: kept through the merge
    r = fw("edit", "ssri-04-open-proposals", "--deadline", "12/11/2025 17:00",
           "--deadline", "Internal review=01/11/2025", *AS_OF)  # fmt: skip
    assert r.code == 0, r.err
    (tmp_path / "theirs.toml").write_text(THEIRS, encoding="utf-8")
    r = fw("import", str(tmp_path / "theirs.toml"), *AS_OF)
    assert r.code == 0, r.err
    assert r.out == (
        "updated ssri-04-open-proposals: tags added: theirs; deadline moved from 12 Nov 2025 "
        "17:00 to 19 Nov 2025 17:00 (Brussels)\n"
        "added digital-europe-ai: AI testing facilities (1 deadline)\n"
        "theirs.toml: 2 calls, 1 added, 1 updated, 0 unchanged.\n"
    )
    calls = listed(fw)
    mine = calls["ssri-04-open-proposals"]
    assert mine["state"] == "watching"  # my state, not theirs
    assert mine["notes"].startswith("Innovation Action")  # my notes
    assert mine["tags"] == ["security", "sme", "lump-sum", "theirs"]
    assert ats(mine) == [("2025-11-01", "Internal review"), ("2025-11-19T17:00:00+01:00", None)]
    assert calls["digital-europe-ai"]["state"] == "preparing"
    assert ats(calls["digital-europe-ai"]) == [("2026-02-10T17:00:00+01:00", "Stage 1")]
    assert Path(str(sample) + ".bak").exists()


def test_dry_run_says_what_would_happen_and_writes_nothing(fw, sample, tmp_path):
    (tmp_path / "theirs.toml").write_text(THEIRS, encoding="utf-8")
    before = sample.read_bytes()
    r = fw("import", str(tmp_path / "theirs.toml"), "--dry-run", *AS_OF)
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "would update ssri-04-open-proposals: tags added: theirs; deadline moved from 12 Nov "
        "2025 17:00 to 19 Nov 2025 17:00 (Brussels)",
        "would add digital-europe-ai: AI testing facilities (1 deadline)",
        "theirs.toml: 2 calls, 1 would add, 1 would update, 0 unchanged (dry run: nothing "
        "written).",
    ]
    assert sample.read_bytes() == before
    assert not Path(str(sample) + ".bak").exists()


def test_a_broken_watchlist_to_import_names_its_line(fw, sample, tmp_path):
    (tmp_path / "theirs.toml").write_text(
        'version = 1\n\n[[calls]]\ntitle = "X"\ndeadline = "31/02/2026"\n', encoding="utf-8"
    )
    r = fw("import", str(tmp_path / "theirs.toml"), *AS_OF)
    assert r.code == 1
    assert r.err.startswith("error: theirs.toml line 5: call 'x': deadline: '31/02/2026'")


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.png is not a text file"),
        ("calls.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "calls.xlsx is a spreadsheet workbook"),
        ("empty.ics", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
         "empty.ics holds no events"),
        ("cut.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026XXXX\r\n",
         "cut.ics is cut short"),
        ("junk.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nDTSTART:2026XXXX\r\n"
         b"END:VEVENT\r\nEND:VCALENDAR\r\n", "junk.ics: event 'x': its start '2026XXXX' is not "
         "a date"),
        ("notics.ics", b"hello", "notics.ics is not an iCalendar file"),
        ("bad.json", b'[{"title": "A", "deadlines": [}]', "bad.json line 1: not valid JSON"),
        ("dates.json", b'[{"title": "A", "deadlines": [{"at": "2026-02-31"}]}]',
         "dates.json item 1: deadline: '2026-02-31' is not a valid date"),
        ("shape.json", b'{"title": "A"}', "shape.json: expected a list of calls"),
        ("header.csv", b"title,deadline\r\n", "header.csv holds no calls"),
        ("nodate.csv", b"title,deadline\r\nA,soon\r\n", "nodate.csv row 2, column B (deadline): "
         "'soon' is not"),
        ("zone.csv", b"title,deadline,timezone\r\nA,01/01/2026,Mars/Olympus\r\n",
         "zone.csv row 2, column C (timezone): unknown time zone 'Mars/Olympus'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_and_writes_nothing(fw, sample, tmp_path, name, data, message):
    before = sample.read_bytes()
    (tmp_path / name).write_bytes(data)
    r = fw("import", str(tmp_path / name), *AS_OF)
    assert r.code == 1, r.out
    assert r.err.startswith(f"error: {message}"), r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    assert sample.read_bytes() == before


def test_missing_file_folder_and_unknown_format(fw, tmp_path):
    r = fw("import", str(tmp_path / "nope.csv"))
    assert (r.code, r.err) == (1, f"error: no file {tmp_path / 'nope.csv'}\n")
    r = fw("import", str(tmp_path))
    assert r.code == 1 and "is a folder" in r.err
    r = fw("import", "x.csv", "--format", "xlsx")
    assert r.code == 2


# --- from a URL ----------------------------------------------------------------------------------


def test_a_calendar_feed_from_a_url(fw, server, watchlist):
    server.answers(Answer(200, (("Content-Type", "text/calendar; charset=utf-8"),),
                          GOOGLE.encode()))  # fmt: skip
    r = fw("import", server.url("/calendar/private-SECRET123/basic"), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.endswith(": 3 calls, 3 added, 0 updated, 0 unchanged.\n")
    assert "SECRET123" not in r.out + r.err
    (seen,) = server.requests
    assert seen.method == "GET" and seen.headers["user-agent"].startswith("fundwatch/")
    assert len(listed(fw)) == 3


def test_a_url_that_answers_404_is_one_error(fw, server, watchlist):
    server.answers(Answer(404, body=b"<html>not here</html>"))
    r = fw("import", server.url("/feeds/SECRET123.ics"), *AS_OF)
    assert r.code == 1
    assert r.err.startswith(f"error: server at {server.host} answered 404 Not Found")
    assert "SECRET123" not in r.err and r.err.count("\n") == 1
    assert not watchlist.exists()


# --- merging, as a module -----------------------------------------------------------------------

CLOCK = Clock(datetime(2025, 10, 8, tzinfo=UTC), "Europe/Brussels")


def call(title: str, *ats_: datetime | date, **fields) -> Call:
    return Call(id=fields.pop("id", title.lower()), title=title,
                deadlines=tuple(Deadline(a) for a in ats_), **fields)  # fmt: skip


def test_same_title_and_first_deadline_match_other_titles_do_not():
    mine = [call("Soil labs", datetime(2026, 4, 8, 17), id="soil")]
    same = Incoming(call("soil  LABS", datetime(2026, 4, 8, 17), notes="n"))
    moved = Incoming(call("Soil labs", datetime(2026, 5, 8, 17)))
    result, outcomes = merge(mine, [same, moved], CLOCK)
    assert [o.kind for o in outcomes] == ["updated", "added"]
    assert [c.id for c in result] == ["soil", "soil-labs"]
    assert result[0].title == "soil  LABS" and result[0].notes == "n"


def test_an_id_matches_unless_the_identifiers_differ():
    mine = [call("A", date(2026, 1, 1), id="a", identifier="X-1")]
    other = Incoming(call("A2", date(2026, 2, 1), id="a", identifier="X-2"), explicit_id=True)
    result, outcomes = merge(mine, [other], CLOCK)
    assert [o.kind for o in outcomes] == ["added"]
    assert [c.id for c in result] == ["a", "a-2"]


def test_a_same_instant_in_another_zone_is_no_change():
    mine = [call("A", datetime(2026, 1, 20, 17), id="a")]  # 17:00 Brussels = 16:00 UTC
    utc = Call(id="a", title="A", deadlines=(Deadline(datetime(2026, 1, 20, 16), "UTC"),),
               timezone="UTC")  # fmt: skip
    result, outcomes = merge(mine, [Incoming(utc, explicit_id=True)], CLOCK)
    assert [o.kind for o in outcomes] == ["unchanged"]
    assert result == mine


# --- review fixes -------------------------------------------------------------------------------


def test_same_title_and_deadline_with_other_identifiers_are_two_calls(fw, tmp_path, watchlist):
    src = tmp_path / "t.csv"
    src.write_text(
        "Title,Identifier,Deadline\n"
        "Cluster 4 open topic,HORIZON-CL4-2026-01-01,15/04/2026 17:00\n"
        "Cluster 4 open topic,HORIZON-CL4-2026-01-02,15/04/2026 17:00\n",
        encoding="utf-8",
    )
    assert fw("import", str(src), *AS_OF).out.endswith(
        "2 calls, 2 added, 0 updated, 0 unchanged.\n"
    )
    before = watchlist.read_bytes()
    assert fw("import", str(src), *AS_OF).out.endswith("0 added, 0 updated, 2 unchanged.\n")
    assert watchlist.read_bytes() == before
    assert sorted(c["identifier"] for c in listed(fw).values()) == [
        "HORIZON-CL4-2026-01-01", "HORIZON-CL4-2026-01-02",
    ]  # fmt: skip


def test_a_recurring_event_in_utc_repeats_in_utc(fw, tmp_path):
    src = calendar(
        tmp_path / "utc.ics", "BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-TIMEZONE:Europe/Brussels",
        "BEGIN:VEVENT", "UID:weekly@x", "DTSTART:20251022T150000Z", "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Weekly call", "END:VEVENT", "END:VCALENDAR",
    )  # fmt: skip
    assert fw("import", str(src), *AS_OF).code == 0
    (call,) = listed(fw).values()
    # 15:00 UTC each week: 17:00 in Brussels in summer time, 16:00 after 26 October
    assert ats(call) == [
        ("2025-10-22T17:00:00+02:00", None),
        ("2025-10-29T16:00:00+01:00", None),
        ("2025-11-05T16:00:00+01:00", None),
    ]


def test_until_as_a_date_includes_that_day(fw, tmp_path):
    src = calendar(
        tmp_path / "until.ics", "BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:u@x",
        "DTSTART;TZID=Europe/Brussels:20260101T170000", "RRULE:FREQ=WEEKLY;UNTIL=20260115",
        "SUMMARY:Until", "END:VEVENT", "END:VCALENDAR",
    )  # fmt: skip
    assert fw("import", str(src), *AS_OF).code == 0
    (call,) = listed(fw).values()
    assert [a for a, _ in ats(call)] == [
        "2026-01-01T17:00:00+01:00", "2026-01-08T17:00:00+01:00", "2026-01-15T17:00:00+01:00",
    ]  # fmt: skip


def test_tasks_without_a_date_are_left_out(fw, tmp_path):
    src = calendar(
        tmp_path / "tb.ics", "BEGIN:VCALENDAR", "VERSION:2.0",
        "BEGIN:VEVENT", "UID:e@x", "DTSTART;VALUE=DATE:20260301", "SUMMARY:Event", "END:VEVENT",
        "BEGIN:VTODO", "UID:t1@x", "DUE;VALUE=DATE:20260302", "SUMMARY:Task with a date",
        "END:VTODO", "BEGIN:VTODO", "UID:t2@x", "SUMMARY:A todo without dates", "END:VTODO",
        "END:VCALENDAR",
    )  # fmt: skip
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    assert sorted(listed(fw)) == ["event", "task-with-a-date"]


@pytest.mark.parametrize(
    ("header", "row", "args", "expected"),
    [
        ("Title,Deadline,Call name,Closing date", "Code,01/03/2026,Real title,15/04/2026 17:00",
         ("--map", "Call name=title", "--map", "Closing date=deadline"),
         ("Real title", "2026-04-15T17:00:00+02:00")),
        ("Date,Title,Deadline", "01/10/2025,X,15/04/2026 17:00", (),
         ("X", "2026-04-15T17:00:00+02:00")),
        ("Name,Call title,Deadline", "Alice Martin,Digital SMEs,15/04/2026", (),
         ("Digital SMEs", "2026-04-15")),
    ],
)  # fmt: skip
def test_map_wins_then_the_most_specific_header(fw, tmp_path, header, row, args, expected):
    (tmp_path / "m.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    r = fw("import", str(tmp_path / "m.csv"), *args, *AS_OF)
    assert r.code == 0, r.err
    (call,) = listed(fw).values()
    assert (call["title"], call["deadlines"][0]["at"]) == expected


def test_the_users_own_stage_labels_stay_on_a_call_the_portal_does_not_know(fw, tmp_path):
    ok = fw("add", "Cluster meeting", "-d", "Stage 1=16/09/2025", "-d", "Stage 2=20/01/2026 17:00")
    assert ok.code == 0, ok.err
    (tmp_path / "a.json").write_text(
        '[{"id": "cluster-meeting", "title": "Cluster meeting", '
        '"deadlines": [{"at": "2026-06-01", "label": "Final"}]}]',
        encoding="utf-8",
    )
    r = fw("import", str(tmp_path / "a.json"), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == "updated cluster-meeting: new final: 1 Jun 2026 (Brussels)"
    (call,) = listed(fw).values()
    assert [label for _, label in ats(call)] == ["Stage 1", "Stage 2", "Final"]


def test_an_unclosed_quote_names_its_row(fw, tmp_path):
    (tmp_path / "q.csv").write_text(
        'title,deadline\nA,01/01/2026\n"B,02/01/2026\n', encoding="utf-8"
    )
    r = fw("import", str(tmp_path / "q.csv"), *AS_OF)
    assert r.code == 1 and r.err.startswith("error: q.csv row 3: not readable as CSV"), r.err


def test_a_redirect_to_a_page_that_quotes_its_secret_path(fw, server, watchlist):
    secret_path = "/feeds/private-NEWSECRET/basic.ics"
    server.answers(
        Answer(302, (("Location", secret_path),), b""),
        Answer(404, body=f"The requested URL {secret_path} was not found".encode()),
    )
    r = fw("import", server.url("/moved?token=SECRET123"), *AS_OF)
    assert r.code == 1
    assert r.err.startswith(f"error: server at {server.host} answered 404 Not Found")
    assert "NEWSECRET" not in r.err and "SECRET123" not in r.err


def test_a_login_page_and_a_slow_server_are_one_error_each(fw, server, watchlist):
    server.answers(Answer(200, (("Content-Type", "text/html"),), b"<html><title>Sign in</title>"))
    r = fw("import", server.url("/calendar"), *AS_OF)
    assert (r.code, r.err.split(" (")[0]) == (
        1, f"error: server at {server.host} answered a web page, not a file to import"
    )  # fmt: skip
    server.answers(Answer(200, body=b"title,deadline\n", delay=2.0))
    r = fw("import", server.url("/slow.csv"), *AS_OF, env={"FUNDWATCH_PORTAL_TIMEOUT": "0.3"})
    assert r.code == 1
    assert r.err.startswith(f"error: server at {server.host} did not answer within 0.3 s")
    assert not watchlist.exists()
