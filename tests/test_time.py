"""The time model: typed dates, zones, durations, the clock, deadlines and call status.

Everything is called directly (no CLI). "Now" is always a parameter: each test builds
its own ``Clock`` so nothing depends on the machine's clock or zone.

Offsets used throughout (November 2025, winter time): Brussels +01:00, Kyiv +02:00
(one hour east of Brussels), New York -05:00 (six hours west of Brussels).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fundwatch.domain.errors import BadValue
from fundwatch.domain.model import (
    ID_PATTERN,
    STATUSES,
    Call,
    Deadline,
    slugify,
    sort_deadlines,
    unique_id,
)
from fundwatch.domain.timeutil import (
    DEFAULT_ZONE,
    Clock,
    Duration,
    city,
    human,
    iso,
    localize,
    parse_duration,
    parse_time_of_day,
    parse_when,
    zone,
)

BRUSSELS = "Europe/Brussels"
KYIV = "Europe/Kyiv"
NEW_YORK = "America/New_York"
PARIS = "Europe/Paris"


def clock(tz: str, *fields: int) -> Clock:
    """A clock in zone ``tz`` showing the local wall time ``datetime(*fields)``."""
    return Clock(datetime(*fields, tzinfo=ZoneInfo(tz)), tz)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


# The deadline that recurs below: 26 Nov 2025 17:00 Brussels = 16:00 UTC.
PORTAL = Deadline(at=datetime(2025, 11, 26, 17, 0), timezone=BRUSSELS)


# =========================================================================================
# parse_when
# =========================================================================================


class TestParseWhen:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            # ISO first: year-month-day, never year-day-month
            ("2025-11-12", date(2025, 11, 12)),
            ("2025/11/12", date(2025, 11, 12)),
            ("2025.11.12", date(2025, 11, 12)),
            ("2025-1-5", date(2025, 1, 5)),
            # day-first
            ("12/11/2025", date(2025, 11, 12)),
            ("12.11.2025", date(2025, 11, 12)),
            ("12-11-2025", date(2025, 11, 12)),
            ("1/2/2025", date(2025, 2, 1)),
            ("26 November 2025", date(2025, 11, 26)),
            ("26 Nov 2025", date(2025, 11, 26)),
            ("  26/11/2025  ", date(2025, 11, 26)),
            # leap day in a leap year
            ("29/02/2028", date(2028, 2, 29)),
            ("2028-02-29", date(2028, 2, 29)),
        ],
    )
    def test_date_only_is_a_date(self, text: str, expected: date) -> None:
        value = parse_when(text)
        assert value == expected
        assert type(value) is date  # not a datetime at an invented midnight

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2025-11-12 17:00", datetime(2025, 11, 12, 17, 0)),
            ("2025-11-12T17:00", datetime(2025, 11, 12, 17, 0)),
            ("2025-11-12t17:00", datetime(2025, 11, 12, 17, 0)),
            ("2025-11-12 9:30", datetime(2025, 11, 12, 9, 30)),
            ("2025-11-12T17:00:45", datetime(2025, 11, 12, 17, 0, 45)),
            ("2025-11-12T17:00:45.123456", datetime(2025, 11, 12, 17, 0, 45)),
            ("2025/11/12 17:00", datetime(2025, 11, 12, 17, 0)),
            ("12/11/2025 17:00", datetime(2025, 11, 12, 17, 0)),
            ("12/11/2025 9:30", datetime(2025, 11, 12, 9, 30)),
            ("12.11.2025 17:00", datetime(2025, 11, 12, 17, 0)),
            ("26 Nov 2025 17:00", datetime(2025, 11, 26, 17, 0)),
            ("26 November 2025 17:00", datetime(2025, 11, 26, 17, 0)),
            ("26/11/2025 00:00", datetime(2025, 11, 26, 0, 0)),  # a typed midnight is kept
        ],
    )
    def test_timed_is_a_naive_datetime(self, text: str, expected: datetime) -> None:
        value = parse_when(text)
        assert value == expected
        assert isinstance(value, datetime)
        assert value.tzinfo is None

    def test_iso_is_read_year_month_day_not_day_first(self) -> None:
        # 2025-11-12 with day-first habits would be absurd; 2025-12-11 is 11 December.
        assert parse_when("2025-12-11") == date(2025, 12, 11)
        assert parse_when("11/12/2025") == date(2025, 12, 11)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2025-11-26", datetime(2025, 11, 26, 17, 0)),
            ("26/11/2025", datetime(2025, 11, 26, 17, 0)),
            ("26 November 2025", datetime(2025, 11, 26, 17, 0)),
            # a typed time wins over the default
            ("2025-11-26 12:00", datetime(2025, 11, 26, 12, 0)),
            ("26/11/2025 12:00", datetime(2025, 11, 26, 12, 0)),
        ],
    )
    def test_default_time_turns_a_date_into_a_datetime(self, text: str, expected: datetime) -> None:
        value = parse_when(text, default_time=time(17, 0))
        assert value == expected
        assert isinstance(value, datetime)
        assert value.tzinfo is None

    @pytest.mark.parametrize(
        ("text", "tz", "expected"),
        [
            ("2025-11-26T16:00Z", BRUSSELS, datetime(2025, 11, 26, 17, 0)),
            ("2025-11-26T16:00Z", KYIV, datetime(2025, 11, 26, 18, 0)),
            ("2025-11-26T16:00Z", NEW_YORK, datetime(2025, 11, 26, 11, 0)),
            ("2025-11-26T16:00z", BRUSSELS, datetime(2025, 11, 26, 17, 0)),
            ("2025-11-26 16:00Z", BRUSSELS, datetime(2025, 11, 26, 17, 0)),
            ("2025-11-26T17:00+01:00", BRUSSELS, datetime(2025, 11, 26, 17, 0)),
            ("2025-11-26T17:00+01:00", KYIV, datetime(2025, 11, 26, 18, 0)),
            ("2025-11-26T17:00+0100", KYIV, datetime(2025, 11, 26, 18, 0)),
            ("2025-11-26T12:00-05:00", BRUSSELS, datetime(2025, 11, 26, 18, 0)),
            # the conversion can change the date
            ("2025-11-26T23:30+00:00", KYIV, datetime(2025, 11, 27, 1, 30)),
            ("2025-11-26T03:00Z", NEW_YORK, datetime(2025, 11, 25, 22, 0)),
            # summer time in the target zone
            ("2026-06-30T15:00Z", BRUSSELS, datetime(2026, 6, 30, 17, 0)),
            # day-first with an offset is converted too
            ("26/11/2025 16:00Z", KYIV, datetime(2025, 11, 26, 18, 0)),
        ],
    )
    def test_offset_is_converted_into_the_target_zone(
        self, text: str, tz: str, expected: datetime
    ) -> None:
        value = parse_when(text, tz)
        assert value == expected
        assert isinstance(value, datetime)
        assert value.tzinfo is None

    def test_default_zone_is_brussels(self) -> None:
        assert DEFAULT_ZONE == BRUSSELS
        assert parse_when("2025-11-26T16:00Z") == datetime(2025, 11, 26, 17, 0)

    @pytest.mark.parametrize(
        "text",
        [
            # impossible dates
            "31/02/2026",
            "2026-02-30",
            "29/02/2025",
            "2025-02-29",
            "31/04/2026",
            "2026-13-01",
            "00/01/2026",
            "2026-01-00",
            "32 January 2026",
            # impossible times
            "2025-11-12T24:00",
            "2025-11-12 17:60",
            "26/11/2025 25:00",
            # junk and partial values
            "soon",
            "17:00",
            "11/2025",
            "November 2025",
            "26 November",
            "tomorrow",
            "12/11/2025 junk",
            "2025-11-12 junk",
        ],
    )
    def test_impossible_and_junk_raise_bad_value_naming_the_input(self, text: str) -> None:
        with pytest.raises(BadValue) as info:
            parse_when(text)
        assert f"'{text}'" in str(info.value)

    @pytest.mark.parametrize("text", ["", "   ", "\t"])
    def test_empty_raises_bad_value(self, text: str) -> None:
        with pytest.raises(BadValue, match="empty"):
            parse_when(text)

    def test_day_first_month_13_is_not_silently_swapped(self) -> None:
        # Read day-first, 12/13/2025 is day 12 of month 13: impossible. Reading it as
        # 13 December (month-first) would make 12/11/2025 and 12/13/2025 follow two
        # different conventions.
        with pytest.raises(BadValue) as info:
            parse_when("12/13/2025")
        assert "'12/13/2025'" in str(info.value)

    def test_bad_value_carries_a_hint(self) -> None:
        with pytest.raises(BadValue) as info:
            parse_when("soon")
        assert info.value.hint
        assert info.value.exit_code == 1


class TestParseTimeOfDay:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("17:00", time(17, 0)), ("9:30", time(9, 30)), (" 00:00 ", time(0, 0)),
         ("23:59", time(23, 59))],
    )  # fmt: skip
    def test_valid(self, text: str, expected: time) -> None:
        assert parse_time_of_day(text) == expected

    @pytest.mark.parametrize("text", ["24:00", "17:60", "17", "5pm", "", "17:00:00"])
    def test_invalid(self, text: str) -> None:
        with pytest.raises(BadValue):
            parse_time_of_day(text)


# =========================================================================================
# zone
# =========================================================================================


class TestZone:
    @pytest.mark.parametrize(
        "name", [BRUSSELS, KYIV, NEW_YORK, "UTC", "Asia/Tokyo", "America/Argentina/Buenos_Aires"]
    )
    def test_valid_iana_names(self, name: str) -> None:
        tz = zone(name)
        assert isinstance(tz, ZoneInfo)
        assert tz.key == name

    @pytest.mark.parametrize(
        "name",
        [
            "Europe/Brusels",
            "Mars/Olympus",
            "",
            " ",
            "../etc/passwd",
            "/etc/passwd",
            "/usr/share/zoneinfo/Europe/Brussels",
            "Europe",
            "Europe/Brussels ",
            " Europe/Brussels",
        ],
    )
    def test_unknown_raises_bad_value(self, name: str) -> None:
        with pytest.raises(BadValue) as info:
            zone(name)
        assert "time zone" in str(info.value)
        assert f"'{name}'" in str(info.value)

    def test_unknown_zone_in_clock_raises_bad_value(self) -> None:
        with pytest.raises(BadValue):
            Clock.at("Europe/Brusels", "2025-11-26")

    @pytest.mark.parametrize(
        ("name", "expected"),
        [(BRUSSELS, "Brussels"), (NEW_YORK, "New York"), ("UTC", "UTC"),
         ("America/Argentina/Buenos_Aires", "Buenos Aires")],
    )  # fmt: skip
    def test_city(self, name: str, expected: str) -> None:
        assert city(name) == expected


# =========================================================================================
# durations
# =========================================================================================


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "months", "days"),
        [
            ("10d", 0, 10),
            ("2w", 0, 14),
            ("3m", 3, 0),
            ("1y", 12, 0),
            ("0d", 0, 0),
            ("10D", 0, 10),
            ("10d 2w 3m 1y", 15, 24),
            ("1m2w", 1, 14),
            ("1y1m1w1d", 13, 8),
            ("  30d  ", 0, 30),
            ("10 d", 0, 10),
            ("10 days", 0, 10),
            ("1 day", 0, 1),
            ("2 weeks", 0, 14),
            ("1 week", 0, 7),
            ("3 months", 3, 0),
            ("1 month", 1, 0),
            ("2 years", 24, 0),
            ("1 year", 12, 0),
        ],
    )
    def test_valid(self, text: str, months: int, days: int) -> None:
        d = parse_duration(text)
        assert (d.months, d.days) == (months, days)

    def test_text_is_kept_for_display(self) -> None:
        assert str(parse_duration("1m2w")) == "1m2w"

    @pytest.mark.parametrize(
        "text", ["10x", "d", "-3d", "10d junk", "", "  ", "10", "junk 10d", "1.5d", "10d-3d"]
    )
    def test_invalid_raises_bad_value(self, text: str) -> None:
        with pytest.raises(BadValue) as info:
            parse_duration(text)
        assert f"'{text}'" in str(info.value)


class TestDurationArithmetic:
    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (date(2026, 1, 31), 1, date(2026, 2, 28)),
            (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
            (date(2026, 1, 31), 2, date(2026, 3, 31)),
            (date(2026, 3, 31), 1, date(2026, 4, 30)),
            (date(2028, 2, 29), 12, date(2029, 2, 28)),
            (date(2025, 11, 26), 3, date(2026, 2, 26)),
        ],
    )
    def test_months_are_calendar_months_clamped_to_month_end(
        self, start: date, months: int, expected: date
    ) -> None:
        tz = ZoneInfo(BRUSSELS)
        got = Duration(months=months).after(datetime.combine(start, time(17, 0), tzinfo=tz))
        assert got == datetime.combine(expected, time(17, 0), tzinfo=tz)
        assert got.tzinfo is tz

    def test_after_parsed_duration(self) -> None:
        tz = ZoneInfo(BRUSSELS)
        start = datetime(2026, 1, 31, 0, 0, tzinfo=tz)
        assert parse_duration("1m").after(start) == datetime(2026, 2, 28, 0, 0, tzinfo=tz)
        assert parse_duration("1m2w").after(start) == datetime(2026, 3, 14, 0, 0, tzinfo=tz)
        assert parse_duration("1y").after(start) == datetime(2027, 1, 31, 0, 0, tzinfo=tz)

    def test_days_are_wall_clock_days_across_spring_dst(self) -> None:
        tz = ZoneInfo(BRUSSELS)
        start = datetime(2026, 3, 25, 0, 0, tzinfo=tz)
        assert start.utcoffset() == timedelta(hours=1)
        end = parse_duration("10d").after(start)
        assert end.replace(tzinfo=None) == datetime(2026, 4, 4, 0, 0)
        assert end.utcoffset() == timedelta(hours=2)
        assert end.astimezone(UTC) == utc(2026, 4, 3, 22, 0)
        # 10 wall-clock days, 239 real hours
        assert end - start == timedelta(days=10)  # same tzinfo: wall-clock difference
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=239)

    def test_days_are_wall_clock_days_across_autumn_dst(self) -> None:
        tz = ZoneInfo(BRUSSELS)
        start = datetime(2026, 10, 20, 17, 0, tzinfo=tz)
        end = parse_duration("1w").after(start)
        assert end.replace(tzinfo=None) == datetime(2026, 10, 27, 17, 0)
        assert end.utcoffset() == timedelta(hours=1)
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=169)

    def test_before_is_the_inverse_for_days(self) -> None:
        tz = ZoneInfo(BRUSSELS)
        end = datetime(2026, 4, 4, 0, 0, tzinfo=tz)
        start = parse_duration("10d").before(end)
        assert start.replace(tzinfo=None) == datetime(2026, 3, 25, 0, 0)
        assert start.utcoffset() == timedelta(hours=1)

    def test_before_months_clamps_to_month_end(self) -> None:
        tz = ZoneInfo(BRUSSELS)
        end = datetime(2026, 3, 31, 17, 0, tzinfo=tz)
        assert parse_duration("1m").before(end) == datetime(2026, 2, 28, 17, 0, tzinfo=tz)
        assert parse_duration("3w").before(end) == datetime(2026, 3, 10, 17, 0, tzinfo=tz)


# =========================================================================================
# DST and the deadline instant
# =========================================================================================


class TestDeadlineInstant:
    @pytest.mark.parametrize(
        ("at", "offset_hours", "instant"),
        [
            # 29 Mar 2026: clocks go forward at 02:00 -> 17:00 is summer time
            (datetime(2026, 3, 29, 17, 0), 2, utc(2026, 3, 29, 15, 0)),
            (datetime(2026, 3, 28, 17, 0), 1, utc(2026, 3, 28, 16, 0)),
            # 25 Oct 2026: clocks go back at 03:00 -> 17:00 is winter time
            (datetime(2026, 10, 25, 17, 0), 1, utc(2026, 10, 25, 16, 0)),
            (datetime(2026, 10, 24, 17, 0), 2, utc(2026, 10, 24, 15, 0)),
            (datetime(2025, 11, 26, 17, 0), 1, utc(2025, 11, 26, 16, 0)),
            (datetime(2026, 6, 30, 17, 0), 2, utc(2026, 6, 30, 15, 0)),
        ],
    )
    def test_brussels_offset_and_utc(
        self, at: datetime, offset_hours: int, instant: datetime
    ) -> None:
        d = Deadline(at=at, timezone=BRUSSELS)
        assert d.utc == instant
        assert d.local == at.replace(tzinfo=ZoneInfo(BRUSSELS))
        assert isinstance(d.local, datetime)
        assert d.local.utcoffset() == timedelta(hours=offset_hours)
        assert iso(d.local) == at.isoformat(timespec="seconds") + f"+0{offset_hours}:00"
        assert not d.all_day
        for viewer in (clock(BRUSSELS, 2026, 1, 1), clock(NEW_YORK, 2026, 1, 1)):
            assert d.starts(viewer) == instant

    def test_default_zone_is_brussels(self) -> None:
        d = Deadline(at=datetime(2025, 11, 26, 17, 0))
        assert d.timezone == BRUSSELS
        assert d.utc == utc(2025, 11, 26, 16, 0)

    def test_kyiv_deadline(self) -> None:
        d = Deadline(at=datetime(2025, 11, 26, 17, 0), timezone=KYIV)
        assert d.utc == utc(2025, 11, 26, 15, 0)
        assert iso(d.local) == "2025-11-26T17:00:00+02:00"

    def test_passed_is_decided_in_utc_on_the_dst_day(self) -> None:
        # Clock in Brussels at 16:30 on 29 Mar 2026 (summer time, 14:30 UTC): a deadline
        # at 17:00 Brussels the same day has not passed; at 17:01 it has.
        d = Deadline(at=datetime(2026, 3, 29, 17, 0), timezone=BRUSSELS)
        assert not d.passed(clock(BRUSSELS, 2026, 3, 29, 16, 30))
        assert d.passed(clock(BRUSSELS, 2026, 3, 29, 17, 1))
        # A UTC viewer at 15:30 UTC (= 17:30 Brussels): passed, though 15:30 < 17:00.
        assert d.passed(clock("UTC", 2026, 3, 29, 15, 30))
        assert not d.passed(clock("UTC", 2026, 3, 29, 14, 59))

    def test_all_day_deadline_has_no_instant_of_its_own(self) -> None:
        d = Deadline(at=date(2025, 11, 26))
        assert d.all_day
        assert d.utc is None
        assert d.local == date(2025, 11, 26)
        assert type(d.local) is date
        assert iso(d.local) == "2025-11-26"
        # it starts at 00:00 of its day for the viewer: as many days from the viewer's
        # today as from today in Brussels (at 00:00 in Kyiv it is still 31 Oct there)
        assert d.starts(clock(BRUSSELS, 2025, 11, 1)) == utc(2025, 11, 25, 23, 0)
        assert d.starts(clock(KYIV, 2025, 11, 1)) == utc(2025, 11, 26, 22, 0)
        assert d.starts(clock(KYIV, 2025, 11, 1, 12)) == utc(2025, 11, 25, 22, 0)
        assert d.starts(clock(NEW_YORK, 2025, 11, 1)) == utc(2025, 11, 26, 5, 0)


class TestLocalizeIsoHuman:
    def test_localize(self) -> None:
        got = localize(datetime(2026, 3, 29, 17, 0), BRUSSELS)
        assert got.utcoffset() == timedelta(hours=2)
        assert localize(date(2026, 3, 29), BRUSSELS) == datetime(
            2026, 3, 29, 0, 0, tzinfo=ZoneInfo(BRUSSELS)
        )
        # 00:00 on 29 Mar is still winter time
        assert localize(date(2026, 3, 29), BRUSSELS).utcoffset() == timedelta(hours=1)

    def test_iso(self) -> None:
        assert iso(None) is None
        assert iso(date(2026, 6, 30)) == "2026-06-30"
        assert iso(datetime(2025, 11, 26, 17, 0, tzinfo=ZoneInfo(BRUSSELS))) == (
            "2025-11-26T17:00:00+01:00"
        )

    def test_human(self) -> None:
        assert human(datetime(2025, 11, 26, 17, 0)) == "Wed 26 Nov 2025 17:00"
        assert human(date(2025, 11, 26)) == "Wed 26 Nov 2025"
        assert human(date(2026, 3, 1)) == "Sun 1 Mar 2026"


# =========================================================================================
# Clock
# =========================================================================================


class TestClock:
    def test_fields(self) -> None:
        c = clock(KYIV, 2025, 11, 26, 0, 30)
        assert c.tz == ZoneInfo(KYIV)
        assert c.tz_name == KYIV
        assert c.today == date(2025, 11, 26)
        assert c.now_utc == utc(2025, 11, 25, 22, 30)
        assert c.now_utc.tzinfo is UTC

    @pytest.mark.parametrize(
        ("tz", "as_of", "now_utc"),
        [
            (BRUSSELS, "2025-11-26", utc(2025, 11, 25, 23, 0)),
            (KYIV, "2025-11-26", utc(2025, 11, 25, 22, 0)),
            (NEW_YORK, "2025-11-26", utc(2025, 11, 26, 5, 0)),
            (BRUSSELS, "26/11/2025", utc(2025, 11, 25, 23, 0)),
            (BRUSSELS, "26 November 2025", utc(2025, 11, 25, 23, 0)),
            # summer time
            (BRUSSELS, "2026-06-30", utc(2026, 6, 29, 22, 0)),
        ],
    )
    def test_as_of_date_is_midnight_in_the_display_zone(
        self, tz: str, as_of: str, now_utc: datetime
    ) -> None:
        c = Clock.at(tz, as_of)
        day = parse_when(as_of)
        assert c.now == datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
        assert c.now.tzinfo == ZoneInfo(tz)
        assert c.today == day
        assert c.tz_name == tz
        assert c.now_utc == now_utc

    @pytest.mark.parametrize(
        ("tz", "as_of", "local", "now_utc"),
        [
            (BRUSSELS, "2025-11-26 17:00", datetime(2025, 11, 26, 17, 0), utc(2025, 11, 26, 16)),
            (KYIV, "26/11/2025 09:30", datetime(2025, 11, 26, 9, 30), utc(2025, 11, 26, 7, 30)),
            (NEW_YORK, "2025-11-26T23:00", datetime(2025, 11, 26, 23, 0), utc(2025, 11, 27, 4)),
            # an offset is converted into the display zone
            (KYIV, "2025-11-26T23:30Z", datetime(2025, 11, 27, 1, 30), utc(2025, 11, 26, 23, 30)),
        ],
    )
    def test_as_of_with_a_time(
        self, tz: str, as_of: str, local: datetime, now_utc: datetime
    ) -> None:
        c = Clock.at(tz, as_of)
        assert c.now == local.replace(tzinfo=ZoneInfo(tz))
        assert c.now.replace(tzinfo=None) == local
        assert c.today == local.date()
        assert c.now_utc == now_utc

    @pytest.mark.parametrize("as_of", ["31/02/2026", "2026-02-30", "soon", "17:00", "11/2025"])
    def test_invalid_as_of_raises_bad_value(self, as_of: str) -> None:
        with pytest.raises(BadValue) as info:
            Clock.at(BRUSSELS, as_of)
        assert f"'{as_of}'" in str(info.value)

    @pytest.mark.parametrize("as_of", [None, ""])
    def test_no_as_of_is_the_real_clock_in_the_display_zone(self, as_of: str | None) -> None:
        before = datetime.now(UTC)
        c = Clock.at(KYIV, as_of)
        after = datetime.now(UTC)
        assert before <= c.now_utc <= after
        assert c.now.tzinfo == ZoneInfo(KYIV)
        assert c.today == c.now_utc.astimezone(ZoneInfo(KYIV)).date()

    def test_start_of(self) -> None:
        c = clock(KYIV, 2025, 11, 26)
        assert c.start_of(date(2025, 11, 27)) == utc(2025, 11, 26, 22, 0)
        assert c.start_of(date(2026, 6, 30)) == utc(2026, 6, 29, 21, 0)


# =========================================================================================
# days_left, passed, day, viewed, differs_for -- per viewer zone
# =========================================================================================


class TestViewers:
    """26 Nov 2025 17:00 Brussels = 18:00 Kyiv = 11:00 New York (16:00 UTC)."""

    @pytest.mark.parametrize(
        ("tz", "wall", "offset_hours"),
        [
            (BRUSSELS, datetime(2025, 11, 26, 17, 0), 1),
            (KYIV, datetime(2025, 11, 26, 18, 0), 2),
            (NEW_YORK, datetime(2025, 11, 26, 11, 0), -5),
            ("UTC", datetime(2025, 11, 26, 16, 0), 0),
        ],
    )
    def test_viewed_in_the_viewers_zone(self, tz: str, wall: datetime, offset_hours: int) -> None:
        c = clock(tz, 2025, 11, 20)
        seen = PORTAL.viewed(c)
        assert isinstance(seen, datetime)
        assert seen.replace(tzinfo=None) == wall
        assert seen.utcoffset() == timedelta(hours=offset_hours)
        assert seen == utc(2025, 11, 26, 16, 0)
        assert PORTAL.day(c) == date(2025, 11, 26)

    @pytest.mark.parametrize(
        ("tz", "today", "days_left"),
        [
            (BRUSSELS, date(2025, 11, 20), 6),
            (BRUSSELS, date(2025, 11, 25), 1),
            (BRUSSELS, date(2025, 11, 26), 0),
            (BRUSSELS, date(2025, 11, 27), -1),
            (KYIV, date(2025, 11, 25), 1),
            (KYIV, date(2025, 11, 26), 0),
            (KYIV, date(2025, 11, 30), -4),
            (NEW_YORK, date(2025, 11, 25), 1),
            (NEW_YORK, date(2025, 11, 26), 0),
            (NEW_YORK, date(2025, 12, 26), -30),
        ],
    )
    def test_days_left(self, tz: str, today: date, days_left: int) -> None:
        # any time of the viewer's day gives the same days_left
        for hour, minute in ((0, 0), (12, 0), (23, 59)):
            c = clock(tz, today.year, today.month, today.day, hour, minute)
            assert PORTAL.days_left(c) == days_left

    @pytest.mark.parametrize(
        ("tz", "wall", "passed"),
        [
            (BRUSSELS, (2025, 11, 26, 16, 59), False),
            (BRUSSELS, (2025, 11, 26, 17, 0), False),  # at the instant: not yet behind us
            (BRUSSELS, (2025, 11, 26, 17, 1), True),
            # Kyiv: 17:30 on the wall is after "17:00" but before the instant (18:00 Kyiv)
            (KYIV, (2025, 11, 26, 17, 30), False),
            (KYIV, (2025, 11, 26, 17, 59), False),
            (KYIV, (2025, 11, 26, 18, 1), True),
            # New York: passed at 11:00 local, long before 17:00 on the wall
            (NEW_YORK, (2025, 11, 26, 10, 59), False),
            (NEW_YORK, (2025, 11, 26, 11, 1), True),
            (NEW_YORK, (2025, 11, 26, 16, 0), True),
            (NEW_YORK, (2025, 11, 27, 0, 0), True),
            (BRUSSELS, (2025, 11, 25, 23, 59), False),
        ],
    )
    def test_passed(self, tz: str, wall: tuple[int, ...], passed: bool) -> None:
        assert PORTAL.passed(clock(tz, *wall)) is passed

    @pytest.mark.parametrize(
        ("tz", "differs"),
        [(BRUSSELS, False), (PARIS, False), ("Europe/Berlin", False), (KYIV, True),
         (NEW_YORK, True), ("UTC", True)],
    )  # fmt: skip
    def test_differs_for(self, tz: str, differs: bool) -> None:
        assert PORTAL.differs_for(clock(tz, 2025, 11, 20)) is differs

    def test_differs_for_uses_the_offset_at_the_deadline(self) -> None:
        # London shares UTC's offset in winter: a winter UTC deadline does not differ,
        # whatever the season of "now"; a summer one does (London is then +01:00).
        d = Deadline(at=datetime(2025, 11, 26, 16, 0), timezone="UTC")
        assert d.differs_for(clock("Europe/London", 2025, 7, 1)) is False
        d = Deadline(at=datetime(2026, 6, 30, 16, 0), timezone="UTC")
        assert d.differs_for(clock("Europe/London", 2025, 11, 20)) is True

    def test_all_day_never_differs(self) -> None:
        d = Deadline(at=date(2025, 11, 26))
        for tz in (BRUSSELS, KYIV, NEW_YORK):
            assert d.differs_for(clock(tz, 2025, 11, 20)) is False


class TestNearMidnight:
    """A deadline late or early in the Brussels day falls on another day elsewhere."""

    LATE = Deadline(at=datetime(2025, 11, 26, 23, 30), timezone=BRUSSELS)  # 22:30 UTC
    EARLY = Deadline(at=datetime(2025, 11, 26, 0, 30), timezone=BRUSSELS)  # 25 Nov 23:30 UTC

    def test_late_brussels_deadline_is_the_next_day_in_kyiv(self) -> None:
        brussels = clock(BRUSSELS, 2025, 11, 26)
        kyiv = clock(KYIV, 2025, 11, 26)
        new_york = clock(NEW_YORK, 2025, 11, 26)
        assert self.LATE.day(brussels) == date(2025, 11, 26)
        assert self.LATE.day(kyiv) == date(2025, 11, 27)
        assert self.LATE.day(new_york) == date(2025, 11, 26)
        assert self.LATE.days_left(brussels) == 0
        assert self.LATE.days_left(kyiv) == 1
        assert self.LATE.days_left(new_york) == 0
        seen = self.LATE.viewed(kyiv)
        assert isinstance(seen, datetime)
        assert seen.replace(tzinfo=None) == datetime(2025, 11, 27, 0, 30)
        assert self.LATE.differs_for(kyiv)

    def test_late_brussels_deadline_still_open_in_kyiv_after_midnight(self) -> None:
        kyiv = clock(KYIV, 2025, 11, 27, 0, 15)
        assert self.LATE.days_left(kyiv) == 0
        assert not self.LATE.passed(kyiv)
        assert self.LATE.passed(clock(KYIV, 2025, 11, 27, 0, 45))

    def test_early_brussels_deadline_is_the_previous_day_in_new_york(self) -> None:
        brussels = clock(BRUSSELS, 2025, 11, 25)
        kyiv = clock(KYIV, 2025, 11, 25)
        new_york = clock(NEW_YORK, 2025, 11, 25)
        assert self.EARLY.day(brussels) == date(2025, 11, 26)
        assert self.EARLY.day(kyiv) == date(2025, 11, 26)
        assert self.EARLY.day(new_york) == date(2025, 11, 25)
        assert self.EARLY.days_left(brussels) == 1
        assert self.EARLY.days_left(kyiv) == 1
        assert self.EARLY.days_left(new_york) == 0
        seen = self.EARLY.viewed(new_york)
        assert isinstance(seen, datetime)
        assert seen.replace(tzinfo=None) == datetime(2025, 11, 25, 18, 30)
        assert seen.utcoffset() == timedelta(hours=-5)

    def test_early_brussels_deadline_passes_in_the_new_york_evening(self) -> None:
        assert not self.EARLY.passed(clock(NEW_YORK, 2025, 11, 25, 18, 29))
        assert self.EARLY.passed(clock(NEW_YORK, 2025, 11, 25, 18, 31))
        # On 26 Nov in New York it is already yesterday's deadline.
        assert self.EARLY.days_left(clock(NEW_YORK, 2025, 11, 26)) == -1

    def test_days_left_across_a_dst_change_counts_calendar_days(self) -> None:
        # Viewer in Brussels on 28 Mar 2026 (winter); deadline 17:00 on 30 Mar (summer).
        d = Deadline(at=datetime(2026, 3, 30, 17, 0), timezone=BRUSSELS)
        assert d.days_left(clock(BRUSSELS, 2026, 3, 28, 23, 59)) == 2
        # 00:30 Brussels on the change day, viewed from Kyiv (also changing): same day
        d = Deadline(at=datetime(2026, 3, 29, 0, 30), timezone=BRUSSELS)
        assert d.day(clock(KYIV, 2026, 3, 28)) == date(2026, 3, 29)
        assert d.day(clock(NEW_YORK, 2026, 3, 28)) == date(2026, 3, 28)


class TestAllDay:
    """An all-day deadline belongs to its call's zone: it ends at the end of its date
    there, for every viewer (issue 11); it is still shown as the date written."""

    DAY = Deadline(at=date(2025, 11, 26))  # Brussels

    @pytest.mark.parametrize("tz", [BRUSSELS, KYIV, NEW_YORK])
    def test_open_during_the_whole_day_in_the_calls_zone(self, tz: str) -> None:
        for wall in ((2025, 11, 26, 0, 0), (2025, 11, 26, 17, 1), (2025, 11, 26, 23, 59)):
            c = clock(BRUSSELS, *wall)
            viewer = Clock(c.now_utc, tz)
            assert not self.DAY.passed(viewer)
            assert self.DAY.days_left(viewer) == 0
            assert self.DAY.day(viewer) == viewer.today
            assert self.DAY.viewed(viewer) == date(2025, 11, 26)

    @pytest.mark.parametrize("tz", [BRUSSELS, KYIV, NEW_YORK])
    def test_passed_at_midnight_in_the_calls_zone(self, tz: str) -> None:
        for wall in ((2025, 11, 27, 0, 0), (2025, 11, 27, 12, 0), (2025, 12, 1, 0, 0)):
            assert self.DAY.passed(Clock(clock(BRUSSELS, *wall).now_utc, tz))
        assert not self.DAY.passed(Clock(clock(BRUSSELS, 2025, 11, 26, 23, 59).now_utc, tz))
        assert self.DAY.days_left(Clock(clock(BRUSSELS, 2025, 11, 27).now_utc, tz)) == -1

    def test_kyiv_at_half_past_midnight_is_still_the_day_in_brussels(self) -> None:
        c = clock(KYIV, 2025, 11, 27, 0, 30)  # 26 Nov 23:30 in Brussels
        assert not self.DAY.passed(c)
        assert self.DAY.days_left(c) == 0
        assert self.DAY.day(c) == date(2025, 11, 27)  # the viewer's date of it
        assert self.DAY.viewed(c) == date(2025, 11, 26)  # shown as written
        assert self.DAY.passed(clock(KYIV, 2025, 11, 27, 1, 0))

    @pytest.mark.parametrize("tz", [BRUSSELS, KYIV, NEW_YORK])
    def test_before_the_day(self, tz: str) -> None:
        c = Clock(clock(BRUSSELS, 2025, 11, 25, 23, 59).now_utc, tz)
        assert not self.DAY.passed(c)
        assert self.DAY.days_left(c) == 1

    def test_tokyo_and_los_angeles(self) -> None:
        """The issue's case: a Brussels call, all-day 15 Dec 2026."""
        d = Deadline(at=date(2026, 12, 15))
        tokyo = clock("Asia/Tokyo", 2026, 12, 16, 3, 0)  # 15 Dec 19:00 in Brussels
        assert not d.passed(tokyo)
        assert d.days_left(tokyo) == 0
        assert call(d).status(tokyo) == "open"
        ended = datetime(2026, 12, 16, 0, 0, tzinfo=ZoneInfo(BRUSSELS))
        la = Clock(ended + timedelta(hours=8.5), "America/Los_Angeles")
        assert la.today == date(2026, 12, 15)  # still the 15th there, but it is over
        assert d.passed(la)
        assert call(d).status(la) == "closed"
        assert not d.passed(Clock(ended - timedelta(minutes=1), "America/Los_Angeles"))

    def test_a_deadline_in_kyiv_ends_at_midnight_in_kyiv(self) -> None:
        d = Deadline(at=date(2025, 11, 26), timezone=KYIV)
        c = clock(NEW_YORK, 2025, 11, 26, 16, 59)  # 23:59 in Kyiv
        assert d.days_left(c) == 0
        assert not d.passed(c)
        assert d.passed(clock(NEW_YORK, 2025, 11, 26, 17, 0))


