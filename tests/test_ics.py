"""`fundwatch export ics`, end to end: every export is read back by two independent parsers.

Each test runs the CLI in-process (the ``fw`` fixture of conftest.py:
isolated watchlist and settings, TZ=Europe/Brussels), freezes "today" with
``--as-of``, and parses the calendar with icalendar *and* vobject. ``read()``
checks the raw text (CRLF, 75-octet folding that never splits a character,
VALARMs after the event's own properties) and that both parsers see exactly the
same events, so every value asserted on one holds in both. (khal is not used:
it is not installed in the test environment.)
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import conftest
import icalendar
import pytest
import tomli_w
import vobject
from conftest import ok

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "calls.toml"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
SAMPLE_RAW = {c["id"]: c for c in tomllib.loads(SAMPLE_TEXT)["calls"]}

AS_OF = "2025-10-08"
# with --as-of, "now" is 00:00 of that day in the display zone (Europe/Brussels, CEST)
STAMP = datetime(2025, 10, 7, 22, 0, tzinfo=UTC)

BRUSSELS = ZoneInfo("Europe/Brussels")
KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# The sample's EIC Accelerator cut-offs (17:00 Brussels): label -> UTC instant.
CUT_OFFS = {
    "Cut-off 1": utc(2026, 1, 7, 16),
    "Cut-off 2": utc(2026, 3, 4, 16),
    "Cut-off 3": utc(2026, 5, 6, 15),
    "Cut-off 4": utc(2026, 7, 8, 15),
    "Cut-off 5": utc(2026, 9, 2, 15),
    "Cut-off 6": utc(2026, 11, 4, 16),
}
# Every sample deadline: (call id, label) -> UTC instant.
SAMPLE_INSTANTS = {
    ("eic-ukrainian-tech", None): utc(2025, 11, 26, 16),
    ("ssri-04-open-proposals", None): utc(2025, 11, 12, 16),
    ("ssri-02-uptake-services", None): utc(2025, 11, 12, 16),
    ("eie-investment-ecosystems", None): utc(2026, 1, 20, 16),
    ("soil-living-labs", "Stage 1"): utc(2027, 4, 8, 15),
    ("soil-living-labs", "Stage 2 (invited)"): utc(2027, 9, 14, 15),
    **{("eic-accelerator-2026", label): at for label, at in CUT_OFFS.items()},
}


# --- running and reading -----------------------------------------------------------------


@pytest.fixture
def run(fw_bytes):
    """``fundwatch ARGS...`` with stdout as bytes (CRLF endings are part of the format)."""
    return fw_bytes


class Event(NamedTuple):
    uid: str
    summary: str | None
    description: str | None
    start: date | datetime | None  # timed: an aware UTC datetime
    end: date | datetime | None
    stamp: datetime | None
    url: str | None
    categories: tuple[str, ...]
    sequence: int | None
    modified: datetime | None
    alarms: tuple[tuple[str | None, str | None, timedelta | None], ...]  # action, text, trigger


class Export(NamedTuple):
    head: dict[str, str | None]
    events: list[Event]  # as both parsers read them (they agree)
    raw: bytes

    def by_uid(self) -> dict[str, Event]:
        return {e.uid: e for e in self.events}

    def one(self, summary_part: str) -> Event:
        found = [e for e in self.events if e.summary and summary_part in e.summary]
        assert len(found) == 1, (summary_part, [e.summary for e in self.events])
        return found[0]


HEAD = ("PRODID", "VERSION", "X-WR-CALNAME", "NAME")


def _instant(value):
    """Aware date-times as UTC; dates and floating times as they are (so they never match)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def read_icalendar(data: bytes) -> tuple[dict[str, str | None], list[Event]]:
    cal = icalendar.Calendar.from_ical(data)
    head = {k: (str(cal[k]) if k in cal else None) for k in HEAD}
    events = []
    for ev in cal.walk("VEVENT"):

        def get(name: str, ev=ev):
            prop = ev.get(name)
            return None if prop is None else _instant(prop.dt)

        def text(name: str, ev=ev) -> str | None:
            return str(ev[name]) if name in ev else None

        cats = ev.get("CATEGORIES", [])
        cats = cats if isinstance(cats, list) else [cats]
        events.append(
            Event(
                uid=str(ev["UID"]),
                summary=text("SUMMARY"),
                description=text("DESCRIPTION"),
                start=get("DTSTART"),
                end=get("DTEND"),
                stamp=get("DTSTAMP"),
                url=text("URL"),
                categories=tuple(str(c) for prop in cats for c in prop.cats),
                sequence=int(ev["SEQUENCE"]) if "SEQUENCE" in ev else None,
                modified=get("LAST-MODIFIED"),
                alarms=tuple(
                    (
                        str(a["ACTION"]) if "ACTION" in a else None,
                        str(a["DESCRIPTION"]) if "DESCRIPTION" in a else None,
                        a["TRIGGER"].dt if "TRIGGER" in a else None,
                    )
                    for a in ev.walk("VALARM")
                ),
            )
        )
    return head, events


