#!/usr/bin/env python3
"""How fast fundwatch answers "what is due in the next 30 days" next to its peers.

Writes the same 500 and 5,000 deadlines (17:00 Brussels time, spread over two
years, about 1/24 of them inside the window) into a fundwatch watchlist, a
taskwarrior database, a remind file and a khal calendar (a vdir of .ics files),
then times each tool's query as a whole process and prints the median and its
ratio to fundwatch (fundwatch's time divided by the tool's: under 1 means
fundwatch is faster).

    python bench/bench_peers.py [--runs 7] [--sizes 500,5000]
                                [--task PATH] [--remind PATH] [--khal PATH]

Peers are found with --TOOL PATH, else on PATH (khal also at /opt/khal/bin/khal);
one that is not installed is reported as such and skipped. Install them with
`apt-get install taskwarrior remind` and `python3 -m venv /opt/khal &&
/opt/khal/bin/pip install khal`. Needs no network.

"Today" is AS_OF (8 October 2025) for every tool: fundwatch takes --as-of, remind
and khal take the date on their command line, and taskwarrior, which cannot be
told another today, gets the window as absolute dates in its filter. The window
is fundwatch's: from 00:00 of AS_OF to the end of AS_OF + 30 days. Output goes to
a pipe that the benchmark reads, as `| less` or a cron job would.

Targets (issue 7, 2 cores): fundwatch at least as fast as khal everywhere, and
within 1.2x of taskwarrior at 5,000 deadlines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))
from bench_upcoming import AS_OF

ZONE = "Europe/Brussels"
WITHIN = 30
THEMES = ["AI", "soil", "health", "space", "security"]
ID = re.compile(rb"call-\d{5}")
SLOW = 2000.0  # ms: a tool slower than this per run gets fewer runs
VTIMEZONE = """BEGIN:VTIMEZONE\r
TZID:Europe/Brussels\r
BEGIN:DAYLIGHT\r
TZNAME:CEST\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
DTSTART:19810329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZNAME:CET\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
DTSTART:19961027T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""

Deadline = tuple[str, str, datetime]  # id, title, naive local time in ZONE


def deadlines(n: int) -> list[Deadline]:
    """``n`` deadlines, one per call, over the two years from 2025-04-01 (AS_OF in them)."""
    rng = random.Random(n)
    start = datetime(2025, 4, 1)
    out = []
    for i in range(n):
        at = start + timedelta(days=rng.randint(0, 729), hours=rng.choice([17] * 4 + [12, 14]))
        out.append((f"call-{i:05d}", f"Topic {i}: {rng.choice(THEMES)}", at))
    return out


def in_window(items: list[Deadline]) -> int:
    first = datetime.fromisoformat(AS_OF)
    end = first + timedelta(days=WITHIN + 1)
    return sum(first <= at < end for _, _, at in items)


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[list[float], bytes]:
    """Wall times in ms of ``runs`` whole processes, their output read from a pipe."""
    times, out = [], b""
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True).stdout
        times.append((time.perf_counter() - t) * 1000)
    return times, out