class TestSortDeadlines:
    def test_sorted_by_instant_across_zones_and_all_day(self) -> None:
        dec = Deadline(at=datetime(2025, 12, 1, 9, 0), timezone=BRUSSELS)
        jan_day = Deadline(at=date(2026, 1, 15), timezone=BRUSSELS)
        jan_brussels = Deadline(at=datetime(2026, 1, 15, 16, 30), timezone=BRUSSELS)  # 15:30Z
        jan_kyiv = Deadline(at=datetime(2026, 1, 15, 17, 0), timezone=KYIV)  # 15:00Z
        got = sort_deadlines([jan_brussels, jan_day, jan_kyiv, dec])
        assert got == (dec, jan_day, jan_kyiv, jan_brussels)
        assert isinstance(got, tuple)


# =========================================================================================
# Call status and next deadline
# =========================================================================================


def call(*deadlines: Deadline, opens: date | datetime | None = None, tz: str = BRUSSELS) -> Call:
    return Call(id="c", title="C", deadlines=tuple(deadlines), opens=opens, timezone=tz)


STAGE1 = Deadline(at=datetime(2025, 11, 26, 17, 0), timezone=BRUSSELS, label="stage 1")
STAGE2 = Deadline(at=datetime(2026, 4, 15, 17, 0), timezone=BRUSSELS, label="stage 2")