def read_vobject(data: bytes) -> tuple[dict[str, str | None], list[Event]]:
    cal = vobject.readOne(data.decode("utf-8"))

    def one(component, name: str):
        lines = component.contents.get(name.lower())
        return None if not lines else lines[0].value

    head = {k: one(cal, k) for k in HEAD}
    events = []
    for ev in getattr(cal, "vevent_list", []):
        sequence = one(ev, "SEQUENCE")
        events.append(
            Event(
                uid=one(ev, "UID"),
                summary=one(ev, "SUMMARY"),
                description=one(ev, "DESCRIPTION"),
                start=_instant(one(ev, "DTSTART")),
                end=_instant(one(ev, "DTEND")),
                stamp=_instant(one(ev, "DTSTAMP")),
                url=one(ev, "URL"),
                categories=tuple(
                    c for line in ev.contents.get("categories", []) for c in line.value
                ),
                sequence=None if sequence is None else int(sequence),
                modified=_instant(one(ev, "LAST-MODIFIED")),
                alarms=tuple(
                    (one(a, "ACTION"), one(a, "DESCRIPTION"), one(a, "TRIGGER"))
                    for a in ev.contents.get("valarm", [])
                ),
            )
        )
    return head, events


def unfold(lines: list[bytes]) -> list[str]:
    logical: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            assert logical, "a continuation line first"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [line.decode("utf-8") for line in logical]


def check_text(data: bytes) -> list[str]:
    """CRLF everywhere, lines of at most 75 octets each valid UTF-8 on its own, VALARMs
    after all of their event's own properties. Returns the unfolded lines."""
    assert data.startswith(b"BEGIN:VCALENDAR\r\n"), data[:80]
    assert data.endswith(b"END:VCALENDAR\r\n"), data[-80:]
    bare = data.replace(b"\r\n", b"")
    assert b"\r" not in bare and b"\n" not in bare, "a line break that is not CRLF"
    physical = data.split(b"\r\n")[:-1]
    for n, line in enumerate(physical, 1):
        assert len(line) <= 75, f"line {n} has {len(line)} octets: {line!r}"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            pytest.fail(f"line {n} is split inside a UTF-8 character: {line!r}")
    logical = unfold(physical)
    in_event = in_alarm = alarm_seen = False
    for line in logical:
        if line == "BEGIN:VEVENT":
            in_event, alarm_seen = True, False
        elif line == "END:VEVENT":
            in_event = False
        elif in_event and line == "BEGIN:VALARM":
            in_alarm = alarm_seen = True
        elif in_event and line == "END:VALARM":
            in_alarm = False
        elif in_event and alarm_seen and not in_alarm:
            pytest.fail(f"event property after a VALARM (Outlook rejects it): {line}")
    # RFC 5545 3.2.19: every TZID a property names has its VTIMEZONE in the calendar (the
    # Python readers fall back on the system's zones; Outlook and Google do not)
    named = {m[1] for line in logical for m in re.finditer(r';TZID="?([^;:"]+)', line)}
    defined = {line[len("TZID:") :] for line in logical if line.startswith("TZID:")}
    assert named <= defined, f"TZID without a VTIMEZONE: {sorted(named - defined)}"
    return logical


def read(data: bytes) -> Export:
    """The export as icalendar and vobject read it; they must agree on every value."""
    logical = check_text(data)
    head, events = read_icalendar(data)
    v_head, v_events = read_vobject(data)
    assert v_head == head
    assert v_events == events
    assert logical.count("BEGIN:VEVENT") == logical.count("END:VEVENT") == len(events)
    return Export(head, events, data)


def export(run, *args: str, env: dict[str, str] | None = None) -> Export:
    r = run("export", "ics", "--as-of", AS_OF, *args, env=env)
    assert r.code == 0, f"exit {r.code}\nstderr: {r.err}"
    assert r.err == ""
    return read(r.out)


def one_error(r, code: int = 1) -> str:
    """The run failed with ``code``, printed nothing and said why in one ``error:`` line."""
    line = conftest.one_error(r, code)
    assert not r.out, r.out
    return line


def write_watchlist(path: Path, calls: list[dict]) -> None:
    path.write_text(tomli_w.dumps({"version": 1, "calls": calls}), encoding="utf-8")


