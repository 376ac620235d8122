#!/usr/bin/env python3
"""How long `fundwatch export ics` takes for 1,000 deadlines with 3 alarms each.

    python bench/bench_ics.py [--runs 7] [--deadlines 1000]

Prints the median of whole `fundwatch export ics` processes (cache warm) and of the
in-process `ics.calendar()` call alone. Target (issue 3, 2 cores): 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_upcoming import build


def naive_calendar(calls, clock, options) -> bytes:  # type: ignore[no-untyped-def]
    """For comparison: every property and VALARM added to each event, one to_ical()."""
    from datetime import timedelta

    from icalendar import Alarm, Calendar, Event

    from fundwatch.output import calendar as ics

    cal = Calendar()
    cal.add("prodid", "-//fundwatch//bench//EN")
    cal.add("version", "2.0")
    for call in calls:
        bases = [f"{call.stem}/{part}" for part in ics._parts(call)]
        for event, lead, *_ in ics._events(call, clock, options, bases):
            whole = Event()
            for name, _value in event.property_items(recursive=False)[1:-1]:
                whole.add(name, event.decoded(name) if name != "CATEGORIES" else list(call.tags))
            whole.add("dtstamp", clock.now_utc)
            whole.add("transp", "TRANSPARENT")
            whole.add("sequence", call.sequence)
            if call.url:
                whole.add("url", call.url)
            for days in lead:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"Funding deadline in {days[0]} days")
                alarm.add("trigger", timedelta(days=-days[0]))
                whole.add_component(alarm)
            cal.add_component(whole)
    return bytes(cal.to_ical())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--deadlines", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fundwatch-bench-ics-"))
    try:
        path = work / "calls.toml"
        # build() gives 1.4 deadlines a call: 80 % single, 10 % two-stage, 10 % 4 cut-offs
        build(round(args.deadlines / 1.4), path)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNDWATCH_", "XDG_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(HOME=str(work / "home"), FUNDWATCH_AS_OF="2025-10-08", TZ="Europe/Brussels")
        script = Path(sys.executable).parent / "fundwatch"
        cmd = [str(script) if script.exists() else sys.executable, "--file", str(path)]
        if not script.exists():
            cmd[1:1] = ["-m", "fundwatch"]
        cmd += ["export", "ics", "--all", "--alarm", "14d", "--alarm", "3d", "--alarm", "1d"]
        data = subprocess.run(cmd, env=env, capture_output=True, check=True).stdout
        events = data.count(b"BEGIN:VEVENT")
        alarms = data.count(b"BEGIN:VALARM")
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True, close_fds=False)
            times.append(time.perf_counter() - t)

        os.environ.update(FUNDWATCH_CACHE_DIR=str(work / "cache"))
        from fundwatch.domain.timeutil import Clock, parse_duration
        from fundwatch.output import calendar as ics
        from fundwatch.storage import store

        calls = store.load(path).calls
        clock = Clock(datetime(2025, 10, 8, tzinfo=Clock.at("UTC").tz), "UTC")
        options = ics.Options(tuple(parse_duration(a) for a in ("14d", "3d", "1d")))
        inner = []
        for _ in range(args.runs):
            t = time.perf_counter()
            ics.calendar(calls, clock, options)
            inner.append(time.perf_counter() - t)
        naive = []
        for _ in range(max(1, args.runs // 2)):
            t = time.perf_counter()
            naive_calendar(calls, clock, options)
            naive.append(time.perf_counter() - t)
        print(f"events {events}, alarms {alarms}, {len(data):,} bytes, runs {args.runs}")
        print(f"fundwatch export ics (whole process): median {statistics.median(times):.3f} s")
        print(f"ics.calendar() alone:                 median {statistics.median(inner):.3f} s")
        print(f"the same, icalendar used naively:     median {statistics.median(naive):.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