class TestCallStatus:
    @pytest.mark.parametrize(
        ("wall", "status"),
        [
            ((2025, 10, 31, 23, 59), "forthcoming"),
            ((2025, 11, 1, 0, 0), "open"),
            ((2025, 11, 26, 17, 0), "open"),
            ((2025, 11, 26, 17, 1), "closed"),
        ],
    )
    def test_opens_as_a_date(self, wall: tuple[int, ...], status: str) -> None:
        c = call(STAGE1, opens=date(2025, 11, 1))
        assert c.status(clock(BRUSSELS, *wall)) == status

    def test_opens_as_a_date_is_that_day_in_the_viewers_zone(self) -> None:
        c = call(STAGE1, opens=date(2025, 11, 1))
        assert c.status(clock(NEW_YORK, 2025, 10, 31, 23, 0)) == "forthcoming"  # 04:00 Bxl
        assert c.status(clock(KYIV, 2025, 11, 1, 0, 30)) == "open"  # still 31 Oct in Bxl

    @pytest.mark.parametrize(
        ("tz", "wall", "status"),
        [
            (BRUSSELS, (2025, 11, 3, 8, 59), "forthcoming"),
            (BRUSSELS, (2025, 11, 3, 9, 0), "open"),
            (BRUSSELS, (2025, 11, 3, 9, 1), "open"),
            (KYIV, (2025, 11, 3, 9, 30), "forthcoming"),  # 08:30 Brussels
            (KYIV, (2025, 11, 3, 10, 1), "open"),
            (NEW_YORK, (2025, 11, 3, 2, 59), "forthcoming"),
            (NEW_YORK, (2025, 11, 3, 3, 1), "open"),
            (NEW_YORK, (2025, 11, 2, 23, 0), "forthcoming"),
        ],
    )
    def test_opens_as_a_datetime_is_an_instant(
        self, tz: str, wall: tuple[int, ...], status: str
    ) -> None:
        c = call(STAGE1, opens=datetime(2025, 11, 3, 9, 0))
        assert c.status(clock(tz, *wall)) == status

    def test_opens_datetime_in_the_calls_own_zone(self) -> None:
        c = call(STAGE1, opens=datetime(2025, 11, 3, 9, 0), tz=KYIV)  # 08:00 Brussels
        assert c.status(clock(BRUSSELS, 2025, 11, 3, 7, 59)) == "forthcoming"
        assert c.status(clock(BRUSSELS, 2025, 11, 3, 8, 1)) == "open"

    @pytest.mark.parametrize(
        ("wall", "status", "next_label"),
        [
            ((2025, 11, 1), "open", "stage 1"),
            ((2025, 11, 26, 17, 0), "open", "stage 1"),
            ((2025, 11, 26, 17, 1), "open", "stage 2"),  # between stage 1 and stage 2
            ((2026, 1, 15), "open", "stage 2"),
            ((2026, 4, 15, 16, 59), "open", "stage 2"),
            ((2026, 4, 15, 17, 1), "closed", None),  # all passed: no next deadline
            ((2027, 1, 1), "closed", None),
        ],
    )
    def test_two_stage(self, wall: tuple[int, ...], status: str, next_label: str | None) -> None:
        c = call(STAGE1, STAGE2)
        now = clock(BRUSSELS, *wall)
        assert c.status(now) == status
        nxt = c.next_deadline(now)
        assert (nxt.label if nxt else None) == next_label

    def test_two_stage_viewed_from_new_york(self) -> None:
        c = call(STAGE1, STAGE2)
        # 11:30 New York = 17:30 Brussels: stage 1 is gone, stage 2 is next
        now = clock(NEW_YORK, 2025, 11, 26, 11, 30)
        assert c.status(now) == "open"
        assert c.next_deadline(now) is STAGE2
        assert c.next_deadline(clock(NEW_YORK, 2025, 11, 26, 10, 30)) is STAGE1

    def test_forthcoming_before_opens_even_with_deadlines_ahead(self) -> None:
        c = call(STAGE1, STAGE2, opens=date(2025, 11, 1))
        now = clock(BRUSSELS, 2025, 10, 1)
        assert c.status(now) == "forthcoming"
        assert c.next_deadline(now) is STAGE1

    def test_all_day_last_deadline_closes_the_day_after(self) -> None:
        c = call(STAGE1, Deadline(at=date(2026, 6, 30)))  # Brussels: 01:00 in Kyiv
        assert c.status(clock(KYIV, 2026, 7, 1, 0, 59)) == "open"
        assert c.status(clock(KYIV, 2026, 7, 1, 1, 0)) == "closed"

    def test_without_deadlines(self) -> None:
        """No deadline yet (TBC): forthcoming until it opens, and without an opening."""
        c = call()
        now = clock(BRUSSELS, 2025, 11, 26)
        assert c.status(now) == "forthcoming"
        assert c.next_deadline(now) is None
        assert call(opens=date(2025, 12, 1)).status(now) == "forthcoming"
        assert call(opens=date(2025, 11, 26)).status(now) == "open"
        assert call(opens=date(2025, 11, 1)).status(now) == "open"

    def test_status_is_one_of_the_known_statuses(self) -> None:
        assert STATUSES == ("forthcoming", "open", "closed")