def set_state(path: Path, call_id: str, state: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition(f'id = "{call_id}"\n')
    assert sep, call_id
    rest = rest.replace('state = "watching"', f'state = "{state}"', 1)
    path.write_text(head + sep + rest, encoding="utf-8")


def call_ids(exp: Export) -> list[str]:
    """The call of each event, in order, deduplicated (UIDs start with the call id)."""
    seen: list[str] = []
    for e in exp.events:
        call_id = next(c for c in SAMPLE_RAW if e.uid.startswith(c + "/"))
        if call_id not in seen:
            seen.append(call_id)
    return seen


# --- the sample: one event per deadline, every property ----------------------------------


def test_sample_one_event_per_deadline_with_every_property(run, sample):
    exp = export(run)
    assert exp.head["VERSION"] == "2.0"
    assert exp.head["PRODID"].startswith("-//") and "fundwatch" in exp.head["PRODID"]
    assert exp.head["X-WR-CALNAME"] == exp.head["NAME"]
    assert exp.head["NAME"]

    assert len(exp.events) == 12 == len(SAMPLE_INSTANTS)
    assert len({e.uid for e in exp.events}) == 12
    found = {}
    for e in exp.events:
        call_id = next(c for c in SAMPLE_RAW if e.uid.startswith(c + "/"))
        raw = SAMPLE_RAW[call_id]
        label = next(
            (d.get("label") for d in raw.get("deadlines", []) if d.get("label") in e.summary),
            None,
        )
        found[(call_id, label)] = e.start
        assert e.stamp == STAMP
        assert raw["title"] in e.summary
        for part in (raw["identifier"], raw["programme"], "17:00 Brussels time", raw["url"]):
            assert part in e.description, (part, e.description)
        assert raw["notes"] in e.description
        assert e.url == raw["url"]
        assert e.categories == tuple(raw["tags"])
        assert e.sequence == 0
        assert e.modified == STAMP  # never edited: first seen by this export
        assert [-a[2] for a in e.alarms] == [timedelta(days=n) for n in (14, 3, 1)]
        for action, text, _ in e.alarms:
            assert action == "DISPLAY"
            assert text
    assert found == SAMPLE_INSTANTS

    # the six cut-offs, each named in its event
    cut_offs = {label: exp.one(f"({label})").start for label in CUT_OFFS}
    assert cut_offs == CUT_OFFS
    desc = exp.one("(Cut-off 4)").description
    assert "8 Jul 2026" in desc and "17:00 Brussels time" in desc


# --- instants ------------------------------------------------------------------------------

# (zone, label, local deadline) -> the UTC instant and the wall clock seen from each zone
INSTANTS = [
    # zone, label, deadline as typed, UTC, Brussels view, Kyiv view, New York view
    ("Europe/Brussels", "winter", "12/11/2025 17:00", utc(2025, 11, 12, 16),
     "2025-11-12 17:00", "2025-11-12 18:00", "2025-11-12 11:00"),
    ("Europe/Brussels", "summer", "08/07/2026 17:00", utc(2026, 7, 8, 15),
     "2026-07-08 17:00", "2026-07-08 18:00", "2026-07-08 11:00"),
    ("Europe/Brussels", "spring-forward", "29/03/2026 17:00", utc(2026, 3, 29, 15),
     "2026-03-29 17:00", "2026-03-29 18:00", "2026-03-29 11:00"),
    ("Europe/Brussels", "fall-back", "25/10/2026 17:00", utc(2026, 10, 25, 16),
     "2026-10-25 17:00", "2026-10-25 18:00", "2026-10-25 12:00"),
    ("Europe/Brussels", "us-already-summer", "20/03/2026 17:00", utc(2026, 3, 20, 16),
     "2026-03-20 17:00", "2026-03-20 18:00", "2026-03-20 12:00"),
    ("Europe/Kyiv", "winter", "12/11/2025 17:00", utc(2025, 11, 12, 15),
     "2025-11-12 16:00", "2025-11-12 17:00", "2025-11-12 10:00"),
    ("Europe/Kyiv", "summer", "08/07/2026 17:00", utc(2026, 7, 8, 14),
     "2026-07-08 16:00", "2026-07-08 17:00", "2026-07-08 10:00"),
    ("Europe/Kyiv", "spring-forward", "29/03/2026 17:00", utc(2026, 3, 29, 14),
     "2026-03-29 16:00", "2026-03-29 17:00", "2026-03-29 10:00"),
    ("Europe/Kyiv", "fall-back", "25/10/2026 17:00", utc(2026, 10, 25, 15),
     "2026-10-25 16:00", "2026-10-25 17:00", "2026-10-25 11:00"),
    ("America/New_York", "winter", "12/11/2025 17:00", utc(2025, 11, 12, 22),
     "2025-11-12 23:00", "2025-11-13 00:00", "2025-11-12 17:00"),
    ("America/New_York", "summer", "08/07/2026 17:00", utc(2026, 7, 8, 21),
     "2026-07-08 23:00", "2026-07-09 00:00", "2026-07-08 17:00"),
    ("America/New_York", "eu-spring-forward", "29/03/2026 17:00", utc(2026, 3, 29, 21),
     "2026-03-29 23:00", "2026-03-30 00:00", "2026-03-29 17:00"),
    ("America/New_York", "eu-fall-back", "25/10/2026 17:00", utc(2026, 10, 25, 21),
     "2026-10-25 22:00", "2026-10-25 23:00", "2026-10-25 17:00"),
    ("America/New_York", "us-spring-forward", "08/03/2026 17:00", utc(2026, 3, 8, 21),
     "2026-03-08 22:00", "2026-03-08 23:00", "2026-03-08 17:00"),
    ("America/New_York", "us-fall-back", "01/11/2026 17:00", utc(2026, 11, 1, 22),
     "2026-11-01 23:00", "2026-11-02 00:00", "2026-11-01 17:00"),
]  # fmt: skip
CITY = {"Europe/Brussels": "Brussels", "Europe/Kyiv": "Kyiv", "America/New_York": "New York"}


def test_timed_deadlines_at_the_right_instant_for_every_viewer(run, fw):
    for tz, city in CITY.items():
        deadlines = [a for row in INSTANTS if row[0] == tz for a in ("-d", f"{row[1]}={row[2]}")]
        r = ok(fw("add", f"{city} call", "--timezone", tz, *deadlines, "--as-of", AS_OF))
        assert r.out == f"{city.lower().replace(' ', '-')}-call\n"
    exp = export(run, "--no-alarms")
    assert len(exp.events) == len(INSTANTS)
    for parser in (read_icalendar, read_vobject):
        events = parser(exp.raw)[1]
        for tz, label, _, at, *views in INSTANTS:
            summary = f"Deadline: {CITY[tz]} call ({label})"
            (e,) = [e for e in events if e.summary == summary]
            assert e.start == at, (parser.__name__, tz, label, e.start)
            assert isinstance(e.start, datetime) and e.start.utcoffset() == timedelta(0)
            seen = [
                e.start.astimezone(viewer).strftime("%Y-%m-%d %H:%M")
                for viewer in (BRUSSELS, KYIV, NEW_YORK)
            ]
            assert seen == views, (parser.__name__, tz, label)
            assert f"17:00 {CITY[tz]} time" in e.description

    # the same calendar whatever zone the exporting machine is in (only DTSTAMP, "now", moves)
    for machine in ("America/New_York", "Asia/Tokyo"):
        there = export(run, "--no-alarms", env={"TZ": machine})
        assert [e._replace(stamp=None) for e in there.events] == [
            e._replace(stamp=None) for e in exp.events
        ]


def test_timed_deadline_dtend_is_not_dtstart(run, sample):
    """RFC 5545 3.8.2.2: DTEND MUST be later than DTSTART; a moment has no DTEND (3.6.1)."""
    exp = export(run, "--tag", "cut-off", "--no-alarms")
    for e in exp.events:
        assert e.end is None or e.end > e.start, (e.uid, e.start, e.end)


# --- all-day deadlines ---------------------------------------------------------------------


def test_all_day_deadlines_end_the_next_day(run, fw):
    ok(fw("add", "All day call", "-d", "Final=30/06/2026", "-d", "Year end=31/12/2026"))
    exp = export(run, "--no-alarms", "--milestone", "Draft=21d")
    expected = {
        "Deadline: All day call (Final)": (date(2026, 6, 30), date(2026, 7, 1)),
        "Deadline: All day call (Year end)": (date(2026, 12, 31), date(2027, 1, 1)),
        "Draft: All day call (Final)": (date(2026, 6, 9), date(2026, 6, 10)),
        "Draft: All day call (Year end)": (date(2026, 12, 10), date(2026, 12, 11)),
    }
    got = {e.summary: (e.start, e.end) for e in exp.events}
    assert got == expected
    for start, end in got.values():  # dates, not midnights
        assert type(start) is date and type(end) is date
    lines = check_text(exp.raw)
    for day in ("20260630", "20261231", "20260609", "20261210"):
        assert f"DTSTART;VALUE=DATE:{day}" in lines
    for day in ("20260701", "20270101", "20260610", "20261211"):
        assert f"DTEND;VALUE=DATE:{day}" in lines
    assert "30 Jun 2026" in exp.one("Deadline: All day call (Final)").description


# --- milestones ----------------------------------------------------------------------------

# 21 days before each cut-off, at 17:00 Brussels wall-clock time (Cut-off 6 is across the
# end of summer time; the added 8 April deadline across its start).
PARTNER_LETTERS = {
    "Cut-off 1": utc(2025, 12, 17, 16),
    "Cut-off 2": utc(2026, 2, 11, 16),
    "Cut-off 3": utc(2026, 4, 15, 15),
    "Cut-off 4": utc(2026, 6, 17, 15),
    "Cut-off 5": utc(2026, 8, 12, 15),
    "Cut-off 6": utc(2026, 10, 14, 15),
    "Spring": utc(2026, 3, 18, 16),
}


def test_milestones_before_each_deadline_with_their_own_uid(run, fw, fw_env, sample):
    ok(fw("add", "Spring call", "-d", "Spring=08/04/2026 17:00", "--tag", "cut-off"))
    args = ("--tag", "cut-off", "--no-alarms")
    plain = export(run, *args)
    exp = export(run, *args, "--milestone", "Partner letters=21d")
    assert len(plain.events) == 7
    assert len(exp.events) == 14  # a deadline and its milestone each

    deadlines = [e for e in exp.events if e.summary.startswith("Deadline:")]
    letters = [e for e in exp.events if "Partner letters" in e.summary]
    assert deadlines == plain.events  # the deadline events are unchanged, UIDs included
    assert len(letters) == 7
    assert len({e.uid for e in exp.events}) == 14
    got = {}
    for e in letters:
        (label,) = [label for label in PARTNER_LETTERS if f"({label})" in e.summary]
        got[label] = e.start
        assert "EIC Accelerator 2026" in e.summary or "Spring call" in e.summary
        assert "17:00 Brussels time" in e.description  # the deadline it prepares for
        assert e.stamp == STAMP
    assert got == PARTNER_LETTERS
    deadline = exp.one("Deadline: EIC Accelerator 2026 (full proposals) (Cut-off 6)")
    letters6 = exp.one("Partner letters: EIC Accelerator 2026 (full proposals) (Cut-off 6)")
    raw = SAMPLE_RAW["eic-accelerator-2026"]
    assert raw["identifier"] in letters6.description and raw["url"] in letters6.description
    assert (letters6.url, letters6.categories) == (deadline.url, deadline.categories)
    assert deadline.start - letters6.start == timedelta(days=21, hours=1)  # wall clock, not 504 h

    # the same from the settings file, byte for byte
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text(
        'milestones = ["Partner letters=21d"]\n', encoding="utf-8"
    )
    assert export(run, *args).raw == exp.raw


def test_milestones_with_the_same_name_do_not_share_uids(run, sample):
    """Two milestones whose names differ only in case would overwrite each other on import."""
    r = run("export", "ics", "--as-of", AS_OF, "--tag", "eic", "--no-alarms",
            "--milestone", "Draft=21d", "--milestone", "draft=7d")  # fmt: skip
    if r.code == 0:
        exp = read(r.out)
        assert len(exp.events) == 7 * 3
        assert len({e.uid for e in exp.events}) == len(exp.events)
    else:
        assert "draft" in one_error(r).lower()


# --- UIDs, SEQUENCE, LAST-MODIFIED --------------------------------------------------------


def test_uids_are_stable_across_exports_reordering_and_note_edits(run, fw, sample):
    args = ("--milestone", "Partner letters=21d")
    first = export(run, *args)
    assert len(first.events) == 24
    assert len({e.uid for e in first.events}) == 24
    assert all(e.uid.endswith("@fundwatch") for e in first.events)
    assert export(run, *args).raw == first.raw  # two exports, the same bytes

    # the calls in the opposite order: the same events, in the other order
    header, *blocks = SAMPLE_TEXT.split("\n[[calls]]\n")
    sample.write_text(
        header + "".join("\n[[calls]]\n" + b for b in reversed(blocks)), encoding="utf-8"
    )
    reordered = export(run, *args)
    assert call_ids(reordered) == list(reversed(call_ids(first)))
    assert reordered.by_uid() == first.by_uid()

    # new notes: the same UIDs, the new text
    ok(fw("edit", "eic-accelerator-2026", "--notes", "Pitch deck first.", "--as-of", AS_OF))
    edited = export(run, *args)
    assert list(edited.by_uid()) == list(reordered.by_uid())
    for e in edited.events:
        if e.uid.startswith("eic-accelerator-2026/"):
            assert "Pitch deck first." in e.description
            assert e.start == reordered.by_uid()[e.uid].start


def test_sequence_rises_when_a_deadline_moves_not_when_the_state_changes(run, fw, sample):
    call = "eic-accelerator-2026"
    before = export(run, "--tag", "cut-off")
    assert {e.sequence for e in before.events} == {0}
    assert {e.modified for e in before.events} == {STAMP}  # first seen by that export

    moved = dict(CUT_OFFS) | {"Cut-off 2": utc(2026, 3, 5, 16)}
    deadlines = [
        a
        for label, at in moved.items()
        for a in ("--deadline", f"{label}={at.astimezone(BRUSSELS):%d/%m/%Y %H:%M}")
    ]
    r = ok(fw("edit", call, *deadlines, "--as-of", "2025-10-09"))
    assert r.out == (
        f"Updated {call}: deadlines.\n"
        "  moved Cut-off 2: 4 Mar 2026 17:00 to 5 Mar 2026 17:00 (Brussels)\n"
    )
    after = export(run)
    mine = [e for e in after.events if e.uid.startswith(call + "/")]
    assert [e.uid for e in mine] == [e.uid for e in before.events]
    assert {e.sequence for e in mine} == {1}
    assert {e.modified for e in mine} == {utc(2025, 10, 8, 22)}  # the edit's (as-of) time
    assert {e.summary.rsplit("(", 1)[1][:-1]: e.start for e in mine} == moved
    others = [e for e in after.events if not e.uid.startswith(call + "/")]
    assert len(others) == 6
    assert {(e.sequence, e.modified) for e in others} == {(0, STAMP)}

    # the state is the user's own: not in the calendar, so no new sequence
    ok(fw("edit", call, "--state", "preparing", "--as-of", "2025-10-10"))
    same = export(run, "--tag", "cut-off")
    assert [(e.uid, e.sequence, e.modified) for e in same.events] == [
        (e.uid, e.sequence, e.modified) for e in mine
    ]

    # the notes show in the event text: sequence 2
    ok(fw("edit", call, "--notes", "New notes", "--as-of", "2025-10-11"))
    noted = export(run, "--tag", "cut-off")
    assert [e.uid for e in noted.events] == [e.uid for e in mine]
    assert {(e.sequence, e.modified) for e in noted.events} == {(2, utc(2025, 10, 10, 22))}


def test_a_deadline_moved_by_hand_raises_the_sequence_once(run, sample):
    before = export(run, "--search", "Expanding Investment")
    assert [(e.sequence, e.start) for e in before.events] == [(0, utc(2026, 1, 20, 16))]
    text = sample.read_text(encoding="utf-8")
    moved = text.replace("deadline = 2026-01-20 17:00:00", "deadline = 2026-01-27 17:00:00")
    assert moved != text  # the export wrote the file back (its calendar table)
    sample.write_text(moved, encoding="utf-8")
    r = run("export", "ics", "--as-of", "2025-10-20", "--search", "Expanding Investment")
    (after,) = read(r.out).events
    assert (after.uid, after.sequence, after.start) == (
        before.events[0].uid,
        1,
        utc(2026, 1, 27, 16),
    )
    assert after.modified == utc(2025, 10, 19, 22)
    # recorded: the next export keeps that sequence
    again = export(run, "--search", "Expanding Investment")
    assert [e.sequence for e in again.events] == [1]


def test_a_read_only_watchlist_still_exports(run, sample):
    sample.chmod(0o444)
    sample.parent.chmod(0o555)
    try:
        r = run("export", "ics", "--as-of", AS_OF)
    finally:
        sample.parent.chmod(0o755)
        sample.chmod(0o644)
    assert r.code == 0
    assert read(r.out).events
    if os.geteuid() != 0:  # root writes anyway
        assert r.err.startswith("warning: calendar changes not recorded:")


# --- alarms --------------------------------------------------------------------------------


def triggers(exp: Export) -> set[tuple[timedelta, ...]]:
    for e in exp.events:
        for action, text, trigger in e.alarms:
            assert action == "DISPLAY"
            assert text
            assert isinstance(trigger, timedelta) and trigger <= timedelta(0)
    return {tuple(-a[2] for a in e.alarms) for e in exp.events}


D = timedelta(days=1)


def test_alarms_from_settings_options_and_profiles(run, fw_env, sample):
    args = ("--tag", "cut-off", "--milestone", "Letters=21d")
    default = export(run, *args)
    assert triggers(default) == {(14 * D, 3 * D, D)}
    first = default.one("Deadline: EIC Accelerator 2026 (full proposals) (Cut-off 1)")
    assert first.alarms[-1][1] == "Funding deadline tomorrow"

    repeated = export(run, *args, "--alarm", "5d", "--alarm", "2w")
    assert triggers(repeated) == {(5 * D, 14 * D)}
    assert triggers(export(run, *args, "--no-alarms")) == {()}
    assert triggers(export(run, *args, "--no-alarms", "--alarm", "3d")) == {()}

    outlook = export(run, *args, "--profile", "outlook")
    assert triggers(outlook) == {(14 * D,)}  # Outlook keeps one reminder an event
    outlook = export(run, *args, "--profile", "outlook", "--alarm", "3d", "--alarm", "1d")
    assert triggers(outlook) == {(3 * D,)}  # the first one given
    google = export(run, *args, "--profile", "google", "--alarm", "3d")
    assert triggers(google) == {()}
    for e in google.events:
        assert re.search(r"Google.*ignores.*(reminders|alarms)", e.description), e.description
    for e in default.events:
        assert "Google" not in e.description
    # the profile changes alarms and that note only (and SEQUENCE: the alarms changed)
    assert [e._replace(alarms=(), description=None, sequence=0) for e in google.events] == [
        e._replace(alarms=(), description=None, sequence=0) for e in default.events
    ]
    assert all(g.sequence > d.sequence for g, d in zip(google.events, default.events, strict=True))

    config = Path(fw_env["FUNDWATCH_CONFIG"])
    config.write_text('alarms = ["2w", "2d"]\n', encoding="utf-8")
    assert triggers(export(run, *args)) == {(14 * D, 2 * D)}
    assert triggers(export(run, *args, "--alarm", "7d")) == {(7 * D,)}  # the option wins


def test_alarm_in_months_counts_the_days_of_those_months(run, fw, sample):
    ok(fw("add", "Month end", "-d", "31/03/2026"))  # all-day: 1m before is 28 February
    exp = export(run, "--alarm", "1m", "--tag", "cut-off")
    assert [(-e.alarms[0][2]).days for e in exp.events] == [31, 28, 30, 30, 31, 31]
    month_end = export(run, "--alarm", "1m", "--search", "month end")
    # an all-day event's alarm rings at 09:00, not at midnight
    assert [-a[2] for e in month_end.events for a in e.alarms] == [31 * D - timedelta(hours=9)]
    (e,) = month_end.events
    assert e.start == date(2026, 3, 31)


def test_milestone_alarms_do_not_misstate_the_deadline(run, sample):
    """An alarm 3 days before "Partner letters" (21 days before the deadline) must not say
    "Funding deadline in 3 days": the deadline is 24 days away then."""
    exp = export(run, "--tag", "cut-off", "--milestone", "Partner letters=21d", "--alarm", "3d")
    for e in exp.events:
        if e.summary.startswith("Partner letters"):
            ((_, text, trigger),) = e.alarms
            assert trigger == -3 * D
            assert "Partner letters" in text, text


# --- escaping and folding ------------------------------------------------------------------

INJECTION = "Evil title\r\nEND:VEVENT\r\nBEGIN:VEVENT"
TRICKY = [
    {
        "id": "specials",
        "title": r"Commas, semicolons; back\slashes \ and \\ doubled",
        "deadline": datetime(2026, 1, 20, 17),
        "url": "https://example.org/call?a=1;b=2,3&c=%20x",
        "tags": ["r&d", "sme"],
        "notes": "Line 1\nLine 2, with; a \\ and a tab\there\n\nafter a blank line \\n literal",
    },
    {
        "id": "cyrillic",
        "title": "Підтримка українських технологічних МСП і стартапів: другий етап конкурсу 2026",  # noqa: RUF001
        "deadlines": [{"at": datetime(2026, 2, 3, 17), "label": "Етап 1"}],
        "timezone": "Europe/Kyiv",
        "tags": ["україна", "мсп"],
        "notes": "Примітки: подати до 17:00 за київським часом; «лапки», апостроф’ і ґ. " * 3,  # noqa: RUF001
    },
    {
        "id": "emoji",
        "title": "🚀 Scale-up 🇺🇦🇪🇺 call ✨ with emoji 👩‍💻👨‍👩‍👧‍👦 everywhere 🎉🎉🎉🎉🎉🎉🎉",
        "deadline": datetime(2026, 3, 3, 17),
        "notes": "🎯" * 50 + "\n" + "a🎯" * 30,
    },
    {
        "id": "injection",
        "title": INJECTION,
        "deadline": datetime(2026, 4, 4, 17),
        "notes": "x\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\nUID:evil@example.org\nDTSTART:19700101",
    },
]


def text_back(text: str) -> str:
    """What an iCalendar TEXT value can carry: a line break is a line break (LF)."""
    return text.replace("\r\n", "\n")


def test_escaping_folding_and_injection(run, fw, watchlist):
    write_watchlist(watchlist, TRICKY)
    added = ok(fw("add", "Added " + INJECTION, "-d", "05/05/2026 17:00",
                  "--notes", "via add, ; \\\nEND:VEVENT", "--tag", "a,b"))  # fmt: skip
    assert added.out == "added-evil-title-end-vevent-begin-vevent\n"
    exp = export(run, "--milestone", "Letters=7d")
    assert len(exp.events) == 10  # five deadlines, five milestones: one event each
    assert len({e.uid for e in exp.events}) == 10
    for call in TRICKY:
        mine = [e for e in exp.events if e.uid.startswith(call["id"] + "/")]
        assert len(mine) == 2, call["id"]
        for e in mine:
            assert text_back(call["title"]) in e.summary
            assert text_back(call["notes"]) in e.description
            assert e.categories == tuple(call.get("tags", ()))
            assert e.url == call.get("url")
        if "deadlines" in call:
            assert "(Етап 1)" in mine[0].summary
    specials = exp.one("Deadline: Commas")
    assert "https://example.org/call?a=1;b=2,3&c=%20x" in specials.description
    assert exp.one("Deadline: Підтримка").start == utc(2026, 2, 3, 15)
    added_event = exp.one("Deadline: Added Evil")
    assert text_back("Added " + INJECTION) in added_event.summary
    assert "via add, ; \\\nEND:VEVENT" in added_event.description
    assert added_event.categories == ("a,b",)

    lines = check_text(exp.raw)
    assert lines.count("END:VEVENT") == 10
    assert lines.count("BEGIN:VCALENDAR") == lines.count("END:VCALENDAR") == 1
    assert "URL:https://example.org/call?a=1;b=2,3&c=%20x" in lines  # a URI is not TEXT
    physical = exp.raw.split(b"\r\n")
    assert max(len(line) for line in physical) == 75  # long lines were folded, at 75
    # folds fell next to multi-octet characters without splitting them
    assert any(line.startswith(b" ") and line[1] >= 0x80 for line in physical)


def test_backslash_capital_n_survives(run, watchlist):
    r"""A Windows path such as \\fileserver\Nordic is text, not a line break."""
    notes = r"Templates on \\fileserver\Nordic\Calls; see \N too"
    title = r"Report to \\NAS\Notes"
    write_watchlist(watchlist, [{"id": "paths", "title": title, "notes": notes,
                                 "deadline": datetime(2026, 1, 20, 17)}])  # fmt: skip
    (e,) = export(run, "--no-alarms").events
    assert title in e.summary
    assert notes in e.description


# --- output --------------------------------------------------------------------------------


def test_output_file_is_written_atomically_and_stdout_stays_empty(run, sample, tmp_path):
    args = ("export", "ics", "--as-of", AS_OF)
    stdout = ok(run(*args)).out
    read(stdout)
    assert ok(run(*args, "-o", "-")).out == stdout

    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "deadlines.ics"
    target.write_bytes(b"old calendar")
    old_inode = target.stat().st_ino
    r = ok(run(*args, "-o", str(target)))
    assert r.out == b""
    assert target.read_bytes() == stdout
    assert target.stat().st_ino != old_inode  # replaced by a rename, never rewritten in place
    assert os.listdir(folder) == ["deadlines.ics"]  # no temporary file left behind
    assert r.err == ""  # piped (cron refreshing a published calendar): nothing to mail

    ok(run(*args, "--output", str(folder / "long.ics")))
    assert (folder / "long.ics").read_bytes() == stdout

    # a failed export leaves no file and the old one as it was
    one_error(run(*args, "-o", str(folder / "bad.ics"), "--alarm", "10x"))
    one_error(run(*args, "-o", str(target), "--milestone", "nope"))
    assert sorted(os.listdir(folder)) == ["deadlines.ics", "long.ics"]
    assert target.read_bytes() == stdout


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--tag", "cut-off"], ["eic-accelerator-2026"]),
        (["--tag", "UKRAINE", "--tag", "mission"], ["eic-ukrainian-tech", "soil-living-labs"]),
        (["--status", "forthcoming"], ["soil-living-labs"]),
        (["--search", "uptake"], ["ssri-04-open-proposals", "ssri-02-uptake-services"]),
        (["--tag", "sme", "--search", "accelerator"], ["eic-accelerator-2026"]),
        (["--programme", "civil security", "--tag", "cluster"], ["ssri-02-uptake-services"]),
    ],
)
def test_shared_filters(run, sample, filters, expected):
    exp = export(run, "--no-alarms", *filters)
    assert call_ids(exp) == expected


