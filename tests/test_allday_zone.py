"""Issue 11: an all-day deadline belongs to its call's zone, for every viewer."""

from __future__ import annotations

import json

CALL = """version = 1

[[calls]]
id = "cluster-day"
title = "Cluster day"
timezone = "Europe/Brussels"
deadline = 2026-12-15
"""


def _json(r):
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_tokyo_the_morning_after_is_still_today(fw, fw_env):
    with open(fw_env["FUNDWATCH_FILE"], "w", encoding="utf-8") as f:
        f.write(CALL)
    tokyo = {"TZ": "Asia/Tokyo"}
    # 16 Dec 03:00 in Tokyo is 15 Dec 19:00 in Brussels
    [call] = _json(fw("list", "--as-of", "2026-12-16 03:00", "--format", "json", env=tokyo))
    assert (call["status"], call["next_deadline"]) == ("open", "2026-12-15")
    assert call["deadlines"][0]["days_left"] == 0
    [row] = _json(fw("upcoming", "--as-of", "2026-12-16 03:00", "--format", "json", env=tokyo))
    assert (row["at"], row["days_left"], row["all_day"]) == ("2026-12-15", 0, True)
    r = fw("remind", "--as-of", "2026-12-16 03:00", "--exit-code", env=tokyo)
    assert r.code == 0 and "today" in r.out and "Tue 15 Dec 2026, all day" in r.out
    # through typer too (the fast path hands nothing over here)
    slow = {**tokyo, "FUNDWATCH_NO_FASTPATH": "1"}
    assert _json(fw("list", "--as-of", "2026-12-16 03:00", "--format", "json", env=slow)) == [call]
    # at 08:00 in Tokyo (00:00 in Brussels) it is over
    [call] = _json(fw("list", "--as-of", "2026-12-16 08:00", "--format", "json", env=tokyo))
    assert call["status"] == "closed"


def test_los_angeles_after_midnight_in_brussels_is_closed(fw, fw_env):
    with open(fw_env["FUNDWATCH_FILE"], "w", encoding="utf-8") as f:
        f.write(CALL)
    la = {"TZ": "America/Los_Angeles"}
    # it ended at 16 Dec 00:00 Brussels = 15 Dec 15:00 in Los Angeles; 8.5 hours later:
    [call] = _json(fw("list", "--as-of", "2026-12-15 23:30", "--format", "json", env=la))
    assert (call["status"], call["next_deadline"]) == ("closed", None)
    assert _json(fw("upcoming", "--as-of", "2026-12-15 23:30", "--format", "json", env=la)) == []
    assert fw("remind", "--as-of", "2026-12-15 23:30", "--exit-code", env=la).code == 3
    # a minute before the end, it is still open and due today
    [call] = _json(fw("list", "--as-of", "2026-12-15 14:59", "--format", "json", env=la))
    assert (call["status"], call["deadlines"][0]["days_left"]) == ("open", 0)
    show = fw("show", "cluster-day", "--as-of", "2026-12-15 14:59", env=la)
    assert "Tue 15 Dec 2026, all day" in show.out and "today" in show.out


def test_passed_agrees_with_the_end_instant_in_every_zone_pair():
    """passed() decides most dates without the instant: check it against the instant
    itself for the zones furthest apart, hour by hour around the day."""
    from datetime import UTC, date, datetime, timedelta

    from fundwatch.domain.model import Deadline
    from fundwatch.domain.timeutil import Clock

    zones = ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Brussels", "America/Los_Angeles"]
    for own in zones:
        d = Deadline(date(2026, 12, 15), own)
        for viewer in zones:
            for hours in range(-96, 97, 1):
                now = datetime(2026, 12, 15, 12, tzinfo=UTC) + timedelta(hours=hours)
                clock = Clock(now, viewer)
                assert d.passed(clock) == (d.ends <= clock.now_utc), (own, viewer, now)