# =========================================================================================
# slugify and unique_id
# =========================================================================================


class TestSlugify:
    @pytest.mark.parametrize(
        ("title", "slug"),
        [
            ("EIC call to support UA tech SMEs", "eic-call-to-support-ua-tech-smes"),
            ("HORIZON-CL5-2025-D3-01", "horizon-cl5-2025-d3-01"),
            ("  Digital Europe: AI & data!  ", "digital-europe-ai-data"),
            ("Économie sociale — café", "economie-sociale-cafe"),
            ("Straße über Zürich", "strasse-uber-zurich"),
            ("Horizon Європа 2025", "horizon-yevropa-2025"),
            ("Підтримка МСП у Києві", "pidtrymka-msp-u-kyievi"),  # noqa: RUF001
            ("Підтримка українських стартапів", "pidtrymka-ukrainskykh-startapiv"),
            ("Поддержка", "podderzhka"),
            ("", "call"),
            ("!!!", "call"),
            ("日本語", "ribenyu"),  # anyascii: Mandarin readings
        ],
    )
    def test_slugs(self, title: str, slug: str) -> None:
        assert slugify(title) == slug

    def test_long_title_is_cut_at_a_hyphen(self) -> None:
        title = "Support for the digital transformation of small and medium enterprises"
        got = slugify(title)
        assert got == "support-for-the-digital-transformation"
        assert len(got) <= 40
        full = "support-for-the-digital-transformation-of-small-and-medium-enterprises"
        assert full.startswith(got + "-")

    def test_long_title_whose_word_ends_exactly_at_the_limit_keeps_that_word(self) -> None:
        # slug is "aaaa…(20)-bbbb…(19)-c": its first 40 characters are two whole words.
        title = "a" * 20 + " " + "b" * 19 + " c"
        assert slugify(title) == "a" * 20 + "-" + "b" * 19

    def test_one_long_word_is_cut_hard(self) -> None:
        assert slugify("x" * 60) == "x" * 40

    def test_custom_limit(self) -> None:
        assert slugify("alpha beta gamma", limit=12) == "alpha-beta"
        assert slugify("alpha beta gamma", limit=100) == "alpha-beta-gamma"

    @pytest.mark.parametrize(
        "title",
        [
            "Support for the digital transformation of small and medium enterprises",
            "a " * 40,
            "Ünïcödé " * 10,
            "one-two-three-four-five-six-seven-eight-nine-ten",
        ],
    )
    def test_slug_shape(self, title: str) -> None:
        got = slugify(title)
        assert 0 < len(got) <= 40
        assert not got.startswith("-")
        assert not got.endswith("-")
        assert "--" not in got
        assert ID_PATTERN.fullmatch(got)