def test_submitted_and_dropped_calls_only_when_asked(run, sample):
    set_state(sample, "ssri-04-open-proposals", "dropped")
    set_state(sample, "eic-ukrainian-tech", "submitted")
    set_state(sample, "eie-investment-ecosystems", "preparing")
    everything = list(SAMPLE_RAW)
    active = [c for c in everything if c not in ("ssri-04-open-proposals", "eic-ukrainian-tech")]
    assert call_ids(export(run, "--no-alarms")) == active
    assert call_ids(export(run, "--no-alarms", "--all")) == everything
    assert call_ids(export(run, "--no-alarms", "--state", "dropped")) == ["ssri-04-open-proposals"]
    asked = export(run, "--no-alarms", "--state", "submitted", "--state", "preparing")
    assert call_ids(asked) == ["eic-ukrainian-tech", "eie-investment-ecosystems"]
    empty = export(run, "--tag", "no-such-tag")
    assert empty.events == []
    assert empty.head["VERSION"] == "2.0"


# --- mistakes ------------------------------------------------------------------------------


def test_bad_values_are_one_error_line(run, fw_env, sample):
    line = one_error(run("export", "ics", "--as-of", AS_OF, "--alarm", "10x"))
    assert "--alarm" in line and "10x" in line
    line = one_error(run("export", "ics", "--as-of", AS_OF, "--milestone", "nope"))
    assert "--milestone" in line and "nope" in line and "NAME=" in line
    # a typo in a choice is a command-line mistake (typer): exit 2
    line = one_error(run("export", "ics", "--as-of", AS_OF, "--profile", "bogus"), code=2)
    assert "bogus" in line and "outlook" in line

    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('alarms = ["soon"]\n', encoding="utf-8")
    line = one_error(run("export", "ics", "--as-of", AS_OF))
    assert "alarms" in line and "soon" in line and fw_env["FUNDWATCH_CONFIG"] in line