def version(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    try:
        done = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    except OSError as e:
        return f"? ({e})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[-1 if stdin else 0] if lines else "?"


# Each peer: set up (files written once, caches warmed by the caller) and return the
# timed queries as (name, command, env, fundwatch case it is compared with).
Case = tuple[str, list[str], dict[str, str], str]


def fundwatch_cases(exe: list[str], items: list[Deadline], work: Path, env: dict[str, str]):
    import tomli_w

    calls = [
        {"id": cid, "title": title, "programme": "Horizon Europe", "state": "watching",
         "timezone": ZONE, "deadline": at}
        for cid, title, at in items
    ]  # fmt: skip
    path = work / "calls.toml"
    path.write_text(tomli_w.dumps({"version": 1, "calls": calls}), encoding="utf-8")
    base = [*exe, "--file", str(path), "upcoming", "--within", f"{WITHIN}d", "--as-of", AS_OF]
    return [
        ("fundwatch upcoming --format json", [*base, "--format", "json"], env, "json"),
        ("fundwatch upcoming (table, piped)", [*base, "--format", "table"], env, "text"),
    ]


def task_cases(exe: str, items: list[Deadline], work: Path, env: dict[str, str]):
    data = work / "taskdata"
    data.mkdir()
    rc = work / "taskrc"
    rc.write_text(
        f"data.location={data}\nconfirmation=off\nverbose=label\nhooks=off\ngc=off\n"
        "recurrence=off\nnews.version=9.9.9\ndefaultwidth=0\ndateformat=Y-M-D H:N\n"
        "report.upcoming.columns=id,due,description\nreport.upcoming.labels=ID,Due,Title\n"
        "report.upcoming.filter=status:pending\nreport.upcoming.sort=due+\n",
        encoding="utf-8",
    )
    zone = ZoneInfo(ZONE)
    stamp = "%Y%m%dT%H%M%SZ"
    tasks = [
        {"uuid": f"00000000-0000-4000-8000-{i:012d}", "status": "pending",
         "description": f"{title} ({cid})", "entry": "20250101T000000Z",
         "due": at.replace(tzinfo=zone).astimezone(UTC).strftime(stamp)}
        for i, (cid, title, at) in enumerate(items)
    ]  # fmt: skip
    (work / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    env = env | {"TASKRC": str(rc), "TASKDATA": str(data)}
    subprocess.run([exe, "import", str(work / "tasks.json")], env=env,
                   stdout=subprocess.DEVNULL, check=True)  # fmt: skip
    # Absolute dates: taskwarrior has no --as-of, and these give fundwatch's window.
    first = date.fromisoformat(AS_OF)
    window = [f"due.after:{first}", f"due.before:{first + timedelta(days=WITHIN + 1)}"]
    return [
        ("taskwarrior export (json)", [exe, *window, "export"], env, "json"),
        ("taskwarrior report (table)", [exe, *window, "upcoming"], env, "text"),
    ]


def remind_cases(exe: str, items: list[Deadline], work: Path, env: dict[str, str]):
    path = work / "deadlines.rem"
    path.write_text(
        "".join(
            f"REM {at:%d %b %Y} AT {at:%H:%M} MSG %b %2: {title} ({cid})\n"
            for cid, title, at in items
        ),
        encoding="utf-8",
    )
    # -t30: every reminder gets 30 days' warning, so the date on the command line
    # lists what falls due from that day to 30 days on; -g sorts by date, -q queues
    # nothing (no background daemon), -r runs no RUN.
    cmd = [exe, "-q", "-r", "-g", f"-t{WITHIN}", str(path), AS_OF]
    return [(f"remind -t{WITHIN} (text)", cmd, env, "text")]


def khal_cases(exe: str, items: list[Deadline], work: Path, env: dict[str, str]):
    vdir = work / "calendar"
    vdir.mkdir()
    for cid, title, at in items:  # one file per event, as vdirsyncer stores them
        (vdir / f"{cid}.ics").write_bytes(
            (
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fundwatch//bench//EN\r\n"
                f"{VTIMEZONE}BEGIN:VEVENT\r\nUID:{cid}@bench.example\r\n"
                f"DTSTAMP:20250101T000000Z\r\nDTSTART;TZID={ZONE}:{at:%Y%m%dT%H%M%S}\r\n"
                f"SUMMARY:{title} ({cid})\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ).encode()
        )
    config = work / "khal.conf"
    config.write_text(
        f"[calendars]\n[[bench]]\npath = {vdir}\ntype = calendar\n"
        f"[sqlite]\npath = {work / 'khal.db'}\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        f"local_timezone = {ZONE}\ndefault_timezone = {ZONE}\n",
        encoding="utf-8",
    )
    # An end date is inclusive in khal: AS_OF to the end of AS_OF + 30 days.
    span = [AS_OF, str(date.fromisoformat(AS_OF) + timedelta(days=WITHIN))]
    base = [exe, "-c", str(config), "list"]
    return [
        ("khal list --json (json)", [*base, "--json", "start", "--json", "title", *span], env,
         "json"),
        ("khal list (text)", [*base, *span], env, "text"),
    ]  # fmt: skip


def find(given: str | None, name: str, *extra: str) -> str | None:
    if given:
        return given if Path(given).exists() else None
    return shutil.which(name) or next((p for p in extra if Path(p).exists()), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--task", help="taskwarrior's `task` (default: on PATH)")
    parser.add_argument("--remind", help="remind (default: on PATH)")
    parser.add_argument("--khal", help="khal (default: on PATH, else /opt/khal/bin/khal)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    script = Path(sys.executable).parent / "fundwatch"
    fundwatch = [str(script)] if script.exists() else [sys.executable, "-m", "fundwatch"]
    work = Path(tempfile.mkdtemp(prefix="fundwatch-peers-"))
    # Every tool gets a fresh HOME, no FUNDWATCH_/XDG_/TASK* settings of the user's,
    # the same zone, and compiled bytecode as any install has.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FUNDWATCH_", "XDG_", "TASKRC", "TASKDATA", "KHAL"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(HOME=str(work / "home"), TZ=ZONE)
    (work / "home").mkdir()

    peers: list[tuple[str, str | None, Callable[..., list[Case]]]] = [
        ("taskwarrior", find(args.task, "task"), task_cases),
        ("remind", find(args.remind, "remind"), remind_cases),
        ("khal", find(args.khal, "khal", "/opt/khal/bin/khal"), khal_cases),
    ]
    versions = [("fundwatch", version([*fundwatch, "--version"], env))]
    for name, exe, _ in peers:
        if exe is None:
            versions.append((name, "not installed"))
        elif name == "remind":
            versions.append((name, "remind " + version([exe, "-"], env, "MSG [version()]\n")))
        else:
            versions.append((name, version([exe, "--version"], env)))

    # results[name][n] = (median ms, rows) or an error text
    results: dict[str, dict[int, tuple[float, int] | str]] = {}
    order: list[tuple[str, str]] = []  # (name, compared with)
    expected: dict[int, int] = {}
    base, _ = timed([sys.executable, "-c", "pass"], env, args.runs)
    started = time.perf_counter()
    try:
        for n in sizes:
            items = deadlines(n)
            expected[n] = in_window(items)
            setups = [("fundwatch", fundwatch, fundwatch_cases)]
            setups += [(name, exe, fn) for name, exe, fn in peers if exe is not None]
            for tool, exe, fn in setups:
                folder = work / f"{tool}-{n}"
                folder.mkdir()
                t = time.perf_counter()
                try:
                    cases = fn(exe, items, folder, env)
                except (subprocess.CalledProcessError, OSError) as e:
                    print(f"  {tool} at {n}: set-up failed: {e}", file=sys.stderr)
                    continue
                for name, cmd, case_env, kind in cases:
                    if (name, kind) not in order:
                        order.append((name, kind))
                    try:
                        # Warm: bytecode, fundwatch's cache, khal's sqlite db, page cache.
                        first, _ = timed(cmd, case_env, 1)
                        one, _ = timed(cmd, case_env, 1)
                        runs = args.runs if one[0] < SLOW else 3
                        times, out = timed(cmd, case_env, runs)
                    except (subprocess.CalledProcessError, OSError) as e:
                        results.setdefault(name, {})[n] = f"failed ({e})"
                        continue
                    rows = len(set(ID.findall(out)))
                    results.setdefault(name, {})[n] = (statistics.median(times), rows)
                    print(f"  {name:<36} {n:>6}: first {first[0]:8.1f} ms, median "
                          f"{statistics.median(times):8.1f} ms of {runs}, {rows} rows",
                          file=sys.stderr)  # fmt: skip
                print(f"  {tool} at {n}: {time.perf_counter() - t:.1f} s with set-up",
                      file=sys.stderr)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"python {sys.version.split()[0]}  runs: {args.runs} (3 if a run takes over "
          f"{SLOW / 1000:.0f} s)  cores: {os.cpu_count()}  as of {AS_OF}, {WITHIN} days; "
          f"in the window: " + ", ".join(f"{expected[n]} of {n:,}" for n in sizes))  # fmt: skip
    for tool, text in versions:
        print(f"  {tool:<12} {text}")
    head = f"{'tool / query':<36}" + "".join(f"{f'{n:,} ms':>10}" for n in sizes)
    head += "".join(f"{f'fw/tool {n:,}':>15}" for n in sizes) + "  rows"
    print(head)
    print(f"{'python -c pass':<36}{statistics.median(base):>10.1f}")
    fw = {"json": "fundwatch upcoming --format json", "text": "fundwatch upcoming (table, piped)"}
    for name, kind in order:
        line, ratios, rows = f"{name:<36}", "", []
        for n in sizes:
            got = results.get(name, {}).get(n, "not run")
            ref = results.get(fw[kind], {}).get(n)
            if isinstance(got, str):
                line += f"{got[:10]:>10}"
                ratios += f"{'':>15}"
                continue
            line += f"{got[0]:>10.1f}"
            rows.append(f"{got[1]}{'' if got[1] == expected[n] else ' (!)'}")
            if name != fw[kind] and isinstance(ref, tuple):
                ratios += f"{ref[0] / got[0]:>15.2f}"
            else:
                ratios += f"{'':>15}"
        print(line + ratios + "  " + "/".join(rows))
    for tool, exe, _ in peers:
        if exe is None:
            print(f"{tool:<36}{'not installed':>20}")

    print("rows: calls each query listed at each size ((!): not the number in the window); "
          "first runs (db/cache builds) are on stderr")  # fmt: skip
    verdicts = []
    for name, kind in order:
        for n in sizes:
            got, ref = results.get(name, {}).get(n), results.get(fw[kind], {}).get(n)
            if not (isinstance(got, tuple) and isinstance(ref, tuple)):
                continue
            if name.startswith("khal"):
                verdicts.append((f"fundwatch <= {name} at {n:,}", ref[0] <= got[0]))
            if name.startswith("taskwarrior") and n == 5000:
                verdicts.append((f"fundwatch <= 1.2x {name} at {n:,}", ref[0] <= 1.2 * got[0]))
    for text, ok in verdicts:
        print(f"target: {text}: {'met' if ok else 'NOT met'}")
    print(f"(whole benchmark: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