class TestUniqueId:
    @pytest.mark.parametrize(
        ("base", "taken", "expected"),
        [
            ("eic", set(), "eic"),
            ("eic", {"other"}, "eic"),
            ("eic", {"eic"}, "eic-2"),
            ("eic", {"eic", "eic-2"}, "eic-3"),
            ("eic", {"eic", "eic-2", "eic-3"}, "eic-4"),
            ("eic", {"eic", "eic-3"}, "eic-2"),
            ("eic", {"eic-2"}, "eic"),
            ("call", frozenset({"call"}), "call-2"),
        ],
    )
    def test_unique_id(self, base: str, taken: set[str], expected: str) -> None:
        assert unique_id(base, taken) == expected

    def test_cyrillic_titles_get_distinct_ids(self) -> None:
        taken: set[str] = set()
        for title in ("Підтримка", "Гранти", "Стартапи"):
            taken.add(unique_id(slugify(title), taken))
        assert taken == {"pidtrymka", "hranty", "startapy"}


# --- review fixes: zones with POSIX signs, years out of range, skipped hours -------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Etc/GMT+5", "UTC-5"), ("Etc/GMT-3", "UTC+3"), ("Etc/GMT", "GMT"), ("Etc/GMT+0", "UTC"),
     ("America/New_York", "New York")],
)  # fmt: skip
def test_city_names_etc_zones_the_right_way_round(name, shown):
    from fundwatch.domain.timeutil import city

    assert city(name) == shown