def test_bad_milestone_duration_names_the_option(run, sample):
    line = one_error(run("export", "ics", "--as-of", AS_OF, "--milestone", "Letters=zz"))
    assert "zz" in line
    assert "--milestone" in line, line


# --- review fixes: failed exports, special outputs, scripts, control characters -------------


def test_a_failed_export_leaves_the_watchlist_as_it_was(run, sample, tmp_path):
    text = sample.read_text(encoding="utf-8")
    moved = text.replace("deadline = 2026-01-20T17:00:00", "deadline = 2026-01-27T17:00:00")
    assert moved != text
    sample.write_text(moved, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    one_error(run("export", "ics", "--as-of", AS_OF, "-o", str(tmp_path / "folder")))
    assert sample.read_text(encoding="utf-8") == moved  # no sequence recorded
    ok(run("export", "ics", "--as-of", AS_OF, "-o", str(tmp_path / "cal.ics")))
    assert sample.read_text(encoding="utf-8") != moved  # recorded once written


def test_output_into_a_pipe_or_a_device_is_not_replaced(run, sample, tmp_path):
    import stat
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    ok(run("export", "ics", "--as-of", AS_OF, "-o", str(fifo)))
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(read(got[0]).events) == len(export(run).events)
    ok(run("export", "ics", "--as-of", AS_OF, "-o", os.devnull))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_uids_of_cyrillic_and_greek_labels_survive_a_new_stage(run, fw, watchlist):
    def uids(*labels: str) -> dict[str, str]:
        args = [a for n, label in enumerate(labels, 1)
                for a in ("--deadline", f"{label}=0{n}/03/2026 17:00")]  # fmt: skip
        if watchlist.exists():
            ok(fw("edit", "ua", *args))
        else:
            ok(fw("add", "UA", "--id", "ua", *args))
        exp = export(run)
        return {e.summary.split("(")[-1].rstrip(")"): e.uid for e in exp.events}

    before = uids("Перший", "Другий", "Στάδιο 2")
    assert before["Перший"] == "ua/pershyi@fundwatch"
    after = uids("Нульовий", "Перший", "Другий", "Στάδιο 2")
    assert {k: after[k] for k in before} == before
    assert len(set(after.values())) == 4


def test_milestones_named_in_cyrillic_are_distinct(run, sample):
    exp = export(run, "--search", "Expanding", "--milestone", "Київ=3d", "--milestone", "Львів=5d")
    assert sorted(e.uid for e in exp.events) == [
        "eie-investment-ecosystems/deadline-1/kyiv@fundwatch",
        "eie-investment-ecosystems/deadline-1/lviv@fundwatch",
        "eie-investment-ecosystems/deadline-1@fundwatch",
    ]


def test_control_characters_and_line_breaks_in_urls_stay_out(run, fw, watchlist):
    url = "https://example.org/a b\nEND:VEVENT"
    ok(fw("add", "Esc \x1b[31mRED\x1b[0m \x07bell", "--deadline", "2026-03-01",
          "--url", url, "--notes", "tab\there\r\nnext"))  # fmt: skip
    exp = export(run)
    (event,) = exp.events
    assert event.summary == "Deadline: Esc [31mRED[0m bell"
    assert event.url == "https://example.org/a%20b%0AEND:VEVENT"
    assert event.description.endswith("tab\there\nnext")
    assert not any(b < 0x20 and b not in (9, 10, 13) for b in exp.raw)


def test_an_export_that_matches_nothing_is_still_a_valid_calendar(run, sample):
    r = ok(run("export", "ics", "--as-of", AS_OF, "--tag", "no-such-tag"))
    exp = read(r.out)
    assert exp.events == []
    cal = icalendar.Calendar.from_ical(r.out)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE"]


def test_an_export_into_a_slow_reader_does_not_hold_the_watchlist(fw, fw_env, sample, tmp_path):
    import fcntl
    import select
    import subprocess
    import sys

    fifo = tmp_path / "out.ics"
    os.mkfifo(fifo)
    # our end of the FIFO first, and as small as a pipe gets: the export opens it at once
    # and then blocks on it, its calendar being larger than the pipe holds
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 4096)
    exporting = subprocess.Popen(
        [sys.executable, "-m", "fundwatch", "export", "ics", "--as-of", AS_OF, "-o", str(fifo)],
        env=fw_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    chunks: list[bytes] = []
    try:
        # its first bytes: the export has read the watchlist and rendered every event
        assert select.select([reader], [], [], 60)[0], "the export wrote nothing"
        # it waits for us to read its output; the watchlist is free meanwhile (an add
        # would wait for the lock, and fail, if the export held it)
        ok(fw("add", "Meanwhile", "--deadline", "2026-05-05"))
        os.set_blocking(reader, True)
        while chunk := os.read(reader, 65536):
            chunks.append(chunk)
    finally:
        os.close(reader)
        exporting.wait(30)
    assert exporting.returncode == 0, exporting.stderr.read()
    data = b"".join(chunks)
    assert len(data) > 4096  # so the export did wait for the reader
    assert len(read(data).events) == 12  # the sample, as it was when the export began
    assert "Meanwhile" in sample.read_text(encoding="utf-8")  # the add, kept


def test_latin_labels_keep_the_uids_earlier_exports_gave_them(run, fw, watchlist):
    ok(fw("add", "PL", "--id", "pl", "--deadline", "Złożenie wniosku=01/03/2026 17:00",
          "--deadline", "Schlußfrist=02/03/2026 17:00"))  # fmt: skip
    assert sorted(e.uid for e in export(run).events) == [
        "pl/schlufrist@fundwatch", "pl/zozenie-wniosku@fundwatch",
    ]  # fmt: skip