@pytest.mark.parametrize("text", ["0001-01-01", "31/12/9999 23:30", "01/01/1899", "3000-01-01"])
def test_years_out_of_range_are_clear_errors(text):
    with pytest.raises(BadValue, match="the year must be from 1900 to 2999"):
        parse_when(text)


def test_a_skipped_hour_is_an_error_typed_or_in_the_file(fw, watchlist):
    with pytest.raises(BadValue, match="does not exist in Europe/Brussels"):
        parse_when("29/03/2026 02:30")
    assert parse_when("25/10/2026 02:30") == datetime(2026, 10, 25, 2, 30)  # twice, but there
    r = fw("add", "Gap", "--deadline", "29/03/2026 02:30")
    assert r.code == 1
    assert r.err.startswith(
        "error: --deadline: '29/03/2026 02:30' does not exist in Europe/Brussels"
    )
    watchlist.write_text('version = 1\n[[calls]]\ntitle = "Gap"\ndeadline = 2026-03-29T02:30:00\n',
                         encoding="utf-8")  # fmt: skip
    r = fw("check")
    assert (
        r.code == 1 and "line 4: call 'gap': deadline: '2026-03-29 02:30' does not exist" in r.out
    )
    r = fw("upcoming", "--as-of", "0001-01-01")
    assert r.code == 1 and r.err.startswith("error: --as-of: '0001-01-01' is not a date")
